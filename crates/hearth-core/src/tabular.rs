//! Results as tables: rows of JSON objects written as JSON Lines or CSV.
//!
//! Workflow results and generated records share this: one object per row; CSV columns
//! are the keys in the order they first appear, nested values written as compact JSON
//! so no field is lost.

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

fn write_csv(rows: &[Value], given: Option<&[String]>, out: impl Write) -> Result<()> {
    let columns = given
        .map(<[String]>::to_vec)
        .unwrap_or_else(|| columns(rows));
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&columns).map_err(write_error)?;
    for row in rows {
        let record: Vec<String> = columns.iter().map(|c| cell(row.get(c))).collect();
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
}
