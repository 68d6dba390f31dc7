//! `hearth run PROMPT`: one answer, streamed to stdout as it is written.

use std::io::Read;

use anyhow::{bail, Context};
use hearth_core::Hearth;
use hearth_llm::{Completion, StopReason};

use super::{apply_sampling, apply_thinking, print_generation, spinner};
use crate::args::RunArgs;
use crate::exit;
use crate::interrupt::Interrupts;

pub fn run(args: RunArgs, json: bool) -> anyhow::Result<i32> {
    let interrupts = Interrupts::install(None);
    let hearth = Hearth::open_default()?;
    let mut system = args.system.clone();
    let prompt = match (&args.template, args.prompt.as_deref()) {
        (Some(name), _) => {
            let values = hearth_core::prompts::parse_variables(&args.vars)?;
            let rendered = hearth.render_prompt(name, &values)?;
            system = system.or(rendered.system);
            rendered.text
        }
        (None, Some("-")) => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading the prompt from stdin")?;
            text
        }
        (None, prompt) => prompt.unwrap_or_default().to_owned(),
    };
    if prompt.trim().is_empty() {
        bail!("the prompt is empty; pass some text, or `-` to read it from stdin");
    }
    let mut options = apply_thinking(
        apply_sampling(hearth.default_options(), &args.sampling),
        &args.thinking,
    );
    if let Some(path) = &args.schema {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the schema {}", path.display()))?;
        let schema = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not valid JSON; a JSON Schema file is expected",
                path.display()
            )
        })?;
        options.json_schema = Some(schema);
    }

    let loading = spinner("loading the model", json);
    let started = hearth.ask_once(
        args.model.model.as_deref(),
        system.as_deref(),
        &prompt,
        options,
    );
    loading.finish_and_clear();
    let (generation, _template) = started?;
    interrupts.watch(generation.cancel_token());

    let completion = print_generation(generation, json, &args.thinking)?;
    interrupts.clear();

    if json {
        let mut value = completion_json(&completion);
        // Which model wrote it: the engine is loaded already, so this is a lookup.
        let info = hearth.engine(args.model.model.as_deref())?.info();
        value["model"] = serde_json::Value::String(info.name);
        value["model_path"] = serde_json::Value::String(info.path.display().to_string());
        value["placement"] = serde_json::to_value(&info.placement)?;
        println!("{}", serde_json::to_string(&value)?);
    }
    if args.stats {
        let info = hearth.engine(args.model.model.as_deref())?.info();
        let placement = info.placement.as_ref();
        eprintln!(
            "{} prompt tokens in {:.0} ms, {} answer tokens at {:.1} tokens/s on {}, stopped: {:?}",
            completion.prompt_tokens,
            completion.prompt_ms,
            completion.completion_tokens,
            completion.tokens_per_second(),
            placement.map_or_else(|| "a remote provider".to_owned(), |p| p.summary()),
            completion.stop_reason
        );
        if let Some(note) = placement.and_then(|p| p.note.as_deref()) {
            eprintln!("note: {note}");
        }
    }
    Ok(if completion.stop_reason == StopReason::Cancelled {
        exit::INTERRUPTED
    } else {
        exit::OK
    })
}

pub fn completion_json(completion: &Completion) -> serde_json::Value {
    serde_json::json!({
        "text": completion.text,
        "reasoning": completion.reasoning,
        "stop_reason": completion.stop_reason,
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "prompt_ms": completion.prompt_ms,
        "generation_ms": completion.generation_ms,
        "tokens_per_second": completion.tokens_per_second(),
    })
}
