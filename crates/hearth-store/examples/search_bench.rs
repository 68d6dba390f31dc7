//! Full-text search speed over a large history: builds a database of 100,000 messages
//! (1,000 conversations of 100 messages of prose-like text: function words, a long tail
//! of made-up words, topic words with accents now and then, and some Japanese so the
//! trigram index is exercised), then times searches of several kinds —
//! one word, two words, a prefix, a phrase, accent-insensitive, Japanese, and filtered by
//! model and date — and prints p50, p95, p99 and the slowest, per kind and overall.
//!
//!   cargo run --release -p hearth-store --example search_bench [-- MESSAGES]

use std::time::Instant;

use hearth_store::{SearchQuery, Store};
use serde_json::json;

/// Topic words the queries look for; each message uses a few of them, so a query
/// matches a realistic share of the history rather than nearly all of it.
const TOPICS: &[&str] = &[
    "model",
    "context",
    "summary",
    "question",
    "answer",
    "document",
    "history",
    "search",
    "privacy",
    "laptop",
    "memory",
    "token",
    "window",
    "budget",
    "report",
    "contract",
    "patient",
    "journal",
    "research",
    "translation",
    "glossary",
    "server",
    "engine",
    "café",
    "résumé",
    "naïve",
    "Zürich",
    "Ångström",
    "über",
    "façade",
    "coöperate",
    "lighthouse",
    "keeper",
    "bottle",
    "message",
    "river",
    "mountain",
    "harbour",
    "weather",
];
const FUNCTION_WORDS: &[&str] = &[
    "the", "a", "of", "and", "to", "in", "is", "that", "for", "with", "on", "as", "it",
];
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "pa", "do", "fe", "gu", "ha", "ji", "wo",
];
const JAPANESE: &[&str] = &[
    "東京の天気",
    "会議の議事録",
    "契約書の要約",
    "翻訳の用語集",
    "研究報告",
];

/// A small deterministic generator, so every run builds the same history.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

/// Prose-like text: function words, a long tail of 5,000 made-up words drawn with a
/// Zipf-like (log-uniform) frequency, and now and then a topic word or some Japanese.
struct Writer {
    rng: Lcg,
    vocabulary: Vec<String>,
}

impl Writer {
    fn new() -> Self {
        let mut rng = Lcg(7);
        let vocabulary = (0..5000)
            .map(|_| {
                (0..2 + rng.next() % 3)
                    .map(|_| SYLLABLES[rng.next() % SYLLABLES.len()])
                    .collect()
            })
            .collect();
        Writer { rng, vocabulary }
    }

    fn sentence(&mut self, words: usize) -> String {
        let mut out: Vec<String> = Vec::with_capacity(words + 1);
        for _ in 0..words {
            let roll = self.rng.next() % 100;
            let word = if roll < 40 {
                FUNCTION_WORDS[self.rng.next() % FUNCTION_WORDS.len()].to_owned()
            } else if roll < 42 {
                TOPICS[self.rng.next() % TOPICS.len()].to_owned()
            } else {
                let index = (self.vocabulary.len() as f64).powf(self.rng.unit()) as usize - 1;
                self.vocabulary[index.min(self.vocabulary.len() - 1)].clone()
            };
            out.push(word);
        }
        if self.rng.next().is_multiple_of(20) {
            out.push(JAPANESE[self.rng.next() % JAPANESE.len()].to_owned());
        }
        out.join(" ")
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Builds the i-th query of one kind.
type QueryMaker = Box<dyn Fn(usize) -> SearchQuery>;

fn main() {
    let messages: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("MESSAGES must be a number"))
        .unwrap_or(100_000);
    let per_conversation = 100;
    let conversations = messages.div_ceil(per_conversation);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = Store::open(dir.path().join("history.db")).expect("a new database");

    let mut writer = Writer::new();
    let start_ms: i64 = 1_700_000_000_000;
    let mut exported = Vec::new();
    for c in 0..conversations {
        let created = start_ms + c as i64 * 3_600_000;
        let mut items = Vec::new();
        let mut parent: Option<String> = None;
        for m in 0..per_conversation {
            let id = format!("m-{c}-{m}");
            let user = m % 2 == 0;
            let words = if user { 25 } else { 120 };
            items.push(json!({
                "id": id, "parent_id": parent, "role": if user { "user" } else { "assistant" },
                "kind": "message", "content": writer.sentence(words), "state": "done", "error": null,
                "model": if user { None } else { Some(if c % 2 == 0 { "smollm2" } else { "qwen" }) },
                "token_count": null, "created_at": created + m as i64 * 1000,
                "updated_at": created + m as i64 * 1000,
            }));
            parent = Some(id);
        }
        exported.push(json!({
            "id": format!("c-{c}"), "title": format!("Conversation {c}"), "title_source": "user",
            "model": null, "system_prompt": null, "persona_id": null, "settings": {},
            "pinned": false, "archived": false, "created_at": created, "updated_at": created,
            "active_leaf_id": parent, "tags": [], "messages": items, "context_summaries": [],
        }));
    }
    let document = json!({
        "format": hearth_store::EXPORT_FORMAT, "version": hearth_store::EXPORT_VERSION,
        "exported_at": start_ms, "personas": [], "conversations": exported,
    });
    let bytes = serde_json::to_vec(&document).expect("JSON");
    let building = Instant::now();
    store
        .import_json(&bytes, &Default::default())
        .expect("the generated history imports");
    eprintln!(
        "built {messages} messages in {conversations} conversations in {:.1} s",
        building.elapsed().as_secs_f64()
    );

    let middle = start_ms + (conversations as i64 / 2) * 3_600_000;
    // Words from the middle of the long tail match a few hundred messages: fewer than
    // the broad-query threshold, so these are ranked by relevance.
    let rare: Vec<String> = [1000, 1500, 2000, 2500]
        .iter()
        .map(|&i| writer.vocabulary[i].clone())
        .collect();
    let kinds: Vec<(&str, QueryMaker)> = vec![
        (
            "one word",
            Box::new(|i| {
                SearchQuery::text(["lighthouse", "contract", "glossary", "harbour"][i % 4])
            }),
        ),
        (
            "two words",
            Box::new(|i| {
                SearchQuery::text(
                    [
                        "privacy laptop",
                        "patient report",
                        "river weather",
                        "token budget",
                    ][i % 4],
                )
            }),
        ),
        (
            "prefix",
            Box::new(|i| SearchQuery::text(["transl*", "light*", "doc*", "mount*"][i % 4])),
        ),
        (
            "phrase",
            Box::new(|i| {
                SearchQuery::text(
                    [
                        "\"the model\"",
                        "\"keeper of\"",
                        "\"in the\"",
                        "\"a message\"",
                    ][i % 4],
                )
            }),
        ),
        (
            "accents folded",
            Box::new(|i| SearchQuery::text(["cafe", "resume", "zurich", "angstrom"][i % 4])),
        ),
        (
            "rarer word (ranked)",
            Box::new(move |i| SearchQuery::text(rare[i % 4].clone())),
        ),
        (
            "Japanese",
            Box::new(|i| SearchQuery::text(["天気", "議事録", "要約", "用語集"][i % 4])),
        ),
        (
            "one Japanese character",
            Box::new(|i| SearchQuery::text(["京", "議", "約", "研"][i % 4])),
        ),
        (
            "filtered",
            Box::new(move |i| SearchQuery {
                model: Some("smollm2".into()),
                from: Some(middle),
                ..SearchQuery::text(["engine", "server", "memory", "journal"][i % 4])
            }),
        ),
    ];
    let rounds = 50;
    let mut all = Vec::new();
    println!("{messages} messages; {rounds} queries of each kind (default limit of hits)");
    println!("| query | p50 (ms) | p95 (ms) | p99 (ms) | slowest (ms) | matches of the first (counted to 1,000) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, make) in &kinds {
        let mut times = Vec::new();
        let matches = store
            .search(&SearchQuery {
                limit: Some(1000),
                ..make(0)
            })
            .expect("search")
            .len();
        // One untimed query warms SQLite's page cache for this kind, as a person's
        // second search would find it.
        let _ = store.search(&make(0));
        for i in 0..rounds {
            let query = make(i);
            let started = Instant::now();
            let found = store.search(&query).expect("search");
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            assert!(!found.is_empty(), "{name}: nothing found");
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {:.2} | {matches} |",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            percentile(&times, 0.99),
            times[times.len() - 1]
        );
        all.extend(times);
    }
    all.sort_by(|a, b| a.total_cmp(b));
    println!(
        "| all | {:.2} | {:.2} | {:.2} | {:.2} | |",
        percentile(&all, 0.5),
        percentile(&all, 0.95),
        percentile(&all, 0.99),
        all[all.len() - 1]
    );
}
