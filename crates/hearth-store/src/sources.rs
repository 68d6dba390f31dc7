//! The passages an answer was given, kept beside the answer: for a conversation attached
//! to a document collection, what the model read is part of the answer's record (the
//! citations point into it), and it stays readable after the collection changes. The
//! store keeps the JSON array as the app made it.

use std::collections::HashMap;

use rusqlite::{params, Connection};
use serde_json::Value;

use crate::error::{Result, StoreError};
use crate::store::Store;
use crate::types::{ConversationId, MessageId};

impl Store {
    /// Records the passages an answer was given (a JSON array).
    pub fn set_message_sources(&self, message: &MessageId, sources: &Value) -> Result<()> {
        if !sources.is_array() {
            return Err(StoreError::invalid(
                "message sources",
                "expected a JSON array",
            ));
        }
        self.write(|tx| {
            tx.execute(
                "INSERT INTO message_sources(message_id, sources) VALUES (?1, ?2)
                 ON CONFLICT(message_id) DO UPDATE SET sources = excluded.sources",
                params![message, sources.to_string()],
            )?;
            Ok(())
        })
    }

    /// The sources of every answer of a conversation that has them, by message id.
    pub fn message_sources(
        &self,
        conversation: &ConversationId,
    ) -> Result<Vec<(MessageId, Value)>> {
        Ok(load_sources(&self.conn(), conversation)?
            .into_iter()
            .collect())
    }
}

/// A conversation's answer sources, by message id (unreadable JSON is skipped: the
/// CHECK constraint admits none).
pub(crate) fn load_sources(
    conn: &Connection,
    conversation: &ConversationId,
) -> Result<HashMap<MessageId, Value>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.message_id, s.sources FROM message_sources s
         JOIN messages m ON m.id = s.message_id
         WHERE m.conversation_id = ?1",
    )?;
    let rows = stmt
        .query_map([conversation], |row| {
            Ok((row.get::<_, MessageId>(0)?, row.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, text)| serde_json::from_str(&text).ok().map(|v| (id, v)))
        .collect())
}
