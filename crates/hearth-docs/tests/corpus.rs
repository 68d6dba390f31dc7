//! Real documents from the registries (see scripts/fetch-test-docs.sh): the R manuals
//! (Debian r-doc-pdf), npm pdf-parse's test PDFs, npm mammoth's test .docx files, the
//! Debian Reference in HTML (three languages), PDF and plain text, and the two npm
//! packages' READMEs. Every file is read; structure is checked where the file's content
//! is known.

mod common;

use std::io::{Cursor, Write};
use std::path::Path;

use common::{assert_pages_in_order, headings, read, read_err, testdata, testdata_files};
use hearth_docs::{BlockKind, DocError, Format, Limits};

/// (level, text, page) of a heading.
type Heading = (u8, &'static str, u32);

/// (file, pages, title, bookmarks in the file's outline, one heading)
const R_MANUALS: &[(&str, u32, &str, usize, Heading)] = &[
    ("R-FAQ.pdf", 52, "R FAQ", 104, (2, "1.1 Legalese", 5)),
    (
        "R-admin.pdf",
        85,
        "R Installation and Administration",
        109,
        (3, "1.2.1 Using Subversion and rsync", 6),
    ),
    (
        "R-data.pdf",
        41,
        "R Data Import/Export",
        43,
        (3, "1.1.1 Encodings", 8),
    ),
    (
        "R-exts.pdf",
        236,
        "Writing R Extensions",
        187,
        (3, "1.1.1 The DESCRIPTION file", 11),
    ),
    (
        "R-intro.pdf",
        113,
        "An Introduction to R",
        145,
        (2, "1.1 The R environment", 8),
    ),
    (
        "R-ints.pdf",
        81,
        "R Internals",
        78,
        (3, "1.1.4 Allocation classes", 11),
    ),
    (
        "R-lang.pdf",
        69,
        "R Language Definition",
        119,
        (3, "2.1.3 Language objects", 9),
    ),
];

#[test]
fn r_manuals_have_pages_titles_and_outline_headings() {
    for &(file, pages, title, outline, heading) in R_MANUALS {
        let doc = read(&testdata(&format!("r-doc-pdf/{file}")));
        assert_eq!(doc.format, Format::Pdf);
        assert_eq!(doc.pages, Some(pages), "{file}");
        assert_eq!(doc.title.as_deref(), Some(title), "{file}");
        assert_pages_in_order(&doc);
        assert!(doc.warnings.is_empty(), "{file}: {:?}", doc.warnings);
        // Texinfo sets about 2,000 characters a page; front matter and indexes have less.
        assert!(
            doc.text_len() > pages as usize * 1000,
            "{file}: {} chars",
            doc.text_len()
        );
        let found = headings(&doc);
        assert!(
            found.contains(&(heading.0, heading.1, Some(heading.2))),
            "{file}: {found:?}"
        );
        // Nearly every bookmark is found as a heading in the text.
        assert!(
            found.len() * 100 >= outline * 95,
            "{file}: {} headings for {outline} bookmarks",
            found.len()
        );
        assert!(
            found.len() <= outline,
            "{file}: more headings than bookmarks"
        );
    }
}

#[test]
fn r_manual_text_paragraphs_and_running_heads() {
    let doc = read(&testdata("r-doc-pdf/R-intro.pdf"));
    let para = doc
        .blocks
        .iter()
        .find(|b| b.text.starts_with("R operates on named data structures."))
        .expect("the first paragraph of section 2.1");
    assert_eq!(para.kind, BlockKind::Paragraph);
    assert_eq!(para.page, Some(14));
    // The paragraph is whole (its lines joined, the next paragraph not glued on).
    assert!(para.text.ends_with("use the R command"), "{}", para.text);
    // "Chapter 1: R Internal Structures 6" heads the pages of R-ints' first chapter
    // (pages 6 to 26); it is dropped as a running header.
    let ints = read(&testdata("r-doc-pdf/R-ints.pdf"));
    let running = ints
        .blocks
        .iter()
        .filter(|b| b.text.starts_with("Chapter 1: R Internal Structures"))
        .count();
    assert_eq!(running, 0);
    // Hyphenated line ends are joined.
    assert!(ints.blocks.iter().any(|b| b
        .text
        .contains("These are internally identical (and identical to STRSXP)")));
    assert!(ints.blocks.iter().any(|b| b.kind
        == BlockKind::ListItem {
            ordered: false,
            depth: 0
        }));
}

/// The reference manual (2,415 pages), read in a child process so its peak memory can be
/// measured alone: the test runs itself again with HEARTH_DOCS_BIG_PDF set.
#[test]
fn reference_manual_2415_pages_in_bounded_memory() {
    const CHILD: &str = "HEARTH_DOCS_BIG_PDF";
    if let Ok(file) = std::env::var(CHILD) {
        let doc = read(&testdata(&format!("r-doc-pdf/{file}")));
        assert_pages_in_order(&doc);
        let found = headings(&doc);
        assert!(
            found.contains(&(1, "The base package", Some(32))),
            "{:?}",
            &found[..5]
        );
        assert!(found.contains(&(1, "The grid package", Some(1112))));
        println!(
            "RESULT pages={} headings={} chars={} peak_kb={}",
            doc.pages.unwrap_or(0),
            found.len(),
            doc.text_len(),
            peak_rss_kb()
        );
        return;
    }
    for file in ["fullrefman.pdf", "refman.pdf"] {
        testdata(&format!("r-doc-pdf/{file}"));
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "reference_manual_2415_pages_in_bounded_memory",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, file)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{file}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // libtest prints "test NAME ... " on the same line before the child's output.
        let result = stdout
            .lines()
            .find_map(|l| l.split_once("RESULT "))
            .map(|(_, r)| r)
            .unwrap_or_else(|| panic!("{stdout}"));
        let field = |name: &str| -> u64 {
            result
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .unwrap()
                .parse()
                .unwrap()
        };
        assert_eq!(field("pages"), 2415, "{file}");
        // 1,426 bookmarks, one a help topic; a few topics share a page line.
        assert!(field("headings") >= 1350, "{result}");
        assert!(field("chars") > 4_000_000, "{result}");
        // Measured at about 70 MB with two reader threads; the file is 6.5 MB and lopdf
        // alone needed 190 MB before link annotations were left out while loading.
        assert!(field("peak_kb") < 300 * 1024, "{file}: {result}");
    }
}

fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn pdf_parse_test_files() {
    let cases: &[(&str, u32, &str, &str)] = &[
        ("01-valid.pdf", 14, "Trace-based Just-in-Time Type Specialization for Dynamic Languages", "1. Introduction"),
        ("02-valid.pdf", 5, "Solar Energy Materials & Solar Cells", "Performance evaluation of a GaInP/GaAs solar cell structure with the integration of AlGaAs tunnel junction"),
        ("04-valid.pdf", 5, "Acute effect of speed exercise on nitric oxide (NO) level of footballers", "Acute effect of speed exercise on nitric oxide (NO) level of footballers"),
    ];
    for &(file, pages, title, heading) in cases {
        let doc = read(&testdata(&format!("pdf-parse/{file}")));
        assert_eq!(doc.pages, Some(pages), "{file}");
        assert_eq!(doc.title.as_deref(), Some(title), "{file}");
        assert_pages_in_order(&doc);
        assert!(
            headings(&doc).iter().any(|h| h.1 == heading),
            "{file}: {:?}",
            headings(&doc)
        );
        assert!(doc.text_len() > pages as usize * 2000, "{file}");
    }
    // A one-page file whose header has a space in the version ("%PDF-1.5 ").
    let doc = read(&testdata("pdf-parse/05-versions-space.pdf"));
    assert_eq!(doc.pages, Some(1));
    assert_eq!(doc.blocks[0].text, "Dadfrtfjh,mgf v.0.01");
}

#[test]
fn the_corrupt_pdf_parse_file_is_corrupt() {
    let err = read_err(&testdata("pdf-parse/03-invalid.pdf"));
    assert!(
        matches!(err.inner(), DocError::Corrupt { format: "pdf", .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("03-invalid.pdf") && message.contains("cross reference"),
        "{message}"
    );
}

#[test]
fn mammoth_docx_files() {
    let md = |file: &str| read(&testdata(&format!("mammoth/{file}"))).to_markdown();
    assert_eq!(
        md("tables.docx"),
        "Above\n\nTop left | Top right\nBottom left | Bottom right\n\nBelow\n"
    );
    assert_eq!(md("simple-list.docx"), "- Apple\n- Banana\n");
    assert_eq!(
        md("footnotes.docx"),
        "Ouch[^1].[^2]\n\n[^1]: A tachyon walks into a bar.\n\n[^2]: Fin.\n"
    );
    assert_eq!(
        md("endnotes.docx"),
        "Ouch[^e2].[^e3]\n\n[^e2]: A tachyon walks into a bar.\n\n[^e3]: Fin.\n"
    );
    assert_eq!(md("footnote-hyperlink.docx"), "[^1]\n\n[^1]: Example\n");
    // The text box is read once although the file holds it twice (drawing and VML).
    assert_eq!(md("text-box.docx"), "Datum plane\n");
    assert_eq!(md("comments.docx"), "Ouch.\n");
    assert_eq!(md("strict-format.docx"), "Test\n");
    assert_eq!(md("utf8-bom.docx"), "This XML has a byte order mark.\n");
    for file in ["single-paragraph.docx", "embedded-style-map.docx"] {
        assert_eq!(md(file), "Walking on imported air\n", "{file}");
    }
    assert_eq!(
        md("strikethrough.docx"),
        "Today's Special: Salmon Sold out\n"
    );
    assert_eq!(md("underline.docx"), "The Sunset Tree\n");

    let tables = read(&testdata("mammoth/tables.docx"));
    let kinds: Vec<BlockKind> = tables.blocks.iter().map(|b| b.kind).collect();
    assert_eq!(
        kinds,
        [BlockKind::Paragraph, BlockKind::Table, BlockKind::Paragraph]
    );
    let list = read(&testdata("mammoth/simple-list.docx"));
    assert!(list.blocks.iter().all(|b| b.kind
        == BlockKind::ListItem {
            ordered: false,
            depth: 0
        }));

    // Pictures only: nothing to read.
    for file in [
        "empty.docx",
        "tiny-picture.docx",
        "tiny-picture-target-base-relative.docx",
        "external-picture.docx",
    ] {
        let err = read_err(&testdata(&format!("mammoth/{file}")));
        assert!(matches!(err.inner(), DocError::Empty), "{file}: {err}");
    }
    // Every .docx in the folder is covered above.
    assert_eq!(testdata_files("mammoth", &[".docx"]).len(), 17);
}

#[test]
fn mammoth_files_that_are_not_documents() {
    for file in ["hello.zip", "empty.zip"] {
        let err = read_err(&testdata(&format!("mammoth/{file}")));
        assert!(
            matches!(err.inner(), DocError::Unsupported { .. }),
            "{file}: {err}"
        );
        assert!(
            err.to_string()
                .contains("not a document Hearth reads (Office, OpenDocument or EPUB)"),
            "{err}"
        );
    }
    // A picture is named as one: its text is OCR's to read (hearth-core does).
    let err = read_err(&testdata("mammoth/tiny-picture.png"));
    assert!(
        matches!(err.inner(), DocError::Image { format: "PNG" }),
        "{err}"
    );
}

#[test]
fn debian_reference_html_structure() {
    let ch03 = read(&testdata("debian-reference/ch03.en.html"));
    assert_eq!(ch03.format, Format::Html);
    assert_eq!(ch03.encoding.as_deref(), Some("UTF-8"));
    assert_eq!(
        ch03.title.as_deref(),
        Some("Chapter 3. The system initialization")
    );
    let h = headings(&ch03);
    assert_eq!(h[0], (1, "Chapter 3. The system initialization", None));
    assert_eq!(
        h[1],
        (2, "3.1. An overview of the boot strap process", None)
    );
    assert_eq!(h[2], (3, "3.1.1. Stage 1: the UEFI", None));
    // The navigation header and the chapter's table of contents are not text.
    assert!(!ch03
        .blocks
        .iter()
        .any(|b| b.text == "Prev" || b.text == "Next" || b.text == "Table of Contents"));
    assert!(ch03.blocks[1]
        .text
        .starts_with("It is wise for you as the system administrator"));
    let table = ch03
        .blocks
        .iter()
        .find(|b| b.kind == BlockKind::Table)
        .expect("a table");
    let mut rows = table.text.lines();
    assert_eq!(
        rows.next(),
        Some("package | popcon | size | initrd | bootloader | description")
    );
    assert!(rows
        .next()
        .unwrap()
        .starts_with("grub-efi-amd64 | I:261 | 159 | Supported | GRUB UEFI |"));
    assert!(ch03
        .blocks
        .iter()
        .any(|b| b.kind == BlockKind::Code && b.text.contains("menuentry 'Debian GNU/Linux'")));
    assert!(ch03.blocks.iter().any(|b| b.kind
        == BlockKind::ListItem {
            ordered: false,
            depth: 0
        }));
    // Admonitions are layout tables: read as the note's title and text.
    let warning = ch03
        .blocks
        .iter()
        .position(|b| b.text == "Warning")
        .expect("a warning");
    assert!(ch03.blocks[warning + 1]
        .text
        .starts_with("Do not play with boot loaders"));

    let index = read(&testdata("debian-reference/index.en.html"));
    assert_eq!(index.title.as_deref(), Some("Debian Reference"));
    assert!(!index.blocks.iter().any(|b| b.text == "List of Tables"));
}

#[test]
fn debian_reference_html_in_three_languages() {
    let english = testdata_files("debian-reference", &[".en.html"]);
    assert_eq!(english.len(), 15);
    let mut files = 0;
    for en in &english {
        let en_doc = read(en);
        assert!(en_doc.text_len() > 300, "{}", en.display());
        for lang in ["de", "ja"] {
            let path = en.with_file_name(
                en.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .replace(".en.", &format!(".{lang}.")),
            );
            let doc = read(&path);
            files += 1;
            // The same manual: the same sections, in the same order and depth.
            let levels =
                |d: &hearth_docs::Document| headings(d).iter().map(|h| h.0).collect::<Vec<_>>();
            assert_eq!(levels(&doc), levels(&en_doc), "{}", path.display());
            if lang == "ja" {
                let japanese = doc
                    .blocks
                    .iter()
                    .flat_map(|b| b.text.chars())
                    .filter(|c| ('\u{3040}'..='\u{30ff}').contains(c))
                    .count();
                assert!(japanese > 100, "{}: {japanese} kana", path.display());
            }
        }
    }
    assert_eq!(files, 30);
}

#[test]
fn debian_reference_pdf_and_text() {
    let pdf = read(&testdata("debian-reference/debian-reference.en.pdf"));
    assert_eq!(pdf.pages, Some(261));
    assert_eq!(pdf.title.as_deref(), Some("Debian Reference"));
    assert_pages_in_order(&pdf);
    assert!(headings(&pdf).len() >= 440, "{}", headings(&pdf).len());
    // The cover is a picture.
    assert_eq!(pdf.warnings, ["page 1 has no text layer (scanned?)"]);

    let path = testdata("debian-reference/debian-reference.en.txt");
    let txt = read(&path);
    assert_eq!(txt.format, Format::Text);
    assert_eq!(txt.encoding.as_deref(), Some("UTF-8"));
    let h = headings(&txt);
    assert!(
        h.contains(&(1, "Chapter 3. The system initialization", None)),
        "{:?}",
        &h[..10]
    );
    assert!(h.contains(&(2, "3.1. An overview of the boot strap process", None)));
    assert!(h.contains(&(3, "3.1.1. Stage 1: the UEFI", None)));
    let item = txt
        .blocks
        .iter()
        .find(|b| {
            b.text
                .starts_with("Debian Linux Kernel Handbook is the primary")
        })
        .unwrap();
    assert_eq!(
        item.kind,
        BlockKind::ListItem {
            ordered: false,
            depth: 0
        }
    );
    assert_eq!(
        item.text,
        "Debian Linux Kernel Handbook is the primary source of information on the Debian kernel."
    );
    // read_text keeps the file exactly as written.
    let raw = hearth_docs::read_text(&path, &Limits::default()).unwrap();
    assert_eq!(raw.text, std::fs::read_to_string(&path).unwrap());
    assert_eq!(raw.encoding, "UTF-8");

    let err = read_err(&testdata("debian-reference/debian-reference.en.txt.gz"));
    assert!(matches!(err.inner(), DocError::NotText { .. }), "{err}");
}

#[test]
fn readme_markdown() {
    let doc = read(&testdata("markdown/mammoth-README.md"));
    assert_eq!(doc.format, Format::Markdown);
    assert_eq!(
        doc.title.as_deref(),
        Some("Mammoth .docx to HTML converter")
    );
    let h = headings(&doc);
    assert_eq!(h[0], (1, "Mammoth .docx to HTML converter", None));
    assert!(h.contains(&(2, "Web demo", None)));
    assert!(doc.blocks.iter().any(|b| b.kind
        == BlockKind::ListItem {
            ordered: false,
            depth: 0
        }
        && b.text == "Headings."));
    assert!(doc
        .blocks
        .iter()
        .any(|b| b.kind == BlockKind::Code && b.text.contains("mammoth.convertToHtml")));
    let pdf_parse = read(&testdata("markdown/pdf-parse-README.md"));
    assert!(pdf_parse.blocks.iter().any(|b| b.kind == BlockKind::Code));
    assert!(!headings(&pdf_parse).is_empty());
}

/// An EPUB made of the real Debian Reference chapters (XHTML), in a spine order that
/// differs from the file order in the zip.
#[test]
fn epub_from_debian_reference_chapters() {
    let chapters = ["ch02.en.html", "ch01.en.html", "ch03.en.html"];
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("mimetype", stored).unwrap();
    w.write_all(b"application/epub+zip").unwrap();
    w.start_file(
        "META-INF/container.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(br#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/book.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#).unwrap();
    let manifest: String = chapters
        .iter()
        .map(|c| format!(r#"<item id="{c}" href="text/{c}" media-type="application/xhtml+xml"/>"#))
        .collect();
    let opf = format!(
        r#"<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="2.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Debian Reference</dc:title></metadata><manifest>{manifest}</manifest><spine><itemref idref="ch01.en.html"/><itemref idref="ch02.en.html"/><itemref idref="ch03.en.html"/></spine></package>"#
    );
    w.start_file("OEBPS/book.opf", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(opf.as_bytes()).unwrap();
    for c in chapters {
        w.start_file(
            format!("OEBPS/text/{c}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(&std::fs::read(testdata(&format!("debian-reference/{c}"))).unwrap())
            .unwrap();
    }
    let bytes = w.finish().unwrap().into_inner();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("debian-reference.epub");
    std::fs::write(&path, &bytes).unwrap();
    let doc = read(&path);
    assert_eq!(doc.format, Format::Epub);
    assert_eq!(doc.title.as_deref(), Some("Debian Reference"));
    let chapter_titles: Vec<&str> = headings(&doc)
        .into_iter()
        .filter(|h| h.0 == 1)
        .map(|h| h.1)
        .collect();
    assert_eq!(
        chapter_titles,
        [
            "Chapter 1. GNU/Linux tutorials",
            "Chapter 2. Debian package management",
            "Chapter 3. The system initialization"
        ]
    );
    let separate: usize = chapters
        .iter()
        .map(|c| {
            read(&testdata(&format!("debian-reference/{c}")))
                .blocks
                .len()
        })
        .sum();
    assert_eq!(doc.blocks.len(), separate);
}

/// At least 40 distinct real files are read by the tests above.
#[test]
fn corpus_has_at_least_forty_files() {
    let count = testdata_files("r-doc-pdf", &[".pdf"]).len()
        + testdata_files("pdf-parse", &[".pdf"]).len()
        + testdata_files("mammoth", &[".docx", ".zip", ".png"]).len()
        + testdata_files("debian-reference", &[".html", ".pdf", ".txt", ".txt.gz"]).len()
        + testdata_files("markdown", &[".md"]).len();
    assert_eq!(count, 9 + 5 + 20 + 49 + 2);
    assert!(Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/fetch-test-docs.sh")
        .exists());
}
