//! `hearth bench`: prompt processing and generation speed through Hearth's own engine,
//! measured the way llama.cpp's llama-bench measures them (ppN: N tokens in one
//! batch; tgN: N tokens one decode at a time), with llama-bench run side by side on
//! the same model when its path is given, so the figures are ratios, not guesses.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use hearth_llm::{
    prepare_request, Engine, EngineSettings, GenerationOptions, GpuLayers, LlamaEngine, Placement,
    Prompt, WorkerEngine, WorkerSettings,
};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

pub mod llama_server;
pub mod tasks;

#[derive(Debug, Clone)]
pub struct BenchSettings {
    pub model: PathBuf,
    pub prompt_tokens: u32,
    pub gen_tokens: u32,
    pub repetitions: u32,
    /// Rounds of every runner in turn; the report gives the median round.
    pub rounds: u32,
    pub threads: u32,
    /// Also measure through a worker process started as `program args...`.
    pub worker: Option<(PathBuf, Vec<String>)>,
    pub llama_bench: Option<PathBuf>,
    /// Layers on the GPU; llama-bench is given the count Hearth placed (`-ngl`).
    pub gpu_layers: GpuLayers,
    pub gpu_device: Option<String>,
}

/// One line of the result table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchRow {
    pub runner: String,
    pub test: String,
    pub tokens_per_second: f64,
    pub stddev: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub model: String,
    pub cpu_backend: String,
    pub threads: u32,
    pub load_ms: f64,
    pub peak_rss_bytes: Option<u64>,
    /// Where the layers ran: "CPU", or the GPU and how many layers.
    #[serde(default)]
    pub placement: String,
    pub rows: Vec<BenchRow>,
}

impl BenchReport {
    /// `runner`'s speed on `test` divided by llama-bench's, when both were measured.
    pub fn ratio(&self, runner: &str, test: &str) -> Option<f64> {
        let find = |r: &str| {
            self.rows
                .iter()
                .find(|row| row.runner == r && row.test == test)
        };
        Some(find(runner)?.tokens_per_second / find(LLAMA_BENCH)?.tokens_per_second)
    }
}

pub const IN_PROCESS: &str = "hearth";
pub const WORKER: &str = "hearth worker";
pub const LLAMA_BENCH: &str = "llama-bench";

pub fn run(settings: &BenchSettings, mut progress: impl FnMut(&str)) -> Result<BenchReport> {
    let engine_settings = EngineSettings {
        context_length: settings.prompt_tokens + settings.gen_tokens + 16,
        parallel: 1,
        batch_size: settings.prompt_tokens.clamp(32, 512),
        threads: Some(settings.threads),
        gpu_layers: settings.gpu_layers,
        gpu_device: settings.gpu_device.clone(),
        ..EngineSettings::default()
    };
    progress("loading the model in this process");
    let started = Instant::now();
    let engine = LlamaEngine::load(&settings.model, &engine_settings)?;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let info = engine.info();
    // llama-bench gets the layers Hearth placed, so both run the same split.
    let placement = info.placement.clone().unwrap_or_else(|| Placement::cpu(0));
    let worker = match &settings.worker {
        Some((program, args)) => {
            progress("starting the worker process");
            Some(WorkerEngine::start(WorkerSettings {
                program: program.clone(),
                args: args.iter().map(Into::into).collect(),
                model: settings.model.clone(),
                engine: engine_settings.clone(),
            })?)
        }
        None => None,
    };
    let mut runners: Vec<(&str, &dyn Engine)> = vec![(IN_PROCESS, &engine)];
    if let Some(worker) = &worker {
        runners.push((WORKER, worker));
    }
    for (name, engine) in &runners {
        progress(&format!("{name}: warming up"));
        measure_once(*engine, settings)?;
    }
    // Rounds alternate the runners, so a noisy minute on a shared machine hits them
    // all alike; each figure is the median of the per-round means.
    let mut samples: Vec<(String, String, Vec<f64>)> = Vec::new();
    let mut record = |runner: &str, test: String, value: f64| match samples
        .iter_mut()
        .find(|(r, t, _)| r == runner && *t == test)
    {
        Some((_, _, values)) => values.push(value),
        None => samples.push((runner.to_owned(), test, vec![value])),
    };
    for round in 1..=settings.rounds.max(1) {
        for (name, engine) in &runners {
            progress(&format!("round {round}: {name}"));
            for row in measure(*engine, name, settings)? {
                record(name, row.test, row.tokens_per_second);
            }
        }
        if let Some(llama_bench) = &settings.llama_bench {
            progress(&format!("round {round}: llama-bench"));
            for row in run_llama_bench(llama_bench, settings, placement.gpu_layers)? {
                record(LLAMA_BENCH, row.test, row.tokens_per_second);
            }
        }
    }
    let rows = samples
        .into_iter()
        .map(|(runner, test, values)| median_row(&runner, test, &values))
        .collect();
    Ok(BenchReport {
        model: info.name,
        cpu_backend: info.cpu_backend,
        threads: settings.threads,
        load_ms,
        peak_rss_bytes: peak_rss(None),
        placement: placement.summary(),
        rows,
    })
}

fn measure_once(engine: &dyn Engine, settings: &BenchSettings) -> Result<()> {
    let once = BenchSettings {
        repetitions: 1,
        ..settings.clone()
    };
    measure(engine, "warm-up", &once).map(|_| ())
}

/// The median of the round means, with the spread of those means.
fn median_row(runner: &str, test: String, values: &[f64]) -> BenchRow {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    BenchRow {
        stddev: row(runner, test.clone(), values).stddev,
        tokens_per_second: median,
        runner: runner.to_owned(),
        test,
    }
}

/// One mean per test over `repetitions` runs.
fn measure(engine: &dyn Engine, runner: &str, settings: &BenchSettings) -> Result<Vec<BenchRow>> {
    let vocab = engine.info().vocab_size.max(2);
    // Like llama-bench: arbitrary tokens, since speed does not depend on meaning. Each
    // run's prompt starts with another token, so no run finds the last one's tokens in
    // the engine's prefix cache: every prompt token is evaluated, as llama-bench does.
    let prompt_for = |run: u32| -> Vec<u32> {
        (0..settings.prompt_tokens)
            .map(|i| 1 + ((i + run * 104_729) * 7919) % (vocab - 1))
            .collect()
    };
    let runs = std::cell::Cell::new(0u32);
    let pp_once = || -> Result<f64> {
        let options = GenerationOptions {
            max_tokens: Some(1),
            ..GenerationOptions::greedy()
        };
        runs.set(runs.get() + 1);
        let completion = engine
            .submit(prepare_request(
                Prompt::Tokens(prompt_for(runs.get())),
                options,
            )?)?
            .wait()?;
        // The figure is only what it says if every token was evaluated.
        if completion.cached_tokens > 0
            || completion.prompt_tokens != settings.prompt_tokens as usize
        {
            return Err(CoreError::Bench {
                reason: format!(
                    "the prompt-processing run evaluated {} of {} tokens ({} came from the cache); the figure would not be prompt processing",
                    completion.prompt_tokens.saturating_sub(completion.cached_tokens),
                    settings.prompt_tokens,
                    completion.cached_tokens
                ),
            });
        }
        Ok(settings.prompt_tokens as f64 * 1000.0 / completion.prompt_ms)
    };
    let tg_once = || -> Result<f64> {
        // One decode per token, as llama-bench's tg: no guessing ahead, which on the
        // loops a one-token prompt falls into would hold and inflate the figure.
        let options = GenerationOptions {
            max_tokens: Some(settings.gen_tokens + 1),
            ignore_eos: true,
            speculative: Some(false),
            ..GenerationOptions::greedy()
        };
        let completion = engine
            .submit(prepare_request(Prompt::Tokens(vec![1]), options)?)?
            .wait()?;
        if completion.drafted_tokens > 0 {
            return Err(CoreError::Bench {
                reason: format!(
                    "the generation run guessed {} tokens ahead; the figure would not be one decode per token",
                    completion.drafted_tokens
                ),
            });
        }
        Ok(completion.tokens_per_second())
    };
    let mut rows = Vec::new();
    if settings.prompt_tokens > 0 {
        let samples = (0..settings.repetitions)
            .map(|_| pp_once())
            .collect::<Result<Vec<_>>>()?;
        rows.push(row(
            runner,
            format!("pp{}", settings.prompt_tokens),
            &samples,
        ));
    }
    if settings.gen_tokens > 0 {
        let samples = (0..settings.repetitions)
            .map(|_| tg_once())
            .collect::<Result<Vec<_>>>()?;
        rows.push(row(runner, format!("tg{}", settings.gen_tokens), &samples));
    }
    Ok(rows)
}

fn row(runner: &str, test: String, samples: &[f64]) -> BenchRow {
    let n = samples.len().max(1) as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let var = samples.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    BenchRow {
        runner: runner.to_owned(),
        test,
        tokens_per_second: mean,
        stddev: var.sqrt(),
    }
}

#[derive(Deserialize)]
struct LlamaBenchResult {
    n_prompt: u32,
    n_gen: u32,
    avg_ts: f64,
    stddev_ts: f64,
}

fn run_llama_bench(
    program: &Path,
    settings: &BenchSettings,
    gpu_layers: u32,
) -> Result<Vec<BenchRow>> {
    let output = Command::new(program)
        .arg("-m")
        .arg(&settings.model)
        .args([
            "-p",
            &settings.prompt_tokens.to_string(),
            "-n",
            &settings.gen_tokens.to_string(),
        ])
        .args([
            "-t",
            &settings.threads.to_string(),
            "-r",
            &settings.repetitions.to_string(),
            "-ngl",
            &gpu_layers.to_string(),
            "-o",
            "json",
        ])
        .output()
        .map_err(|source| CoreError::Io {
            what: format!("running {}", program.display()),
            source,
        })?;
    if !output.status.success() {
        return Err(CoreError::Bench {
            reason: format!(
                "{} failed: {}",
                program.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    let results: Vec<LlamaBenchResult> =
        serde_json::from_slice(&output.stdout).map_err(|e| CoreError::Bench {
            reason: format!("cannot read llama-bench's JSON output: {e}"),
        })?;
    Ok(results
        .into_iter()
        .map(|r| {
            let test = if r.n_gen == 0 {
                format!("pp{}", r.n_prompt)
            } else {
                format!("tg{}", r.n_gen)
            };
            BenchRow {
                runner: LLAMA_BENCH.into(),
                test,
                tokens_per_second: r.avg_ts,
                stddev: r.stddev_ts,
            }
        })
        .collect())
}

/// Peak resident memory (VmHWM) of this process or of `pid`, on Linux.
pub fn peak_rss(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_owned(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_divides_by_llama_bench() {
        let report = BenchReport {
            model: "m".into(),
            cpu_backend: "x".into(),
            threads: 2,
            load_ms: 1.0,
            peak_rss_bytes: None,
            placement: "CPU".into(),
            rows: vec![
                BenchRow {
                    runner: IN_PROCESS.into(),
                    test: "tg128".into(),
                    tokens_per_second: 95.0,
                    stddev: 0.0,
                },
                BenchRow {
                    runner: LLAMA_BENCH.into(),
                    test: "tg128".into(),
                    tokens_per_second: 100.0,
                    stddev: 0.0,
                },
            ],
        };
        assert_eq!(report.ratio(IN_PROCESS, "tg128"), Some(0.95));
        assert_eq!(report.ratio(IN_PROCESS, "pp512"), None);
    }

    #[test]
    fn median_of_rounds() {
        assert_eq!(
            median_row("r", "t".into(), &[3.0, 1.0, 2.0]).tokens_per_second,
            2.0
        );
        assert_eq!(
            median_row("r", "t".into(), &[4.0, 1.0, 2.0, 3.0]).tokens_per_second,
            2.5
        );
    }

    #[test]
    fn row_statistics() {
        let r = row("r", "t".into(), &[1.0, 2.0, 3.0]);
        assert_eq!(r.tokens_per_second, 2.0);
        assert_eq!(r.stddev, 1.0);
    }

    #[test]
    fn peak_rss_is_readable_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_rss(None).unwrap() > 1024 * 1024);
        }
    }
}
