//! Real scans and images (scripts/fetch-ocr-samples.sh: ocrmypdf's test resources, a
//! public-domain Huckleberry Finn page, printed-and-scanned Wikipedia articles in English
//! and German; leptonica's TIFF and JPEG page scans) read by the real Tesseract, in
//! process. What each page says is known, so the checks are on its words.

use std::path::PathBuf;

use hearth_ocr::client::{run, Job, Runner};
use hearth_ocr::{languages, OcrError, PageText, Source};

fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.testdata/ocr")
        .join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/fetch-ocr-samples.sh", path.display()))
}

fn tessdata() -> PathBuf {
    languages::tessdata_dir()
        .expect("no Tesseract language data: run scripts/install-deps.sh (tesseract-ocr-eng, -deu)")
}

fn read(
    source: Source,
    name: &str,
    pages: Vec<u32>,
    langs: &str,
) -> Vec<Result<PageText, OcrError>> {
    let bytes = sample(name);
    let job = Job {
        source,
        bytes: &bytes,
        pages,
        languages: langs.into(),
        tessdata: tessdata(),
    };
    let mut out = Vec::new();
    run(&Runner::InProcess, &job, &mut |p| out.push(p), &|| false).unwrap();
    out
}

fn text(page: &Result<PageText, OcrError>) -> String {
    page.as_ref().unwrap().paragraphs.join("\n")
}

#[test]
fn a_public_domain_book_page() {
    let pages = read(Source::Pdf, "c03-29.pdf", vec![1], "eng");
    let page = pages[0].as_ref().unwrap();
    assert_eq!(page.page, 1);
    assert!(page.confidence >= 80, "{}", page.confidence);
    let text = text(&pages[0]);
    assert!(
        text.contains("Huckleberry") || text.contains("Tom") || text.contains("widow"),
        "{text}"
    );
}

#[test]
fn scanned_articles_in_english_and_german() {
    let en = read(Source::Pdf, "epson.pdf", vec![1], "eng");
    let text_en = text(&en[0]);
    assert!(
        text_en.contains("optical character recognition"),
        "{text_en}"
    );

    let de = read(Source::Pdf, "masks.pdf", vec![1], "deu");
    let text_de = text(&de[0]);
    assert!(text_de.contains("Linux"), "{text_de}");
    assert!(text_de.contains("Betriebssystem"), "{text_de}");
    assert!(de[0].as_ref().unwrap().confidence >= 80);
}

#[test]
fn pages_scanned_upside_down_and_sideways() {
    let pages = read(Source::Pdf, "cardinal.pdf", vec![1, 2, 3, 4], "eng");
    assert_eq!(pages.len(), 4);
    for page in &pages {
        let page = page.as_ref().unwrap();
        assert!(
            page.confidence >= 70,
            "page {}: {}",
            page.page,
            page.confidence
        );
        assert!(
            page.paragraphs.join(" ").contains("Linn"),
            "page {}",
            page.page
        );
    }
}

#[test]
fn image_formats() {
    for name in ["feyn.tif", "lucasta.047.jpg", "linn.png", "linn.webp"] {
        let pages = read(Source::Image, name, vec![1], "eng");
        let page = pages[0].as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(page.words > 100, "{name}: {} words", page.words);
        assert!(page.confidence >= 75, "{name}: {}", page.confidence);
    }
}

#[test]
fn missing_language_data_names_the_package() {
    let bytes = sample("c03-29.pdf");
    let job = Job {
        source: Source::Pdf,
        bytes: &bytes,
        pages: vec![1],
        languages: "eng+xyz".into(),
        tessdata: tessdata(),
    };
    let err = run(&Runner::InProcess, &job, &mut |_| {}, &|| false).unwrap_err();
    assert!(
        err.to_string().contains("install tesseract-ocr-xyz"),
        "{err}"
    );
}

/// A child that crashes while reading a page costs that page only: the client reports
/// it, starts a fresh child for the pages after it, and the child runs under a memory
/// limit. The child here is a script standing in for a Tesseract that segfaults.
#[test]
fn a_crashing_child_costs_one_page() {
    let script = r#"
import json, os, signal, sys
request = json.loads(sys.stdin.buffer.readline())
sys.stdin.buffer.read(request["bytes"])
limit = [l for l in open("/proc/self/limits") if l.startswith("Max address space")][0].split()[3]
page = request["pages"][0]
reply = {"page": {"page": page, "paragraphs": ["read " + str(page), "limit " + limit],
                  "confidence": 90, "words": 2, "unsure_words": 0}}
print(json.dumps(reply), flush=True)
os.kill(os.getpid(), signal.SIGSEGV)
"#;
    let runner = Runner::Child {
        program: "python3".into(),
        args: vec!["-c".into(), script.into()],
    };
    let bytes = b"%PDF-1.4 stand-in".to_vec();
    let job = Job {
        source: Source::Pdf,
        bytes: &bytes,
        pages: vec![1, 2, 3],
        languages: "eng".into(),
        tessdata: tessdata(),
    };
    let mut seen = Vec::new();
    run(&runner, &job, &mut |p| seen.push(p), &|| false).unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0].as_ref().unwrap().paragraphs[0], "read 1");
    assert_eq!(seen[0].as_ref().unwrap().paragraphs[1], "limit 4294967296");
    match &seen[1] {
        Err(OcrError::Page { page: 2, reason }) => {
            assert!(reason.contains("stopped while reading it"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(seen[2].as_ref().unwrap().paragraphs[0], "read 3");
}

#[test]
fn cancelling_stops_the_child() {
    let bytes = sample("cardinal.pdf");
    let job = Job {
        source: Source::Pdf,
        bytes: &bytes,
        pages: vec![1, 2, 3, 4],
        languages: "eng".into(),
        tessdata: tessdata(),
    };
    let runner = Runner::Child {
        program: "python3".into(),
        args: vec!["-c".into(), "import time; time.sleep(600)".into()],
    };
    let cancel_after_first_poll = std::cell::Cell::new(0);
    let err = run(&runner, &job, &mut |_| {}, &|| {
        cancel_after_first_poll.set(cancel_after_first_poll.get() + 1);
        cancel_after_first_poll.get() > 2
    })
    .unwrap_err();
    // The sleeping child is killed and waited for, not left to run its 10 minutes.
    assert_eq!(err, OcrError::Cancelled);
}
