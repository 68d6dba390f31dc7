//! The store's plain-data types: ids, enums stored as text, and the records that go in and
//! come out.
//!
//! Ids are random UUIDs kept as text. Unlike SQLite row numbers they stay the same when a
//! conversation is exported and imported into another history, so links between
//! exports, and between a message and its parent, survive the trip.

use std::fmt;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};
use serde_json::Value;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new random id (UUID v4).
            pub fn random() -> Self {
                Self(uuid::Uuid::new_v4().to_string())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                String::column_result(value).map(Self)
            }
        }
    };
}

id_type!(
    /// Identifies a conversation.
    ConversationId
);
id_type!(
    /// Identifies a message within the whole history (not only its conversation).
    MessageId
);
id_type!(
    /// Identifies a persona.
    PersonaId
);

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the database and used in exports.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value for stored text, or `None` for text this version does not know.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                $name::parse(text).ok_or_else(|| {
                    FromSqlError::Other(format!("unknown {} {text:?}", stringify!($name)).into())
                })
            }
        }
    };
}

text_enum!(
    /// Who wrote a message.
    Role {
        System => "system",
        User => "user",
        Assistant => "assistant",
    }
);

text_enum!(
    /// An ordinary message, or a summary that stands in for earlier messages folded out of
    /// the model's context (shown to the user as such).
    MessageKind {
        Message => "message",
        Summary => "summary",
    }
);

text_enum!(
    /// Where a message is in its life.
    MessageState {
        /// The answer is being written; its text is checkpointed as it grows.
        Streaming => "streaming",
        /// Complete.
        Done => "done",
        /// The user stopped the answer; the text is what had been written.
        Stopped => "stopped",
        /// Generation failed; `error` says why.
        Failed => "failed",
        /// The app or the machine stopped while the answer was streaming (found at the next
        /// start by [`crate::Store::mark_interrupted`]).
        Interrupted => "interrupted",
    }
);

text_enum!(
    /// Whether a title was generated or chosen by the user, so a generated title never
    /// overwrites one the user typed.
    TitleSource {
        Auto => "auto",
        User => "user",
    }
);

/// A conversation, without its messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub title: String,
    pub title_source: TitleSource,
    /// The model chosen for this conversation (a model library name or path).
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub persona_id: Option<PersonaId>,
    /// Sampling settings (temperature, top_p, ...) as a JSON object; the store does not
    /// interpret them.
    pub settings: Value,
    pub pinned: bool,
    pub archived: bool,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Milliseconds since the Unix epoch: the last message, rename or settings change.
    pub updated_at: i64,
    /// The last message of the branch being shown.
    pub active_leaf_id: Option<MessageId>,
    /// Sorted by name.
    pub tags: Vec<String>,
}

/// What a new conversation starts with. `Default` gives an untitled conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewConversation {
    /// `None` leaves it untitled, with [`TitleSource::Auto`] so a generated title can fill it.
    pub title: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub persona_id: Option<PersonaId>,
    /// A JSON object; `Null` means no settings.
    pub settings: Value,
}

/// The settings panel of a conversation, replaced as a whole by
/// [`crate::Store::update_settings`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationSettings {
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub persona_id: Option<PersonaId>,
    /// A JSON object; `Null` means no settings.
    pub settings: Value,
}

/// Which conversations [`crate::Store::list_conversations`] returns. `Default` returns all
/// of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationFilter {
    /// `Some(false)` hides archived conversations, `Some(true)` shows only them.
    pub archived: Option<bool>,
    pub pinned: Option<bool>,
    /// Only conversations with this tag.
    pub tag: Option<String>,
    /// At most this many (all when `None`).
    pub limit: Option<u32>,
    /// Skip this many first (for paging).
    pub offset: u32,
}

/// One message in a conversation's tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    /// `None` for a first message. Siblings share a parent: an edited question or a
    /// regenerated answer is a sibling of the original.
    pub parent_id: Option<MessageId>,
    pub role: Role,
    pub kind: MessageKind,
    pub content: String,
    pub state: MessageState,
    /// Why generation failed, for [`MessageState::Failed`].
    pub error: Option<String>,
    /// The model that wrote an answer.
    pub model: Option<String>,
    pub token_count: Option<u32>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Milliseconds since the Unix epoch: the last checkpoint.
    pub updated_at: i64,
    /// The remote provider that wrote an answer; `None` when it was written on this
    /// computer (or is not an answer).
    #[serde(default)]
    pub provider: Option<String>,
    /// A reasoning model's thinking before this answer, kept apart from its text.
    #[serde(default)]
    pub reasoning: Option<String>,
    /// How long the model thought: milliseconds from its first thinking token to its
    /// last.
    #[serde(default)]
    pub reasoning_ms: Option<u32>,
    /// The tools the model called while writing this answer, in order, with the user's
    /// decision on each and what each returned; `None` when it called none.
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCallRecord>>,
}

/// Where a tool call the model asked for stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolCallStatus {
    /// Waiting for the user's decision.
    Pending,
    /// Allowed, and the tool is running.
    Running,
    /// The tool answered; `result` is its text.
    Done,
    /// The call failed or the tool said it failed; `result` says why.
    Failed,
    /// The user (or the conversation's "never" for this tool) refused it; it did not run.
    Declined,
}

/// How a tool call was decided: once by the user, or by the conversation's standing
/// choice for that tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolApproval {
    /// Allowed this one time.
    Once,
    /// Allowed, now and for later calls of this tool in the conversation.
    Always,
    /// Refused, now and for later calls of this tool in the conversation.
    Never,
}

/// One tool call in an answer: what the model asked for, what the user decided, and
/// what the tool returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallRecord {
    /// Unique within the answer; the model's `tool` turn names it.
    pub id: String,
    /// Which pass of the model made the call: 0 for the first, 1 after the first
    /// results came back, and so on.
    pub round: u32,
    /// The name the model called (`server__tool`).
    pub name: String,
    /// The MCP server, as named in the settings.
    pub server: String,
    /// The tool's name on that server.
    pub tool: String,
    /// The arguments as the model wrote them.
    pub arguments: serde_json::Value,
    pub status: ToolCallStatus,
    #[serde(default)]
    pub approval: Option<ToolApproval>,
    /// The tool's text (capped by the MCP client), or why the call failed.
    #[serde(default)]
    pub result: Option<String>,
    /// The tool said it failed, or the call could not be made.
    #[serde(default)]
    pub is_error: bool,
    /// What the model wrote before its calls in this round (on the round's first call).
    #[serde(default)]
    pub preamble: Option<String>,
}

/// A message to add. Editing a question or regenerating an answer is adding a message with
/// the same `parent_id` as the one it replaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMessage {
    pub parent_id: Option<MessageId>,
    pub role: Role,
    pub kind: MessageKind,
    pub content: String,
    pub state: MessageState,
    pub model: Option<String>,
    pub token_count: Option<u32>,
    /// The remote provider writing an answer; `None` on this computer.
    #[serde(default)]
    pub provider: Option<String>,
}

impl NewMessage {
    /// A finished message from the user.
    pub fn user(parent_id: Option<MessageId>, content: impl Into<String>) -> Self {
        NewMessage {
            parent_id,
            role: Role::User,
            kind: MessageKind::Message,
            content: content.into(),
            state: MessageState::Done,
            model: None,
            token_count: None,
            provider: None,
        }
    }

    /// An empty answer about to stream; grow it with [`crate::Store::checkpoint_message`].
    pub fn assistant_streaming(parent_id: Option<MessageId>, model: Option<String>) -> Self {
        NewMessage {
            parent_id,
            role: Role::Assistant,
            kind: MessageKind::Message,
            content: String::new(),
            state: MessageState::Streaming,
            model,
            token_count: None,
            provider: None,
        }
    }

    /// The same message, written by `provider` (a remote one) or on this computer.
    pub fn by_provider(mut self, provider: Option<String>) -> Self {
        self.provider = provider;
        self
    }
}

/// How a streaming answer ended, for [`crate::Store::finish_message`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageFinish {
    pub content: String,
    /// Any state but [`MessageState::Streaming`].
    pub state: MessageState,
    pub error: Option<String>,
    pub token_count: Option<u32>,
    /// The model's thinking, if it thought (replaces what checkpoints held).
    #[serde(default)]
    pub reasoning: Option<String>,
    /// Milliseconds from the first thinking token to the last.
    #[serde(default)]
    pub reasoning_ms: Option<u32>,
}

/// The messages that share a parent, for the "‹ 2 / 3 ›" branch switcher.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Siblings {
    /// Oldest first.
    pub messages: Vec<Message>,
    /// Where the message that was asked about is in `messages`.
    pub index: usize,
}

/// A saved system prompt with default settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    pub id: PersonaId,
    /// Unique, compared without case.
    pub name: String,
    pub system_prompt: String,
    /// Default sampling settings, a JSON object.
    pub settings: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The editable part of a persona.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewPersona {
    pub name: String,
    pub system_prompt: String,
    /// A JSON object; `Null` means no settings.
    pub settings: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_through_text_and_serde() {
        for state in MessageState::ALL {
            assert_eq!(MessageState::parse(state.as_str()), Some(*state));
            let json = serde_json::to_string(state).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert_eq!(Role::parse("robot"), None);
        assert_eq!(MessageKind::parse("summary"), Some(MessageKind::Summary));
        assert_eq!(TitleSource::parse("user"), Some(TitleSource::User));
    }

    #[test]
    fn random_ids_differ_and_serialize_as_plain_strings() {
        let a = ConversationId::random();
        let b = ConversationId::random();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 36);
        let json = serde_json::to_string(&a).unwrap_or_default();
        assert_eq!(json, format!("\"{a}\""));
    }
}
