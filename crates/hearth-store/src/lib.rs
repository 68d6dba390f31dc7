//! Hearth's conversation history: every conversation, message, branch and persona in one
//! SQLite database, written so that no word is lost.
//!
//! - Durable: every write commits before the call returns; a streaming answer is
//!   checkpointed as it grows, and after a crash [`Store::mark_interrupted`] labels what
//!   was cut off (a test kills a writer process with SIGKILL and checks this).
//! - Branches: messages form a tree; editing a question or regenerating an answer adds a
//!   sibling, and the conversation remembers which branch is shown.
//! - Search: FTS5 over message text, accent-insensitive, with prefixes, and substring
//!   search for scripts written without spaces ([`Store::search`]).
//! - Export and import: Markdown for reading, a versioned JSON document for backups that
//!   imports back exactly, with hostile files refused before anything is written.
//! - Delete means gone: deleted text is wiped from the file and its log.
//! - Collections: documents' passages with a word index and vectors (sqlite-vec) in the
//!   same file, for retrieval with citations; the passages and vectors are found here,
//!   read and embedded in hearth-core.
//! - Workflows and prompt templates saved by name, and each workflow run with its
//!   results table.
//! - Audit log: one record per generation (model, parameters, counts, timings, and
//!   hashes of prompt and output, never their text), exported as JSON Lines.
//!
//! The API is synchronous and [`Store`] is `Send + Sync`: async callers use a dedicated
//! thread or `spawn_blocking`. The types are plain data (serde), with no wire format.

mod audit;
mod collections;
mod conversations;
mod error;
mod export;
mod import;
mod import_saved;
mod limits;
mod markdown;
mod messages;
mod owner;
mod passages;
mod personas;
mod query;
mod schema;
mod search;
mod sources;
mod store;
mod summaries;
mod types;
mod unspaced;
mod vector_cache;
mod vectors;
mod workflows;

pub use audit::{AuditFilter, AuditPurpose, AuditRecord, FileStamp, MeasuredSpeed, NewAuditRecord};
pub use collections::{
    Collection, CollectionFile, FileStatus, IndexedFile, NewChunk, MAX_COLLECTION_NAME_BYTES,
};
pub use error::{Result, StoreError};
pub use export::{
    ExportDocument, ExportScope, ExportedConversation, ExportedMessage, ExportedSummary,
    EXPORT_FORMAT, EXPORT_VERSION, EXPORT_VERSION_OLDEST,
};
pub use import::{ImportMode, ImportOptions, ImportReport, MAX_IMPORT_BYTES};
pub use limits::{
    MAX_PERSONA_NAME_BYTES, MAX_SETTINGS_BYTES, MAX_SHORT_BYTES, MAX_TAGS_PER_CONVERSATION,
    MAX_TAG_BYTES, MAX_TEXT_BYTES, MAX_TITLE_BYTES,
};
pub use markdown::format_utc;
pub use passages::{Passage, PassageScope};
pub use query::MAX_TERMS as MAX_SEARCH_TERMS;
pub use schema::SCHEMA_VERSION;
pub use search::{SearchHit, SearchQuery, SnippetSegment, DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT};
pub use store::{ErasedHistory, Store};
pub use summaries::ContextSummary;
pub use types::{
    Conversation, ConversationFilter, ConversationId, ConversationSettings, Message, MessageFinish,
    MessageId, MessageKind, MessageState, NewConversation, NewMessage, NewPersona, Persona,
    PersonaId, Role, Siblings, TitleSource, ToolApproval, ToolCallRecord, ToolCallStatus,
};
pub use workflows::{RunState, SavedDefinition, SavedKind, WorkflowRun, MAX_RUN_RESULTS_BYTES};
