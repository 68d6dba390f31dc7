//! llama.cpp's own server as a runner of the document-work benchmark: started on the
//! same model with the same threads and layers, on a loopback port, asked for the same
//! prompt tokens through its `/completion` endpoint with the prompt cache off, so each
//! answer evaluates its whole prompt as Hearth's runs do. Stopped when dropped.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::error::{CoreError, Result};

/// How long the server may take to load the model before the benchmark gives up.
const READY_WITHIN: Duration = Duration::from_secs(300);

pub struct LlamaServer {
    child: Child,
    base: String,
    agent: ureq::Agent,
    /// The last lines it logged, to say why it stopped; read as it writes, so a full
    /// pipe never blocks it.
    log: Arc<Mutex<VecDeque<String>>>,
}

/// Lines of its log kept.
const LOG_LINES: usize = 8;

/// What one answer took, in llama-server's own figures.
#[derive(Debug, Clone)]
pub struct ServerAnswer {
    pub text: String,
    pub prompt_evaluated: usize,
    pub tokens: usize,
    pub prompt_ms: f64,
    pub generation_ms: f64,
    pub drafted: usize,
    pub accepted: usize,
}

#[derive(Deserialize)]
struct CompletionReply {
    content: String,
    timings: Timings,
}

#[derive(Deserialize)]
struct Timings {
    prompt_n: usize,
    prompt_ms: f64,
    predicted_n: usize,
    predicted_ms: f64,
    #[serde(default)]
    draft_n: usize,
    #[serde(default)]
    draft_n_accepted: usize,
}

fn bench_error(reason: String) -> CoreError {
    CoreError::Bench { reason }
}

impl LlamaServer {
    /// Starts `program` on `model` with `extra` arguments (a speculative setting), and
    /// waits until it answers `/health`.
    pub fn start(
        program: &Path,
        model: &Path,
        threads: u32,
        context: u32,
        gpu_layers: u32,
        extra: &[String],
    ) -> Result<Self> {
        // A free loopback port: bound, read, released for the server to take.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|source| CoreError::Io {
                what: "finding a free port for llama-server".into(),
                source,
            })?
            .port();
        let child = Command::new(program)
            .arg("-m")
            .arg(model)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["-t", &threads.to_string(), "-tb", &threads.to_string()])
            .args(["-c", &context.to_string(), "-np", "1"])
            .args(["-ngl", &gpu_layers.to_string()])
            .arg("--no-webui")
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| CoreError::Io {
                what: format!("starting {}", program.display()),
                source,
            })?;
        let mut child = child;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stderr) = child.stderr.take() {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr)
                    .lines()
                    .map_while(std::result::Result::ok)
                {
                    if let Ok(mut log) = log.lock() {
                        if log.len() == LOG_LINES {
                            log.pop_front();
                        }
                        log.push_back(line);
                    }
                }
            });
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(3600)))
            .http_status_as_error(false)
            .build()
            .into();
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            agent,
            log,
        };
        server.wait_ready(program)?;
        Ok(server)
    }

    fn wait_ready(&mut self, program: &Path) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Its last words may still be on their way through the pipe.
                std::thread::sleep(Duration::from_millis(200));
                let said = self
                    .log
                    .lock()
                    .map(|log| log.iter().cloned().collect::<Vec<_>>().join(" | "))
                    .unwrap_or_default();
                return Err(bench_error(format!(
                    "{} stopped before it was ready ({status}): {said}",
                    program.display()
                )));
            }
            let ready = self
                .agent
                .get(format!("{}/health", self.base))
                .call()
                .is_ok_and(|r| r.status() == 200);
            if ready {
                return Ok(());
            }
            if started.elapsed() > READY_WITHIN {
                return Err(bench_error(format!(
                    "{} did not become ready within {} s",
                    program.display(),
                    READY_WITHIN.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The greedy answer to `prompt` (token ids), at most `max_tokens` long.
    pub fn answer(&self, prompt: &[u32], max_tokens: u32) -> Result<ServerAnswer> {
        let body = serde_json::json!({
            "prompt": prompt,
            "n_predict": max_tokens,
            "temperature": 0.0,
            "top_k": 1,
            "repeat_penalty": 1.0,
            "cache_prompt": false,
            "stream": false,
        });
        let mut reply = self
            .agent
            .post(format!("{}/completion", self.base))
            .header("content-type", "application/json")
            .send(body.to_string())
            .map_err(|e| bench_error(format!("llama-server did not answer: {e}")))?;
        let status = reply.status();
        let text = reply
            .body_mut()
            .read_to_string()
            .map_err(|e| bench_error(format!("reading llama-server's answer: {e}")))?;
        if status != 200 {
            return Err(bench_error(format!(
                "llama-server answered {status}: {text}"
            )));
        }
        let reply: CompletionReply = serde_json::from_str(&text).map_err(|e| {
            bench_error(format!(
                "llama-server's answer is not what was expected: {e}"
            ))
        })?;
        Ok(ServerAnswer {
            text: reply.content,
            prompt_evaluated: reply.timings.prompt_n,
            tokens: reply.timings.predicted_n,
            prompt_ms: reply.timings.prompt_ms,
            generation_ms: reply.timings.predicted_ms,
            drafted: reply.timings.draft_n,
            accepted: reply.timings.draft_n_accepted,
        })
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
