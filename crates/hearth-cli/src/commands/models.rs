//! `hearth models ...`: the model library on the command line.

use std::io::IsTerminal;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use hearth_core::{Hearth, ModelDetails, ModelView, PullSource};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::ModelsCommand;
use crate::exit;

pub fn run(command: ModelsCommand, json: bool) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    match command {
        ModelsCommand::List => {
            let models = hearth.models()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&models)?);
            } else if models.is_empty() {
                eprintln!("No models yet. Run scripts/setup.sh, `hearth models add FILE`, `hearth models scan --add` or `hearth models pull ID`.");
            } else {
                for model in &models {
                    println!("{}", one_line(model));
                }
            }
        }
        ModelsCommand::Compare => {
            let choices = hearth.model_choices()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&choices)?);
            } else {
                print_choices(&choices);
            }
        }
        ModelsCommand::Add {
            path,
            id,
            copy,
            default,
        } => {
            let model = hearth.add_model(&path, id.as_deref(), copy, default)?;
            print_model(&model, json, "added")?;
        }
        ModelsCommand::Convert { dir, id } => {
            let model = hearth.convert_model(&dir, id.as_deref())?;
            print_model(&model, json, "converted")?;
        }
        ModelsCommand::Scan { add } => {
            let report = hearth.scan_models();
            let added = if add {
                hearth.add_scanned_models(&report)?
            } else {
                Vec::new()
            };
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "found": report.models, "skipped": report.skipped, "added": added })
                );
            } else {
                if report.models.is_empty() {
                    eprintln!("No models found in the Hugging Face cache, LM Studio, Ollama or Jan folders.");
                }
                for found in &report.models {
                    println!(
                        "{:<10} {:<50} {:>9}  {}",
                        found.source.label(),
                        found.name,
                        size(found.size),
                        found.path.display()
                    );
                }
                for skipped in &report.skipped {
                    eprintln!("skipped {}: {}", skipped.path.display(), skipped.reason);
                }
                if add {
                    eprintln!("added {} model(s) to the library", added.len());
                } else if !report.models.is_empty() {
                    eprintln!("(run `hearth models scan --add` to add them; nothing is copied)");
                }
            }
        }
        ModelsCommand::Info { model, ctx_size } => {
            let details = hearth.model_info(model.as_deref(), ctx_size)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&details)?);
            } else {
                print_details(&details);
            }
        }
        ModelsCommand::Pull {
            source: _,
            catalog: true,
            ..
        } => {
            let catalog = hearth.model_catalog()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&catalog.models)?);
            } else {
                for entry in &catalog.models {
                    println!(
                        "{:<22} {:<34} {:>9}  needs ~{:>9}  {}",
                        entry.id,
                        entry.name,
                        size(entry.size_bytes),
                        size(entry.ram_bytes),
                        entry.license
                    );
                }
            }
        }
        ModelsCommand::Pull {
            source, default, ..
        } => {
            let source = PullSource::parse(source.as_deref().unwrap_or_default());
            let bar = download_bar(json);
            let cancel = Arc::new(AtomicBool::new(false));
            let stop = cancel.clone();
            let _ =
                ctrlc::set_handler(move || stop.store(true, std::sync::atomic::Ordering::SeqCst));
            let result = hearth.pull_model(&source, &cancel, |p| {
                if let Some(total) = p.total {
                    bar.set_length(total);
                }
                bar.set_position(p.downloaded);
            });
            bar.finish_and_clear();
            let model = result?;
            if default {
                hearth.set_default_model(&model.id)?;
            }
            print_model(&model, json, "downloaded")?;
        }
        ModelsCommand::Setup => return setup(&hearth, json),
        ModelsCommand::Rm { model, delete } => {
            let removed = hearth.remove_model(&model, delete)?;
            print_model(&removed, json, "removed")?;
        }
        ModelsCommand::Default { model: Some(model) } => {
            hearth.set_default_model(&model)?;
            let current = hearth.models()?.into_iter().find(|m| m.is_default);
            match current {
                Some(m) => print_model(&m, json, "default")?,
                None => eprintln!("default set to {model}"),
            }
        }
        ModelsCommand::Default { model: None } => {
            match hearth.models()?.into_iter().find(|m| m.is_default) {
                Some(m) => print_model(&m, json, "default")?,
                None => {
                    if json {
                        println!("null");
                    } else {
                        eprintln!("No default model; set one with `hearth models default ID`.");
                    }
                }
            }
        }
    }
    Ok(exit::OK)
}

/// `hearth models setup`: the recommended model as the default, or the current default
/// kept with the reason and the command that tries again.
fn setup(hearth: &Hearth, json: bool) -> anyhow::Result<i32> {
    let again = format!("{} models setup", invoked_as());
    if !json {
        eprintln!("Looking for the model recommended for this computer...");
    }
    let bar = download_bar(json);
    let cancel = Arc::new(AtomicBool::new(false));
    let stop = cancel.clone();
    let _ = ctrlc::set_handler(move || stop.store(true, std::sync::atomic::Ordering::SeqCst));
    let mut announced = false;
    let result = hearth.install_recommended_model(&cancel, |entry, p| {
        if !announced && !json {
            announced = true;
            bar.suspend(|| {
                eprintln!(
                    "Downloading {} ({}, {}) from Hugging Face. Ctrl-C stops it; `{again}` \
                     resumes where it stopped.",
                    entry.name,
                    entry.id,
                    size(entry.size_bytes)
                )
            });
        }
        if let Some(total) = p.total {
            bar.set_length(total);
        }
        bar.set_position(p.downloaded);
    });
    bar.finish_and_clear();
    let setup = match result {
        Ok(setup) => setup,
        Err(error) => {
            if error.code() == "CANCELLED" {
                eprintln!(
                    "Stopped. The default model is unchanged; what was downloaded is kept, \
                     and `{again}` resumes it."
                );
            }
            return Err(error.into());
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&setup)?);
    } else {
        println!("{}", setup_paragraph(&setup, &again));
    }
    // Without any default model nothing can answer yet; a script must not go on as if.
    Ok(if setup.default.is_some() {
        exit::OK
    } else {
        exit::MODEL_MISSING
    })
}

/// Models with fewer parameters than this are toys: fine for trying Hearth out, wrong
/// on facts, unable to translate.
const TINY_PARAMETERS: u64 = 300_000_000;

/// One paragraph: which model the user has now, why, where it is, and how to change it.
fn setup_paragraph(setup: &hearth_core::RecommendedSetup, again: &str) -> String {
    use hearth_core::SetupOutcome;
    // The library id and the size from the file's header: true whatever the file is
    // called inside (SmolLM2's from PyPI calls itself "Smollm2 135M 8k Lc100K ...").
    let name_of = |m: &ModelView| match &m.summary {
        Some(s) if s.parameter_count > 0 => {
            format!("{} ({} parameters)", m.id, params(s.parameter_count))
        }
        _ => m.id.clone(),
    };
    let why = setup
        .recommendation
        .as_ref()
        .map(|r| r.reason.clone())
        .unwrap_or_default();
    let good_at = setup
        .entry
        .as_ref()
        .map(|e| {
            format!(
                " The catalog describes it as: {}. License: {} (read the model's page before \
                 commercial use).",
                e.description, e.license
            )
        })
        .unwrap_or_default();
    let switch_back = |model: &ModelView| match &setup.previous_default {
        Some(previous) if previous.id != model.id => format!(
            " To switch back to {}: {} models default {}",
            name_of(previous),
            invoked_as(),
            previous.id
        ),
        _ => format!(
            " To use another model: {0} models list, then {0} models default ID",
            invoked_as()
        ),
    };
    let stored = setup
        .default
        .as_ref()
        .map(|m| format!(" It is stored at {}.{}", m.path.display(), switch_back(m)))
        .unwrap_or_default();
    let recommended = setup
        .entry
        .as_ref()
        .map(|e| format!("{} ({})", e.name, e.id))
        .unwrap_or_default();
    let kept = match &setup.default {
        Some(model)
            if model
                .summary
                .as_ref()
                .is_some_and(|s| s.parameter_count < TINY_PARAMETERS) =>
        {
            format!(
                "Your default model stays {}, a tiny model for trying Hearth out: it answers \
                 quickly but often gets facts wrong and cannot translate well.",
                name_of(model)
            )
        }
        Some(model) => format!("Your default model stays {}.", name_of(model)),
        None => format!(
            "There is no default model yet: add a GGUF file with `{} models add FILE \
             --default` (scripts/fetch-models.sh smollm2 fetches a tiny one).",
            invoked_as()
        ),
    };
    match &setup.outcome {
        SetupOutcome::Installed => format!(
            "Your default model is now {recommended}, downloaded from {} and SHA-256 \
             checked: the model recommended for this computer. {why}{good_at}{stored}",
            setup.hub
        ),
        SetupOutcome::AlreadyInstalled => format!(
            "Your default model is {recommended}, downloaded earlier (nothing was fetched \
             now): the model recommended for this computer. {why}{good_at}{stored}"
        ),
        SetupOutcome::NoRecommendation => {
            let memory = setup.total_memory.map_or_else(
                || "this computer's memory is unknown".to_owned(),
                |m| {
                    format!(
                        "this computer has {:.1} GB of memory",
                        m as f64 / (1u64 << 30) as f64
                    )
                },
            );
            format!(
                "No model from the catalog was installed: {memory}, and a recommended model \
                 may use at most half of it. {kept} Pick one yourself with `{} models pull \
                 --catalog`.",
                invoked_as()
            )
        }
        SetupOutcome::HubUnreachable { reason, .. } => format!(
            "A better model was not reachable: the Hugging Face hub at {} did not answer, so \
             {recommended}, the model recommended for this computer, was not installed. \
             {why} {kept} To get the recommended model later, run: {again}\n  (details: \
             {reason})",
            setup.hub
        ),
        SetupOutcome::DownloadFailed { code, reason } => format!(
            "The model recommended for this computer, {recommended}, was not installed: its \
             download from {} failed ({code}), and nothing of it was made the default. {why} \
             {kept} To try again later, run: {again}\n  (details: {reason})",
            setup.hub
        ),
    }
}

/// How this program was started, for commands to copy: the path typed
/// (`target/release/hearth`) when it was run by path, else `hearth`.
fn invoked_as() -> String {
    let typed = std::env::args_os()
        .next()
        .and_then(|a| a.into_string().ok())
        .filter(|a| a.contains(std::path::MAIN_SEPARATOR));
    match typed {
        Some(path)
            if path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c)) =>
        {
            path
        }
        // Quoted for a POSIX shell; a path with a quote in it is not worth the trouble.
        Some(path) if !path.contains('\'') && !path.chars().any(char::is_control) => {
            format!("'{path}'")
        }
        _ => "hearth".to_owned(),
    }
}

fn download_bar(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    let style =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

fn print_model(model: &ModelView, json: bool, verb: &str) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(model)?);
    } else {
        eprintln!("{verb}:");
        println!("{}", one_line(model));
    }
    Ok(())
}

fn one_line(model: &ModelView) -> String {
    let mark = if model.is_default { "*" } else { " " };
    match (&model.summary, &model.problem) {
        (Some(s), _) => format!(
            "{mark} {:<32} {:<10} {:>8} params  {:<7} ctx {:>6}  {:>9}  {}",
            model.id,
            s.architecture.as_deref().unwrap_or("?"),
            params(s.parameter_count),
            s.quantization,
            s.context_length
                .map(|c| c.to_string())
                .unwrap_or_else(|| "?".into()),
            size(s.file_size),
            model.path.display()
        ),
        (None, problem) => format!(
            "{mark} {:<32} unusable: {}",
            model.id,
            problem.as_deref().unwrap_or("unknown")
        ),
    }
}

fn print_details(details: &ModelDetails) {
    let model = &details.model;
    println!("id:            {}", model.id);
    println!("path:          {}", model.path.display());
    if let Some(s) = &model.summary {
        println!("name:          {}", s.name.as_deref().unwrap_or("-"));
        println!(
            "architecture:  {}",
            s.architecture.as_deref().unwrap_or("-")
        );
        println!(
            "parameters:    {} ({})",
            params(s.parameter_count),
            s.parameter_count
        );
        println!("quantization:  {}", s.quantization);
        println!(
            "context:       {}",
            s.context_length
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into())
        );
        println!("file size:     {}", size(s.file_size));
        println!(
            "chat template: {}",
            if s.has_chat_template {
                "yes"
            } else {
                "no (a fallback for the architecture is used)"
            }
        );
        println!("license:       {}", s.license.as_deref().unwrap_or("-"));
    }
    let m = &details.memory;
    println!("memory at {} tokens of context:", m.n_ctx);
    println!(
        "  weights {}  + repacked {}  + KV cache {}  + compute {}  + other {}  = {}",
        size(m.weights),
        size(m.repacked_weights),
        size(m.kv_cache),
        size(m.compute),
        size(m.overhead),
        size(m.total)
    );
    match &details.gpu {
        Some(gpu) => {
            let which = if gpu.gpu_layers >= gpu.layers {
                format!("all {} layers", gpu.layers)
            } else {
                format!(
                    "{} of {} layers (the rest on the CPU)",
                    gpu.gpu_layers, gpu.layers
                )
            };
            println!("layers:        {which} on {} ({})", gpu.device, gpu.backend);
            println!(
                "  GPU memory: {} needed, {} free  ->  {:?}",
                size(gpu.vram_needed),
                size(gpu.vram_free),
                gpu.vram_verdict
            );
        }
        None => println!("layers:        all on the CPU (no GPU found, or gpu_layers is off)"),
    }
    let part = if details.gpu.is_some() {
        "  computer's memory, for the rest:"
    } else {
        " "
    };
    match (details.available_memory, details.verdict) {
        (Some(available), Some(verdict)) => {
            println!(
                "{part} available now: {}  ->  {:?}",
                size(available),
                verdict
            )
        }
        _ => println!("  available memory unknown on this system"),
    }
}

fn size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.0} kB", b / 1e3)
    }
}

fn params(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.1}B", n / 1e9)
    } else {
        format!("{:.0}M", n / 1e6)
    }
}

/// The comparison as a table, then the recommendation.
fn print_choices(choices: &hearth_core::choice::ModelChoices) {
    let gb = |b: Option<u64>| b.map_or("-".into(), |b| format!("{:.2} GB", b as f64 / 1e9));
    println!(
        "{:<28} {:<22} {:>9} {:>9} {:>9} {:>8} {:<14} COST /1K IN, OUT",
        "MODEL", "RUNS", "SIZE", "MEMORY", "SPEED", "CONTEXT", "LICENSE"
    );
    for m in &choices.models {
        let runs = match &m.provider {
            Some(p) => format!("remote: {p} (text leaves)"),
            None if m.embedding => "here (embeddings)".into(),
            None => "on this computer".into(),
        };
        let speed = m.speed.as_ref().map_or("not yet".into(), |s| {
            format!("{:.1} t/s", s.generation_tokens_per_second)
        });
        let cost = match (m.input_cost_per_1k, m.output_cost_per_1k) {
            (Some(i), Some(o)) => format!("{i} / {o}"),
            (None, None) if m.provider.is_none() => "free".into(),
            _ => "not set".into(),
        };
        println!(
            "{:<28} {:<22} {:>9} {:>9} {:>9} {:>8} {:<14} {}{}",
            format!("{}{}", m.id, if m.is_default { " *" } else { "" }),
            runs,
            gb(m.size_bytes),
            gb(m.memory_bytes),
            speed,
            m.context_length.map_or("-".into(), |c| c.to_string()),
            m.license.as_deref().unwrap_or("-"),
            cost,
            if m.fits == Some(hearth_core::choice::Verdict::WillNotFit) {
                "  (does not fit in free memory)"
            } else {
                ""
            }
        );
    }
    if let Some(r) = &choices.recommendation {
        println!(
            "\nRecommended for this computer: {} ({}){}\n{}",
            r.name,
            r.catalog_id,
            if r.installed { ", installed" } else { "" },
            r.reason
        );
        if !r.installed {
            println!("Get it with: hearth models pull {}", r.catalog_id);
        }
    }
}
