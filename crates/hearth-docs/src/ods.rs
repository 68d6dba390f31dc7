//! OpenDocument spreadsheets (.ods): each sheet (`table:table`) becomes a level-2 heading
//! with its name and its rows as tables ([`TableWriter`]); a cell's text is what the
//! spreadsheet shows (its `text:p`), so dates and currencies read as the author saw them.
//!
//! Repeats are the file's word and are never trusted: LibreOffice writes a sheet's empty
//! tail as one cell repeated 16,000 times and one row repeated a million times, so empty
//! repeats are only kept when a value follows them in the row, and repeated values count
//! against the document's cell cap like any other cell.

use crate::builder::{collapse_whitespace, DocBuilder};
use crate::odf::{self, inline_text, SKIPPED};
use crate::table::TableWriter;
use crate::xml::{walk, Skipper, XmlEvent};
use crate::zip_guard::ZipGuard;
use crate::{BlockKind, DocError, Document, Format, Limits};

const FORMAT: &str = "ods";

/// Columns read per row, as for xlsx.
const MAX_COLUMNS: usize = 1024;

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Document, DocError> {
    let mut zip = ZipGuard::open(bytes, FORMAT, limits)?;
    let content = odf::content(&mut zip, FORMAT, "spreadsheet")?;
    let mut doc = DocBuilder::new(Format::Ods, limits.max_text_bytes);
    doc.set_title(odf::title(&mut zip)?);
    let mut sheets = Sheets {
        doc: &mut doc,
        cells_left: limits.max_table_cells,
        skipper: Skipper::new(SKIPPED),
        sheet: None,
        row: Vec::new(),
        row_repeat: 1,
        pending_empty: 0,
        cell: None,
        in_p: 0,
        dropped_columns: false,
        kept_cells: 0,
        kept_bytes: 0,
        max_bytes: limits.max_text_bytes,
    };
    walk(&content, |e| sheets.event(e)).map_err(|e| DocError::corrupt(FORMAT, e))?;
    let dropped = sheets.dropped_columns;
    drop(sheets);
    if dropped {
        doc.warn(format!(
            "a sheet has cells beyond column {MAX_COLUMNS}; they were not read"
        ));
    }
    doc.finish()
}

struct Sheet {
    name: String,
    rows: Vec<(Vec<String>, usize)>,
}

struct Cell {
    text: String,
    repeat: usize,
}

struct Sheets<'d> {
    doc: &'d mut DocBuilder,
    cells_left: usize,
    skipper: Skipper,
    sheet: Option<Sheet>,
    row: Vec<String>,
    row_repeat: usize,
    /// Empty cells seen since the last value in this row, not yet placed.
    pending_empty: usize,
    cell: Option<Cell>,
    /// Paragraphs open inside the current cell.
    in_p: usize,
    dropped_columns: bool,
    /// Cells and bytes held for the current sheet: never more than the document may keep,
    /// so a long value repeated across a row cannot fill memory before the cap applies.
    kept_cells: usize,
    kept_bytes: usize,
    max_bytes: usize,
}

impl Sheets<'_> {
    fn event(&mut self, e: XmlEvent<'_>) {
        if !self.skipper.keep(&e) {
            return;
        }
        match e {
            XmlEvent::Start(t) => {
                match t.name.as_str() {
                    // A table inside a cell (rare) is read as the cell's text.
                    "table" if self.cell.is_none() => {
                        self.sheet = Some(Sheet {
                            name: t.attr("name").unwrap_or("(unnamed)").to_string(),
                            rows: Vec::new(),
                        })
                    }
                    "table-row" if self.cell.is_none() => {
                        self.row.clear();
                        self.pending_empty = 0;
                        self.row_repeat = repeat(t.attr("number-rows-repeated"));
                    }
                    "table-cell" | "covered-table-cell" if self.cell.is_none() => {
                        self.cell = Some(Cell {
                            text: String::new(),
                            repeat: repeat(t.attr("number-columns-repeated")),
                        })
                    }
                    "p" | "h" => {
                        if let Some(c) = self.cell.as_mut() {
                            if !c.text.is_empty() {
                                c.text.push('\n');
                            }
                            self.in_p += 1;
                        }
                    }
                    name => {
                        if let Some(s) = inline_text(name, t.attr("c")) {
                            self.text(&s);
                        }
                    }
                }
            }
            XmlEvent::End(name) => self.end(name),
            XmlEvent::Text(s) => self.text(s),
        }
    }

    fn text(&mut self, s: &str) {
        if let (Some(c), true) = (self.cell.as_mut(), self.in_p > 0) {
            c.text.push_str(s);
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "p" | "h" => self.in_p = self.in_p.saturating_sub(1),
            "table-cell" | "covered-table-cell" => {
                if let Some(cell) = self.cell.take() {
                    self.place(cell);
                }
            }
            "table-row" if self.cell.is_none() => {
                let row = std::mem::take(&mut self.row);
                if let Some(sheet) = self.sheet.as_mut() {
                    if row.iter().any(|c| !c.is_empty()) {
                        sheet.rows.push((row, self.row_repeat));
                    }
                }
            }
            "table" if self.cell.is_none() => {
                if let Some(sheet) = self.sheet.take() {
                    self.write(sheet);
                }
            }
            _ => {}
        }
    }

    /// Puts a cell (and its repeats) into the row; empty cells wait until a value
    /// follows them, so a row's empty tail costs nothing however long it claims to be.
    fn place(&mut self, cell: Cell) {
        let text = collapse_whitespace(&cell.text);
        if text.is_empty() {
            self.pending_empty = self.pending_empty.saturating_add(cell.repeat);
            return;
        }
        let start = self.row.len().saturating_add(self.pending_empty);
        if start >= MAX_COLUMNS {
            self.dropped_columns = true;
            return;
        }
        self.row.resize(start, String::new());
        self.pending_empty = 0;
        let room = MAX_COLUMNS - start;
        if cell.repeat > room {
            self.dropped_columns = true;
        }
        for _ in 0..cell.repeat.min(room) {
            if self.kept_cells >= self.cells_left || self.kept_bytes >= self.max_bytes {
                return;
            }
            self.kept_cells += 1;
            self.kept_bytes += text.len();
            self.row.push(text.clone());
        }
    }

    fn write(&mut self, sheet: Sheet) {
        self.kept_cells = 0;
        self.kept_bytes = 0;
        if sheet.rows.is_empty() || self.cells_left == 0 || self.doc.is_full() {
            return;
        }
        self.doc
            .push(BlockKind::Heading { level: 2 }, &sheet.name, None);
        let mut table = TableWriter::new(
            self.doc,
            &format!("sheet {}", sheet.name),
            None,
            self.cells_left,
        );
        'rows: for (row, times) in &sheet.rows {
            for _ in 0..*times {
                if !table.wants_more() {
                    break 'rows;
                }
                table.row(row);
            }
        }
        self.cells_left = table.finish();
    }
}

fn repeat(attr: Option<&str>) -> usize {
    attr.and_then(|r| r.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1)
}
