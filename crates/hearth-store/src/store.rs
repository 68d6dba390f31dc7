//! Opening the history database: the connection settings that make it durable, and the
//! one connection every operation goes through.
//!
//! The store is synchronous. SQLite calls block, so async callers run them on a
//! dedicated thread or `spawn_blocking`. One connection behind a mutex serializes the
//! writers of this process, which is all SQLite allows anyway; other processes (the CLI
//! next to the app) wait on the busy timeout.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Result, StoreError};
use crate::schema;

/// How long a write waits for another process holding the write lock before giving up
/// with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The conversation history: one SQLite database.
///
/// `Store` is `Send + Sync`; share it in an `Arc`. Every write that matters commits before
/// the call returns.
pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    /// In-memory copies of large collections' vectors, for exact search at speed.
    pub(crate) vector_cache: crate::vector_cache::VectorCache,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the history at `path` and upgrades its schema.
    ///
    /// The parent folder is created if missing.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            let mut folder = std::fs::DirBuilder::new();
            folder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
            folder.create(parent).map_err(|source| StoreError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        make_private(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(StoreError::from_sqlite)?;
        Store::setup(conn, path, Some(path.to_path_buf()))
    }

    /// A history that lives in memory only, for tests and throwaway sessions.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        Store::setup(conn, Path::new(":memory:"), None)
    }

    fn setup(conn: Connection, shown_path: &Path, path: Option<PathBuf>) -> Result<Store> {
        let conn = prepare(conn, shown_path)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path,
            vector_cache: Default::default(),
        })
    }

    /// Deletes the whole history: closes the database, removes its files (the
    /// write-ahead log and shared memory too) and starts an empty one in their place, so
    /// no word of it is left in a file, not even in free pages. Returns what was there.
    ///
    /// Another process with the history open (a CLI next to the app) keeps writing to
    /// the removed file until it reopens; what it writes is gone with it.
    pub fn erase_all(&self) -> Result<ErasedHistory> {
        let erased = {
            let conn = self.conn();
            let count = |table: &str| -> Result<u64> {
                Ok(
                    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                        row.get::<_, i64>(0)
                    })? as u64,
                )
            };
            ErasedHistory {
                conversations: count("conversations")?,
                messages: count("messages")?,
                collections: count("collections")?,
                audit_records: count("audit_log")?,
                workflow_runs: count("workflow_runs")?,
            }
        };
        let mut conn = self.conn();
        let Some(path) = &self.path else {
            *conn = prepare(Connection::open_in_memory()?, Path::new(":memory:"))?;
            self.vector_cache.clear();
            return Ok(erased);
        };
        // Closing the last connection checkpoints the log into the file we remove next.
        let old = std::mem::replace(&mut *conn, Connection::open_in_memory()?);
        if let Err((_, error)) = old.close() {
            return Err(error.into());
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(StoreError::Io { path: file, source }),
            }
        }
        make_private(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let fresh = Connection::open_with_flags(path, flags).map_err(StoreError::from_sqlite)?;
        *conn = prepare(fresh, path)?;
        self.vector_cache.clear();
        Ok(erased)
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open database (always [`crate::SCHEMA_VERSION`] once open).
    pub fn schema_version(&self) -> Result<u32> {
        schema::user_version(&self.conn())
    }

    /// Checks the whole file and both search indexes; [`StoreError::Corrupt`] says what is
    /// wrong. Reads everything, so it is for a "check my history" command, not for every
    /// start.
    pub fn check_integrity(&self) -> Result<()> {
        let conn = self.conn();
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let problems: Vec<String> = stmt
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<_>>()
            .map_err(StoreError::from_sqlite)?;
        if problems != ["ok"] {
            return Err(StoreError::Corrupt {
                detail: problems.join("; "),
            });
        }
        let foreign: i64 =
            conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
                row.get(0)
            })?;
        if foreign > 0 {
            return Err(StoreError::Corrupt {
                detail: format!("{foreign} rows point at missing rows"),
            });
        }
        // rank = 1 also compares an index against the message text it was built from; the
        // contentless index has no text to compare.
        for (table, rank) in [
            ("messages_fts", 1),
            ("messages_trigram", 1),
            ("messages_unspaced", 0),
            ("chunks_fts", 1),
        ] {
            let sql =
                format!("INSERT INTO {table}({table}, rank) VALUES ('integrity-check', {rank})");
            conn.execute(&sql, []).map_err(|err| StoreError::Corrupt {
                detail: format!("search index {table}: {err}"),
            })?;
        }
        Ok(())
    }

    /// The connection. A panic while it was held leaves SQLite consistent (an unfinished
    /// transaction rolls back when its guard drops), so a poisoned lock is still usable.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// After a delete: copies the wiped pages into the main file and empties the
    /// write-ahead log, whose older frames still hold the deleted text. If another
    /// process is reading at that moment the log is emptied at a later checkpoint.
    pub(crate) fn wipe_log(&self) {
        if self.path.is_none() {
            return;
        }
        let checkpoint = self
            .conn()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            });
        match checkpoint {
            Ok(0) => {}
            Ok(_) => tracing::debug!("wal checkpoint after a delete was blocked by a reader"),
            Err(error) => tracing::warn!(%error, "wal checkpoint after a delete failed"),
        }
    }

    /// Runs `f` in a write transaction and commits it.
    ///
    /// Immediate: the write lock is taken at BEGIN, so a transaction that reads and then
    /// writes never fails half-way with "busy" because another process wrote in between.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

/// What [`Store::erase_all`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErasedHistory {
    pub conversations: u64,
    pub messages: u64,
    pub collections: u64,
    pub audit_records: u64,
    pub workflow_runs: u64,
}

/// Makes a connection ready: functions and extensions, checks, settings, schema.
/// Makes the history owner-only (0600 on Unix) before SQLite opens it: a new file is
/// created so, an existing one (and its write-ahead log and shared memory) narrowed.
/// SQLite gives the -wal and -shm files it creates the database file's permissions, so
/// no part of the history is readable by other users, whatever the umask.
fn make_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let io = |path: &Path, source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(path, e)),
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            let Ok(metadata) = std::fs::metadata(&file) else {
                continue;
            };
            let mode = metadata.permissions().mode();
            if mode & 0o077 != 0 {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o700))
                    .map_err(|e| io(&file, e))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn prepare(mut conn: Connection, shown_path: &Path) -> Result<Connection> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // The search triggers call it, so it must exist before anything is written.
    crate::unspaced::register(&conn)?;
    // Collections keep their vectors in sqlite-vec tables, which need the extension
    // on every connection that touches them (deleting a collection included).
    crate::vectors::register(&conn)?;
    // Before any setting that writes to the file: a newer Hearth's history or another
    // application's database is refused untouched.
    schema::check_openable(&conn, shown_path)?;
    configure(&conn)?;
    schema::migrate(&mut conn)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // Write-ahead log: readers never block the writer, and a commit appends to the log
    // instead of rewriting pages in place.
    let mode = switch_to_wal(conn)?;
    if mode != "wal" && mode != "memory" {
        tracing::warn!(mode, "history database is not in WAL mode");
    }
    // NORMAL in WAL mode syncs at checkpoints, not at every commit. A committed
    // transaction is already in the WAL file, which the OS keeps after our process dies,
    // so a crash or `kill -9` of Hearth loses nothing (the crash test proves it); only a
    // power cut or OS crash can lose the last commits, and never corrupts the file. FULL
    // would fsync on every streaming checkpoint, several times a second.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // Deleted rows are overwritten with zeros, so "delete" removes the words from the file.
    conn.pragma_update(None, "secure_delete", true)?;
    Ok(())
}

/// Puts the file in write-ahead-log mode (it stays so) and says the mode it is in.
///
/// The switch needs the file to itself, and SQLite answers "database is locked" at once,
/// without the busy timeout, when another connection has it open: processes that open a
/// new history together (a script beside the app) would fail. So the switch is tried again
/// until the busy timeout has passed; once the file is in WAL mode it is a no-op.
fn switch_to_wal(conn: &Connection) -> rusqlite::Result<String> {
    let give_up = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)) {
            Err(error)
                if error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < give_up =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            answer => return answer,
        }
    }
}

/// Milliseconds since the Unix epoch. A clock set before 1970 counts as 0.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn store_can_be_shared_between_threads() {
        assert_send_sync::<Store>();
        let store = std::sync::Arc::new(Store::open_in_memory().unwrap());
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let store = store.clone();
                std::thread::spawn(move || {
                    store
                        .create_conversation(crate::NewConversation {
                            title: Some(format!("thread {i}")),
                            ..Default::default()
                        })
                        .map(|c| c.id)
                })
            })
            .collect();
        for handle in handles {
            assert!(handle.join().unwrap().is_ok());
        }
        let all = store
            .list_conversations(&crate::ConversationFilter::default())
            .unwrap();
        assert_eq!(all.len(), 4);
    }

    /// Processes that start at once (a script's `hearth` commands beside the desktop app)
    /// all open a history none of them has created yet: one creates it, the others wait
    /// for it and open it. None may take the half-made file for another application's.
    #[test]
    fn a_new_history_opened_by_many_at_once_opens_for_each() {
        const OPENERS: usize = 8;
        for round in 0..25 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("history.db");
            let start = std::sync::Arc::new(std::sync::Barrier::new(OPENERS));
            let openers: Vec<_> = (0..OPENERS)
                .map(|_| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        Store::open(&path).map(|_| ())
                    })
                })
                .collect();
            for opener in openers {
                let opened = opener.join().unwrap();
                assert!(opened.is_ok(), "round {round}: {opened:?}");
            }
        }
    }

    #[test]
    fn file_store_uses_wal_foreign_keys_and_secure_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("nested/history.db")).unwrap();
        let conn = store.conn();
        let get = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(get("PRAGMA foreign_keys"), 1);
        assert_eq!(get("PRAGMA secure_delete"), 1);
        assert_eq!(get("PRAGMA synchronous"), 1, "NORMAL");
        assert!(get("PRAGMA busy_timeout") > 0);
    }

    #[test]
    fn fresh_store_passes_integrity_check() {
        let store = Store::open_in_memory().unwrap();
        store.check_integrity().unwrap();
        assert_eq!(store.schema_version().unwrap(), crate::SCHEMA_VERSION);
        assert!(store.path().is_none());
    }
}

#[cfg(test)]
mod erase_tests {
    use super::*;
    use crate::types::{NewConversation, NewMessage};

    #[test]
    fn erasing_leaves_an_empty_history_and_no_file_with_the_old_words() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hearth.db");
        let store = Store::open(&path).unwrap();
        let c = store
            .create_conversation(NewConversation::default())
            .unwrap();
        store
            .add_message(
                &c.id,
                NewMessage::user(None, "the secret word is pomegranate"),
            )
            .unwrap();
        let erased = store.erase_all().unwrap();
        assert_eq!((erased.conversations, erased.messages), (1, 1));
        assert!(store
            .list_conversations(&Default::default())
            .unwrap()
            .is_empty());
        // Still usable, at the current schema.
        assert_eq!(store.schema_version().unwrap(), crate::SCHEMA_VERSION);
        store
            .create_conversation(NewConversation::default())
            .unwrap();
        store.wipe_log();
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(!bytes.windows(11).any(|w| w == b"pomegranate"));
        }
        let memory = Store::open_in_memory().unwrap();
        memory
            .create_conversation(NewConversation::default())
            .unwrap();
        assert_eq!(memory.erase_all().unwrap().conversations, 1);
        assert!(memory
            .list_conversations(&Default::default())
            .unwrap()
            .is_empty());
    }
}
