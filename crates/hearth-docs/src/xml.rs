//! A small streaming view of XML for the docx and epub readers: start and end tags by local
//! name (the `w:` or `opf:` prefix dropped, so the Strict OOXML namespaces read like the
//! transitional ones), their attributes, and text with entities resolved. quick-xml does
//! the parsing; it never expands DTD entities, so "billion laughs" files cannot blow up.

use std::borrow::Cow;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use quick_xml::XmlVersion;

pub(crate) enum XmlEvent<'a> {
    /// An opening tag; empty elements (`<w:tab/>`) come as Start then End.
    Start(&'a Tag),
    End(&'a str),
    Text(&'a str),
}

pub(crate) struct Tag {
    pub name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    /// The value of the attribute with this local name (`val` finds `w:val`).
    pub(crate) fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == local)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of attributes with this local name: `<p:sldId id="256" r:id="rId2"/>`
    /// has two `id`s.
    pub(crate) fn attrs_named<'t>(&'t self, local: &'t str) -> impl Iterator<Item = &'t str> {
        self.attrs
            .iter()
            .filter(move |(k, _)| k == local)
            .map(|(_, v)| v.as_str())
    }
}

/// Leaves out elements whose content is not the document's text (deleted revisions,
/// comments, generated indexes): [`Skipper::keep`] passes an event on unless it is one of
/// those elements or inside one.
pub(crate) struct Skipper {
    skipped: &'static [&'static str],
    depth: usize,
    skip_at: Option<usize>,
}

impl Skipper {
    pub(crate) fn new(skipped: &'static [&'static str]) -> Self {
        Self {
            skipped,
            depth: 0,
            skip_at: None,
        }
    }

    /// Whether the caller should handle `e`.
    pub(crate) fn keep(&mut self, e: &XmlEvent<'_>) -> bool {
        match e {
            XmlEvent::Start(t) => {
                self.depth += 1;
                if self.skip_at.is_none() && self.skipped.contains(&t.name.as_str()) {
                    self.skip_at = Some(self.depth);
                }
                self.skip_at.is_none()
            }
            XmlEvent::End(_) => {
                let keep = self.skip_at.is_none();
                if self.skip_at == Some(self.depth) {
                    self.skip_at = None;
                }
                self.depth = self.depth.saturating_sub(1);
                keep
            }
            XmlEvent::Text(_) => self.skip_at.is_none(),
        }
    }
}

/// Calls `f` for every tag and text in `xml`. Errors are the parser's, for the caller to
/// wrap as a corrupt file.
pub(crate) fn walk(xml: &str, mut f: impl FnMut(XmlEvent<'_>)) -> Result<(), String> {
    let mut reader = Reader::from_str(xml);
    let mut text = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("bad xml at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else if let Some(s) = resolve_predefined_entity(&r) {
                    text.push_str(s);
                }
            }
            other => {
                if !text.is_empty() {
                    f(XmlEvent::Text(&text));
                    text.clear();
                }
                match other {
                    Event::Start(s) => f(XmlEvent::Start(&tag(&s))),
                    Event::Empty(s) => {
                        let t = tag(&s);
                        f(XmlEvent::Start(&t));
                        f(XmlEvent::End(&t.name));
                    }
                    Event::End(e) => {
                        let name = e.local_name().as_ref().to_string();
                        f(XmlEvent::End(&name));
                    }
                    Event::Eof => return Ok(()),
                    _ => {}
                }
            }
        }
    }
}

fn tag(s: &BytesStart<'_>) -> Tag {
    let name = s.local_name().as_ref().to_string();
    let attrs = s
        .attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .map(|a| {
            let key = a.key.local_name().as_ref().to_string();
            let value = a
                .normalized_value(XmlVersion::Implicit1_0)
                .unwrap_or(Cow::Borrowed(""))
                .into_owned();
            (key, value)
        })
        .collect();
    Tag { name, attrs }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_attrs_and_entities() {
        let xml = r#"<?xml version="1.0"?><w:p a:x="1 &amp; 2"><w:t>a &lt; b &#233;<![CDATA[<c>]]></w:t><w:tab/></w:p>"#;
        let mut seen = Vec::new();
        walk(xml, |e| match e {
            XmlEvent::Start(t) => seen.push(format!("<{} {:?}>", t.name, t.attr("x"))),
            XmlEvent::End(n) => seen.push(format!("</{n}>")),
            XmlEvent::Text(s) => seen.push(s.to_string()),
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                "<p Some(\"1 & 2\")>",
                "<t None>",
                "a < b é<c>",
                "</t>",
                "<tab None>",
                "</tab>",
                "</p>"
            ]
        );
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(walk("<a><b></a>", |_| {}).is_err());
    }
}
