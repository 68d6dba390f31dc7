//! Ingestion speed on the R manuals (Debian r-doc-pdf): each PDF added to a fresh
//! collection through Hearth's real pipeline (read, split, embed with all-MiniLM-L6-v2,
//! store), then the same files again (all unchanged). Prints pages/s and passages/s, and
//! how the time divides between reading, embedding and storing.
//!
//!   scripts/fetch-test-docs.sh && scripts/fetch-models.sh minilm
//!   cargo run --release -p hearth-core --example ingest_bench -- [--threads N] [FILES...]

use std::path::{Path, PathBuf};
use std::time::Instant;

use hearth_core::documents::Cancellation;
#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut threads = None;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        if arg == "--threads" {
            threads = Some(
                it.next()
                    .expect("--threads N")
                    .parse::<u32>()
                    .expect("a number"),
            );
        } else {
            files.push(arg.into());
        }
    }
    if files.is_empty() {
        files = ["R-intro.pdf", "R-data.pdf", "R-admin.pdf", "R-lang.pdf"]
            .iter()
            .map(|f| root.join(".testdata/r-doc-pdf").join(f))
            .collect();
    }
    for file in &files {
        assert!(
            file.is_file(),
            "{} is missing: run scripts/fetch-test-docs.sh",
            file.display()
        );
    }
    let work = tempfile::tempdir().unwrap();
    let hearth = common::hearth_with_minilm(work.path(), &root.join(".models/all-MiniLM-L6-v2"));
    hearth.update_config(|c| c.threads = threads).unwrap();
    // Load (and convert) the embedding model before the clock starts.
    let (_, embedder) = hearth.embedder(None).unwrap();
    println!(
        "embedding model {} ({} numbers), {} threads",
        embedder.info().name,
        embedder.info().dimensions,
        embedder.info().threads
    );
    println!("| file | pages | passages | read s | total s | pages/s | passages/s |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let (mut all_pages, mut all_passages, mut all_seconds) = (0usize, 0usize, 0.0f64);
    for file in &files {
        let t = Instant::now();
        let document = hearth.read_document(file).unwrap();
        let read_s = t.elapsed().as_secs_f64();
        let started = Instant::now();
        let report = hearth
            .add_to_collection(
                "Manuals",
                std::slice::from_ref(file),
                &mut |_| {},
                &Cancellation::new(),
            )
            .unwrap();
        let seconds = started.elapsed().as_secs_f64();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        let pages = document.pages.unwrap_or(0) as usize;
        all_pages += pages;
        all_passages += report.passages;
        all_seconds += seconds;
        println!(
            "| {} | {pages} | {} | {read_s:.1} | {seconds:.1} | {:.1} | {:.1} |",
            file.file_name().unwrap().to_string_lossy(),
            report.passages,
            pages as f64 / seconds,
            report.passages as f64 / seconds
        );
    }
    println!(
        "| all | {all_pages} | {all_passages} | | {all_seconds:.1} | {:.1} | {:.1} |",
        all_pages as f64 / all_seconds,
        all_passages as f64 / all_seconds
    );
    let started = Instant::now();
    let again = hearth
        .reindex_collection("Manuals", &mut |_| {}, &Cancellation::new())
        .unwrap();
    println!(
        "rescan with nothing changed: {} files unchanged in {:.2} s",
        again.unchanged,
        started.elapsed().as_secs_f64()
    );
}
