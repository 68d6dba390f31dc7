//! The database schema as an ordered list of migrations, and the code that brings any
//! older history up to date.
//!
//! `PRAGMA user_version` holds the number of migrations applied. Each migration runs in
//! its own transaction together with the bump of `user_version`, so a crash mid-upgrade
//! leaves the database at the previous version, never half-way. Migrations are only ever
//! appended: a released step is never edited, because histories in the wild were built
//! from it.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Result, StoreError};

/// Marks the file as Hearth's ("HRTH"), so that pointing Hearth at some other
/// application's SQLite file is refused instead of adding tables to it.
pub(crate) const APPLICATION_ID: i32 = 0x4852_5448;

/// Version 1: conversations, tags and the message tree.
const V1_CORE: &str = r#"
CREATE TABLE conversations (
    id             TEXT PRIMARY KEY NOT NULL,
    title          TEXT NOT NULL DEFAULT '',
    title_source   TEXT NOT NULL DEFAULT 'auto' CHECK (title_source IN ('auto', 'user')),
    model          TEXT,
    system_prompt  TEXT,
    settings       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
    pinned         INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    archived       INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    -- Deferred: an import inserts the conversation before the messages it points at.
    active_leaf_id TEXT REFERENCES messages(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX conversations_order ON conversations(pinned DESC, updated_at DESC);

CREATE TABLE conversation_tags (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    tag             TEXT NOT NULL,
    PRIMARY KEY (conversation_id, tag)
) WITHOUT ROWID;
CREATE INDEX conversation_tags_tag ON conversation_tags(tag);

CREATE TABLE messages (
    -- An INTEGER PRIMARY KEY survives VACUUM unchanged, which the full-text index (keyed
    -- by rowid) relies on; the public id is the UUID below.
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id       TEXT REFERENCES messages(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    kind            TEXT NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'summary')),
    content         TEXT NOT NULL,
    state           TEXT NOT NULL
                    CHECK (state IN ('streaming', 'done', 'stopped', 'failed', 'interrupted')),
    error           TEXT,
    model           TEXT,
    token_count     INTEGER CHECK (token_count IS NULL OR token_count >= 0),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages(conversation_id, created_at);
CREATE INDEX messages_parent ON messages(parent_id);
-- Startup looks for answers a crash left streaming; this keeps that instant.
CREATE INDEX messages_streaming ON messages(state) WHERE state = 'streaming';

-- The code checks this too; the trigger keeps a bug or a hand-edited import from ever
-- linking two conversations' trees.
CREATE TRIGGER messages_parent_same_conversation
BEFORE INSERT ON messages
WHEN NEW.parent_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM messages p WHERE p.id = NEW.parent_id AND p.conversation_id <> NEW.conversation_id
)
BEGIN
    SELECT RAISE(ABORT, 'parent message belongs to another conversation');
END;
"#;

/// Version 2: full-text search.
///
/// Two FTS5 indexes over message text, both "external content" (they keep no copy of the
/// text, only the index): `unicode61` with diacritics folded for words, and `trigram` for
/// scripts written without spaces (Chinese, Japanese, Thai...), where unicode61 sees a
/// whole sentence as one token.
///
/// Streaming answers are left out of both indexes until they finish: a checkpoint then
/// costs one row update instead of re-indexing a growing text several times a second. The
/// content "table" is therefore a view of the non-streaming messages, and the triggers
/// below index and unindex exactly what that view shows (FTS5 requires a delete to
/// repeat the values that were indexed).
///
/// `secure-delete` makes FTS5 remove a deleted message's terms from the index pages
/// themselves instead of recording a tombstone that leaves them on disk until the next
/// merge; with `PRAGMA secure_delete` the freed bytes are then zeroed.
const V2_SEARCH: &str = r#"
CREATE VIEW messages_indexed AS
    SELECT seq, content FROM messages WHERE state <> 'streaming';

CREATE VIRTUAL TABLE messages_fts USING fts5(
    content,
    content = 'messages_indexed',
    content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE messages_trigram USING fts5(
    content,
    content = 'messages_indexed',
    content_rowid = 'seq',
    tokenize = 'trigram case_sensitive 0 remove_diacritics 1'
);
INSERT INTO messages_fts(messages_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO messages_trigram(messages_trigram, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
WHEN NEW.state <> 'streaming'
BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (NEW.seq, NEW.content);
    INSERT INTO messages_trigram(rowid, content) VALUES (NEW.seq, NEW.content);
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
WHEN OLD.state <> 'streaming'
BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', OLD.seq, OLD.content);
    INSERT INTO messages_trigram(messages_trigram, rowid, content)
        VALUES ('delete', OLD.seq, OLD.content);
END;

-- One trigger, not two, so that the old text is always unindexed before the new text is
-- indexed (SQLite does not promise an order between triggers).
CREATE TRIGGER messages_search_update AFTER UPDATE OF content, state ON messages
BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content)
        SELECT 'delete', OLD.seq, OLD.content WHERE OLD.state <> 'streaming';
    INSERT INTO messages_trigram(messages_trigram, rowid, content)
        SELECT 'delete', OLD.seq, OLD.content WHERE OLD.state <> 'streaming';
    INSERT INTO messages_fts(rowid, content)
        SELECT NEW.seq, NEW.content WHERE NEW.state <> 'streaming';
    INSERT INTO messages_trigram(rowid, content)
        SELECT NEW.seq, NEW.content WHERE NEW.state <> 'streaming';
END;

-- Index what version 1 already holds.
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
INSERT INTO messages_trigram(messages_trigram) VALUES ('rebuild');
"#;

/// Version 3: personas, and a conversation's link to the one it started from.
const V3_PERSONAS: &str = r#"
CREATE TABLE personas (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    system_prompt TEXT NOT NULL,
    settings      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
ALTER TABLE conversations ADD COLUMN persona_id TEXT REFERENCES personas(id) ON DELETE SET NULL;
"#;

/// Version 4: running summaries of the older turns of a conversation, written when its
/// active branch no longer fits the model's context.
///
/// They live beside the message tree, not in it: a summary covers the turns up to and
/// including `through_message_id`, and inserting it as a message would reparent the turns
/// after it and break every other branch. Deleting the message or the conversation
/// deletes the summary (its text is wiped with `secure_delete`).
const V4_CONTEXT_SUMMARIES: &str = r#"
CREATE TABLE context_summaries (
    id                 TEXT PRIMARY KEY NOT NULL,
    conversation_id    TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    through_message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    content            TEXT NOT NULL,
    model              TEXT,
    created_at         INTEGER NOT NULL
);
CREATE INDEX context_summaries_conversation ON context_summaries(conversation_id, created_at);
CREATE INDEX context_summaries_through ON context_summaries(through_message_id);
"#;

/// Version 5: the audit log, one row per generation.
///
/// It holds SHA-256 hashes of the prompt and the output, never their text, so the log can
/// be handed to an auditor without handing over the conversations. `conversation_id` has
/// no foreign key on purpose: the record of a generation outlives the conversation, and
/// deleting a conversation leaves no words behind here to wipe.
const V5_AUDIT_LOG: &str = r#"
CREATE TABLE audit_log (
    id                INTEGER PRIMARY KEY,
    created_at        INTEGER NOT NULL,
    model             TEXT NOT NULL,
    model_sha256      TEXT,
    provider          TEXT NOT NULL,
    parameters        TEXT NOT NULL CHECK (json_valid(parameters)),
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    prompt_ms         REAL,
    generation_ms     REAL,
    stop_reason       TEXT,
    error             TEXT,
    prompt_sha256     TEXT NOT NULL,
    output_sha256     TEXT NOT NULL,
    conversation_id   TEXT,
    purpose           TEXT NOT NULL
                      CHECK (purpose IN ('answer', 'title', 'summary', 'run', 'other'))
);
CREATE INDEX audit_log_created ON audit_log(created_at);
"#;

/// Version 7: model-file hashes are cached.
///
/// `file_hashes` remembers the SHA-256 of a model file by path, size and modification
/// time, so a linked model (whose hash no download checked) is read in full once, not in
/// every process that loads it.
const V7_FILE_HASHES: &str = r#"
CREATE TABLE file_hashes (
    path      TEXT PRIMARY KEY,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    sha256    TEXT NOT NULL,
    hashed_at INTEGER NOT NULL
);
"#;

/// Version 9: an index for one- and two-character terms in scripts written without
/// spaces (see `unspaced.rs`), which the trigram index cannot serve and which were
/// answered by reading every message. Contentless (it keeps only tokens), with deletes
/// by rowid and `secure-delete` like the other indexes; `hearth_unspaced` is the store's
/// own SQL function, registered on every connection before the schema is touched.
const V9_UNSPACED_INDEX: &str = r#"
CREATE VIRTUAL TABLE messages_unspaced USING fts5(
    grams,
    content = '',
    contentless_delete = 1,
    tokenize = "unicode61 categories 'L* N* Co M*' remove_diacritics 0"
);
INSERT INTO messages_unspaced(messages_unspaced, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER messages_unspaced_insert AFTER INSERT ON messages
WHEN NEW.state <> 'streaming' AND hearth_unspaced(NEW.content) IS NOT NULL
BEGIN
    INSERT INTO messages_unspaced(rowid, grams) VALUES (NEW.seq, hearth_unspaced(NEW.content));
END;

CREATE TRIGGER messages_unspaced_delete AFTER DELETE ON messages
BEGIN
    DELETE FROM messages_unspaced WHERE rowid = OLD.seq;
END;

CREATE TRIGGER messages_unspaced_update AFTER UPDATE OF content, state ON messages
BEGIN
    DELETE FROM messages_unspaced WHERE rowid = OLD.seq;
    INSERT INTO messages_unspaced(rowid, grams)
        SELECT NEW.seq, hearth_unspaced(NEW.content)
        WHERE NEW.state <> 'streaming' AND hearth_unspaced(NEW.content) IS NOT NULL;
END;

INSERT INTO messages_unspaced(rowid, grams)
    SELECT seq, grams FROM (
        SELECT seq, hearth_unspaced(content) AS grams FROM messages WHERE state <> 'streaming'
    ) WHERE grams IS NOT NULL;
"#;

/// Version 10: document collections for retrieval. A collection lists the files and
/// folders the user added (`collection_sources`), the files found in them with their
/// content hash, so re-ingesting touches only changed files (`collection_files`), and
/// their passages (`chunks`) with a word index over text and section. Each collection's
/// vectors live in its own sqlite-vec table, `chunk_vectors_<collection id>`, made when
/// the collection is (its width is the embedding model's), see `vectors.rs`. The audit
/// log gains the purposes of cited answers and of rewritten follow-up questions (the
/// table is rebuilt as in version 6).
const V10_COLLECTIONS: &str = r#"
CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    embedding_model TEXT NOT NULL,
    dimensions INTEGER NOT NULL CHECK (dimensions BETWEEN 1 AND 8192),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE collection_sources (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (collection_id, path)
) WITHOUT ROWID;

CREATE TABLE collection_files (
    id INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    title TEXT,
    format TEXT,
    pages INTEGER,
    status TEXT NOT NULL CHECK (status IN ('indexed', 'failed')),
    error TEXT,
    chunks INTEGER NOT NULL DEFAULT 0,
    indexed_at INTEGER NOT NULL,
    UNIQUE (collection_id, path)
);

CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES collection_files(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    section TEXT NOT NULL DEFAULT '',
    first_page INTEGER,
    last_page INTEGER,
    text TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    UNIQUE (file_id, ordinal)
);

CREATE VIRTUAL TABLE chunks_fts USING fts5(
    text,
    section,
    content = 'chunks',
    content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 2"
);
INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('secure-delete', 1);
-- How many passages hold each term, so a question's commonest words can be left out.
CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row');

CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text, section) VALUES (NEW.id, NEW.text, NEW.section);
END;

CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text, section)
        VALUES ('delete', OLD.id, OLD.text, OLD.section);
END;

-- The passages an answer was given, as the app showed them (a JSON array), for answers
-- in conversations attached to a collection.
CREATE TABLE message_sources (
    message_id TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    sources TEXT NOT NULL CHECK (json_valid(sources))
);"#;

/// Version 11: where an answer was generated — NULL on this computer, else the remote
/// provider's name — so every message can say whether its text left the machine.
const V11_MESSAGE_PROVIDER: &str = r#"
ALTER TABLE messages ADD COLUMN provider TEXT;
"#;

/// Version 12: what left the machine with a generation made by a remote provider — the
/// bytes of text sent and, per kind, how many values were redacted first.
const V12_AUDIT_EGRESS: &str = r#"
ALTER TABLE audit_log ADD COLUMN redactions TEXT
    CHECK (redactions IS NULL OR json_valid(redactions));
ALTER TABLE audit_log ADD COLUMN sent_bytes INTEGER
    CHECK (sent_bytes IS NULL OR sent_bytes >= 0);
CREATE INDEX audit_log_provider ON audit_log(provider, created_at);
"#;

/// Version 13: workflows, their runs and the prompt library; the audit log learns the
/// purposes "workflow" and "generate" (a rebuild, as the CHECK cannot change in place)
/// and which LoRA adapter a generation ran with.
const V13_WORKFLOWS: &str = r#"
-- Saved workflows and prompt templates, as their JSON definitions: the core owns their
-- shape, the store keeps them by name (unique without regard to case).
CREATE TABLE workflows (
    name       TEXT PRIMARY KEY COLLATE NOCASE,
    definition TEXT NOT NULL CHECK (json_valid(definition)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE prompts (
    name       TEXT PRIMARY KEY COLLATE NOCASE,
    definition TEXT NOT NULL CHECK (json_valid(definition)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One run of a workflow over a text, a file or a folder: what ran (the definition as it
-- was), on what, and its results table as JSON, kept after the workflow changes.
CREATE TABLE workflow_runs (
    id          TEXT PRIMARY KEY,
    workflow    TEXT NOT NULL,
    definition  TEXT NOT NULL CHECK (json_valid(definition)),
    input       TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'stopped', 'failed', 'interrupted')),
    results     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(results)),
    error       TEXT,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX workflow_runs_started ON workflow_runs(started_at);
"#;

/// Version 14: who is writing a streaming answer or a running workflow run — the
/// writing process's id and an opaque mark of that process's start (see `owner.rs`).
/// At start-up only rows whose writer has died are marked interrupted: another process
/// opening the history (`hearth history list` next to a running app) must not cut off
/// an answer that is still being written. Rows from older versions have no owner and
/// count as abandoned.
const V14_WRITER_OWNERS: &str = r#"
ALTER TABLE messages ADD COLUMN owner_pid INTEGER;
ALTER TABLE messages ADD COLUMN owner_start TEXT;
ALTER TABLE workflow_runs ADD COLUMN owner_pid INTEGER;
ALTER TABLE workflow_runs ADD COLUMN owner_start TEXT;
"#;

/// Version 15: a reasoning model's thinking, kept apart from its answer (`reasoning`), and
/// how long it thought (`reasoning_ms`, first to last thinking token). The word, trigram
/// and one-character indexes gain a second column for the thinking, filled by the same
/// triggers, so whether a search looks into thinking is the query's choice (a column
/// filter) and a change of the setting needs no reindexing; searches leave it out by
/// default. The indexes are rebuilt from the messages, as in version 2.
const V15_REASONING: &str = r#"
ALTER TABLE messages ADD COLUMN reasoning TEXT;
ALTER TABLE messages ADD COLUMN reasoning_ms INTEGER
    CHECK (reasoning_ms IS NULL OR reasoning_ms >= 0);

DROP TRIGGER messages_search_insert;
DROP TRIGGER messages_search_delete;
DROP TRIGGER messages_search_update;
DROP TABLE messages_fts;
DROP TABLE messages_trigram;
DROP VIEW messages_indexed;

CREATE VIEW messages_indexed AS
    SELECT seq, content, coalesce(reasoning, '') AS reasoning
    FROM messages WHERE state <> 'streaming';

CREATE VIRTUAL TABLE messages_fts USING fts5(
    content,
    reasoning,
    content = 'messages_indexed',
    content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE messages_trigram USING fts5(
    content,
    reasoning,
    content = 'messages_indexed',
    content_rowid = 'seq',
    tokenize = 'trigram case_sensitive 0 remove_diacritics 1'
);
INSERT INTO messages_fts(messages_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO messages_trigram(messages_trigram, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
WHEN NEW.state <> 'streaming'
BEGIN
    INSERT INTO messages_fts(rowid, content, reasoning)
        VALUES (NEW.seq, NEW.content, coalesce(NEW.reasoning, ''));
    INSERT INTO messages_trigram(rowid, content, reasoning)
        VALUES (NEW.seq, NEW.content, coalesce(NEW.reasoning, ''));
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
WHEN OLD.state <> 'streaming'
BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content, reasoning)
        VALUES ('delete', OLD.seq, OLD.content, coalesce(OLD.reasoning, ''));
    INSERT INTO messages_trigram(messages_trigram, rowid, content, reasoning)
        VALUES ('delete', OLD.seq, OLD.content, coalesce(OLD.reasoning, ''));
END;

CREATE TRIGGER messages_search_update AFTER UPDATE OF content, state, reasoning ON messages
BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content, reasoning)
        SELECT 'delete', OLD.seq, OLD.content, coalesce(OLD.reasoning, '')
        WHERE OLD.state <> 'streaming';
    INSERT INTO messages_trigram(messages_trigram, rowid, content, reasoning)
        SELECT 'delete', OLD.seq, OLD.content, coalesce(OLD.reasoning, '')
        WHERE OLD.state <> 'streaming';
    INSERT INTO messages_fts(rowid, content, reasoning)
        SELECT NEW.seq, NEW.content, coalesce(NEW.reasoning, '') WHERE NEW.state <> 'streaming';
    INSERT INTO messages_trigram(rowid, content, reasoning)
        SELECT NEW.seq, NEW.content, coalesce(NEW.reasoning, '') WHERE NEW.state <> 'streaming';
END;

INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
INSERT INTO messages_trigram(messages_trigram) VALUES ('rebuild');

DROP TRIGGER messages_unspaced_insert;
DROP TRIGGER messages_unspaced_delete;
DROP TRIGGER messages_unspaced_update;
DROP TABLE messages_unspaced;

CREATE VIRTUAL TABLE messages_unspaced USING fts5(
    grams,
    reasoning_grams,
    content = '',
    contentless_delete = 1,
    tokenize = "unicode61 categories 'L* N* Co M*' remove_diacritics 0"
);
INSERT INTO messages_unspaced(messages_unspaced, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER messages_unspaced_insert AFTER INSERT ON messages
WHEN NEW.state <> 'streaming'
    AND (hearth_unspaced(NEW.content) IS NOT NULL OR hearth_unspaced(NEW.reasoning) IS NOT NULL)
BEGIN
    INSERT INTO messages_unspaced(rowid, grams, reasoning_grams)
        VALUES (NEW.seq, hearth_unspaced(NEW.content), hearth_unspaced(NEW.reasoning));
END;

CREATE TRIGGER messages_unspaced_delete AFTER DELETE ON messages
BEGIN
    DELETE FROM messages_unspaced WHERE rowid = OLD.seq;
END;

CREATE TRIGGER messages_unspaced_update AFTER UPDATE OF content, state, reasoning ON messages
BEGIN
    DELETE FROM messages_unspaced WHERE rowid = OLD.seq;
    INSERT INTO messages_unspaced(rowid, grams, reasoning_grams)
        SELECT NEW.seq, hearth_unspaced(NEW.content), hearth_unspaced(NEW.reasoning)
        WHERE NEW.state <> 'streaming'
            AND (hearth_unspaced(NEW.content) IS NOT NULL
                 OR hearth_unspaced(NEW.reasoning) IS NOT NULL);
END;

INSERT INTO messages_unspaced(rowid, grams, reasoning_grams)
    SELECT seq, grams, NULL FROM (
        SELECT seq, hearth_unspaced(content) AS grams FROM messages WHERE state <> 'streaming'
    ) WHERE grams IS NOT NULL;
"#;

/// Version 17: the tool calls an answer made (a JSON array: each call's arguments, the
/// user's decision and the tool's result), kept on the answer they belong to.
const V17_MESSAGE_TOOL_CALLS: &str = r#"
ALTER TABLE messages ADD COLUMN tool_calls TEXT
    CHECK (tool_calls IS NULL OR json_valid(tool_calls));
"#;

/// Version 19: whether a collection's folders are watched while Hearth runs (on unless
/// the user turns it off).
const V19_WATCHED_COLLECTIONS: &str = r#"
ALTER TABLE collections ADD COLUMN watch INTEGER NOT NULL DEFAULT 1 CHECK (watch IN (0, 1));
"#;

/// One step of the schema.
pub(crate) enum Migration {
    /// SQL run as written.
    Sql(&'static str),
    /// SQL, then the audit table rebuilt to allow the purposes known at this version:
    /// SQLite cannot change a CHECK constraint in place, so the table is made anew with
    /// the same columns (and any this version adds) and every row copied over.
    SqlThenAuditRebuild(&'static str),
}

use Migration::{Sql, SqlThenAuditRebuild};

/// Every migration in order; migration `i` takes the database to version `i + 1`.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Sql(V1_CORE),
    Sql(V2_SEARCH),
    Sql(V3_PERSONAS),
    Sql(V4_CONTEXT_SUMMARIES),
    Sql(V5_AUDIT_LOG),
    // Version 6: summarize and translate jobs get their own audit purposes.
    SqlThenAuditRebuild(""),
    Sql(V7_FILE_HASHES),
    // Version 8: requests from other programs through the OpenAI-compatible API get
    // their own purpose, so the log tells them apart from the app's own work.
    SqlThenAuditRebuild(""),
    Sql(V9_UNSPACED_INDEX),
    SqlThenAuditRebuild(V10_COLLECTIONS),
    Sql(V11_MESSAGE_PROVIDER),
    Sql(V12_AUDIT_EGRESS),
    SqlThenAuditRebuild(V13_WORKFLOWS),
    Sql(V14_WRITER_OWNERS),
    Sql(V15_REASONING),
    // Version 16: "tool_call", a call to an MCP server's tool.
    SqlThenAuditRebuild(""),
    Sql(V17_MESSAGE_TOOL_CALLS),
    // Version 18: "grounding_check", the grounding check's model judge.
    SqlThenAuditRebuild(""),
    Sql(V19_WATCHED_COLLECTIONS),
];

/// Every audit purpose with the schema version that first allowed it. Only ever
/// appended (with a `SqlThenAuditRebuild` step at that version), so each old rebuild
/// still allows exactly what it did when it was released.
const AUDIT_PURPOSES: &[(u32, &str)] = &[
    (5, "answer"),
    (5, "title"),
    (5, "summary"),
    (5, "run"),
    (5, "other"),
    (6, "document_summary"),
    (6, "translation"),
    (8, "api"),
    (10, "document_answer"),
    (10, "query_rewrite"),
    (13, "workflow"),
    (13, "generate"),
    (16, "tool_call"),
    (18, "grounding_check"),
];

/// The audit table's columns, their definitions and the version that added each
/// (`{purposes}` is filled with the purposes of the version being built).
const AUDIT_COLUMNS: &[(&str, &str, u32)] = &[
    ("id", "INTEGER PRIMARY KEY", 5),
    ("created_at", "INTEGER NOT NULL", 5),
    ("model", "TEXT NOT NULL", 5),
    ("model_sha256", "TEXT", 5),
    ("provider", "TEXT NOT NULL", 5),
    (
        "parameters",
        "TEXT NOT NULL CHECK (json_valid(parameters))",
        5,
    ),
    ("prompt_tokens", "INTEGER", 5),
    ("completion_tokens", "INTEGER", 5),
    ("prompt_ms", "REAL", 5),
    ("generation_ms", "REAL", 5),
    ("stop_reason", "TEXT", 5),
    ("error", "TEXT", 5),
    ("prompt_sha256", "TEXT NOT NULL", 5),
    ("output_sha256", "TEXT NOT NULL", 5),
    ("conversation_id", "TEXT", 5),
    (
        "purpose",
        "TEXT NOT NULL CHECK (purpose IN ({purposes}))",
        5,
    ),
    (
        "redactions",
        "TEXT CHECK (redactions IS NULL OR json_valid(redactions))",
        12,
    ),
    (
        "sent_bytes",
        "INTEGER CHECK (sent_bytes IS NULL OR sent_bytes >= 0)",
        12,
    ),
    ("adapter", "TEXT", 13),
];

/// The SQL that rebuilds the audit table as it is at `version`, keeping every row.
fn audit_rebuild(version: u32) -> String {
    let purposes = AUDIT_PURPOSES
        .iter()
        .filter(|(since, _)| *since <= version)
        .map(|(_, purpose)| format!("'{purpose}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let columns = AUDIT_COLUMNS
        .iter()
        .filter(|(_, _, since)| *since <= version)
        .map(|(name, definition, _)| {
            format!("    {name} {}", definition.replace("{purposes}", &purposes))
        })
        .collect::<Vec<_>>()
        .join(",\n");
    // What the old table holds: columns from before this version.
    let kept = AUDIT_COLUMNS
        .iter()
        .filter(|(_, _, since)| *since < version)
        .map(|(name, _, _)| *name)
        .collect::<Vec<_>>()
        .join(", ");
    let provider_index = if version >= 12 {
        "CREATE INDEX audit_log_provider ON audit_log(provider, created_at);\n"
    } else {
        ""
    };
    format!(
        "CREATE TABLE audit_log_v{version} (\n{columns}\n);\n\
         INSERT INTO audit_log_v{version} ({kept}) SELECT {kept} FROM audit_log;\n\
         DROP TABLE audit_log;\n\
         ALTER TABLE audit_log_v{version} RENAME TO audit_log;\n\
         CREATE INDEX audit_log_created ON audit_log(created_at);\n\
         {provider_index}"
    )
}

/// The SQL of migration `index` (which takes the database to version `index + 1`).
pub(crate) fn migration_sql(index: usize) -> std::borrow::Cow<'static, str> {
    match MIGRATIONS[index] {
        Sql(sql) => sql.into(),
        SqlThenAuditRebuild(sql) => format!("{sql}\n{}", audit_rebuild(index as u32 + 1)).into(),
    }
}

/// The schema version this code writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Refuses databases from a newer Hearth and databases that are not Hearth's.
///
/// The schema version, the tables and the application id are read by one statement, so
/// from one snapshot of the file: read one by one, another process creating the history
/// could commit between the reads, and its half-seen file (no version yet, tables
/// already) would pass for another application's database.
pub(crate) fn check_openable(conn: &Connection, path: &std::path::Path) -> Result<()> {
    let (version, tables, app_id): (i64, i64, i32) = conn
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version), \
                    (SELECT count(*) FROM sqlite_schema), \
                    (SELECT application_id FROM pragma_application_id)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .map_err(StoreError::from_sqlite)?;
    let found = schema_version(version)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let ours = if found == 0 {
        tables == 0
    } else {
        app_id == APPLICATION_ID
    };
    if !ours {
        return Err(StoreError::NotHearth {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Brings the database up to [`SCHEMA_VERSION`]; call [`check_openable`] first.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        // A newer Hearth upgraded it since the check.
        return Err(StoreError::TooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for index in (found as usize)..MIGRATIONS.len() {
        let version = index as u32 + 1;
        // Immediate: take the write lock before reading anything, so two processes that
        // open an old history at once upgrade it one after the other.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have upgraded between our read and our lock.
        if user_version(&tx)? >= version {
            continue;
        }
        tx.execute_batch(&migration_sql(index))?;
        if version == 1 {
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "history database schema upgraded");
    }
    Ok(())
}

pub(crate) fn user_version(conn: &Connection) -> Result<u32> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(StoreError::from_sqlite)?;
    schema_version(version)
}

/// `user_version` is a signed 32-bit header field; a negative one was not written by us.
fn schema_version(version: i64) -> Result<u32> {
    u32::try_from(version).map_err(|_| StoreError::Corrupt {
        detail: format!("schema version {version} is negative"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NewConversation, NewMessage, SearchQuery, Store};

    /// A history file as the Hearth of schema `version` left it: its migrations run as
    /// they shipped, marked as Hearth's, at that version.
    fn database_at(path: &std::path::Path, version: u32) -> Connection {
        let conn = Connection::open(path).unwrap();
        crate::unspaced::register(&conn).unwrap();
        for index in 0..version as usize {
            conn.execute_batch(&migration_sql(index)).unwrap();
        }
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", version).unwrap();
        conn
    }

    /// An old history (made with the version 1 SQL alone, as Hearth 1 did) opens with the
    /// current code: its data is intact, later tables and columns exist, and old messages
    /// are searchable.
    #[test]
    fn version_1_database_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(V1_CORE).unwrap();
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute_batch(
                "BEGIN;
                 INSERT INTO conversations (id, title, title_source, model, settings, created_at, updated_at, active_leaf_id)
                   VALUES ('c1', 'Old talk', 'user', 'smollm2', '{\"temperature\":0.5}', 1000, 2000, 'm2');
                 INSERT INTO conversation_tags VALUES ('c1', 'work');
                 INSERT INTO messages (id, conversation_id, parent_id, role, content, state, created_at, updated_at)
                   VALUES ('m1', 'c1', NULL, 'user', 'what is a héron', 'done', 1000, 1000),
                          ('m2', 'c1', 'm1', 'assistant', 'a wading bird', 'done', 1500, 1500);
                 COMMIT;",
            )
            .unwrap();
        }

        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let conversation = store.conversation(&"c1".into()).unwrap();
        assert_eq!(conversation.title, "Old talk");
        assert_eq!(conversation.tags, vec!["work".to_string()]);
        assert_eq!(
            conversation.persona_id, None,
            "new column, empty for old rows"
        );
        assert_eq!(conversation.settings["temperature"], 0.5);
        let branch = store.active_branch(&"c1".into()).unwrap();
        let texts: Vec<&str> = branch.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["what is a héron", "a wading bird"]);

        // New table usable, old messages indexed by the upgrade.
        let persona = store
            .create_persona(crate::NewPersona {
                name: "Birder".into(),
                system_prompt: "You know birds.".into(),
                settings: serde_json::Value::Null,
            })
            .unwrap();
        let settings = crate::ConversationSettings {
            persona_id: Some(persona.id.clone()),
            ..Default::default()
        };
        store.update_settings(&"c1".into(), &settings).unwrap();
        let hits = store.search(&SearchQuery::text("heron")).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].message_id.as_str(), "m1");
        let summary = store
            .add_context_summary(&"c1".into(), &"m2".into(), "herons were discussed", None)
            .unwrap();
        assert_eq!(
            store.context_summaries(&"c1".into()).unwrap(),
            vec![summary]
        );

        let record = store
            .add_audit_record(&crate::NewAuditRecord::for_test())
            .unwrap();
        assert_eq!(store.audit_records(None).unwrap()[0].id, record);

        // And the upgraded history takes new writes.
        let c = store
            .create_conversation(NewConversation::default())
            .unwrap();
        store
            .add_message(&c.id, NewMessage::user(None, "hello"))
            .unwrap();
        store.check_integrity().unwrap();
    }

    #[test]
    fn newer_database_is_refused_with_its_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        drop(Store::open(&path).unwrap());
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 7)
                .unwrap();
        }
        match Store::open(&path) {
            Err(StoreError::TooNew { found, supported }) => {
                assert_eq!(found, SCHEMA_VERSION + 7);
                assert_eq!(supported, SCHEMA_VERSION);
            }
            other => panic!("expected TooNew, got {other:?}"),
        }
    }

    #[test]
    fn another_applications_database_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE notes (body TEXT)")
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::NotHearth { .. })
        ));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "the other app's file changed"
        );
        assert!(!dir.path().join("other.db-wal").exists());
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_reported_as_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        std::fs::write(&path, vec![0x5a; 8192]).unwrap();
        match Store::open(&path) {
            Err(StoreError::Corrupt { .. }) => {}
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    /// Version 6 rebuilds the audit log to widen its purposes; the rows survive and the
    /// new purposes are accepted.
    #[test]
    fn version_5_audit_rows_survive_the_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        {
            let conn = database_at(&path, 5);
            conn.execute(
                "INSERT INTO audit_log (created_at, model, provider, parameters, prompt_sha256, \
                 output_sha256, purpose) VALUES (1000, 'smollm2', 'local', '{}', 'aa', 'bb', 'run')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let records = store.audit_records(None).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].generation.purpose, crate::AuditPurpose::Run);
        let conn = store.conn();
        conn.execute(
            "INSERT INTO audit_log (created_at, model, provider, parameters, prompt_sha256, \
             output_sha256, purpose) VALUES (2000, 'smollm2', 'local', '{}', 'cc', 'dd', 'translation')",
            [],
        )
        .unwrap();
        assert!(conn
            .execute(
                "INSERT INTO audit_log (created_at, model, provider, parameters, prompt_sha256, \
                 output_sha256, purpose) VALUES (3000, 'm', 'local', '{}', 'e', 'f', 'bogus')",
                [],
            )
            .is_err());
    }

    /// Version 8 rebuilds the audit log again for the `api` purpose; rows and the file
    /// hash cache survive.
    #[test]
    fn version_7_audit_rows_survive_the_api_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        {
            let conn = database_at(&path, 7);
            conn.execute(
                "INSERT INTO audit_log (created_at, model, provider, parameters, prompt_sha256, \
                 output_sha256, purpose) VALUES (1000, 'smollm2', 'local', '{}', 'aa', 'bb', 'translation')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let records = store.audit_records(None).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(
            records[0].generation.purpose,
            crate::AuditPurpose::Translation
        );
        store
            .conn()
            .execute(
                "INSERT INTO audit_log (created_at, model, provider, parameters, prompt_sha256, \
                 output_sha256, purpose) VALUES (2000, 'smollm2', 'local', '{}', 'cc', 'dd', 'api')",
                [],
            )
            .unwrap();
        let records = store.audit_records(None).unwrap();
        assert_eq!(records[1].generation.purpose, crate::AuditPurpose::Api);
    }

    /// Takes a version 15 database back to version 14: the thinking columns go and the
    /// search indexes are made again as versions 2 and 9 made them.
    fn undo_v15(conn: &Connection) {
        crate::unspaced::register(conn).unwrap();
        conn.execute_batch(
            "DROP TRIGGER messages_search_insert; DROP TRIGGER messages_search_delete; \
             DROP TRIGGER messages_search_update; DROP TABLE messages_fts; \
             DROP TABLE messages_trigram; DROP VIEW messages_indexed; \
             DROP TRIGGER messages_unspaced_insert; DROP TRIGGER messages_unspaced_delete; \
             DROP TRIGGER messages_unspaced_update; DROP TABLE messages_unspaced; \
             ALTER TABLE messages DROP COLUMN reasoning; \
             ALTER TABLE messages DROP COLUMN reasoning_ms; \
             ALTER TABLE messages DROP COLUMN tool_calls; \
             ALTER TABLE collections DROP COLUMN watch;",
        )
        .unwrap();
        conn.execute_batch(V2_SEARCH).unwrap();
        conn.execute_batch(V9_UNSPACED_INDEX).unwrap();
        conn.pragma_update(None, "user_version", 14).unwrap();
    }

    /// A history this version wrote with `fill`, taken back to `version` as an older
    /// Hearth left it (version 15 and later undone, then `undo`), and opened again, which
    /// upgrades it; with what `fill` returned.
    fn upgraded_from<T>(
        path: &std::path::Path,
        version: u32,
        undo: &str,
        fill: impl FnOnce(&Store) -> T,
    ) -> (Store, T) {
        let made = fill(&Store::open(path).unwrap());
        {
            let conn = Connection::open(path).unwrap();
            undo_v15(&conn);
            conn.execute_batch(undo).unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
        }
        let store = Store::open(path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        (store, made)
    }

    /// A conversation with one question, for [`upgraded_from`].
    fn one_question(text: &str) -> impl FnOnce(&Store) -> crate::ConversationId + '_ {
        move |store| {
            let c = store
                .create_conversation(NewConversation::default())
                .unwrap();
            store
                .add_message(&c.id, NewMessage::user(None, text))
                .unwrap();
            c.id
        }
    }

    /// A version 14 history's messages gain no thinking, stay found by every index, and
    /// new answers' thinking is searchable on request.
    #[test]
    fn version_14_messages_stay_searchable_and_new_thinking_is_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let (store, c) = upgraded_from(&path, 14, "", one_question("herons in 東京の天気"));
        let old = store.active_branch(&c).unwrap();
        assert_eq!(
            (old[0].reasoning.as_deref(), old[0].reasoning_ms),
            (None, None)
        );
        for term in ["herons", "東京の天", "天気"] {
            assert_eq!(
                store.search(&SearchQuery::text(term)).unwrap().len(),
                1,
                "{term}"
            );
        }
        let answer = store
            .add_message(
                &c,
                NewMessage::assistant_streaming(Some(old[0].id.clone()), None),
            )
            .unwrap();
        store
            .finish_message(
                &answer.id,
                &crate::MessageFinish {
                    content: "Grey birds.".into(),
                    state: crate::MessageState::Done,
                    error: None,
                    token_count: None,
                    reasoning: Some("Thinking of egrets.".into()),
                    reasoning_ms: Some(900),
                },
            )
            .unwrap();
        assert!(store
            .search(&SearchQuery::text("egrets"))
            .unwrap()
            .is_empty());
        let in_thinking = SearchQuery {
            thinking: true,
            ..SearchQuery::text("egrets")
        };
        assert_eq!(store.search(&in_thinking).unwrap().len(), 1);
        store.check_integrity().unwrap();
    }

    /// Takes a version 12 database back to version 11.
    const UNDO_V12: &str = "DROP INDEX audit_log_provider; \
        ALTER TABLE audit_log DROP COLUMN sent_bytes; ALTER TABLE audit_log DROP COLUMN redactions;";

    /// Takes a version 14 database back to version 13.
    const UNDO_V14: &str = "ALTER TABLE messages DROP COLUMN owner_pid; \
        ALTER TABLE messages DROP COLUMN owner_start; \
        ALTER TABLE workflow_runs DROP COLUMN owner_pid; \
        ALTER TABLE workflow_runs DROP COLUMN owner_start;";

    /// Takes a version 13 database back to version 12 (the audit table's wider CHECK
    /// stays; nothing older writes the new purposes).
    const UNDO_V13: &str = "DROP TABLE workflow_runs; DROP TABLE workflows; DROP TABLE prompts; \
        ALTER TABLE audit_log DROP COLUMN adapter;";

    /// A version 12 history keeps its audit log through the rebuild and gains
    /// workflows, prompts and runs.
    #[test]
    fn version_12_audit_rows_survive_the_workflows_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let (store, ()) = upgraded_from(&path, 12, &format!("{UNDO_V14} {UNDO_V13}"), |store| {
            store
                .add_audit_record(&crate::NewAuditRecord {
                    sent_bytes: Some(42),
                    ..crate::NewAuditRecord::for_test()
                })
                .unwrap();
        });
        let records = store.audit_records(None).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(
            (records[0].sent_bytes, records[0].adapter.clone()),
            (Some(42), None)
        );
        store
            .add_audit_record(&crate::NewAuditRecord {
                purpose: crate::AuditPurpose::Workflow,
                adapter: Some("style.gguf@0.5".into()),
                ..crate::NewAuditRecord::for_test()
            })
            .unwrap();
        let records = store.audit_records(None).unwrap();
        assert_eq!(records[1].purpose, crate::AuditPurpose::Workflow);
        assert_eq!(records[1].adapter.as_deref(), Some("style.gguf@0.5"));
        store
            .save_definition(crate::SavedKind::Workflow, "w", &serde_json::json!({}))
            .unwrap();
        store.check_integrity().unwrap();
    }

    /// Takes a version 11 database back to version 10.
    const UNDO_V11: &str = "ALTER TABLE messages DROP COLUMN provider;";

    /// A version 10 history keeps its messages, now marked as written on this computer,
    /// and records the provider of new answers.
    #[test]
    fn version_10_messages_gain_a_provider_of_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let (store, c) = upgraded_from(
            &path,
            10,
            &format!("{UNDO_V14} {UNDO_V13} {UNDO_V12} {UNDO_V11}"),
            one_question("before"),
        );
        let kept = store.active_branch(&c).unwrap();
        assert_eq!(
            (kept[0].content.as_str(), kept[0].provider.as_deref()),
            ("before", None)
        );
        let answer = store
            .add_message(
                &c,
                NewMessage::assistant_streaming(Some(kept[0].id.clone()), Some("gpt".into()))
                    .by_provider(Some("openai".into())),
            )
            .unwrap();
        assert_eq!(
            store.message(&answer.id).unwrap().provider.as_deref(),
            Some("openai")
        );
        store.check_integrity().unwrap();
    }

    /// Takes a version 10 database back to version 9 (the audit table's wider CHECK
    /// admits every version 9 row, so it can stay).
    const UNDO_V10: &str = "DROP TABLE message_sources; DROP TABLE chunks_vocab; DROP TABLE chunks_fts; DROP TABLE chunks; \
        DROP TABLE collection_files; DROP TABLE collection_sources; DROP TABLE collections;";

    /// A version 9 history (made with the version 1 to 9 SQL, as Hearth left it then)
    /// gains collections, keeps its audit records, and records the new purposes.
    #[test]
    fn version_9_gains_collections_and_keeps_its_audit_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        {
            let conn = database_at(&path, 9);
            conn.execute(
                "INSERT INTO audit_log (created_at, model, provider, parameters, prompt_sha256, \
                 output_sha256, purpose) VALUES (1000, 'smollm2', 'local', '{}', 'aa', 'bb', 'api')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        store
            .conn()
            .execute(
                "INSERT INTO audit_log (created_at, model, provider, parameters, prompt_sha256, \
                 output_sha256, purpose) VALUES (2000, 'smollm2', 'local', '{}', 'cc', 'dd', 'document_answer')",
                [],
            )
            .unwrap();
        let purposes: Vec<_> = store
            .audit_records(None)
            .unwrap()
            .into_iter()
            .map(|r| r.generation.purpose)
            .collect();
        assert_eq!(
            purposes,
            [
                crate::AuditPurpose::Api,
                crate::AuditPurpose::DocumentAnswer
            ]
        );
        let collection = store.create_collection("Notes", "minilm", 4).unwrap();
        assert_eq!(collection.files, 0);
        store.check_integrity().unwrap();
    }

    /// Each generated rebuild keeps every column the audit table had, in order and with
    /// its type and constraints, and every row; and allows the purposes of its version.
    #[test]
    fn every_audit_rebuild_keeps_the_columns_and_rows_it_found() {
        let conn = Connection::open_in_memory().unwrap();
        crate::unspaced::register(&conn).unwrap();
        let columns = |conn: &Connection| -> Vec<(String, String, bool, bool)> {
            conn.prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info('audit_log')")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let rows = |conn: &Connection| -> i64 {
            conn.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
                .unwrap()
        };
        let mut rebuilds = 0;
        for (index, step) in MIGRATIONS.iter().enumerate() {
            let version = index as u32 + 1;
            if version < 5 {
                conn.execute_batch(&migration_sql(index)).unwrap();
                continue;
            }
            let before = columns(&conn);
            conn.execute_batch(&migration_sql(index)).unwrap();
            let after = columns(&conn);
            if matches!(step, SqlThenAuditRebuild(_)) {
                rebuilds += 1;
                assert_eq!(after[..before.len()], before[..], "version {version}");
                assert_eq!(rows(&conn), version as i64 - 5, "version {version}");
                for (since, purpose) in AUDIT_PURPOSES {
                    let allowed = conn
                        .execute(
                            "INSERT INTO audit_log (created_at, model, provider, parameters, \
                             prompt_sha256, output_sha256, purpose) \
                             VALUES (0, 'm', 'local', '{}', 'a', 'b', ?1)",
                            [purpose],
                        )
                        .is_ok();
                    assert_eq!(allowed, *since <= version, "{purpose} at version {version}");
                    conn.execute("DELETE FROM audit_log WHERE created_at = 0", [])
                        .unwrap();
                }
            }
            // One row per version from 5 on, for the next rebuild to carry.
            conn.execute(
                "INSERT INTO audit_log (created_at, model, provider, parameters, prompt_sha256, \
                 output_sha256, purpose) VALUES (?1, 'm', 'local', '{}', 'a', 'b', 'answer')",
                [version],
            )
            .unwrap();
        }
        assert_eq!(rebuilds, 6);
        let names: Vec<String> = columns(&conn).into_iter().map(|c| c.0).collect();
        assert_eq!(
            names,
            AUDIT_COLUMNS.iter().map(|c| c.0).collect::<Vec<_>>(),
            "the table as the code reads it"
        );
    }

    /// Every purpose the code writes is one the current schema allows, and nothing else.
    #[test]
    fn the_schema_allows_exactly_the_purposes_the_code_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("history.db")).unwrap();
        let insert = |purpose: &str| {
            store.conn().execute(
                "INSERT INTO audit_log (created_at, model, provider, parameters, prompt_sha256, \
                 output_sha256, purpose) VALUES (1, 'm', 'local', '{}', 'a', 'b', ?1)",
                [purpose],
            )
        };
        for (_, purpose) in AUDIT_PURPOSES {
            assert_eq!(crate::AuditPurpose::parse(purpose).as_str(), *purpose);
            insert(purpose).unwrap();
        }
        assert!(insert("sneaky").is_err());
    }

    /// Collections made before watching existed are watched after the upgrade.
    #[test]
    fn version_18_collections_are_watched_after_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        {
            let conn = database_at(&path, 18);
            conn.execute(
                "INSERT INTO collections (name, embedding_model, dimensions, created_at, updated_at) \
                 VALUES ('Old notes', 'minilm', 4, 1000, 1000)",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let old = store.collection("Old notes").unwrap();
        assert!(old.watch);
        assert!(!store.set_collection_watch(old.id, false).unwrap().watch);
        store.check_integrity().unwrap();
    }

    /// Version 9 indexes the short-term index from the messages already stored.
    #[test]
    fn version_8_messages_are_found_by_short_unspaced_terms_after_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let (store, id) = upgraded_from(
            &path,
            8,
            &format!(
                "{UNDO_V14} {UNDO_V13} {UNDO_V12} {UNDO_V11} {UNDO_V10} DROP TRIGGER messages_unspaced_insert; \
                     DROP TRIGGER messages_unspaced_delete; \
                     DROP TRIGGER messages_unspaced_update; DROP TABLE messages_unspaced;"
            ),
            one_question("東京の天気"),
        );
        let hits = store.search(&SearchQuery::text("天気")).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].conversation_id, id);
        store.check_integrity().unwrap();
    }

    /// A version 13 history's unfinished answers and runs have no writer recorded: after
    /// the upgrade they count as abandoned and are labelled, as they were before.
    #[test]
    fn version_13_unfinished_work_is_labelled_after_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let (store, (answer, run)) = upgraded_from(&path, 13, UNDO_V14, |store| {
            let c = store
                .create_conversation(NewConversation::default())
                .unwrap();
            let answer = store
                .add_message(&c.id, NewMessage::assistant_streaming(None, None))
                .unwrap();
            store
                .checkpoint_message(&answer.id, "half", crate::MessageState::Streaming)
                .unwrap();
            let run = store
                .start_workflow_run("w", &serde_json::json!({}), "x")
                .unwrap();
            (answer.id, run)
        });
        assert_eq!(store.mark_interrupted().unwrap(), 1);
        assert_eq!(store.mark_runs_interrupted().unwrap(), 1);
        let answer = store.message(&answer).unwrap();
        assert_eq!(
            (answer.content.as_str(), answer.state),
            ("half", crate::MessageState::Interrupted)
        );
        assert_eq!(
            store.workflow_run(&run).unwrap().state,
            crate::RunState::Interrupted
        );
        store.check_integrity().unwrap();
    }

    #[test]
    fn reopening_a_current_database_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let id = {
            let store = Store::open(&path).unwrap();
            store
                .create_conversation(NewConversation::default())
                .unwrap()
                .id
        };
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(store.conversation(&id).unwrap().id, id);
    }
}
