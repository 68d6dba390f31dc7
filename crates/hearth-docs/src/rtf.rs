//! Rich Text Format (.rtf, as WordPad, TextEdit and Word write it). RTF is a stream of
//! groups `{...}`, control words `\par` and text; one pass keeps a stack of group states
//! (never recursion, and the depth is capped) and writes paragraphs as they end.
//!
//! - Text is bytes in the document's code page (`\ansicpg1252`) or its font's character
//!   set (`\fcharset204` is Cyrillic), decoded with `encoding_rs`; `\'e9` is one such
//!   byte; `\u8364?` is a Unicode character followed by `\ucN` fallback characters that
//!   are skipped.
//! - Headings: a paragraph's `\outlinelevelN`, or its style (`\sN`) when the stylesheet
//!   names that style "heading N". List paragraphs (`\ls`, `\ilvl`) are list items; table
//!   paragraphs (`\intbl`) are cells ended by `\cell` in rows ended by `\row`.
//! - Skipped: font, colour, style and list tables, pictures and objects, headers and
//!   footers, field instructions (their results are kept), hidden text (`\v`), and any
//!   destination marked ignorable (`\*`) that is not known to hold text.
//! - The title comes from `{\info{\title ...}}`; footnotes are appended at the end as
//!   "[^1]: ..." paragraphs, as for docx.

use std::collections::HashMap;

use encoding_rs::{Encoding, WINDOWS_1252};

use crate::builder::{collapse_whitespace, DocBuilder};
use crate::table::TableWriter;
use crate::{BlockKind, DocError, Document, Format, Limits};

const FORMAT: &str = "rtf";

/// Deepest group nesting accepted; Word's own files stay under about 20.
const MAX_DEPTH: usize = 1024;

/// Destinations whose text is not the document's.
const SKIPPED: &[&str] = &[
    "fonttbl",
    "colortbl",
    "pict",
    "object",
    "header",
    "headerl",
    "headerr",
    "headerf",
    "footer",
    "footerl",
    "footerr",
    "footerf",
    "fldinst",
    "themedata",
    "colorschememapping",
    "datastore",
    "latentstyles",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
    "xmlnstbl",
    "mmathPr",
    "pgdsctbl",
    "revtbl",
    "filetbl",
    "pntext",
    "pntxta",
    "pntxtb",
    "listtext",
    "bkmkstart",
    "bkmkend",
    "nonshppict",
    "shppict",
    "shpinst",
    "sp",
    "info",
    "stylesheet",
    "author",
    "operator",
    "company",
    "keywords",
    "comment",
    "doccomm",
    "annotation",
    "atnid",
    "atnauthor",
    "atnref",
    "atrfstart",
    "atrfend",
    "wgrffmtfilter",
    "passwordhash",
    "protusertbl",
    "aftncn",
    "aftnsep",
    "aftnsepc",
    "ftncn",
    "ftnsep",
    "ftnsepc",
    "template",
    "userprops",
    "xmlopen",
    "xmlclose",
    "ud",
];

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Document, DocError> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    if !bytes[start..].starts_with(b"{\\rtf") {
        return Err(DocError::corrupt(FORMAT, "it does not start with {\\rtf"));
    }
    let mut doc = DocBuilder::new(Format::Rtf, limits.max_text_bytes);
    let mut parser = Parser::new(&mut doc, limits.max_table_cells);
    parser.run(&bytes[start..])?;
    let (title, notes) = (parser.title.clone(), std::mem::take(&mut parser.notes));
    drop(parser);
    doc.set_title(title.map(|t| collapse_whitespace(&t)));
    for (i, note) in notes.iter().enumerate() {
        doc.push(BlockKind::Paragraph, &format!("[^{}]: {note}", i + 1), None);
    }
    doc.finish()
}

/// Where the text of the current group goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sink {
    Body,
    Skip,
    Title,
    Footnote,
    /// A style's name in the stylesheet.
    StyleName,
    /// The font table: `\fN` and `\fcharsetN` are recorded.
    FontTable,
}

#[derive(Debug, Clone)]
struct State {
    sink: Sink,
    /// Characters to skip after `\uN`.
    uc: usize,
    encoding: &'static Encoding,
    hidden: bool,
    /// The style being named, inside the stylesheet.
    style: Option<i32>,
    /// The font being defined, inside the font table.
    font: Option<i32>,
    /// Inside `{\info ...}`, where `\title` is.
    in_info: bool,
}

/// Paragraph properties, reset by `\pard`.
#[derive(Debug, Clone, Default)]
struct ParaProps {
    outline: Option<u8>,
    style: Option<i32>,
    list_level: Option<u8>,
    in_table: bool,
}

struct Parser<'d> {
    doc: &'d mut DocBuilder,
    stack: Vec<State>,
    state: State,
    props: ParaProps,
    /// Bytes waiting to be decoded with the state's encoding (double-byte code pages need
    /// both bytes of a character together).
    pending: Vec<u8>,
    para: String,
    /// Fallback characters still to skip after a `\u`.
    skip_chars: usize,
    /// `\*` seen: the next control word starts a destination to skip unless known.
    ignorable: bool,
    document_encoding: &'static Encoding,
    font_encodings: HashMap<i32, &'static Encoding>,
    style_names: HashMap<i32, String>,
    style_name: String,
    title: Option<String>,
    notes: Vec<String>,
    note: String,
    row: Vec<String>,
    rows: Vec<Vec<String>>,
    cells_left: usize,
}

impl<'d> Parser<'d> {
    fn new(doc: &'d mut DocBuilder, max_cells: usize) -> Self {
        let state = State {
            sink: Sink::Body,
            uc: 1,
            encoding: WINDOWS_1252,
            hidden: false,
            style: None,
            font: None,
            in_info: false,
        };
        Self {
            doc,
            stack: Vec::new(),
            state,
            props: ParaProps::default(),
            pending: Vec::new(),
            para: String::new(),
            skip_chars: 0,
            ignorable: false,
            document_encoding: WINDOWS_1252,
            font_encodings: HashMap::new(),
            style_names: HashMap::new(),
            style_name: String::new(),
            title: None,
            notes: Vec::new(),
            note: String::new(),
            row: Vec::new(),
            rows: Vec::new(),
            cells_left: max_cells,
        }
    }

    fn run(&mut self, bytes: &[u8]) -> Result<(), DocError> {
        let mut i = 0;
        while i < bytes.len() {
            if self.doc.is_full() {
                return Ok(());
            }
            match bytes[i] {
                b'{' => {
                    self.flush_bytes();
                    if self.stack.len() >= MAX_DEPTH {
                        return Err(DocError::corrupt(
                            FORMAT,
                            format!("its groups nest more than {MAX_DEPTH} deep"),
                        ));
                    }
                    self.stack.push(self.state.clone());
                    i += 1;
                }
                b'}' => {
                    self.flush_bytes();
                    self.end_group();
                    i += 1;
                }
                b'\\' => i = self.control(bytes, i + 1)?,
                b'\r' | b'\n' => i += 1,
                b => {
                    self.byte(b);
                    i += 1;
                }
            }
        }
        self.flush_bytes();
        self.end_paragraph();
        self.end_table();
        Ok(())
    }

    /// Reads the control word or symbol after a backslash at `i`; returns where the text
    /// goes on.
    fn control(&mut self, bytes: &[u8], mut i: usize) -> Result<usize, DocError> {
        let Some(&first) = bytes.get(i) else {
            return Ok(i);
        };
        if !first.is_ascii_alphabetic() {
            i += 1;
            match first {
                b'\'' => {
                    let hex = bytes
                        .get(i..i + 2)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        self.byte(b);
                        return Ok(i + 2);
                    }
                    return Ok(i);
                }
                b'*' => self.ignorable = true,
                b'~' => self.symbol("\u{a0}"),
                b'_' => self.symbol("-"),
                b'-' => {}
                b'\r' | b'\n' => self.word("par", None),
                b'\\' | b'{' | b'}' => self.byte(first),
                _ => {}
            }
            return Ok(i);
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() && i - start < 32 {
            i += 1;
        }
        let word = std::str::from_utf8(&bytes[start..i]).unwrap_or("");
        let num_start = i;
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        while i < bytes.len() && bytes[i].is_ascii_digit() && i - num_start < 11 {
            i += 1;
        }
        let param = std::str::from_utf8(&bytes[num_start..i])
            .ok()
            .and_then(|n| n.parse::<i64>().ok())
            .map(|n| n.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
        if bytes.get(i) == Some(&b' ') {
            i += 1;
        }
        if word == "bin" {
            // Raw binary data follows: skipped whole, never read as text.
            let n = param.unwrap_or(0).max(0) as usize;
            return Ok(i.saturating_add(n).min(bytes.len()));
        }
        let word = word.to_string();
        self.word(&word, param);
        Ok(i)
    }

    fn word(&mut self, word: &str, param: Option<i32>) {
        let ignorable = std::mem::take(&mut self.ignorable);
        if word != "u" && self.skip_chars > 0 {
            // A control word counts as one fallback character after \u.
            self.skip_chars -= 1;
            return;
        }
        self.flush_bytes();
        match word {
            "ansicpg" => {
                if let Some(enc) = param.and_then(code_page) {
                    self.document_encoding = enc;
                    self.state.encoding = enc;
                }
            }
            "fonttbl" => self.state.sink = Sink::FontTable,
            "stylesheet" => self.state.sink = Sink::StyleName,
            "title" if self.state.in_info => self.state.sink = Sink::Title,
            "footnote" => {
                self.state.sink = Sink::Footnote;
                self.para.push_str(&format!("[^{}]", self.notes.len() + 1));
            }
            "fldrslt" => {}
            _ if SKIPPED.contains(&word) => {
                self.state.sink = Sink::Skip;
                self.state.in_info |= word == "info";
            }
            _ if ignorable => self.state.sink = Sink::Skip,
            "f" => match self.state.sink {
                Sink::FontTable => self.state.font = param,
                _ => {
                    self.state.encoding = param
                        .and_then(|f| self.font_encodings.get(&f).copied())
                        .unwrap_or(self.document_encoding)
                }
            },
            "fcharset" => {
                if let (Sink::FontTable, Some(font)) = (self.state.sink, self.state.font) {
                    if let Some(enc) = param.and_then(charset) {
                        self.font_encodings.insert(font, enc);
                    }
                }
            }
            "s" => match self.state.sink {
                Sink::StyleName => {
                    self.state.style = param;
                    self.style_name.clear();
                }
                _ => self.props.style = param,
            },
            "uc" => self.state.uc = param.unwrap_or(1).clamp(0, 16) as usize,
            "u" => {
                if let Some(n) = param {
                    let code = if n < 0 { n + 65_536 } else { n } as u32;
                    let c = char::from_u32(code).unwrap_or('\u{fffd}');
                    self.text(&c.to_string());
                    self.skip_chars = self.state.uc;
                }
            }
            "v" => self.state.hidden = param != Some(0),
            "pard" => self.props = ParaProps::default(),
            "outlinelevel" => self.props.outline = param.map(|p| p.clamp(0, 8) as u8),
            "ls" => self.props.list_level = Some(self.props.list_level.unwrap_or(0)),
            "ilvl" => self.props.list_level = param.map(|p| p.clamp(0, 8) as u8),
            "intbl" => self.props.in_table = true,
            "par" | "sect" | "page" => self.end_paragraph(),
            "line" => self.text("\n"),
            "tab" => self.text("\t"),
            "cell" => self.end_cell(),
            "row" => {
                self.end_cell_if_open();
                let row = std::mem::take(&mut self.row);
                if !row.is_empty() {
                    self.rows.push(row);
                }
            }
            "emdash" => self.symbol("\u{2014}"),
            "endash" => self.symbol("\u{2013}"),
            "bullet" => self.symbol("\u{2022}"),
            "lquote" => self.symbol("\u{2018}"),
            "rquote" => self.symbol("\u{2019}"),
            "ldblquote" => self.symbol("\u{201c}"),
            "rdblquote" => self.symbol("\u{201d}"),
            _ => {}
        }
    }

    fn end_group(&mut self) {
        let closing = self.state.clone();
        match closing.sink {
            Sink::StyleName => {
                if let Some(style) = closing.style {
                    let name = self
                        .style_name
                        .trim()
                        .trim_end_matches(';')
                        .trim()
                        .to_string();
                    if !name.is_empty() {
                        self.style_names.insert(style, name);
                    }
                    self.style_name.clear();
                }
            }
            // The footnote's own group closes (not a group inside it).
            Sink::Footnote if self.stack.last().is_some_and(|s| s.sink != Sink::Footnote) => {
                let note = collapse_whitespace(&std::mem::take(&mut self.note));
                self.notes.push(note);
            }
            _ => {}
        }
        if let Some(previous) = self.stack.pop() {
            self.state = previous;
        }
    }

    fn symbol(&mut self, s: &str) {
        if self.skip_chars > 0 {
            self.skip_chars -= 1;
            return;
        }
        self.flush_bytes();
        self.text(s);
    }

    fn byte(&mut self, b: u8) {
        if self.skip_chars > 0 {
            self.skip_chars -= 1;
            return;
        }
        self.pending.push(b);
    }

    fn flush_bytes(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.pending);
        let (text, _, _) = self.state.encoding.decode(&bytes);
        self.text(&text);
    }

    fn text(&mut self, s: &str) {
        if self.state.hidden {
            return;
        }
        match self.state.sink {
            Sink::Body => self.para.push_str(s),
            Sink::Title => self.title.get_or_insert_with(String::new).push_str(s),
            Sink::Footnote => self.note.push_str(s),
            Sink::StyleName => self.style_name.push_str(s),
            Sink::Skip | Sink::FontTable => {}
        }
    }

    fn heading_level(&self) -> Option<u8> {
        if let Some(level) = self.props.outline {
            return Some(level + 1);
        }
        let name = self
            .style_names
            .get(&self.props.style?)?
            .to_ascii_lowercase();
        let level = name.strip_prefix("heading")?.trim().parse::<u8>().ok()?;
        Some(level.clamp(1, 6))
    }

    fn end_paragraph(&mut self) {
        if self.state.sink == Sink::Footnote {
            self.note.push(' ');
            return;
        }
        let text = std::mem::take(&mut self.para);
        if self.props.in_table {
            // A paragraph inside a cell: the cell goes on.
            self.para = text;
            self.para.push(' ');
            return;
        }
        self.end_table();
        let kind = match (self.heading_level(), self.props.list_level) {
            (Some(level), _) => BlockKind::Heading { level },
            (None, Some(depth)) => BlockKind::ListItem {
                ordered: false,
                depth,
            },
            _ => BlockKind::Paragraph,
        };
        self.doc.push(kind, &text, None);
    }

    fn end_cell(&mut self) {
        let cell = std::mem::take(&mut self.para);
        self.row.push(cell);
    }

    fn end_cell_if_open(&mut self) {
        if !self.para.trim().is_empty() {
            self.end_cell();
        }
    }

    fn end_table(&mut self) {
        if self.rows.is_empty() {
            return;
        }
        let rows = std::mem::take(&mut self.rows);
        let mut table = TableWriter::new(self.doc, "a table", None, self.cells_left);
        for row in &rows {
            table.row(row);
        }
        self.cells_left = table.finish();
    }
}

/// The encoding of a Windows code page number (`\ansicpg1251`).
fn code_page(page: i32) -> Option<&'static Encoding> {
    let label = match page {
        437 | 850 | 1252 => "windows-1252",
        932 => "shift_jis",
        936 => "gbk",
        949 => "euc-kr",
        950 => "big5",
        874 => "windows-874",
        1250..=1258 => return Encoding::for_label(format!("windows-{page}").as_bytes()),
        10000 => "macintosh",
        65001 => "utf-8",
        _ => return None,
    };
    Encoding::for_label(label.as_bytes())
}

/// The encoding of a font's character set (`\fcharset204`).
fn charset(set: i32) -> Option<&'static Encoding> {
    let page = match set {
        0 | 1 => 1252,
        77 => 10000,
        128 => 932,
        129 => 949,
        134 => 936,
        136 => 950,
        161 => 1253,
        162 => 1254,
        163 => 1258,
        177 => 1255,
        178 => 1256,
        186 => 1257,
        204 => 1251,
        222 => 874,
        238 => 1250,
        _ => return None,
    };
    code_page(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(rtf: &str) -> Document {
        read(rtf.as_bytes(), &Limits::default()).unwrap()
    }

    #[test]
    fn paragraphs_escapes_and_unicode() {
        let doc = read_str(
            r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times;}}{\colortbl;\red0\green0\blue0;}
{\info{\title The Caf\'e9 Report}{\author Someone}}
\pard Caf\'e9 costs \u8364? 5 \{really\}.\par
Second\tab para\line with a break.\par}",
        );
        assert_eq!(doc.title.as_deref(), Some("The Café Report"));
        let texts: Vec<&str> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Café costs € 5 {really}.", "Second para with a break."]
        );
    }

    #[test]
    fn font_charsets_decide_the_bytes() {
        let doc = read_str(
            r"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0\fcharset0 Arial;}{\f1\fcharset204 Arial Cyr;}}\f1\'cf\'f0\'e8\'e2\'e5\'f2 \f0 caf\'e9\par}",
        );
        assert_eq!(doc.blocks[0].text, "Привет café");
    }

    #[test]
    fn headings_lists_and_tables() {
        let doc = read_str(
            r"{\rtf1{\stylesheet{\s0 Normal;}{\s1 heading 1;}}
\pard\s1 Budget\par
\pard\outlinelevel1 Details\par
\pard\ls1\ilvl0 {\listtext\'95\tab}first item\par
\pard\intbl Name\cell Amount\cell\row
\pard\intbl Rent\cell 1200\cell\row
\pard After the table\par}",
        );
        let got: Vec<(BlockKind, &str)> = doc
            .blocks
            .iter()
            .map(|b| (b.kind, b.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (BlockKind::Heading { level: 1 }, "Budget"),
                (BlockKind::Heading { level: 2 }, "Details"),
                (
                    BlockKind::ListItem {
                        ordered: false,
                        depth: 0
                    },
                    "first item"
                ),
                (BlockKind::Table, "Name | Amount\nRent | 1200"),
                (BlockKind::Paragraph, "After the table"),
            ]
        );
    }

    #[test]
    fn skipped_destinations_hidden_text_and_footnotes() {
        let doc = read_str(
            r"{\rtf1{\*\generator Riched20;}{\*\unknowndest secret}{\pict\pngblip 89504e47}
Seen{\v hidden} text{\footnote \pard A note.}. {\field{\*\fldinst HYPERLINK x}{\fldrslt the link}}\par}",
        );
        let texts: Vec<&str> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["Seen text[^1]. the link", "[^1]: A note."]);
    }

    #[test]
    fn hostile_nesting_and_binary() {
        let deep = format!("{{\\rtf1 {}x{}}}", "{".repeat(5000), "}".repeat(5000));
        let err = read(deep.as_bytes(), &Limits::default()).unwrap_err();
        assert!(matches!(err, DocError::Corrupt { .. }), "{err}");
        let doc = read_str("{\\rtf1 before\\bin999999999 \u{1}\u{2}}");
        assert_eq!(doc.blocks[0].text, "before");
        assert!(read(b"not rtf", &Limits::default()).is_err());
    }
}
