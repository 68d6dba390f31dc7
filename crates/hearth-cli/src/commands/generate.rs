//! `hearth generate --schema FILE --count N`: records that follow a JSON Schema,
//! validated and de-duplicated, written as JSON Lines or CSV.

use anyhow::Context;
use hearth_core::documents::Cancellation;
use hearth_core::generate::{GenerateProgress, GenerateRequest};
use hearth_core::tabular::{table_string, TableFormat};
use hearth_core::Hearth;

use super::{job_bar, spinner, write_output};
use crate::args::GenerateArgs;
use crate::exit;
use crate::interrupt::Interrupts;

pub fn run(args: GenerateArgs, json: bool) -> anyhow::Result<i32> {
    let interrupts = Interrupts::install(None);
    let hearth = Hearth::open_default()?;
    let text = std::fs::read_to_string(&args.schema)
        .with_context(|| format!("reading the schema {}", args.schema.display()))?;
    let schema = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not valid JSON; a JSON Schema file is expected",
            args.schema.display()
        )
    })?;
    let source = match &args.from {
        Some(path) => Some(hearth.read_document(path)?.to_markdown()),
        None => None,
    };
    let request = GenerateRequest {
        schema,
        count: args.count,
        instructions: args.instructions,
        source,
        seed: args.seed,
        temperature: args.temperature,
        max_tokens: None,
    };
    let cancel = Cancellation::new();
    interrupts.watch(cancel.token());
    let loading = spinner("loading the model", json);
    let bar = job_bar(json);
    bar.set_length(request.count as u64);
    bar.set_message("records");
    let mut on_progress = |p: GenerateProgress| {
        loading.finish_and_clear();
        bar.set_position(p.kept as u64);
    };
    let result = hearth.generate_records(
        args.model.model.as_deref(),
        &request,
        &mut on_progress,
        &cancel,
    );
    loading.finish_and_clear();
    bar.finish_and_clear();
    interrupts.clear();
    let data = result?;
    let format = match &args.output {
        Some(path) => TableFormat::for_name(&path.to_string_lossy()),
        None => TableFormat::for_name(&args.format),
    };
    if json && args.output.is_none() {
        println!("{}", serde_json::to_string_pretty(&data)?);
    } else {
        write_output(
            args.output.as_deref(),
            &table_string(&data.records, None, format)?,
        )?;
    }
    if !json {
        eprintln!(
            "{} records (seed {}; {} tries, {} invalid, {} duplicates dropped).",
            data.records.len(),
            data.seed,
            data.attempts,
            data.invalid,
            data.duplicates
        );
        for warning in &data.warnings {
            eprintln!("warning: {warning}");
        }
    }
    // Ctrl-C keeps the records made before it, and says it stopped.
    Ok(if data.stopped {
        exit::INTERRUPTED
    } else {
        exit::OK
    })
}
