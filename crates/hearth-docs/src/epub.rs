//! EPUB 2 and 3: META-INF/container.xml names the package (OPF) file, whose spine gives
//! the reading order of the XHTML documents; each is read by the HTML reader into the
//! same document. The title comes from the package metadata. Books whose content is
//! encrypted (DRM) are refused with a clear error; the font obfuscation many books use
//! only hides fonts and is no obstacle to reading the text.

use std::collections::HashMap;

use crate::builder::DocBuilder;
use crate::opc::resolve;
use crate::xml::{walk, XmlEvent};
use crate::zip_guard::ZipGuard;
use crate::{html, DocError, Document, Format, Limits};

const FORMAT: &str = "epub";

/// Algorithms that obfuscate embedded fonts (IDPF and Adobe); anything else in
/// META-INF/encryption.xml means the content itself is encrypted.
const FONT_OBFUSCATION: &[&str] = &[
    "http://www.idpf.org/2008/embedding",
    "http://ns.adobe.com/pdf/enc#RC",
];

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Document, DocError> {
    let mut zip = ZipGuard::open(bytes, FORMAT, limits)?;
    check_not_encrypted(&mut zip)?;
    let container = zip
        .read_text("META-INF/container.xml")?
        .ok_or_else(|| DocError::corrupt(FORMAT, "it has no META-INF/container.xml"))?;
    let opf_path = rootfile(&container)?;
    let opf = zip.read_text(&opf_path)?.ok_or_else(|| {
        DocError::corrupt(FORMAT, format!("its package file {opf_path} is missing"))
    })?;
    let package = parse_opf(&opf)?;
    let base = opf_path.rsplit_once('/').map_or("", |(dir, _)| dir);

    let mut doc = DocBuilder::new(Format::Epub, limits.max_text_bytes);
    doc.set_title(package.title.clone());
    let mut missing = 0;
    for idref in &package.spine {
        if doc.is_full() {
            break;
        }
        let Some(href) = package.manifest.get(idref) else {
            missing += 1;
            continue;
        };
        let path = resolve(
            base,
            &percent_decode(href.split('#').next().unwrap_or(href)),
        );
        match zip.read(&path)? {
            Some(bytes) => {
                let text = decode_xhtml(&bytes);
                html::push_html(&text, &mut doc);
            }
            None => missing += 1,
        }
    }
    if missing > 0 {
        doc.warn(format!(
            "{missing} chapter(s) listed in the book's spine are missing from the file"
        ));
    }
    doc.finish()
}

fn check_not_encrypted(zip: &mut ZipGuard<'_>) -> Result<(), DocError> {
    let drm = DocError::Encrypted {
        format: FORMAT,
        what_to_do: "it is DRM-protected; use a copy without DRM (for example from the shop's DRM-free download) and try again",
    };
    if zip.contains("META-INF/rights.xml") {
        return Err(drm);
    }
    let Some(xml) = zip.read_text("META-INF/encryption.xml")? else {
        return Ok(());
    };
    let mut content_encrypted = false;
    walk(&xml, |e| {
        if let XmlEvent::Start(t) = e {
            if t.name == "EncryptionMethod" {
                let algorithm = t.attr("Algorithm").unwrap_or("");
                if !FONT_OBFUSCATION.contains(&algorithm) {
                    content_encrypted = true;
                }
            }
        }
    })
    .map_err(|e| DocError::corrupt(FORMAT, format!("encryption.xml: {e}")))?;
    if content_encrypted {
        return Err(drm);
    }
    Ok(())
}

fn rootfile(container: &str) -> Result<String, DocError> {
    let mut found = None;
    walk(container, |e| {
        if let XmlEvent::Start(t) = e {
            if t.name == "rootfile" && found.is_none() {
                let media = t
                    .attr("media-type")
                    .unwrap_or("application/oebps-package+xml");
                if media == "application/oebps-package+xml" {
                    found = t.attr("full-path").map(str::to_string);
                }
            }
        }
    })
    .map_err(|e| DocError::corrupt(FORMAT, format!("container.xml: {e}")))?;
    found
        .map(|p| percent_decode(&p))
        .ok_or_else(|| DocError::corrupt(FORMAT, "container.xml names no package file"))
}

struct Package {
    title: Option<String>,
    /// id -> href, for XHTML items only
    manifest: HashMap<String, String>,
    spine: Vec<String>,
}

fn parse_opf(opf: &str) -> Result<Package, DocError> {
    let mut pkg = Package {
        title: None,
        manifest: HashMap::new(),
        spine: Vec::new(),
    };
    let mut in_title = false;
    let mut title = String::new();
    walk(opf, |e| match e {
        XmlEvent::Start(t) => match t.name.as_str() {
            "title" if pkg.title.is_none() && title.is_empty() => in_title = true,
            "item" => {
                let media = t.attr("media-type").unwrap_or("");
                if matches!(
                    media,
                    "application/xhtml+xml" | "text/html" | "application/x-dtbook+xml"
                ) {
                    if let (Some(id), Some(href)) = (t.attr("id"), t.attr("href")) {
                        pkg.manifest.insert(id.to_string(), href.to_string());
                    }
                }
            }
            "itemref" => {
                // Non-linear items (pop-up notes, covers) are still part of the book's text.
                if let Some(idref) = t.attr("idref") {
                    pkg.spine.push(idref.to_string());
                }
            }
            _ => {}
        },
        XmlEvent::End("title") => in_title = false,
        XmlEvent::Text(s) if in_title => title.push_str(s),
        _ => {}
    })
    .map_err(|e| DocError::corrupt(FORMAT, format!("package file: {e}")))?;
    if !title.trim().is_empty() {
        pkg.title = Some(title);
    }
    if pkg.spine.is_empty() {
        return Err(DocError::corrupt(
            FORMAT,
            "its package file lists no chapters",
        ));
    }
    Ok(pkg)
}

/// XHTML is UTF-8 or UTF-16 by XML's rules; a BOM decides, else UTF-8 with replacement.
fn decode_xhtml(bytes: &[u8]) -> String {
    let encoding = encoding_rs::Encoding::for_bom(bytes).map_or(encoding_rs::UTF_8, |(e, _)| e);
    encoding.decode_with_bom_removal(bytes).0.into_owned()
}

/// hrefs in the package are URLs: "chapter%201.xhtml" names "chapter 1.xhtml".
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    /// An EPUB with the given chapters (file name, XHTML) in spine order.
    pub(crate) fn make_epub(chapters: &[(&str, &str)], extra: &[(&str, &str)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let opts = zip::write::SimpleFileOptions::default();
        w.start_file("mimetype", stored).unwrap();
        w.write_all(b"application/epub+zip").unwrap();
        let container = r#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#;
        let items: String = chapters
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                format!(
                    r#"<item id="c{i}" href="{}" media-type="application/xhtml+xml"/>"#,
                    name.replace(' ', "%20")
                )
            })
            .collect();
        let spine: String = (0..chapters.len())
            .rev()
            .map(|i| format!(r#"<itemref idref="c{i}"/>"#))
            .collect();
        let opf = format!(
            r#"<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Book &amp; Title</dc:title></metadata><manifest>{items}<item id="css" href="style.css" media-type="text/css"/></manifest><spine>{spine}</spine></package>"#
        );
        let mut files: Vec<(String, String)> = vec![
            ("META-INF/container.xml".into(), container.into()),
            ("OEBPS/content.opf".into(), opf),
        ];
        files.extend(
            chapters
                .iter()
                .map(|(n, c)| (format!("OEBPS/{n}"), c.to_string())),
        );
        files.extend(extra.iter().map(|(n, c)| (n.to_string(), c.to_string())));
        for (name, content) in files {
            w.start_file(name, opts).unwrap();
            w.write_all(content.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn chapter(title: &str, body: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}</title></head><body>{body}</body></html>"#
        )
    }

    #[test]
    fn spine_order_title_and_structure() {
        // The spine lists chapters in reverse of the manifest, so order must follow it.
        let c1 = chapter("One", "<h1>Chapter one</h1><p>First text.</p>");
        let c2 = chapter("Two", "<h1>Chapter two</h1><ul><li>item</li></ul>");
        let bytes = make_epub(&[("ch 2.xhtml", &c2), ("ch1.xhtml", &c1)], &[]);
        let doc = read(&bytes, &Limits::default()).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Book & Title"));
        expect_test::expect![[r#"
            # Chapter one

            First text.

            # Chapter two

            - item
        "#]]
        .assert_eq(&doc.to_markdown());
    }

    #[test]
    fn drm_is_refused_and_font_obfuscation_is_not() {
        let c = chapter("One", "<p>Text.</p>");
        let enc = |alg: &str| {
            format!(
                r#"<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod Algorithm="{alg}"/></enc:EncryptedData></encryption>"#
            )
        };
        let drm = make_epub(
            &[("c.xhtml", &c)],
            &[(
                "META-INF/encryption.xml",
                &enc("http://www.w3.org/2001/04/xmlenc#aes128-cbc"),
            )],
        );
        let err = read(&drm, &Limits::default()).unwrap_err();
        assert!(matches!(err, DocError::Encrypted { .. }), "{err}");
        assert!(err.to_string().contains("DRM"), "{err}");
        let fonts = make_epub(
            &[("c.xhtml", &c)],
            &[(
                "META-INF/encryption.xml",
                &enc("http://www.idpf.org/2008/embedding"),
            )],
        );
        assert_eq!(
            read(&fonts, &Limits::default()).unwrap().blocks[0].text,
            "Text."
        );
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
        assert_eq!(percent_decode("%C3%A9t%C3%A9.xhtml"), "été.xhtml");
    }
}
