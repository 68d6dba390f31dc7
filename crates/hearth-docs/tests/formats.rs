//! Real files in the formats beyond PDF, HTML, docx and epub, each from a package someone
//! else made (scripts/fetch-test-docs.sh fetches them into .testdata/formats/ and checks
//! their hashes): OpenDocument text and spreadsheets (Debian python-odf-doc, PyPI
//! pyexcel-ods3), PowerPoint (Debian r-cran-officer), Excel (Debian r-cran-readxl), CSV
//! (Debian r-cran-palmerpenguins), RTF (PyPI rtf2xml, npm rtf2text), e-mail (the
//! mail-parser crate's real Outlook and Eudora messages) and mailboxes (PyPI perceval's
//! mailing-list archives). What each file says is known, so the checks are on content.

mod common;

use common::{headings, read, testdata};
use hearth_docs::{Block, BlockKind, Document, Format};

fn file(name: &str) -> Document {
    read(&testdata(&format!("formats/{name}")))
}

fn tables(doc: &Document) -> Vec<&Block> {
    doc.blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Table)
        .collect()
}

/// Every line of every table block, in order.
fn table_lines(doc: &Document) -> Vec<&str> {
    tables(doc).iter().flat_map(|b| b.text.lines()).collect()
}

fn has_block(doc: &Document, kind: BlockKind, text: &str) -> bool {
    doc.blocks.iter().any(|b| b.kind == kind && b.text == text)
}

#[test]
fn odt_api_manual() {
    let doc = file("api-for-odfpy.odt");
    assert_eq!(doc.format, Format::Odt);
    assert_eq!(
        doc.title.as_deref(),
        Some("Application Programmer's Interface for ODFPY")
    );
    let found = headings(&doc);
    assert!(found.contains(&(1, "Introduction", None)), "{found:?}");
    assert!(
        found.contains(&(2, "About OpenDocument", None)),
        "{found:?}"
    );
    // The table of contents is generated from the headings and is not read twice.
    assert_eq!(found.iter().filter(|h| h.1 == "Introduction").count(), 1);
    assert!(has_block(
        &doc,
        BlockKind::ListItem {
            ordered: false,
            depth: 0
        },
        "automaticstyles"
    ));
    assert!(doc.plain_text().contains("Søren Roug"));
    assert!(doc.text_len() > 200_000, "{}", doc.text_len());
    assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
}

#[test]
fn ods_country_statistics_and_german_formats() {
    let doc = file("countrystatistics.ods");
    assert_eq!(doc.format, Format::Ods);
    let sheets: Vec<&str> = headings(&doc).iter().map(|h| h.1).collect();
    assert_eq!(sheets, ["Population", "HDI"]);
    let lines = table_lines(&doc);
    assert_eq!(
        lines[0],
        "Country | Population in millions | Area km2 | Pop. density People/km2"
    );
    assert!(
        lines.contains(&"Germany | 82.3 | 357,021 | 231"),
        "{lines:?}"
    );
    assert!(lines.contains(&"1 | Iceland | 968"), "{lines:?}");

    // Cells read as LibreOffice shows them in a German locale.
    let doc = file("pyexcel-ods-formats-de.ods");
    let lines = table_lines(&doc);
    assert_eq!(
        lines[1],
        "11.11.14 | 11:12:12 | WAHR | 11,11 | £1 | 200,00% | 3 | 1,00E+005 | 1 1/4 | abc"
    );
}

#[test]
fn pptx_slides_are_pages() {
    let doc = file("officer-example.pptx");
    assert_eq!(doc.format, Format::Pptx);
    assert_eq!(doc.pages, Some(3));
    assert_eq!(
        headings(&doc),
        [
            (2, "Title", Some(1)),
            (2, "Hi", Some(2)),
            (2, "Slide 3", Some(3))
        ]
    );
    let table = tables(&doc)[0];
    assert_eq!(table.page, Some(1));
    assert!(table
        .text
        .starts_with("Header 1 | Header 2 | Header 3\nA | 12.23 | blah blah"));
    // Bullets keep their levels; numbered bullets are ordered.
    let slide2: Vec<(BlockKind, &str)> = doc
        .blocks
        .iter()
        .filter(|b| b.page == Some(2))
        .map(|b| (b.kind, b.text.as_str()))
        .collect();
    assert!(slide2.contains(&(
        BlockKind::ListItem {
            ordered: false,
            depth: 2
        },
        "list of paragraphs"
    )));
    assert!(slide2.contains(&(
        BlockKind::ListItem {
            ordered: true,
            depth: 0
        },
        "This is an ordered"
    )));
}

#[test]
fn xlsx_sheets_numbers_and_dates() {
    let doc = file("readxl-datasets.xlsx");
    assert_eq!(doc.format, Format::Xlsx);
    let sheets: Vec<&str> = headings(&doc).iter().map(|h| h.1).collect();
    assert_eq!(sheets, ["iris", "mtcars", "chickwts", "quakes"]);
    let lines = table_lines(&doc);
    let header = "Sepal.Length | Sepal.Width | Petal.Length | Petal.Width | Species";
    assert_eq!(lines[0], header);
    assert_eq!(lines[1], "5.1 | 3.5 | 1.4 | 0.2 | setosa");
    // 150 flowers, the header repeated at the top of each later block of rows.
    let all = tables(&doc);
    let iris: Vec<&&Block> = all
        .iter()
        .take_while(|b| b.text.starts_with(header))
        .collect();
    let rows: usize = iris.iter().map(|b| b.text.lines().count() - 1).sum();
    assert_eq!(rows, 150);
    assert!(
        lines.contains(&"-20.42 | 181.62 | 562 | 4.8 | 41"),
        "quakes' first row"
    );

    // Dates stored as serial numbers read as dates; booleans as Excel shows them.
    let doc = file("readxl-deaths.xlsx");
    let lines = table_lines(&doc);
    assert!(
        lines.contains(&"David Bowie | musician | 69 | TRUE | 1947-01-08 | 2016-01-10"),
        "{lines:?}"
    );
    assert!(lines.contains(&"Vera Rubin | scientist | 88 | TRUE | 1928-07-23 | 2016-12-25"));
}

#[test]
fn csv_penguins() {
    let doc = file("penguins_raw.csv");
    assert_eq!(doc.format, Format::Csv);
    assert_eq!(doc.encoding.as_deref(), Some("UTF-8"));
    let blocks = tables(&doc);
    let header = blocks[0].text.lines().next().unwrap();
    assert!(header.starts_with("studyName | Sample Number | Species"));
    let rows: usize = blocks.iter().map(|b| b.text.lines().count() - 1).sum();
    assert_eq!(rows, 344);
    // A quoted field with a comma stays one cell.
    assert!(table_lines(&doc)[1].contains(" | Adult, 1 Egg Stage | "));
    assert!(blocks.iter().all(|b| b.text.starts_with(header)));
}

#[test]
fn rtf_from_word_and_wordpad() {
    let doc = file("rtf2text-sample.rtf");
    assert_eq!(doc.format, Format::Rtf);
    assert_eq!(
        doc.title.as_deref(),
        Some("It is an example test rtf-file to RTF2XML bean for testing")
    );
    let lines = table_lines(&doc);
    assert_eq!(
        lines[..2],
        [
            "1st column | 2nd column | 3rd column | 4th column | 5th column",
            "1.1 item | 1.2 item | 1.3 item | 1.4 item | 1.5 item"
        ]
    );
    assert!(has_block(
        &doc,
        BlockKind::ListItem {
            ordered: false,
            depth: 0
        },
        "It is the 1st row of the list"
    ));

    let doc = file("rtf2xml-old1.rtf");
    assert_eq!(doc.blocks[0].text, "Lemon Shark Adoption Report");
    let text = doc.plain_text();
    assert!(
        text.contains("since the early ‘80s adversely affected"),
        "curly quotes from \\'91"
    );
    assert!(doc.text_len() > 8000, "{}", doc.text_len());
    for leaked in ["\\", "{", "}", "fonttbl", "Times New Roman"] {
        assert!(!text.contains(leaked), "control text leaked: {leaked}");
    }
}

#[test]
fn eml_outlook_and_eudora() {
    let doc = file("mail-parser-019.eml");
    assert_eq!(doc.format, Format::Email);
    assert_eq!(
        doc.title.as_deref(),
        Some("Test message from Microsoft Outlook 00")
    );
    assert_eq!(
        tables(&doc)[0].text,
        "From | Doug Sauder <doug@example.com>\nTo | Joe Blow <jblow@example.com>\nDate | 2000-05-17T19:42:10-04:00"
    );
    assert!(doc.plain_text().contains("Slow but steady wins the race."));
    assert!(has_block(
        &doc,
        BlockKind::Paragraph,
        "Attachments: greenball.png (image/png, 2 KB); redball.png (image/png, 2 KB)"
    ));

    // German, ISO-8859-1 encoded words and a quoted-printable body.
    let doc = file("mail-parser-015-de.eml");
    assert_eq!(doc.title.as_deref(), Some("Die Hasen und die Frösche"));
    assert!(tables(&doc)[0]
        .text
        .contains("To | Heinz Müller <mueller@example.com>"));
    assert!(doc
        .plain_text()
        .contains("daß sie aufs schnellste untertauchten"));
}

#[test]
fn mbox_one_section_per_message() {
    let doc = file("perceval-pipermail.mbox");
    assert_eq!(doc.format, Format::Mbox);
    let messages: Vec<&str> = headings(&doc)
        .iter()
        .filter(|h| h.0 == 2)
        .map(|h| h.1)
        .collect();
    assert_eq!(messages.len(), 4);
    assert!(messages
        .iter()
        .all(|m| m.contains("Docker and MetricsGrimoire")));
    assert!(tables(&doc)[1]
        .text
        .contains("jgb at gsyc.es (Jesus M. Gonzalez-Barahona)"));
    // The reply quotes the first message; quoted lines are quotes.
    assert!(doc
        .blocks
        .iter()
        .any(|b| b.kind == BlockKind::Quote && b.text.starts_with("Hey,")));

    let doc = file("perceval-complex.mbox");
    let senders: Vec<&str> = tables(&doc)
        .iter()
        .filter_map(|t| t.text.lines().next())
        .collect();
    assert_eq!(
        senders,
        [
            "From | Eugenia Loli-Queru <eloli@hotmail.com>",
            "From | Danilo Šegan <danilo@gnome.org>"
        ]
    );
}

#[test]
fn every_format_file_reads_without_warnings() {
    let files = common::testdata_files(
        "formats",
        &[
            ".odt", ".ods", ".pptx", ".xlsx", ".csv", ".rtf", ".eml", ".mbox",
        ],
    );
    assert_eq!(files.len(), 13, "{files:?}");
    for path in files {
        let doc = read(&path);
        assert!(
            doc.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            doc.warnings
        );
        assert!(doc.text_len() > 200, "{}", path.display());
    }
}
