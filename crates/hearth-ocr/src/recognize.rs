//! Tesseract over one page: pixels (a rendered PDF page) or an encoded image (decoded by
//! leptonica), to paragraphs and a confidence. One [`Recognizer`] is reused for every
//! page of a document: loading a language's model costs 60–140 ms.

use std::path::Path;

use tesseract::{OcrEngineMode, PageSegMode, Tesseract};

use crate::{OcrError, PageText};

/// Words read with less confidence than this count as unsure.
const UNSURE_BELOW: f32 = 60.0;

// Tesseract's parallel loops ask OpenMP for a fixed number of threads; on a 2-core laptop
// that is 5-9 times slower than one. Dynamic adjustment lets the runtime give fewer. It
// is a per-thread setting, so it is made on the thread that recognises (the child also
// runs with OMP_THREAD_LIMIT=1). Debian's libtesseract links GNU OpenMP.
#[cfg(target_os = "linux")]
#[link(name = "gomp")]
extern "C" {
    fn omp_set_dynamic(flag: std::ffi::c_int);
}

fn limit_openmp_threads() {
    #[cfg(target_os = "linux")]
    // SAFETY: sets an OpenMP control variable of the calling thread; no memory is shared.
    unsafe {
        omp_set_dynamic(1)
    };
}

pub struct Recognizer {
    /// `None` only between a page's steps: the binding's calls take the handle by value.
    tess: Option<Tesseract>,
}

impl Recognizer {
    /// Loads `languages` ("eng+deu") from `tessdata`; call [`crate::languages::check`]
    /// first, since Tesseract drops missing languages without a word.
    pub fn new(tessdata: &Path, languages: &str) -> Result<Self, OcrError> {
        limit_openmp_threads();
        let dir = tessdata.to_string_lossy();
        let mut tess =
            Tesseract::new_with_oem(Some(&dir), Some(languages), OcrEngineMode::LstmOnly).map_err(
                |e| OcrError::Worker {
                    reason: format!("Tesseract could not load {languages} from {dir}: {e}"),
                },
            )?;
        // Pages scanned upside down or sideways read as nonsense (confidence about 34)
        // without orientation detection, which needs osd.traineddata.
        tess.set_page_seg_mode(if crate::languages::has_orientation_data(tessdata) {
            PageSegMode::PsmAutoOsd
        } else {
            PageSegMode::PsmAuto
        });
        Ok(Self { tess: Some(tess) })
    }

    /// Reads 8-bit grey pixels, `width` to a row, scanned or rendered at `dpi`.
    pub fn grey(
        &mut self,
        page: u32,
        pixels: &[u8],
        width: u32,
        height: u32,
        dpi: u32,
    ) -> Result<PageText, OcrError> {
        let fail = |reason: String| OcrError::Page { page, reason };
        let tess = self.take()?;
        let (w, h) = (to_i32(width), to_i32(height));
        let tess = tess
            .set_frame(pixels, w, h, 1, w)
            .map_err(|e| fail(e.to_string()))?
            .set_source_resolution(to_i32(dpi));
        self.read(page, tess)
    }

    /// Reads an encoded image (PNG, JPEG, TIFF, WebP, BMP, GIF, PNM), at the resolution
    /// its file states.
    pub fn encoded(&mut self, page: u32, bytes: &[u8]) -> Result<PageText, OcrError> {
        let tess = self.take()?;
        let tess = tess.set_image_from_mem(bytes).map_err(|e| OcrError::Page {
            page,
            reason: format!("the image could not be decoded ({e})"),
        })?;
        self.read(page, tess)
    }

    fn take(&mut self) -> Result<Tesseract, OcrError> {
        self.tess.take().ok_or_else(|| OcrError::Worker {
            reason: "Tesseract failed on an earlier page".into(),
        })
    }

    fn read(&mut self, page: u32, tess: Tesseract) -> Result<PageText, OcrError> {
        let fail = |reason: String| OcrError::Page { page, reason };
        let mut tess = tess.recognize().map_err(|e| fail(e.to_string()))?;
        let text = tess.get_text().map_err(|e| fail(e.to_string()))?;
        let confidence = tess.mean_text_conf().clamp(0, 100) as u8;
        let tsv = tess.get_tsv_text(0).map_err(|e| fail(e.to_string()))?;
        self.tess = Some(tess);
        let (words, unsure_words) = word_counts(&tsv);
        Ok(PageText {
            page,
            paragraphs: paragraphs(&text),
            confidence,
            words,
            unsure_words,
        })
    }
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Words and unsure words from Tesseract's TSV: level 5 rows are words (column 10 the
/// confidence, 11 the text; rows with empty text are not words).
fn word_counts(tsv: &str) -> (u32, u32) {
    let mut words = 0;
    let mut unsure = 0;
    for line in tsv.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 12 || fields[0] != "5" || fields[11].trim().is_empty() {
            continue;
        }
        words += 1;
        if fields[10].parse::<f32>().unwrap_or(0.0) < UNSURE_BELOW {
            unsure += 1;
        }
    }
    (words, unsure)
}

/// Tesseract's text as paragraphs: blocks are separated by blank lines; inside one, lines
/// are joined with a space, or without the hyphen where a word was broken at the line's
/// end ("exam-" + "ple").
pub fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        let broken_word = current.ends_with('-')
            && current
                .chars()
                .rev()
                .nth(1)
                .is_some_and(char::is_alphabetic)
            && line.chars().next().is_some_and(char::is_lowercase);
        if broken_word {
            current.pop();
        } else if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_paragraphs() {
        let text = "The quick brown fox jum-\nped over the lazy\ndog.\n\nWell-\nKnown fact.\n\n\n";
        assert_eq!(
            paragraphs(text),
            [
                "The quick brown fox jumped over the lazy dog.",
                "Well- Known fact."
            ]
        );
    }

    #[test]
    fn words_from_tsv() {
        let tsv = "5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t95.5\tHello\n5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t30\tW0rld\n5\t1\t1\t1\t1\t3\t0\t0\t10\t10\t95\t \n4\t1\t1\t1\t1\t0\t0\t0\t10\t10\t-1\t\n";
        assert_eq!(word_counts(tsv), (2, 1));
    }
}
