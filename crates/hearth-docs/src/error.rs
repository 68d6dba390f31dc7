//! Why a document could not be read, said so the user knows what to do.

use std::path::PathBuf;

/// Errors from reading a document. Messages are lowercase and say what to do.
///
/// [`crate::read_path`] wraps every error in [`DocError::File`] so the message names the
/// file; match on [`DocError::inner`] to see the reason itself.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// A reason below, for the file at `path`.
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: Box<DocError>,
    },

    #[error("could not read the file: {source}; check that it exists and that you may read it")]
    Io {
        #[source]
        source: std::io::Error,
    },

    #[error("the file is {size} bytes, over the limit of {limit} bytes; split it into smaller files or raise the limit")]
    TooLarge { size: u64, limit: u64 },

    #[error("the document is empty: there is no text in it to read")]
    Empty,

    /// Binary data where text was expected (a .txt that is an image, an executable...).
    #[error("this is not a text file ({reason}); check that the file is what its name says")]
    NotText { reason: String },

    /// Password-protected PDF, Office document or DRM-protected EPUB.
    #[error("the {format} is encrypted: {what_to_do}")]
    Encrypted {
        format: &'static str,
        what_to_do: &'static str,
    },

    /// The file is damaged or is not the format its name says.
    #[error("the {format} file is damaged or not really a {format} ({reason}); open it in another program and save or export it again")]
    Corrupt {
        format: &'static str,
        reason: String,
    },

    /// A zip container (docx, epub) or a PDF stream that would expand past the limits: a
    /// decompression bomb, or simply too big to read safely.
    #[error("the {format} file expands to too much data ({reason}); it may be a decompression bomb, so it was not read")]
    ZipBomb {
        format: &'static str,
        reason: String,
    },

    /// A PDF whose pages carry no text at all, usually scanned images.
    #[error("the pdf has no text layer on any of its {pages} pages (scanned?); reading it needs OCR: install tesseract-ocr and its English data (for example `sudo apt install tesseract-ocr tesseract-ocr-eng`) and try again")]
    NoTextLayer { pages: u32 },

    /// A picture: its text can only be read with OCR, which the caller may run.
    #[error("this is an image ({format}); its text can only be read with OCR, which needs Tesseract: install tesseract-ocr and its English data (for example `sudo apt install tesseract-ocr tesseract-ocr-eng`) and try again")]
    Image { format: &'static str },

    #[error("{what}")]
    Unsupported { what: String },
}

impl DocError {
    /// A stable SCREAMING_SNAKE_CASE code for wire formats and exit codes.
    pub fn code(&self) -> &'static str {
        match self.inner() {
            DocError::File { .. } | DocError::Io { .. } => "UNREADABLE_FILE",
            DocError::TooLarge { .. } => "DOCUMENT_TOO_LARGE",
            DocError::Empty => "EMPTY_DOCUMENT",
            DocError::NotText { .. } => "NOT_TEXT",
            DocError::Encrypted { .. } => "DOCUMENT_ENCRYPTED",
            DocError::Corrupt { .. } => "DOCUMENT_CORRUPT",
            DocError::ZipBomb { .. } => "DOCUMENT_BOMB",
            DocError::NoTextLayer { .. } => "NO_TEXT_LAYER",
            DocError::Image { .. } => "IMAGE_NEEDS_OCR",
            DocError::Unsupported { .. } => "UNSUPPORTED_DOCUMENT",
        }
    }

    /// The reason without the path wrapper that [`crate::read_path`] adds.
    pub fn inner(&self) -> &DocError {
        match self {
            DocError::File { source, .. } => source.inner(),
            other => other,
        }
    }

    pub(crate) fn corrupt(format: &'static str, reason: impl Into<String>) -> Self {
        DocError::Corrupt {
            format,
            reason: reason.into(),
        }
    }

    pub(crate) fn zip_bomb(format: &'static str, reason: impl Into<String>) -> Self {
        DocError::ZipBomb {
            format,
            reason: reason.into(),
        }
    }
}
