//! Scanned documents on the real binary: PDFs with no text layer and photos of pages are
//! read by OCR in `hearth ocr-worker` children, indexed into a collection and found by
//! their words with their page; a scanned PDF is summarized with page references.
//! The scans are real (scripts/fetch-ocr-samples.sh): printed-and-scanned Wikipedia
//! articles in English and German, a 19th-century book page as JPEG, and one page
//! scanned at four rotations.

mod support;

use std::path::Path;

use support::{describe, json, run};

fn scan(name: &str) -> std::path::PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.testdata/ocr")
        .join(name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/fetch-ocr-samples.sh",
        path.display()
    );
    path
}

#[test]
fn scans_are_indexed_and_found_by_their_words_and_pages() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    support::convert_minilm(home);

    let docs = tempfile::tempdir().unwrap();
    for name in ["epson.pdf", "masks.pdf", "lucasta.047.jpg"] {
        std::fs::copy(scan(name), docs.path().join(name)).unwrap();
    }
    let added = run(
        home,
        &[
            "--json",
            "docs",
            "add",
            "Scans",
            docs.path().to_str().unwrap(),
        ],
    );
    assert!(added.status.success(), "{}", describe(&added));
    let report = json(&added);
    assert_eq!(report["added"], 3, "{report}");
    assert_eq!(report["failed"].as_array().unwrap().len(), 0, "{report}");

    let search = |query: &str| {
        let found = run(
            home,
            &["--json", "ask", query, "--search-only", "-c", "scans"],
        );
        assert!(found.status.success(), "{}", describe(&found));
        json(&found)
    };
    let found = search("optical character recognition of printed text");
    assert!(
        found[0]["path"].as_str().unwrap().ends_with("epson.pdf"),
        "{found}"
    );
    assert_eq!(found[0]["first_page"], 1, "{found}");
    // German, read with German language data (the first page said which language).
    let found = search("Linux Betriebssystem Kernel");
    assert!(
        found[0]["path"].as_str().unwrap().ends_with("masks.pdf"),
        "{found}"
    );
    assert!(
        found[0]["text"].as_str().unwrap().contains("Linux"),
        "{found}"
    );
    let found = search("his most generous mind in his prosperity");
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["path"].as_str().unwrap().ends_with("lucasta.047.jpg")),
        "{found}"
    );
}

#[test]
fn a_scanned_pdf_is_summarized_with_page_references() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    support::add_default_smollm2(home);
    let pdf = scan("cardinal.pdf");
    let summary = run(
        home,
        &[
            "--json",
            "summarize",
            pdf.to_str().unwrap(),
            "--style",
            "key-points",
        ],
    );
    assert!(summary.status.success(), "{}", describe(&summary));
    let out = json(&summary);
    let warnings = out["warnings"].to_string();
    assert!(
        warnings.contains("4 scanned pages were read by OCR"),
        "{out}"
    );
    // Every part the summary cites names pages of the scan, and the text shows them.
    let parts = out["parts"].as_array().unwrap();
    assert!(!parts.is_empty(), "{out}");
    for part in parts {
        let (first, last) = (
            part["first_page"].as_u64().unwrap(),
            part["last_page"].as_u64().unwrap(),
        );
        assert!(1 <= first && first <= last && last <= 4, "{part}");
    }
    assert!(out["text"].as_str().unwrap().contains("[p"), "{out}");
    assert!(out["text"].as_str().unwrap().contains("Linn"), "{out}");
}
