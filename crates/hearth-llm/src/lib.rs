//! Running models for Hearth.
//!
//! - [`engine`]: the [`Engine`] trait every runtime implements and the streaming
//!   [`Generation`] handle.
//! - [`llama`]: the in-process llama.cpp engine (one thread owns model and context), and
//!   [`LlamaEmbedder`] for embedding models.
//! - [`worker`]: the same engine in a supervised child process, for crash isolation.
//! - [`fake`]: a scripted engine for tests.
//! - [`template`], [`stream`], [`cpu`], [`validate`]: chat formatting, streamed text,
//!   CPU backend choice, and the file check before llama.cpp sees a model.
//!
//! This crate knows nothing of HTTP, Tauri or the database; its types are plain data.

pub mod cpu;
pub mod engine;
pub mod error;
pub mod fake;
pub mod llama;
mod logging;
pub mod request;
pub mod stream;
pub mod template;
pub mod validate;
pub mod worker;

pub use engine::{prepare_request, CancelToken, Engine, EngineExt, Generation, ModelInfo};
pub use error::{LlmError, Result};
pub use llama::{
    default_threads, EmbedderInfo, Embedding, EngineSettings, LlamaEmbedder, LlamaEngine,
    LoadProgress,
};
pub use request::{
    ChatMessage, Completion, EngineRequest, GenerationEvent, GenerationOptions, Prompt, Role,
    StopReason,
};
pub use template::{ChatFormatter, TemplateSource};
pub use worker::{WorkerEngine, WorkerSettings};
