//! Reading documents: text and structure out of .txt, .md, .html, .pdf, .docx, .epub,
//! .odt, .pptx, .xlsx, .ods, .csv, .rtf, .eml and .mbox.
//!
//! Every reader produces the same [`Document`]: a flat list of [`Block`]s (headings,
//! paragraphs, list items, tables as text, code, quotes), each with the page it came from
//! where the format has pages. Summaries cite those pages and headings, and translation
//! rebuilds Markdown from them, so structure is data here, not formatting.
//!
//! Files are untrusted. [`Limits`] caps the file size, the decompressed size and ratio of
//! zip containers (docx, epub), the pages and the text kept; anything broken or hostile
//! becomes a [`DocError`] that says what is wrong, never a panic.
//!
//! Reading is synchronous CPU work (a 2,400-page PDF takes about 25 CPU-seconds, spread
//! over up to eight threads of its own): call it from a dedicated thread or
//! `spawn_blocking`. `examples/extract_bench.rs` prints pages per second and peak memory.
//!
//! Readers: plain text with `chardetng`/`encoding_rs` (`src/text.rs`); Markdown with
//! `pulldown-cmark`; HTML (and EPUB chapters) with `scraper`/html5ever; the zip formats
//! (docx, epub, odt, pptx, xlsx, ods) with `zip` and `quick-xml` behind
//! `src/zip_guard.rs`, the Office ones sharing `src/opc.rs` and the OpenDocument ones
//! `src/odf.rs`; spreadsheets and CSV (with the `csv` crate) through `src/table.rs`;
//! RTF by its own single-pass reader; e-mail with `mail-parser`; PDF with `pdf-extract`
//! on `lopdf` behind `src/pdf_guard.rs`.

mod builder;
mod delimited;
mod document;
mod docx;
mod epub;
mod error;
mod html;
mod limits;
mod mail;
mod markdown;
mod odf;
mod ods;
mod odt;
mod opc;
mod pdf;
mod pdf_guard;
mod plain;
mod pptx;
mod rtf;
mod sniff;
mod table;
mod text;
mod xlsx;
mod xml;
mod zip_guard;

pub use document::{Block, BlockKind, Document, Format};
pub use error::DocError;
pub use limits::Limits;

use std::io::Read;
use std::path::Path;

/// Reads the file at `path`, choosing the reader by extension (and content sniffing
/// where the extension is missing or lies). Errors name the file; see
/// [`DocError::inner`] for the reason alone.
pub fn read_path(path: &Path, limits: &Limits) -> Result<Document, DocError> {
    read_file(path, limits).map_err(|e| DocError::File {
        path: path.to_path_buf(),
        source: Box::new(e),
    })
}

fn read_file(path: &Path, limits: &Limits) -> Result<Document, DocError> {
    let bytes = read_limited(path, limits)?;
    read_as_named(path, &bytes, limits)
}

fn read_as_named(path: &Path, bytes: &[u8], limits: &Limits) -> Result<Document, DocError> {
    check_size(bytes, limits)?;
    let ext = sniff::extension(path);
    let format = sniff::detect(ext.as_deref(), bytes, limits)?;
    read_bytes(bytes, format, limits)
}

/// The bytes of the file at `path`, refused over the size limit before they are read,
/// for callers that look at a file before reading it as a document
/// ([`read_named_bytes`]), so that what is checked is what is read. Errors name the file.
pub fn read_file_bytes(path: &Path, limits: &Limits) -> Result<Vec<u8>, DocError> {
    read_limited(path, limits).map_err(|e| DocError::File {
        path: path.to_path_buf(),
        source: Box::new(e),
    })
}

/// Reads `bytes` that came from the file at `path` as [`read_path`] reads that file:
/// the reader chosen by its extension and its content. Errors name the file.
pub fn read_named_bytes(path: &Path, bytes: &[u8], limits: &Limits) -> Result<Document, DocError> {
    read_as_named(path, bytes, limits).map_err(|e| DocError::File {
        path: path.to_path_buf(),
        source: Box::new(e),
    })
}

/// The file's bytes, refusing files over the size limit before reading them.
fn read_limited(path: &Path, limits: &Limits) -> Result<Vec<u8>, DocError> {
    let file = std::fs::File::open(path).map_err(|source| DocError::Io { source })?;
    let size = file
        .metadata()
        .map_err(|source| DocError::Io { source })?
        .len();
    if size > limits.max_file_bytes {
        return Err(DocError::TooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    // The file may grow between the check and the read; never read past the limit.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| DocError::Io { source })?;
    Ok(bytes)
}

/// Reads a document held in memory; `format` says how to read it.
pub fn read_bytes(bytes: &[u8], format: Format, limits: &Limits) -> Result<Document, DocError> {
    check_size(bytes, limits)?;
    let span = tracing::debug_span!("read", ?format, bytes = bytes.len());
    let _enter = span.enter();
    match format {
        Format::Text => plain::read(text::decode(bytes, None)?, limits),
        Format::Markdown => markdown::read(text::decode(bytes, None)?, limits),
        Format::Html => html::read(bytes, limits),
        Format::Pdf => pdf::read(bytes, limits),
        Format::Docx => docx::read(bytes, limits),
        Format::Epub => epub::read(bytes, limits),
        Format::Odt => odt::read(bytes, limits),
        Format::Pptx => pptx::read(bytes, limits),
        Format::Xlsx => xlsx::read(bytes, limits),
        Format::Ods => ods::read(bytes, limits),
        Format::Csv => delimited::read(text::decode(bytes, None)?, limits),
        Format::Rtf => rtf::read(bytes, limits),
        Format::Email => mail::read_eml(bytes, limits),
        Format::Mbox => mail::read_mbox(bytes, limits),
        Format::Image => Err(DocError::Image {
            format: sniff::image_kind(bytes).unwrap_or("unknown"),
        }),
    }
}

/// The document formats Hearth reads, for messages that tell the user what to send.
pub const READABLE: &str =
    ".txt, .md, .html, .pdf, .docx, .epub, .odt, .rtf, .pptx, .xlsx, .ods, .csv, .eml, .mbox or an image (.png, .jpg, .tiff, .webp)";

/// The format a file extension names, for callers that hold bytes and a file name.
pub fn format_for_extension(ext: &str) -> Option<Format> {
    match ext.to_ascii_lowercase().as_str() {
        "txt" | "text" | "log" => Some(Format::Text),
        "md" | "markdown" => Some(Format::Markdown),
        "html" | "htm" | "xhtml" => Some(Format::Html),
        "pdf" => Some(Format::Pdf),
        "docx" => Some(Format::Docx),
        "epub" => Some(Format::Epub),
        "odt" => Some(Format::Odt),
        "pptx" => Some(Format::Pptx),
        "xlsx" | "xlsm" => Some(Format::Xlsx),
        "ods" => Some(Format::Ods),
        "csv" | "tsv" => Some(Format::Csv),
        "rtf" => Some(Format::Rtf),
        "eml" => Some(Format::Email),
        "mbox" | "mbx" => Some(Format::Mbox),
        "png" | "jpg" | "jpeg" | "tif" | "tiff" | "webp" | "gif" | "bmp" => Some(Format::Image),
        _ => None,
    }
}

fn check_size(bytes: &[u8], limits: &Limits) -> Result<(), DocError> {
    let size = bytes.len() as u64;
    if size > limits.max_file_bytes {
        return Err(DocError::TooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DocError::Empty);
    }
    Ok(())
}

/// A text file's contents, decoded but otherwise exactly as written (line breaks and
/// all), for callers that want the text rather than its structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedText {
    pub text: String,
    /// The encoding detected ("UTF-8", "UTF-16LE", "windows-1252", ...).
    pub encoding: String,
}

/// Reads a plain-text file (.txt, .md, source code...) with the same size limit,
/// encoding detection and binary-junk check as [`read_path`], keeping the text as it is.
pub fn read_text(path: &Path, limits: &Limits) -> Result<DecodedText, DocError> {
    let bytes = read_file_bytes(path, limits)?;
    decode_named_text(path, &bytes, limits)
}

/// Decodes `bytes` that came from the file at `path` as [`read_text`] decodes that file.
pub fn decode_named_text(
    path: &Path,
    bytes: &[u8],
    limits: &Limits,
) -> Result<DecodedText, DocError> {
    let wrap = |e| DocError::File {
        path: path.to_path_buf(),
        source: Box::new(e),
    };
    check_size(bytes, limits).map_err(wrap)?;
    let decoded = text::decode(bytes, None).map_err(wrap)?;
    Ok(DecodedText {
        text: decoded.text,
        encoding: decoded.encoding.to_string(),
    })
}
