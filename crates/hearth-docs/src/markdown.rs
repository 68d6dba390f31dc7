//! Markdown, parsed with pulldown-cmark (CommonMark plus GFM tables, footnotes, task lists
//! and YAML front matter). Its block structure maps one to one onto [`BlockKind`]; inline
//! markup (emphasis, links, inline code) is reduced to its text. Raw HTML blocks go
//! through the HTML reader so a table written in HTML is still a table.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::builder::DocBuilder;
use crate::text::Decoded;
use crate::{html, BlockKind, DocError, Document, Format, Limits};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ctx {
    Heading(u8),
    List { ordered: bool },
    Item { ordered: bool, depth: u8 },
    Quote,
    Code,
    Table,
    Metadata,
    Html,
    Other,
}

pub(crate) fn read(decoded: Decoded, limits: &Limits) -> Result<Document, DocError> {
    let mut doc = DocBuilder::new(Format::Markdown, limits.max_text_bytes);
    doc.set_encoding(decoded.encoding);
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let mut r = Reader {
        doc: &mut doc,
        stack: Vec::new(),
        buf: String::new(),
        cells: Vec::new(),
        rows: Vec::new(),
        title: None,
    };
    for event in Parser::new_ext(&decoded.text, options) {
        if r.doc.is_full() {
            break;
        }
        r.event(event);
    }
    r.flush();
    let title = r.title.take();
    if title.is_some() {
        doc.set_title(title);
    }
    doc.finish()
}

struct Reader<'d> {
    doc: &'d mut DocBuilder,
    /// Open containers, each with the kind loose text takes inside it and the lists open
    /// up to it, so nothing searches the stack (nesting can be 50,000 deep).
    stack: Vec<(Ctx, Option<BlockKind>, usize, bool)>,
    buf: String,
    cells: Vec<String>,
    rows: Vec<String>,
    title: Option<String>,
}

impl Reader<'_> {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                self.buf.push_str(&t)
            }
            Event::Html(t) => self.buf.push_str(&t),
            // Inline tags (<br>, <kbd>) carry no text of their own.
            Event::InlineHtml(_) => {}
            Event::FootnoteReference(label) => {
                self.buf.push_str("[^");
                self.buf.push_str(&label);
                self.buf.push(']');
            }
            Event::SoftBreak => self.buf.push(' '),
            Event::HardBreak => self.buf.push('\n'),
            Event::Rule => self.flush(),
            Event::TaskListMarker(done) => self.buf.push_str(if done { "[x] " } else { "[ ] " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        let ctx = match tag {
            Tag::Heading { level, .. } => Ctx::Heading(heading_level(level)),
            Tag::List(start) => Ctx::List {
                ordered: start.is_some(),
            },
            Tag::Item => {
                let (lists, ordered) = self.stack.last().map_or((0, false), |f| (f.2, f.3));
                let depth = u8::try_from(lists.saturating_sub(1)).unwrap_or(u8::MAX);
                Ctx::Item { ordered, depth }
            }
            Tag::BlockQuote(_) => Ctx::Quote,
            Tag::CodeBlock(_) => Ctx::Code,
            Tag::Table(_) => Ctx::Table,
            Tag::MetadataBlock(_) => Ctx::Metadata,
            Tag::HtmlBlock => Ctx::Html,
            Tag::FootnoteDefinition(label) => {
                self.flush();
                self.buf.push_str(&format!("[^{label}]: "));
                self.push(Ctx::Other);
                return;
            }
            // Paragraphs, cells and inline tags only collect text.
            _ => return,
        };
        // A new block ends the text before it (a list item's text before its sublist).
        if !matches!(ctx, Ctx::Item { .. }) || !self.buf.trim().is_empty() {
            self.flush();
        }
        self.push(ctx);
    }

    fn push(&mut self, ctx: Ctx) {
        let parent = self.stack.last();
        let mut kind = parent.and_then(|f| f.1);
        let mut lists = parent.map_or(0, |f| f.2);
        let mut ordered = parent.is_some_and(|f| f.3);
        match ctx {
            Ctx::Heading(level) => kind = Some(BlockKind::Heading { level }),
            Ctx::Item { ordered, depth } => kind = Some(BlockKind::ListItem { ordered, depth }),
            Ctx::Quote => kind = Some(BlockKind::Quote),
            Ctx::Code => kind = Some(BlockKind::Code),
            Ctx::List { ordered: o } => {
                lists += 1;
                ordered = o;
            }
            _ => {}
        }
        self.stack.push((ctx, kind, lists, ordered));
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => {
                // The paragraphs of one list item stay one item.
                if matches!(self.stack.last(), Some((Ctx::Item { .. }, ..))) {
                    self.buf.push(' ');
                } else {
                    self.flush();
                }
            }
            TagEnd::TableCell => {
                let cell = crate::builder::collapse_whitespace(&std::mem::take(&mut self.buf));
                self.cells.push(cell.replace('|', "/"));
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                let cells = std::mem::take(&mut self.cells);
                self.rows.push(cells.join(" | "));
            }
            TagEnd::Table => {
                self.stack.pop();
                let rows = std::mem::take(&mut self.rows);
                self.doc.push(BlockKind::Table, &rows.join("\n"), None);
            }
            TagEnd::CodeBlock => {
                self.stack.pop();
                let code = std::mem::take(&mut self.buf);
                self.doc.push(BlockKind::Code, &code, None);
            }
            TagEnd::MetadataBlock(_) => {
                self.stack.pop();
                let meta = std::mem::take(&mut self.buf);
                self.title = front_matter_title(&meta);
            }
            TagEnd::HtmlBlock => {
                self.stack.pop();
                let raw = std::mem::take(&mut self.buf);
                html::push_html(&raw, self.doc);
            }
            TagEnd::Heading(_)
            | TagEnd::Item
            | TagEnd::BlockQuote(_)
            | TagEnd::List(_)
            | TagEnd::FootnoteDefinition => {
                self.flush();
                self.stack.pop();
            }
            _ => {}
        }
    }

    /// Pushes the collected text as the block the innermost container makes it.
    fn flush(&mut self) {
        if self.buf.trim().is_empty() {
            self.buf.clear();
            return;
        }
        let text = std::mem::take(&mut self.buf);
        let kind = self
            .stack
            .last()
            .and_then(|f| f.1)
            .unwrap_or(BlockKind::Paragraph);
        self.doc.push(kind, &text, None);
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// `title: ...` from YAML front matter, without quotes. A full YAML parser would be a
/// large dependency for one field.
fn front_matter_title(meta: &str) -> Option<String> {
    meta.lines().find_map(|line| {
        let value = line.strip_prefix("title:")?.trim();
        let value = value.trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    fn read_str(s: &str) -> Document {
        read(
            Decoded {
                text: s.to_string(),
                encoding: "UTF-8",
            },
            &Limits::default(),
        )
        .unwrap()
    }

    #[test]
    fn blocks_map_to_kinds() {
        let doc = read_str(
            r#"---
title: "Front matter title"
---
# Top *heading* {#top}

Intro with `code` and a [link](http://x) and a note[^n].

* one
* two
  1. sub a
  2. sub b

     more of sub b
* [x] done

> quoted **text**
> over lines

```rust
let x = 1;
```

| h1 | h2 |
|----|----|
| a  | b  |

<table><tr><td>html</td><td>table</td></tr></table>

[^n]: The note.
"#,
        );
        assert_eq!(doc.title.as_deref(), Some("Front matter title"));
        expect![[r#"
            # Top heading

            Intro with code and a link and a note[^n].

            - one
            - two
              1. sub a
              1. sub b more of sub b
            - [x] done

            > quoted text over lines

            ```
            let x = 1;
            ```

            h1 | h2
            a | b

            html | table

            [^n]: The note.
        "#]]
        .assert_eq(&doc.to_markdown());
        assert_eq!(
            doc.blocks[4].kind,
            BlockKind::ListItem {
                ordered: true,
                depth: 1
            }
        );
    }

    #[test]
    fn title_falls_back_to_first_heading() {
        let doc = read_str("Some text.\n\n## Second level\n");
        assert_eq!(doc.title.as_deref(), Some("Second level"));
    }
}
