//! Exact nearest-vector search for large collections, from an in-memory copy of the
//! vectors sqlite-vec stores.
//!
//! sqlite-vec searches by reading every vector through its virtual table, with a scalar
//! distance loop: about 65 ms for 100,000 vectors of 384 numbers on this project's
//! 2-core test machine, too slow beside the rest of a question. The same scan over a
//! contiguous array in Rust, eight products at a time (which the compiler turns into
//! SIMD), takes a few milliseconds and gives the same exact answer, with no recall lost
//! to quantization. The copy costs the vectors' size in memory (1.5 KB a passage for
//! 384 numbers), is made on a collection's first search, and is dropped whenever the
//! collection changes: in this process at once, and when another process (the CLI
//! beside the app) changed it, at the next search, which compares the collection's
//! last-change time and size with the copy's. Collections small enough to scan quickly
//! in SQLite never get one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use crate::error::Result;
use crate::vectors;

/// Collections with at most this many vectors are searched by sqlite-vec directly.
pub(crate) const SQLITE_SCAN_UP_TO: usize = 4096;

/// One collection's vectors, back to back.
pub(crate) struct Matrix {
    /// The collection's `updated_at` and passage count when the copy was read.
    stamp: (i64, usize),
    width: usize,
    chunks: Vec<i64>,
    files: Vec<i64>,
    data: Vec<f32>,
}

/// The copies, by collection id.
#[derive(Default)]
pub(crate) struct VectorCache {
    matrices: Mutex<HashMap<i64, Arc<Matrix>>>,
}

impl VectorCache {
    /// Forgets every collection's vectors.
    pub(crate) fn clear(&self) {
        if let Ok(mut matrices) = self.matrices.lock() {
            matrices.clear();
        }
    }

    /// Forgets a collection's copy (call after any change to its vectors).
    pub(crate) fn invalidate(&self, collection: i64) {
        if let Ok(mut matrices) = self.matrices.lock() {
            matrices.remove(&collection);
        }
    }

    /// The collection's copy, read from sqlite-vec on first use and again when `stamp`
    /// (the collection's `updated_at` and passage count) shows it changed.
    pub(crate) fn matrix(
        &self,
        conn: &Connection,
        collection: i64,
        width: usize,
        stamp: (i64, usize),
    ) -> Result<Arc<Matrix>> {
        let cached = self
            .matrices
            .lock()
            .ok()
            .and_then(|m| m.get(&collection).cloned());
        if let Some(found) = cached.filter(|m| m.stamp == stamp && m.width == width) {
            return Ok(found);
        }
        let mut matrix = Matrix {
            stamp,
            width,
            chunks: Vec::new(),
            files: Vec::new(),
            data: Vec::new(),
        };
        let sql = format!(
            "SELECT chunk_id, file_id, embedding FROM {}",
            vectors::table(collection)
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let blob: Vec<u8> = row.get(2)?;
            if blob.len() != width * 4 {
                continue;
            }
            matrix.chunks.push(row.get(0)?);
            matrix.files.push(row.get(1)?);
            matrix.data.extend(
                blob.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
        }
        let matrix = Arc::new(matrix);
        if let Ok(mut matrices) = self.matrices.lock() {
            matrices.insert(collection, matrix.clone());
        }
        Ok(matrix)
    }
}

impl Matrix {
    /// The `k` nearest vectors to `query` (a unit vector, as stored vectors are), as
    /// (chunk id, cosine distance), nearest first, optionally only from one file.
    pub(crate) fn nearest(&self, query: &[f32], k: usize, file: Option<i64>) -> Vec<(i64, f32)> {
        if query.len() != self.width || k == 0 {
            return Vec::new();
        }
        let mut scored: Vec<(f32, usize)> = self
            .data
            .chunks_exact(self.width)
            .enumerate()
            .filter(|(i, _)| file.is_none_or(|f| self.files[*i] == f))
            .map(|(i, vector)| (dot(vector, query), i))
            .collect();
        let k = k.min(scored.len());
        if k == 0 {
            return Vec::new();
        }
        scored.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
        scored.truncate(k);
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored
            .into_iter()
            .map(|(similarity, i)| (self.chunks[i], 1.0 - similarity))
            .collect()
    }
}

/// A dot product with eight running sums, so the loop has no chain of dependent
/// additions and compiles to SIMD.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a8.zip(b8) {
        for i in 0..8 {
            sums[i] += x[i] * y[i];
        }
    }
    sums.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dot_product_matches_the_plain_sum_for_every_length() {
        for n in [1, 7, 8, 9, 384, 385] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - plain).abs() < 1e-4, "{n}");
        }
    }

    #[test]
    fn nearest_ranks_by_similarity_and_filters_by_file() {
        let matrix = Matrix {
            stamp: (0, 3),
            width: 2,
            chunks: vec![10, 11, 12],
            files: vec![1, 1, 2],
            data: vec![1.0, 0.0, 0.6, 0.8, 0.0, 1.0],
        };
        let hits = matrix.nearest(&[1.0, 0.0], 2, None);
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [10, 11]);
        assert!((hits[1].1 - 0.4).abs() < 1e-6);
        let hits = matrix.nearest(&[1.0, 0.0], 5, Some(2));
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [12]);
    }
}
