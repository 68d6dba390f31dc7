//! The errors of running models: what went wrong, in terms a user can act on.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Everything that can go wrong while loading or running a model.
///
/// The enum is plain data (serde) so the worker process can send it to the app
/// unchanged; front ends map it to `{ code, message, details }`.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LlmError {
    #[error("model file {path} does not exist; check the path or run `hearth models list`")]
    ModelNotFound { path: PathBuf },
    #[error("{message}")]
    InvalidModelFile { path: PathBuf, message: String },
    #[error("llama.cpp could not load {path}: {reason}; the file may be corrupt or use an architecture this build does not support")]
    LoadFailed { path: PathBuf, reason: String },
    #[error("{} is not an embedding model ({reason}); use an encoder such as all-MiniLM-L6-v2", .path.display())]
    NotAnEmbeddingModel { path: PathBuf, reason: String },
    #[error("the LoRA adapter {} cannot be used: {reason}", .path.display())]
    BadAdapter { path: PathBuf, reason: String },
    #[error("the draft model {} cannot guess for this model: {reason}; choose a smaller model of the same family (the catalog names one), or none", .path.display())]
    BadDraftModel { path: PathBuf, reason: String },
    #[error("there is no GPU named '{name}'; the ones found are: {available} (`hearth devices` lists them), or set gpu_device to nothing to use any")]
    NoSuchGpu { name: String, available: String },
    #[error("no usable CPU backend for llama.cpp: {reason}")]
    BackendUnavailable { reason: String },
    #[error("the prompt has {tokens} tokens but the context holds {limit}; shorten it or raise context_length in the settings")]
    PromptTooLarge { tokens: usize, limit: usize },
    #[error("the JSON schema cannot be turned into a grammar: {reason}")]
    InvalidSchema { reason: String },
    #[error("invalid generation options: {reason}")]
    InvalidOptions { reason: String },
    #[error("the chat could not be formatted: {reason}")]
    Template { reason: String },
    #[error("llama.cpp failed while generating: {reason}")]
    Decode { reason: String },
    #[error(
        "the model worker stopped unexpectedly ({reason}); the next request starts a fresh one"
    )]
    WorkerCrashed { reason: String },
    #[error("the model worker died while loading the model with {gpu_layers} layers on the GPU ({reason})")]
    WorkerDiedOnGpu { gpu_layers: u32, reason: String },
    #[error("could not start the model worker: {reason}")]
    WorkerSpawn { reason: String },
    #[error("the worker sent a malformed message: {reason}")]
    Protocol { reason: String },
    #[error("the engine has shut down; load the model again")]
    EngineStopped,
    #[error("the request was cancelled")]
    Cancelled,
    #[error("Hearth is in offline mode, so {provider} was not contacted; turn offline mode off in the settings to use remote models, or choose a local model")]
    Offline { provider: String },
    #[error("{provider} refused the API key ({message}); set a valid one with `hearth providers key {provider}` or in the settings")]
    RemoteAuth { provider: String, message: String },
    #[error("{provider} is limiting how often Hearth may ask ({message}); {}", retry_advice(*.retry_after_secs))]
    RateLimited {
        provider: String,
        retry_after_secs: Option<u64>,
        message: String,
    },
    #[error("could not reach {provider} at {url} ({reason}); check the network connection and the provider's address in the settings")]
    RemoteUnreachable {
        provider: String,
        url: String,
        reason: String,
    },
    #[error("{provider} answered with an error ({status}): {message}")]
    RemoteFailed {
        provider: String,
        status: u16,
        message: String,
    },
    #[error("{provider} sent a response Hearth cannot read ({reason}); check that its address points at an API of the kind configured")]
    RemoteProtocol { provider: String, reason: String },
    #[error("{what} is not available with {provider}; choose a local model for it")]
    Unsupported { provider: String, what: String },
}

fn retry_advice(seconds: Option<u64>) -> String {
    match seconds {
        Some(1) => "try again in a second".into(),
        Some(s) => format!("try again in {s} seconds"),
        None => "wait a little and try again".into(),
    }
}

impl LlmError {
    /// A stable SCREAMING_SNAKE_CASE code for wire formats and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            LlmError::ModelNotFound { .. } => "MODEL_NOT_FOUND",
            LlmError::InvalidModelFile { .. } => "INVALID_MODEL_FILE",
            LlmError::LoadFailed { .. } => "MODEL_LOAD_FAILED",
            LlmError::NotAnEmbeddingModel { .. } => "NOT_AN_EMBEDDING_MODEL",
            LlmError::BadAdapter { .. } => "BAD_ADAPTER",
            LlmError::BadDraftModel { .. } => "BAD_DRAFT_MODEL",
            LlmError::NoSuchGpu { .. } => "NO_SUCH_GPU",
            LlmError::BackendUnavailable { .. } => "BACKEND_UNAVAILABLE",
            LlmError::PromptTooLarge { .. } => "PROMPT_TOO_LARGE",
            LlmError::InvalidSchema { .. } => "INVALID_SCHEMA",
            LlmError::InvalidOptions { .. } => "INVALID_OPTIONS",
            LlmError::Template { .. } => "TEMPLATE_ERROR",
            LlmError::Decode { .. } => "DECODE_FAILED",
            LlmError::WorkerCrashed { .. } => "WORKER_CRASHED",
            LlmError::WorkerDiedOnGpu { .. } => "WORKER_DIED_ON_GPU",
            LlmError::WorkerSpawn { .. } => "WORKER_SPAWN_FAILED",
            LlmError::Protocol { .. } => "WORKER_PROTOCOL",
            LlmError::EngineStopped => "ENGINE_STOPPED",
            LlmError::Cancelled => "CANCELLED",
            LlmError::Offline { .. } => "OFFLINE",
            LlmError::RemoteAuth { .. } => "REMOTE_AUTH",
            LlmError::RateLimited { .. } => "RATE_LIMITED",
            LlmError::RemoteUnreachable { .. } => "REMOTE_UNREACHABLE",
            LlmError::RemoteFailed { .. } => "REMOTE_FAILED",
            LlmError::RemoteProtocol { .. } => "REMOTE_PROTOCOL",
            LlmError::Unsupported { .. } => "UNSUPPORTED",
        }
    }
}

pub type Result<T, E = LlmError> = std::result::Result<T, E>;
