//! The in-process llama.cpp engine: one thread owns a loaded model and its context;
//! requests reach it over a bounded channel and carry their own reply channel.
//!
//! The context never leaves that thread. Callers hold an [`LlamaEngine`] handle, which
//! is cheap to share; the thread serves several sequences at once (like llama-server's
//! slots), batching their decode steps together.

mod adapter;
mod draft;
mod embed;
mod kv_cache;
mod placement;
mod sampler;
mod saved;
mod scheduler;
mod speculative;
mod thread;

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use serde::{Deserialize, Serialize};

pub use crate::request::AdapterInfo;
pub(crate) use adapter::check as check_adapter;
pub use adapter::{LoraAdapter, MAX_ADAPTER_SCALE};
pub use embed::{EmbedderInfo, Embedding, LlamaEmbedder};
pub use kv_cache::KvCacheType;

use crate::cpu;
use crate::engine::{CancelToken, Engine, Generation, ModelInfo};
use crate::error::{LlmError, Result};
use crate::gpu::{GpuLayers, Placement};
use crate::request::{EngineRequest, GenerationEvent};

/// How a model is loaded and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EngineSettings {
    /// Tokens each sequence can hold; 0 means the model's training length, capped at 4096.
    pub context_length: u32,
    /// Sequences decoded together; each gets its own `context_length`.
    pub parallel: u32,
    /// Tokens per decode call (llama.cpp's n_batch and n_ubatch).
    pub batch_size: u32,
    /// CPU threads; `None` means one per physical core.
    pub threads: Option<u32>,
    /// Requests that may wait for a free sequence; beyond this, `submit` blocks.
    pub queue_capacity: usize,
    /// Map the weights instead of reading them into memory.
    pub use_mmap: bool,
    /// Where conversation contexts (KV states) are saved when they lose their sequence
    /// or the engine stops, to be restored instead of evaluated again; `None` keeps
    /// them in memory only.
    pub saved_contexts: Option<PathBuf>,
    /// The most bytes saved contexts may take per model; the least recently used go.
    pub saved_contexts_budget: u64,
    /// A LoRA adapter applied to every sequence: llama.cpp applies one to a whole
    /// context, so another adapter or scale needs another engine.
    pub adapter: Option<LoraAdapter>,
    /// How many layers go to the GPU, where one is found (see [`crate::gpu`]).
    pub gpu_layers: GpuLayers,
    /// The GPU to use, by ggml's name (`Vulkan0`) or its description; `None` for any.
    pub gpu_device: Option<String>,
    /// Guess the next tokens from the prompt and the answer so far and verify them in
    /// one batch (speculative decoding without a draft model, `speculative.rs`): the
    /// same output, faster where the answer copies its input. Models whose memory
    /// cannot drop a rejected guess (recurrent and hybrid ones) decode plainly.
    pub speculative: bool,
    /// The KV cache's element type: quantized types hold more context in the same memory.
    pub kv_cache: KvCacheType,
    /// A small model of the same tokenizer that guesses the next tokens where the text
    /// offers no copy (`draft.rs`), verified as the other guesses are; only used while
    /// `speculative` is on. It is loaded beside the model with its own KV cache.
    pub draft_model: Option<PathBuf>,
    /// How many tokens the draft model guesses each step (llama.cpp's `--draft-max`),
    /// still stopping where it is unsure; `None` sizes each guess by what this
    /// machine's steps cost and how often guesses held, which on a CPU often means none.
    pub draft_tokens: Option<u32>,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            context_length: 0,
            parallel: 2,
            batch_size: 512,
            threads: None,
            queue_capacity: 64,
            use_mmap: true,
            saved_contexts: None,
            saved_contexts_budget: 2 << 30,
            adapter: None,
            gpu_layers: GpuLayers::Auto,
            gpu_device: None,
            speculative: true,
            kv_cache: KvCacheType::F16,
            draft_model: None,
            draft_tokens: None,
        }
    }
}

/// Told how far a model has loaded, from 0.0 to 1.0 (1.0 once it can answer), and,
/// before the weights are read, how many layers are going to the GPU.
#[derive(Clone)]
pub struct LoadProgress {
    report: std::sync::Arc<dyn Fn(f32) + Send + Sync>,
    placing: Option<std::sync::Arc<dyn Fn(u32) + Send + Sync>>,
}

impl LoadProgress {
    pub fn new(report: impl Fn(f32) + Send + Sync + 'static) -> Self {
        Self {
            report: std::sync::Arc::new(report),
            placing: None,
        }
    }

    /// Also told the layers about to go to the GPU (the worker passes it on, so the
    /// app knows a worker that dies while loading may have died of the GPU).
    pub fn with_placing(mut self, placing: impl Fn(u32) + Send + Sync + 'static) -> Self {
        self.placing = Some(std::sync::Arc::new(placing));
        self
    }

    pub fn report(&self, done: f32) {
        (self.report)(done.clamp(0.0, 1.0))
    }

    fn placing(&self, gpu_layers: u32) {
        if let Some(placing) = &self.placing {
            placing(gpu_layers)
        }
    }
}

impl std::fmt::Debug for LoadProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoadProgress")
    }
}

/// The default thread count: one per physical core, since llama.cpp's matrix kernels
/// gain nothing from hyper-threads and lose to contention.
pub fn default_threads() -> u32 {
    num_cpus::get_physical().max(1) as u32
}

pub(crate) enum Command {
    Generate {
        // Boxed: a request (options, tools, grammar) is far larger than the other commands.
        request: Box<EngineRequest>,
        events: flume::Sender<GenerationEvent>,
        cancel: CancelToken,
        enqueued: Instant,
    },
    Tokenize {
        text: String,
        add_special: bool,
        reply: SyncSender<Result<Vec<u32>>>,
    },
    Detokenize {
        tokens: Vec<u32>,
        reply: SyncSender<Result<String>>,
    },
    ForgetContexts {
        reply: SyncSender<Result<()>>,
    },
    Shutdown,
}

/// A model loaded in this process.
pub struct LlamaEngine {
    commands: SyncSender<Command>,
    info: ModelInfo,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl LlamaEngine {
    /// Validates the file, loads it on a new engine thread and waits until it is ready.
    pub fn load(path: &Path, settings: &EngineSettings) -> Result<Self> {
        Self::load_with_progress(path, settings, None)
    }

    /// Loads as [`load`](Self::load) does, telling `progress` how far the weights have
    /// been read (llama.cpp's own count, 0.0 to 1.0, then 1.0 once the model is ready).
    pub fn load_with_progress(
        path: &Path,
        settings: &EngineSettings,
        progress: Option<LoadProgress>,
    ) -> Result<Self> {
        crate::validate::check_model_file(path)?;
        if let Some(draft) = &settings.draft_model {
            crate::validate::check_model_file(draft).map_err(|e| LlmError::BadDraftModel {
                path: draft.clone(),
                reason: e.to_string(),
            })?;
        }
        let adapter_info = match &settings.adapter {
            Some(adapter) => Some(adapter::check(adapter, path)?),
            None => None,
        };
        let runtime = cpu::runtime()?;
        let (commands, command_rx) = sync_channel::<Command>(settings.queue_capacity.max(1));
        let path = path.to_path_buf();
        let settings = settings.clone();
        let (thread, info) = thread::spawn_model_thread("hearth-engine", move |ready_tx| {
            let started = Instant::now();
            let mut settings = settings;
            // The first time the GPU could not take the layers: how many, and why.
            let mut retreat: Option<(u32, String)> = None;
            // Again with fewer layers on the GPU when its memory cannot hold the context.
            loop {
                let (mut model, placement) =
                    match load_model(&path, &settings, runtime, progress.clone(), &mut retreat) {
                        Ok(loaded) => loaded,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                // Loaded before the context borrows the model; llama.cpp frees it with
                // the model, after the context.
                let requested = settings.adapter.as_ref();
                let mut lora = match requested.map(|a| adapter::load(&mut model, a)).transpose() {
                    Ok(lora) => lora,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let (ctx, mut info) = match new_context(&model, &path, &settings, runtime) {
                    Ok(v) => v,
                    Err(e) if placement.gpu_layers > 0 => {
                        let reason = match e {
                            LlmError::LoadFailed { reason, .. } => gpu_failure(&reason),
                            other => other.to_string(),
                        };
                        retreat.get_or_insert((placement.gpu_layers, reason));
                        settings.gpu_layers = GpuLayers::fewer_than(placement.gpu_layers);
                        continue;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let mut ctx = ctx;
                if let (Some(lora), Some(adapter)) = (lora.as_mut(), requested) {
                    // Before the warm-up, so its graph is the one every answer uses.
                    if let Err(e) = adapter::attach(&mut ctx, lora, adapter) {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                }
                info.adapter = adapter_info;
                info.placement = Some(placement);
                warm_up(&model, &mut ctx);
                let guessing = settings.speculative && !model.is_recurrent() && !model.is_hybrid();
                let draft_path = settings.draft_model.clone().filter(|_| guessing);
                let draft_weights = match draft_path
                    .as_deref()
                    .map(|p| load_draft_weights(p, &settings, runtime, &model))
                    .transpose()
                {
                    Ok(weights) => weights,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let draft_model = match (&draft_weights, &draft_path) {
                    (Some(weights), Some(p)) => {
                        match draft_context(weights, p, &model, &settings, runtime, &info) {
                            Ok(draft) => Some(draft),
                            Err(e) => {
                                let _ = ready_tx.send(Err(e));
                                return;
                            }
                        }
                    }
                    _ => None,
                };
                info.draft_model = draft_path;
                info.load_ms = started.elapsed().as_secs_f64() * 1000.0;
                if let Some(progress) = &progress {
                    progress.report(1.0);
                }
                let limits = scheduler::Limits {
                    context_length: info.context_length,
                    parallel: info.parallel as usize,
                    batch_size: settings.batch_size.max(1) as usize,
                    queue_capacity: settings.queue_capacity.max(1),
                    speculative: guessing,
                };
                let saved = settings.saved_contexts.as_ref().map(|root| {
                    let saved_settings = saved::SavedSettings {
                        root: root.clone(),
                        budget_bytes: settings.saved_contexts_budget,
                        kv_cache: settings.kv_cache,
                    };
                    saved::SavedStates::open(
                        &saved_settings,
                        &path,
                        info.context_length,
                        info.parallel,
                        settings.adapter.as_ref(),
                    )
                });
                if ready_tx.send(Ok(info)).is_err() {
                    return;
                }
                scheduler::Scheduler::new(&model, ctx, limits, saved, draft_model).run(command_rx);
                return;
            }
        })?;
        Ok(Self {
            commands,
            info,
            thread: Mutex::new(Some(thread)),
        })
    }

    fn send(&self, command: Command) -> Result<()> {
        self.commands
            .send(command)
            .map_err(|_| LlmError::EngineStopped)
    }
}

/// Loads the weights, with as many layers on the GPU as [`placement::decide`] says.
/// When the GPU cannot take them (its memory runs out as the weights are placed), the
/// load is tried again with half the layers, down to none, and the placement says so.
fn load_model(
    path: &Path,
    settings: &EngineSettings,
    runtime: &cpu::Runtime,
    progress: Option<LoadProgress>,
    retreat: &mut Option<(u32, String)>,
) -> Result<(LlamaModel, Placement)> {
    let mut settings = settings.clone();
    loop {
        let mut params = LlamaModelParams::default().with_use_mmap(settings.use_mmap);
        let decision = placement::decide(path, &settings, runtime, &mut params)?;
        if let (Some(progress), Some(requested)) = (&progress, decision.requested) {
            progress.placing(requested.min(layers_in_file(path).unwrap_or(requested)));
        }
        if let Some(progress) = progress.clone() {
            // llama.cpp calls back once per tensor; pass on whole percents only.
            let mut reported = -1.0f32;
            params = params.with_progress_callback(move |done| {
                if done - reported >= 0.01 {
                    reported = done;
                    // Weights read are not yet a model ready to answer: 1.0 comes after.
                    progress.report(done.min(0.99));
                }
                true
            });
        }
        match LlamaModel::load_from_file(&runtime.backend, path, &params) {
            Ok(model) => {
                let mut placement = decision.placement(model.n_layer() + 1, None);
                if let Some((tried, reason)) = retreat {
                    placement.note = Some(retreat_note(*tried, reason, &placement));
                }
                if placement.gpu_layers > 0 {
                    tracing::info!(
                        device = placement.device.as_deref().unwrap_or(""),
                        layers = placement.gpu_layers,
                        of = placement.layers,
                        "model layers on the GPU"
                    );
                }
                return Ok((model, placement));
            }
            Err(e) => {
                let reason = e.to_string();
                let Some(requested) = decision.requested else {
                    return Err(LlmError::LoadFailed {
                        path: path.to_path_buf(),
                        reason,
                    });
                };
                let placed = requested.min(layers_in_file(path).unwrap_or(requested));
                tracing::warn!(%reason, placed, "the GPU could not take the model's layers; trying with fewer");
                retreat.get_or_insert((placed, gpu_failure(&reason)));
                settings.gpu_layers = GpuLayers::fewer_than(placed);
            }
        }
    }
}

/// What the user is told when the GPU could not take `tried` layers and the model
/// ended up as `placement` says.
pub(crate) fn retreat_note(tried: u32, reason: &str, placement: &Placement) -> String {
    let now = match placement.gpu_layers {
        0 => "runs on the CPU alone".to_owned(),
        1 => "runs with 1 layer on the GPU".to_owned(),
        n => format!("runs with {n} layers on the GPU"),
    };
    let layers = match tried {
        1 => "1 layer".to_owned(),
        n => format!("{n} layers"),
    };
    format!("the GPU could not hold {layers} ({reason}), so the model {now}")
}

/// llama-cpp-2's words for a failed load or context ("null result from llama cpp")
/// say nothing; llama.cpp's log line before them has the cause.
fn gpu_failure(raw: &str) -> String {
    let said = raw
        .trim_end_matches("null result from llama cpp")
        .trim_end_matches("null reference from llama.cpp")
        .trim_end_matches([':', ' ']);
    if said.is_empty() {
        "the weights could not be placed there; the log has llama.cpp's reason".to_owned()
    } else {
        format!("{said} there; the log has llama.cpp's reason")
    }
}

/// Loads the draft model's weights (placed on the GPU as the settings say, as the
/// model's are) and checks it shares `target`'s tokenizer.
fn load_draft_weights(
    path: &Path,
    settings: &EngineSettings,
    runtime: &cpu::Runtime,
    target: &LlamaModel,
) -> Result<LlamaModel> {
    let refuse = |reason: String| LlmError::BadDraftModel {
        path: path.to_path_buf(),
        reason,
    };
    let (weights, _) =
        load_model(path, settings, runtime, None, &mut None).map_err(|e| match e {
            LlmError::LoadFailed { reason, .. } => {
                refuse(format!("llama.cpp could not load it ({reason})"))
            }
            other => refuse(other.to_string()),
        })?;
    match draft::incompatibility(target, &weights) {
        Some(reason) => Err(refuse(reason)),
        None => Ok(weights),
    }
}

/// The draft model's context: as many sequences of as many tokens as the model's, so
/// every sequence can be guessed for, warmed up as the model's is.
fn draft_context<'d>(
    weights: &'d LlamaModel,
    path: &Path,
    target: &LlamaModel,
    settings: &EngineSettings,
    runtime: &cpu::Runtime,
    info: &ModelInfo,
) -> Result<draft::DraftModel<'d>> {
    let sized = EngineSettings {
        context_length: info.context_length,
        parallel: info.parallel,
        ..settings.clone()
    };
    let (params, sizes) = context_params(&sized, weights.n_ctx_train());
    let mut ctx =
        weights
            .new_context(&runtime.backend, params)
            .map_err(|e| LlmError::BadDraftModel {
                path: path.to_path_buf(),
                reason: format!("cannot create its context of {} tokens: {e}", sizes.total()),
            })?;
    warm_up(weights, &mut ctx);
    Ok(draft::DraftModel::new(
        weights,
        ctx,
        sizes.parallel as usize,
        settings.batch_size.max(1) as usize,
        target,
        settings.draft_tokens.map(|n| n as usize),
    ))
}

/// Where a model's layers would go if it were loaded now with `settings`, without
/// loading it (`auto` asks llama.cpp to fit it, which reads the file's header only).
pub fn plan_placement(path: &Path, settings: &EngineSettings) -> Result<Placement> {
    let runtime = cpu::runtime()?;
    let mut params = LlamaModelParams::default();
    let decision = placement::decide(path, settings, runtime, &mut params)?;
    let layers = layers_in_file(path).unwrap_or(0);
    Ok(decision.placement(layers, None))
}

/// The layers llama.cpp counts for a model file (blocks and the output layer).
pub(crate) fn layers_in_file(path: &Path) -> Option<u32> {
    let summary = hearth_gguf::read_header(path).ok()?.summary();
    Some(summary.block_count? as u32 + 1)
}

/// One throwaway decode of BOS and EOS, as llama.cpp's own tools do at start: it pages the
/// weights in and starts the thread pool, so the first real prompt is not the one that
/// pays for it. The KV cache is cleared after; a failure only costs that speed.
fn warm_up(model: &LlamaModel, ctx: &mut llama_cpp_2::context::LlamaContext<'_>) {
    let vocab = model.vocab();
    let mut tokens: Vec<_> = [vocab.bos(), vocab.eos()]
        .into_iter()
        .filter(|t| t.0 >= 0 && t.0 < model.n_vocab())
        .collect();
    if tokens.is_empty() {
        tokens.push(llama_cpp_2::token::LlamaToken(0));
    }
    let mut batch = LlamaBatch::new(tokens.len(), 1);
    for (pos, token) in tokens.iter().enumerate() {
        let last = pos + 1 == tokens.len();
        if batch.add(*token, pos as i32, &[0], last).is_err() {
            return;
        }
    }
    if let Err(e) = ctx.decode(&mut batch) {
        tracing::debug!(error = %e, "warm-up decode failed");
    }
    ctx.clear_kv_cache();
}

/// Tokens per sequence and sequences, as a context is made for them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContextSizes {
    pub per_sequence: u32,
    pub parallel: u32,
}

impl ContextSizes {
    pub fn total(self) -> u32 {
        self.per_sequence * self.parallel
    }
}

/// The context llama.cpp is asked for: `settings`' length (0: the model's training
/// length `train`, capped at 4096) per sequence, threads and batch.
pub(crate) fn context_params(
    settings: &EngineSettings,
    train: u32,
) -> (LlamaContextParams, ContextSizes) {
    let per_sequence = match settings.context_length {
        0 => train.min(4096),
        n => n,
    }
    .max(64);
    let parallel = settings.parallel.max(1);
    let threads = settings.threads.unwrap_or_else(default_threads).max(1);
    let batch = settings.batch_size.max(1);
    let sizes = ContextSizes {
        per_sequence,
        parallel,
    };
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(sizes.total()))
        .with_n_batch(batch)
        .with_n_ubatch(batch)
        .with_n_seq_max(parallel)
        .with_kv_unified(false)
        .with_n_threads(threads as i32)
        .with_n_threads_batch(threads as i32);
    let params = match settings.kv_cache {
        KvCacheType::F16 => params,
        // llama.cpp reads a quantized V cache only through flash attention.
        quantized => params
            .with_type_k(quantized.llama().0)
            .with_type_v(quantized.llama().1)
            .with_flash_attention_policy(llama_cpp_sys_2::LLAMA_FLASH_ATTN_TYPE_ENABLED),
    };
    (params, sizes)
}

fn new_context<'m>(
    model: &'m LlamaModel,
    path: &Path,
    settings: &EngineSettings,
    runtime: &cpu::Runtime,
) -> Result<(llama_cpp_2::context::LlamaContext<'m>, ModelInfo)> {
    let train = model.n_ctx_train();
    let (params, sizes) = context_params(settings, train);
    let ContextSizes {
        per_sequence,
        parallel,
    } = sizes;
    let threads = settings.threads.unwrap_or_else(default_threads).max(1);
    let ctx = model
        .new_context(&runtime.backend, params)
        .map_err(|e| LlmError::LoadFailed {
            path: path.to_path_buf(),
            reason: format!(
                "cannot create a context of {} tokens: {e}",
                per_sequence * parallel
            ),
        })?;
    let meta = |key: &str| model.meta_val_str(key).ok().filter(|v| !v.is_empty());
    // llama.cpp aborts on an id outside the vocabulary, and models without BOS say -1.
    let token_text = |token: llama_cpp_2::token::LlamaToken| {
        let vocab = model.vocab();
        if !(0..model.n_vocab()).contains(&token.0) {
            return None;
        }
        vocab
            .text(token)
            .map(|text| text.to_string_lossy().into_owned())
            .filter(|text| !text.is_empty())
    };
    let info = ModelInfo {
        path: path.to_path_buf(),
        name: meta("general.name").unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        }),
        architecture: meta("general.architecture").unwrap_or_else(|| "unknown".into()),
        chat_template: model
            .chat_template(None)
            .ok()
            .and_then(|t| t.to_string().ok()),
        bos_token: token_text(model.vocab().bos()),
        eos_token: token_text(model.vocab().eos()),
        context_length: per_sequence,
        train_context_length: train,
        parallel,
        parameters: model.n_params(),
        size_bytes: model.size(),
        vocab_size: model.n_vocab().max(0) as u32,
        threads,
        cpu_backend: runtime.cpu_variant.clone(),
        load_ms: 0.0,
        provider: None,
        adapter: None,
        placement: None,
        draft_model: None,
    };
    Ok((ctx, info))
}

impl Engine for LlamaEngine {
    fn info(&self) -> ModelInfo {
        self.info.clone()
    }

    fn submit(&self, request: EngineRequest) -> Result<Generation> {
        let (events, receiver) = flume::unbounded();
        let cancel = CancelToken::new();
        self.send(Command::Generate {
            request: Box::new(request),
            events,
            cancel: cancel.clone(),
            enqueued: Instant::now(),
        })?;
        Ok(Generation::new(receiver, cancel))
    }

    fn tokenize(&self, text: &str, add_special: bool) -> Result<Vec<u32>> {
        let (reply, answer) = sync_channel(1);
        self.send(Command::Tokenize {
            text: text.to_owned(),
            add_special,
            reply,
        })?;
        answer.recv().map_err(|_| LlmError::EngineStopped)?
    }

    fn detokenize(&self, tokens: &[u32]) -> Result<String> {
        let (reply, answer) = sync_channel(1);
        self.send(Command::Detokenize {
            tokens: tokens.to_vec(),
            reply,
        })?;
        answer.recv().map_err(|_| LlmError::EngineStopped)?
    }

    fn forget_contexts(&self) -> Result<()> {
        let (reply, answer) = sync_channel(1);
        self.send(Command::ForgetContexts { reply })?;
        answer.recv().map_err(|_| LlmError::EngineStopped)?
    }

    fn stop(&self) {
        self.stop_thread();
    }
}

impl Drop for LlamaEngine {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

impl LlamaEngine {
    /// Tells the model thread to stop (it saves its contexts) and waits for it; once
    /// stopped, requests fail with `EngineStopped`.
    fn stop_thread(&self) {
        let _ = self.commands.send(Command::Shutdown);
        if let Ok(mut thread) = self.thread.lock() {
            if let Some(thread) = thread.take() {
                let _ = thread.join();
            }
        }
    }
}
