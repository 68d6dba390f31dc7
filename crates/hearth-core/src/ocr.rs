//! OCR on the facade: documents whose pages are pictures (scanned PDFs, photos of
//! letters, screenshots) are read by [`hearth_ocr`] in a child process, and their text
//! joins the document at its page, so summaries cite "p. 4" of a scan as they do for a
//! digital PDF.
//!
//! Languages: the `ocr_languages` setting when set; else English with the system's
//! language, then the language the first page turns out to be in (whatlang on its
//! text), when that language's data is installed. A language without data is named
//! with the package that brings it.

use hearth_docs::{Block, BlockKind, DocError, Document, Format};
use hearth_ocr::client::{self, Job, Runner};
use hearth_ocr::{languages, OcrError, PageText, Source};
use serde::{Deserialize, Serialize};

use crate::documents::Cancellation;
use crate::error::{CoreError, Result};
use crate::hearth::{Hearth, Isolation};

/// Pages read with less mean confidence than this are named in a warning.
const LOW_CONFIDENCE: u8 = 70;

/// An image is taken to hold no text when OCR finds fewer words than this, or reads
/// them with less confidence than [`NO_TEXT_CONFIDENCE`] (photos yield a few
/// "words" of noise).
const MIN_WORDS: u32 = 3;
const NO_TEXT_CONFIDENCE: u8 = 40;

/// OCR's progress through a document: `done` of `total` pages read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OcrProgress {
    pub page: u32,
    pub done: u32,
    pub total: u32,
}

/// The OCR child's main, for `hearth ocr-worker` and the desktop app.
pub fn serve_worker() -> i32 {
    hearth_ocr::worker::serve_stdio()
}

impl Hearth {
    /// Completes what a reader made of `bytes` with OCR where it found pictures instead
    /// of text: a PDF with no text layer, the scanned pages of one that has some, an
    /// image. Anything else comes back as it was.
    pub fn complete_with_ocr(
        &self,
        read: std::result::Result<Document, DocError>,
        bytes: &[u8],
        progress: &mut dyn FnMut(OcrProgress),
        cancel: &Cancellation,
    ) -> Result<Document> {
        match read {
            Ok(document) if document.scanned_pages.is_empty() => Ok(document),
            Ok(document) => {
                let pages = document.scanned_pages.clone();
                self.ocr_pages(document, Source::Pdf, bytes, pages, progress, cancel)
            }
            Err(error) => match error.inner() {
                DocError::NoTextLayer { pages } => {
                    let document = empty_document(Format::Pdf, Some(*pages));
                    let all = (1..=*pages).collect();
                    self.ocr_pages(document, Source::Pdf, bytes, all, progress, cancel)
                        .map_err(|e| with_path(e, &error))
                }
                DocError::Image { .. } => {
                    let document = empty_document(Format::Image, Some(1));
                    self.ocr_pages(document, Source::Image, bytes, vec![1], progress, cancel)
                        .map_err(|e| with_path(e, &error))
                }
                _ => Err(error.into()),
            },
        }
    }

    fn ocr_runner(&self) -> Runner {
        match &self.isolation {
            Isolation::Worker { program, .. } => Runner::Child {
                program: program.clone(),
                args: vec!["ocr-worker".into()],
            },
            _ => Runner::InProcess,
        }
    }

    fn ocr_pages(
        &self,
        mut document: Document,
        source: Source,
        bytes: &[u8],
        pages: Vec<u32>,
        progress: &mut dyn FnMut(OcrProgress),
        cancel: &Cancellation,
    ) -> Result<Document> {
        let Some(tessdata) = languages::tessdata_dir() else {
            let missing = OcrError::MissingLanguages {
                missing: "any language".into(),
                packages: "tesseract-ocr-eng".into(),
            };
            if document.blocks.is_empty() {
                return Err(ocr_error(missing));
            }
            document.warnings.push(missing.to_string());
            return Ok(document);
        };
        let installed = languages::installed_in(&tessdata);
        let mut wanted = self.ocr_languages(&installed);
        languages::check(Some(&tessdata), &wanted).map_err(ocr_error)?;
        let runner = self.ocr_runner();
        let total = pages.len() as u32;
        let mut read: Vec<PageText> = Vec::new();
        let mut failed: Vec<(u32, String)> = Vec::new();
        let mut run = |pages: Vec<u32>,
                       languages: &str,
                       read: &mut Vec<PageText>,
                       failed: &mut Vec<(u32, String)>| {
            let job = Job {
                source,
                bytes,
                pages,
                languages: languages.to_string(),
                tessdata: tessdata.clone(),
            };
            client::run(
                &runner,
                &job,
                &mut |page| {
                    match page {
                        Ok(text) => read.push(text),
                        Err(OcrError::Page { page, reason }) => failed.push((page, reason)),
                        Err(other) => failed.push((0, other.to_string())),
                    }
                    let last = read.last().map(|p| p.page).unwrap_or(0);
                    progress(OcrProgress {
                        page: last,
                        done: (read.len() + failed.len()) as u32,
                        total,
                    });
                },
                &|| cancel.is_cancelled(),
            )
        };
        // The first page decides the language when the setting does not.
        let (first, rest) = pages.split_at(1);
        run(first.to_vec(), &wanted, &mut read, &mut failed).map_err(ocr_error)?;
        if self.config().ocr_languages.is_none() {
            if let Some(better) = detected_language(&read, &installed, &wanted) {
                wanted = format!("{better}+{wanted}");
                read.clear();
                failed.clear();
                run(first.to_vec(), &wanted, &mut read, &mut failed).map_err(ocr_error)?;
            }
        }
        run(rest.to_vec(), &wanted, &mut read, &mut failed).map_err(ocr_error)?;
        merge(&mut document, source, &wanted, read, failed)?;
        Ok(document)
    }

    /// The languages to read with: the setting, else English and the system's language,
    /// as far as their data is installed (English alone when nothing else is).
    fn ocr_languages(&self, installed: &[String]) -> String {
        if let Some(set) = self.config().ocr_languages.filter(|s| !s.trim().is_empty()) {
            return set.trim().to_string();
        }
        let mut wanted: Vec<String> = Vec::new();
        if let Some(system) = system_language() {
            let code = languages::tesseract_code(system);
            if installed.contains(&code) {
                wanted.push(code);
            }
        }
        if !wanted.iter().any(|c| c == "eng") {
            wanted.push("eng".into());
        }
        wanted.join("+")
    }
}

/// The language the user's session runs in (`LC_ALL`, `LC_MESSAGES`, `LANG`), as
/// ISO 639-3.
fn system_language() -> Option<&'static str> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty() && v != "C" && v != "POSIX" && !v.starts_with("C."))
        .and_then(|v| crate::documents::language::iso639_3(v.split('.').next().unwrap_or("")))
}

/// A language the first page was written in, installed but not yet read with.
fn detected_language(read: &[PageText], installed: &[String], wanted: &str) -> Option<String> {
    let text: String = read
        .iter()
        .flat_map(|p| p.paragraphs.iter())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n");
    let info = whatlang::detect(&text).filter(|i| i.is_reliable())?;
    let code = languages::tesseract_code(info.lang().code());
    let already = wanted.split('+').any(|w| w == code);
    (!already && installed.contains(&code)).then_some(code)
}

fn empty_document(format: Format, pages: Option<u32>) -> Document {
    let mut document = Document::new(format, Vec::new());
    document.pages = pages;
    document
}

/// OCR's paragraphs into the document at their pages, with warnings for pages read
/// badly or not at all.
fn merge(
    document: &mut Document,
    source: Source,
    languages: &str,
    read: Vec<PageText>,
    failed: Vec<(u32, String)>,
) -> Result<()> {
    let mut low = Vec::new();
    let mut confidences = Vec::new();
    let mut blocks = Vec::new();
    for page in &read {
        if source == Source::Image
            && (page.words < MIN_WORDS || page.confidence < NO_TEXT_CONFIDENCE)
        {
            continue;
        }
        confidences.push(page.confidence as u32);
        if page.confidence < LOW_CONFIDENCE {
            low.push(format!("{} ({}%)", page.page, page.confidence));
        }
        for paragraph in &page.paragraphs {
            blocks.push(Block::new(
                BlockKind::Paragraph,
                paragraph.clone(),
                Some(page.page),
            ));
        }
    }
    let ocr_pages: Vec<u32> = read.iter().map(|p| p.page).collect();
    // Earlier warnings said "no text layer" or "garbled"; now those pages have OCR's
    // text, which replaces a garbled layer's.
    if !ocr_pages.is_empty() {
        document
            .warnings
            .retain(|w| !w.contains("no text layer") && !w.contains("garbled text layer"));
        document
            .blocks
            .retain(|b| !b.page.is_some_and(|p| ocr_pages.contains(&p)));
    }
    document.blocks.extend(blocks);
    // Stable: each page's own blocks keep their order, OCR's follow a page's text.
    document.blocks.sort_by_key(|b| b.page.unwrap_or(0));
    document.scanned_pages.clear();
    if let Some(mean) = confidences
        .iter()
        .sum::<u32>()
        .checked_div(confidences.len() as u32)
    {
        let what = match source {
            Source::Image => "the image was read by OCR".to_string(),
            Source::Pdf => format!(
                "{} read by OCR",
                if read.len() == 1 {
                    format!("page {}", read[0].page)
                } else {
                    format!("{} scanned pages were", read.len())
                }
            ),
        };
        document
            .warnings
            .push(format!("{what} ({languages}, mean confidence {mean}%); check names and numbers against the original"));
    }
    if !low.is_empty() {
        document.warnings.push(format!(
            "read with low confidence, so check their text: page {}",
            low.join(", ")
        ));
    }
    for (page, reason) in failed {
        document
            .warnings
            .push(format!("page {page} could not be read by OCR: {reason}"));
    }
    if document.blocks.is_empty() {
        return Err(CoreError::Document(match source {
            Source::Image => DocError::Unsupported {
                what: "OCR found no text in the image".into(),
            },
            Source::Pdf => DocError::Unsupported {
                what: format!(
                    "OCR found no text on the scanned pages{}",
                    document
                        .warnings
                        .last()
                        .map(|w| format!(" ({w})"))
                        .unwrap_or_default()
                ),
            },
        }));
    }
    if document.title.is_none() {
        document.title = document
            .blocks
            .first()
            .map(|b| b.text.chars().take(80).collect());
    }
    Ok(())
}

fn ocr_error(e: OcrError) -> CoreError {
    match e {
        OcrError::Cancelled => CoreError::Cancelled,
        other => CoreError::Ocr {
            reason: other.to_string(),
        },
    }
}

/// Keeps the file's name in an OCR error about it.
fn with_path(e: CoreError, original: &DocError) -> CoreError {
    match (e, original) {
        (CoreError::Ocr { reason }, DocError::File { path, .. }) => CoreError::Ocr {
            reason: format!("{}: {reason}", path.display()),
        },
        (e, _) => e,
    }
}
