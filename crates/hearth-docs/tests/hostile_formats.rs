//! Hostile and broken files in the office, spreadsheet, RTF and mail formats, generated
//! here: zip bombs, spreadsheets that claim a billion cells, references that point out of
//! the package, RTF nested past any real file, binary data, MIME nested thousands deep.
//! Each ends in a clear [`DocError`] or a document bounded by the limits, never in a
//! panic, a stack overflow or unbounded memory.

mod common;

use common::zip;
use hearth_docs::{read_bytes, BlockKind, DocError, Document, Format, Limits};

fn read(bytes: &[u8], format: Format) -> Result<Document, DocError> {
    read_bytes(bytes, format, &Limits::default())
}

fn cells(doc: &Document) -> usize {
    doc.blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Table)
        .flat_map(|b| b.text.lines())
        .map(|l| l.split(" | ").count())
        .sum()
}

const RELS: &str = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="MAIN"/></Relationships>"#;

fn xlsx(sheet_xml: &str, strings: &str) -> Vec<u8> {
    let workbook = r#"<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    let book_rels = r#"<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="x/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
    zip(&[
        (
            "_rels/.rels",
            RELS.replace("MAIN", "xl/workbook.xml").as_bytes(),
        ),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", book_rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet_xml.as_bytes()),
        ("xl/sharedStrings.xml", strings.as_bytes()),
    ])
}

fn ods(table_xml: &str) -> Vec<u8> {
    let content = format!(
        r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet>{table_xml}</office:spreadsheet></office:body></office:document-content>"#
    );
    zip(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("content.xml", content.as_bytes()),
    ])
}

fn odt(body_xml: &str, manifest: &str) -> Vec<u8> {
    let content = format!(
        r#"<office:document-content xmlns:office="o" xmlns:text="x"><office:body><office:text>{body_xml}</office:text></office:body></office:document-content>"#
    );
    zip(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("META-INF/manifest.xml", manifest.as_bytes()),
        ("content.xml", content.as_bytes()),
    ])
}

#[test]
fn zip_bombs_in_every_zip_format() {
    let mut xml = String::from("<x>");
    while xml.len() < 64 << 20 {
        xml.push_str("<p>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</p>");
    }
    xml.push_str("</x>");
    for (format, name, main) in [
        (Format::Odt, "odt", "content.xml"),
        (Format::Ods, "ods", "content.xml"),
        (Format::Xlsx, "xlsx", "xl/workbook.xml"),
        (Format::Pptx, "pptx", "ppt/presentation.xml"),
    ] {
        let bytes = zip(&[
            ("_rels/.rels", RELS.replace("MAIN", main).as_bytes()),
            (main, xml.as_bytes()),
        ]);
        assert!(bytes.len() < 1 << 20, "the bomb is small");
        let err = read(&bytes, format).unwrap_err();
        assert!(
            matches!(&err, DocError::ZipBomb { format, .. } if *format == name),
            "{name}: {err}"
        );
    }
}

#[test]
fn ods_repeats_cannot_fill_memory() {
    // LibreOffice's own empty tail: 16,000 empty cells, a million empty rows.
    let tail = r#"<table:table table:name="T"><table:table-row><table:table-cell><text:p>a</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16383"/></table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>"#;
    let doc = read(&ods(tail), Format::Ods).unwrap();
    assert_eq!(cells(&doc), 1);
    assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);

    // A value repeated a billion times across and down.
    let bomb = r#"<table:table table:name="T"><table:table-row table:number-rows-repeated="1000000000"><table:table-cell table:number-columns-repeated="1000000000"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#;
    let doc = read(&ods(bomb), Format::Ods).unwrap();
    assert!(cells(&doc) <= Limits::default().max_table_cells);
    assert!(!doc.warnings.is_empty());

    // A long value repeated across a row is capped by bytes too.
    // Letters that do not compress, so the zip guard lets the file through.
    let long: String = (0..1u32 << 20)
        .map(|i| (b'a' + (i.wrapping_mul(2_654_435_761) >> 27) as u8 % 26) as char)
        .collect();
    let wide = format!(
        r#"<table:table table:name="T"><table:table-row><table:table-cell table:number-columns-repeated="1000"><text:p>{long}</text:p></table:table-cell></table:table-row></table:table>"#
    );
    let limits = Limits {
        max_text_bytes: 8 << 20,
        ..Limits::default()
    };
    let doc = read_bytes(&ods(&wide), Format::Ods, &limits).unwrap();
    assert!(doc.text_len() <= 8 << 20);
}

#[test]
fn xlsx_far_cells_bad_indexes_and_the_cell_cap() {
    let far = r#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="XFD1048576"><v>1</v></c><c r="B1" t="s"><v>99999</v></c><c r="C1" t="s"><v>-1</v></c></row></sheetData></worksheet>"#;
    let doc = read(&xlsx(far, "<sst><si><t>first</t></si></sst>"), Format::Xlsx).unwrap();
    let table = doc
        .blocks
        .iter()
        .find(|b| b.kind == BlockKind::Table)
        .unwrap();
    assert_eq!(table.text, "first");
    assert!(
        doc.warnings.iter().any(|w| w.contains("beyond column")),
        "{:?}",
        doc.warnings
    );

    let mut rows = String::from("<worksheet><sheetData>");
    for r in 1..=2000 {
        rows.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>2</v></c></row>"#
        ));
    }
    rows.push_str("</sheetData></worksheet>");
    let limits = Limits {
        max_table_cells: 100,
        ..Limits::default()
    };
    let doc = read_bytes(&xlsx(&rows, "<sst/>"), Format::Xlsx, &limits).unwrap();
    assert!(cells(&doc) <= 100, "{}", cells(&doc));
    assert!(
        doc.warnings.iter().any(|w| w.contains("more cells")),
        "{:?}",
        doc.warnings
    );

    let err = read(
        &xlsx("<worksheet><sheetData></row></worksheet>", "<sst/>"),
        Format::Xlsx,
    )
    .unwrap_err();
    assert!(
        matches!(err, DocError::Corrupt { format: "xlsx", .. }),
        "{err}"
    );
}

#[test]
fn pptx_references_stay_inside_the_package() {
    let presentation = r#"<p:presentation xmlns:p="p" xmlns:r="r"><p:sldIdLst><p:sldId id="256" r:id="rId1"/><p:sldId id="257" r:id="rId2"/><p:sldId id="258" r:id="rId9"/></p:sldIdLst></p:presentation>"#;
    let rels = r#"<Relationships><Relationship Id="rId1" Type="x/slide" Target="../../../../etc/passwd"/><Relationship Id="rId2" Type="x/slide" Target="slides/slide1.xml"/></Relationships>"#;
    let slide = r#"<p:sld xmlns:p="p" xmlns:a="a"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>Inside</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#;
    let bytes = zip(&[
        (
            "_rels/.rels",
            RELS.replace("MAIN", "ppt/presentation.xml").as_bytes(),
        ),
        ("ppt/presentation.xml", presentation.as_bytes()),
        ("ppt/_rels/presentation.xml.rels", rels.as_bytes()),
        ("ppt/slides/slide1.xml", slide.as_bytes()),
    ]);
    let doc = read(&bytes, Format::Pptx).unwrap();
    assert_eq!(doc.plain_text(), "Slide 2\n\nInside");
    assert!(
        doc.warnings.iter().any(|w| w.contains("2 slide(s)")),
        "{:?}",
        doc.warnings
    );
}

#[test]
fn encrypted_and_mislabelled_office_files() {
    let manifest = r#"<manifest:manifest xmlns:manifest="m"><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>"#;
    let err = read(&odt("<text:p>x</text:p>", manifest), Format::Odt).unwrap_err();
    assert!(
        matches!(err, DocError::Encrypted { format: "odt", .. }),
        "{err}"
    );

    // An OpenDocument text named .ods says what it is.
    let err = read(&odt("<text:p>x</text:p>", "<m/>"), Format::Ods).unwrap_err();
    assert!(err.to_string().contains("opendocument.text"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let ole = dir.path().join("locked.xlsx");
    std::fs::write(&ole, [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]).unwrap();
    let err = hearth_docs::read_path(&ole, &Limits::default()).unwrap_err();
    assert!(
        matches!(err.inner(), DocError::Encrypted { format: "xlsx", .. }),
        "{err}"
    );

    // A zip with no extension is told apart by what it holds.
    let sheet = xlsx(
        r#"<worksheet><sheetData><row><c t="inlineStr"><is><t>hi</t></is></c></row></sheetData></worksheet>"#,
        "<sst/>",
    );
    let unnamed = dir.path().join("download");
    std::fs::write(&unnamed, &sheet).unwrap();
    let doc = hearth_docs::read_path(&unnamed, &Limits::default()).unwrap();
    assert_eq!(doc.format, Format::Xlsx);
}

#[test]
fn odt_nesting_notes_and_comments() {
    let mut nested = String::new();
    for _ in 0..3000 {
        nested.push_str("<text:list><text:list-item>");
    }
    nested.push_str("<text:p>deep</text:p>");
    for _ in 0..3000 {
        nested.push_str("</text:list-item></text:list>");
    }
    let body = format!(
        "{nested}<text:p>Seen<office:annotation><text:p>a private comment</text:p></office:annotation> text<text:note><text:note-citation>1</text:note-citation><text:note-body><text:p>The note.</text:p></text:note-body></text:note>.</text:p>"
    );
    let doc = read(&odt(&body, "<m/>"), Format::Odt).unwrap();
    let texts: Vec<&str> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(texts, ["deep", "Seen text[^1].", "[^1]: The note."]);
    assert_eq!(
        doc.blocks[0].kind,
        BlockKind::ListItem {
            ordered: false,
            depth: 8
        }
    );
}

#[test]
fn rtf_that_would_hang_or_overflow() {
    let deep = format!("{{\\rtf1 {}x{}}}", "{".repeat(100_000), "}".repeat(100_000));
    assert!(matches!(
        read(deep.as_bytes(), Format::Rtf),
        Err(DocError::Corrupt { format: "rtf", .. })
    ));
    let odd = format!(
        "{{\\rtf1 a\\u-99999? b\\'zz c\\fs99999999999999999999 d\\{} e\\bin18446744073709551615 }}",
        "x".repeat(10_000)
    );
    let doc = read(odd.as_bytes(), Format::Rtf).unwrap();
    assert!(doc.plain_text().starts_with("a"), "{}", doc.plain_text());
    // Unterminated: what was read is kept.
    let doc = read(b"{\\rtf1\\ansi Unfinished business", Format::Rtf).unwrap();
    assert_eq!(doc.plain_text(), "Unfinished business");
    assert!(read(b"plain words", Format::Rtf).is_err());
}

#[test]
fn csv_junk_and_broken_quoting() {
    let junk: Vec<u8> = (0..65_536u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let err = read(&junk, Format::Csv).unwrap_err();
    assert!(matches!(err, DocError::NotText { .. }), "{err}");
    let doc = read(b"a,b\n\"never closed,1\n2,3\n", Format::Csv).unwrap();
    assert!(
        doc.plain_text().starts_with("a | b"),
        "{}",
        doc.plain_text()
    );
}

#[test]
fn mail_nesting_junk_and_huge_mailboxes() {
    let mut nested = String::from("From: a@example.org\r\nSubject: deep\r\n");
    for i in 0..5000 {
        nested.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    nested.push_str("Content-Type: text/plain\r\n\r\ninnermost\r\n");
    let doc = read(nested.as_bytes(), Format::Email).unwrap();
    assert_eq!(doc.title.as_deref(), Some("deep"));

    let err = read(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", Format::Email).unwrap_err();
    assert!(
        matches!(err, DocError::Corrupt { format: "eml", .. }),
        "{err}"
    );

    let mut mbox = String::new();
    for i in 0..20_000 {
        mbox.push_str(&format!(
            "From a@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nSubject: n{i}\n\nbody {i}\n\n"
        ));
    }
    let limits = Limits {
        max_text_bytes: 64 * 1024,
        ..Limits::default()
    };
    let doc = read_bytes(mbox.as_bytes(), Format::Mbox, &limits).unwrap();
    assert!(doc.text_len() <= 64 * 1024);
    assert!(
        doc.warnings.iter().any(|w| w.contains("not read")),
        "{:?}",
        doc.warnings
    );
}
