//! The Open Packaging Conventions that docx, pptx and xlsx share: a zip whose parts find
//! each other through relationship files (`_rels/*.rels`), and `docProps/core.xml` for
//! the title. Targets are resolved to zip entry names here, and only inside the package:
//! external targets (links to the web or other files) are never followed.

use std::collections::HashMap;

use crate::xml::{walk, XmlEvent};
use crate::zip_guard::ZipGuard;
use crate::DocError;

/// One relationship of a part: its type's last segment ("styles", "slide", "worksheet")
/// and its target as a zip entry name.
pub(crate) struct Relationship {
    pub id: String,
    pub kind: String,
    pub target: String,
}

/// The main part the package relationships name ("officeDocument"), or `fallback` where
/// the package has no such relationship but has that entry; producers other than Office
/// do not always write `_rels/.rels`.
pub(crate) fn main_part(
    zip: &mut ZipGuard<'_>,
    format: &'static str,
    fallback: &str,
) -> Result<String, DocError> {
    if let Some(main) = rels(zip, "", format)?
        .into_iter()
        .find(|r| r.kind == "officeDocument")
    {
        return Ok(main.target);
    }
    if zip.contains(fallback) {
        return Ok(fallback.into());
    }
    Err(DocError::corrupt(format, format!("it has no {fallback}")))
}

/// The relationships of `part` ("" for the package itself), in the order written.
pub(crate) fn rels(
    zip: &mut ZipGuard<'_>,
    part: &str,
    format: &'static str,
) -> Result<Vec<Relationship>, DocError> {
    let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
    let rels_name = if dir.is_empty() {
        format!("_rels/{file}.rels")
    } else {
        format!("{dir}/_rels/{file}.rels")
    };
    let Some(xml) = zip.read_text(&rels_name)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    walk(&xml, |e| {
        if let XmlEvent::Start(t) = e {
            if t.name == "Relationship" && t.attr("TargetMode") != Some("External") {
                if let (Some(ty), Some(target)) = (t.attr("Type"), t.attr("Target")) {
                    out.push(Relationship {
                        id: t.attr("Id").unwrap_or_default().to_string(),
                        kind: ty.rsplit('/').next().unwrap_or(ty).to_string(),
                        target: resolve(dir, target),
                    });
                }
            }
        }
    })
    .map_err(|e| DocError::corrupt(format, e))?;
    Ok(out)
}

/// The first target of each relationship type of `part`.
pub(crate) fn rels_by_kind(
    zip: &mut ZipGuard<'_>,
    part: &str,
    format: &'static str,
) -> Result<HashMap<String, String>, DocError> {
    let mut out = HashMap::new();
    for r in rels(zip, part, format)? {
        out.entry(r.kind).or_insert(r.target);
    }
    Ok(out)
}

/// The targets of `part`'s relationships by id (`rId3`), as slide and sheet lists name them.
pub(crate) fn rels_by_id(
    zip: &mut ZipGuard<'_>,
    part: &str,
    format: &'static str,
) -> Result<HashMap<String, String>, DocError> {
    Ok(rels(zip, part, format)?
        .into_iter()
        .map(|r| (r.id, r.target))
        .collect())
}

/// Joins a relationship target to the directory of the part that names it. `..` never
/// climbs above the package root.
pub(crate) fn resolve(base_dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        base_dir.split('/').filter(|s| !s.is_empty()).collect()
    };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// The title in `docProps/core.xml`, where the package has one.
pub(crate) fn core_title(zip: &mut ZipGuard<'_>) -> Result<Option<String>, DocError> {
    let Some(xml) = zip.read_text("docProps/core.xml")? else {
        return Ok(None);
    };
    Ok(element_text(&xml, "title"))
}

/// The text of the first element named `name` (local name) in `xml`; None where it is
/// missing, blank or the XML is broken (metadata is never worth refusing a file over).
pub(crate) fn element_text(xml: &str, name: &str) -> Option<String> {
    let mut depth_in = 0u32;
    let mut done = false;
    let mut text = String::new();
    walk(xml, |e| match e {
        XmlEvent::Start(t) if !done && (depth_in > 0 || t.name == name) => depth_in += 1,
        XmlEvent::End(_) if depth_in > 0 => {
            depth_in -= 1;
            if depth_in == 0 {
                done = true;
            }
        }
        XmlEvent::Text(s) if depth_in > 0 => text.push_str(s),
        _ => {}
    })
    .ok()?;
    Some(text).filter(|t| !t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_inside_the_package() {
        assert_eq!(resolve("word", "styles.xml"), "word/styles.xml");
        assert_eq!(resolve("ppt/slides", "../media/a.png"), "ppt/media/a.png");
        assert_eq!(
            resolve("ppt", "/ppt/slides/slide1.xml"),
            "ppt/slides/slide1.xml"
        );
        assert_eq!(resolve("a", "../../../etc/passwd"), "etc/passwd");
        assert_eq!(
            resolve("word", "/customXml/item1.xml"),
            "customXml/item1.xml"
        );
        assert_eq!(
            resolve("OEBPS/text", "../images/a.png"),
            "OEBPS/images/a.png"
        );
    }

    #[test]
    fn element_text_reads_the_first_one() {
        let xml = r#"<cp:coreProperties xmlns:dc="x"><dc:title>Budget <b>2024</b></dc:title><dc:title>no</dc:title></cp:coreProperties>"#;
        assert_eq!(element_text(xml, "title").as_deref(), Some("Budget 2024"));
        assert_eq!(element_text("<a><title> </title></a>", "title"), None);
        assert_eq!(element_text("<a><title>x</a>", "title"), None);
    }
}
