//! Reading the text of scanned pages and images (OCR), for documents that have no text
//! layer: scanned PDFs, phone photos of letters, screenshots.
//!
//! - [`languages`]: which Tesseract language data is installed, where, and which Debian
//!   package brings a missing one.
//! - [`recognize`]: Tesseract 5 (the LSTM engine) over one page's pixels, with page
//!   orientation detected; text comes back as paragraphs with the page's mean confidence.
//! - [`render`]: a PDF page to grey pixels at 300 DPI with hayro (pure Rust), capped in
//!   pixels; images are checked by their header's size before anything decodes them.
//! - [`worker`] and [`client`]: OCR runs in a child process (`hearth ocr-worker`), one per
//!   document, pages streamed back one at a time. Tesseract and leptonica are C and C++
//!   parsing untrusted images; a crash or a runaway allocation there kills the child (it
//!   has a memory limit and dies with its parent), and the app reports that page as
//!   unreadable and goes on with the next one.
//!
//! Speed: about 1.5 s per 300-DPI page on one core. Tesseract's OpenMP loops ask for a
//! fixed number of threads and are 5–9 times slower on a 2-core laptop than one thread,
//! so the child runs with `OMP_THREAD_LIMIT=1` (pages of a document are independent; a
//! caller that wants more cores runs more documents).

pub mod client;
pub mod languages;
pub mod recognize;
pub mod render;
pub mod worker;

use serde::{Deserialize, Serialize};

/// What to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A PDF; the request names its pages.
    Pdf,
    /// One image (PNG, JPEG, TIFF, WebP, ...), page 1.
    Image,
}

/// One page's text as OCR read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageText {
    /// 1-based page number (1 for an image).
    pub page: u32,
    /// Paragraphs in reading order, lines joined and end-of-line hyphens mended.
    pub paragraphs: Vec<String>,
    /// Tesseract's mean word confidence, 0–100.
    pub confidence: u8,
    /// Words read, and of those the ones read with confidence under 60.
    pub words: u32,
    pub unsure_words: u32,
}

/// Why OCR could not read something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum OcrError {
    /// No language data at all, or not the languages asked for.
    #[error("OCR needs Tesseract's language data for {missing}; install {packages} (for example `sudo apt install {packages}`) and try again")]
    MissingLanguages { missing: String, packages: String },
    /// The page or image could not be decoded or recognised.
    #[error("page {page} could not be read by OCR: {reason}")]
    Page { page: u32, reason: String },
    /// The image is larger than OCR reads.
    #[error("the image is {width}x{height} pixels, more than OCR reads ({limit} pixels); scan it at a lower resolution and try again")]
    TooLarge { width: u64, height: u64, limit: u64 },
    /// The OCR process could not be started or stopped talking.
    #[error("the OCR reader failed: {reason}")]
    Worker { reason: String },
    #[error("cancelled")]
    Cancelled,
}

/// Most pixels OCR reads from one page or image: an A4 page at 300 DPI is 8.7 million,
/// an A3 page at 400 DPI 31 million. Larger pages are rendered at a lower resolution;
/// larger images are refused.
pub const MAX_PIXELS: u64 = 40_000_000;

/// The resolution PDF pages are rendered at: what Tesseract is trained for.
pub const DPI: f32 = 300.0;
