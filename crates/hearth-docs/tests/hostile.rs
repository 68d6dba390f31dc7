//! Hostile and broken input, generated here: empty and oversized files, binary junk with
//! text extensions, text in legacy encodings, zip bombs in docx and epub, encrypted,
//! truncated and malformed PDFs, PDFs built to crash or hang a reader, deeply nested HTML
//! and Markdown. Every case must end in a clear [`DocError`] or a sensible document, and
//! never in a panic, a stack overflow or unbounded memory.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::pdf::Builder;
use common::{testdata, zip};
use hearth_docs::{read_bytes, read_path, BlockKind, DocError, Document, Format, Limits};
use pdf_extract::{dictionary, EncryptionState, EncryptionVersion, Object, Permissions, Stream};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read(path: &Path) -> Result<Document, DocError> {
    read_path(path, &Limits::default())
}

/// Deterministic junk: an LCG's high bytes.
fn junk(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect()
}

const DOCX_RELS: &str = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

fn docx(document_xml: &[u8]) -> Vec<u8> {
    zip(&[
        ("_rels/.rels", DOCX_RELS.as_bytes()),
        ("word/document.xml", document_xml),
    ])
}

fn epub(chapters: &[Vec<u8>]) -> Vec<u8> {
    let container = br#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#;
    let items: String = (0..chapters.len())
        .map(|i| {
            format!(r#"<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>"#)
        })
        .collect();
    let spine: String = (0..chapters.len())
        .map(|i| format!(r#"<itemref idref="c{i}"/>"#))
        .collect();
    let opf = format!(
        r#"<package xmlns="http://www.idpf.org/2007/opf"><metadata/><manifest>{items}</manifest><spine>{spine}</spine></package>"#
    );
    let names: Vec<String> = (0..chapters.len()).map(|i| format!("c{i}.xhtml")).collect();
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("mimetype", b"application/epub+zip"),
        ("META-INF/container.xml", container),
        ("content.opf", opf.as_bytes()),
    ];
    entries.extend(
        names
            .iter()
            .map(String::as_str)
            .zip(chapters.iter().map(Vec::as_slice)),
    );
    zip(&entries)
}

#[test]
fn empty_files_of_every_type_are_empty() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "a.txt",
        "a.md",
        "a.html",
        "a.pdf",
        "a.docx",
        "a.epub",
        "noextension",
    ] {
        let path = write(dir.path(), name, b"");
        let err = read(&path).unwrap_err();
        assert!(matches!(err.inner(), DocError::Empty), "{name}: {err}");
        assert!(
            err.to_string().contains(name),
            "the message names the file: {err}"
        );
    }
    let path = write(dir.path(), "blank.txt", b"  \n\t\r\n   \n");
    assert!(matches!(read(&path).unwrap_err().inner(), DocError::Empty));
    // Markup with no text in it.
    let path = write(
        dir.path(),
        "blank.html",
        b"<html><head><title></title></head><body><p> </p></body></html>",
    );
    assert!(matches!(read(&path).unwrap_err().inner(), DocError::Empty));
    let path = write(
        dir.path(),
        "blank.docx",
        &docx(b"<w:document xmlns:w=\"w\"><w:body><w:p/></w:body></w:document>"),
    );
    assert!(matches!(read(&path).unwrap_err().inner(), DocError::Empty));
}

#[test]
fn files_over_the_size_limit_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "big.txt", &vec![b'a'; 10_240]);
    let limits = Limits {
        max_file_bytes: 1000,
        ..Limits::default()
    };
    let err = read_path(&path, &limits).unwrap_err();
    assert!(
        matches!(
            err.inner(),
            DocError::TooLarge {
                size: 10_240,
                limit: 1000
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("over the limit of 1000 bytes"),
        "{err}"
    );
    let err = read_bytes(&vec![b'a'; 10_240], Format::Text, &limits).unwrap_err();
    assert!(matches!(err, DocError::TooLarge { .. }));
    let err = hearth_docs::read_text(&path, &limits).unwrap_err();
    assert!(matches!(err.inner(), DocError::TooLarge { .. }));
}

#[test]
fn binary_junk_with_text_extensions_is_not_text() {
    let dir = tempfile::tempdir().unwrap();
    let random = junk(64 * 1024, 7);
    let no_nuls: Vec<u8> = random.iter().map(|&b| b.max(1)).collect();
    let program = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    for (name, bytes) in [
        ("random.txt", &random),
        ("random.md", &random),
        ("random.html", &random),
        ("random", &random),
        ("no-nuls.txt", &no_nuls),
        ("no-nuls.md", &no_nuls),
        ("program.txt", &program),
    ] {
        let path = write(dir.path(), name, bytes);
        let err = read(&path).unwrap_err();
        assert!(
            matches!(err.inner(), DocError::NotText { .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains("not a text file"), "{err}");
    }
    let err =
        hearth_docs::read_text(&dir.path().join("random.txt"), &Limits::default()).unwrap_err();
    assert!(matches!(err.inner(), DocError::NotText { .. }));
}

#[test]
fn text_encodings_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Grüße aus Köln — «ça va?» 10 €\n\nZweiter Absatz.\n";
    let utf16 = |bom: &[u8], be: bool| -> Vec<u8> {
        let mut out = bom.to_vec();
        for u in text.encode_utf16() {
            out.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
        }
        out
    };
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    let mut utf8_bom = b"\xEF\xBB\xBF".to_vec();
    utf8_bom.extend_from_slice(text.as_bytes());
    for (name, bytes, encoding) in [
        ("utf16le.txt", utf16(&[0xFF, 0xFE], false), "UTF-16LE"),
        ("utf16be.txt", utf16(&[0xFE, 0xFF], true), "UTF-16BE"),
        ("utf16le-no-bom.txt", utf16(&[], false), "UTF-16LE"),
        ("cp1252.txt", cp1252.into_owned(), "windows-1252"),
        ("utf8-bom.md", utf8_bom, "UTF-8"),
    ] {
        let doc = read(&write(dir.path(), name, &bytes)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(doc.encoding.as_deref(), Some(encoding), "{name}");
        assert_eq!(
            doc.blocks[0].text, "Grüße aus Köln — «ça va?» 10 €",
            "{name}"
        );
        assert_eq!(doc.blocks[1].text, "Zweiter Absatz.", "{name}");
    }
    // ISO-8859-1 proper (no €): decoded as its superset windows-1252.
    let latin1: Vec<u8> = "Café crème, naïve façade, Ærø."
        .chars()
        .map(|c| c as u32 as u8)
        .collect();
    let doc = read(&write(dir.path(), "latin1.txt", &latin1)).unwrap();
    assert_eq!(doc.encoding.as_deref(), Some("windows-1252"));
    assert_eq!(doc.blocks[0].text, "Café crème, naïve façade, Ærø.");
    // Japanese in Shift_JIS.
    let (sjis, _, _) =
        encoding_rs::SHIFT_JIS.encode("日本語のテキストです。これは文字コードの検出の試験です。");
    let doc = read(&write(dir.path(), "sjis.txt", &sjis)).unwrap();
    assert_eq!(doc.encoding.as_deref(), Some("Shift_JIS"));
    assert!(doc.blocks[0].text.starts_with("日本語のテキストです。"));
    // An HTML page that declares its legacy charset.
    let (body, _, _) = encoding_rs::WINDOWS_1252.encode("<p>Déjà vu</p>");
    let mut page = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"></head><body>".to_vec();
    page.extend_from_slice(&body);
    let doc = read(&write(dir.path(), "legacy.html", &page)).unwrap();
    assert_eq!(doc.blocks[0].text, "Déjà vu");
    // read_text keeps line breaks.
    let decoded =
        hearth_docs::read_text(&dir.path().join("utf16be.txt"), &Limits::default()).unwrap();
    assert_eq!(decoded.text, text);
    assert_eq!(decoded.encoding, "UTF-16BE");
}

#[test]
fn zip_bomb_in_docx_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let paragraph = b"<w:p><w:r><w:t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</w:t></w:r></w:p>";
    let mut xml = b"<w:document xmlns:w=\"w\"><w:body>".to_vec();
    while xml.len() < 64 << 20 {
        xml.extend_from_slice(paragraph);
    }
    xml.extend_from_slice(b"</w:body></w:document>");
    let bytes = docx(&xml);
    assert!(bytes.len() < 1 << 20, "the bomb is small: {}", bytes.len());
    let err = read(&write(dir.path(), "bomb.docx", &bytes)).unwrap_err();
    assert!(
        matches!(err.inner(), DocError::ZipBomb { format: "docx", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("100:1"), "{err}");
}

#[test]
fn zip_sizes_in_headers_are_not_trusted() {
    // A docx whose headers claim document.xml is 100 bytes while it inflates to 32 MB.
    let mut xml = b"<w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>".to_vec();
    xml.resize(32 << 20, b'a');
    xml.extend_from_slice(b"</w:t></w:r></w:p></w:body></w:document>");
    let mut bytes = docx(&xml);
    let real = (xml.len() as u32).to_le_bytes();
    let mut patched = 0;
    for i in 0..bytes.len().saturating_sub(4) {
        let at = match &bytes[i..i + 4] {
            b"PK\x03\x04" => i + 22,
            b"PK\x01\x02" => i + 24,
            _ => continue,
        };
        if bytes[at..at + 4] == real {
            bytes[at..at + 4].copy_from_slice(&100u32.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "local and central headers patched");
    let err = read_bytes(&bytes, Format::Docx, &Limits::default()).unwrap_err();
    assert!(
        matches!(err, DocError::ZipBomb { .. } | DocError::Corrupt { .. }),
        "{err}"
    );
}

#[test]
fn epub_total_expansion_and_entry_count_are_capped() {
    // Each chapter is under the ratio floor; together they pass the total limit.
    let chapter = {
        let mut c = b"<html><body><p>".to_vec();
        c.resize(600 << 10, b'x');
        c.extend_from_slice(b"</p></body></html>");
        c
    };
    let bytes = epub(&vec![chapter; 8]);
    let limits = Limits {
        max_unzipped_bytes: 2 << 20,
        ..Limits::default()
    };
    let err = read_bytes(&bytes, Format::Epub, &limits).unwrap_err();
    assert!(
        matches!(err, DocError::ZipBomb { format: "epub", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("limit of 2097152 bytes"), "{err}");

    let many: Vec<Vec<u8>> = (0..300)
        .map(|i| format!("<p>{i}</p>").into_bytes())
        .collect();
    let bytes = epub(&many);
    let limits = Limits {
        max_zip_entries: 100,
        ..Limits::default()
    };
    let err = read_bytes(&bytes, Format::Epub, &limits).unwrap_err();
    assert!(
        err.to_string()
            .contains("303 entries, more than the limit of 100"),
        "{err}"
    );
    // Within the default limits the same book reads, in spine order.
    let doc = read_bytes(&bytes, Format::Epub, &Limits::default()).unwrap();
    assert_eq!(doc.blocks.len(), 300);
    assert_eq!(doc.blocks[299].text, "299");
}

#[test]
fn broken_containers() {
    let dir = tempfile::tempdir().unwrap();
    // Not a zip at all.
    let err = read(&write(dir.path(), "fake.docx", b"this is not a zip file")).unwrap_err();
    assert!(
        matches!(err.inner(), DocError::Corrupt { format: "docx", .. }),
        "{err}"
    );
    // A zip cut in half.
    let whole = docx(b"<w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>hello</w:t></w:r></w:p></w:body></w:document>");
    let err = read(&write(dir.path(), "cut.docx", &whole[..whole.len() / 2])).unwrap_err();
    assert!(matches!(err.inner(), DocError::Corrupt { .. }), "{err}");
    // Broken XML.
    let err = read(&write(
        dir.path(),
        "badxml.docx",
        &docx(b"<w:document><w:body><w:p></w:body>"),
    ))
    .unwrap_err();
    assert!(
        matches!(err.inner(), DocError::Corrupt { format: "docx", .. }),
        "{err}"
    );
    // An epub without its container file.
    let err = read(&write(
        dir.path(),
        "nocontainer.epub",
        &zip(&[("mimetype", b"application/epub+zip")]),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("META-INF/container.xml"), "{err}");
    // A password-protected Word file is an OLE container, not a zip.
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend(junk(4096, 3));
    let err = read(&write(dir.path(), "locked.docx", &ole)).unwrap_err();
    assert!(
        matches!(err.inner(), DocError::Encrypted { format: "docx", .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("save a copy without a password"),
        "{err}"
    );
    // Entity definitions are never expanded ("billion laughs").
    let laughs = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><w:document xmlns:w="w"><w:body><w:p><w:r><w:t>laugh &lol3;</w:t></w:r></w:p></w:body></w:document>"#;
    let doc = read(&write(dir.path(), "laughs.docx", &docx(laughs))).unwrap();
    assert_eq!(doc.blocks[0].text, "laugh");
}

#[test]
fn files_whose_extension_lies() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = Builder::new();
    let mut pdf = pdf;
    pdf.text_page(&["A PDF named like a Word file."]);
    let doc = read(&write(dir.path(), "report.docx", &pdf.finish())).unwrap();
    assert_eq!(doc.format, Format::Pdf);
    let word = docx(b"<w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>Word named as text</w:t></w:r></w:p></w:body></w:document>");
    let doc = read(&write(dir.path(), "notes.txt", &word)).unwrap();
    assert_eq!(doc.format, Format::Docx);
    assert_eq!(doc.blocks[0].text, "Word named as text");
    let err = read(&write(
        dir.path(),
        "paper.pdf",
        b"Just some text, not a PDF.",
    ))
    .unwrap_err();
    assert!(
        matches!(err.inner(), DocError::Corrupt { format: "pdf", .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("does not start with %PDF-"),
        "{err}"
    );
    let err = read(&write(dir.path(), "old.doc", b"anything")).unwrap_err();
    assert!(
        err.to_string().contains("the old Word format (.doc)"),
        "{err}"
    );
}

#[test]
fn encrypted_pdfs() {
    let dir = tempfile::tempdir().unwrap();
    let encrypt = |user: &str| -> Vec<u8> {
        let mut b = Builder::new();
        b.text_page(&["Confidential text."]);
        let mut doc = b.finish_doc();
        doc.trailer.set(
            "ID",
            vec![
                Object::string_literal("0123456789abcdef"),
                Object::string_literal("0123456789abcdef"),
            ],
        );
        let version = EncryptionVersion::V2 {
            document: &doc,
            owner_password: "owner",
            user_password: user,
            key_length: 128,
            permissions: Permissions::all(),
        };
        let state = EncryptionState::try_from(version).unwrap();
        doc.encrypt(&state).unwrap();
        common::pdf::save(&mut doc)
    };
    let err = read(&write(dir.path(), "locked.pdf", &encrypt("secret"))).unwrap_err();
    assert!(
        matches!(err.inner(), DocError::Encrypted { format: "pdf", .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("remove the password (e.g. qpdf --decrypt"),
        "{err}"
    );
    // Encrypted with an empty user password: only an owner password restricts printing
    // or copying, and the text can be read.
    let doc = read(&write(dir.path(), "restricted.pdf", &encrypt(""))).unwrap();
    assert_eq!(doc.blocks[0].text, "Confidential text.");
}

#[test]
fn truncated_and_garbled_pdfs() {
    let dir = tempfile::tempdir().unwrap();
    let real = std::fs::read(testdata("r-doc-pdf/R-intro.pdf")).unwrap();
    for fraction in [2, 10, 100] {
        let cut = &real[..real.len() / fraction];
        let err = read(&write(dir.path(), &format!("cut{fraction}.pdf"), cut)).unwrap_err();
        assert!(
            matches!(err.inner(), DocError::Corrupt { format: "pdf", .. }),
            "1/{fraction}: {err}"
        );
    }
    let mut garbage = b"%PDF-1.7\n".to_vec();
    garbage.extend(junk(100_000, 11));
    let err = read(&write(dir.path(), "garbage.pdf", &garbage)).unwrap_err();
    assert!(
        matches!(err.inner(), DocError::Corrupt { format: "pdf", .. }),
        "{err}"
    );
    // Junk bytes sprinkled through a real file.
    let mut damaged = real.clone();
    for (i, b) in junk(2000, 5).into_iter().enumerate() {
        let at = 2000 + i * (damaged.len() / 2100);
        damaged[at] = b;
    }
    // lopdf finds one page of 113 here; the declared count shows the damage.
    let err = read(&write(dir.path(), "damaged.pdf", &damaged)).unwrap_err();
    assert!(matches!(err.inner(), DocError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("113 pages declared"), "{err}");
    // A PDF whose pages draw nothing at all is empty, not scanned.
    let mut b = Builder::new();
    b.page(b"0 0 m 100 100 l S", dictionary! {});
    let err = read_bytes(&b.finish(), Format::Pdf, &Limits::default()).unwrap_err();
    assert!(matches!(err, DocError::Empty), "{err}");
}

#[test]
fn pdf_pages_that_crash_the_reader_are_skipped() {
    // Text shown with no font set: pdf-extract unwraps and panics on that page.
    let mut b = Builder::new();
    b.text_page(&["The first page is fine."]);
    b.page(b"BT 72 700 Td (no font) Tj ET", dictionary! {});
    b.text_page(&["So is the third."]);
    let doc = read_bytes(&b.finish(), Format::Pdf, &Limits::default()).unwrap();
    assert_eq!(doc.pages, Some(3));
    let texts: Vec<(&str, Option<u32>)> = doc
        .blocks
        .iter()
        .map(|b| (b.text.as_str(), b.page))
        .collect();
    assert_eq!(
        texts,
        [
            ("The first page is fine.", Some(1)),
            ("So is the third.", Some(3))
        ]
    );
    assert_eq!(doc.warnings, ["page 2 could not be read (damaged?)"]);
    // When no page can be read, the file is corrupt.
    let mut b = Builder::new();
    b.page(b"BT 72 700 Td (no font) Tj ET", dictionary! {});
    let err = read_bytes(&b.finish(), Format::Pdf, &Limits::default()).unwrap_err();
    assert!(
        err.to_string().contains("none of its pages could be read"),
        "{err}"
    );
}

#[test]
fn pdf_structures_that_would_overflow_the_stack_or_hang() {
    // A form XObject that draws itself.
    let mut b = Builder::new();
    let form_id = b.doc.new_object_id();
    let form = Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 10.into(), 10.into()],
        "Resources" => dictionary! { "XObject" => dictionary! { "Fm1" => form_id } } },
        b"/Fm1 Do".to_vec(),
    );
    b.doc.objects.insert(form_id, Object::Stream(form));
    b.page(
        b"BT /F1 11 Tf 72 700 Td (Before the form.) Tj ET /Fm1 Do",
        dictionary! { "XObject" => dictionary! { "Fm1" => form_id } },
    );
    b.text_page(&["A normal page."]);
    let doc = read_bytes(&b.finish(), Format::Pdf, &Limits::default()).unwrap();
    assert_eq!(doc.blocks.len(), 1);
    assert_eq!(doc.blocks[0].page, Some(2));
    assert_eq!(
        doc.warnings,
        ["page 1 was skipped: its drawings are nested in a cycle"]
    );

    // Forms nested so that drawing the page would take 2^40 steps.
    let mut b = Builder::new();
    let ids: Vec<_> = (0..41).map(|_| b.doc.new_object_id()).collect();
    for i in 0..41 {
        let (content, resources) = if i < 40 {
            (
                b"/F Do /F Do".to_vec(),
                dictionary! { "XObject" => dictionary! { "F" => ids[i + 1] } },
            )
        } else {
            (b"0 0 m 1 1 l S".to_vec(), dictionary! {})
        };
        let dict = dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 1.into(), 1.into()], "Resources" => resources };
        b.doc
            .objects
            .insert(ids[i], Object::Stream(Stream::new(dict, content)));
    }
    b.page(
        b"/F Do",
        dictionary! { "XObject" => dictionary! { "F" => ids[0] } },
    );
    b.text_page(&["Readable."]);
    let doc = read_bytes(&b.finish(), Format::Pdf, &Limits::default()).unwrap();
    assert_eq!(
        doc.warnings,
        ["page 1 was skipped: its drawings are nested too deeply"]
    );

    // A page whose /Parent is itself: pdf-extract climbs /Parent for inherited values.
    let mut b = Builder::new();
    let page = b.text_page(&["Loop."]);
    b.doc.get_dictionary_mut(page).unwrap().set("Parent", page);
    b.doc.get_dictionary_mut(page).unwrap().remove(b"Resources");
    let err = read_bytes(&b.finish(), Format::Pdf, &Limits::default()).unwrap_err();
    assert!(
        err.to_string().contains("its page tree has a cycle"),
        "{err}"
    );

    // An outline whose items point back at each other.
    let mut b = Builder::new();
    b.text_page(&["Outline loops."]);
    let mut doc = b.finish_doc();
    let (root, one, two) = (
        doc.new_object_id(),
        doc.new_object_id(),
        doc.new_object_id(),
    );
    doc.objects.insert(
        root,
        Object::Dictionary(dictionary! { "Type" => "Outlines", "First" => one }),
    );
    doc.objects.insert(
        one,
        Object::Dictionary(
            dictionary! { "Title" => Object::string_literal("One"), "Next" => two, "First" => one },
        ),
    );
    doc.objects.insert(
        two,
        Object::Dictionary(dictionary! { "Title" => Object::string_literal("Two"), "Next" => one }),
    );
    doc.catalog_mut().unwrap().set("Outlines", root);
    let doc = read_bytes(
        &common::pdf::save(&mut doc),
        Format::Pdf,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(doc.blocks[0].text, "Outline loops.");

    // Arrays nested 100,000 deep in a content stream.
    let mut b = Builder::new();
    let mut content = b"BT /F1 11 Tf 72 700 Td (Deep.) Tj ET ".to_vec();
    content.extend(std::iter::repeat_n(b'[', 100_000));
    content.extend(std::iter::repeat_n(b']', 100_000));
    content.extend_from_slice(b" TJ");
    b.page(&content, dictionary! {});
    let result = read_bytes(&b.finish(), Format::Pdf, &Limits::default());
    match result {
        Ok(doc) => assert_eq!(doc.blocks[0].text, "Deep."),
        Err(err) => assert!(matches!(err, DocError::Corrupt { .. }), "{err}"),
    }
}

#[test]
fn pdf_stream_bombs_are_refused() {
    let mut zeros = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    zeros.write_all(&vec![b' '; 8 << 20]).unwrap();
    let compressed = zeros.finish().unwrap();
    let mut b = Builder::new();
    b.text_page(&["Some text."]);
    let id = b.doc.add_object(
        Stream::new(dictionary! { "Filter" => "FlateDecode" }, compressed).with_compression(false),
    );
    let page = b.page(b"", dictionary! {});
    b.doc.get_dictionary_mut(page).unwrap().set("Contents", id);
    let bytes = b.finish();
    let limits = Limits {
        max_pdf_stream_bytes: 1 << 20,
        ..Limits::default()
    };
    let err = read_bytes(&bytes, Format::Pdf, &limits).unwrap_err();
    assert!(
        matches!(err, DocError::ZipBomb { format: "pdf", .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("inflates to more than 1048576 bytes"),
        "{err}"
    );
    // The same file within the default limits reads.
    let doc = read_bytes(&bytes, Format::Pdf, &Limits::default()).unwrap();
    assert_eq!(doc.blocks[0].text, "Some text.");
}

#[test]
fn pdf_without_text_is_reported_as_scanned() {
    let mut b = Builder::new();
    let image = b.doc.add_object(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 2, "Height" => 2, "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8 },
        vec![0, 255, 255, 0],
    ));
    for _ in 0..3 {
        b.page(
            b"q 500 0 0 700 50 50 cm /Im1 Do Q",
            dictionary! { "XObject" => dictionary! { "Im1" => image } },
        );
    }
    let err = read_bytes(&b.finish(), Format::Pdf, &Limits::default()).unwrap_err();
    assert!(matches!(err, DocError::NoTextLayer { pages: 3 }), "{err}");
    assert!(err.to_string().contains("reading it needs OCR"), "{err}");
}

#[test]
fn pdf_page_and_text_limits() {
    let path = testdata("r-doc-pdf/R-exts.pdf");
    let limits = Limits {
        max_pages: 10,
        ..Limits::default()
    };
    let doc = read_path(&path, &limits).unwrap();
    assert_eq!(doc.pages, Some(236));
    assert!(doc.blocks.iter().all(|b| b.page.is_some_and(|p| p <= 10)));
    assert_eq!(
        doc.warnings,
        ["the pdf has 236 pages; only the first 10 were read"]
    );
    let limits = Limits {
        max_text_bytes: 50_000,
        ..Limits::default()
    };
    let doc = read_path(&path, &limits).unwrap();
    assert!(doc.blocks.iter().map(|b| b.text.len()).sum::<usize>() <= 50_000);
    assert!(
        doc.warnings
            .iter()
            .any(|w| w.contains("more than 50000 bytes of text")),
        "{:?}",
        doc.warnings
    );
}

#[test]
fn text_limit_on_plain_text() {
    let text = "A line of text that repeats.\n\n".repeat(100_000);
    let limits = Limits {
        max_text_bytes: 100_000,
        ..Limits::default()
    };
    let doc = read_bytes(text.as_bytes(), Format::Text, &limits).unwrap();
    assert!(doc.blocks.len() < 4000);
    assert_eq!(doc.warnings.len(), 1);
}

#[test]
fn html_boilerplate_and_deep_nesting() {
    let page = r#"<html><head><title>T</title><style>body{}</style><script>document.write("no")</script></head>
        <body><noscript>Enable JavaScript</noscript><template><p>hidden</p></template>
        <nav><ul><li>Home</li></ul></nav><div hidden>gone</div><div aria-hidden="true">gone</div>
        <svg><text>drawing</text></svg><form><input value="x"><button>Send</button></form>
        <p>Kept <script>var x;</script>text.</p><p>Unclosed <b>bold<p>next"#;
    let doc = read_bytes(page.as_bytes(), Format::Html, &Limits::default()).unwrap();
    let texts: Vec<&str> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(texts, ["Kept text.", "Unclosed bold", "next"]);

    let depth = 100_000;
    let deep = "<div>".repeat(depth) + "deep text" + &"</div>".repeat(depth);
    let doc = read_bytes(deep.as_bytes(), Format::Html, &Limits::default()).unwrap();
    assert_eq!(
        doc.blocks.last().map(|b| b.text.as_str()),
        Some("deep text")
    );
    // Text at every level. Beyond 512 levels the tags are left out (html5ever's time
    // grows with the square of the depth); no text is lost.
    let texty = "<div>x".repeat(100_000);
    let doc = read_bytes(texty.as_bytes(), Format::Html, &Limits::default()).unwrap();
    assert_eq!(doc.blocks.len(), 512);
    let xs: usize = doc.blocks.iter().map(|b| b.text.matches('x').count()).sum();
    assert_eq!(xs, 100_000);
    let lists = "<ul><li>".repeat(5_000) + "item" + &"</li></ul>".repeat(5_000);
    let doc = read_bytes(lists.as_bytes(), Format::Html, &Limits::default()).unwrap();
    assert!(matches!(
        doc.blocks.last().map(|b| b.kind),
        Some(BlockKind::ListItem { .. })
    ));
}

#[test]
fn markdown_deep_nesting() {
    let quotes = ">".repeat(50_000) + " deep";
    let doc = read_bytes(quotes.as_bytes(), Format::Markdown, &Limits::default()).unwrap();
    assert_eq!(doc.blocks.last().map(|b| b.text.as_str()), Some("deep"));
    let stairs: String = (1..=3_000).map(|i| ">".repeat(i) + " x\n\n").collect();
    let doc = read_bytes(stairs.as_bytes(), Format::Markdown, &Limits::default()).unwrap();
    assert_eq!(doc.blocks.len(), 3_000);
    assert!(doc.blocks.iter().all(|b| b.kind == BlockKind::Quote));
    let list: String = (0..2_000)
        .map(|i| format!("{}- item {i}\n", "  ".repeat(i)))
        .collect();
    let doc = read_bytes(list.as_bytes(), Format::Markdown, &Limits::default()).unwrap();
    assert!(doc.blocks.iter().all(|b| matches!(
        b.kind,
        BlockKind::ListItem { .. } | BlockKind::Code | BlockKind::Paragraph
    )));
}

#[test]
fn missing_files_and_directories() {
    let dir = tempfile::tempdir().unwrap();
    let err = read(&dir.path().join("nope.pdf")).unwrap_err();
    assert!(matches!(err.inner(), DocError::Io { .. }), "{err}");
    assert!(
        err.to_string().contains("nope.pdf") && err.to_string().contains("check that it exists"),
        "{err}"
    );
    let err = read(dir.path()).unwrap_err();
    assert!(matches!(err.inner(), DocError::Io { .. }), "{err}");
}
