//! What OpenDocument text (.odt) and spreadsheets (.ods) share: the zip holds
//! `content.xml` (the body), `styles.xml` and `meta.xml` (the title); `mimetype` says
//! which kind it is. Inline elements mean the same in both: `<text:s text:c="3"/>` is
//! three spaces, `<text:tab/>` a tab, `<text:line-break/>` a new line.

use crate::opc;
use crate::zip_guard::ZipGuard;
use crate::DocError;

/// Elements whose text is not the document's own: comments, tracked deletions and the
/// record of changes, alt text of drawings, form controls, and generated indexes (a
/// table of contents repeats the headings).
pub(crate) const SKIPPED: &[&str] = &[
    "annotation",
    "tracked-changes",
    "sequence-decls",
    "forms",
    "desc",
    "title",
    "table-of-content",
    "alphabetical-index",
    "illustration-index",
    "table-index",
    "object-index",
    "user-index",
    "bibliography",
];

/// The package's content.xml, after checking that the file is an OpenDocument of the
/// expected kind (`mimetype` ends in `text` or `spreadsheet`).
pub(crate) fn content(
    zip: &mut ZipGuard<'_>,
    format: &'static str,
    kind: &str,
) -> Result<String, DocError> {
    if let Some(mimetype) = zip.read_text("mimetype")? {
        let mimetype = mimetype.trim();
        let expected = format!("application/vnd.oasis.opendocument.{kind}");
        if mimetype.starts_with("application/vnd.oasis.opendocument.")
            && !mimetype.starts_with(&expected)
        {
            return Err(DocError::corrupt(
                format,
                format!("it is a {mimetype}, not a {expected}"),
            ));
        }
    }
    if zip.contains("META-INF/manifest.xml") && is_encrypted(zip)? {
        return Err(DocError::Encrypted {
            format,
            what_to_do: "open it in LibreOffice, save a copy without a password, and try again",
        });
    }
    zip.read_text("content.xml")?
        .ok_or_else(|| DocError::corrupt(format, "it has no content.xml"))
}

/// The title in meta.xml, where there is one.
pub(crate) fn title(zip: &mut ZipGuard<'_>) -> Result<Option<String>, DocError> {
    Ok(zip
        .read_text("meta.xml")?
        .and_then(|xml| opc::element_text(&xml, "title")))
}

/// A password-protected OpenDocument lists `manifest:encryption-data` for its parts.
fn is_encrypted(zip: &mut ZipGuard<'_>) -> Result<bool, DocError> {
    Ok(zip
        .read_text("META-INF/manifest.xml")?
        .is_some_and(|xml| xml.contains("encryption-data")))
}

/// The text an inline element stands for, if it is one.
pub(crate) fn inline_text(name: &str, count: Option<&str>) -> Option<String> {
    match name {
        "s" => {
            // Capped: the count is the file's word, and a space run is never worth more.
            let n = count.and_then(|c| c.parse::<usize>().ok()).unwrap_or(1);
            Some(" ".repeat(n.clamp(1, 64)))
        }
        "tab" => Some("\t".into()),
        "line-break" => Some("\n".into()),
        _ => None,
    }
}
