//! Passage vectors in sqlite-vec's `vec0` tables, inside the same database file as the
//! history, so a collection and its vectors are written in one transaction and a backup
//! of the file is a backup of both.
//!
//! Each collection has its own table, `chunk_vectors_<collection id>`: its width is the
//! width of the collection's embedding model, which a `vec0` column fixes at creation,
//! and a search within one collection reads only that collection's vectors. The chunk id
//! is the table's key and the file id a metadata column, so a search can be narrowed to
//! one file inside sqlite-vec's own scan. Vectors are compared by cosine distance.
//!
//! sqlite-vec is compiled into this program (the `sqlite-vec` crate builds its C source
//! against the same bundled SQLite) and registered on each connection here, never as a
//! process-wide auto-extension, so no other SQLite user in the process is affected.

use std::ffi::{c_char, c_int};

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Result, StoreError};

/// The `sqlite3_vec_init` entry point with its real C signature (the crate declares it
/// without arguments).
type ExtensionInit = unsafe extern "C" fn(
    *mut rusqlite::ffi::sqlite3,
    *mut *mut c_char,
    *const rusqlite::ffi::sqlite3_api_routines,
) -> c_int;

/// Makes sqlite-vec's functions and the `vec0` module available on `conn`.
pub(crate) fn register(conn: &Connection) -> Result<()> {
    // SAFETY: `sqlite3_vec_init` is an SQLite extension entry point with exactly this
    // signature; built with SQLITE_CORE it ignores the routines pointer and calls the
    // linked SQLite directly. The handle is valid for as long as `conn` is.
    let rc = unsafe {
        let init: ExtensionInit = std::mem::transmute(sqlite_vec::sqlite3_vec_init as *const ());
        init(conn.handle(), std::ptr::null_mut(), std::ptr::null())
    };
    if rc != rusqlite::ffi::SQLITE_OK {
        return Err(StoreError::Corrupt {
            detail: format!("the vector extension failed to start (SQLite code {rc})"),
        });
    }
    Ok(())
}

/// The name of a collection's vector table. Ids are integers the database assigned, so
/// the name needs no quoting.
pub(crate) fn table(collection: i64) -> String {
    format!("chunk_vectors_{collection}")
}

pub(crate) fn create_table(conn: &Connection, collection: i64, dimensions: usize) -> Result<()> {
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE {} USING vec0(
            chunk_id INTEGER PRIMARY KEY,
            embedding float[{dimensions}] distance_metric=cosine,
            file_id INTEGER
        )",
        table(collection)
    ))?;
    Ok(())
}

pub(crate) fn drop_table(conn: &Connection, collection: i64) -> Result<()> {
    conn.execute_batch(&format!("DROP TABLE IF EXISTS {}", table(collection)))?;
    Ok(())
}

pub(crate) fn insert(
    conn: &Connection,
    collection: i64,
    chunk: i64,
    file: i64,
    vector: &[f32],
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {}(chunk_id, embedding, file_id) VALUES (?1, ?2, ?3)",
        table(collection)
    );
    conn.prepare_cached(&sql)?
        .execute(params![chunk, as_blob(vector), file])?;
    Ok(())
}

pub(crate) fn delete(conn: &Connection, collection: i64, chunk: i64) -> Result<()> {
    let sql = format!("DELETE FROM {} WHERE chunk_id = ?1", table(collection));
    conn.prepare_cached(&sql)?.execute([chunk])?;
    Ok(())
}

/// The `k` nearest chunks of one collection to `query`, nearest first, as (chunk id,
/// cosine distance), optionally only from one file.
pub(crate) fn nearest(
    conn: &Connection,
    collection: i64,
    query: &[f32],
    k: usize,
    file: Option<i64>,
) -> Result<Vec<(i64, f32)>> {
    let filter = if file.is_some() {
        "AND file_id = ?3"
    } else {
        ""
    };
    let sql = format!(
        "SELECT chunk_id, distance FROM {}
         WHERE embedding MATCH ?1 AND k = ?2 {filter}
         ORDER BY distance",
        table(collection)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let blob = as_blob(query);
    let k = k.min(4096) as i64;
    let row = |row: &rusqlite::Row<'_>| Ok((row.get(0)?, row.get(1)?));
    let hits = match file {
        Some(file) => stmt
            .query_map(params![blob, k, file], row)?
            .collect::<rusqlite::Result<_>>()?,
        None => stmt
            .query_map(params![blob, k], row)?
            .collect::<rusqlite::Result<_>>()?,
    };
    Ok(hits)
}

/// The cosine distance between one stored passage's vector and `query` (`None` when the
/// passage has no vector, or one of another width).
pub(crate) fn distance(
    conn: &Connection,
    collection: i64,
    chunk: i64,
    query: &[f32],
) -> Result<Option<f32>> {
    let sql = format!(
        "SELECT vec_distance_cosine(embedding, ?2) FROM {} WHERE chunk_id = ?1",
        table(collection)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![chunk, as_blob(query)])?;
    match rows.next() {
        Ok(Some(row)) => Ok(row.get(0).ok()),
        Ok(None) => Ok(None),
        // A width mismatch is an SQL error from sqlite-vec; it means "not comparable".
        Err(_) => Ok(None),
    }
}

/// One stored passage's vector.
pub(crate) fn vector(conn: &Connection, collection: i64, chunk: i64) -> Result<Option<Vec<f32>>> {
    let sql = format!(
        "SELECT embedding FROM {} WHERE chunk_id = ?1",
        table(collection)
    );
    let blob: Option<Vec<u8>> = conn
        .prepare_cached(&sql)?
        .query_row([chunk], |row| row.get(0))
        .optional()?;
    Ok(blob.map(|bytes| {
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }))
}

/// A vector as sqlite-vec reads it: little-endian 32-bit floats, back to back.
fn as_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}
