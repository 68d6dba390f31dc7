//! Finding passages: nearest vectors (sqlite-vec), best keyword matches (FTS5's BM25),
//! and the passages themselves with the file and page they came from. Each search returns
//! its own ranking; fusing them is the caller's choice (hearth-core uses reciprocal rank
//! fusion).

use rusqlite::{params_from_iter, types::Value, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::store::Store;
use crate::vector_cache::SQLITE_SCAN_UP_TO;
use crate::vectors;

/// Where a search looks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassageScope {
    /// Collection ids; empty means every collection.
    pub collections: Vec<i64>,
    /// Only this file (a collection file id).
    pub file: Option<i64>,
}

/// A passage with its place, for the prompt and for citations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    pub id: i64,
    pub collection_id: i64,
    pub collection: String,
    pub file_id: i64,
    pub path: String,
    pub title: Option<String>,
    /// Its index among the file's passages.
    pub ordinal: usize,
    pub section: String,
    pub first_page: Option<u32>,
    pub last_page: Option<u32>,
    pub text: String,
    pub tokens: usize,
}

impl Store {
    /// The `k` passages nearest to `query` (a normalized vector from the collections'
    /// embedding model), nearest first, as (passage id, cosine distance). Collections
    /// whose vectors have another width are skipped.
    pub fn nearest_passages(
        &self,
        query: &[f32],
        k: usize,
        scope: &PassageScope,
    ) -> Result<Vec<(i64, f32)>> {
        let conn = self.conn();
        let mut widths = conn.prepare_cached(
            "SELECT c.id, c.dimensions,
                    (SELECT coalesce(sum(f.chunks), 0) FROM collection_files f
                     WHERE f.collection_id = c.id),
                    c.updated_at
             FROM collections c",
        )?;
        let collections: Vec<(i64, usize, usize, i64)> = widths
            .query_map([], |row| {
                Ok((
                    row.get(0)?,
                    row.get::<_, i64>(1)? as usize,
                    row.get::<_, i64>(2)? as usize,
                    row.get(3)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        drop(widths);
        let mut hits = Vec::new();
        for (id, width, size, updated) in collections {
            let wanted = scope.collections.is_empty() || scope.collections.contains(&id);
            if !wanted || width != query.len() {
                continue;
            }
            if size <= SQLITE_SCAN_UP_TO {
                hits.extend(vectors::nearest(&conn, id, query, k, scope.file)?);
            } else {
                let matrix = self
                    .vector_cache
                    .matrix(&conn, id, width, (updated, size))?;
                hits.extend(matrix.nearest(query, k, scope.file));
            }
        }
        hits.sort_by(|a, b| a.1.total_cmp(&b.1));
        hits.truncate(k);
        Ok(hits)
    }

    /// The `k` passages that best match the words of `question` by BM25, best first,
    /// as (passage id, BM25 score: lower is better). Any word may match: a question's
    /// words rarely all appear in the passage that answers it. Words most passages hold
    /// are left out (more than a tenth of all passages).
    pub fn keyword_passages(
        &self,
        question: &str,
        k: usize,
        scope: &PassageScope,
    ) -> Result<Vec<(i64, f64)>> {
        let conn = self.conn();
        let words = selective_words(&conn, words(question))?;
        let Some(expression) = any_word_expression(&words) else {
            return Ok(Vec::new());
        };
        let mut sql = String::from(
            "SELECT c.id, bm25(chunks_fts, 1.0, 0.5) AS score
             FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid
             JOIN collection_files f ON f.id = c.file_id
             WHERE chunks_fts MATCH ?",
        );
        let mut values = vec![Value::Text(expression)];
        if !scope.collections.is_empty() {
            sql.push_str(" AND f.collection_id IN (");
            sql.push_str(&vec!["?"; scope.collections.len()].join(", "));
            sql.push(')');
            values.extend(scope.collections.iter().map(|id| Value::Integer(*id)));
        }
        if let Some(file) = scope.file {
            sql.push_str(" AND c.file_id = ?");
            values.push(Value::Integer(file));
        }
        sql.push_str(" ORDER BY score LIMIT ?");
        values.push(Value::Integer(k.min(4096) as i64));
        let mut stmt = conn.prepare_cached(&sql)?;
        let hits = stmt
            .query_map(params_from_iter(values), |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(hits)
    }

    /// The cosine distance from `query` to each of these passages' vectors, for
    /// passages another search found; passages without a comparable vector are left out.
    pub fn passage_distances(&self, query: &[f32], ids: &[i64]) -> Result<Vec<(i64, f32)>> {
        let conn = self.conn();
        let mut owner = conn.prepare_cached(
            "SELECT f.collection_id FROM chunks c JOIN collection_files f ON f.id = c.file_id
             WHERE c.id = ?1",
        )?;
        let mut distances = Vec::with_capacity(ids.len());
        for &id in ids {
            let collection: Option<i64> = owner.query_row([id], |row| row.get(0)).optional()?;
            if let Some(collection) = collection {
                if let Some(d) = vectors::distance(&conn, collection, id, query)? {
                    distances.push((id, d));
                }
            }
        }
        Ok(distances)
    }

    /// The stored vector of a passage, or `None` when it has none.
    pub fn passage_vector(&self, id: i64) -> Result<Option<Vec<f32>>> {
        let conn = self.conn();
        let collection: Option<i64> = conn
            .query_row(
                "SELECT f.collection_id FROM chunks c JOIN collection_files f ON f.id = c.file_id
                 WHERE c.id = ?1",
                [id],
                |row| row.get(0),
            )
            .optional()?;
        match collection {
            Some(collection) => vectors::vector(&conn, collection, id),
            None => Ok(None),
        }
    }

    /// The passages with these ids, in the order given (unknown ids are skipped).
    pub fn passages(&self, ids: &[i64]) -> Result<Vec<Passage>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT c.id, f.collection_id, k.name, f.id, f.path, f.title, c.ordinal, c.section,
                    c.first_page, c.last_page, c.text, c.tokens
             FROM chunks c JOIN collection_files f ON f.id = c.file_id
             JOIN collections k ON k.id = f.collection_id
             WHERE c.id = ?1",
        )?;
        let mut passages = Vec::with_capacity(ids.len());
        for id in ids {
            let mut rows = stmt.query_map([id], |row| {
                Ok(Passage {
                    id: row.get(0)?,
                    collection_id: row.get(1)?,
                    collection: row.get(2)?,
                    file_id: row.get(3)?,
                    path: row.get(4)?,
                    title: row.get(5)?,
                    ordinal: row.get::<_, i64>(6)? as usize,
                    section: row.get(7)?,
                    first_page: row.get(8)?,
                    last_page: row.get(9)?,
                    text: row.get(10)?,
                    tokens: row.get::<_, i64>(11)? as usize,
                })
            })?;
            if let Some(passage) = rows.next() {
                passages.push(passage?);
            }
        }
        Ok(passages)
    }
}

/// Query words held by more than this share of the passages are left out: their weight
/// in BM25 is near nothing, and matching them would make the index rank almost every
/// passage ("the", "and", or "God" in a Bible).
const COMMON_SHARE: f64 = 0.1;
/// At most this many words of a question are looked up, rarest first.
const MAX_QUERY_WORDS: usize = 12;

/// The distinct words of `text`, lowercased, cut at anything that is not a letter,
/// digit or mark as the index's tokenizer does.
fn words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in text.split(|c: char| !(c.is_alphanumeric() || is_mark(c))) {
        let word = word.to_lowercase();
        if word.is_empty() || words.contains(&word) {
            continue;
        }
        words.push(word);
        if words.len() == crate::query::MAX_TERMS {
            break;
        }
    }
    words
}

/// An FTS5 expression matching any of `words`, each quoted (so nothing in it is an
/// operator); `None` when there are none.
fn any_word_expression(words: &[String]) -> Option<String> {
    (!words.is_empty()).then(|| {
        words
            .iter()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" OR ")
    })
}

/// Below this many passages every word is searched: ranking all matches is cheap.
const SELECTIVE_FROM: i64 = 2000;

/// The words worth searching for: in a large index, without those most passages hold
/// (keeping the rarest one when all are common), at most [`MAX_QUERY_WORDS`] of the
/// rarest. Words the index does not hold (or spells differently: it folds accents)
/// match nothing, cost nothing, and are kept.
fn selective_words(conn: &rusqlite::Connection, words: Vec<String>) -> Result<Vec<String>> {
    let total: i64 = conn.query_row(
        "SELECT coalesce(sum(chunks), 0) FROM collection_files",
        [],
        |row| row.get(0),
    )?;
    if total < SELECTIVE_FROM {
        return Ok(words);
    }
    let mut df = conn.prepare_cached("SELECT doc FROM chunks_vocab WHERE term = ?1")?;
    let mut counted: Vec<(i64, String)> = Vec::with_capacity(words.len());
    for word in words {
        let docs: i64 = df
            .query_row([&word], |row| row.get(0))
            .optional()?
            .unwrap_or(0);
        counted.push((docs, word));
    }
    counted.sort();
    let limit = (total as f64 * COMMON_SHARE) as i64;
    let mut kept: Vec<String> = counted
        .iter()
        .filter(|(docs, _)| *docs <= limit)
        .take(MAX_QUERY_WORDS)
        .map(|(_, w)| w.clone())
        .collect();
    if !counted
        .iter()
        .any(|(docs, w)| *docs > 0 && *docs <= limit && kept.contains(w))
    {
        if let Some((_, rarest)) = counted.iter().find(|(docs, _)| *docs > 0) {
            kept.push(rarest.clone());
        }
    }
    Ok(kept)
}

/// Combining marks belong to the word they decorate (unicode61 keeps them).
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_become_quoted_alternatives_that_cannot_be_operators() {
        let expression = |text: &str| any_word_expression(&words(text));
        assert_eq!(
            expression("What does NEAR(x) do?").as_deref(),
            Some(r#""what" OR "does" OR "near" OR "x" OR "do""#)
        );
        assert_eq!(
            expression("\"quoted\" AND -not").as_deref(),
            Some(r#""quoted" OR "and" OR "not""#)
        );
        assert_eq!(expression("?! --"), None);
        assert_eq!(expression("Café café").as_deref(), Some(r#""café""#));
    }
}
