//! Tables out of spreadsheets and CSV files: rows of cells become [`BlockKind::Table`]
//! blocks of at most [`ROWS_PER_BLOCK`] rows, each later block starting with the table's
//! first row again, so a passage cut from the middle of a long sheet still says what its
//! columns are. Empty rows and trailing empty cells are dropped; a cap on cells keeps a
//! sheet that claims a million rows from filling memory.

use crate::builder::{collapse_whitespace, DocBuilder};
use crate::BlockKind;

/// Rows per Table block: small enough for one retrieval passage, large enough to read.
pub(crate) const ROWS_PER_BLOCK: usize = 40;

/// Collects one table's rows and writes them to the document as they come.
pub(crate) struct TableWriter<'d> {
    doc: &'d mut DocBuilder,
    page: Option<u32>,
    header: Option<String>,
    header_cells: usize,
    rows: Vec<String>,
    /// Cells this table may still take before the document's cap.
    cells_left: usize,
    name: String,
    truncated: bool,
}

impl<'d> TableWriter<'d> {
    /// A table called `name` in warnings ("sheet Budget"), with at most `max_cells` cells.
    pub(crate) fn new(
        doc: &'d mut DocBuilder,
        name: &str,
        page: Option<u32>,
        max_cells: usize,
    ) -> Self {
        Self {
            doc,
            page,
            header: None,
            header_cells: 0,
            rows: Vec::new(),
            cells_left: max_cells,
            name: name.to_string(),
            truncated: false,
        }
    }

    /// False once the cell cap or the document's text limit is reached: the caller may
    /// stop reading rows.
    pub(crate) fn wants_more(&self) -> bool {
        !self.truncated && !self.doc.is_full()
    }

    /// Adds a row; cells are tidied (whitespace collapsed, the "|" separator escaped).
    pub(crate) fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        if !self.wants_more() {
            return;
        }
        let mut cells: Vec<String> = cells.iter().map(|c| tidy_cell(c.as_ref())).collect();
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if cells.is_empty() {
            return;
        }
        // A block after the first starts with the header row again, and those cells
        // count against the cap like any others.
        let repeat_header = self.header.is_some() && self.rows.is_empty();
        let needed = cells.len() + if repeat_header { self.header_cells } else { 0 };
        if needed > self.cells_left {
            self.truncated = true;
            let name = self.name.clone();
            self.flush();
            self.doc.warn(format!(
                "{name} has more cells than Hearth reads from one document; the rest was not read"
            ));
            return;
        }
        self.cells_left -= needed;
        let line = cells.join(" | ");
        if self.header.is_none() {
            self.header = Some(line.clone());
            self.header_cells = cells.len();
        } else if repeat_header {
            if let Some(header) = &self.header {
                self.rows.push(header.clone());
            }
        }
        self.rows.push(line);
        if self.rows.len() >= ROWS_PER_BLOCK {
            self.flush();
        }
    }

    /// The cells this table may still take, for the next table of the same document.
    pub(crate) fn finish(mut self) -> usize {
        self.flush();
        if self.truncated {
            0
        } else {
            self.cells_left
        }
    }

    fn flush(&mut self) {
        if !self.rows.is_empty() {
            let text = self.rows.join("\n");
            self.doc.push(BlockKind::Table, &text, self.page);
            self.rows.clear();
        }
    }
}

fn tidy_cell(cell: &str) -> String {
    collapse_whitespace(cell).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Format;

    fn table(rows: &[&[&str]], max_cells: usize) -> crate::Document {
        let mut doc = DocBuilder::new(Format::Csv, 1 << 20);
        let mut t = TableWriter::new(&mut doc, "sheet S", None, max_cells);
        for row in rows {
            t.row(row);
        }
        t.finish();
        doc.finish().unwrap()
    }

    #[test]
    fn long_tables_repeat_their_header() {
        let mut rows: Vec<Vec<String>> = vec![vec!["name".into(), "n".into()]];
        for i in 0..50 {
            rows.push(vec![format!("row {i}"), i.to_string()]);
        }
        let refs: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        let slices: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
        let doc = table(&slices, 1000);
        assert_eq!(doc.blocks.len(), 2);
        assert!(
            doc.blocks[1].text.starts_with("name | n\nrow 39 | 39"),
            "{}",
            doc.blocks[1].text
        );
        assert_eq!(doc.blocks[0].text.lines().count(), ROWS_PER_BLOCK);
    }

    #[test]
    fn empty_cells_rows_and_separators() {
        let doc = table(&[&["a|b", " x\n y ", "", ""], &["", ""], &["", "2"]], 100);
        assert_eq!(doc.blocks[0].text, "a\\|b | x y\n| 2");
    }

    #[test]
    fn the_cell_cap_stops_with_a_warning() {
        let doc = table(&[&["a", "b"], &["c", "d"], &["e", "f"]], 5);
        assert_eq!(doc.blocks[0].text, "a | b\nc | d");
        assert_eq!(doc.warnings.len(), 1, "{:?}", doc.warnings);
        assert!(doc.warnings[0].contains("sheet S"));
    }
}
