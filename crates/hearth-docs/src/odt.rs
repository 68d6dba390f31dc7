//! OpenDocument text (.odt, LibreOffice Writer's format): `text:h` are headings with their
//! outline level, `text:p` paragraphs, paragraphs in `text:list` list items (ordered when
//! the list's style numbers that level), tables become rows through [`TableWriter`],
//! text boxes are read where they stand, and footnotes are appended at the end as
//! "[^1]: ..." paragraphs matching the `[^1]` markers left in the text, as docx does.

use std::collections::HashMap;

use crate::builder::{collapse_whitespace, DocBuilder};
use crate::odf::{self, inline_text, SKIPPED};
use crate::table::TableWriter;
use crate::xml::{walk, Skipper, XmlEvent};
use crate::zip_guard::ZipGuard;
use crate::{BlockKind, DocError, Document, Format, Limits};

const FORMAT: &str = "odt";

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Document, DocError> {
    let mut zip = ZipGuard::open(bytes, FORMAT, limits)?;
    let content = odf::content(&mut zip, FORMAT, "text")?;
    let mut list_styles = ListStyles::default();
    if let Some(styles) = zip.read_text("styles.xml")? {
        list_styles.read(&styles)?;
    }
    list_styles.read(&content)?;

    let mut doc = DocBuilder::new(Format::Odt, limits.max_text_bytes);
    doc.set_title(odf::title(&mut zip)?);
    let mut body = Body {
        doc: &mut doc,
        lists: &list_styles,
        cells_left: limits.max_table_cells,
        skipper: Skipper::new(SKIPPED),
        in_body: false,
        paras: Vec::new(),
        list_stack: Vec::new(),
        tables: Vec::new(),
        note: None,
        notes: Vec::new(),
    };
    walk(&content, |e| body.event(e)).map_err(|e| DocError::corrupt(FORMAT, e))?;
    let notes = std::mem::take(&mut body.notes);
    drop(body);
    for (citation, text) in notes {
        doc.push(
            BlockKind::Paragraph,
            &format!("[^{citation}]: {text}"),
            None,
        );
    }
    doc.finish()
}

/// Whether each (list style, level) numbers its items.
#[derive(Default)]
struct ListStyles(HashMap<(String, u8), bool>);

impl ListStyles {
    fn read(&mut self, xml: &str) -> Result<(), DocError> {
        let mut current: Option<String> = None;
        walk(xml, |e| match e {
            XmlEvent::Start(t) => match t.name.as_str() {
                "list-style" => current = t.attr("name").map(str::to_string),
                "list-level-style-number" | "list-level-style-bullet" => {
                    if let (Some(style), Some(level)) = (
                        current.clone(),
                        t.attr("level").and_then(|l| l.parse::<u8>().ok()),
                    ) {
                        let numbered = t.name == "list-level-style-number"
                            && t.attr("num-format").is_some_and(|f| !f.is_empty());
                        self.0.insert((style, level), numbered);
                    }
                }
                _ => {}
            },
            XmlEvent::End("list-style") => current = None,
            _ => {}
        })
        .map_err(|e| DocError::corrupt(FORMAT, e))
    }

    fn ordered(&self, style: Option<&str>, level: u8) -> bool {
        style.is_some_and(|s| {
            self.0
                .get(&(s.to_string(), level))
                .copied()
                .unwrap_or(false)
        })
    }
}

struct Para {
    kind: BlockKind,
    text: String,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    row: Vec<String>,
    cell: String,
}

struct Note {
    citation: String,
    in_citation: bool,
    text: String,
}

struct Body<'a, 'd> {
    doc: &'d mut DocBuilder,
    lists: &'a ListStyles,
    cells_left: usize,
    skipper: Skipper,
    in_body: bool,
    paras: Vec<Para>,
    /// The style of each open list (inner lists without one use the outer list's).
    list_stack: Vec<Option<String>>,
    tables: Vec<Table>,
    note: Option<Note>,
    notes: Vec<(String, String)>,
}

impl Body<'_, '_> {
    fn event(&mut self, e: XmlEvent<'_>) {
        if !self.skipper.keep(&e) {
            return;
        }
        match e {
            XmlEvent::Start(t) => self.start(t),
            XmlEvent::End(name) => self.end(name),
            XmlEvent::Text(s) => self.text(s),
        }
    }

    fn start(&mut self, t: &crate::xml::Tag) {
        match t.name.as_str() {
            "text" => self.in_body = true,
            _ if !self.in_body => {}
            "h" => {
                let level = t
                    .attr("outline-level")
                    .and_then(|l| l.parse::<u8>().ok())
                    .unwrap_or(1)
                    .clamp(1, 6);
                self.paras.push(Para {
                    kind: BlockKind::Heading { level },
                    text: String::new(),
                });
            }
            "p" => {
                let kind = match self.list_stack.len() {
                    0 => BlockKind::Paragraph,
                    n => {
                        let style = self.list_stack.iter().rev().find_map(|s| s.as_deref());
                        BlockKind::ListItem {
                            ordered: self.lists.ordered(style, n.min(10) as u8),
                            depth: (n - 1).min(8) as u8,
                        }
                    }
                };
                self.paras.push(Para {
                    kind,
                    text: String::new(),
                });
            }
            "list" => self
                .list_stack
                .push(t.attr("style-name").map(str::to_string)),
            "table" => self.tables.push(Table::default()),
            "note" => {
                self.note = Some(Note {
                    citation: String::new(),
                    in_citation: false,
                    text: String::new(),
                })
            }
            "note-citation" => {
                if let Some(n) = self.note.as_mut() {
                    n.in_citation = true;
                }
            }
            name => {
                if let Some(s) = inline_text(name, t.attr("c")) {
                    self.text(&s);
                }
            }
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "h" | "p" => {
                if let Some(p) = self.paras.pop() {
                    self.finish_paragraph(p);
                }
            }
            "list" => {
                self.list_stack.pop();
            }
            "note-citation" => {
                if let Some(n) = self.note.as_mut() {
                    n.in_citation = false;
                    let marker = format!("[^{}]", n.citation.trim());
                    self.text_outside_note(&marker);
                }
            }
            "note" => {
                if let Some(n) = self.note.take() {
                    self.notes
                        .push((n.citation.trim().to_string(), collapse_whitespace(&n.text)));
                }
            }
            "table-cell" | "covered-table-cell" => {
                if let Some(t) = self.tables.last_mut() {
                    let cell = std::mem::take(&mut t.cell);
                    t.row.push(cell);
                }
            }
            "table-row" => {
                if let Some(t) = self.tables.last_mut() {
                    let row = std::mem::take(&mut t.row);
                    t.rows.push(row);
                }
            }
            "table" => {
                if let Some(table) = self.tables.pop() {
                    self.finish_table(table);
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, s: &str) {
        if let Some(n) = self.note.as_mut() {
            if n.in_citation {
                n.citation.push_str(s);
            } else {
                n.text.push_str(s);
            }
            return;
        }
        self.text_outside_note(s);
    }

    fn text_outside_note(&mut self, s: &str) {
        if let Some(p) = self.paras.last_mut() {
            p.text.push_str(s);
        }
    }

    fn finish_paragraph(&mut self, p: Para) {
        if self.note.is_some() {
            // Paragraphs of a footnote's body: kept apart, one space between them.
            if let Some(n) = self.note.as_mut() {
                n.text.push(' ');
            }
            return;
        }
        if let Some(outer) = self.paras.last_mut() {
            // A paragraph inside a text box inside a paragraph: read in place.
            outer.text.push(' ');
            outer.text.push_str(&p.text);
            return;
        }
        if let Some(t) = self.tables.last_mut() {
            if !t.cell.is_empty() {
                t.cell.push(' ');
            }
            t.cell.push_str(&p.text);
            return;
        }
        self.doc.push(p.kind, &p.text, None);
    }

    fn finish_table(&mut self, table: Table) {
        if let Some(outer) = self.tables.last_mut() {
            // A table inside a cell: its rows become the cell's text.
            let text: Vec<String> = table.rows.iter().map(|r| r.join(" ")).collect();
            outer.cell.push_str(&text.join(" "));
            return;
        }
        let mut writer = TableWriter::new(self.doc, "a table", None, self.cells_left);
        for row in &table.rows {
            writer.row(row);
        }
        self.cells_left = writer.finish();
    }
}
