//! CSV and TSV files as tables: the text is decoded like any text file (so a
//! windows-1252 export from Excel reads right), the delimiter is the one that splits the
//! first lines most evenly (`,`, `;` as European spreadsheets write, tab, or `|`), and
//! the `csv` crate parses quoting. Rows become [`TableWriter`] tables, header repeated.

use crate::builder::DocBuilder;
use crate::table::TableWriter;
use crate::text::Decoded;
use crate::{DocError, Document, Format, Limits};

/// Lines looked at to choose the delimiter.
const SNIFF_LINES: usize = 20;

pub(crate) fn read(decoded: Decoded, limits: &Limits) -> Result<Document, DocError> {
    let delimiter = sniff_delimiter(&decoded.text);
    let mut doc = DocBuilder::new(Format::Csv, limits.max_text_bytes);
    doc.set_encoding(decoded.encoding);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded.text.as_bytes());
    let mut table = TableWriter::new(&mut doc, "the table", None, limits.max_table_cells);
    let mut broken = None;
    for (i, record) in reader.records().enumerate() {
        if !table.wants_more() {
            break;
        }
        match record {
            Ok(record) => {
                let cells: Vec<&str> = record.iter().collect();
                table.row(&cells);
            }
            Err(e) => {
                broken = Some(format!(
                    "row {} could not be read ({e}); the rest was not read",
                    i + 1
                ));
                break;
            }
        }
    }
    table.finish();
    if let Some(warning) = broken {
        doc.warn(warning);
    }
    doc.finish()
}

/// The delimiter that gives the first lines the same, largest number of fields.
fn sniff_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES)
        .collect();
    let mut best = (b',', 0usize);
    for delimiter in [b',', b';', b'\t', b'|'] {
        let counts: Vec<usize> = lines
            .iter()
            .map(|l| fields_outside_quotes(l, delimiter))
            .collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        let consistent = counts.iter().filter(|&&c| c == first).count();
        // Lines agreeing on a count of more than one field; the comma wins ties.
        let score = if first > 1 { consistent * first } else { 0 };
        if score > best.1 {
            best = (delimiter, score);
        }
    }
    best.0
}

fn fields_outside_quotes(line: &str, delimiter: u8) -> usize {
    let mut quoted = false;
    let mut fields = 1;
    for b in line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == delimiter && !quoted {
            fields += 1;
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(
            sniff_delimiter("Name;Betrag\n\"Miete, Juni\";1.200,50\nStrom;80,00\n"),
            b';'
        );
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_delimiter("just one column\nof text\n"), b',');
    }

    #[test]
    fn quoted_fields_and_ragged_rows() {
        let decoded = Decoded {
            text: "name,note\n\"Smith, J\",\"said \"\"hi\"\"\"\nsolo\n".into(),
            encoding: "UTF-8",
        };
        let doc = read(decoded, &Limits::default()).unwrap();
        assert_eq!(
            doc.blocks[0].text,
            "name | note\nSmith, J | said \"hi\"\nsolo"
        );
        assert_eq!(doc.encoding.as_deref(), Some("UTF-8"));
    }
}
