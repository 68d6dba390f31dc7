//! `hearth translate FILE|- --to LANG`: a translation that keeps the document's
//! structure, with a glossary check.

use std::io::Read;

use anyhow::Context;
use hearth_core::documents::{
    markdown_to_text, Cancellation, Glossary, Language, TranslateOptions,
};
use hearth_core::{Hearth, TranslationSource};

use super::{job_bar, reading_scans, spinner, write_output};
use crate::args::{TextFormatArg, TranslateArgs};
use crate::exit;
use crate::interrupt::Interrupts;

pub fn run(args: TranslateArgs, json: bool) -> anyhow::Result<i32> {
    let to = Language::parse(&args.to)?;
    let from = args.from.as_deref().map(Language::parse).transpose()?;
    let glossary = match &args.glossary {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the glossary {}", path.display()))?;
            Glossary::parse(&text).with_context(|| format!("in the glossary {}", path.display()))?
        }
        None => Glossary::default(),
    };
    let interrupts = Interrupts::install(None);
    let hearth = Hearth::open_default()?;
    let cancel = Cancellation::new();
    interrupts.watch(cancel.token());
    let source = if args.file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the text from stdin (it must be UTF-8)")?;
        TranslationSource {
            text,
            markdown: true,
            warnings: Vec::new(),
        }
    } else {
        reading_scans(json, |on_page| {
            hearth.read_for_translation(std::path::Path::new(&args.file), on_page, &cancel)
        })?
    };
    let options = TranslateOptions {
        from,
        glossary,
        markdown: source.markdown,
        parallel: args.parallel,
        best_of: usize::from(args.best_of),
        ..TranslateOptions::new(to)
    };

    let loading = spinner("loading the model", json);
    let bar = job_bar(json);
    bar.set_message("translating");
    let result = hearth.translate(
        args.model.model.as_deref(),
        &source.text,
        &options,
        &mut |progress| {
            loading.finish_and_clear();
            bar.set_length(progress.total as u64);
            bar.set_position(progress.done as u64);
        },
        &cancel,
    );
    loading.finish_and_clear();
    bar.finish_and_clear();
    interrupts.clear();
    let translation = result?;

    let status = if translation.not_translated > 0 {
        exit::NOT_TRANSLATED
    } else {
        exit::OK
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&translation)?);
        return Ok(status);
    }
    let text = match args.format {
        Some(TextFormatArg::Text) if source.markdown => markdown_to_text(&translation.text),
        _ => translation.text.clone(),
    };
    write_output(args.output.as_deref(), &text)?;
    if let Some(found) = &translation.detected {
        eprintln!(
            "translated from {} (detected, {:.0}% sure) into {}",
            found.language.name,
            found.confidence * 100.0,
            translation.to.name
        );
    }
    for miss in &translation.glossary_misses {
        eprintln!(
            "glossary: unit {} has `{}` but not its required translation `{}`",
            miss.unit + 1,
            miss.term,
            miss.expected
        );
    }
    for warning in source.warnings.iter().chain(&translation.warnings) {
        eprintln!("warning: {warning}");
    }
    if let Some(grounding) = translation.grounding.as_ref().filter(|g| g.not_found > 0) {
        eprintln!("check: {}:", grounding.summary);
        for (index, unit) in translation.units.iter().enumerate() {
            for finding in &unit.unsupported {
                eprintln!("  unit {}: {}", index + 1, finding.reason);
            }
        }
    }
    for (index, unit) in translation.units.iter().enumerate() {
        if let Some(reason) = &unit.not_translated {
            eprintln!(
                "not translated: unit {} (the model {})",
                index + 1,
                reason.describe(&translation.from)
            );
        }
    }
    if let Some(advice) = &translation.advice {
        eprintln!("advice: {}", advice.message);
        let again = format!(
            "hearth translate {} --to {}",
            args.file, translation.to.code
        );
        match (&advice.model, &advice.pull) {
            (Some(model), _) => eprintln!("  {again} --model {model}"),
            (None, Some(pull)) => {
                eprintln!("  hearth models pull {pull}");
                eprintln!("  {again} --model {pull}");
            }
            (None, None) => {}
        }
    }
    Ok(status)
}
