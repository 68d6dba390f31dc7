//! `hearth bench`: prints the speed table (and ratios to llama-bench when given).

use hearth_core::bench::{self, BenchSettings, IN_PROCESS, LLAMA_BENCH, WORKER};
use hearth_core::Hearth;

use super::spinner;
use crate::args::BenchArgs;
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
    let bar = spinner("benchmarking", json);
    let report = bench::run(&settings, |step| bar.set_message(step.to_owned()));
    bar.finish_and_clear();
    let report = report?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(exit::OK);
    }
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
