//! PowerPoint presentations (.pptx): slides in the presentation's order (`sldIdLst`), each
//! a level-2 heading with its title (or "Slide N" where it has none), then its text in
//! reading order: bulleted body text as list items at their level, text boxes as
//! paragraphs, tables as rows, and the speaker notes last. Every block carries its slide
//! number as its page, so summaries cite "p. 4" for slide 4. Hidden slides are skipped
//! with a warning; slide numbers, dates and footers are not content and are left out.

use crate::builder::DocBuilder;
use crate::opc;
use crate::table::TableWriter;
use crate::xml::{walk, XmlEvent};
use crate::zip_guard::ZipGuard;
use crate::{BlockKind, DocError, Document, Format, Limits};

const FORMAT: &str = "pptx";

/// Placeholders that repeat on every slide rather than saying anything.
const BOILERPLATE: &[&str] = &["sldNum", "dt", "ftr", "hdr", "sldImg"];

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Document, DocError> {
    let mut zip = ZipGuard::open(bytes, FORMAT, limits)?;
    let presentation = opc::main_part(&mut zip, FORMAT, "ppt/presentation.xml")?;
    let by_id = opc::rels_by_id(&mut zip, &presentation, FORMAT)?;
    let xml = zip.read_text(&presentation)?.ok_or_else(|| {
        DocError::corrupt(
            FORMAT,
            format!("its presentation part {presentation} is missing"),
        )
    })?;
    let order = slide_ids(&xml)?;

    let mut doc = DocBuilder::new(Format::Pptx, limits.max_text_bytes);
    doc.set_title(opc::core_title(&mut zip)?);
    doc.set_pages(u32::try_from(order.len()).unwrap_or(u32::MAX));
    let mut cells_left = limits.max_table_cells;
    let mut missing = 0;
    for (i, rel_id) in order.iter().enumerate() {
        if doc.is_full() {
            break;
        }
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let Some(part) = by_id.get(rel_id) else {
            missing += 1;
            continue;
        };
        let Some(slide_xml) = zip.read_text(part)? else {
            missing += 1;
            continue;
        };
        let slide = read_shapes(&slide_xml)?;
        if slide.hidden {
            doc.warn(format!("slide {number} is hidden and was not read"));
            continue;
        }
        let notes = match opc::rels_by_kind(&mut zip, part, FORMAT)?.get("notesSlide") {
            Some(notes_part) => match zip.read_text(notes_part)? {
                Some(xml) => read_shapes(&xml)?.body_text(),
                None => String::new(),
            },
            None => String::new(),
        };
        cells_left = slide.write(number, &notes, &mut doc, cells_left);
    }
    if missing > 0 {
        doc.warn(format!(
            "{missing} slide(s) named by the presentation are missing from the file"
        ));
    }
    doc.finish()
}

/// The relationship ids of the slides, in the order they are shown.
fn slide_ids(xml: &str) -> Result<Vec<String>, DocError> {
    let mut ids = Vec::new();
    walk(xml, |e| {
        if let XmlEvent::Start(t) = e {
            if t.name == "sldId" {
                // The numeric `id` is the slide's; the relationship is the other one (`r:id`).
                if let Some(id) = t
                    .attrs_named("id")
                    .find(|id| !id.chars().all(|c| c.is_ascii_digit()))
                {
                    ids.push(id.to_string());
                }
            }
        }
    })
    .map_err(|e| DocError::corrupt(FORMAT, e))?;
    Ok(ids)
}

/// Something on a slide, in reading order.
enum Item {
    Title(String),
    Text {
        text: String,
        bullet: Option<(bool, u8)>,
    },
    Table(Vec<Vec<String>>),
}

#[derive(Default)]
struct Slide {
    items: Vec<Item>,
    hidden: bool,
}

impl Slide {
    /// The text of every non-title item, for speaker notes.
    fn body_text(&self) -> String {
        let parts: Vec<&str> = self
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        parts.join(" ")
    }

    fn write(
        &self,
        number: u32,
        notes: &str,
        doc: &mut DocBuilder,
        mut cells_left: usize,
    ) -> usize {
        let page = Some(number);
        let title = self.items.iter().find_map(|i| match i {
            Item::Title(t) if !t.trim().is_empty() => Some(t.clone()),
            _ => None,
        });
        doc.push(
            BlockKind::Heading { level: 2 },
            &title.unwrap_or_else(|| format!("Slide {number}")),
            page,
        );
        for item in &self.items {
            match item {
                Item::Title(_) => {}
                Item::Text { text, bullet: None } => doc.push(BlockKind::Paragraph, text, page),
                Item::Text {
                    text,
                    bullet: Some((ordered, depth)),
                } => doc.push(
                    BlockKind::ListItem {
                        ordered: *ordered,
                        depth: *depth,
                    },
                    text,
                    page,
                ),
                Item::Table(rows) => {
                    let mut table = TableWriter::new(
                        doc,
                        &format!("the table on slide {number}"),
                        page,
                        cells_left,
                    );
                    for row in rows {
                        table.row(row);
                    }
                    cells_left = table.finish();
                }
            }
        }
        if !notes.trim().is_empty() {
            doc.push(BlockKind::Quote, &format!("Speaker notes: {notes}"), page);
        }
        cells_left
    }
}

#[derive(Default)]
struct Shape {
    placeholder: Option<String>,
    paragraphs: Vec<(String, Option<(bool, u8)>)>,
}

#[derive(Default)]
struct Para {
    text: String,
    level: u8,
    numbered: bool,
    no_bullet: bool,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    row: Vec<String>,
    cell: Option<String>,
}

/// Reads a slide (or notes slide): its shapes' paragraphs and its tables.
fn read_shapes(xml: &str) -> Result<Slide, DocError> {
    let mut slide = Slide::default();
    let mut shape: Option<Shape> = None;
    let mut para: Option<Para> = None;
    let mut table: Option<Table> = None;
    let mut in_t = false;
    walk(xml, |e| match e {
        XmlEvent::Start(t) => match t.name.as_str() {
            "sld" => slide.hidden = t.attr("show") == Some("0"),
            "sp" => shape = Some(Shape::default()),
            "ph" => {
                if let Some(s) = shape.as_mut() {
                    s.placeholder = Some(t.attr("type").unwrap_or("body").to_string());
                }
            }
            "tbl" => table = Some(Table::default()),
            "tc" => {
                if let Some(tb) = table.as_mut() {
                    tb.cell = Some(String::new());
                }
            }
            "p" => para = Some(Para::default()),
            "pPr" => {
                if let Some(p) = para.as_mut() {
                    p.level = t
                        .attr("lvl")
                        .and_then(|l| l.parse().ok())
                        .unwrap_or(0)
                        .min(8);
                }
            }
            "buAutoNum" => {
                if let Some(p) = para.as_mut() {
                    p.numbered = true;
                }
            }
            "buNone" => {
                if let Some(p) = para.as_mut() {
                    p.no_bullet = true;
                }
            }
            "t" => in_t = true,
            "br" => {
                if let Some(p) = para.as_mut() {
                    p.text.push('\n');
                }
            }
            _ => {}
        },
        XmlEvent::Text(s) if in_t => {
            if let Some(p) = para.as_mut() {
                p.text.push_str(s);
            }
        }
        XmlEvent::End(name) => match name {
            "t" => in_t = false,
            "p" => {
                let Some(p) = para.take() else { return };
                if let Some(cell) = table.as_mut().and_then(|t| t.cell.as_mut()) {
                    if !cell.is_empty() {
                        cell.push(' ');
                    }
                    cell.push_str(&p.text);
                } else if let Some(s) = shape.as_mut() {
                    let body = matches!(s.placeholder.as_deref(), Some("body" | "obj"));
                    let bullet = (body && !p.no_bullet).then_some((p.numbered, p.level));
                    s.paragraphs.push((p.text, bullet));
                }
            }
            "tc" => {
                if let Some(tb) = table.as_mut() {
                    let cell = tb.cell.take().unwrap_or_default();
                    tb.row.push(cell);
                }
            }
            "tr" => {
                if let Some(tb) = table.as_mut() {
                    let row = std::mem::take(&mut tb.row);
                    tb.rows.push(row);
                }
            }
            "tbl" => {
                if let Some(tb) = table.take() {
                    slide.items.push(Item::Table(tb.rows));
                }
            }
            "sp" => {
                let Some(s) = shape.take() else { return };
                match s.placeholder.as_deref() {
                    Some(kind) if BOILERPLATE.contains(&kind) => {}
                    Some("title" | "ctrTitle") => {
                        let lines: Vec<&str> =
                            s.paragraphs.iter().map(|(t, _)| t.as_str()).collect();
                        slide.items.push(Item::Title(lines.join(" ")));
                    }
                    _ => {
                        for (text, bullet) in s.paragraphs {
                            if !text.trim().is_empty() {
                                slide.items.push(Item::Text { text, bullet });
                            }
                        }
                    }
                }
            }
            _ => {}
        },
        _ => {}
    })
    .map_err(|e| DocError::corrupt(FORMAT, e))?;
    Ok(slide)
}
