//! Excel workbooks (.xlsx): each visible sheet, in the workbook's order, becomes a level-2
//! heading with its name and its rows as tables ([`crate::table`]). Cell values are shown
//! as a reader sees them where the file says enough: shared and inline strings, booleans,
//! formula results, dates (serial numbers in a date format, 1900 or 1904 system) and
//! percentages; other numbers as their shortest exact decimal.
//!
//! Hostile sheets: the sheet XML is read through the zip guard and streamed, cells are
//! placed by their column letters but never past [`MAX_COLUMNS`], and the table writer
//! stops at the document's cell cap.

use std::collections::HashMap;

use crate::builder::DocBuilder;
use crate::opc;
use crate::table::TableWriter;
use crate::xml::{walk, XmlEvent};
use crate::zip_guard::ZipGuard;
use crate::{BlockKind, DocError, Document, Format, Limits};

const FORMAT: &str = "xlsx";

/// Columns read per row (Excel's own limit is 16,384); cells further right are dropped
/// with a warning, so one cell at XFD1 cannot make every row 16,384 cells wide.
const MAX_COLUMNS: usize = 1024;

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Document, DocError> {
    let mut zip = ZipGuard::open(bytes, FORMAT, limits)?;
    let workbook = opc::main_part(&mut zip, FORMAT, "xl/workbook.xml")?;
    let kinds = opc::rels_by_kind(&mut zip, &workbook, FORMAT)?;
    let by_id = opc::rels_by_id(&mut zip, &workbook, FORMAT)?;
    let strings = match kinds.get("sharedStrings") {
        Some(part) => shared_strings(&zip.read_text(part)?.unwrap_or_default())?,
        None => Vec::new(),
    };
    let styles = match kinds.get("styles") {
        Some(part) => Styles::read(&zip.read_text(part)?.unwrap_or_default())?,
        None => Styles::default(),
    };
    let xml = zip.read_text(&workbook)?.ok_or_else(|| {
        DocError::corrupt(FORMAT, format!("its workbook part {workbook} is missing"))
    })?;
    let book = Workbook::read(&xml)?;

    let mut doc = DocBuilder::new(Format::Xlsx, limits.max_text_bytes);
    doc.set_title(opc::core_title(&mut zip)?);
    let mut cells_left = limits.max_table_cells;
    for sheet in &book.sheets {
        if doc.is_full() || cells_left == 0 {
            break;
        }
        if sheet.hidden {
            doc.warn(format!("sheet {} is hidden and was not read", sheet.name));
            continue;
        }
        let Some(part) = by_id.get(&sheet.rel_id) else {
            doc.warn(format!("sheet {} is missing from the file", sheet.name));
            continue;
        };
        let Some(xml) = zip.read_text(part)? else {
            doc.warn(format!("sheet {} is missing from the file", sheet.name));
            continue;
        };
        doc.push(BlockKind::Heading { level: 2 }, &sheet.name, None);
        let context = CellContext {
            strings: &strings,
            styles: &styles,
            date1904: book.date1904,
        };
        cells_left = read_sheet(&xml, &sheet.name, &context, &mut doc, cells_left)?;
    }
    doc.finish()
}

struct Sheet {
    name: String,
    rel_id: String,
    hidden: bool,
}

struct Workbook {
    sheets: Vec<Sheet>,
    date1904: bool,
}

impl Workbook {
    fn read(xml: &str) -> Result<Self, DocError> {
        let mut book = Workbook {
            sheets: Vec::new(),
            date1904: false,
        };
        walk(xml, |e| {
            if let XmlEvent::Start(t) = e {
                match t.name.as_str() {
                    "sheet" => book.sheets.push(Sheet {
                        name: t.attr("name").unwrap_or("(unnamed)").to_string(),
                        rel_id: t.attr("id").unwrap_or_default().to_string(),
                        hidden: matches!(t.attr("state"), Some("hidden" | "veryHidden")),
                    }),
                    "workbookPr" => {
                        book.date1904 = matches!(t.attr("date1904"), Some("1" | "true"))
                    }
                    _ => {}
                }
            }
        })
        .map_err(|e| DocError::corrupt(FORMAT, e))?;
        Ok(book)
    }
}

/// The shared string table: each `<si>` is the text of its runs (`<t>`), without the
/// phonetic guides (`<rPh>`) East Asian files carry.
fn shared_strings(xml: &str) -> Result<Vec<String>, DocError> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut in_t = false;
    let mut in_phonetic = false;
    walk(xml, |e| match e {
        XmlEvent::Start(t) => match t.name.as_str() {
            "si" => current = Some(String::new()),
            "t" => in_t = true,
            "rPh" => in_phonetic = true,
            _ => {}
        },
        XmlEvent::End(name) => match name {
            "si" => out.push(current.take().unwrap_or_default()),
            "t" => in_t = false,
            "rPh" => in_phonetic = false,
            _ => {}
        },
        XmlEvent::Text(s) => {
            if let (true, false, Some(c)) = (in_t, in_phonetic, current.as_mut()) {
                c.push_str(s);
            }
        }
    })
    .map_err(|e| DocError::corrupt(FORMAT, e))?;
    Ok(out)
}

/// How a number in a cell is shown, from its style's number format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Number,
    Percent,
    Date,
    DateTime,
    Time,
}

#[derive(Default)]
struct Styles {
    /// By the cell's `s` index.
    shown: Vec<Shown>,
}

impl Styles {
    fn read(xml: &str) -> Result<Self, DocError> {
        let mut custom: HashMap<String, String> = HashMap::new();
        let mut format_ids = Vec::new();
        let mut in_cell_xfs = false;
        walk(xml, |e| match e {
            XmlEvent::Start(t) => match t.name.as_str() {
                "numFmt" => {
                    if let (Some(id), Some(code)) = (t.attr("numFmtId"), t.attr("formatCode")) {
                        custom.insert(id.to_string(), code.to_string());
                    }
                }
                "cellXfs" => in_cell_xfs = true,
                "xf" if in_cell_xfs => {
                    format_ids.push(t.attr("numFmtId").unwrap_or("0").to_string())
                }
                _ => {}
            },
            XmlEvent::End("cellXfs") => in_cell_xfs = false,
            _ => {}
        })
        .map_err(|e| DocError::corrupt(FORMAT, e))?;
        let shown = format_ids
            .iter()
            .map(|id| match custom.get(id) {
                Some(code) => shown_by_code(code),
                None => shown_by_builtin(id.parse().unwrap_or(0)),
            })
            .collect();
        Ok(Styles { shown })
    }

    fn shown(&self, style: Option<&str>) -> Shown {
        style
            .and_then(|s| s.parse::<usize>().ok())
            .and_then(|i| self.shown.get(i).copied())
            .unwrap_or(Shown::Number)
    }
}

/// Excel's built-in number formats (ECMA-376 part 1, 18.8.30) that are not plain numbers.
fn shown_by_builtin(id: u32) -> Shown {
    match id {
        9 | 10 => Shown::Percent,
        14..=17 | 27..=31 | 34..=36 | 50..=58 => Shown::Date,
        22 => Shown::DateTime,
        18..=21 | 32 | 33 | 45..=47 => Shown::Time,
        _ => Shown::Number,
    }
}

/// A custom format code's kind: date and time letters outside quotes and brackets
/// (`[Red]`, `"days"`) make a date; `%` a percentage.
fn shown_by_code(code: &str) -> Shown {
    let mut plain = String::new();
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => chars.by_ref().take_while(|&c| c != '"').for_each(drop),
            '[' => chars.by_ref().take_while(|&c| c != ']').for_each(drop),
            '\\' | '_' | '*' => {
                chars.next();
            }
            c => plain.push(c.to_ascii_lowercase()),
        }
    }
    // Only the first section (positive numbers) decides.
    let plain = plain.split(';').next().unwrap_or("");
    let date = plain.contains('y') || plain.contains('d') || plain.contains("mmm");
    let time = plain.contains('h') || plain.contains('s');
    match (date, time) {
        (true, true) => Shown::DateTime,
        (true, false) => Shown::Date,
        (false, true) => Shown::Time,
        _ if plain.contains('%') => Shown::Percent,
        _ => Shown::Number,
    }
}

struct CellContext<'a> {
    strings: &'a [String],
    styles: &'a Styles,
    date1904: bool,
}

/// Reads one sheet's rows into tables; returns the cells left for the next sheet.
fn read_sheet(
    xml: &str,
    name: &str,
    context: &CellContext<'_>,
    doc: &mut DocBuilder,
    cells_left: usize,
) -> Result<usize, DocError> {
    let mut table = TableWriter::new(doc, &format!("sheet {name}"), None, cells_left);
    let mut row: Vec<String> = Vec::new();
    let mut cell: Option<Cell> = None;
    let mut in_value = false;
    let mut dropped_columns = false;
    walk(xml, |e| match e {
        XmlEvent::Start(t) => match t.name.as_str() {
            "row" => row.clear(),
            "c" => {
                let column = t.attr("r").and_then(column_index).unwrap_or(row.len());
                cell = Some(Cell {
                    column,
                    kind: t.attr("t").unwrap_or("n").to_string(),
                    style: t.attr("s").map(str::to_string),
                    value: String::new(),
                });
            }
            "v" | "t" => in_value = true,
            _ => {}
        },
        XmlEvent::Text(s) if in_value => {
            if let Some(c) = cell.as_mut() {
                c.value.push_str(s);
            }
        }
        XmlEvent::End(name) => match name {
            "v" | "t" => in_value = false,
            "c" => {
                if let Some(c) = cell.take() {
                    if c.column >= MAX_COLUMNS {
                        dropped_columns = true;
                        return;
                    }
                    let text = c.shown(context);
                    if !text.is_empty() {
                        if row.len() <= c.column {
                            row.resize(c.column + 1, String::new());
                        }
                        row[c.column] = text;
                    }
                }
            }
            "row" if table.wants_more() => table.row(&row),
            _ => {}
        },
        _ => {}
    })
    .map_err(|e| DocError::corrupt(FORMAT, e))?;
    let left = table.finish();
    if dropped_columns {
        doc.warn(format!(
            "sheet {name} has cells beyond column {MAX_COLUMNS}; they were not read"
        ));
    }
    Ok(left)
}

struct Cell {
    column: usize,
    kind: String,
    style: Option<String>,
    value: String,
}

impl Cell {
    fn shown(&self, context: &CellContext<'_>) -> String {
        let value = self.value.trim();
        match self.kind.as_str() {
            "s" => value
                .parse::<usize>()
                .ok()
                .and_then(|i| context.strings.get(i))
                .cloned()
                .unwrap_or_default(),
            "b" => match value {
                "1" => "TRUE".into(),
                "0" => "FALSE".into(),
                other => other.into(),
            },
            // Inline strings, formula strings, errors ("#DIV/0!") and ISO dates as written.
            "inlineStr" | "str" | "e" | "d" => self.value.clone(),
            _ => match value.parse::<f64>() {
                Ok(n) => show_number(
                    n,
                    context.styles.shown(self.style.as_deref()),
                    context.date1904,
                ),
                Err(_) => value.to_string(),
            },
        }
    }
}

fn show_number(n: f64, shown: Shown, date1904: bool) -> String {
    match shown {
        Shown::Percent => format!("{}%", shortest(n * 100.0)),
        Shown::Date | Shown::DateTime | Shown::Time => {
            serial_to_text(n, shown, date1904).unwrap_or_else(|| shortest(n))
        }
        Shown::Number => shortest(n),
    }
}

/// The number as Excel shows it, to 15 significant digits, without the float noise some
/// writers leave ("0.30000000000000004" is 0.3); very large and small ones as 1e300.
fn shortest(n: f64) -> String {
    let rounded: f64 = format!("{n:.14e}").parse().unwrap_or(n);
    let magnitude = rounded.abs();
    let text = if magnitude != 0.0 && !(1e-6..1e15).contains(&magnitude) {
        format!("{rounded:e}")
    } else {
        format!("{rounded}")
    };
    if text == "-0" {
        "0".into()
    } else {
        text
    }
}

/// An Excel date serial as `2024-03-01`, `2024-03-01 14:30` or `14:30:00`.
fn serial_to_text(serial: f64, shown: Shown, date1904: bool) -> Option<String> {
    if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    // Day 0 of the 1900 system is 1899-12-30 for every serial after Excel's phantom
    // 1900-02-29 (serial 60), which is where real dates are.
    let epoch = if date1904 {
        chrono::NaiveDate::from_ymd_opt(1904, 1, 1)?
    } else {
        chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?
    };
    let days = serial.floor();
    let seconds = ((serial - days) * 86_400.0).round() as i64;
    let date = epoch.checked_add_signed(chrono::TimeDelta::days(days as i64))?;
    let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt((seconds % 86_400) as u32, 0)?;
    Some(match shown {
        Shown::Time => time.format("%H:%M:%S").to_string(),
        Shown::DateTime if seconds != 0 => {
            format!("{} {}", date.format("%Y-%m-%d"), time.format("%H:%M"))
        }
        _ => date.format("%Y-%m-%d").to_string(),
    })
}

/// "BC12" → 54 (0-based column of a cell reference).
fn column_index(reference: &str) -> Option<usize> {
    let mut column = 0usize;
    let mut letters = 0;
    for c in reference.chars().take_while(char::is_ascii_alphabetic) {
        letters += 1;
        if letters > 3 {
            return None;
        }
        column = column * 26 + (c.to_ascii_uppercase() as usize - 'A' as usize + 1);
    }
    column.checked_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_from_references() {
        assert_eq!(column_index("A1"), Some(0));
        assert_eq!(column_index("Z9"), Some(25));
        assert_eq!(column_index("AA10"), Some(26));
        assert_eq!(column_index("XFD1048576"), Some(16_383));
        assert_eq!(column_index("12"), None);
        assert_eq!(column_index("ABCD1"), None);
    }

    #[test]
    fn numbers_as_excel_shows_them() {
        assert_eq!(shortest(0.1 + 0.2), "0.3");
        assert_eq!(shortest(42.0), "42");
        assert_eq!(shortest(-0.0), "0");
        assert_eq!(show_number(0.125, Shown::Percent, false), "12.5%");
        assert_eq!(show_number(45352.0, Shown::Date, false), "2024-03-01");
        assert_eq!(
            show_number(45352.604166666664, Shown::DateTime, false),
            "2024-03-01 14:30"
        );
        assert_eq!(show_number(0.5, Shown::Time, false), "12:00:00");
        assert_eq!(show_number(0.0, Shown::Date, true), "1904-01-01");
        assert_eq!(show_number(1e300, Shown::Date, false), "1e300");
    }

    #[test]
    fn format_codes() {
        assert_eq!(shown_by_code("yyyy-mm-dd"), Shown::Date);
        assert_eq!(shown_by_code("[$-409]d-mmm-yy;@"), Shown::Date);
        assert_eq!(shown_by_code("h:mm AM/PM"), Shown::Time);
        assert_eq!(shown_by_code("0.0%"), Shown::Percent);
        assert_eq!(shown_by_code("\"days\" 0"), Shown::Number);
        assert_eq!(shown_by_code("#,##0.00 [Red]"), Shown::Number);
        assert_eq!(shown_by_builtin(14), Shown::Date);
        assert_eq!(shown_by_builtin(2), Shown::Number);
    }
}
