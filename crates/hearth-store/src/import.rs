//! Importing a JSON export: every check first, then every write in one transaction, so a
//! rejected file leaves the history exactly as it was.
//!
//! Import files come from anywhere, so they are treated as hostile: size and nesting are
//! capped, text must be UTF-8, every value must be one this version knows, and the message
//! tree must be a tree (each parent present, in the same conversation, no cycles).
//!
//! Ids: by default ([`ImportMode::KeepIds`]) the conversations keep their ids, so an
//! export and its import are the same conversation, and importing one that is already in
//! the history is refused with [`StoreError::AlreadyExists`] rather than silently
//! duplicated or overwritten. [`ImportMode::NewIds`] gives every conversation and message
//! a fresh id instead, to keep a second copy. Personas are shared: one whose id is
//! already in the history is kept as it is there, and a new one whose name is taken gets
//! " (imported)" added to its name.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::conversations::ensure_persona;
use crate::error::{Result, StoreError};
use crate::export::{
    ExportDocument, ExportedConversation, EXPORT_FORMAT, EXPORT_VERSION, EXPORT_VERSION_OLDEST,
};
use crate::import_saved::{insert_saved, validate_saved};
use crate::limits::{
    self, MAX_SHORT_BYTES, MAX_TAGS_PER_CONVERSATION, MAX_TEXT_BYTES, MAX_TITLE_BYTES,
};
use crate::personas::check_name;
use crate::store::Store;
use crate::types::{ConversationId, MessageId, PersonaId};

/// The largest import file accepted by default: far more than years of chat history.
pub const MAX_IMPORT_BYTES: usize = 512 * 1024 * 1024;
/// The longest id accepted from a file (UUIDs are 36 characters).
const MAX_ID_BYTES: usize = 64;
/// How many " (imported N)" names to try before giving up.
const MAX_NAME_TRIES: u32 = 1000;
/// Timestamps must fall between 1970 and the end of year 9999.
const MAX_TIMESTAMP_MS: i64 = 253_402_300_799_999;

/// What to do with ids from the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ImportMode {
    /// Keep them; a conversation or message already in the history is an error.
    #[default]
    KeepIds,
    /// Give every conversation and message a new id (a copy alongside the original).
    NewIds,
}

/// How to import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOptions {
    pub mode: ImportMode,
    /// Files larger than this are refused before being parsed.
    pub max_bytes: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            mode: ImportMode::KeepIds,
            max_bytes: MAX_IMPORT_BYTES,
        }
    }
}

/// What an import added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The conversations added, with their ids in this history.
    pub conversations: Vec<ConversationId>,
    pub messages: usize,
    pub personas_added: usize,
    /// Saved workflows added (one identical to a saved one is not added again).
    #[serde(default)]
    pub workflows_added: usize,
    /// Saved prompts added (likewise).
    #[serde(default)]
    pub prompts_added: usize,
    #[serde(default)]
    pub workflow_runs_added: usize,
}

/// Enough of the document to say whether it is one this code can read, whatever its body.
#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<u64>,
}

impl Store {
    /// Imports a JSON export read from `reader` (at most `options.max_bytes`).
    pub fn import_json_reader(
        &self,
        reader: impl Read,
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        let mut bytes = Vec::new();
        let limit = u64::try_from(options.max_bytes).unwrap_or(u64::MAX);
        reader
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|err| StoreError::import(format!("cannot read the file: {err}")))?;
        self.import_json(&bytes, options)
    }

    /// Imports a JSON export. Nothing is written unless everything is valid.
    pub fn import_json(&self, bytes: &[u8], options: &ImportOptions) -> Result<ImportReport> {
        let doc = parse(bytes, options.max_bytes)?;
        validate(&doc)?;
        validate_saved(&doc)?;
        self.write(|tx| {
            let mut report = insert(tx, &doc, options.mode)?;
            let saved = insert_saved(tx, &doc, options.mode)?;
            report.workflows_added = saved.workflows;
            report.prompts_added = saved.prompts;
            report.workflow_runs_added = saved.workflow_runs;
            Ok(report)
        })
    }
}

fn parse(bytes: &[u8], max_bytes: usize) -> Result<ExportDocument> {
    if bytes.len() > max_bytes {
        return Err(StoreError::import(format!(
            "the file is larger than the {max_bytes}-byte limit for imports"
        )));
    }
    let text = std::str::from_utf8(bytes).map_err(|err| {
        StoreError::import(format!(
            "the file is not UTF-8 text (invalid byte at offset {})",
            err.valid_up_to()
        ))
    })?;
    let header: Header = serde_json::from_str(text)
        .map_err(|err| StoreError::import(format!("not a Hearth export ({err})")))?;
    if header.format.as_deref() != Some(EXPORT_FORMAT) {
        return Err(StoreError::import(format!(
            "not a Hearth export (format is {:?}, expected {EXPORT_FORMAT:?})",
            header.format.unwrap_or_default()
        )));
    }
    match header.version {
        Some(v) if (u64::from(EXPORT_VERSION_OLDEST)..=u64::from(EXPORT_VERSION)).contains(&v) => {}
        Some(v) if v > u64::from(EXPORT_VERSION) => {
            return Err(StoreError::import(format!(
                "it was made by a newer Hearth (format version {v}, this one reads version \
                 {EXPORT_VERSION}); update Hearth to import it"
            )))
        }
        other => {
            return Err(StoreError::import(format!(
                "unknown format version {other:?} (this Hearth reads version {EXPORT_VERSION})"
            )))
        }
    }
    // serde_json refuses nesting deeper than 128 levels, so hostile nesting in `settings`
    // is an error here, not a stack overflow.
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if path == "." {
            StoreError::import(inner.to_string())
        } else {
            StoreError::import(format!("{path}: {inner}"))
        }
    })
}

pub(crate) fn check_id(what: &str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_BYTES
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::import(format!(
            "{what} id {:?} is not a valid id (1 to {MAX_ID_BYTES} letters, digits, '-' or '_')",
            id.chars().take(80).collect::<String>()
        )))
    }
}

pub(crate) fn check_time(what: &str, id: &str, ms: i64) -> Result<()> {
    if (0..=MAX_TIMESTAMP_MS).contains(&ms) {
        Ok(())
    } else {
        Err(StoreError::import(format!(
            "{what} {id} has an impossible time {ms}"
        )))
    }
}

/// Re-labels a field error with where it is in the file.
pub(crate) fn at<T>(place: impl FnOnce() -> String, result: Result<T>) -> Result<T> {
    result.map_err(|err| match err {
        StoreError::Invalid { what, reason } => {
            StoreError::import(format!("{}: {what}: {reason}", place()))
        }
        other => other,
    })
}

/// Every check that needs only the document.
fn validate(doc: &ExportDocument) -> Result<()> {
    let mut persona_ids = HashSet::new();
    let mut persona_names = HashSet::new();
    for p in &doc.personas {
        check_id("persona", p.id.as_str())?;
        if !persona_ids.insert(p.id.as_str()) {
            return Err(StoreError::import(format!(
                "persona {} appears twice",
                p.id
            )));
        }
        let place = || format!("persona {}", p.id);
        let name = at(place, check_name(&p.name))?;
        if !persona_names.insert(name.to_lowercase()) {
            return Err(StoreError::import(format!(
                "two personas are named {name:?}"
            )));
        }
        at(
            place,
            limits::check_len("system prompt", &p.system_prompt, MAX_TEXT_BYTES),
        )?;
        at(place, limits::settings_json(&p.settings))?;
        check_time("persona", p.id.as_str(), p.created_at)?;
        check_time("persona", p.id.as_str(), p.updated_at)?;
    }

    // Which conversation each message id belongs to, across the whole file.
    let mut owner: HashMap<&str, &str> = HashMap::new();
    let mut conversation_ids = HashSet::new();
    for c in &doc.conversations {
        check_id("conversation", c.id.as_str())?;
        if !conversation_ids.insert(c.id.as_str()) {
            return Err(StoreError::import(format!(
                "conversation {} appears twice",
                c.id
            )));
        }
        for m in &c.messages {
            check_id("message", m.id.as_str())?;
            if owner.insert(m.id.as_str(), c.id.as_str()).is_some() {
                return Err(StoreError::import(format!(
                    "message {} appears twice",
                    m.id
                )));
            }
        }
    }
    for c in &doc.conversations {
        validate_conversation(c, &owner)?;
    }
    Ok(())
}

fn validate_conversation(c: &ExportedConversation, owner: &HashMap<&str, &str>) -> Result<()> {
    let id = c.id.as_str();
    let place = || format!("conversation {id}");
    at(place, limits::check_len("title", &c.title, MAX_TITLE_BYTES))?;
    at(
        place,
        limits::check_opt_len("model name", c.model.as_deref(), MAX_SHORT_BYTES),
    )?;
    at(
        place,
        limits::check_opt_len("system prompt", c.system_prompt.as_deref(), MAX_TEXT_BYTES),
    )?;
    at(place, limits::settings_json(&c.settings))?;
    if let Some(persona) = &c.persona_id {
        check_id("persona", persona.as_str())?;
    }
    check_time("conversation", id, c.created_at)?;
    check_time("conversation", id, c.updated_at)?;
    if c.tags.len() > MAX_TAGS_PER_CONVERSATION {
        return Err(StoreError::import(format!(
            "conversation {id} has {} tags, more than the {MAX_TAGS_PER_CONVERSATION} allowed",
            c.tags.len()
        )));
    }
    let mut tags = HashSet::new();
    for tag in &c.tags {
        let tag = at(place, limits::normalize_tag(tag))?;
        if !tags.insert(tag.clone()) {
            return Err(StoreError::import(format!(
                "conversation {id} has the tag {tag:?} twice"
            )));
        }
    }

    let parents: HashMap<&str, Option<&str>> = c
        .messages
        .iter()
        .map(|m| (m.id.as_str(), m.parent_id.as_ref().map(MessageId::as_str)))
        .collect();
    for m in &c.messages {
        let mid = m.id.as_str();
        let place = || format!("message {mid}");
        at(
            place,
            limits::check_len("message", &m.content, MAX_TEXT_BYTES),
        )?;
        at(
            place,
            limits::check_opt_len("error text", m.error.as_deref(), MAX_TEXT_BYTES),
        )?;
        at(
            place,
            limits::check_opt_len("model name", m.model.as_deref(), MAX_SHORT_BYTES),
        )?;
        at(
            place,
            limits::check_opt_len("provider name", m.provider.as_deref(), MAX_SHORT_BYTES),
        )?;
        at(
            place,
            limits::check_opt_len("thinking", m.reasoning.as_deref(), MAX_TEXT_BYTES),
        )?;
        if let Some(calls) = &m.tool_calls {
            let text = serde_json::to_string(calls).unwrap_or_default();
            at(
                place,
                limits::check_len("tool calls", &text, MAX_TEXT_BYTES),
            )?;
        }
        if let Some(sources) = &m.sources {
            if !sources.is_array() {
                return Err(StoreError::import(format!(
                    "message {mid}: sources must be a list"
                )));
            }
            at(
                place,
                limits::check_len("sources", &sources.to_string(), MAX_TEXT_BYTES),
            )?;
        }
        check_time("message", mid, m.created_at)?;
        check_time("message", mid, m.updated_at)?;
        if let Some(parent) = &m.parent_id {
            match owner.get(parent.as_str()) {
                None => {
                    return Err(StoreError::import(format!(
                        "message {mid} has parent {parent}, which is not in the file"
                    )))
                }
                Some(other) if *other != id => {
                    return Err(StoreError::import(format!(
                        "message {mid} has parent {parent}, which belongs to another conversation"
                    )))
                }
                Some(_) => {}
            }
        }
    }
    check_acyclic(id, &parents)?;
    for summary in &c.context_summaries {
        let sid = summary.id.as_str();
        check_id("context summary", sid)?;
        let place = || format!("context summary {sid}");
        at(
            place,
            limits::check_len("summary", &summary.content, MAX_TEXT_BYTES),
        )?;
        at(
            place,
            limits::check_opt_len("model name", summary.model.as_deref(), MAX_SHORT_BYTES),
        )?;
        check_time("context summary", sid, summary.created_at)?;
        if !parents.contains_key(summary.through_message_id.as_str()) {
            return Err(StoreError::import(format!(
                "context summary {sid} ends at message {}, which is not one of conversation {id}'s messages",
                summary.through_message_id
            )));
        }
    }
    if let Some(leaf) = &c.active_leaf_id {
        if !parents.contains_key(leaf.as_str()) {
            return Err(StoreError::import(format!(
                "conversation {id} shows message {leaf}, which is not one of its messages"
            )));
        }
    }
    Ok(())
}

/// Each message has at most one parent, so following parents from any message either
/// reaches a root or loops; a loop is refused.
fn check_acyclic(conversation: &str, parents: &HashMap<&str, Option<&str>>) -> Result<()> {
    let mut done: HashSet<&str> = HashSet::new();
    for &start in parents.keys() {
        let mut path: Vec<&str> = Vec::new();
        let mut on_path: HashSet<&str> = HashSet::new();
        let mut current = Some(start);
        while let Some(id) = current {
            if done.contains(id) {
                break;
            }
            if !on_path.insert(id) {
                return Err(StoreError::import(format!(
                    "the messages of conversation {conversation} form a loop through message {id}"
                )));
            }
            path.push(id);
            current = parents.get(id).copied().flatten();
        }
        done.extend(path);
    }
    Ok(())
}

/// The messages in an order where every parent comes before its children, keeping the
/// file's order wherever it already allows that (as exports do).
fn parent_first(c: &ExportedConversation) -> Vec<usize> {
    let index: HashMap<&str, usize> = c
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.as_str(), i))
        .collect();
    let mut placed = vec![false; c.messages.len()];
    let mut order = Vec::with_capacity(c.messages.len());
    for start in 0..c.messages.len() {
        // Unplaced ancestors, nearest first; validation guarantees the chain ends.
        let mut chain = Vec::new();
        let mut current = Some(start);
        while let Some(i) = current {
            if placed[i] {
                break;
            }
            chain.push(i);
            current = c.messages[i]
                .parent_id
                .as_ref()
                .and_then(|p| index.get(p.as_str()).copied());
        }
        for &i in chain.iter().rev() {
            placed[i] = true;
            order.push(i);
        }
    }
    order
}

fn insert(tx: &Transaction<'_>, doc: &ExportDocument, mode: ImportMode) -> Result<ImportReport> {
    let personas_added = insert_personas(tx, doc)?;
    let mut report = ImportReport {
        conversations: Vec::new(),
        messages: 0,
        personas_added,
        workflows_added: 0,
        prompts_added: 0,
        workflow_runs_added: 0,
    };
    for c in &doc.conversations {
        let (cid, message_ids) = assign_ids(tx, c, mode)?;
        let mid = |id: &MessageId| message_ids.get(id.as_str()).cloned();
        if c.persona_id.is_some() {
            ensure_persona(tx, c.persona_id.as_ref()).map_err(|_| {
                StoreError::import(format!(
                    "conversation {} uses a persona that is neither in the file nor in this history",
                    c.id
                ))
            })?;
        }
        tx.execute(
            "INSERT INTO conversations (id, title, title_source, model, system_prompt, persona_id, \
             settings, pinned, archived, created_at, updated_at, active_leaf_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                cid,
                c.title,
                c.title_source,
                c.model,
                c.system_prompt,
                c.persona_id,
                limits::settings_json(&c.settings)?,
                c.pinned,
                c.archived,
                c.created_at,
                c.updated_at,
                c.active_leaf_id.as_ref().and_then(mid),
            ],
        )?;
        for tag in &c.tags {
            tx.execute(
                "INSERT INTO conversation_tags (conversation_id, tag) VALUES (?1, ?2)",
                params![cid, limits::normalize_tag(tag)?],
            )?;
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO messages (id, conversation_id, parent_id, role, kind, content, state, \
             error, model, token_count, created_at, updated_at, provider, reasoning, \
             reasoning_ms, tool_calls) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        for i in parent_first(c) {
            let m = &c.messages[i];
            stmt.execute(params![
                mid(&m.id),
                cid,
                m.parent_id.as_ref().and_then(mid),
                m.role,
                m.kind,
                m.content,
                m.state,
                m.error,
                m.model,
                m.token_count,
                m.created_at,
                m.updated_at,
                m.provider,
                m.reasoning,
                m.reasoning_ms,
                m.tool_calls
                    .as_ref()
                    .map(|calls| serde_json::to_string(calls).unwrap_or_default()),
            ])?;
        }
        for m in c.messages.iter().filter(|m| m.sources.is_some()) {
            let sources = m.sources.as_ref().expect("filtered");
            tx.execute(
                "INSERT INTO message_sources (message_id, sources) VALUES (?1, ?2)",
                params![mid(&m.id), sources.to_string()],
            )?;
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO context_summaries (id, conversation_id, through_message_id, content, \
             model, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for summary in &c.context_summaries {
            let id = match mode {
                ImportMode::KeepIds => summary.id.clone(),
                ImportMode::NewIds => uuid::Uuid::new_v4().to_string(),
            };
            stmt.execute(params![
                id,
                cid,
                mid(&summary.through_message_id),
                summary.content,
                summary.model,
                summary.created_at,
            ])
            .map_err(|err| match err {
                rusqlite::Error::SqliteFailure(e, _)
                    if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StoreError::AlreadyExists {
                        what: "context summary",
                        id: summary.id.clone(),
                    }
                }
                other => other.into(),
            })?;
        }
        report.messages += c.messages.len();
        report.conversations.push(cid);
    }
    Ok(report)
}

/// The ids a conversation and its messages get in this history.
fn assign_ids(
    tx: &Transaction<'_>,
    c: &ExportedConversation,
    mode: ImportMode,
) -> Result<(ConversationId, HashMap<String, MessageId>)> {
    match mode {
        ImportMode::NewIds => Ok((
            ConversationId::random(),
            c.messages
                .iter()
                .map(|m| (m.id.as_str().to_owned(), MessageId::random()))
                .collect(),
        )),
        ImportMode::KeepIds => {
            let exists = |sql: &str, id: &str| -> Result<bool> {
                Ok(tx.query_row(sql, [id], |_| Ok(())).optional()?.is_some())
            };
            if exists("SELECT 1 FROM conversations WHERE id = ?1", c.id.as_str())? {
                return Err(StoreError::AlreadyExists {
                    what: "conversation",
                    id: c.id.to_string(),
                });
            }
            for m in &c.messages {
                if exists("SELECT 1 FROM messages WHERE id = ?1", m.id.as_str())? {
                    return Err(StoreError::AlreadyExists {
                        what: "message",
                        id: m.id.to_string(),
                    });
                }
            }
            Ok((
                c.id.clone(),
                c.messages
                    .iter()
                    .map(|m| (m.id.as_str().to_owned(), m.id.clone()))
                    .collect(),
            ))
        }
    }
}

fn insert_personas(tx: &Transaction<'_>, doc: &ExportDocument) -> Result<usize> {
    let mut added = 0;
    for p in &doc.personas {
        let known: Option<PersonaId> = tx
            .query_row("SELECT id FROM personas WHERE id = ?1", [&p.id], |row| {
                row.get(0)
            })
            .optional()?;
        if known.is_some() {
            continue;
        }
        let taken = |candidate: &str| -> Result<bool> {
            Ok(tx
                .query_row(
                    "SELECT 1 FROM personas WHERE name = ?1",
                    [candidate],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        };
        let name = free_name("persona", &check_name(&p.name)?, taken)?;
        tx.execute(
            "INSERT INTO personas (id, name, system_prompt, settings, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                p.id,
                name,
                p.system_prompt,
                limits::settings_json(&p.settings)?,
                p.created_at,
                p.updated_at
            ],
        )?;
        added += 1;
    }
    Ok(added)
}

/// `name`, or `name (imported)`, `name (imported 2)`, ... whichever `taken` says is free;
/// `what` names the kind of thing in the error ("persona", "prompt").
pub(crate) fn free_name(
    what: &str,
    name: &str,
    taken: impl Fn(&str) -> Result<bool>,
) -> Result<String> {
    if !taken(name)? {
        return Ok(name.to_owned());
    }
    for n in 1..=MAX_NAME_TRIES {
        let candidate = if n == 1 {
            format!("{name} (imported)")
        } else {
            format!("{name} (imported {n})")
        };
        if !taken(&candidate)? {
            return Ok(candidate);
        }
    }
    Err(StoreError::import(format!(
        "the {what} name {name:?} and {MAX_NAME_TRIES} variants of it are all taken; rename some {what}s"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_first_keeps_file_order_when_it_is_already_valid() {
        let json = serde_json::json!({
            "id": "c", "title": "", "title_source": "auto", "model": null, "system_prompt": null,
            "persona_id": null, "settings": {}, "pinned": false, "archived": false,
            "created_at": 0, "updated_at": 0, "active_leaf_id": null, "tags": [],
            "messages": [
                {"id": "b", "parent_id": "a", "role": "assistant", "kind": "message", "content": "",
                 "state": "done", "error": null, "model": null, "token_count": null, "created_at": 0, "updated_at": 0},
                {"id": "a", "parent_id": null, "role": "user", "kind": "message", "content": "",
                 "state": "done", "error": null, "model": null, "token_count": null, "created_at": 0, "updated_at": 0},
                {"id": "c", "parent_id": "a", "role": "assistant", "kind": "message", "content": "",
                 "state": "done", "error": null, "model": null, "token_count": null, "created_at": 0, "updated_at": 0}
            ]
        });
        let c: ExportedConversation = serde_json::from_value(json).unwrap();
        assert_eq!(parent_first(&c), [1, 0, 2]);
    }
}
