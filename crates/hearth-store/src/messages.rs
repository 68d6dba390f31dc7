//! Messages as a tree: adding, streaming checkpoints, crash recovery, and branches.
//!
//! Each message has a parent (none for a first message). Editing a question or
//! regenerating an answer adds a sibling: a new message with the same parent. The
//! conversation remembers the last message of the branch being shown (`active_leaf_id`);
//! the active branch is the path from a root down to it.
//!
//! An answer is written while it streams: [`Store::add_message`] commits it empty in state
//! `streaming`, [`Store::checkpoint_message`] commits the text as it grows, and
//! [`Store::finish_message`] records how it ended. If the app dies in between, the last
//! checkpoint is on disk and [`Store::mark_interrupted`] labels it at the next start.
//! A streaming answer records which process writes it, so a start of another process
//! while it streams leaves it alone.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::conversations::ensure_conversation;
use crate::error::{Result, StoreError};
use crate::limits::{self, MAX_SHORT_BYTES, MAX_TEXT_BYTES};
use crate::owner;
use crate::store::{now_ms, Store};
use crate::types::{
    ConversationId, Message, MessageFinish, MessageId, MessageState, NewMessage, Siblings,
    ToolCallRecord,
};

/// The columns [`message_from_row`] reads, for a query over `messages m`.
pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.conversation_id, m.parent_id, m.role, \
    m.kind, m.content, m.state, m.error, m.model, m.token_count, m.created_at, m.updated_at, m.provider, \
    m.reasoning, m.reasoning_ms, m.tool_calls";

/// Deeper than any real conversation; stops a walk if a hand-edited file made a loop.
const MAX_DEPTH: i64 = 1_000_000;

pub(crate) fn message_from_row(row: &Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        id: row.get(0)?,
        conversation_id: row.get(1)?,
        parent_id: row.get(2)?,
        role: row.get(3)?,
        kind: row.get(4)?,
        content: row.get(5)?,
        state: row.get(6)?,
        error: row.get(7)?,
        model: row.get(8)?,
        token_count: row.get(9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
        provider: row.get(12)?,
        reasoning: row.get(13)?,
        reasoning_ms: row.get(14)?,
        tool_calls: tool_calls_from_sql(row.get(15)?),
    })
}

/// The stored calls; text a newer or hand-edited database holds in another shape is
/// left out rather than failing the whole message.
fn tool_calls_from_sql(text: Option<String>) -> Option<Vec<ToolCallRecord>> {
    let text = text?;
    match serde_json::from_str(&text) {
        Ok(calls) => Some(calls),
        Err(e) => {
            tracing::warn!(error = %e, "a message's tool calls could not be read");
            None
        }
    }
}

pub(crate) fn load_message(conn: &Connection, id: &MessageId) -> Result<Message> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?1");
    conn.query_row(&sql, [id], message_from_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("message", id.as_str()))
}

/// Every message of a conversation, oldest first (parents before their children).
pub(crate) fn load_messages(conn: &Connection, id: &ConversationId) -> Result<Vec<Message>> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = ?1 \
         ORDER BY m.created_at, m.seq"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([id], message_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Root to `leaf`.
fn branch_to(conn: &Connection, leaf: &MessageId) -> Result<Vec<Message>> {
    let sql = format!(
        "WITH RECURSIVE branch(id, parent_id, depth) AS ( \
             SELECT id, parent_id, 0 FROM messages WHERE id = ?1 \
             UNION ALL \
             SELECT p.id, p.parent_id, b.depth + 1 FROM messages p \
             JOIN branch b ON p.id = b.parent_id WHERE b.depth < {MAX_DEPTH} \
         ) \
         SELECT {MESSAGE_COLUMNS} FROM branch b JOIN messages m ON m.id = b.id \
         ORDER BY b.depth DESC"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([leaf], message_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The most recently created message without children under `top` (or `top` itself).
fn newest_leaf_under(conn: &Connection, top: &MessageId) -> Result<MessageId> {
    let sql = format!(
        "WITH RECURSIVE sub(id, seq, created_at, depth) AS ( \
             SELECT id, seq, created_at, 0 FROM messages WHERE id = ?1 \
             UNION ALL \
             SELECT c.id, c.seq, c.created_at, s.depth + 1 FROM messages c \
             JOIN sub s ON c.parent_id = s.id WHERE s.depth < {MAX_DEPTH} \
         ) \
         SELECT s.id FROM sub s \
         WHERE NOT EXISTS (SELECT 1 FROM messages c WHERE c.parent_id = s.id) \
         ORDER BY s.created_at DESC, s.seq DESC LIMIT 1"
    );
    conn.query_row(&sql, [top], |row| row.get(0))
        .optional()?
        .ok_or_else(|| StoreError::not_found("message", top.as_str()))
}

/// The leaf the conversation shows: the remembered one, or else the newest leaf (a
/// conversation imported without one, or whose leaf was lost).
fn active_leaf(conn: &Connection, id: &ConversationId) -> Result<Option<MessageId>> {
    let remembered: Option<MessageId> = conn
        .query_row(
            "SELECT c.active_leaf_id FROM conversations c \
             JOIN messages m ON m.id = c.active_leaf_id AND m.conversation_id = c.id \
             WHERE c.id = ?1",
            [id],
            |row| row.get(0),
        )
        .optional()?
        .flatten();
    if remembered.is_some() {
        return Ok(remembered);
    }
    Ok(conn
        .query_row(
            "SELECT m.id FROM messages m WHERE m.conversation_id = ?1 \
             AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.parent_id = m.id) \
             ORDER BY m.created_at DESC, m.seq DESC LIMIT 1",
            [id],
            |row| row.get(0),
        )
        .optional()?)
}

pub(crate) fn active_branch_of(conn: &Connection, id: &ConversationId) -> Result<Vec<Message>> {
    ensure_conversation(conn, id)?;
    match active_leaf(conn, id)? {
        Some(leaf) => branch_to(conn, &leaf),
        None => Ok(Vec::new()),
    }
}

/// Finds a message and checks that it belongs to `conversation`.
fn message_in(conn: &Connection, conversation: &ConversationId, id: &MessageId) -> Result<()> {
    let owner: Option<ConversationId> = conn
        .query_row(
            "SELECT conversation_id FROM messages WHERE id = ?1",
            [id],
            |row| row.get(0),
        )
        .optional()?;
    match owner {
        None => Err(StoreError::not_found("message", id.as_str())),
        Some(owner) if &owner != conversation => Err(StoreError::invalid(
            "message",
            format!("{id} belongs to another conversation; pick a message of {conversation}"),
        )),
        Some(_) => Ok(()),
    }
}

/// Why an update of a message that is not streaming did nothing.
fn not_streaming(conn: &Connection, id: &MessageId) -> StoreError {
    let state: rusqlite::Result<Option<String>> = conn
        .query_row("SELECT state FROM messages WHERE id = ?1", [id], |row| {
            row.get(0)
        })
        .optional();
    match state {
        Ok(Some(state)) => StoreError::NotStreaming {
            id: id.to_string(),
            state,
        },
        Ok(None) => StoreError::not_found("message", id.as_str()),
        Err(err) => err.into(),
    }
}

impl Store {
    /// Adds a message and makes it the end of the active branch; committed on return.
    ///
    /// To edit a question or regenerate an answer, add a message with the same parent as
    /// the one it replaces: the old one stays as a sibling.
    pub fn add_message(&self, conversation: &ConversationId, new: NewMessage) -> Result<Message> {
        limits::check_len("message", &new.content, MAX_TEXT_BYTES)?;
        limits::check_opt_len("model name", new.model.as_deref(), MAX_SHORT_BYTES)?;
        limits::check_opt_len("provider name", new.provider.as_deref(), MAX_SHORT_BYTES)?;
        let id = MessageId::random();
        // A streaming answer is leased to this process, so that another process opening
        // the history does not take it for one a crash cut off.
        let (owner_pid, owner_start) = match new.state {
            MessageState::Streaming => owner::current_columns(),
            _ => (None, None),
        };
        self.write(|tx| {
            ensure_conversation(tx, conversation)?;
            if let Some(parent) = &new.parent_id {
                message_in(tx, conversation, parent)?;
            }
            let now = now_ms();
            tx.execute(
                "INSERT INTO messages (id, conversation_id, parent_id, role, kind, content, \
                 state, model, token_count, created_at, updated_at, provider, owner_pid, \
                 owner_start) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13)",
                params![
                    id,
                    conversation,
                    new.parent_id,
                    new.role,
                    new.kind,
                    new.content,
                    new.state,
                    new.model,
                    new.token_count,
                    now,
                    new.provider,
                    owner_pid,
                    owner_start
                ],
            )?;
            tx.execute(
                "UPDATE conversations SET active_leaf_id = ?2, updated_at = ?3 WHERE id = ?1",
                params![conversation, id, now],
            )?;
            load_message(tx, &id)
        })
    }

    /// One message.
    pub fn message(&self, id: &MessageId) -> Result<Message> {
        load_message(&self.conn(), id)
    }

    /// Every message of a conversation, all branches, oldest first.
    pub fn messages(&self, conversation: &ConversationId) -> Result<Vec<Message>> {
        let conn = self.conn();
        ensure_conversation(&conn, conversation)?;
        load_messages(&conn, conversation)
    }

    /// Saves the text (and state) of an answer that is streaming; committed on return.
    ///
    /// One row update, cheap enough to call every few tokens: streaming text is not
    /// indexed for search until it leaves the `streaming` state. Fails with
    /// [`StoreError::NotStreaming`] once the message has finished or was marked
    /// interrupted, so a late writer never overwrites a final answer.
    pub fn checkpoint_message(
        &self,
        id: &MessageId,
        content: &str,
        state: MessageState,
    ) -> Result<()> {
        self.checkpoint_answer(id, content, None, state)
    }

    /// [`Store::checkpoint_message`] for a reasoning model's answer: its text and, when
    /// `reasoning` is given, its thinking so far, in one update (a crash keeps both as
    /// they were at the last checkpoint). `None` leaves the stored thinking as it is.
    pub fn checkpoint_answer(
        &self,
        id: &MessageId,
        content: &str,
        reasoning: Option<&str>,
        state: MessageState,
    ) -> Result<()> {
        limits::check_len("message", content, MAX_TEXT_BYTES)?;
        limits::check_opt_len("thinking", reasoning, MAX_TEXT_BYTES)?;
        self.write(|tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE messages SET content = ?2, state = ?3, updated_at = ?4, \
                     reasoning = coalesce(?5, reasoning) \
                     WHERE id = ?1 AND state = 'streaming'",
                )?
                .execute(params![id, content, state, now_ms(), reasoning])?;
            if changed == 0 {
                return Err(not_streaming(tx, id));
            }
            Ok(())
        })
    }

    /// Saves the tool calls of an answer that is streaming (each change of a call's
    /// state is committed, so a crash while a tool runs keeps what was decided).
    pub fn set_tool_calls(&self, id: &MessageId, calls: &[ToolCallRecord]) -> Result<()> {
        let json = serde_json::to_string(calls)
            .map_err(|e| StoreError::invalid("tool calls", e.to_string()))?;
        limits::check_len("tool calls", &json, MAX_TEXT_BYTES)?;
        self.write(|tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE messages SET tool_calls = ?2, updated_at = ?3 \
                     WHERE id = ?1 AND state = 'streaming'",
                )?
                .execute(params![id, json, now_ms()])?;
            if changed == 0 {
                return Err(not_streaming(tx, id));
            }
            Ok(())
        })
    }

    /// Records how a streaming answer ended: final text, state, error and token count.
    pub fn finish_message(&self, id: &MessageId, finish: &MessageFinish) -> Result<Message> {
        limits::check_len("message", &finish.content, MAX_TEXT_BYTES)?;
        limits::check_opt_len("error text", finish.error.as_deref(), MAX_TEXT_BYTES)?;
        limits::check_opt_len("thinking", finish.reasoning.as_deref(), MAX_TEXT_BYTES)?;
        if finish.state == MessageState::Streaming {
            return Err(StoreError::invalid(
                "state",
                "a finished message cannot be streaming; use checkpoint_message while it streams",
            ));
        }
        self.write(|tx| {
            let now = now_ms();
            // The thinking a checkpoint kept stays when the finish has none to give
            // (an answer that failed after thinking).
            let changed = tx.execute(
                "UPDATE messages SET content = ?2, state = ?3, error = ?4, token_count = ?5, \
                 updated_at = ?6, reasoning = coalesce(?7, reasoning), \
                 reasoning_ms = coalesce(?8, reasoning_ms) \
                 WHERE id = ?1 AND state = 'streaming'",
                params![
                    id,
                    finish.content,
                    finish.state,
                    finish.error,
                    finish.token_count,
                    now,
                    finish.reasoning,
                    finish.reasoning_ms
                ],
            )?;
            if changed == 0 {
                return Err(not_streaming(tx, id));
            }
            tx.execute(
                "UPDATE conversations SET updated_at = ?2 \
                 WHERE id = (SELECT conversation_id FROM messages WHERE id = ?1)",
                params![id, now],
            )?;
            load_message(tx, id)
        })
    }

    /// Turns the `streaming` messages whose writer has died into `interrupted` and
    /// returns how many there were.
    ///
    /// Called at every start: a message left streaming by a process that is gone was cut
    /// off by a crash or a kill, and its text is the last checkpoint. A message whose
    /// writer still runs (the app, while `hearth history list` opens the same history;
    /// or this very process) is left alone and its checkpoints keep working; see
    /// `owner.rs` for how a writer is known to be alive. Messages from versions before
    /// writers were recorded have none and count as cut off.
    pub fn mark_interrupted(&self) -> Result<usize> {
        self.write(|tx| {
            Ok(owner::mark_dead_owners(
                tx,
                "messages",
                "streaming",
                "state = 'interrupted', updated_at = ?1",
                now_ms(),
            )?)
        })
    }

    /// The branch being shown, first message to last.
    pub fn active_branch(&self, conversation: &ConversationId) -> Result<Vec<Message>> {
        active_branch_of(&self.conn(), conversation)
    }

    /// Shows the branch through `message`: the active leaf becomes the most recently
    /// created message at the end of any branch through it. Returns the new active branch.
    pub fn switch_branch(
        &self,
        conversation: &ConversationId,
        message: &MessageId,
    ) -> Result<Vec<Message>> {
        self.write(|tx| {
            ensure_conversation(tx, conversation)?;
            message_in(tx, conversation, message)?;
            let leaf = newest_leaf_under(tx, message)?;
            tx.execute(
                "UPDATE conversations SET active_leaf_id = ?2 WHERE id = ?1",
                params![conversation, leaf],
            )?;
            branch_to(tx, &leaf)
        })
    }

    /// Every message id of a conversation grouped by parent, each group in the order
    /// [`Store::siblings`] gives (oldest first, then as written).
    pub fn sibling_groups(
        &self,
        conversation: &ConversationId,
    ) -> Result<HashMap<Option<MessageId>, Vec<MessageId>>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, parent_id FROM messages WHERE conversation_id = ?1 \
             ORDER BY created_at, seq",
        )?;
        let rows = stmt
            .query_map(params![conversation], |row| {
                Ok((
                    row.get::<_, MessageId>(0)?,
                    row.get::<_, Option<MessageId>>(1)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut groups: HashMap<Option<MessageId>, Vec<MessageId>> = HashMap::new();
        for (id, parent) in rows {
            groups.entry(parent).or_default().push(id);
        }
        Ok(groups)
    }

    /// The message and its siblings (same parent, same conversation), oldest first, with
    /// the message's position among them.
    pub fn siblings(&self, message: &MessageId) -> Result<Siblings> {
        let conn = self.conn();
        let this = load_message(&conn, message)?;
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m \
             WHERE m.conversation_id = ?1 AND m.parent_id IS ?2 ORDER BY m.created_at, m.seq"
        );
        let mut stmt = conn.prepare(&sql)?;
        let messages: Vec<Message> = stmt
            .query_map(
                params![this.conversation_id, this.parent_id],
                message_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?;
        let index = messages
            .iter()
            .position(|m| m.id == this.id)
            .ok_or_else(|| StoreError::not_found("message", message.as_str()))?;
        Ok(Siblings { messages, index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{MessageKind, NewConversation, Role};

    fn setup() -> (Store, ConversationId) {
        let store = Store::open_in_memory().unwrap();
        let c = store
            .create_conversation(NewConversation::default())
            .unwrap();
        (store, c.id)
    }

    fn contents(messages: &[Message]) -> Vec<&str> {
        messages.iter().map(|m| m.content.as_str()).collect()
    }

    fn answer(store: &Store, c: &ConversationId, parent: &MessageId, text: &str) -> Message {
        let m = store
            .add_message(
                c,
                NewMessage::assistant_streaming(Some(parent.clone()), Some("m".into())),
            )
            .unwrap();
        store
            .finish_message(
                &m.id,
                &MessageFinish {
                    content: text.into(),
                    state: MessageState::Done,
                    error: None,
                    token_count: Some(3),
                    reasoning: None,
                    reasoning_ms: None,
                },
            )
            .unwrap()
    }

    #[test]
    fn messages_chain_and_the_newest_is_the_active_leaf() {
        let (store, c) = setup();
        let q = store.add_message(&c, NewMessage::user(None, "hi")).unwrap();
        let a = answer(&store, &c, &q.id, "hello");
        assert_eq!(a.parent_id.as_ref(), Some(&q.id));
        assert_eq!(a.token_count, Some(3));
        assert_eq!(
            store.conversation(&c).unwrap().active_leaf_id,
            Some(a.id.clone())
        );
        assert_eq!(contents(&store.active_branch(&c).unwrap()), ["hi", "hello"]);
        assert_eq!(store.messages(&c).unwrap().len(), 2);
    }

    #[test]
    fn regenerate_and_edit_make_siblings_and_branches_switch() {
        let (store, c) = setup();
        let q1 = store.add_message(&c, NewMessage::user(None, "q1")).unwrap();
        let a1 = answer(&store, &c, &q1.id, "a1");
        let q2 = store
            .add_message(&c, NewMessage::user(Some(a1.id.clone()), "q2"))
            .unwrap();
        let a2 = answer(&store, &c, &q2.id, "a2");
        // Regenerate a1: a sibling answer, now active.
        let a1b = answer(&store, &c, &q1.id, "a1b");
        assert_eq!(contents(&store.active_branch(&c).unwrap()), ["q1", "a1b"]);
        let siblings = store.siblings(&a1b.id).unwrap();
        assert_eq!(contents(&siblings.messages), ["a1", "a1b"]);
        assert_eq!(siblings.index, 1);
        assert_eq!(store.siblings(&a1.id).unwrap().index, 0);

        // Back to the first answer: descends to the newest leaf under it (a2).
        let branch = store.switch_branch(&c, &a1.id).unwrap();
        assert_eq!(contents(&branch), ["q1", "a1", "q2", "a2"]);
        assert_eq!(
            store.conversation(&c).unwrap().active_leaf_id,
            Some(a2.id.clone())
        );

        // Edit the first question: a sibling root.
        let q1b = store
            .add_message(&c, NewMessage::user(None, "q1 edited"))
            .unwrap();
        let roots = store.siblings(&q1b.id).unwrap();
        assert_eq!(contents(&roots.messages), ["q1", "q1 edited"]);
        assert_eq!(contents(&store.active_branch(&c).unwrap()), ["q1 edited"]);

        // Switching to the old root picks its newest leaf: a1b was created after a2.
        let branch = store.switch_branch(&c, &q1.id).unwrap();
        assert_eq!(contents(&branch), ["q1", "a1b"]);
    }

    #[test]
    fn newest_leaf_ties_on_time_go_to_the_later_insert() {
        let (store, c) = setup();
        let q = store.add_message(&c, NewMessage::user(None, "q")).unwrap();
        let a = answer(&store, &c, &q.id, "a");
        let b = answer(&store, &c, &q.id, "b");
        store
            .conn()
            .execute(
                "UPDATE messages SET created_at = 5 WHERE id IN (?1, ?2)",
                [&a.id, &b.id],
            )
            .unwrap();
        assert_eq!(
            contents(&store.switch_branch(&c, &q.id).unwrap()),
            ["q", "b"]
        );
    }

    #[test]
    fn parents_must_exist_in_the_same_conversation() {
        let (store, c) = setup();
        let other = store
            .create_conversation(NewConversation::default())
            .unwrap()
            .id;
        let foreign = store
            .add_message(&other, NewMessage::user(None, "x"))
            .unwrap();
        assert!(matches!(
            store.add_message(&c, NewMessage::user(Some(foreign.id.clone()), "y")),
            Err(StoreError::Invalid { .. })
        ));
        assert!(matches!(
            store.add_message(&c, NewMessage::user(Some("nope".into()), "y")),
            Err(StoreError::NotFound {
                what: "message",
                ..
            })
        ));
        assert!(matches!(
            store.switch_branch(&c, &foreign.id),
            Err(StoreError::Invalid { .. })
        ));
        assert!(store.messages(&c).unwrap().is_empty());
    }

    #[test]
    fn the_database_refuses_a_parent_in_another_conversation_even_without_the_code_check() {
        let (store, c) = setup();
        let other = store
            .create_conversation(NewConversation::default())
            .unwrap()
            .id;
        let foreign = store
            .add_message(&other, NewMessage::user(None, "x"))
            .unwrap();
        let result = store.conn().execute(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, state, created_at, updated_at) \
             VALUES ('z', ?1, ?2, 'user', 'y', 'done', 1, 1)",
            params![c, foreign.id],
        );
        let err = result.unwrap_err().to_string();
        assert!(err.contains("another conversation"), "{err}");
    }

    #[test]
    fn checkpoints_grow_the_text_until_the_answer_finishes() {
        let (store, c) = setup();
        let q = store.add_message(&c, NewMessage::user(None, "q")).unwrap();
        let a = store
            .add_message(
                &c,
                NewMessage::assistant_streaming(Some(q.id.clone()), None),
            )
            .unwrap();
        assert_eq!(a.state, MessageState::Streaming);
        store
            .checkpoint_message(&a.id, "Hel", MessageState::Streaming)
            .unwrap();
        store
            .checkpoint_message(&a.id, "Hello", MessageState::Streaming)
            .unwrap();
        assert_eq!(store.message(&a.id).unwrap().content, "Hello");
        store
            .checkpoint_message(&a.id, "Hello!", MessageState::Stopped)
            .unwrap();
        let stopped = store.message(&a.id).unwrap();
        assert_eq!(
            (stopped.content.as_str(), stopped.state),
            ("Hello!", MessageState::Stopped)
        );
        // A late checkpoint cannot overwrite the final text.
        match store.checkpoint_message(&a.id, "Hello! more", MessageState::Streaming) {
            Err(StoreError::NotStreaming { state, .. }) => assert_eq!(state, "stopped"),
            other => panic!("expected NotStreaming, got {other:?}"),
        }
        assert!(matches!(
            store.checkpoint_message(&"nope".into(), "x", MessageState::Streaming),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn failed_answer_keeps_its_error() {
        let (store, c) = setup();
        let a = store
            .add_message(&c, NewMessage::assistant_streaming(None, None))
            .unwrap();
        let failed = store
            .finish_message(
                &a.id,
                &MessageFinish {
                    content: "partial".into(),
                    state: MessageState::Failed,
                    error: Some("model crashed".into()),
                    token_count: None,
                    reasoning: None,
                    reasoning_ms: None,
                },
            )
            .unwrap();
        assert_eq!(failed.state, MessageState::Failed);
        assert_eq!(failed.error.as_deref(), Some("model crashed"));
        let again = MessageFinish {
            content: "x".into(),
            state: MessageState::Streaming,
            error: None,
            token_count: None,
            reasoning: None,
            reasoning_ms: None,
        };
        assert!(matches!(
            store.finish_message(&a.id, &again),
            Err(StoreError::Invalid { .. })
        ));
    }

    #[test]
    fn mark_interrupted_counts_and_labels_only_streaming_messages() {
        let (store, c) = setup();
        let done = store.add_message(&c, NewMessage::user(None, "q")).unwrap();
        let s1 = store
            .add_message(
                &c,
                NewMessage::assistant_streaming(Some(done.id.clone()), None),
            )
            .unwrap();
        let s2 = store
            .add_message(
                &c,
                NewMessage::assistant_streaming(Some(done.id.clone()), None),
            )
            .unwrap();
        store
            .checkpoint_message(&s1.id, "partial", MessageState::Streaming)
            .unwrap();
        // Alive writers (this process) are left alone; dead ones' answers are labelled.
        assert_eq!(store.mark_interrupted().unwrap(), 0);
        store.forget_writers();
        assert_eq!(store.mark_interrupted().unwrap(), 2);
        assert_eq!(store.mark_interrupted().unwrap(), 0);
        let s1 = store.message(&s1.id).unwrap();
        assert_eq!(
            (s1.content.as_str(), s1.state),
            ("partial", MessageState::Interrupted)
        );
        assert_eq!(
            store.message(&s2.id).unwrap().state,
            MessageState::Interrupted
        );
        assert_eq!(store.message(&done.id).unwrap().state, MessageState::Done);
    }

    #[test]
    fn summaries_are_stored_as_their_own_kind() {
        let (store, c) = setup();
        let summary = store
            .add_message(
                &c,
                NewMessage {
                    kind: MessageKind::Summary,
                    role: Role::System,
                    ..NewMessage::user(None, "Earlier: we planned a trip.")
                },
            )
            .unwrap();
        assert_eq!(
            store.message(&summary.id).unwrap().kind,
            MessageKind::Summary
        );
    }

    #[test]
    fn empty_conversation_has_an_empty_branch_and_a_lost_leaf_falls_back_to_the_newest() {
        let (store, c) = setup();
        assert!(store.active_branch(&c).unwrap().is_empty());
        let q = store.add_message(&c, NewMessage::user(None, "q")).unwrap();
        answer(&store, &c, &q.id, "a");
        store
            .conn()
            .execute("UPDATE conversations SET active_leaf_id = NULL", [])
            .unwrap();
        assert_eq!(contents(&store.active_branch(&c).unwrap()), ["q", "a"]);
    }
}
