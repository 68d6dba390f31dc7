//! OCR's text joining a document (real Tesseract, in process, on ocrmypdf's scans from
//! scripts/fetch-ocr-samples.sh): a garbled text layer is replaced by what OCR read on
//! that page while the other pages keep their own text (and a real PDF whose font has no
//! Unicode map is read by OCR), an image becomes a one-page
//! document, and a configured language without data is named with its package.

use std::path::PathBuf;

use hearth_core::documents::Cancellation;
use hearth_core::{Hearth, Isolation, OpenOptions, Paths};
use hearth_docs::{Block, BlockKind, DocError, Document, Format};

fn scan(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.testdata/ocr")
        .join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/fetch-ocr-samples.sh", path.display()))
}

fn hearth(root: &std::path::Path, config: &str) -> Hearth {
    let paths = Paths::under(root);
    std::fs::create_dir_all(&paths.config).unwrap();
    std::fs::write(paths.config_file(), config).unwrap();
    Hearth::open(OpenOptions {
        paths,
        isolation: Some(Isolation::InProcess),
    })
    .unwrap()
}

#[test]
fn a_garbled_page_is_replaced_by_what_ocr_read() {
    let home = tempfile::tempdir().unwrap();
    let hearth = hearth(home.path(), "");
    // What a reader made of cardinal.pdf if page 2's text layer were junk and page 1 had
    // a good one: page 2 is listed for OCR, page 1 is not.
    let mut document = Document::new(
        Format::Pdf,
        vec![
            Block::new(BlockKind::Paragraph, "Page one's own text.", Some(1)),
            Block::new(BlockKind::Paragraph, "\u{e001}\u{e002}\u{fffd}", Some(2)),
        ],
    );
    document.pages = Some(4);
    document.warnings =
        vec!["page 2 has a garbled text layer (fonts without a character map?)".into()];
    document.scanned_pages = vec![2];
    let mut seen = Vec::new();
    let read = hearth
        .complete_with_ocr(
            Ok(document),
            &scan("cardinal.pdf"),
            &mut |p| seen.push(p),
            &Cancellation::new(),
        )
        .unwrap();
    assert_eq!(read.blocks[0].text, "Page one's own text.");
    let page2: Vec<&str> = read
        .blocks
        .iter()
        .filter(|b| b.page == Some(2))
        .map(|b| b.text.as_str())
        .collect();
    assert!(page2.iter().any(|t| t.contains("Linn")), "{page2:?}");
    assert!(!page2.iter().any(|t| t.contains('\u{e001}')));
    assert!(read.scanned_pages.is_empty());
    assert!(
        read.warnings.iter().all(|w| !w.contains("garbled")),
        "{:?}",
        read.warnings
    );
    assert!(
        read.warnings[0].starts_with("page 2 read by OCR (eng"),
        "{:?}",
        read.warnings
    );
    assert_eq!(seen.last().map(|p| (p.done, p.total)), Some((1, 1)));
}

#[test]
fn an_image_becomes_a_one_page_document() {
    let home = tempfile::tempdir().unwrap();
    let hearth = hearth(home.path(), "");
    let bytes = scan("lucasta.047.jpg");
    let read = hearth_docs::read_bytes(&bytes, Format::Image, &Default::default());
    assert!(matches!(read, Err(DocError::Image { format: "JPEG" })));
    let document = hearth
        .complete_with_ocr(read, &bytes, &mut |_| {}, &Cancellation::new())
        .unwrap();
    assert_eq!(document.format, Format::Image);
    assert_eq!(document.pages, Some(1));
    assert!(
        document.plain_text().contains("BIOGRAPHICAL NOTICE"),
        "{}",
        document.plain_text()
    );
    assert!(document.blocks.iter().all(|b| b.page == Some(1)));
}

#[test]
fn a_configured_language_without_data_names_its_package() {
    let home = tempfile::tempdir().unwrap();
    let hearth = hearth(home.path(), "ocr_languages = \"eng+tlh\"\n");
    let bytes = scan("c03-29.pdf");
    let read = hearth_docs::read_bytes(&bytes, Format::Pdf, &Default::default());
    let err = hearth
        .complete_with_ocr(read, &bytes, &mut |_| {}, &Cancellation::new())
        .unwrap_err();
    assert!(
        err.to_string().contains("install tesseract-ocr-tlh"),
        "{err}"
    );
}

/// A real PDF whose font has no Unicode map (ocrmypdf's `truetype_font_nomapping.pdf`):
/// its text layer reads as `"7+%-`, so the page is read by OCR instead, which reads the
/// word the page shows.
#[test]
fn a_font_without_a_unicode_map_is_read_by_ocr() {
    let home = tempfile::tempdir().unwrap();
    let hearth = hearth(home.path(), "");
    let bytes = scan("truetype_font_nomapping.pdf");
    let layer = hearth_docs::read_bytes(&bytes, Format::Pdf, &Default::default()).unwrap();
    assert_eq!(layer.scanned_pages, [1], "{:?}", layer.plain_text());
    let document = hearth.read_document_bytes(&bytes, Format::Pdf).unwrap();
    let text = document.plain_text();
    assert!(!text.contains("7+%"), "{text:?}");
    assert!(
        document
            .warnings
            .iter()
            .any(|w| w.starts_with("page 1 read by OCR")),
        "{:?}",
        document.warnings
    );
    // The page shows the word "Phone" (its five glyphs are the five junk characters).
    assert_eq!(text.trim(), "Phone");
}
