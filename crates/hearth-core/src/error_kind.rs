//! What kind of failure an error is, decided once for every error Hearth can return, so
//! each front end maps kinds (an HTTP status in the server, an exit code in the CLI)
//! instead of matching code strings. The matches are exhaustive: a new error variant
//! does not compile until someone decides its kind, where a string match would have
//! sent it out as a 400.

use hearth_docs::DocError;
use hearth_llm::LlmError;
use hearth_mcp::McpError;
use hearth_models::ModelsError;
use hearth_store::StoreError;

use crate::error::CoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request or its input is wrong; the caller can fix it.
    Invalid,
    /// The input is more than the model or the limits take.
    TooLarge,
    /// What the caller named does not exist.
    NotFound,
    /// The model named (or the embedding model) does not exist.
    ModelNotFound,
    /// No model is set up yet.
    NoModel,
    /// The model file (or adapter) exists but cannot be used.
    ModelUnusable,
    /// A valid-looking model failed to load (memory, a driver).
    LoadFailed,
    /// It clashes with what exists, or with what is running now.
    Conflict,
    /// Refused on purpose, whoever asks (Hearth's own folders).
    Forbidden,
    /// Not possible right now (offline mode, memory held by running answers); the same
    /// request may work later.
    Unavailable,
    /// A remote provider or server refused or failed.
    Remote,
    /// A remote provider asks to slow down.
    RateLimited,
    /// Stopped by the user.
    Cancelled,
    /// Hearth's own failure: a crashed worker, a full disk, a damaged file, a bug.
    Internal,
}

impl CoreError {
    pub fn kind(&self) -> ErrorKind {
        use ErrorKind::*;
        match self {
            CoreError::Llm(e) => llm_kind(e),
            CoreError::Models(e) => models_kind(e),
            CoreError::Convert(_) => ModelUnusable,
            CoreError::Store(e) => store_kind(e),
            CoreError::Mcp(e) => mcp_kind(e),
            CoreError::Document(e) => document_kind(e),
            CoreError::NoPendingToolCall { .. }
            | CoreError::UnknownProvider { .. }
            | CoreError::UnknownPrompt { .. }
            | CoreError::UnknownWorkflow { .. }
            | CoreError::SourceNotFound { .. }
            | CoreError::NoCollections
            | CoreError::NotLoaded { .. } => NotFound,
            CoreError::UnknownModel { .. } | CoreError::NoEmbeddingModel { .. } => ModelNotFound,
            CoreError::NoDefaultModel => NoModel,
            CoreError::InvalidModelFile { .. } | CoreError::NotAnEmbeddingModel { .. } => {
                ModelUnusable
            }
            CoreError::MessageTooLong { .. } => TooLarge,
            CoreError::EmptyMessage
            | CoreError::NotAnAnswer { .. }
            | CoreError::NotAQuestion { .. }
            | CoreError::EmptyDocument
            | CoreError::ContextTooSmall { .. }
            | CoreError::UnknownLanguage { .. }
            | CoreError::LanguageNotDetected
            | CoreError::InvalidGlossary { .. }
            | CoreError::NothingToIndex { .. }
            | CoreError::Ocr { .. }
            | CoreError::NotADocument { .. }
            | CoreError::InvalidProvider { .. }
            | CoreError::MissingVariables { .. }
            | CoreError::InvalidPrompt { .. }
            | CoreError::InvalidWorkflow { .. }
            | CoreError::SummaryFailed { .. }
            | CoreError::GenerateFailed { .. } => Invalid,
            CoreError::DuplicateModel { .. } | CoreError::ModelBusy { .. } => Conflict,
            CoreError::HearthFolder { .. } => Forbidden,
            CoreError::MemoryBudgetBusy { .. } | CoreError::Watch { .. } => Unavailable,
            // Like a key the provider refused: the user sets it again.
            CoreError::KeyForAnotherAddress { .. } => Remote,
            CoreError::Cancelled => Cancelled,
            CoreError::TurnLost { .. }
            | CoreError::Library { .. }
            | CoreError::Config { .. }
            | CoreError::Paths { .. }
            | CoreError::Bench { .. }
            | CoreError::Secrets { .. }
            | CoreError::Internal { .. }
            | CoreError::Io { .. } => Internal,
        }
    }
}

fn llm_kind(error: &LlmError) -> ErrorKind {
    use ErrorKind::*;
    match error {
        LlmError::ModelNotFound { .. } => ModelNotFound,
        LlmError::InvalidModelFile { .. }
        | LlmError::NotAnEmbeddingModel { .. }
        | LlmError::BadAdapter { .. }
        | LlmError::BadDraftModel { .. } => ModelUnusable,
        LlmError::LoadFailed { .. } => LoadFailed,
        LlmError::PromptTooLarge { .. } => TooLarge,
        LlmError::NoSuchGpu { .. }
        | LlmError::InvalidSchema { .. }
        | LlmError::InvalidOptions { .. }
        | LlmError::Template { .. }
        | LlmError::Unsupported { .. } => Invalid,
        LlmError::Offline { .. } => Unavailable,
        LlmError::RemoteAuth { .. }
        | LlmError::RemoteUnreachable { .. }
        | LlmError::RemoteFailed { .. }
        | LlmError::RemoteProtocol { .. } => Remote,
        LlmError::RateLimited { .. } => RateLimited,
        LlmError::Cancelled => Cancelled,
        LlmError::BackendUnavailable { .. }
        | LlmError::Decode { .. }
        | LlmError::WorkerCrashed { .. }
        | LlmError::WorkerDiedOnGpu { .. }
        | LlmError::WorkerSpawn { .. }
        | LlmError::Protocol { .. }
        | LlmError::EngineStopped => Internal,
    }
}

fn models_kind(error: &ModelsError) -> ErrorKind {
    use ErrorKind::*;
    match error {
        ModelsError::InvalidName { .. } => Invalid,
        ModelsError::RepoNotFound { .. }
        | ModelsError::RevisionNotFound { .. }
        | ModelsError::FileNotFound { .. } => NotFound,
        ModelsError::UnknownModel { .. } => ModelNotFound,
        ModelsError::TokenRequired { .. }
        | ModelsError::TokenRejected { .. }
        | ModelsError::Http { .. }
        | ModelsError::Network { .. }
        | ModelsError::BadResponse { .. }
        | ModelsError::HashMismatch { .. }
        | ModelsError::SizeMismatch { .. } => Remote,
        ModelsError::Cancelled { .. } => Cancelled,
        ModelsError::Io { .. } | ModelsError::Catalog { .. } => Internal,
    }
}

fn store_kind(error: &StoreError) -> ErrorKind {
    use ErrorKind::*;
    match error {
        StoreError::NotFound { .. } => NotFound,
        StoreError::AlreadyExists { .. } | StoreError::NameTaken { .. } => Conflict,
        StoreError::Invalid { .. }
        | StoreError::InvalidImport { .. }
        | StoreError::NotStreaming { .. } => Invalid,
        StoreError::Corrupt { .. }
        | StoreError::TooNew { .. }
        | StoreError::NotHearth { .. }
        | StoreError::Write { .. }
        | StoreError::Sqlite(_)
        | StoreError::Io { .. } => Internal,
    }
}

fn mcp_kind(error: &McpError) -> ErrorKind {
    use ErrorKind::*;
    match error {
        McpError::InvalidConfig { .. }
        | McpError::NotAnMcpTool { .. }
        | McpError::InvalidArguments { .. } => Invalid,
        McpError::DuplicateServer { .. } => Conflict,
        McpError::UnknownServer { .. } | McpError::UnknownTool { .. } => NotFound,
        McpError::Disabled { .. } | McpError::Offline { .. } => Unavailable,
        McpError::Spawn { .. }
        | McpError::Connect { .. }
        | McpError::Timeout { .. }
        | McpError::Stopped { .. }
        | McpError::ToolRefused { .. }
        | McpError::Transport { .. } => Remote,
        McpError::Cancelled => Cancelled,
        McpError::HubStopped => Internal,
    }
}

fn document_kind(error: &DocError) -> ErrorKind {
    use ErrorKind::*;
    match error {
        DocError::TooLarge { .. } | DocError::ZipBomb { .. } => TooLarge,
        DocError::File { .. }
        | DocError::Io { .. }
        | DocError::Empty
        | DocError::NotText { .. }
        | DocError::Encrypted { .. }
        | DocError::Corrupt { .. }
        | DocError::NoTextLayer { .. }
        | DocError::Image { .. }
        | DocError::Unsupported { .. } => Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_hearths_own_failure_not_a_missing_home() {
        let error = crate::hearth::poisoned();
        assert_eq!(error.kind(), ErrorKind::Internal);
        assert_eq!(error.code(), "INTERNAL");
    }

    #[test]
    fn kinds_keep_what_callers_can_fix_apart_from_what_they_cannot() {
        let cases: Vec<(CoreError, ErrorKind)> = vec![
            (CoreError::NoDefaultModel, ErrorKind::NoModel),
            (
                CoreError::UnknownModel { name: "x".into() },
                ErrorKind::ModelNotFound,
            ),
            (
                LlmError::PromptTooLarge {
                    tokens: 9,
                    limit: 8,
                }
                .into(),
                ErrorKind::TooLarge,
            ),
            (LlmError::EngineStopped.into(), ErrorKind::Internal),
            (
                LlmError::Decode { reason: "x".into() }.into(),
                ErrorKind::Internal,
            ),
            (
                CoreError::ModelBusy { model: "m".into() },
                ErrorKind::Conflict,
            ),
            (
                StoreError::NotFound {
                    what: "conversation",
                    id: "c".into(),
                }
                .into(),
                ErrorKind::NotFound,
            ),
            (CoreError::Cancelled, ErrorKind::Cancelled),
        ];
        for (error, kind) in cases {
            assert_eq!(error.kind(), kind, "{error}");
        }
    }
}
