//! Conversations: creating, listing, renaming, pinning, archiving, tagging, settings and
//! deletion.
//!
//! `updated_at` means "last activity" (a message, a rename, a settings change) and orders
//! the sidebar; pinning, archiving and tagging leave it alone so that tidying the list does
//! not reorder it.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use crate::error::{Result, StoreError};
use crate::limits::{
    self, MAX_SHORT_BYTES, MAX_TAGS_PER_CONVERSATION, MAX_TEXT_BYTES, MAX_TITLE_BYTES,
};
use crate::store::{now_ms, Store};
use crate::types::{
    Conversation, ConversationFilter, ConversationId, ConversationSettings, NewConversation,
    PersonaId, TitleSource,
};

/// The columns [`conversation_from_row`] reads, for a query over `conversations c`.
pub(crate) const CONVERSATION_COLUMNS: &str = "c.id, c.title, c.title_source, c.model, \
    c.system_prompt, c.persona_id, c.settings, c.pinned, c.archived, c.created_at, \
    c.updated_at, c.active_leaf_id, \
    (SELECT json_group_array(t.tag ORDER BY t.tag) FROM conversation_tags t \
     WHERE t.conversation_id = c.id)";

pub(crate) fn conversation_from_row(row: &Row<'_>) -> rusqlite::Result<Conversation> {
    let settings: String = row.get(6)?;
    let tags: String = row.get(12)?;
    let tags: Vec<String> = serde_json::from_str(&tags).map_err(|err| {
        rusqlite::Error::FromSqlConversionFailure(12, rusqlite::types::Type::Text, Box::new(err))
    })?;
    Ok(Conversation {
        id: row.get(0)?,
        title: row.get(1)?,
        title_source: row.get(2)?,
        model: row.get(3)?,
        system_prompt: row.get(4)?,
        persona_id: row.get(5)?,
        settings: limits::parse_settings(&settings)?,
        pinned: row.get(7)?,
        archived: row.get(8)?,
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
        active_leaf_id: row.get(11)?,
        tags,
    })
}

pub(crate) fn load_conversation(conn: &Connection, id: &ConversationId) -> Result<Conversation> {
    let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?1");
    conn.query_row(&sql, [id], conversation_from_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("conversation", id.as_str()))
}

pub(crate) fn ensure_conversation(conn: &Connection, id: &ConversationId) -> Result<()> {
    let found = conn
        .query_row(
            "SELECT 1 FROM conversations WHERE id = ?1",
            [id],
            |_| Ok(()),
        )
        .optional()?;
    found.ok_or_else(|| StoreError::not_found("conversation", id.as_str()))
}

pub(crate) fn ensure_persona(conn: &Connection, id: Option<&PersonaId>) -> Result<()> {
    let Some(id) = id else { return Ok(()) };
    let found = conn
        .query_row("SELECT 1 FROM personas WHERE id = ?1", [id], |_| Ok(()))
        .optional()?;
    found.ok_or_else(|| StoreError::not_found("persona", id.as_str()))
}

fn check_settings_fields(model: Option<&str>, system_prompt: Option<&str>) -> Result<()> {
    limits::check_opt_len("model name", model, MAX_SHORT_BYTES)?;
    limits::check_opt_len("system prompt", system_prompt, MAX_TEXT_BYTES)
}

/// Runs an UPDATE on one conversation and turns "no row" into NotFound.
fn update_one(
    conn: &Connection,
    id: &ConversationId,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<()> {
    if conn.execute(sql, params)? == 0 {
        return Err(StoreError::not_found("conversation", id.as_str()));
    }
    Ok(())
}

impl Store {
    /// Starts a conversation with no messages.
    pub fn create_conversation(&self, new: NewConversation) -> Result<Conversation> {
        let (title, source) = match new.title {
            Some(title) => (title.trim().to_owned(), TitleSource::User),
            None => (String::new(), TitleSource::Auto),
        };
        limits::check_len("title", &title, MAX_TITLE_BYTES)?;
        check_settings_fields(new.model.as_deref(), new.system_prompt.as_deref())?;
        let settings = limits::settings_json(&new.settings)?;
        let id = ConversationId::random();
        self.write(|tx| {
            ensure_persona(tx, new.persona_id.as_ref())?;
            let now = now_ms();
            tx.execute(
                "INSERT INTO conversations (id, title, title_source, model, system_prompt, \
                 persona_id, settings, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                params![
                    id,
                    title,
                    source,
                    new.model,
                    new.system_prompt,
                    new.persona_id,
                    settings,
                    now
                ],
            )?;
            load_conversation(tx, &id)
        })
    }

    /// One conversation, with its tags.
    pub fn conversation(&self, id: &ConversationId) -> Result<Conversation> {
        load_conversation(&self.conn(), id)
    }

    /// Conversations for the sidebar: pinned first, then the most recently active.
    pub fn list_conversations(&self, filter: &ConversationFilter) -> Result<Vec<Conversation>> {
        let mut sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE 1");
        let mut args: Vec<SqlValue> = Vec::new();
        if let Some(archived) = filter.archived {
            args.push(SqlValue::Integer(archived.into()));
            sql.push_str(&format!(" AND c.archived = ?{}", args.len()));
        }
        if let Some(pinned) = filter.pinned {
            args.push(SqlValue::Integer(pinned.into()));
            sql.push_str(&format!(" AND c.pinned = ?{}", args.len()));
        }
        if let Some(tag) = &filter.tag {
            args.push(SqlValue::Text(tag.trim().to_owned()));
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM conversation_tags t \
                 WHERE t.conversation_id = c.id AND t.tag = ?{})",
                args.len()
            ));
        }
        // The id breaks ties so that paging never shows a conversation twice or skips one.
        sql.push_str(" ORDER BY c.pinned DESC, c.updated_at DESC, c.created_at DESC, c.id DESC");
        args.push(SqlValue::Integer(filter.limit.map_or(-1, i64::from)));
        args.push(SqlValue::Integer(filter.offset.into()));
        sql.push_str(&format!(
            " LIMIT ?{} OFFSET ?{}",
            args.len() - 1,
            args.len()
        ));

        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), conversation_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets a title the user chose; generated titles will no longer replace it.
    pub fn rename(&self, id: &ConversationId, title: &str) -> Result<()> {
        let title = title.trim();
        limits::check_len("title", title, MAX_TITLE_BYTES)?;
        self.write(|tx| {
            update_one(
                tx,
                id,
                "UPDATE conversations SET title = ?2, title_source = 'user', updated_at = ?3 \
                 WHERE id = ?1",
                params![id, title, now_ms()],
            )
        })
    }

    /// Sets a generated title unless the user has chosen one; returns whether it was set.
    pub fn set_auto_title(&self, id: &ConversationId, title: &str) -> Result<bool> {
        let title = title.trim();
        limits::check_len("title", title, MAX_TITLE_BYTES)?;
        self.write(|tx| {
            ensure_conversation(tx, id)?;
            let changed = tx.execute(
                "UPDATE conversations SET title = ?2 WHERE id = ?1 AND title_source = 'auto'",
                params![id, title],
            )?;
            Ok(changed > 0)
        })
    }

    /// Pins or unpins; pinned conversations list first.
    pub fn set_pinned(&self, id: &ConversationId, pinned: bool) -> Result<()> {
        self.write(|tx| {
            update_one(
                tx,
                id,
                "UPDATE conversations SET pinned = ?2 WHERE id = ?1",
                params![id, pinned],
            )
        })
    }

    /// Archives (hides from the default list) or restores.
    pub fn set_archived(&self, id: &ConversationId, archived: bool) -> Result<()> {
        self.write(|tx| {
            update_one(
                tx,
                id,
                "UPDATE conversations SET archived = ?2 WHERE id = ?1",
                params![id, archived],
            )
        })
    }

    /// Adds a tag (trimmed); adding one that is already there does nothing.
    pub fn add_tag(&self, id: &ConversationId, tag: &str) -> Result<()> {
        let tag = limits::normalize_tag(tag)?;
        self.write(|tx| {
            ensure_conversation(tx, id)?;
            let count: i64 = tx.query_row(
                "SELECT count(*) FROM conversation_tags WHERE conversation_id = ?1 AND tag <> ?2",
                params![id, tag],
                |row| row.get(0),
            )?;
            if count >= MAX_TAGS_PER_CONVERSATION as i64 {
                return Err(StoreError::invalid(
                    "tag",
                    format!(
                        "a conversation can have at most {MAX_TAGS_PER_CONVERSATION} tags; remove one first"
                    ),
                ));
            }
            tx.execute(
                "INSERT OR IGNORE INTO conversation_tags (conversation_id, tag) VALUES (?1, ?2)",
                params![id, tag],
            )?;
            Ok(())
        })
    }

    /// Removes a tag; returns whether the conversation had it.
    pub fn remove_tag(&self, id: &ConversationId, tag: &str) -> Result<bool> {
        self.write(|tx| {
            ensure_conversation(tx, id)?;
            let removed = tx.execute(
                "DELETE FROM conversation_tags WHERE conversation_id = ?1 AND tag = ?2",
                params![id, tag.trim()],
            )?;
            Ok(removed > 0)
        })
    }

    /// Every tag in use, sorted, for a tag filter.
    pub fn all_tags(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT DISTINCT tag FROM conversation_tags ORDER BY tag")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Replaces the model, system prompt, persona and sampling settings together (the
    /// settings panel saves them as one).
    pub fn update_settings(
        &self,
        id: &ConversationId,
        settings: &ConversationSettings,
    ) -> Result<Conversation> {
        check_settings_fields(settings.model.as_deref(), settings.system_prompt.as_deref())?;
        let json = limits::settings_json(&settings.settings)?;
        self.write(|tx| {
            ensure_persona(tx, settings.persona_id.as_ref())?;
            update_one(
                tx,
                id,
                "UPDATE conversations SET model = ?2, system_prompt = ?3, persona_id = ?4, \
                 settings = ?5, updated_at = ?6 WHERE id = ?1",
                params![
                    id,
                    settings.model,
                    settings.system_prompt,
                    settings.persona_id,
                    json,
                    now_ms()
                ],
            )?;
            load_conversation(tx, id)
        })
    }

    /// Deletes a conversation with all its messages, tags and search entries, and wipes
    /// their bytes from the database file and its write-ahead log.
    ///
    /// `secure_delete` zeroes the freed rows and FTS5's `secure-delete` removes the words
    /// from the search index in place; the checkpoint afterwards copies those pages into
    /// the main file and empties the log, whose older frames still held the text. If
    /// another process is reading at that moment the log is emptied at a later checkpoint
    /// instead.
    pub fn delete_conversation(&self, id: &ConversationId) -> Result<()> {
        self.write(|tx| update_one(tx, id, "DELETE FROM conversations WHERE id = ?1", [id]))?;
        self.wipe_log();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ConversationFilter, NewMessage};

    fn store() -> Store {
        Store::open_in_memory().unwrap()
    }

    fn titled(store: &Store, title: &str) -> Conversation {
        store
            .create_conversation(NewConversation {
                title: Some(title.into()),
                ..Default::default()
            })
            .unwrap()
    }

    #[test]
    fn new_conversation_has_defaults_and_reads_back() {
        let store = store();
        let created = store
            .create_conversation(NewConversation {
                model: Some("smollm2".into()),
                settings: serde_json::json!({"temperature": 0.3}),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(created.title, "");
        assert_eq!(created.title_source, TitleSource::Auto);
        assert!(!created.pinned && !created.archived);
        assert_eq!(created.active_leaf_id, None);
        assert_eq!(created.created_at, created.updated_at);
        assert_eq!(store.conversation(&created.id).unwrap(), created);
    }

    #[test]
    fn list_puts_pinned_first_then_most_recent_and_pages() {
        let store = store();
        let a = titled(&store, "a");
        let b = titled(&store, "b");
        let c = titled(&store, "c");
        // Make the order independent of the clock: activity in c, then a.
        store
            .conn()
            .execute(
                "UPDATE conversations SET updated_at = 10 WHERE id = ?1",
                [&b.id],
            )
            .unwrap();
        store
            .conn()
            .execute(
                "UPDATE conversations SET updated_at = 20 WHERE id = ?1",
                [&c.id],
            )
            .unwrap();
        store
            .conn()
            .execute(
                "UPDATE conversations SET updated_at = 30 WHERE id = ?1",
                [&a.id],
            )
            .unwrap();
        store.set_pinned(&b.id, true).unwrap();

        let titles = |filter: &ConversationFilter| -> Vec<String> {
            store
                .list_conversations(filter)
                .unwrap()
                .into_iter()
                .map(|c| c.title)
                .collect()
        };
        assert_eq!(titles(&ConversationFilter::default()), ["b", "a", "c"]);
        let page = |offset| ConversationFilter {
            limit: Some(2),
            offset,
            ..Default::default()
        };
        assert_eq!(titles(&page(0)), ["b", "a"]);
        assert_eq!(titles(&page(2)), ["c"]);
        assert_eq!(
            titles(&ConversationFilter {
                pinned: Some(true),
                ..Default::default()
            }),
            ["b"]
        );

        store.set_archived(&a.id, true).unwrap();
        let visible = ConversationFilter {
            archived: Some(false),
            ..Default::default()
        };
        assert_eq!(titles(&visible), ["b", "c"]);
        let archived = ConversationFilter {
            archived: Some(true),
            ..Default::default()
        };
        assert_eq!(titles(&archived), ["a"]);
    }

    #[test]
    fn tags_are_added_once_listed_sorted_filtered_and_removed() {
        let store = store();
        let a = titled(&store, "a");
        let b = titled(&store, "b");
        store.add_tag(&a.id, "work").unwrap();
        store.add_tag(&a.id, " taxes ").unwrap();
        store.add_tag(&a.id, "work").unwrap();
        store.add_tag(&b.id, "home").unwrap();
        assert_eq!(store.conversation(&a.id).unwrap().tags, ["taxes", "work"]);
        assert_eq!(store.all_tags().unwrap(), ["home", "taxes", "work"]);

        let tagged = store
            .list_conversations(&ConversationFilter {
                tag: Some("work".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(tagged.len(), 1);
        assert_eq!(tagged[0].id, a.id);

        assert!(store.remove_tag(&a.id, "work").unwrap());
        assert!(!store.remove_tag(&a.id, "work").unwrap());
        assert_eq!(store.conversation(&a.id).unwrap().tags, ["taxes"]);
        assert!(matches!(
            store.add_tag(&a.id, "  "),
            Err(StoreError::Invalid { .. })
        ));
    }

    #[test]
    fn too_many_tags_are_refused() {
        let store = store();
        let a = titled(&store, "a");
        for i in 0..MAX_TAGS_PER_CONVERSATION {
            store.add_tag(&a.id, &format!("t{i}")).unwrap();
        }
        // Re-adding an existing tag is still fine; a new one is not.
        store.add_tag(&a.id, "t0").unwrap();
        assert!(matches!(
            store.add_tag(&a.id, "one more"),
            Err(StoreError::Invalid { .. })
        ));
    }

    #[test]
    fn user_title_wins_over_generated_title() {
        let store = store();
        let c = store
            .create_conversation(NewConversation::default())
            .unwrap();
        assert!(store.set_auto_title(&c.id, "Generated").unwrap());
        assert_eq!(store.conversation(&c.id).unwrap().title, "Generated");
        store.rename(&c.id, "  Mine ").unwrap();
        assert!(!store.set_auto_title(&c.id, "Generated again").unwrap());
        let c = store.conversation(&c.id).unwrap();
        assert_eq!(c.title, "Mine");
        assert_eq!(c.title_source, TitleSource::User);
    }

    #[test]
    fn settings_are_replaced_together_and_checked() {
        let store = store();
        let c = titled(&store, "a");
        let settings = ConversationSettings {
            model: Some("gemma".into()),
            system_prompt: Some("Be brief.".into()),
            persona_id: None,
            settings: serde_json::json!({"temperature": 0.1, "top_p": 0.9}),
        };
        let updated = store.update_settings(&c.id, &settings).unwrap();
        assert_eq!(updated.model.as_deref(), Some("gemma"));
        assert_eq!(updated.system_prompt.as_deref(), Some("Be brief."));
        assert_eq!(updated.settings["top_p"], 0.9);

        let missing_persona = ConversationSettings {
            persona_id: Some("nope".into()),
            ..settings.clone()
        };
        assert!(matches!(
            store.update_settings(&c.id, &missing_persona),
            Err(StoreError::NotFound {
                what: "persona",
                ..
            })
        ));
        let not_object = ConversationSettings {
            settings: serde_json::json!(3),
            ..settings
        };
        assert!(matches!(
            store.update_settings(&c.id, &not_object),
            Err(StoreError::Invalid { .. })
        ));
    }

    #[test]
    fn missing_conversation_is_not_found_everywhere() {
        let store = store();
        let id = ConversationId::from("missing");
        let not_found = |r: Result<()>| {
            matches!(
                r,
                Err(StoreError::NotFound {
                    what: "conversation",
                    ..
                })
            )
        };
        assert!(not_found(store.rename(&id, "x")));
        assert!(not_found(store.set_pinned(&id, true)));
        assert!(not_found(store.set_archived(&id, true)));
        assert!(not_found(store.add_tag(&id, "x")));
        assert!(not_found(store.delete_conversation(&id)));
        assert!(not_found(store.conversation(&id).map(|_| ())));
    }

    #[test]
    fn delete_removes_messages_and_tags() {
        let store = store();
        let keep = titled(&store, "keep");
        let gone = titled(&store, "gone");
        store.add_tag(&gone.id, "temp").unwrap();
        let m = store
            .add_message(&gone.id, NewMessage::user(None, "bye"))
            .unwrap();
        store
            .add_message(&keep.id, NewMessage::user(None, "stay"))
            .unwrap();
        store.delete_conversation(&gone.id).unwrap();

        assert!(matches!(
            store.message(&m.id),
            Err(StoreError::NotFound { .. })
        ));
        assert!(store.all_tags().unwrap().is_empty());
        let conn = store.conn();
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM messages"), 1);
        assert_eq!(count("SELECT count(*) FROM conversation_tags"), 0);
        assert_eq!(count("SELECT count(*) FROM conversations"), 1);
    }
}

#[cfg(test)]
mod secure_delete_tests {
    use super::*;
    use crate::types::{MessageFinish, MessageState, NewMessage};

    /// Distinctive enough to appear nowhere by chance; filler words below never share its
    /// first letter, so the search index stores it whole (FTS5 prefix-compresses terms).
    const MARKER: &str = "zqxjvmarker417";

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn files(path: &std::path::Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for suffix in ["", "-wal", "-journal"] {
            let file = format!("{}{suffix}", path.display());
            if let Ok(bytes) = std::fs::read(&file) {
                out.push((file, bytes));
            }
        }
        out
    }

    fn assert_gone(path: &std::path::Path, needles: &[&str]) {
        for (file, bytes) in files(path) {
            for needle in needles {
                assert!(
                    !contains(&bytes, needle.as_bytes()),
                    "{needle:?} still in {file} ({} bytes)",
                    bytes.len()
                );
            }
        }
    }

    fn checkpoint(store: &Store) {
        let busy: i64 = store
            .conn()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(busy, 0);
    }

    fn fill(store: &Store, marked: bool) -> ConversationId {
        let m = |text: &str| {
            if marked {
                format!("{text} {MARKER}")
            } else {
                text.to_owned()
            }
        };
        let c = store
            .create_conversation(NewConversation {
                title: Some(m("title")),
                model: Some(m("model")),
                system_prompt: Some(m("prompt")),
                ..Default::default()
            })
            .unwrap();
        store.add_tag(&c.id, &m("tag")).unwrap();
        let q = store
            .add_message(&c.id, NewMessage::user(None, m("hello there")))
            .unwrap();
        for state in [MessageState::Done, MessageState::Failed] {
            let a = store
                .add_message(
                    &c.id,
                    NewMessage::assistant_streaming(Some(q.id.clone()), None),
                )
                .unwrap();
            store
                .checkpoint_message(&a.id, &m("partial"), MessageState::Streaming)
                .unwrap();
            store
                .finish_message(
                    &a.id,
                    &MessageFinish {
                        content: m("full answer"),
                        state,
                        error: Some(m("error")),
                        token_count: None,
                        reasoning: None,
                        reasoning_ms: None,
                    },
                )
                .unwrap();
        }
        let s = store
            .add_message(
                &c.id,
                NewMessage::assistant_streaming(Some(q.id.clone()), None),
            )
            .unwrap();
        store
            .checkpoint_message(&s.id, &m("cut off"), MessageState::Streaming)
            .unwrap();
        c.id
    }

    #[test]
    fn deleted_text_is_gone_from_the_database_file_and_the_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let store = Store::open(&path).unwrap();
        for _ in 0..3 {
            fill(&store, false);
        }
        let target = fill(&store, true);
        for _ in 0..3 {
            fill(&store, false);
        }
        store.forget_writers();
        store.mark_interrupted().unwrap();
        assert_eq!(
            store
                .search(&crate::SearchQuery::text(MARKER))
                .unwrap()
                .len(),
            4
        );

        // The check can see the marker when it is there.
        checkpoint(&store);
        let db = std::fs::read(&path).unwrap();
        assert!(contains(&db, MARKER.as_bytes()));

        store.delete_conversation(&target).unwrap();
        // The delete itself emptied the log and zeroed the freed bytes...
        let suffix = &MARKER[MARKER.len() - 8..];
        assert_gone(&path, &[MARKER, suffix]);
        // ...and stays so after an explicit checkpoint.
        checkpoint(&store);
        assert_gone(&path, &[MARKER, suffix]);

        assert!(store
            .search(&crate::SearchQuery::text(MARKER))
            .unwrap()
            .is_empty());
        assert_eq!(
            store.list_conversations(&Default::default()).unwrap().len(),
            6
        );
        store.check_integrity().unwrap();
    }
}
