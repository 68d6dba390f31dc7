//! `hearth summarize FILE|-`: a summary of a document of any length, with references
//! to the pages or sections each point came from.

use std::io::Read;

use anyhow::Context;
use hearth_core::documents::{Cancellation, Language, SummaryOptions, SummaryProgress};
use hearth_core::Hearth;
use hearth_docs::Format;

use super::{job_bar, reading_scans, spinner, write_output};
use crate::args::SummarizeArgs;
use crate::exit;
use crate::interrupt::Interrupts;

pub fn run(args: SummarizeArgs, json: bool) -> anyhow::Result<i32> {
    let interrupts = Interrupts::install(None);
    let hearth = Hearth::open_default()?;
    let cancel = Cancellation::new();
    interrupts.watch(cancel.token());
    let document = if args.file == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading the document from stdin")?;
        hearth.read_document_bytes(&bytes, Format::Markdown)?
    } else {
        reading_scans(json, |on_page| {
            hearth.read_document_with(std::path::Path::new(&args.file), on_page, &cancel)
        })?
    };
    let options = SummaryOptions {
        style: args.style.into(),
        length: args.length,
        language: args.lang.as_deref().map(Language::parse).transpose()?,
        max_part_tokens: args.part_tokens,
        parallel: args.parallel,
    };

    let loading = spinner("loading the model", json);
    let bar = job_bar(json);
    let mut on_progress = |event: SummaryProgress| {
        loading.finish_and_clear();
        match event {
            SummaryProgress::Chunked { parts } => {
                bar.set_length(parts as u64);
                bar.set_message(format!("reading {parts} parts"));
            }
            SummaryProgress::Step { level, done, total } => {
                if done == 1 || bar.length() != Some(total as u64) {
                    bar.set_length(total as u64);
                    bar.set_message(match (level, total) {
                        (1, 1) => "writing the summary".to_owned(),
                        (1, _) => "reading parts".to_owned(),
                        (_, 1) => "writing the summary".to_owned(),
                        _ => format!("condensing notes (level {level})"),
                    });
                }
                bar.set_position(done as u64);
            }
        }
    };
    let result = hearth.summarize(
        args.model.model.as_deref(),
        &document,
        &options,
        &mut on_progress,
        &cancel,
    );
    loading.finish_and_clear();
    bar.finish_and_clear();
    interrupts.clear();
    let summary = result?;

    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        write_output(args.output.as_deref(), &format!("{}\n", summary.text))?;
        for warning in &summary.warnings {
            eprintln!("warning: {warning}");
        }
        // The grounding check on stderr, so the summary itself stays clean to redirect.
        if let Some(grounding) = summary.grounding.as_ref().filter(|g| g.not_found > 0) {
            eprintln!("check: {}:", grounding.summary);
            for point in summary.points.iter().filter(|p| !p.unsupported.is_empty()) {
                eprintln!("  ✗ {}", point.text.trim());
                for finding in &point.unsupported {
                    eprintln!("      {}", finding.reason);
                }
            }
        }
    }
    Ok(exit::OK)
}
