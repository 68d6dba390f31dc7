//! The app side of isolation: [`WorkerEngine`] runs the model in a `hearth worker`
//! child process and implements the same [`Engine`] trait as the in-process engine.
//!
//! If llama.cpp aborts (an assertion, out of memory, a signal), only the child dies:
//! every request in flight gets a clear `WorkerCrashed` error, and the next request
//! starts a fresh worker that loads the model again.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::engine::{CancelToken, Engine, Generation, ModelInfo};
use crate::error::{LlmError, Result};
use crate::gpu::GpuLayers;
use crate::llama::{EngineSettings, LoadProgress};
use crate::request::{EngineRequest, GenerationEvent};
use crate::worker::protocol::{read_frame, write_frame, FromWorker, ToWorker};

/// How to start a worker and what it loads.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// The program to run; the app's own executable by default.
    pub program: PathBuf,
    /// Arguments that select worker mode, `["worker"]` for `hearth`.
    pub args: Vec<OsString>,
    pub model: PathBuf,
    pub engine: EngineSettings,
}

impl WorkerSettings {
    /// Runs `<this executable> worker`.
    pub fn current_exe(model: PathBuf, engine: EngineSettings) -> Result<Self> {
        let program = std::env::current_exe().map_err(|e| LlmError::WorkerSpawn {
            reason: format!("cannot find this program's path: {e}"),
        })?;
        Ok(Self {
            program,
            args: vec!["worker".into()],
            model,
            engine,
        })
    }
}

#[derive(Default)]
struct Routes {
    generations: HashMap<u64, flume::Sender<GenerationEvent>>,
    tokens: HashMap<u64, SyncSender<Result<Vec<u32>>>>,
    texts: HashMap<u64, SyncSender<Result<String>>>,
    forgotten: HashMap<u64, SyncSender<Result<()>>>,
}

struct WorkerProcess {
    child: Mutex<Child>,
    /// Set before a deliberate shutdown, so the worker's exit is not reported as a crash.
    stopping: AtomicBool,
    stdin: Mutex<BufWriter<ChildStdin>>,
    routes: Mutex<Routes>,
    alive: AtomicBool,
    next_id: AtomicU64,
    pid: u32,
}

impl WorkerProcess {
    fn send(&self, message: &ToWorker) -> Result<()> {
        let result = match self.stdin.lock() {
            Ok(mut stdin) => write_frame(&mut *stdin, message),
            Err(_) => Err(std::io::Error::other("stdin lock poisoned")),
        };
        result.map_err(|e| {
            self.alive.store(false, Ordering::SeqCst);
            LlmError::WorkerCrashed {
                reason: format!("cannot write to the worker: {e}"),
            }
        })
    }

    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// A model served by a supervised child process.
pub struct WorkerEngine {
    /// Its `engine.gpu_layers` is lowered after a worker dies with layers on the GPU.
    settings: Mutex<WorkerSettings>,
    progress: Option<LoadProgress>,
    /// The running worker's model info (its placement changes with the layers).
    info: Mutex<ModelInfo>,
    current: Mutex<Option<Arc<WorkerProcess>>>,
    restarts: AtomicU32,
    /// Set by [`Engine::stop`]: the engine was unloaded on purpose (the app quits, or
    /// its memory went to another model), so a request from a holder that outlived it
    /// (a title written in the background) fails instead of starting a worker no one
    /// manages, which would take back the memory or die when the process exits.
    stopped: AtomicBool,
}

impl WorkerEngine {
    /// Starts a worker and waits until it has loaded the model.
    pub fn start(settings: WorkerSettings) -> Result<Self> {
        Self::start_with_progress(settings, None)
    }

    /// Starts as [`start`](Self::start) does, passing on the worker's load progress
    /// (also when a crashed worker is replaced).
    pub fn start_with_progress(
        settings: WorkerSettings,
        progress: Option<LoadProgress>,
    ) -> Result<Self> {
        // The worker checks the adapter again, but a scale of NaN cannot cross the JSON
        // protocol, and a bad adapter should not cost a process start.
        if let Some(adapter) = &settings.engine.adapter {
            crate::validate::check_model_file(&settings.model)?;
            crate::llama::check_adapter(adapter, &settings.model)?;
        }
        let mut settings = settings;
        let (process, info) = spawn_fitting_the_gpu(&mut settings, progress.as_ref(), None)?;
        Ok(Self {
            settings: Mutex::new(settings),
            progress,
            info: Mutex::new(info),
            current: Mutex::new(Some(process)),
            restarts: AtomicU32::new(0),
            stopped: AtomicBool::new(false),
        })
    }

    /// The running worker's process id, if one is running.
    pub fn worker_pid(&self) -> Option<u32> {
        let current = self.current.lock().ok()?;
        current
            .as_ref()
            .filter(|p| p.alive.load(Ordering::SeqCst))
            .map(|p| p.pid)
    }

    /// How many times a crashed worker has been replaced.
    pub fn restarts(&self) -> u32 {
        self.restarts.load(Ordering::SeqCst)
    }

    /// The live worker, starting a fresh one if the last one died.
    fn process(&self) -> Result<Arc<WorkerProcess>> {
        let mut current = self.current.lock().map_err(|_| LlmError::EngineStopped)?;
        if self.stopped.load(Ordering::SeqCst) {
            return Err(LlmError::EngineStopped);
        }
        if let Some(process) = current.as_ref() {
            if process.alive.load(Ordering::SeqCst) {
                return Ok(process.clone());
            }
        }
        if let Some(dead) = current.take() {
            reap(&dead);
        }
        let mut settings = self.settings.lock().map_err(|_| LlmError::EngineStopped)?;
        let mut info = self.info.lock().map_err(|_| LlmError::EngineStopped)?;
        tracing::warn!(model = %settings.model.display(), "restarting the model worker");
        // A worker that died with layers on the GPU may have died of the GPU (its memory
        // ran out, or its driver failed): the next one puts fewer there.
        let died_on = info.placement.as_ref().map_or(0, |p| p.gpu_layers);
        let lowered = (died_on > 0).then(|| {
            lower_gpu_layers(
                &mut settings,
                died_on,
                "the model worker stopped".to_owned(),
            )
        });
        let (process, new_info) =
            spawn_fitting_the_gpu(&mut settings, self.progress.as_ref(), lowered)?;
        *info = new_info;
        self.restarts.fetch_add(1, Ordering::SeqCst);
        *current = Some(process.clone());
        Ok(process)
    }
}

/// Puts fewer layers on the GPU than the `placed` a worker died with (half, down to
/// none); returns that count and why, for the placement's note.
fn lower_gpu_layers(settings: &mut WorkerSettings, placed: u32, why: String) -> (u32, String) {
    settings.engine.gpu_layers = GpuLayers::fewer_than(placed);
    tracing::warn!(placed, next = %settings.engine.gpu_layers, "{why}, with layers on the GPU; trying with fewer");
    (placed, why)
}

/// Starts a worker; when it dies while loading with layers on the GPU, starts another
/// with fewer, down to none. The first time layers were taken away (`retreat`, or one
/// here) is what the placement's note tells.
fn spawn_fitting_the_gpu(
    settings: &mut WorkerSettings,
    progress: Option<&LoadProgress>,
    mut retreat: Option<(u32, String)>,
) -> Result<(Arc<WorkerProcess>, ModelInfo)> {
    loop {
        match spawn(settings, progress) {
            Ok((process, mut info)) => {
                if let (Some((tried, why)), Some(placement)) = (&retreat, info.placement.as_mut()) {
                    placement.note = Some(crate::llama::retreat_note(*tried, why, placement));
                }
                return Ok((process, info));
            }
            Err(LlmError::WorkerDiedOnGpu { gpu_layers, reason }) => {
                let lowered = lower_gpu_layers(
                    settings,
                    gpu_layers,
                    format!("the model worker died while loading: {reason}"),
                );
                retreat.get_or_insert(lowered);
            }
            Err(e) => return Err(e),
        }
    }
}

fn spawn(
    settings: &WorkerSettings,
    progress: Option<&LoadProgress>,
) -> Result<(Arc<WorkerProcess>, ModelInfo)> {
    let mut child = Command::new(&settings.program)
        .args(&settings.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| LlmError::WorkerSpawn {
            reason: format!("{}: {e}", settings.program.display()),
        })?;
    let pid = child.id();
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        return Err(LlmError::WorkerSpawn {
            reason: "the worker's pipes were not created".into(),
        });
    };
    let mut stdin = BufWriter::new(stdin);
    let mut stdout = BufReader::new(stdout);
    let load = ToWorker::Load {
        path: settings.model.clone(),
        settings: settings.engine.clone(),
    };
    let mut placing = 0;
    let handshake = write_frame(&mut stdin, &load).and_then(|_| loop {
        match read_frame::<_, FromWorker>(&mut stdout) {
            Ok(Some(FromWorker::Loading { progress: done })) => {
                if let Some(progress) = progress {
                    progress.report(done);
                }
            }
            Ok(Some(FromWorker::Placing { gpu_layers })) => placing = gpu_layers,
            other => break other,
        }
    });
    let info = match handshake {
        Ok(Some(FromWorker::Ready { info })) => *info,
        Ok(Some(FromWorker::LoadFailed { error })) => {
            let _ = child.wait();
            return Err(error);
        }
        Ok(Some(other)) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(LlmError::Protocol {
                reason: format!("expected ready, got {other:?}"),
            });
        }
        Ok(None) | Err(_) => {
            let status = child
                .wait()
                .map(describe_exit)
                .unwrap_or_else(|e| e.to_string());
            if placing > 0 {
                return Err(LlmError::WorkerDiedOnGpu {
                    gpu_layers: placing,
                    reason: status,
                });
            }
            return Err(LlmError::WorkerCrashed {
                reason: format!("the worker died while loading the model: {status}"),
            });
        }
    };
    let process = Arc::new(WorkerProcess {
        child: Mutex::new(child),
        stdin: Mutex::new(stdin),
        routes: Mutex::new(Routes::default()),
        alive: AtomicBool::new(true),
        stopping: AtomicBool::new(false),
        next_id: AtomicU64::new(1),
        pid,
    });
    let reader = Arc::downgrade(&process);
    std::thread::Builder::new()
        .name("hearth-worker-reader".into())
        .spawn(move || read_events(stdout, reader))
        .map_err(|e| LlmError::WorkerSpawn {
            reason: e.to_string(),
        })?;
    Ok((process, info))
}

/// Routes every frame from the worker to its requester until the worker's stdout
/// closes; then fails whatever is still waiting.
fn read_events(mut stdout: BufReader<ChildStdout>, process: Weak<WorkerProcess>) {
    let ended = loop {
        let frame = read_frame::<_, FromWorker>(&mut stdout);
        let Some(process) = process.upgrade() else {
            return;
        };
        match frame {
            Ok(Some(message)) => route(&process, message),
            Ok(None) => break None,
            Err(e) => break Some(e.to_string()),
        }
    };
    let Some(process) = process.upgrade() else {
        return;
    };
    process.alive.store(false, Ordering::SeqCst);
    let status = wait_briefly(&process);
    let reason = match ended {
        Some(protocol_error) => format!("{status}; last read failed: {protocol_error}"),
        None => status,
    };
    if process.stopping.load(Ordering::SeqCst) {
        tracing::debug!(pid = process.pid, %reason, "model worker shut down");
    } else {
        tracing::error!(pid = process.pid, %reason, "model worker stopped");
    }
    let error = LlmError::WorkerCrashed { reason };
    let pending = match process.routes.lock() {
        Ok(mut routes) => std::mem::take(&mut *routes),
        Err(_) => return,
    };
    for (_, events) in pending.generations {
        let _ = events.send(GenerationEvent::Failed {
            error: error.clone(),
        });
    }
    for (_, reply) in pending.tokens {
        let _ = reply.send(Err(error.clone()));
    }
    for (_, reply) in pending.texts {
        let _ = reply.send(Err(error.clone()));
    }
    for (_, reply) in pending.forgotten {
        let _ = reply.send(Err(error.clone()));
    }
}

fn route(process: &WorkerProcess, message: FromWorker) {
    let Ok(mut routes) = process.routes.lock() else {
        return;
    };
    match message {
        FromWorker::Event { id, event } => {
            let last = !matches!(event, GenerationEvent::Delta { .. });
            let delivered = routes.generations.get(&id).map(|tx| tx.send(event).is_ok());
            if last || delivered == Some(false) {
                routes.generations.remove(&id);
            }
        }
        FromWorker::Tokens { id, result } => {
            if let Some(reply) = routes.tokens.remove(&id) {
                let _ = reply.send(result);
            }
        }
        FromWorker::Text { id, result } => {
            if let Some(reply) = routes.texts.remove(&id) {
                let _ = reply.send(result);
            }
        }
        FromWorker::Forgotten { id, result } => {
            if let Some(reply) = routes.forgotten.remove(&id) {
                let _ = reply.send(result);
            }
        }
        FromWorker::Loading { .. }
        | FromWorker::Placing { .. }
        | FromWorker::Ready { .. }
        | FromWorker::LoadFailed { .. } => {
            tracing::warn!("unexpected handshake message from a running worker");
        }
    }
}

/// The exit status of a worker whose output ended, waiting a moment for it to exit.
fn wait_briefly(process: &WorkerProcess) -> String {
    let Ok(mut child) = process.child.lock() else {
        return "unknown exit".into();
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return describe_exit(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                return "closed its output and was killed".into();
            }
            Err(e) => return e.to_string(),
        }
    }
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                6 => " (SIGABRT: llama.cpp aborted)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                4 => " (SIGILL: unsupported CPU instruction)",
                15 => " (SIGTERM)",
                _ => "",
            };
            return format!("killed by signal {signal}{name}");
        }
    }
    match status.code() {
        Some(code) => format!("exited with code {code}"),
        None => "exited".into(),
    }
}

fn reap(process: &WorkerProcess) {
    if let Ok(mut child) = process.child.lock() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Engine for WorkerEngine {
    fn info(&self) -> ModelInfo {
        self.info
            .lock()
            .map(|info| info.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    fn submit(&self, request: EngineRequest) -> Result<Generation> {
        let process = self.process()?;
        let id = process.id();
        let (events, receiver) = flume::unbounded();
        if let Ok(mut routes) = process.routes.lock() {
            routes.generations.insert(id, events);
        }
        if let Err(e) = process.send(&ToWorker::Generate {
            id,
            request: Box::new(request),
        }) {
            if let Ok(mut routes) = process.routes.lock() {
                routes.generations.remove(&id);
            }
            return Err(e);
        }
        let weak = Arc::downgrade(&process);
        let cancel = CancelToken::with_notify(move || {
            if let Some(process) = weak.upgrade() {
                if process.alive.load(Ordering::SeqCst) {
                    let _ = process.send(&ToWorker::Cancel { id });
                }
            }
        });
        Ok(Generation::new(receiver, cancel))
    }

    fn tokenize(&self, text: &str, add_special: bool) -> Result<Vec<u32>> {
        let process = self.process()?;
        let id = process.id();
        let (reply, answer) = sync_channel(1);
        if let Ok(mut routes) = process.routes.lock() {
            routes.tokens.insert(id, reply);
        }
        process.send(&ToWorker::Tokenize {
            id,
            text: text.to_owned(),
            add_special,
        })?;
        answer.recv().map_err(|_| LlmError::WorkerCrashed {
            reason: "no reply to tokenize".into(),
        })?
    }

    fn detokenize(&self, tokens: &[u32]) -> Result<String> {
        let process = self.process()?;
        let id = process.id();
        let (reply, answer) = sync_channel(1);
        if let Ok(mut routes) = process.routes.lock() {
            routes.texts.insert(id, reply);
        }
        process.send(&ToWorker::Detokenize {
            id,
            tokens: tokens.to_vec(),
        })?;
        answer.recv().map_err(|_| LlmError::WorkerCrashed {
            reason: "no reply to detokenize".into(),
        })?
    }

    /// A worker that is not running keeps nothing in memory; its saved files are the
    /// caller's to delete (they are all under `saved_contexts`).
    fn forget_contexts(&self) -> Result<()> {
        let process = match self.current.lock() {
            Ok(current) => current.clone(),
            Err(_) => return Err(LlmError::EngineStopped),
        };
        let Some(process) = process.filter(|p| p.alive.load(Ordering::SeqCst)) else {
            return Ok(());
        };
        let id = process.id();
        let (reply, answer) = sync_channel(1);
        if let Ok(mut routes) = process.routes.lock() {
            routes.forgotten.insert(id, reply);
        }
        process.send(&ToWorker::ForgetContexts { id })?;
        answer.recv().map_err(|_| LlmError::WorkerCrashed {
            reason: "no reply to forget contexts".into(),
        })?
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.stop_worker();
    }
}

impl Drop for WorkerEngine {
    fn drop(&mut self) {
        self.stop_worker();
    }
}

impl WorkerEngine {
    /// Asks the worker to shut down (it saves its contexts) and waits up to five seconds
    /// before killing it. After [`Engine::stop`] no request starts another.
    fn stop_worker(&self) {
        let Ok(mut current) = self.current.lock() else {
            return;
        };
        let Some(process) = current.take() else {
            return;
        };
        process.stopping.store(true, Ordering::SeqCst);
        let _ = process.send(&ToWorker::Shutdown);
        if let Ok(mut stdin) = process.stdin.lock() {
            let _ = stdin.flush();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let Ok(mut child) = process.child.lock() else {
            return;
        };
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}
