//! `hearth check --source FILE… [TEXT|-]`: marks each sentence of a text whose numbers,
//! dates, names, quotes or code the documents do not have; with `--translation`, what
//! differs between a translation and its original. `--mode thorough` adds the embedding
//! model's similarity and a model judge (`--judge MODEL`). Exits 6 when something is
//! found, so a script can stop on it.

use std::io::Read;

use anyhow::Context;
use hearth_core::grounding::{GroundingMode, Support};
use hearth_core::Hearth;

use crate::args::{CheckArgs, CheckModeArg};
use crate::exit;

pub fn run(args: CheckArgs, json: bool) -> anyhow::Result<i32> {
    let text = match args.text.as_deref() {
        None | Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading the text to check from stdin (it must be UTF-8)")?;
            text
        }
        Some(text) => text.to_owned(),
    };
    let hearth = Hearth::open_default()?;
    let mut documents = Vec::with_capacity(args.sources.len());
    for path in &args.sources {
        let document = hearth
            .read_document(path)
            .with_context(|| format!("reading the source {}", path.display()))?;
        documents.push(document.to_markdown());
    }
    let report = if args.translation {
        let [original] = documents.as_slice() else {
            anyhow::bail!(
                "--translation compares a text with the one document it translates; give one --source"
            );
        };
        hearth.check_translation(&text, original)
    } else {
        let mode = args.mode.map(|mode| match mode {
            CheckModeArg::Fast => GroundingMode::Fast,
            CheckModeArg::Thorough => GroundingMode::Thorough,
        });
        hearth.check_against_documents(&text, &documents, mode, args.judge.as_deref())
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for sentence in report.flagged() {
            println!("✗ {}", sentence.text);
            for finding in &sentence.findings {
                println!("    {}", finding.reason);
            }
        }
        for warning in &report.warnings {
            eprintln!("warning: {warning}");
        }
        let supported = report
            .sentences
            .iter()
            .filter(|s| s.support == Support::Supported)
            .count();
        println!(
            "{}; {supported} checked and found, {} with nothing to check.",
            report.summary,
            report.sentences.len() - report.checked
        );
    }
    Ok(if report.not_found > 0 {
        exit::NOT_GROUNDED
    } else {
        exit::OK
    })
}
