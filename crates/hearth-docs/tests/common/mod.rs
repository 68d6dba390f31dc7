//! Where the real test documents are: .testdata/ at the workspace root, filled by
//! scripts/fetch-test-docs.sh. A missing file fails the test with that instruction; it
//! is never a reason to skip.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};

use hearth_docs::{BlockKind, DocError, Document, Limits};

pub fn testdata(relative: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.testdata")
        .join(relative);
    assert!(
        path.exists(),
        "{} is missing: run scripts/fetch-test-docs.sh (it fetches the test documents from apt and npm)",
        path.display()
    );
    path
}

/// Every file in a .testdata folder with one of the extensions, sorted.
pub fn testdata_files(dir: &str, extensions: &[&str]) -> Vec<PathBuf> {
    let dir = testdata(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/fetch-test-docs.sh", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            extensions.iter().any(|ext| name.ends_with(ext))
        })
        .collect();
    files.sort();
    files
}

/// A zip archive of the given entries, for generated office files.
pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub fn read(path: &Path) -> Document {
    hearth_docs::read_path(path, &Limits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn read_err(path: &Path) -> DocError {
    match hearth_docs::read_path(path, &Limits::default()) {
        Ok(doc) => panic!(
            "{} read without error: {:?}",
            path.display(),
            &doc.blocks[..doc.blocks.len().min(3)]
        ),
        Err(e) => e,
    }
}

/// (level, text, page) of every heading.
pub fn headings(doc: &Document) -> Vec<(u8, &str, Option<u32>)> {
    doc.blocks
        .iter()
        .filter_map(|b| match b.kind {
            BlockKind::Heading { level } => Some((level, b.text.as_str(), b.page)),
            _ => None,
        })
        .collect()
}

/// Blocks carry page numbers within the document, never going backwards.
pub fn assert_pages_in_order(doc: &Document) {
    let pages = doc.pages.expect("a paged document has a page count");
    let mut last = 0;
    for block in &doc.blocks {
        let page = block
            .page
            .unwrap_or_else(|| panic!("block without a page: {block:?}"));
        assert!(
            page >= 1 && page <= pages,
            "page {page} outside 1..={pages}"
        );
        assert!(page >= last, "page {page} after page {last}");
        last = page;
    }
}

/// Small PDFs built with lopdf (re-exported by pdf-extract), for hostile cases that no
/// real file has: a Helvetica font F1 is in every page's resources.
pub mod pdf {
    use pdf_extract::{dictionary, Dictionary, Document, Object, ObjectId, Stream};

    pub struct Builder {
        pub doc: Document,
        pages_id: ObjectId,
        pub font_id: ObjectId,
        kids: Vec<Object>,
    }

    impl Builder {
        pub fn new() -> Self {
            let mut doc = Document::with_version("1.5");
            let pages_id = doc.new_object_id();
            let font_id = doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
                "Encoding" => "WinAnsiEncoding",
            });
            Builder {
                doc,
                pages_id,
                font_id,
                kids: Vec::new(),
            }
        }

        /// A text page: "BT /F1 12 Tf 72 Y Td (line) Tj ET" for each line.
        pub fn text_page(&mut self, lines: &[&str]) -> ObjectId {
            let mut content = String::new();
            for (i, line) in lines.iter().enumerate() {
                content.push_str(&format!(
                    "BT /F1 11 Tf 72 {} Td ({line}) Tj ET\n",
                    760 - 14 * i
                ));
            }
            self.page(content.as_bytes(), dictionary! {})
        }

        /// A page with raw content and extra resources (F1 is always added).
        pub fn page(&mut self, content: &[u8], mut resources: Dictionary) -> ObjectId {
            resources.set("Font", dictionary! { "F1" => self.font_id });
            let content_id = self
                .doc
                .add_object(Stream::new(dictionary! {}, content.to_vec()));
            let page_id = self.doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => self.pages_id, "Contents" => content_id,
                "Resources" => resources,
            });
            self.kids.push(page_id.into());
            page_id
        }

        pub fn finish(self) -> Vec<u8> {
            save(&mut self.finish_doc())
        }

        pub fn finish_doc(mut self) -> Document {
            let count = self.kids.len() as i64;
            self.doc.objects.insert(
                self.pages_id,
                Object::Dictionary(dictionary! {
                    "Type" => "Pages", "Kids" => self.kids, "Count" => count,
                    "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                }),
            );
            let catalog = self
                .doc
                .add_object(dictionary! { "Type" => "Catalog", "Pages" => self.pages_id });
            self.doc.trailer.set("Root", catalog);
            self.doc
        }
    }

    pub fn save(doc: &mut Document) -> Vec<u8> {
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        bytes
    }
}
