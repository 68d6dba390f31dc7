//! Document collections: named sets of files and folders whose passages can be searched
//! and cited. The store keeps what ingestion decided (which files, with which content
//! hash, read into which passages) so that re-ingesting can skip unchanged files; reading
//! and embedding happen in hearth-core.
//!
//! A collection is tied to one embedding model, because vectors from two models cannot be
//! compared; [`Store::reset_collection`] empties it for a new model.

use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::limits;
use crate::store::{now_ms, Store};
use crate::vectors;

/// Longest collection name, in bytes.
pub const MAX_COLLECTION_NAME_BYTES: usize = 200;

/// A collection with counts of what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    pub id: i64,
    pub name: String,
    /// The embedding model its vectors came from (a library id).
    pub embedding_model: String,
    pub dimensions: usize,
    /// The files and folders the user added, as given (absolute paths).
    pub sources: Vec<String>,
    /// Files read into passages.
    pub files: usize,
    /// Files that could not be read (see [`CollectionFile::error`]).
    pub failed: usize,
    pub chunks: usize,
    /// Whether its folders are watched while Hearth runs, so new, changed, renamed and
    /// deleted files reach the index without a rescan (on unless the user turned it off).
    pub watch: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Whether a file's passages are in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Indexed,
    /// Reading it failed; it has no passages until it changes and reads.
    Failed,
}

/// One file of a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionFile {
    pub id: i64,
    pub path: String,
    /// SHA-256 of the file's bytes when it was last read, in hex.
    pub content_hash: String,
    pub size: u64,
    pub title: Option<String>,
    pub format: Option<String>,
    pub pages: Option<u32>,
    pub status: FileStatus,
    pub error: Option<String>,
    pub chunks: usize,
    pub indexed_at: i64,
}

/// What ingestion learned about a file it read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexedFile {
    pub path: String,
    pub content_hash: String,
    pub size: u64,
    pub title: Option<String>,
    pub format: Option<String>,
    pub pages: Option<u32>,
}

/// A passage to store, with its vector.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewChunk {
    /// The heading trail above it, outermost first, joined with " › ".
    pub section: String,
    pub first_page: Option<u32>,
    pub last_page: Option<u32>,
    pub text: String,
    /// Its size in the embedding model's tokens.
    pub tokens: usize,
    pub vector: Vec<f32>,
}

const COLLECTION_COLUMNS: &str = "c.id, c.name, c.embedding_model, c.dimensions, c.created_at, \
    c.updated_at, \
    (SELECT count(*) FROM collection_files f WHERE f.collection_id = c.id AND f.status = 'indexed'), \
    (SELECT count(*) FROM collection_files f WHERE f.collection_id = c.id AND f.status = 'failed'), \
    (SELECT coalesce(sum(f.chunks), 0) FROM collection_files f WHERE f.collection_id = c.id), \
    c.watch";

fn collection_from_row(row: &Row<'_>) -> rusqlite::Result<Collection> {
    Ok(Collection {
        id: row.get(0)?,
        name: row.get(1)?,
        embedding_model: row.get(2)?,
        dimensions: row.get::<_, i64>(3)? as usize,
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
        files: row.get::<_, i64>(6)? as usize,
        failed: row.get::<_, i64>(7)? as usize,
        chunks: row.get::<_, i64>(8)? as usize,
        watch: row.get::<_, i64>(9)? != 0,
        sources: Vec::new(),
    })
}

const FILE_COLUMNS: &str = "id, path, content_hash, size, title, format, pages, status, error, \
    chunks, indexed_at";

fn file_from_row(row: &Row<'_>) -> rusqlite::Result<CollectionFile> {
    let status: String = row.get(7)?;
    Ok(CollectionFile {
        id: row.get(0)?,
        path: row.get(1)?,
        content_hash: row.get(2)?,
        size: row.get::<_, i64>(3)?.max(0) as u64,
        title: row.get(4)?,
        format: row.get(5)?,
        pages: row.get(6)?,
        status: if status == "failed" {
            FileStatus::Failed
        } else {
            FileStatus::Indexed
        },
        error: row.get(8)?,
        chunks: row.get::<_, i64>(9)?.max(0) as usize,
        indexed_at: row.get(10)?,
    })
}

fn check_name(name: &str) -> Result<String> {
    limits::check_name("collection name", name, MAX_COLLECTION_NAME_BYTES)
}

fn load(conn: &Connection, id: i64) -> Result<Collection> {
    let sql = format!("SELECT {COLLECTION_COLUMNS} FROM collections c WHERE c.id = ?1");
    let mut collection = conn
        .query_row(&sql, [id], collection_from_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("collection", id.to_string()))?;
    collection.sources = sources(conn, id)?;
    Ok(collection)
}

fn sources(conn: &Connection, id: i64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT path FROM collection_sources WHERE collection_id = ?1 ORDER BY added_at, path",
    )?;
    let paths = stmt
        .query_map([id], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(paths)
}

fn touch(conn: &Connection, id: i64) -> Result<()> {
    conn.execute(
        "UPDATE collections SET updated_at = ?2 WHERE id = ?1",
        params![id, now_ms()],
    )?;
    Ok(())
}

/// Removes a file's passages and their vectors (the vector table has no foreign keys).
fn delete_chunks(conn: &Connection, collection: i64, file: i64) -> Result<()> {
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM chunks WHERE file_id = ?1")?
        .query_map([file], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        vectors::delete(conn, collection, id)?;
    }
    conn.execute("DELETE FROM chunks WHERE file_id = ?1", [file])?;
    Ok(())
}

fn file_id(conn: &Connection, collection: i64, path: &str) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM collection_files WHERE collection_id = ?1 AND path = ?2",
            params![collection, path],
            |row| row.get(0),
        )
        .optional()?)
}

impl Store {
    /// A new, empty collection whose passages will be embedded by `embedding_model`.
    pub fn create_collection(
        &self,
        name: &str,
        embedding_model: &str,
        dimensions: usize,
    ) -> Result<Collection> {
        let name = check_name(name)?;
        if dimensions == 0 || dimensions > 8192 {
            return Err(StoreError::invalid(
                "embedding width",
                format!("{dimensions} is not between 1 and 8192; check the embedding model"),
            ));
        }
        self.write(|tx| {
            let now = now_ms();
            tx.execute(
                "INSERT INTO collections(name, embedding_model, dimensions, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                params![name, embedding_model, dimensions as i64, now],
            )
            .map_err(|err| match err.sqlite_error_code() {
                Some(ErrorCode::ConstraintViolation) => StoreError::NameTaken {
                    what: "collection",
                    name: name.clone(),
                },
                _ => StoreError::from_sqlite(err),
            })?;
            let id = tx.last_insert_rowid();
            vectors::create_table(tx, id, dimensions)?;
            load(tx, id)
        })
    }

    /// The collection with this name (any case) or id.
    pub fn collection(&self, name_or_id: &str) -> Result<Collection> {
        let conn = self.conn();
        let id: Option<i64> = conn
            .query_row(
                "SELECT id FROM collections WHERE name = ?1 COLLATE NOCASE
                 UNION ALL SELECT id FROM collections WHERE CAST(id AS TEXT) = ?1
                 LIMIT 1",
                [name_or_id.trim()],
                |row| row.get(0),
            )
            .optional()?;
        match id {
            Some(id) => load(&conn, id),
            None => Err(StoreError::not_found("collection", name_or_id.trim())),
        }
    }

    /// Every collection, by name.
    pub fn collections(&self) -> Result<Vec<Collection>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLLECTION_COLUMNS} FROM collections c ORDER BY c.name COLLATE NOCASE"
        );
        let mut all: Vec<Collection> = conn
            .prepare(&sql)?
            .query_map([], collection_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        for collection in &mut all {
            collection.sources = sources(&conn, collection.id)?;
        }
        Ok(all)
    }

    /// Deletes a collection, its files' passages and its vectors (wiped from the file,
    /// like deleted conversations).
    pub fn delete_collection(&self, id: i64) -> Result<()> {
        self.write(|tx| {
            load(tx, id)?;
            vectors::drop_table(tx, id)?;
            // Files and passages go by cascade; the passage trigger cleans the word index.
            tx.execute("DELETE FROM collections WHERE id = ?1", [id])?;
            Ok(())
        })?;
        self.vector_cache.invalidate(id);
        self.wipe_log();
        Ok(())
    }

    /// Empties a collection for another embedding model: every file will be read again.
    pub fn reset_collection(
        &self,
        id: i64,
        embedding_model: &str,
        dimensions: usize,
    ) -> Result<Collection> {
        self.vector_cache.invalidate(id);
        self.write(|tx| {
            load(tx, id)?;
            vectors::drop_table(tx, id)?;
            tx.execute(
                "DELETE FROM collection_files WHERE collection_id = ?1",
                [id],
            )?;
            tx.execute(
                "UPDATE collections SET embedding_model = ?2, dimensions = ?3, updated_at = ?4
                 WHERE id = ?1",
                params![id, embedding_model, dimensions as i64, now_ms()],
            )?;
            vectors::create_table(tx, id, dimensions)?;
            load(tx, id)
        })
    }

    /// Remembers a file or folder as part of the collection (again is fine).
    pub fn add_collection_source(&self, id: i64, path: &str) -> Result<()> {
        self.write(|tx| {
            load(tx, id)?;
            tx.execute(
                "INSERT OR IGNORE INTO collection_sources(collection_id, path, added_at)
                 VALUES (?1, ?2, ?3)",
                params![id, path, now_ms()],
            )?;
            touch(tx, id)
        })
    }

    /// Forgets a file or folder the user added, and every file found under it that no
    /// other source still covers; returns how many files left the index.
    pub fn remove_collection_source(&self, id: i64, path: &str) -> Result<usize> {
        let dropped = self.write(|tx| {
            load(tx, id)?;
            let removed = tx.execute(
                "DELETE FROM collection_sources WHERE collection_id = ?1 AND path = ?2",
                params![id, path],
            )?;
            if removed == 0 {
                return Err(StoreError::not_found("collection source", path));
            }
            let remaining = sources(tx, id)?;
            let files: Vec<(i64, String)> = tx
                .prepare("SELECT id, path FROM collection_files WHERE collection_id = ?1")?
                .query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut dropped = 0;
            for (file, file_path) in files {
                let covered = remaining.iter().any(|s| is_under(&file_path, s));
                if !covered {
                    delete_chunks(tx, id, file)?;
                    tx.execute("DELETE FROM collection_files WHERE id = ?1", [file])?;
                    dropped += 1;
                }
            }
            touch(tx, id)?;
            Ok(dropped)
        })?;
        self.vector_cache.invalidate(id);
        self.wipe_log();
        Ok(dropped)
    }

    /// The collection's files, by path.
    pub fn collection_files(&self, id: i64) -> Result<Vec<CollectionFile>> {
        let conn = self.conn();
        load(&conn, id)?;
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM collection_files WHERE collection_id = ?1 ORDER BY path"
        );
        let files = conn
            .prepare(&sql)?
            .query_map([id], file_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(files)
    }

    /// Replaces a file's passages and vectors with `chunks`, all or nothing.
    pub fn put_collection_file(
        &self,
        id: i64,
        file: &IndexedFile,
        chunks: &[NewChunk],
    ) -> Result<i64> {
        let written = self.write(|tx| {
            let collection = load(tx, id)?;
            if let Some(bad) = chunks
                .iter()
                .find(|c| c.vector.len() != collection.dimensions)
            {
                return Err(StoreError::invalid(
                    "passage vector",
                    format!(
                        "it has {} numbers but collection \"{}\" holds {}; reindex the collection with its embedding model",
                        bad.vector.len(),
                        collection.name,
                        collection.dimensions
                    ),
                ));
            }
            let file_id = upsert_file(tx, id, file, "indexed", None, chunks.len())?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO chunks(file_id, ordinal, section, first_page, last_page, text, tokens)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (ordinal, chunk) in chunks.iter().enumerate() {
                insert.execute(params![
                    file_id,
                    ordinal as i64,
                    chunk.section,
                    chunk.first_page,
                    chunk.last_page,
                    chunk.text,
                    chunk.tokens as i64
                ])?;
                vectors::insert(tx, id, tx.last_insert_rowid(), file_id, &chunk.vector)?;
            }
            touch(tx, id)?;
            Ok(file_id)
        });
        self.vector_cache.invalidate(id);
        written
    }

    /// Records that a file could not be read: its old passages leave the index (they
    /// describe content that is no longer there) and the error is kept for the user.
    pub fn put_failed_collection_file(
        &self,
        id: i64,
        file: &IndexedFile,
        error: &str,
    ) -> Result<i64> {
        let written = self.write(|tx| {
            load(tx, id)?;
            let file_id = upsert_file(tx, id, file, "failed", Some(error), 0)?;
            touch(tx, id)?;
            Ok(file_id)
        });
        self.vector_cache.invalidate(id);
        written
    }

    /// Turns watching the collection's folders on or off.
    pub fn set_collection_watch(&self, id: i64, watch: bool) -> Result<Collection> {
        self.write(|tx| {
            load(tx, id)?;
            tx.execute(
                "UPDATE collections SET watch = ?2 WHERE id = ?1",
                params![id, watch as i64],
            )?;
            touch(tx, id)?;
            load(tx, id)
        })
    }

    /// Moves a file's record, passages and vectors to its new path (a file renamed or
    /// moved on disk with the same content, so nothing is read or embedded again); a
    /// record already at `to` is replaced. `false` when `from` was not in the index.
    pub fn rename_collection_file(&self, id: i64, from: &str, to: &str) -> Result<bool> {
        if from == to {
            return Ok(false);
        }
        let renamed = self.write(|tx| {
            load(tx, id)?;
            let Some(file) = file_id(tx, id, from)? else {
                return Ok(false);
            };
            if let Some(replaced) = file_id(tx, id, to)? {
                delete_chunks(tx, id, replaced)?;
                tx.execute("DELETE FROM collection_files WHERE id = ?1", [replaced])?;
            }
            tx.execute(
                "UPDATE collection_files SET path = ?2, indexed_at = ?3 WHERE id = ?1",
                params![file, to, now_ms()],
            )?;
            touch(tx, id)?;
            Ok(true)
        })?;
        self.vector_cache.invalidate(id);
        Ok(renamed)
    }

    /// Takes a file out of the collection's index; `false` when it was not there.
    pub fn remove_collection_file(&self, id: i64, path: &str) -> Result<bool> {
        let removed = self.write(|tx| {
            load(tx, id)?;
            let Some(file) = file_id(tx, id, path)? else {
                return Ok(false);
            };
            delete_chunks(tx, id, file)?;
            tx.execute("DELETE FROM collection_files WHERE id = ?1", [file])?;
            touch(tx, id)?;
            Ok(true)
        })?;
        self.vector_cache.invalidate(id);
        self.wipe_log();
        Ok(removed)
    }
}

/// Inserts or updates a file's row, dropping its old passages.
fn upsert_file(
    conn: &Connection,
    collection: i64,
    file: &IndexedFile,
    status: &str,
    error: Option<&str>,
    chunks: usize,
) -> Result<i64> {
    if let Some(existing) = file_id(conn, collection, &file.path)? {
        delete_chunks(conn, collection, existing)?;
    }
    conn.execute(
        "INSERT INTO collection_files(collection_id, path, content_hash, size, title, format,
             pages, status, error, chunks, indexed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT(collection_id, path) DO UPDATE SET
             content_hash = excluded.content_hash, size = excluded.size, title = excluded.title,
             format = excluded.format, pages = excluded.pages, status = excluded.status,
             error = excluded.error, chunks = excluded.chunks, indexed_at = excluded.indexed_at",
        params![
            collection,
            file.path,
            file.content_hash,
            file.size as i64,
            file.title,
            file.format,
            file.pages,
            status,
            error,
            chunks as i64,
            now_ms()
        ],
    )?;
    file_id(conn, collection, &file.path)?.ok_or_else(|| StoreError::Corrupt {
        detail: format!("the row for {} vanished while it was written", file.path),
    })
}

/// Whether `path` is `source` or inside it (paths as the user's system writes them).
fn is_under(path: &str, source: &str) -> bool {
    let source = source.trim_end_matches(['/', '\\']);
    path == source || (path.starts_with(source) && path[source.len()..].starts_with(['/', '\\']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_under_its_folder_but_not_under_a_sibling_with_a_longer_name() {
        assert!(is_under("/docs/a.txt", "/docs"));
        assert!(is_under("/docs/a.txt", "/docs/"));
        assert!(is_under("/docs/a.txt", "/docs/a.txt"));
        assert!(!is_under("/docs-old/a.txt", "/docs"));
        assert!(!is_under("/doc", "/docs"));
    }
}
