//! Collects blocks from a reader into a [`Document`]: tidies whitespace, drops empty
//! blocks, and stops keeping text at the text limit so a hostile file cannot fill memory
//! through a reader that would otherwise grow without bound.

use crate::{Block, BlockKind, DocError, Document, Format};

pub(crate) struct DocBuilder {
    format: Format,
    blocks: Vec<Block>,
    title: Option<String>,
    pages: Option<u32>,
    encoding: Option<String>,
    warnings: Vec<String>,
    scanned_pages: Vec<u32>,
    text_bytes: usize,
    max_text_bytes: usize,
    full: bool,
}

impl DocBuilder {
    pub(crate) fn new(format: Format, max_text_bytes: usize) -> Self {
        Self {
            format,
            blocks: Vec::new(),
            title: None,
            pages: None,
            encoding: None,
            warnings: Vec::new(),
            scanned_pages: Vec::new(),
            text_bytes: 0,
            max_text_bytes,
            full: false,
        }
    }

    /// True once the text limit is reached; readers may stop early.
    pub(crate) fn is_full(&self) -> bool {
        self.full
    }

    pub(crate) fn set_title(&mut self, title: Option<String>) {
        self.title = title
            .map(|t| collapse_whitespace(&t))
            .filter(|t| !t.is_empty());
    }

    pub(crate) fn set_pages(&mut self, pages: u32) {
        self.pages = Some(pages);
    }

    pub(crate) fn set_encoding(&mut self, encoding: &str) {
        self.encoding = Some(encoding.to_string());
    }

    pub(crate) fn set_scanned_pages(&mut self, pages: Vec<u32>) {
        self.scanned_pages = pages;
    }

    pub(crate) fn warn(&mut self, warning: impl Into<String>) {
        self.warnings.push(warning.into());
    }

    /// Adds a block. Code keeps its whitespace; table rows and multi-line blocks keep
    /// their line breaks; everything else has runs of whitespace collapsed.
    pub(crate) fn push(&mut self, kind: BlockKind, text: &str, page: Option<u32>) {
        if self.full {
            return;
        }
        let text = match kind {
            BlockKind::Code => text.trim_matches('\n').trim_end().to_string(),
            BlockKind::Table | BlockKind::Quote => tidy_lines(text),
            _ => collapse_whitespace(text),
        };
        if text.trim().is_empty() {
            return;
        }
        if self.text_bytes + text.len() > self.max_text_bytes {
            self.full = true;
            self.warnings.push(format!(
                "the document has more than {} bytes of text; the rest was not read",
                self.max_text_bytes
            ));
            return;
        }
        self.text_bytes += text.len();
        self.blocks.push(Block { kind, text, page });
    }

    /// The blocks pushed so far, for readers that revise them (PDF headers and footers).
    pub(crate) fn blocks_mut(&mut self) -> &mut Vec<Block> {
        &mut self.blocks
    }

    pub(crate) fn finish(self) -> Result<Document, DocError> {
        if self.blocks.is_empty() {
            return Err(DocError::Empty);
        }
        let title = self.title.or_else(|| {
            self.blocks
                .iter()
                .find(|b| matches!(b.kind, BlockKind::Heading { .. }))
                .map(|b| b.text.clone())
        });
        Ok(Document {
            format: self.format,
            title,
            blocks: self.blocks,
            pages: self.pages,
            encoding: self.encoding,
            warnings: self.warnings,
            scanned_pages: self.scanned_pages,
        })
    }
}

/// Runs of whitespace (newlines included) become one space; ends are trimmed.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Each line collapsed on its own; blank lines dropped.
fn tidy_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = collapse_whitespace(line);
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&line);
    }
    out
}
