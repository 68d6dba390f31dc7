//! `hearth workflow ...`: list, show, save and delete workflows; run one on a text, a
//! file or a folder with a progress bar and the results table written as CSV or JSON
//! Lines; read past runs back.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use hearth_core::documents::Cancellation;
use hearth_core::tabular::{table_string, TableFormat};
use hearth_core::workflows::{run_table, Workflow, WorkflowInput, WorkflowProgress};
use hearth_core::Hearth;
use hearth_store::{RunState, WorkflowRun};

use super::{job_bar, spinner, write_output};
use crate::args::{WorkflowCommand, WorkflowRunArgs};
use crate::exit;
use crate::interrupt::Interrupts;

pub fn run(command: WorkflowCommand, json: bool) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    match command {
        WorkflowCommand::Ls => {
            let workflows = hearth.workflows()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&workflows)?);
                return Ok(exit::OK);
            }
            for view in workflows {
                let steps: Vec<String> = view.workflow.steps.iter().map(|s| s.title()).collect();
                println!(
                    "{:<28} {:<9} {}  [{}]",
                    view.workflow.name,
                    if view.builtin { "built-in" } else { "saved" },
                    view.workflow.description,
                    steps.join(" → ")
                );
            }
        }
        WorkflowCommand::Show { workflow } => {
            let workflow = hearth.workflow(&workflow)?;
            if json {
                println!("{}", workflow.to_json());
            } else {
                print!("{}", workflow.to_toml()?);
            }
        }
        WorkflowCommand::Save { file } => {
            let workflow = Workflow::from_file(&file)?;
            hearth.save_workflow(&workflow)?;
            if json {
                println!("{}", workflow.to_json());
            } else {
                eprintln!(
                    "Saved workflow `{}` ({} steps).",
                    workflow.name,
                    workflow.steps.len()
                );
            }
        }
        WorkflowCommand::Rm { name } => {
            hearth.delete_workflow(&name)?;
            if !json {
                eprintln!("Deleted workflow `{name}`.");
            }
        }
        WorkflowCommand::Runs { id: None, .. } => {
            let runs = hearth.workflow_runs(50)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
                return Ok(exit::OK);
            }
            if runs.is_empty() {
                eprintln!("No workflow has run yet.");
            }
            for run in runs {
                println!(
                    "{}  {:<24} {:<11} {} items  {}",
                    run.id,
                    run.workflow,
                    run.state.as_str(),
                    run.results.len(),
                    run.input
                );
            }
        }
        WorkflowCommand::Runs {
            id: Some(id),
            output,
        } => {
            let run = hearth.workflow_run(&id)?;
            print_run(&run, output, json)?;
        }
        WorkflowCommand::Run(args) => return run_workflow(&hearth, args, json),
    }
    Ok(exit::OK)
}

fn run_workflow(hearth: &Hearth, args: WorkflowRunArgs, json: bool) -> anyhow::Result<i32> {
    let interrupts = Interrupts::install(None);
    let workflow = hearth.workflow(&args.workflow)?;
    let input = match (args.text, args.input.as_deref()) {
        (Some(text), _) => WorkflowInput::Text {
            name: "text".into(),
            text,
        },
        (None, Some("-")) => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading the text from stdin")?;
            WorkflowInput::Text {
                name: "stdin".into(),
                text,
            }
        }
        (None, Some(path)) => WorkflowInput::Path(PathBuf::from(path)),
        (None, None) => anyhow::bail!(
            "nothing to run on; give a file or folder, `-` for stdin, or --text \"...\""
        ),
    };
    let cancel = Cancellation::new();
    interrupts.watch(cancel.token());
    let loading = spinner("loading the models", json);
    let bar = job_bar(json);
    let steps = workflow.steps.len();
    let mut names = Vec::new();
    let mut on_progress = |event: WorkflowProgress| match event {
        WorkflowProgress::Started { items, .. } => {
            loading.finish_and_clear();
            bar.set_length((items.len() * steps) as u64);
            names = items;
        }
        WorkflowProgress::Reading { item, done, total } => {
            let name = names.get(item).map(String::as_str).unwrap_or("");
            bar.set_message(format!(
                "{name}: reading scanned page {done} of {total} (OCR)"
            ));
        }
        WorkflowProgress::Step { item, step } => {
            let name = names.get(item).map(String::as_str).unwrap_or("");
            bar.set_message(format!("{name}: {}", workflow.steps[step].title()));
        }
        WorkflowProgress::StepDone { .. } => bar.inc(1),
        WorkflowProgress::ItemDone { item, result } => {
            bar.set_position(((item + 1) * steps) as u64);
            if let Some(error) = &result.error {
                bar.suspend(|| eprintln!("{}: {error}", result.item));
            }
        }
    };
    let result = hearth.run_workflow(&workflow, &[input], &mut on_progress, &cancel);
    loading.finish_and_clear();
    bar.finish_and_clear();
    interrupts.clear();
    let run = result?;
    print_run(&run, args.output, json)?;
    Ok(match run.state {
        RunState::Stopped => exit::INTERRUPTED,
        _ if run
            .results
            .iter()
            .any(|r| r.get("error").is_some_and(|e| !e.is_null())) =>
        {
            exit::ERROR
        }
        _ => exit::OK,
    })
}

/// The results: to a file as CSV/JSONL, as JSON with --json, else each item's outputs.
fn print_run(run: &WorkflowRun, output: Option<PathBuf>, json: bool) -> anyhow::Result<()> {
    let (columns, rows) = run_table(run);
    if let Some(path) = output {
        let format = TableFormat::for_name(&path.to_string_lossy());
        write_output(Some(&path), &table_string(&rows, Some(&columns), format)?)?;
        if !json {
            eprintln!(
                "{} results written to {} (run {}).",
                rows.len(),
                path.display(),
                run.id
            );
        }
        return Ok(());
    }
    if json {
        println!("{}", serde_json::to_string_pretty(run)?);
        return Ok(());
    }
    for row in &rows {
        println!("## {}", row["item"].as_str().unwrap_or_default());
        for column in &columns[1..columns.len() - 1] {
            match row.get(column) {
                Some(serde_json::Value::String(text)) => println!("\n### {column}\n{text}"),
                Some(value) => println!("\n### {column}\n{value}"),
                None => {}
            }
        }
        if let Some(error) = row.get("error").and_then(|e| e.as_str()) {
            println!("\nerror: {error}");
        }
        println!();
    }
    if run.state == RunState::Stopped {
        eprintln!(
            "Stopped; the items finished before are kept (run {}).",
            run.id
        );
    }
    Ok(())
}
