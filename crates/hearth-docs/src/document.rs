//! The document model every reader produces.

use serde::{Deserialize, Serialize};

/// The formats Hearth reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Text,
    Markdown,
    Html,
    Pdf,
    Docx,
    Epub,
    Odt,
    Pptx,
    Xlsx,
    Ods,
    /// Comma-, semicolon- or tab-separated values.
    Csv,
    Rtf,
    /// One e-mail message (.eml).
    Email,
    /// A mailbox of messages (.mbox).
    Mbox,
    /// A picture (PNG, JPEG, TIFF, WebP, GIF, BMP): text only through OCR.
    Image,
}

/// What a block is; headings carry their level (1 = top).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BlockKind {
    Heading {
        level: u8,
    },
    Paragraph,
    /// One item of a list; `depth` 0 is the outermost list.
    ListItem {
        ordered: bool,
        depth: u8,
    },
    /// A whole table, one row per line, cells separated by " | ".
    Table,
    Code,
    Quote,
}

/// One unit of text with its place in the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    #[serde(flatten)]
    pub kind: BlockKind,
    pub text: String,
    /// 1-based page number (PDF) or slide number (pptx), or `None` where the format has
    /// no pages.
    pub page: Option<u32>,
}

/// A document's text and structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub format: Format,
    /// From the file's metadata or its first heading, when it has one.
    pub title: Option<String>,
    pub blocks: Vec<Block>,
    /// Number of pages for paged formats (PDF; slides for pptx).
    pub pages: Option<u32>,
    /// The text encoding detected for plain-text formats ("UTF-8", "UTF-16LE", "windows-1252").
    pub encoding: Option<String>,
    /// Things a reader skipped or could not read, said for the user
    /// ("page 12 has no text layer (scanned?)").
    pub warnings: Vec<String>,
    /// Pages of a PDF that are pictures with no text layer (scanned), for OCR to read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scanned_pages: Vec<u32>,
}

impl Block {
    /// The block as Markdown: headings with `#`, list items indented two spaces per
    /// level, code fenced, quotes with `>`. Tables are already " | " rows.
    pub fn to_markdown(&self) -> String {
        match self.kind {
            BlockKind::Heading { level } => {
                format!("{} {}", "#".repeat(level.clamp(1, 6) as usize), self.text)
            }
            BlockKind::Paragraph => escape_block_start(&self.text),
            BlockKind::Table => self.text.clone(),
            BlockKind::ListItem { ordered, depth } => {
                let indent = "  ".repeat(depth as usize);
                let marker = if ordered { "1." } else { "-" };
                format!("{indent}{marker} {}", self.text)
            }
            BlockKind::Code => format!("```\n{}\n```", self.text),
            BlockKind::Quote => self
                .text
                .lines()
                .map(|line| format!("> {line}"))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

impl Document {
    /// A document of these blocks and nothing else known about it (no title, pages,
    /// encoding or warnings): text put together by a caller rather than read from a file.
    pub fn new(format: Format, blocks: Vec<Block>) -> Self {
        Self {
            format,
            title: None,
            blocks,
            pages: None,
            encoding: None,
            warnings: Vec::new(),
            scanned_pages: Vec::new(),
        }
    }

    /// The whole document as Markdown: blocks separated by blank lines, except that
    /// consecutive list items stay one list.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let mut previous: Option<BlockKind> = None;
        for block in &self.blocks {
            if let Some(previous) = previous {
                let same_list = matches!(
                    (previous, block.kind),
                    (BlockKind::ListItem { .. }, BlockKind::ListItem { .. })
                );
                out.push_str(if same_list { "\n" } else { "\n\n" });
            }
            out.push_str(&block.to_markdown());
            previous = Some(block.kind);
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }

    /// Characters of text in all blocks.
    pub fn text_len(&self) -> usize {
        self.blocks.iter().map(|b| b.text.chars().count()).sum()
    }
}

/// A paragraph whose text begins like Markdown block syntax ("# prompt", "> quoted",
/// "- item", "1. item") would be read back as that block; a backslash keeps it text.
fn escape_block_start(text: &str) -> String {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let numbered =
        digits > 0 && (text[digits..].starts_with(". ") || text[digits..].starts_with(") "));
    let marker = text.starts_with('#')
        || text.starts_with('>')
        || ["- ", "* ", "+ "].iter().any(|m| text.starts_with(m));
    if marker {
        format!("\\{text}")
    } else if numbered {
        // "2024. A year" would start an ordered list; the escape goes before the dot.
        format!("{}\\{}", &text[..digits], &text[digits..])
    } else {
        text.to_string()
    }
}

impl Block {
    pub fn new(kind: BlockKind, text: impl Into<String>, page: Option<u32>) -> Self {
        Self {
            kind,
            text: text.into(),
            page,
        }
    }
}

impl Document {
    /// The text of every block, blocks separated by a blank line.
    pub fn plain_text(&self) -> String {
        let mut out = String::with_capacity(self.text_len() + 2 * self.blocks.len());
        for (i, block) in self.blocks.iter().enumerate() {
            if i > 0 {
                out.push_str("\n\n");
            }
            out.push_str(&block.text);
        }
        out
    }
}
