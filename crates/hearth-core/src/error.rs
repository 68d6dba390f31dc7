//! Errors of the assistant layer: model runtime failures pass through unchanged, the
//! rest say which file or setting is wrong and what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Llm(#[from] hearth_llm::LlmError),
    #[error(transparent)]
    Models(#[from] hearth_models::ModelsError),
    #[error(transparent)]
    Convert(#[from] hearth_models::ConvertError),
    #[error(transparent)]
    Store(#[from] hearth_store::StoreError),
    #[error(transparent)]
    Mcp(#[from] hearth_mcp::McpError),
    #[error("no tool call {call} of answer {answer} is waiting for a decision: it was decided already, or the answer ended")]
    NoPendingToolCall { answer: String, call: String },
    /// `tokens` counts the system prompt, the message and the room kept for the answer.
    #[error("your message is {over} tokens too long for this model's context of {limit} tokens; shorten it, or raise context_length in the settings")]
    MessageTooLong {
        tokens: usize,
        limit: usize,
        over: usize,
    },
    #[error("could not summarize the earlier messages to fit the model's context: {reason}; start a new conversation or raise context_length in the settings")]
    SummaryFailed { reason: String },
    #[error("the message is empty; type something to send")]
    EmptyMessage,
    #[error("message {id} is not an answer; only answers can be regenerated")]
    NotAnAnswer { id: String },
    #[error("message {id} is not a question; only your own messages can be edited")]
    NotAQuestion { id: String },
    #[error("the writer of answer {id} stopped before finishing; the answer so far is saved in the history")]
    TurnLost { id: String },
    /// `message` already names the file (hearth-gguf's messages start with the path).
    #[error("{message}")]
    InvalidModelFile { path: PathBuf, message: String },
    #[error(
        "the model library {path} is damaged: {reason}; move it aside and add your models again"
    )]
    Library { path: PathBuf, reason: String },
    #[error("`{id}` is already in the library for {path}")]
    DuplicateModel { id: String, path: PathBuf },
    #[error("no model is set up; run `scripts/setup.sh` to install the default model, or `hearth models add FILE`")]
    NoDefaultModel,
    #[error("no model named `{name}`; see `hearth models list`, or give a path to a .gguf file")]
    UnknownModel { name: String },
    #[error("the config file {path} is not valid: {reason}; fix it or delete it to get the defaults back")]
    Config { path: PathBuf, reason: String },
    #[error("{reason}")]
    Paths { reason: String },
    #[error("benchmark failed: {reason}")]
    Bench { reason: String },
    #[error(transparent)]
    Document(#[from] hearth_docs::DocError),
    #[error("the document has no text to work on")]
    EmptyDocument,
    #[error("cancelled")]
    Cancelled,
    #[error("the model's context of {context} tokens is too small for this task (it needs at least {needed}); raise context_length in the settings")]
    ContextTooSmall { context: usize, needed: usize },
    #[error("unknown language `{name}`; use an English name such as German or a code such as de")]
    UnknownLanguage { name: String },
    #[error("could not tell the source language; pass it with --from")]
    LanguageNotDetected,
    #[error("glossary line {line}: {reason}")]
    InvalidGlossary { line: usize, reason: String },
    #[error("no embedding model `{id}`; convert a sentence-transformers folder with `hearth models convert DIR --id {id}`, or put that folder at {} to have it converted on first use (scripts/fetch-models.sh minilm fetches all-MiniLM-L6-v2)", .folder.display())]
    NoEmbeddingModel { id: String, folder: PathBuf },
    #[error("`{id}` is not an embedding model ({reason}); choose one such as all-MiniLM-L6-v2")]
    NotAnEmbeddingModel { id: String, reason: String },
    #[error("{} does not exist; check the path, or remove it from the collection with `hearth docs rm`", .path.display())]
    SourceNotFound { path: PathBuf },
    #[error("{} has no text to index{why}", .path.display())]
    NothingToIndex { path: PathBuf, why: String },
    /// Reading a scanned page or an image with OCR failed as a whole.
    #[error("{reason}")]
    Ocr { reason: String },
    #[error("{} is in Hearth's own folders (its settings, keys and history), which are never read as a document; copy the document somewhere else and use that copy", .path.display())]
    HearthFolder { path: PathBuf },
    #[error("{} is not read as a document: {reason}", .path.display())]
    NotADocument { path: PathBuf, reason: String },
    #[error("there are no document collections yet; add documents with `hearth docs add NAME PATH...` or on the Documents page")]
    NoCollections,
    /// Watching collections' folders could not start.
    #[error("{reason}")]
    Watch { reason: String },
    #[error("API keys: {reason}")]
    Secrets { reason: String },
    #[error("no provider named `{name}`; see `hearth providers list`, or add it with `hearth providers add`")]
    UnknownProvider { name: String },
    #[error("invalid provider: {reason}")]
    InvalidProvider { reason: String },
    /// A key is only sent to the origin it was given for (see `secrets`).
    #[error("the API key of {provider} was set for {key_origin}, not for its address now ({origin}), so it was not sent; set the key again with `hearth providers key {provider}` or in the settings")]
    KeyForAnotherAddress {
        provider: String,
        key_origin: String,
        origin: String,
    },
    #[error("prompt `{prompt}` needs a value for: {missing}")]
    MissingVariables { prompt: String, missing: String },
    #[error("invalid prompt: {reason}")]
    InvalidPrompt { reason: String },
    #[error("no prompt named `{name}`; see `hearth prompts list`")]
    UnknownPrompt { name: String },
    #[error("invalid workflow: {reason}")]
    InvalidWorkflow { reason: String },
    #[error("no workflow named `{name}`; see `hearth workflow ls`, or give the path to a .toml or .json file")]
    UnknownWorkflow { name: String },
    #[error("could not generate the records: {reason}")]
    GenerateFailed { reason: String },
    #[error("{model} is answering now; unload it when the answer ends, or stop the answer first")]
    ModelBusy { model: String },
    #[error("{model} does not fit in the memory budget beside {busy}, which stayed busy for {waited_s} s; try again when it is done, unload it on the Models page, or raise memory_budget_mb in the settings")]
    MemoryBudgetBusy {
        model: String,
        busy: String,
        waited_s: u64,
    },
    #[error("no model `{id}` is loaded; see the loaded models on the Models page")]
    NotLoaded { id: String },
    /// Hearth's own state is unusable (a lock poisoned by an earlier panic).
    #[error("{reason}")]
    Internal { reason: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl CoreError {
    /// A stable SCREAMING_SNAKE_CASE code for wire formats and exit codes.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::Llm(e) => e.code(),
            CoreError::Models(e) => e.code(),
            CoreError::Convert(_) => "CONVERT_FAILED",
            CoreError::Watch { .. } => "WATCH_FAILED",
            CoreError::Store(_) => "STORE_ERROR",
            CoreError::MessageTooLong { .. } => "MESSAGE_TOO_LONG",
            CoreError::SummaryFailed { .. } => "SUMMARY_FAILED",
            CoreError::EmptyMessage => "EMPTY_MESSAGE",
            CoreError::NotAnAnswer { .. } => "NOT_AN_ANSWER",
            CoreError::NotAQuestion { .. } => "NOT_A_QUESTION",
            CoreError::TurnLost { .. } => "TURN_LOST",
            CoreError::InvalidModelFile { .. } => "INVALID_MODEL_FILE",
            CoreError::Library { .. } => "LIBRARY_DAMAGED",
            CoreError::DuplicateModel { .. } => "DUPLICATE_MODEL",
            CoreError::NoDefaultModel => "NO_DEFAULT_MODEL",
            CoreError::UnknownModel { .. } => "UNKNOWN_MODEL",
            CoreError::Config { .. } => "INVALID_CONFIG",
            CoreError::Paths { .. } => "NO_HOME",
            CoreError::Bench { .. } => "BENCH_FAILED",
            CoreError::Io { .. } => "IO_ERROR",
            CoreError::Internal { .. } => "INTERNAL",
            CoreError::ModelBusy { .. } => "MODEL_BUSY",
            CoreError::MemoryBudgetBusy { .. } => "MEMORY_BUDGET_BUSY",
            CoreError::NotLoaded { .. } => "NOT_LOADED",
            CoreError::Secrets { .. } => "SECRETS_ERROR",
            CoreError::UnknownProvider { .. } => "UNKNOWN_PROVIDER",
            CoreError::InvalidProvider { .. } => "INVALID_PROVIDER",
            // Like a key the provider refused: the user sets it again.
            CoreError::KeyForAnotherAddress { .. } => "REMOTE_AUTH",
            CoreError::NoEmbeddingModel { .. } => "NO_EMBEDDING_MODEL",
            CoreError::NotAnEmbeddingModel { .. } => "NOT_AN_EMBEDDING_MODEL",
            CoreError::SourceNotFound { .. } => "SOURCE_NOT_FOUND",
            CoreError::HearthFolder { .. } => "HEARTH_FOLDER",
            CoreError::NotADocument { .. } => "NOT_A_DOCUMENT",
            CoreError::NoCollections => "NO_COLLECTIONS",
            CoreError::NothingToIndex { .. } => "NOTHING_TO_INDEX",
            CoreError::Ocr { .. } => "OCR_FAILED",
            CoreError::Document(e) => e.code(),
            CoreError::EmptyDocument => "EMPTY_DOCUMENT",
            CoreError::Cancelled => "CANCELLED",
            CoreError::ContextTooSmall { .. } => "CONTEXT_TOO_SMALL",
            CoreError::UnknownLanguage { .. } => "UNKNOWN_LANGUAGE",
            CoreError::LanguageNotDetected => "LANGUAGE_NOT_DETECTED",
            CoreError::InvalidGlossary { .. } => "INVALID_GLOSSARY",
            CoreError::MissingVariables { .. } => "MISSING_VARIABLES",
            CoreError::InvalidPrompt { .. } => "INVALID_PROMPT",
            CoreError::UnknownPrompt { .. } => "UNKNOWN_PROMPT",
            CoreError::InvalidWorkflow { .. } => "INVALID_WORKFLOW",
            CoreError::UnknownWorkflow { .. } => "UNKNOWN_WORKFLOW",
            CoreError::GenerateFailed { .. } => "GENERATE_FAILED",
            // Offline mode stopped it, as it stops remote providers.
            CoreError::Mcp(hearth_mcp::McpError::Offline { .. }) => "OFFLINE",
            CoreError::Mcp(_) => "MCP_ERROR",
            CoreError::NoPendingToolCall { .. } => "NO_PENDING_TOOL_CALL",
        }
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
