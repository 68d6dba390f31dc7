//! The memory estimate `hearth models info` shows, held against the real thing: the
//! resident memory (VmRSS) of a `hearth worker` process that has loaded a model and
//! processed a full 512-token micro-batch of prompt. The estimate must be within 15%
//! of what the process actually uses, for the default chat model and for Gemma 3.

mod support;

use std::path::Path;

use hearth_gguf::MemoryParams;
use hearth_llm::{
    prepare_request, Engine, EngineSettings, GenerationOptions, Prompt, WorkerEngine,
    WorkerSettings,
};

const BATCH: u32 = 512;
const TOLERANCE: f64 = 0.15;

/// A resident-set figure of `/proc/<pid>/status`, in bytes.
fn proc_status_bytes(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("cannot read {line:?}"));
    kib * 1024
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Loads `model` in a worker with a context of `n_ctx` tokens, runs a 512-token prompt
/// through it, and checks the worker's RSS against the estimate for the same settings.
fn check_estimate(model: &Path, n_ctx: u32) {
    let worker = WorkerEngine::start(WorkerSettings {
        program: support::hearth_bin(),
        args: vec!["worker".into()],
        model: model.to_path_buf(),
        engine: EngineSettings {
            context_length: n_ctx,
            parallel: 1,
            batch_size: BATCH,
            threads: Some(2),
            ..Default::default()
        },
    })
    .expect("the worker starts and loads the model");
    let prompt = Prompt::Tokens((1..=BATCH).collect());
    let options = GenerationOptions {
        max_tokens: Some(1),
        ..GenerationOptions::greedy()
    };
    let completion = worker
        .submit(prepare_request(prompt, options).unwrap())
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(completion.prompt_tokens, BATCH as usize);

    let pid = worker.worker_pid().expect("the worker is running");
    let rss = proc_status_bytes(pid, "VmRSS");
    let peak = proc_status_bytes(pid, "VmHWM");
    let estimate = hearth_gguf::read_header(model)
        .unwrap()
        .memory_estimate(&MemoryParams {
            n_ctx,
            n_batch: BATCH,
            n_ubatch: BATCH,
            ..Default::default()
        });
    let error = (estimate.total as f64 - rss as f64) / rss as f64;
    println!(
        "{} at n_ctx {n_ctx}: worker VmRSS {:.1} MB (peak {:.1} MB), estimate {:.1} MB \
         (weights {:.1} + repacked {:.1} + KV {:.1} + compute {:.1} + other {:.1}), off by {:+.1}%",
        model.file_name().unwrap().to_string_lossy(),
        mb(rss),
        mb(peak),
        mb(estimate.total),
        mb(estimate.weights),
        mb(estimate.repacked_weights),
        mb(estimate.kv_cache),
        mb(estimate.compute),
        mb(estimate.overhead),
        error * 100.0
    );
    assert!(
        error.abs() <= TOLERANCE,
        "the estimate {:.1} MB is {:+.1}% off the measured {:.1} MB (allowed: {:.0}%)",
        mb(estimate.total),
        error * 100.0,
        mb(rss),
        TOLERANCE * 100.0
    );
}

#[test]
fn the_estimate_for_smollm2_at_4096_tokens_matches_the_workers_rss() {
    check_estimate(&support::models::smollm2(), 4096);
}

#[test]
fn the_estimate_for_gemma3_at_8192_tokens_matches_the_workers_rss() {
    check_estimate(&support::models::gemma3(), 8192);
}
