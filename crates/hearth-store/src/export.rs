//! The JSON export: a versioned document with every field of the conversations it
//! covers, all branches included, plus the personas they use; a whole-history export
//! also carries the saved workflows, saved prompts and workflow runs, so it is a backup
//! of everything the user made.
//!
//! The document is the backup and transfer format; [`crate::Store::import_json`] reads it
//! back and recreates the conversations exactly, ids included. Its shape only changes
//! with a new [`EXPORT_VERSION`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::conversations::{conversation_from_row, load_conversation, CONVERSATION_COLUMNS};
use crate::error::{Result, StoreError};
use crate::messages::load_messages;
use crate::personas::{load_persona, persona_from_row, PERSONA_COLUMNS};
use crate::store::{now_ms, Store};
use crate::summaries::{load_summaries, ContextSummary};
use crate::types::{
    Conversation, ConversationId, Message, MessageId, MessageKind, MessageState, Persona,
    PersonaId, Role, TitleSource,
};
use crate::workflows::{load_definitions, load_runs, SavedDefinition, SavedKind, WorkflowRun};

/// The `format` field of every export.
pub const EXPORT_FORMAT: &str = "hearth-history";
/// The version of the document's shape this code writes. Version 2 added
/// `context_summaries`, version 3 `workflows`, `prompts` and `workflow_runs`, version 4
/// the messages' `reasoning` and `reasoning_ms`; older documents (without them) still
/// import.
pub const EXPORT_VERSION: u32 = 4;
/// The oldest version this code reads.
pub const EXPORT_VERSION_OLDEST: u32 = 1;

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportScope {
    /// One conversation and the persona it uses.
    Conversation(ConversationId),
    /// Every conversation and every persona.
    All,
}

/// A JSON export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportDocument {
    /// Always [`EXPORT_FORMAT`].
    pub format: String,
    /// [`EXPORT_VERSION`] when written by this code.
    pub version: u32,
    /// Milliseconds since the Unix epoch.
    pub exported_at: i64,
    pub personas: Vec<Persona>,
    pub conversations: Vec<ExportedConversation>,
    /// Saved workflows (whole-history exports only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workflows: Vec<SavedDefinition>,
    /// Saved prompt templates (whole-history exports only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prompts: Vec<SavedDefinition>,
    /// Workflow runs with their results, oldest first (whole-history exports only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workflow_runs: Vec<WorkflowRun>,
}

/// A conversation with all its messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedConversation {
    pub id: ConversationId,
    pub title: String,
    pub title_source: TitleSource,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub persona_id: Option<PersonaId>,
    pub settings: Value,
    pub pinned: bool,
    pub archived: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub active_leaf_id: Option<MessageId>,
    pub tags: Vec<String>,
    /// Every branch; parents come before their children.
    pub messages: Vec<ExportedMessage>,
    /// Running summaries of folded turns (see [`crate::ContextSummary`]), oldest first.
    #[serde(default)]
    pub context_summaries: Vec<ExportedSummary>,
}

/// A context summary; its conversation is the one it is listed under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedSummary {
    pub id: String,
    /// The last message the summary covers; one of the conversation's messages.
    pub through_message_id: MessageId,
    pub content: String,
    pub model: Option<String>,
    pub created_at: i64,
}

impl From<ContextSummary> for ExportedSummary {
    fn from(s: ContextSummary) -> Self {
        ExportedSummary {
            id: s.id,
            through_message_id: s.through_message_id,
            content: s.content,
            model: s.model,
            created_at: s.created_at,
        }
    }
}

/// A message; its conversation is the one it is listed under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedMessage {
    pub id: MessageId,
    pub parent_id: Option<MessageId>,
    pub role: Role,
    pub kind: MessageKind,
    pub content: String,
    pub state: MessageState,
    pub error: Option<String>,
    pub model: Option<String>,
    pub token_count: Option<u32>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The remote provider that wrote an answer; absent when written on this computer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The passages an answer from a document collection was given (a JSON array).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Value>,
    /// A reasoning model's thinking before the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// How long it thought, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_ms: Option<u32>,
    /// The tools the answer called, with the user's decisions and the results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<crate::types::ToolCallRecord>>,
}

impl ExportedConversation {
    fn new(c: Conversation, messages: Vec<Message>, summaries: Vec<ContextSummary>) -> Self {
        ExportedConversation {
            id: c.id,
            title: c.title,
            title_source: c.title_source,
            model: c.model,
            system_prompt: c.system_prompt,
            persona_id: c.persona_id,
            settings: c.settings,
            pinned: c.pinned,
            archived: c.archived,
            created_at: c.created_at,
            updated_at: c.updated_at,
            active_leaf_id: c.active_leaf_id,
            tags: c.tags,
            messages: messages.into_iter().map(ExportedMessage::from).collect(),
            context_summaries: summaries.into_iter().map(ExportedSummary::from).collect(),
        }
    }
}

impl From<Message> for ExportedMessage {
    fn from(m: Message) -> Self {
        ExportedMessage {
            id: m.id,
            parent_id: m.parent_id,
            role: m.role,
            kind: m.kind,
            content: m.content,
            state: m.state,
            error: m.error,
            model: m.model,
            token_count: m.token_count,
            created_at: m.created_at,
            updated_at: m.updated_at,
            provider: m.provider,
            sources: None,
            reasoning: m.reasoning,
            reasoning_ms: m.reasoning_ms,
            tool_calls: m.tool_calls,
        }
    }
}

impl ExportDocument {
    /// The document as indented JSON text.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self)
            .map_err(|err| StoreError::invalid("export", format!("cannot write JSON: {err}")))
    }
}

impl Store {
    /// Exports as a JSON document (see [`ExportDocument::to_json`] for the text), read in
    /// one transaction so it is a consistent snapshot.
    pub fn export_json(&self, scope: &ExportScope) -> Result<ExportDocument> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let (conversations, personas) = match scope {
            ExportScope::Conversation(id) => {
                let c = load_conversation(&tx, id)?;
                let personas = match &c.persona_id {
                    Some(persona) => vec![load_persona(&tx, persona)?],
                    None => Vec::new(),
                };
                (vec![c], personas)
            }
            ExportScope::All => {
                let sql = format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations c ORDER BY c.created_at, c.id"
                );
                let conversations: Vec<Conversation> = tx
                    .prepare(&sql)?
                    .query_map([], conversation_from_row)?
                    .collect::<rusqlite::Result<_>>()?;
                let sql = format!("SELECT {PERSONA_COLUMNS} FROM personas p ORDER BY p.name, p.id");
                let personas: Vec<Persona> = tx
                    .prepare(&sql)?
                    .query_map([], persona_from_row)?
                    .collect::<rusqlite::Result<_>>()?;
                (conversations, personas)
            }
        };
        let mut exported = Vec::with_capacity(conversations.len());
        for c in conversations {
            let messages = load_messages(&tx, &c.id)?;
            let summaries = load_summaries(&tx, &c.id)?;
            let sources = crate::sources::load_sources(&tx, &c.id)?;
            let mut conversation = ExportedConversation::new(c, messages, summaries);
            for message in &mut conversation.messages {
                message.sources = sources.get(&message.id).cloned();
            }
            exported.push(conversation);
        }
        let (workflows, prompts, workflow_runs) = match scope {
            ExportScope::Conversation(_) => Default::default(),
            ExportScope::All => (
                load_definitions(&tx, SavedKind::Workflow)?,
                load_definitions(&tx, SavedKind::Prompt)?,
                load_runs(&tx, "started_at, id", usize::MAX)?,
            ),
        };
        Ok(ExportDocument {
            format: EXPORT_FORMAT.to_owned(),
            version: EXPORT_VERSION,
            exported_at: now_ms(),
            personas,
            conversations: exported,
            workflows,
            prompts,
            workflow_runs,
        })
    }
}
