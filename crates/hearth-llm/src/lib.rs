//! Running models for Hearth.
//!
//! - [`engine`]: the [`Engine`] trait every runtime implements and the streaming
//!   [`Generation`] handle.
//! - [`llama`]: the in-process llama.cpp engine (one thread owns model and context), and
//!   [`LlamaEmbedder`] for embedding models.
//! - [`worker`]: the same engine in a supervised child process, for crash isolation.
//! - [`remote`]: models served by a remote provider (OpenAI-compatible or Anthropic),
//!   behind the same trait, never reached while the [`NetworkSwitch`] says offline.
//! - [`fake`]: a scripted engine for tests.
//! - [`chat_template`]: chat formatting with the model's own Jinja template, rendered
//!   as transformers renders it, or llama.cpp's built-in for its architecture.
//! - [`stream`], [`cpu`], [`validate`]: streamed text, CPU backend choice, and the file
//!   check before llama.cpp sees a model.
//! - [`gpu`]: the GPU backends (Vulkan, Metal, CUDA) as loadable modules, the compute
//!   devices, and how many layers go to them.
//!
//! This crate knows nothing of HTTP, Tauri or the database; its types are plain data.

pub mod chat_template;
pub mod cpu;
pub mod engine;
pub mod error;
pub mod fake;
pub mod gpu;
pub mod llama;
mod logging;
pub mod output;
pub mod remote;
pub mod request;
pub mod stream;
pub mod transcripts;
pub mod validate;
pub mod worker;

pub use chat_template::{ChatFormatter, TemplateOptions, TemplateSource};
pub use engine::{
    format_and_submit, prepare_request, CancelToken, Engine, EngineExt, Generation, ModelInfo,
};
pub use error::{LlmError, Result};
pub use gpu::{ComputeDevice, DeviceKind, GpuLayers, Placement};
pub use llama::{
    default_threads, plan_placement, AdapterInfo, EmbedderInfo, Embedding, EngineSettings,
    KvCacheType, LlamaEmbedder, LlamaEngine, LoadProgress, LoraAdapter, MAX_ADAPTER_SCALE,
};
pub use output::reasoning::{thinking_support, ThinkingSupport};
pub use output::OutputParser;
pub use remote::{ApiKey, NetworkSwitch, Protocol, RemoteEngine, RemoteSettings, RetryPolicy};
pub use request::{
    ChatMessage, Completion, EngineRequest, GenerationEvent, GenerationOptions, Prompt, Role,
    StopReason, ThinkingBudget, ToolCall, ToolChoice, ToolSpec,
};
pub use worker::{WorkerEngine, WorkerSettings};
