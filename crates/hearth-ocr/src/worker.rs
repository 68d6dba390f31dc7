//! The OCR child's side (`hearth ocr-worker`): one request on stdin — a JSON line, then
//! the document's bytes — and one JSON line per page on stdout as each is read, then
//! `"done"`. The same [`process`] runs in process for callers that want no child.

use std::io::{BufRead, BufWriter, Read, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::recognize::Recognizer;
use crate::render::{check_image, PdfPages};
use crate::{languages, OcrError, PageText, Source};

/// Largest document a request may carry (the document readers' own file limit).
pub const MAX_REQUEST_BYTES: u64 = 256 * 1024 * 1024;

/// What to read; the document's `bytes` follow the JSON line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub source: Source,
    /// 1-based pages of a PDF to read, in order; ignored for an image.
    pub pages: Vec<u32>,
    /// Tesseract language codes joined by `+` ("eng+deu").
    pub languages: String,
    pub tessdata: PathBuf,
    pub bytes: u64,
}

/// One line of the child's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Page(PageText),
    /// This page could not be read; the others go on.
    Failed {
        page: u32,
        reason: String,
    },
    /// Nothing can be read (no language data, not a PDF).
    Fatal(OcrError),
    Done,
}

/// Reads the request's pages, handing each reply to `emit`; `emit` returns false to stop.
pub fn process(request: &Request, bytes: Vec<u8>, emit: &mut dyn FnMut(Reply) -> bool) {
    let fatal = |e: OcrError| Reply::Fatal(e);
    if let Err(e) = languages::check(Some(&request.tessdata), &request.languages) {
        emit(fatal(e));
        return;
    }
    let mut recognizer = match Recognizer::new(&request.tessdata, &request.languages) {
        Ok(r) => r,
        Err(e) => {
            emit(fatal(e));
            return;
        }
    };
    match request.source {
        Source::Image => {
            let reply = check_image(&bytes)
                .and_then(|()| recognizer.encoded(1, &bytes))
                .map_or_else(failed, Reply::Page);
            if !emit(reply) {
                return;
            }
        }
        Source::Pdf => {
            let pdf = match PdfPages::open(bytes) {
                Ok(pdf) => pdf,
                Err(e) => {
                    emit(fatal(e));
                    return;
                }
            };
            for &page in &request.pages {
                let reply = pdf
                    .render(page)
                    .and_then(|p| recognizer.grey(page, &p.pixels, p.width, p.height, p.dpi))
                    .map_or_else(failed, Reply::Page);
                if !emit(reply) {
                    return;
                }
            }
        }
    }
    emit(Reply::Done);
}

fn failed(e: OcrError) -> Reply {
    match e {
        OcrError::Page { page, reason } => Reply::Failed { page, reason },
        other => Reply::Failed {
            page: 1,
            reason: other.to_string(),
        },
    }
}

/// The child's main: serves one request from stdin; the exit code is 0 unless the
/// request could not be read.
pub fn serve_stdio() -> i32 {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut line = String::new();
    if input.read_line(&mut line).is_err() {
        return 2;
    }
    let request: Request = match serde_json::from_str(&line) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: not an OCR request: {e}");
            return 2;
        }
    };
    if request.bytes > MAX_REQUEST_BYTES {
        eprintln!("error: the document is larger than OCR reads");
        return 2;
    }
    let mut bytes = Vec::with_capacity(request.bytes as usize);
    if input
        .by_ref()
        .take(request.bytes)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return 2;
    }
    let mut out = BufWriter::new(std::io::stdout().lock());
    process(&request, bytes, &mut |reply| {
        let written = serde_json::to_writer(&mut out, &reply).is_ok()
            && out.write_all(b"\n").is_ok()
            && out.flush().is_ok();
        // The parent hung up (cancelled): stop reading pages.
        written
    });
    0
}
