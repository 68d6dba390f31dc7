//! `hearth bench`: prints the speed table (and ratios to llama-bench when given).

use hearth_core::bench::tasks::{self, Task, TaskBenchSettings, HEARTH, HEARTH_PLAIN};
use hearth_core::bench::{self, BenchSettings, IN_PROCESS, LLAMA_BENCH, WORKER};
use hearth_core::Hearth;

use super::spinner;
use crate::args::{BenchArgs, TaskChoice};
use crate::exit;

pub fn run(args: BenchArgs, json: bool) -> anyhow::Result<i32> {
    if args.print_cpu_variant {
        let best = hearth_llm::cpu::supported_variants()
            .first()
            .copied()
            .unwrap_or("none");
        println!("{best}");
        return Ok(exit::OK);
    }
    let hearth = Hearth::open_default()?;
    let model = hearth.resolve_model(args.model.model.as_deref())?;
    let config = hearth.config();
    if !args.task.is_empty() {
        return run_tasks(&args, model, config.gpu_choice(), json);
    }
    let worker = if args.worker {
        Some((std::env::current_exe()?, vec!["worker".to_owned()]))
    } else {
        None
    };
    let settings = BenchSettings {
        model,
        prompt_tokens: args.prompt_tokens,
        gen_tokens: args.gen_tokens,
        repetitions: args.repetitions.max(1),
        rounds: args.rounds.max(1),
        threads: args.threads.unwrap_or_else(hearth_llm::default_threads),
        worker,
        llama_bench: args.llama_bench.clone(),
        // `hearth --gpu-layers N bench` (or the settings): the same split for both.
        gpu_layers: config.gpu_choice().0,
        gpu_device: config.gpu_choice().1,
    };
    let Some(report) = measure("benchmarking", json, |step| bench::run(&settings, step))? else {
        return Ok(exit::OK);
    };
    println!(
        "model: {}   cpu backend: {}   threads: {}   layers: {}",
        report.model, report.cpu_backend, report.threads, report.placement
    );
    println!(
        "load: {:.0} ms   peak RSS (in-process run): {}",
        report.load_ms,
        report
            .peak_rss_bytes
            .map(|b| format!("{:.1} MiB", b as f64 / 1048576.0))
            .unwrap_or_else(|| "n/a".into())
    );
    println!();
    println!("| runner        | test   |  t/s (median round) | ± stddev | vs llama-bench |");
    println!("|---------------|--------|--------------------:|---------:|---------------:|");
    for row in &report.rows {
        let ratio = match row.runner.as_str() {
            IN_PROCESS | WORKER => report
                .ratio(&row.runner, &row.test)
                .map(|r| format!("{r:.3}x")),
            LLAMA_BENCH => Some("1.000x".into()),
            _ => None,
        };
        println!(
            "| {:<13} | {:<6} | {:>19.2} | {:>8.2} | {:>14} |",
            row.runner,
            row.test,
            row.tokens_per_second,
            row.stddev,
            ratio.unwrap_or_else(|| "-".into())
        );
    }
    Ok(exit::OK)
}

/// `hearth bench --task`: the document-work table.
fn run_tasks(
    args: &BenchArgs,
    model: std::path::PathBuf,
    gpu: (hearth_llm::GpuLayers, Option<String>),
    json: bool,
) -> anyhow::Result<i32> {
    let Some(document) = args.document.clone() else {
        anyhow::bail!(
            "--task needs --document FILE: the document whose passages the tasks work on"
        );
    };
    let mut chosen: Vec<Task> = Vec::new();
    for choice in &args.task {
        let add: Vec<Task> = match choice {
            TaskChoice::All => Task::ALL.to_vec(),
            TaskChoice::One(task) => vec![*task],
        };
        for task in add {
            if !chosen.contains(&task) {
                chosen.push(task);
            }
        }
    }
    let server_speculative = if args.server_spec.is_empty() {
        vec![
            vec!["--spec-type".to_owned(), "ngram-mod".to_owned()],
            vec!["--spec-type".to_owned(), "ngram-simple".to_owned()],
        ]
    } else {
        args.server_spec
            .iter()
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .collect()
    };
    let settings = TaskBenchSettings {
        model,
        document,
        tasks: chosen,
        passages: args.passages.max(1),
        threads: args.threads.unwrap_or_else(hearth_llm::default_threads),
        max_tokens: args.max_tokens,
        llama_server: args.llama_server.clone(),
        server_speculative,
        draft_model: args.draft_model.clone(),
        gpu_layers: gpu.0,
        gpu_device: gpu.1,
    };
    let Some(report) = measure("benchmarking document work", json, |step| {
        tasks::run(&settings, step)
    })?
    else {
        return Ok(exit::OK);
    };
    println!(
        "model: {}   threads: {}   layers: {}\ndocument: {}",
        report.model, report.threads, report.placement, report.document
    );
    println!();
    println!("| task      | runner                                | answers | tokens | answer t/s | whole answer ms | guessed held | same text | vs no guessing |");
    println!("|-----------|---------------------------------------|--------:|-------:|-----------:|----------------:|-------------:|----------:|---------------:|");
    for row in &report.rows {
        let held = if row.drafted > 0 {
            format!("{}/{}", row.accepted, row.drafted)
        } else {
            "-".into()
        };
        let speedup = report
            .speedup(&row.task, &row.runner, HEARTH_PLAIN)
            .map(|s| format!("{s:.2}x"))
            .unwrap_or_else(|| "-".into());
        println!(
            "| {:<9} | {:<37} | {:>7} | {:>6.0} | {:>10.1} | {:>15.0} | {:>12} | {:>9} | {:>14} |",
            row.task,
            row.runner,
            row.answers,
            row.answer_tokens,
            row.answer_tokens_per_second,
            row.whole_answer_ms,
            held,
            format!("{}/{}", row.same_as_plain, row.answers),
            speedup
        );
    }
    println!();
    println!("Speculative Hearth over the best llama-server setting, whole answer:");
    for task in report
        .rows
        .iter()
        .map(|r| r.task.clone())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let best = report
            .rows
            .iter()
            .filter(|r| r.task == task && r.runner.starts_with("llama-server"))
            .min_by(|a, b| a.whole_answer_ms.total_cmp(&b.whole_answer_ms));
        if let Some(best) = best {
            if let Some(ratio) = report.speedup(&task, HEARTH, &best.runner) {
                println!("  {task}: {ratio:.2}x ({})", best.runner);
            }
        }
    }
    Ok(exit::OK)
}

/// Runs a benchmark behind a spinner that shows its steps. With `--json` the report is
/// printed as JSON and `None` returned; otherwise the caller prints its table.
fn measure<R: serde::Serialize>(
    label: &str,
    json: bool,
    run: impl FnOnce(&mut dyn FnMut(&str)) -> hearth_core::Result<R>,
) -> anyhow::Result<Option<R>> {
    let bar = spinner(label, json);
    let report = run(&mut |step: &str| bar.set_message(step.to_owned()));
    bar.finish_and_clear();
    let report = report?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(None);
    }
    Ok(Some(report))
}
