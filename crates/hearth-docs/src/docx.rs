//! Word documents (.docx, transitional and Strict OOXML): the zip is opened through
//! [`ZipGuard`], the main part found through `_rels/.rels`, and its XML streamed once.
//! Paragraph styles give headings ("heading 1".."heading 9", "Title", or an outline
//! level), numbering gives list items (ordered unless the level's format is a bullet),
//! tables become "a | b" rows, text boxes are read once (the VML fallback copy is
//! skipped), and footnotes and endnotes are appended at the end as "[^1]: ..." paragraphs
//! matching the `[^1]` markers left in the text.

use std::collections::HashMap;

use crate::builder::{collapse_whitespace, DocBuilder};
use crate::opc;
use crate::xml::{walk, Skipper, XmlEvent};
use crate::zip_guard::ZipGuard;
use crate::{BlockKind, DocError, Document, Format, Limits};

const FORMAT: &str = "docx";

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Document, DocError> {
    let mut zip = ZipGuard::open(bytes, FORMAT, limits)?;
    let main = opc::main_part(&mut zip, FORMAT, "word/document.xml")?;
    let rels = opc::rels_by_kind(&mut zip, &main, FORMAT)?;
    let styles = match rels.get("styles") {
        Some(path) => read_styles(&zip.read_text(path)?.unwrap_or_default())?,
        None => Styles::default(),
    };
    let numbering = match rels.get("numbering") {
        Some(path) => read_numbering(&zip.read_text(path)?.unwrap_or_default())?,
        None => Numbering::default(),
    };
    let xml = zip
        .read_text(&main)?
        .ok_or_else(|| DocError::corrupt(FORMAT, format!("its main part {main} is missing")))?;

    let mut doc = DocBuilder::new(Format::Docx, limits.max_text_bytes);
    let mut body = Body::new(&mut doc, &styles, &numbering);
    walk(&xml, |e| body.event(e)).map_err(|e| DocError::corrupt(FORMAT, e))?;
    drop(body);

    for (kind, marker) in [("footnotes", ""), ("endnotes", "e")] {
        if let Some(path) = rels.get(kind) {
            if let Some(notes) = zip.read_text(path)? {
                push_notes(&mut doc, &notes, marker)?;
            }
        }
    }
    doc.set_title(opc::core_title(&mut zip)?);
    doc.finish()
}

#[derive(Default)]
struct Style {
    name: String,
    based_on: Option<String>,
    outline: Option<u8>,
    num_id: Option<String>,
    ilvl: Option<u8>,
}

#[derive(Default)]
struct Styles(HashMap<String, Style>);

fn read_styles(xml: &str) -> Result<Styles, DocError> {
    let mut styles = HashMap::new();
    let mut current: Option<(String, Style)> = None;
    walk(xml, |e| match e {
        XmlEvent::Start(t) => match t.name.as_str() {
            "style" => {
                current = t
                    .attr("styleId")
                    .map(|id| (id.to_string(), Style::default()))
            }
            "name" => set(&mut current, |s| {
                s.name = t.attr("val").unwrap_or("").to_string()
            }),
            "basedOn" => set(&mut current, |s| {
                s.based_on = t.attr("val").map(str::to_string)
            }),
            "outlineLvl" => set(&mut current, |s| {
                s.outline = t.attr("val").and_then(|v| v.parse().ok())
            }),
            "numId" => set(&mut current, |s| {
                s.num_id = t.attr("val").map(str::to_string)
            }),
            "ilvl" => set(&mut current, |s| {
                s.ilvl = t.attr("val").and_then(|v| v.parse().ok())
            }),
            _ => {}
        },
        XmlEvent::End("style") => {
            if let Some((id, style)) = current.take() {
                styles.insert(id, style);
            }
        }
        _ => {}
    })
    .map_err(|e| DocError::corrupt(FORMAT, format!("styles: {e}")))?;
    Ok(Styles(styles))
}

fn set(current: &mut Option<(String, Style)>, f: impl FnOnce(&mut Style)) {
    if let Some((_, style)) = current {
        f(style);
    }
}

impl Styles {
    /// The style and the styles it is based on, nearest first (cycles cut short).
    fn chain<'s>(&'s self, id: &'s str) -> impl Iterator<Item = (&'s str, &'s Style)> + 's {
        let mut next = Some(id);
        (0..16).map_while(move |_| {
            let id = next?;
            let style = self.0.get(id)?;
            next = style.based_on.as_deref();
            Some((id, style))
        })
    }

    fn heading_level(&self, id: &str) -> Option<u8> {
        if let Some(level) = heading_from_name(id) {
            return Some(level);
        }
        for (_, style) in self.chain(id) {
            if let Some(level) = heading_from_name(&style.name) {
                return Some(level);
            }
            if let Some(outline) = style.outline.filter(|&o| o < 9) {
                return Some(outline + 1);
            }
        }
        None
    }

    fn numbering(&self, id: &str) -> Option<(String, u8)> {
        self.chain(id)
            .find_map(|(_, s)| s.num_id.clone().map(|n| (n, s.ilvl.unwrap_or(0))))
    }

    fn name(&self, id: &str) -> String {
        self.0
            .get(id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
            .to_ascii_lowercase()
    }
}

/// "heading 2", "Heading2" (a style id used without styles.xml) and "Title".
fn heading_from_name(name: &str) -> Option<u8> {
    let lower = name.to_ascii_lowercase();
    if lower == "title" {
        return Some(1);
    }
    let rest = lower.strip_prefix("heading")?.trim();
    let level: u8 = rest.parse().ok()?;
    (1..=9).contains(&level).then_some(level)
}

#[derive(Default)]
struct Numbering {
    /// numId -> abstractNumId
    nums: HashMap<String, String>,
    /// (abstractNumId, ilvl) -> numFmt
    formats: HashMap<(String, u8), String>,
}

fn read_numbering(xml: &str) -> Result<Numbering, DocError> {
    let mut n = Numbering::default();
    let mut abstract_id: Option<String> = None;
    let mut num_id: Option<String> = None;
    let mut level: Option<u8> = None;
    walk(xml, |e| match e {
        XmlEvent::Start(t) => match t.name.as_str() {
            "abstractNum" => abstract_id = t.attr("abstractNumId").map(str::to_string),
            "lvl" => level = t.attr("ilvl").and_then(|v| v.parse().ok()),
            "numFmt" => {
                if let (Some(a), Some(l), Some(fmt)) = (&abstract_id, level, t.attr("val")) {
                    n.formats
                        .entry((a.clone(), l))
                        .or_insert_with(|| fmt.to_string());
                }
            }
            "num" => num_id = t.attr("numId").map(str::to_string),
            "abstractNumId" => {
                if let (Some(num), Some(a)) = (&num_id, t.attr("val")) {
                    n.nums.insert(num.clone(), a.to_string());
                }
            }
            _ => {}
        },
        XmlEvent::End("abstractNum") => abstract_id = None,
        XmlEvent::End("lvl") => level = None,
        XmlEvent::End("num") => num_id = None,
        _ => {}
    })
    .map_err(|e| DocError::corrupt(FORMAT, format!("numbering: {e}")))?;
    Ok(n)
}

impl Numbering {
    /// `Some(ordered)` for a real list; `None` when the numbering is "none" or numId 0,
    /// which Word uses to switch numbering off.
    fn ordered(&self, num_id: &str, ilvl: u8) -> Option<bool> {
        if num_id == "0" {
            return None;
        }
        let Some(fmt) = self
            .nums
            .get(num_id)
            .and_then(|a| self.formats.get(&(a.clone(), ilvl)))
        else {
            // Numbering without a definition: still a list, kind unknown.
            return Some(false);
        };
        match fmt.as_str() {
            "none" => None,
            "bullet" => Some(false),
            _ => Some(true),
        }
    }
}

#[derive(Default)]
struct Para {
    text: String,
    style: Option<String>,
    num_id: Option<String>,
    ilvl: Option<u8>,
    outline: Option<u8>,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    cells: Vec<String>,
    cell: String,
}

/// Elements whose content is not the document's current text: superseded formatting,
/// the VML copy of text boxes, field instructions, deleted and moved-away text.
const SKIPPED: &[&str] = &[
    "Fallback",
    "pPrChange",
    "rPrChange",
    "instrText",
    "del",
    "moveFrom",
    "sdtPr",
    "delText",
];

struct Body<'a, 'd> {
    doc: &'d mut DocBuilder,
    styles: &'a Styles,
    numbering: &'a Numbering,
    paras: Vec<Para>,
    tables: Vec<Table>,
    skipper: Skipper,
    in_ppr: bool,
    in_t: bool,
    /// The last block pushed was code, so the next code paragraph joins it.
    last_was_code: bool,
}

impl<'a, 'd> Body<'a, 'd> {
    fn new(doc: &'d mut DocBuilder, styles: &'a Styles, numbering: &'a Numbering) -> Self {
        Self {
            doc,
            styles,
            numbering,
            paras: Vec::new(),
            tables: Vec::new(),
            skipper: Skipper::new(SKIPPED),
            in_ppr: false,
            in_t: false,
            last_was_code: false,
        }
    }

    fn event(&mut self, e: XmlEvent<'_>) {
        if !self.skipper.keep(&e) {
            return;
        }
        match e {
            XmlEvent::Start(t) => self.start(&t.name, |k| t.attr(k).map(str::to_string)),
            XmlEvent::End(name) => self.end(name),
            XmlEvent::Text(s) => {
                if self.in_t {
                    self.push_text(s);
                }
            }
        }
    }

    fn push_text(&mut self, s: &str) {
        if let Some(p) = self.paras.last_mut() {
            p.text.push_str(s);
        }
    }

    fn start(&mut self, name: &str, attr: impl Fn(&str) -> Option<String>) {
        if self.in_ppr {
            let Some(p) = self.paras.last_mut() else {
                return;
            };
            match name {
                "pStyle" => p.style = attr("val"),
                "numId" => p.num_id = attr("val"),
                "ilvl" => p.ilvl = attr("val").and_then(|v| v.parse().ok()),
                "outlineLvl" => p.outline = attr("val").and_then(|v| v.parse().ok()),
                _ => {}
            }
            return;
        }
        match name {
            "p" => self.paras.push(Para::default()),
            "pPr" => self.in_ppr = !self.paras.is_empty(),
            "t" => self.in_t = true,
            "tab" | "ptab" => self.push_text("\t"),
            "br" | "cr" => self.push_text("\n"),
            "noBreakHyphen" => self.push_text("-"),
            "footnoteReference" => {
                let id = attr("id").unwrap_or_default();
                self.push_text(&format!("[^{id}]"));
            }
            "endnoteReference" => {
                let id = attr("id").unwrap_or_default();
                self.push_text(&format!("[^e{id}]"));
            }
            "tbl" => self.tables.push(Table::default()),
            "tc" if self.tables.len() == 1 => {
                if let Some(t) = self.tables.last_mut() {
                    t.cell.clear();
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "pPr" => self.in_ppr = false,
            "t" => self.in_t = false,
            "p" => {
                if let Some(p) = self.paras.pop() {
                    self.end_paragraph(p);
                }
            }
            "tc" if self.tables.len() == 1 => {
                if let Some(t) = self.tables.last_mut() {
                    let cell = collapse_whitespace(&std::mem::take(&mut t.cell)).replace('|', "/");
                    t.cells.push(cell);
                }
            }
            "tr" if self.tables.len() == 1 => {
                if let Some(t) = self.tables.last_mut() {
                    let cells = std::mem::take(&mut t.cells);
                    if cells.iter().any(|c| !c.is_empty()) {
                        t.rows.push(cells);
                    }
                }
            }
            "tbl" => {
                if self.tables.len() == 1 {
                    if let Some(t) = self.tables.pop() {
                        self.push_table(t.rows);
                    }
                } else {
                    // A nested table's text already went into the outer cell.
                    self.tables.pop();
                }
            }
            _ => {}
        }
    }

    fn end_paragraph(&mut self, p: Para) {
        if let Some(t) = self.tables.first_mut() {
            // Inside a table (nested ones included) paragraphs are cell text.
            if !t.cell.is_empty() {
                t.cell.push(' ');
            }
            t.cell.push_str(&p.text);
            return;
        }
        if p.text.trim().is_empty() {
            return;
        }
        let kind = self.classify(&p);
        if kind == BlockKind::Code && self.last_was_code {
            // Word writes each line of code as its own paragraph; they are one block.
            if let Some(last) = self.doc.blocks_mut().last_mut() {
                last.text.push('\n');
                last.text.push_str(p.text.trim_end());
                return;
            }
        }
        self.last_was_code = kind == BlockKind::Code;
        self.doc.push(kind, &p.text, None);
    }

    fn classify(&self, p: &Para) -> BlockKind {
        let style = p.style.as_deref();
        if let Some(outline) = p.outline.filter(|&o| o < 9) {
            return BlockKind::Heading { level: outline + 1 };
        }
        if let Some(level) = style.and_then(|s| self.styles.heading_level(s)) {
            return BlockKind::Heading { level };
        }
        let numbering = match (&p.num_id, style) {
            (Some(n), _) => Some((n.clone(), p.ilvl.unwrap_or(0))),
            (None, Some(s)) => self
                .styles
                .numbering(s)
                .map(|(n, l)| (n, p.ilvl.unwrap_or(l))),
            (None, None) => None,
        };
        if let Some((num_id, ilvl)) = numbering {
            if let Some(ordered) = self.numbering.ordered(&num_id, ilvl) {
                return BlockKind::ListItem {
                    ordered,
                    depth: ilvl.min(8),
                };
            }
        }
        if let Some(s) = style {
            let name = self.styles.name(s);
            if name.contains("quote") || name == "block text" {
                return BlockKind::Quote;
            }
            if name.contains("code") || name.contains("preformatted") || name == "plain text" {
                return BlockKind::Code;
            }
        }
        BlockKind::Paragraph
    }

    /// Same rule as for HTML: a table with at most one filled cell a row is layout, and
    /// its cells are paragraphs.
    fn push_table(&mut self, rows: Vec<Vec<String>>) {
        self.last_was_code = false;
        let layout = rows
            .iter()
            .all(|r| r.iter().filter(|c| !c.is_empty()).count() <= 1);
        if layout {
            for cell in rows.into_iter().flatten().filter(|c| !c.is_empty()) {
                self.doc.push(BlockKind::Paragraph, &cell, None);
            }
        } else {
            let text: Vec<String> = rows.into_iter().map(|r| r.join(" | ")).collect();
            self.doc.push(BlockKind::Table, &text.join("\n"), None);
        }
    }
}

/// Footnotes or endnotes as "[^id]: text" paragraphs, skipping Word's separator notes.
fn push_notes(doc: &mut DocBuilder, xml: &str, marker: &str) -> Result<(), DocError> {
    let mut current: Option<(String, String)> = None;
    let mut in_t = false;
    let mut notes = Vec::new();
    walk(xml, |e| match e {
        XmlEvent::Start(t) => match t.name.as_str() {
            "footnote" | "endnote" => {
                let real = t.attr("type").is_none_or(|ty| ty == "normal");
                current = t
                    .attr("id")
                    .filter(|_| real)
                    .map(|id| (id.to_string(), String::new()));
            }
            "t" => in_t = true,
            "p" | "tab" | "br" => {
                if let Some((_, text)) = &mut current {
                    text.push(' ');
                }
            }
            _ => {}
        },
        XmlEvent::End(name) => match name {
            "t" => in_t = false,
            "footnote" | "endnote" => {
                if let Some(note) = current.take() {
                    notes.push(note);
                }
            }
            _ => {}
        },
        XmlEvent::Text(s) => {
            if let (true, Some((_, text))) = (in_t, &mut current) {
                text.push_str(s);
            }
        }
    })
    .map_err(|e| DocError::corrupt(FORMAT, format!("notes: {e}")))?;
    for (id, text) in notes {
        if !text.trim().is_empty() {
            doc.push(
                BlockKind::Paragraph,
                &format!("[^{marker}{id}]: {}", text.trim()),
                None,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use expect_test::expect;
    use std::io::{Cursor, Write};

    /// A minimal docx around `body` (the children of w:body), with heading, list and
    /// quote styles and a numbering part that has a bullet and a decimal list.
    pub(crate) fn make_docx(body: &str, extra: &[(&str, &str)]) -> Vec<u8> {
        const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
        let document = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>{body}</w:body></w:document>"#
        );
        let styles = format!(
            r#"<w:styles xmlns:w="{W}">
            <w:style w:type="paragraph" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
            <w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/></w:style>
            <w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/></w:style>
            <w:style w:type="paragraph" w:styleId="MyChapter"><w:name w:val="My Chapter"/><w:basedOn w:val="Heading1"/></w:style>
            <w:style w:type="paragraph" w:styleId="ListBullet"><w:name w:val="List Bullet"/><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>
            <w:style w:type="paragraph" w:styleId="Quote"><w:name w:val="Quote"/></w:style>
            <w:style w:type="paragraph" w:styleId="Code"><w:name w:val="Source Code"/></w:style>
            </w:styles>"#
        );
        let numbering = format!(
            r#"<w:numbering xmlns:w="{W}">
            <w:abstractNum w:abstractNumId="10"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/></w:lvl><w:lvl w:ilvl="1"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum>
            <w:abstractNum w:abstractNumId="20"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/></w:lvl></w:abstractNum>
            <w:num w:numId="1"><w:abstractNumId w:val="10"/></w:num>
            <w:num w:numId="2"><w:abstractNumId w:val="20"/></w:num>
            </w:numbering>"#
        );
        let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
        let doc_rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
            <Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
            <Relationship Id="r2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/>
            <Relationship Id="r3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>
            <Relationship Id="r4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="http://example.com" TargetMode="External"/>
            </Relationships>"#;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        let mut files: Vec<(&str, String)> = vec![
            ("[Content_Types].xml", "<Types/>".into()),
            ("_rels/.rels", rels.into()),
            ("word/_rels/document.xml.rels", doc_rels.into()),
            ("word/document.xml", document),
            ("word/styles.xml", styles),
            ("word/numbering.xml", numbering),
        ];
        files.extend(extra.iter().map(|(n, c)| (*n, c.to_string())));
        for (name, content) in files {
            w.start_file(name, opts).unwrap();
            w.write_all(content.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn p(style: &str, text: &str) -> String {
        let ppr = if style.is_empty() {
            String::new()
        } else {
            format!(r#"<w:pPr><w:pStyle w:val="{style}"/></w:pPr>"#)
        };
        format!("<w:p>{ppr}<w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>")
    }

    fn li(num: &str, level: u8, text: &str) -> String {
        format!(
            r#"<w:p><w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num}"/></w:numPr></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"#
        )
    }

    #[test]
    fn styles_numbering_tables_and_notes() {
        let body = [
            p("Heading1", "Report &amp; summary"),
            p("", "Intro<w:tab/>text with a note"),
            "<w:p><w:r><w:t>Ref</w:t></w:r><w:r><w:footnoteReference w:id=\"1\"/></w:r></w:p>".into(),
            p("MyChapter", "Based on heading 1"),
            p("Heading2", "Second"),
            li("1", 0, "bullet a"),
            li("1", 1, "bullet nested"),
            li("2", 0, "first"),
            li("2", 0, "second"),
            p("ListBullet", "from style"),
            li("0", 0, "numbering off"),
            p("Quote", "A quote."),
            p("Code", "fn main() {"),
            p("Code", "}"),
            "<w:tbl><w:tr><w:tc>".to_string() + &p("", "a") + "</w:tc><w:tc>" + &p("", "b|c") + "</w:tc></w:tr>"
                + "<w:tr><w:tc>" + &p("", "1") + &p("", "more") + "</w:tc><w:tc><w:tbl><w:tr><w:tc>" + &p("", "inner") + "</w:tc></w:tr></w:tbl></w:tc></w:tr></w:tbl>",
            r#"<w:p><w:pPr><w:outlineLvl w:val="2"/></w:pPr><w:r><w:t>Outline heading</w:t></w:r></w:p>"#.into(),
            r#"<w:p><w:r><mc:AlternateContent><mc:Choice><w:txbxContent><w:p><w:r><w:t>In a box</w:t></w:r></w:p></w:txbxContent></mc:Choice><mc:Fallback><w:txbxContent><w:p><w:r><w:t>In a box</w:t></w:r></w:p></w:txbxContent></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t>Around</w:t></w:r><w:del><w:r><w:delText>gone</w:delText></w:r></w:del></w:p>"#.into(),
        ]
        .concat();
        let footnotes = r#"<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> The note.</w:t></w:r></w:p></w:footnote></w:footnotes>"#;
        let core = r#"<cp:coreProperties xmlns:cp="c" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Core title</dc:title></cp:coreProperties>"#;
        let bytes = make_docx(
            &body,
            &[
                ("word/footnotes.xml", footnotes),
                ("docProps/core.xml", core),
            ],
        );
        let doc = read(&bytes, &Limits::default()).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Core title"));
        expect![[r#"
            # Report & summary

            Intro text with a note

            Ref[^1]

            # Based on heading 1

            ## Second

            - bullet a
              - bullet nested
            1. first
            1. second
            - from style

            numbering off

            > A quote.

            ```
            fn main() {
            }
            ```

            a | b/c
            1 more | inner

            ### Outline heading

            In a box

            Around

            [^1]: The note.
        "#]]
        .assert_eq(&doc.to_markdown());
    }

    #[test]
    fn not_a_word_zip_is_corrupt() {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("hello.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"hi").unwrap();
        let bytes = w.finish().unwrap().into_inner();
        let err = read(&bytes, &Limits::default()).unwrap_err();
        assert!(matches!(err, DocError::Corrupt { .. }), "{err}");
    }
}
