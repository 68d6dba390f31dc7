//! Choosing a reader for a file: the content decides when it is a known binary format
//! (a PDF named .txt is still read as a PDF, a zip is looked inside to tell docx from
//! epub), the extension decides between the text formats, and files with no or an
//! unknown extension are read as HTML or plain text by their first bytes.

use std::path::Path;

use crate::zip_guard::ZipGuard;
use crate::{DocError, Format, Limits};

/// Extensions of formats Hearth does not read, with what to do instead.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("doc", "the old Word format (.doc)"),
    ("pages", "Apple Pages"),
    ("numbers", "Apple Numbers"),
    ("key", "Apple Keynote"),
    ("xls", "the old Excel format (.xls)"),
    ("xlsb", "binary Excel workbooks (.xlsb)"),
    ("ppt", "the old PowerPoint format (.ppt)"),
    ("odp", "an OpenDocument presentation (.odp)"),
    ("msg", "an Outlook message (.msg)"),
    ("mobi", "a Kindle book (.mobi)"),
    ("azw3", "a Kindle book (.azw3)"),
];

const EXPORT_HINT: &str =
    "save or export it as .docx, .xlsx, .pptx, .odt, .pdf, .html, .md or .txt and try again";

pub(crate) fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// The format for `bytes` read from a file with extension `ext`.
pub(crate) fn detect(ext: Option<&str>, bytes: &[u8], limits: &Limits) -> Result<Format, DocError> {
    if is_pdf(bytes) {
        return Ok(Format::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return zip_format(ext, bytes, limits);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        // An OLE compound file: either a pre-2007 Office file or a password-protected
        // modern one, which Office stores encrypted inside such a container.
        if let Some(format @ ("docx" | "xlsx" | "pptx")) = ext {
            let format = match format {
                "docx" => "docx",
                "xlsx" => "xlsx",
                _ => "pptx",
            };
            return Err(DocError::Encrypted {
                format,
                what_to_do: "open it in Office, save a copy without a password, and try again",
            });
        }
        return Err(unsupported(ext, "an old Microsoft Office file"));
    }
    if image_kind(bytes).is_some() {
        return Ok(Format::Image);
    }
    if bytes.starts_with(b"{\\rtf") {
        return Ok(Format::Rtf);
    }
    match ext {
        Some("txt" | "text" | "log") => Ok(Format::Text),
        Some("csv" | "tsv") => Ok(Format::Csv),
        Some("eml") => Ok(Format::Email),
        Some("mbox" | "mbx") => Ok(Format::Mbox),
        Some("rtf") => Err(DocError::corrupt("rtf", "it does not start with {\\rtf")),
        Some("md" | "markdown" | "mdown" | "mkd" | "mkdn" | "mdx") => Ok(Format::Markdown),
        Some("html" | "htm" | "xhtml" | "xht") => Ok(Format::Html),
        // The name promises a binary format the content does not have.
        Some("pdf") => Err(DocError::corrupt("pdf", "it does not start with %PDF-")),
        Some(e @ ("docx" | "epub" | "odt" | "pptx" | "xlsx" | "xlsm" | "ods")) => Err(
            DocError::corrupt(zip_format_name(e), "it is not a zip file"),
        ),
        Some(e) if UNSUPPORTED.iter().any(|(u, _)| *u == e) => Err(unsupported(Some(e), "")),
        _ if looks_like_html(bytes) => Ok(Format::Html),
        _ => Ok(Format::Text),
    }
}

/// The kind of picture `bytes` are, by their signature.
pub(crate) fn image_kind(bytes: &[u8]) -> Option<&'static str> {
    let kind = match bytes {
        [0x89, b'P', b'N', b'G', ..] => "PNG",
        [0xFF, 0xD8, 0xFF, ..] => "JPEG",
        [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => "TIFF",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => "WebP",
        [b'G', b'I', b'F', b'8', ..] => "GIF",
        // "BM" alone starts plenty of text; a BMP's info header size follows at byte 14.
        [b'B', b'M', _, _, _, _, _, _, _, _, _, _, _, _, 12 | 40 | 56 | 108 | 124, 0, 0, 0, ..] => {
            "BMP"
        }
        _ => return None,
    };
    Some(kind)
}

pub(crate) fn is_pdf(bytes: &[u8]) -> bool {
    // The header may follow up to 1024 bytes of junk, as readers have always allowed.
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

/// The name a zip format's errors use.
fn zip_format_name(ext: &str) -> &'static str {
    match ext {
        "docx" => "docx",
        "epub" => "epub",
        "odt" => "odt",
        "pptx" => "pptx",
        "ods" => "ods",
        _ => "xlsx",
    }
}

/// A zip is told apart by what it holds: Office packages by their main folder,
/// OpenDocument by its `mimetype` entry, EPUB by its container. The extension decides
/// only when it names a zip format.
fn zip_format(ext: Option<&str>, bytes: &[u8], limits: &Limits) -> Result<Format, DocError> {
    match ext {
        Some("docx") => return Ok(Format::Docx),
        Some("epub") => return Ok(Format::Epub),
        Some("odt") => return Ok(Format::Odt),
        Some("pptx") => return Ok(Format::Pptx),
        Some("xlsx" | "xlsm") => return Ok(Format::Xlsx),
        Some("ods") => return Ok(Format::Ods),
        _ => {}
    }
    let mut zip = ZipGuard::open(bytes, "zip", limits)?;
    let names = zip.names();
    let has_folder = |folder: &str| names.iter().any(|n| n.starts_with(folder));
    if has_folder("word/") {
        return Ok(Format::Docx);
    }
    if has_folder("ppt/") {
        return Ok(Format::Pptx);
    }
    if has_folder("xl/") {
        return Ok(Format::Xlsx);
    }
    if zip.contains("META-INF/container.xml") {
        return Ok(Format::Epub);
    }
    if let Some(mimetype) = zip.read_text("mimetype")? {
        match mimetype.trim() {
            "application/vnd.oasis.opendocument.text" => return Ok(Format::Odt),
            "application/vnd.oasis.opendocument.spreadsheet" => return Ok(Format::Ods),
            "application/epub+zip" => return Ok(Format::Epub),
            _ => {}
        }
    }
    Err(unsupported(
        ext,
        "a zip archive that is not a document Hearth reads (Office, OpenDocument or EPUB)",
    ))
}

fn unsupported(ext: Option<&str>, what: &str) -> DocError {
    let what = UNSUPPORTED
        .iter()
        .find(|(e, _)| Some(*e) == ext)
        .map_or(what, |(_, w)| *w);
    DocError::Unsupported {
        what: format!("hearth cannot read {what}; {EXPORT_HINT}"),
    }
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let start = head.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    start.starts_with("<!doctype html") || start.starts_with("<html") || head.contains("<html")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_as(ext: Option<&str>, bytes: &[u8]) -> Result<Format, DocError> {
        detect(ext, bytes, &Limits::default())
    }

    #[test]
    fn content_beats_extension_for_binary_formats() {
        assert_eq!(
            detect_as(Some("txt"), b"%PDF-1.4\n...").unwrap(),
            Format::Pdf
        );
        assert_eq!(detect_as(None, b"junk\n%PDF-1.7\n").unwrap(), Format::Pdf);
        let docx = crate::docx::tests::make_docx("<w:p/>", &[]);
        assert_eq!(detect_as(Some("zip"), &docx).unwrap(), Format::Docx);
        assert_eq!(detect_as(None, &docx).unwrap(), Format::Docx);
        let epub = crate::epub::tests::make_epub(&[("a.xhtml", "<p>x</p>")], &[]);
        assert_eq!(detect_as(Some("bin"), &epub).unwrap(), Format::Epub);
    }

    #[test]
    fn text_formats_by_extension_and_sniffing() {
        assert_eq!(detect_as(Some("md"), b"# hi").unwrap(), Format::Markdown);
        assert_eq!(detect_as(Some("htm"), b"hi").unwrap(), Format::Html);
        assert_eq!(
            detect_as(None, b"  <!DOCTYPE html><p>x").unwrap(),
            Format::Html
        );
        assert_eq!(
            detect_as(Some("rs"), b"fn main() {}").unwrap(),
            Format::Text
        );
    }

    #[test]
    fn lying_and_unsupported_extensions() {
        let err = detect_as(Some("pdf"), b"hello").unwrap_err();
        assert!(
            matches!(err, DocError::Corrupt { format: "pdf", .. }),
            "{err}"
        );
        let err = detect_as(
            Some("docx"),
            &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
        )
        .unwrap_err();
        assert!(matches!(err, DocError::Encrypted { .. }), "{err}");
        let err = detect_as(Some("odp"), b"x").unwrap_err();
        assert_eq!(err.to_string(), "hearth cannot read an OpenDocument presentation (.odp); save or export it as .docx, .xlsx, .pptx, .odt, .pdf, .html, .md or .txt and try again");
        let err = detect_as(Some("odt"), b"x").unwrap_err();
        assert!(
            matches!(err, DocError::Corrupt { format: "odt", .. }),
            "{err}"
        );
    }

    #[test]
    fn pictures_by_signature_whatever_their_name() {
        assert_eq!(
            detect_as(Some("txt"), b"\x89PNG\r\n\x1a\n....").unwrap(),
            Format::Image
        );
        assert_eq!(
            detect_as(None, b"\xff\xd8\xff\xe0..JFIF").unwrap(),
            Format::Image
        );
        assert_eq!(
            detect_as(Some("tif"), b"II*\x00....").unwrap(),
            Format::Image
        );
        assert_eq!(
            detect_as(None, b"RIFF\x00\x00\x00\x00WEBPVP8 ").unwrap(),
            Format::Image
        );
        let mut bmp = b"BM".to_vec();
        bmp.extend_from_slice(&[0; 12]);
        bmp.extend_from_slice(&[40, 0, 0, 0]);
        assert_eq!(detect_as(None, &bmp).unwrap(), Format::Image);
        // Text that happens to start like a bitmap is still text.
        assert_eq!(
            detect_as(Some("txt"), b"BMW quarterly report: sales rose").unwrap(),
            Format::Text
        );
        let err = crate::read_bytes(b"\x89PNG\r\n\x1a\n....", Format::Image, &Limits::default())
            .unwrap_err();
        assert!(
            err.to_string().contains("sudo apt install tesseract-ocr"),
            "{err}"
        );
    }
}
