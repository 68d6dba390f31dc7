//! Running summaries of a conversation's older turns, written by the model when the
//! active branch no longer fits its context, so the conversation can go on without the
//! user trimming it by hand.
//!
//! A summary stands for every message on the branch up to and including
//! `through_message_id`; the message tree itself is left untouched, so the full text is
//! always still there to read, search and export.

use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::limits::{self, MAX_SHORT_BYTES, MAX_TEXT_BYTES};
use crate::store::{now_ms, Store};
use crate::types::{ConversationId, MessageId};

/// A stored summary of the turns up to `through_message_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextSummary {
    pub id: String,
    pub conversation_id: ConversationId,
    /// The last message the summary covers.
    pub through_message_id: MessageId,
    pub content: String,
    /// The model that wrote it.
    pub model: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

const COLUMNS: &str = "id, conversation_id, through_message_id, content, model, created_at";

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<ContextSummary> {
    Ok(ContextSummary {
        id: row.get(0)?,
        conversation_id: row.get(1)?,
        through_message_id: row.get(2)?,
        content: row.get(3)?,
        model: row.get(4)?,
        created_at: row.get(5)?,
    })
}

impl Store {
    /// Stores a summary of `conversation` up to and including `through_message`.
    pub fn add_context_summary(
        &self,
        conversation: &ConversationId,
        through_message: &MessageId,
        content: &str,
        model: Option<&str>,
    ) -> Result<ContextSummary> {
        limits::check_len("summary", content, MAX_TEXT_BYTES)?;
        if let Some(model) = model {
            limits::check_len("model name", model, MAX_SHORT_BYTES)?;
        }
        let id = uuid::Uuid::new_v4().to_string();
        self.write(|tx| {
            let owner: Option<ConversationId> = tx
                .query_row(
                    "SELECT conversation_id FROM messages WHERE id = ?1",
                    [through_message],
                    |row| row.get(0),
                )
                .optional()?;
            match owner {
                None => return Err(StoreError::not_found("message", through_message.as_str())),
                Some(owner) if &owner != conversation => {
                    return Err(StoreError::invalid(
                        "summary",
                        "its last message belongs to another conversation; summarize messages of this conversation",
                    ))
                }
                Some(_) => {}
            }
            tx.execute(
                "INSERT INTO context_summaries (id, conversation_id, through_message_id, content, model, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, conversation, through_message, content, model, now_ms()],
            )?;
            let sql = format!("SELECT {COLUMNS} FROM context_summaries WHERE id = ?1");
            Ok(tx.query_row(&sql, [&id], summary_from_row)?)
        })
    }

    /// Every summary of `conversation`, oldest first.
    pub fn context_summaries(&self, conversation: &ConversationId) -> Result<Vec<ContextSummary>> {
        load_summaries(&self.conn(), conversation)
    }
}

/// Every summary of `conversation`, oldest first, on an open connection or transaction.
pub(crate) fn load_summaries(
    conn: &rusqlite::Connection,
    conversation: &ConversationId,
) -> Result<Vec<ContextSummary>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM context_summaries WHERE conversation_id = ?1 \
         ORDER BY created_at, rowid"
    );
    let mut statement = conn.prepare(&sql)?;
    let rows = statement.query_map([conversation], summary_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{NewConversation, NewMessage};

    #[test]
    fn summaries_are_kept_in_order_and_go_with_their_conversation() {
        let store = Store::open_in_memory().unwrap();
        let c = store
            .create_conversation(NewConversation::default())
            .unwrap();
        let m1 = store
            .add_message(&c.id, NewMessage::user(None, "one"))
            .unwrap();
        let m2 = store
            .add_message(&c.id, NewMessage::user(Some(m1.id.clone()), "two"))
            .unwrap();
        let first = store
            .add_context_summary(&c.id, &m1.id, "about one", Some("Fake"))
            .unwrap();
        let second = store
            .add_context_summary(&c.id, &m2.id, "about one and two", None)
            .unwrap();
        assert_eq!(first.through_message_id, m1.id);
        assert_eq!(first.model.as_deref(), Some("Fake"));
        assert_eq!(store.context_summaries(&c.id).unwrap(), vec![first, second]);

        store.delete_conversation(&c.id).unwrap();
        assert!(store.context_summaries(&c.id).unwrap().is_empty());
    }

    #[test]
    fn a_summary_must_end_at_a_message_of_its_conversation() {
        let store = Store::open_in_memory().unwrap();
        let a = store
            .create_conversation(NewConversation::default())
            .unwrap();
        let b = store
            .create_conversation(NewConversation::default())
            .unwrap();
        let in_b = store
            .add_message(&b.id, NewMessage::user(None, "b"))
            .unwrap();
        assert!(matches!(
            store.add_context_summary(&a.id, &in_b.id, "x", None),
            Err(StoreError::Invalid { .. })
        ));
        assert!(matches!(
            store.add_context_summary(&a.id, &"missing".into(), "x", None),
            Err(StoreError::NotFound { .. })
        ));
        assert!(store.context_summaries(&a.id).unwrap().is_empty());
    }
}
