//! HTML (and the XHTML inside EPUBs): parsed with html5ever through `scraper`, then walked
//! once, without recursion, into blocks. Headings h1-h6, paragraphs, list items with their
//! nesting depth, tables as "a | b" rows, `pre` as code and `blockquote` as quotes come
//! out as such; scripts, styles, forms and navigation (nav, DocBook's navheader/navfooter
//! and tables of contents) are skipped because they are not the document's text and would
//! only add noise to summaries and search.

use std::borrow::Cow;

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node};

use crate::builder::{collapse_whitespace, DocBuilder};
use crate::text;
use crate::{BlockKind, DocError, Document, Format, Limits};

/// Reads an HTML file's bytes: the encoding comes from a BOM, valid UTF-8, the page's own
/// `<meta charset>`, or a guess, in that order.
pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Document, DocError> {
    let decoded = text::decode(bytes, declared_charset(bytes))?;
    let mut doc = DocBuilder::new(Format::Html, limits.max_text_bytes);
    doc.set_encoding(decoded.encoding);
    let title = push_html(&decoded.text, &mut doc);
    doc.set_title(title);
    doc.finish()
}

/// Adds the blocks of one HTML document to `doc` and returns its `<title>`.
pub(crate) fn push_html(html: &str, doc: &mut DocBuilder) -> Option<String> {
    let html = limit_depth(html, MAX_DEPTH);
    let parsed = Html::parse_document(&html);
    let title = parsed
        .tree
        .root()
        .descendants()
        .filter_map(ElementRef::wrap)
        .find(|e| e.value().name() == "title")
        .map(|e| e.text().collect::<String>())
        .map(|t| collapse_whitespace(&t))
        .filter(|t| !t.is_empty());
    Walker::new(doc).walk(&parsed);
    title
}

/// The encoding a page declares in its first 1024 bytes (`<meta charset=...>` or
/// `http-equiv` content), as browsers pre-scan for it.
fn declared_charset(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = head.find("charset=")? + "charset=".len();
    let label: String = head[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    encoding_rs::Encoding::for_label(label.as_bytes())
}

/// Deepest element nesting passed to the parser, as in Chromium's parser. html5ever
/// checks scopes by walking the stack of open elements, so its time grows with the
/// square of the depth: 100,000 nested divs took 40 seconds. Real pages stay far below.
const MAX_DEPTH: usize = 512;

/// Elements that never have content, so never deepen the nesting.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Elements whose content is raw text, where a `<` starts no tag.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
];

/// Elements a browser closes when the same element opens again (`<li>a<li>b`).
const SELF_CLOSING_SIBLINGS: &[&str] = &["p", "li", "dt", "dd", "tr", "td", "th", "option"];

/// `html` with the tags nested deeper than `max` left out (their text stays), or `html`
/// itself when it never nests that deep. A rough tokenizer that knows void elements,
/// raw text, comments, and the end tags browsers imply for p, li and table cells, which
/// is enough to tell real pages (never near the limit) from ones built to be deep.
fn limit_depth(html: &str, max: usize) -> Cow<'_, str> {
    if nesting_exceeds(html, max, None) {
        let mut out = String::with_capacity(html.len());
        nesting_exceeds(html, max, Some(&mut out));
        Cow::Owned(out)
    } else {
        Cow::Borrowed(html)
    }
}

/// Walks the tags of `html`; without `out` it says whether nesting passes `max`, with
/// `out` it copies `html` there minus the tags beyond `max`.
fn nesting_exceeds(html: &str, max: usize, mut out: Option<&mut String>) -> bool {
    let bytes = html.as_bytes();
    let mut open: Vec<String> = Vec::new();
    // Names of tags left out, innermost last, so their end tags are left out too.
    let mut dropped: Vec<String> = Vec::new();
    let mut copied = 0;
    let mut i = 0;
    while let Some(lt) = bytes[i..].iter().position(|&b| b == b'<').map(|p| p + i) {
        let rest = &html[lt..];
        let tag_end = |from: usize| {
            rest[from..]
                .find('>')
                .map_or(html.len(), |e| lt + from + e + 1)
        };
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(html.len(), |e| lt + e + 3);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i = tag_end(1);
            continue;
        }
        let closing = rest.starts_with("</");
        let name_start = if closing { 2 } else { 1 };
        let name: String = rest[name_start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if name.is_empty() || !rest[name_start..].starts_with(|c: char| c.is_ascii_alphabetic()) {
            i = lt + 1;
            continue;
        }
        let end = tag_end(name_start);
        let mut keep = true;
        if closing {
            if dropped.last() == Some(&name) {
                dropped.pop();
                keep = false;
            } else if let Some(at) = open.iter().rposition(|n| *n == name) {
                open.truncate(at);
            }
        } else if !VOID.contains(&name.as_str()) && !html[lt..end].ends_with("/>") {
            // An open p closes when a block starts, and an li when the next li starts.
            let implied_end = (SELF_CLOSING_SIBLINGS.contains(&name.as_str())
                && open.last() == Some(&name))
                || (open.last().is_some_and(|n| n == "p")
                    && BLOCK_ELEMENTS.contains(&name.as_str()));
            if implied_end {
                open.pop();
            }
            if open.len() >= max {
                match out {
                    None => return true,
                    Some(_) => {
                        dropped.push(name.clone());
                        keep = false;
                    }
                }
            } else {
                open.push(name.clone());
            }
        }
        if let Some(out) = out.as_deref_mut() {
            if !keep {
                out.push_str(&html[copied..lt]);
                copied = end;
            }
        }
        i = end;
        if !closing && RAW_TEXT.contains(&name.as_str()) {
            // Skip to the matching end tag; its content is not markup.
            let close = format!("</{name}");
            i = find_ignoring_case(&bytes[i..], close.as_bytes()).map_or(html.len(), |e| i + e);
            open.pop();
        }
    }
    if let Some(out) = out {
        out.push_str(&html[copied..]);
    }
    false
}

fn find_ignoring_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Elements whose whole subtree is not document text.
const SKIPPED: &[&str] = &[
    "head", "script", "style", "noscript", "template", "nav", "svg", "math", "iframe", "object",
    "embed", "canvas", "button", "select", "textarea", "input", "form",
];

/// Class names of navigation and boilerplate containers (DocBook, common site themes).
const SKIPPED_CLASSES: &[&str] = &[
    "navheader",
    "navfooter",
    "toc",
    "lot",
    "breadcrumb",
    "breadcrumbs",
    "navbar",
    "skip-link",
    "sidebar",
    "menu",
    "list-of-tables",
    "list-of-figures",
    "list-of-examples",
];

/// Elements that end the current paragraph where they open and where they close.
const BLOCK_ELEMENTS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "address",
    "figure",
    "figcaption",
    "dl",
    "dt",
    "dd",
    "caption",
    "center",
    "details",
    "summary",
    "fieldset",
    "legend",
    "body",
    "html",
    "hgroup",
    "hr",
    "ul",
    "ol",
    "menu",
];

#[derive(Debug, Clone, Copy)]
enum Ctx {
    Heading(u8),
    List { ordered: bool },
    Item { ordered: bool, depth: u8 },
    Quote,
    Pre,
    Table,
    Row,
    Cell,
    Block,
}

/// An open element that matters for structure, with what holds at its level, so that
/// nothing has to search the stack (a hostile page nests 100,000 deep).
struct Frame {
    id: NodeId,
    ctx: Ctx,
    /// The kind loose text takes here: list item, quote or heading when inside one.
    kind: BlockKind,
    /// Lists open here and above, and whether the innermost is ordered.
    lists: usize,
    ordered: bool,
}

struct Walker<'d> {
    doc: &'d mut DocBuilder,
    stack: Vec<Frame>,
    /// The element whose subtree is being skipped.
    skipping: Option<NodeId>,
    buf: String,
    /// Depth of `pre` elements open; inside one, whitespace is kept.
    pre: usize,
    /// The table being collected: finished rows, and the cells of the current row.
    rows: Vec<Vec<String>>,
    cells: Vec<String>,
    tables_open: usize,
}

impl<'d> Walker<'d> {
    fn new(doc: &'d mut DocBuilder) -> Self {
        Self {
            doc,
            stack: Vec::new(),
            skipping: None,
            buf: String::new(),
            pre: 0,
            rows: Vec::new(),
            cells: Vec::new(),
            tables_open: 0,
        }
    }

    fn walk(mut self, html: &Html) {
        for edge in html.tree.root().traverse() {
            if self.doc.is_full() {
                return;
            }
            match edge {
                Edge::Open(node) => {
                    if self.skipping.is_some() {
                        continue;
                    }
                    match node.value() {
                        Node::Text(t) => self.buf.push_str(&t.text),
                        Node::Element(el) => {
                            if is_skipped(el) {
                                self.skipping = Some(node.id());
                            } else {
                                self.open(node.id(), el.name());
                            }
                        }
                        _ => {}
                    }
                }
                Edge::Close(node) => {
                    if let Some(skip) = self.skipping {
                        if skip == node.id() {
                            self.skipping = None;
                        }
                        continue;
                    }
                    if let Node::Element(el) = node.value() {
                        self.close(node.id(), el.name());
                    }
                }
            }
        }
        self.flush();
    }

    fn in_table(&self) -> bool {
        self.tables_open > 0
    }

    fn open(&mut self, id: NodeId, name: &str) {
        if self.in_table() {
            // Inside a table everything is cell text; nested tables are flattened into the
            // cell that holds them, and block elements only separate words.
            match name {
                "table" => self.tables_open += 1,
                "tr" if self.tables_open == 1 => self.push_frame(id, Ctx::Row),
                "td" | "th" if self.tables_open == 1 => {
                    self.buf.clear();
                    self.push_frame(id, Ctx::Cell);
                }
                "br" => self.buf.push('\n'),
                _ if BLOCK_ELEMENTS.contains(&name) || name == "li" || name == "pre" => {
                    self.buf.push('\n')
                }
                _ => {}
            }
            return;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                let level = name.as_bytes()[1] - b'0';
                self.push_frame(id, Ctx::Heading(level));
            }
            "ul" | "ol" | "menu" => {
                self.flush();
                self.push_frame(
                    id,
                    Ctx::List {
                        ordered: name == "ol",
                    },
                );
            }
            "li" => {
                self.flush();
                let (lists, ordered) = self
                    .stack
                    .last()
                    .map_or((0, false), |f| (f.lists, f.ordered));
                let depth = u8::try_from(lists.saturating_sub(1)).unwrap_or(u8::MAX);
                self.push_frame(id, Ctx::Item { ordered, depth });
            }
            "blockquote" => {
                self.flush();
                self.push_frame(id, Ctx::Quote);
            }
            "pre" => {
                self.flush();
                self.pre += 1;
                self.push_frame(id, Ctx::Pre);
            }
            "table" => {
                self.flush();
                self.tables_open = 1;
                self.rows.clear();
                self.push_frame(id, Ctx::Table);
            }
            "br" => self.buf.push('\n'),
            _ if BLOCK_ELEMENTS.contains(&name) => {
                self.flush();
                self.push_frame(id, Ctx::Block);
            }
            _ => {}
        }
    }

    fn close(&mut self, id: NodeId, name: &str) {
        if self.tables_open > 1 {
            if name == "table" {
                self.tables_open -= 1;
            }
            return;
        }
        let Some((top, ctx)) = self.stack.last().map(|f| (f.id, f.ctx)) else {
            return;
        };
        if top != id {
            if self.in_table() && BLOCK_ELEMENTS.contains(&name) {
                self.buf.push('\n');
            }
            return;
        }
        self.stack.pop();
        match ctx {
            Ctx::Heading(level) => {
                let text = std::mem::take(&mut self.buf);
                self.doc.push(BlockKind::Heading { level }, &text, None);
            }
            Ctx::Pre => {
                let text = std::mem::take(&mut self.buf);
                self.pre = self.pre.saturating_sub(1);
                // A pre inside a list item or quote is still code: its layout matters.
                self.doc.push(BlockKind::Code, &text, None);
            }
            Ctx::Cell => {
                let cell = collapse_whitespace(&std::mem::take(&mut self.buf));
                self.cells.push(cell.replace('|', "/"));
            }
            Ctx::Row => {
                let cells = std::mem::take(&mut self.cells);
                if cells.iter().any(|c| !c.is_empty()) {
                    self.rows.push(cells);
                }
            }
            Ctx::Table => {
                self.tables_open = 0;
                self.buf.clear();
                self.push_table();
            }
            Ctx::Item { .. } | Ctx::Quote | Ctx::Block | Ctx::List { .. } => {
                // The item's own kind applies to its text, so flush before popping... the
                // pop already happened, so flush with the item's kind directly.
                let kind = match ctx {
                    Ctx::Item { ordered, depth } => BlockKind::ListItem { ordered, depth },
                    Ctx::Quote => BlockKind::Quote,
                    _ => self.current_kind(),
                };
                let text = std::mem::take(&mut self.buf);
                self.doc.push(kind, &text, None);
            }
        }
    }

    /// Tables used for layout (one non-empty cell a row, as DocBook's admonitions and many
    /// old pages do) are read as paragraphs; real tables become one Table block.
    fn push_table(&mut self) {
        let rows = std::mem::take(&mut self.rows);
        let layout = rows
            .iter()
            .all(|r| r.iter().filter(|c| !c.is_empty()).count() <= 1);
        if layout {
            for row in rows {
                for cell in row.into_iter().filter(|c| !c.is_empty()) {
                    let kind = self.current_kind();
                    self.doc.push(kind, &cell, None);
                }
            }
        } else {
            let text: Vec<String> = rows.into_iter().map(|r| r.join(" | ")).collect();
            self.doc.push(BlockKind::Table, &text.join("\n"), None);
        }
    }

    fn push_frame(&mut self, id: NodeId, ctx: Ctx) {
        let parent = self.stack.last();
        let mut kind = parent.map_or(BlockKind::Paragraph, |f| f.kind);
        let mut lists = parent.map_or(0, |f| f.lists);
        let mut ordered = parent.is_some_and(|f| f.ordered);
        match ctx {
            Ctx::Item { ordered, depth } => kind = BlockKind::ListItem { ordered, depth },
            Ctx::Quote => kind = BlockKind::Quote,
            Ctx::Heading(level) => kind = BlockKind::Heading { level },
            Ctx::List { ordered: o } => {
                lists += 1;
                ordered = o;
            }
            _ => {}
        }
        self.stack.push(Frame {
            id,
            ctx,
            kind,
            lists,
            ordered,
        });
    }

    /// The kind of loose text at this point: list item or quote when inside one.
    fn current_kind(&self) -> BlockKind {
        self.stack.last().map_or(BlockKind::Paragraph, |f| f.kind)
    }

    fn flush(&mut self) {
        if self.in_table() {
            return;
        }
        if self.buf.trim().is_empty() {
            self.buf.clear();
            return;
        }
        let text = std::mem::take(&mut self.buf);
        if self.pre > 0 {
            self.doc.push(BlockKind::Code, &text, None);
        } else {
            let kind = self.current_kind();
            self.doc.push(kind, &text, None);
        }
    }
}

fn is_skipped(el: &scraper::node::Element) -> bool {
    if SKIPPED.contains(&el.name()) {
        return true;
    }
    if el.attr("hidden").is_some()
        || el.attr("aria-hidden") == Some("true")
        || el.attr("role") == Some("navigation")
    {
        return true;
    }
    el.classes().any(|c| SKIPPED_CLASSES.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    fn md(html: &str) -> String {
        read(html.as_bytes(), &Limits::default())
            .unwrap()
            .to_markdown()
    }

    #[test]
    fn structure_comes_out_as_blocks() {
        let html = r#"<!doctype html><html><head><title>The  Title</title>
            <style>p { color: red }</style><script>alert("no")</script></head>
            <body><nav><a href="/">Home</a></nav>
            <div class="navheader"><table><tr><td>Prev</td><td>Next</td></tr></table></div>
            <h1>Main <em>heading</em></h1>
            <p>First   paragraph
               with <b>bold</b> text.</p>
            loose text in body
            <ul><li>one</li><li>two<ol><li>two.a</li><li>two.b</li></ol></li><li>three</li></ul>
            <blockquote><p>quoted</p></blockquote>
            <pre>fn main() {
    println!("hi");
}</pre>
            <table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2 <table><tr><td>x</td></tr></table></td></tr></table>
            <table summary="Tip"><tr><td><img alt="[Tip]"></td><th>Tip</th></tr><tr><td><p>A tip.</p></td></tr></table>
            <h3>Sub</h3><dl><dt>term</dt><dd>definition</dd></dl>
            </body></html>"#;
        let doc = read(html.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(doc.title.as_deref(), Some("The Title"));
        expect![[r##"
            # Main heading

            First paragraph with bold text.

            loose text in body

            - one
            - two
              1. two.a
              1. two.b
            - three

            > quoted

            ```
            fn main() {
                println!("hi");
            }
            ```

            a | b
            1 | 2 x

            Tip

            A tip.

            ### Sub

            term

            definition
        "##]]
        .assert_eq(&doc.to_markdown());
    }

    #[test]
    fn meta_charset_is_used_for_legacy_pages() {
        let (body, _, _) = encoding_rs::WINDOWS_1251.encode("<p>Привет</p>");
        let mut page = b"<html><head><meta charset=\"windows-1251\"></head><body>".to_vec();
        page.extend_from_slice(&body);
        let doc = read(&page, &Limits::default()).unwrap();
        assert_eq!(doc.encoding.as_deref(), Some("windows-1251"));
        assert_eq!(doc.blocks[0].text, "Привет");
    }

    #[test]
    fn nesting_beyond_the_limit_is_flattened() {
        let deep = "<div>".repeat(10) + "text" + &"</div>".repeat(10);
        assert_eq!(limit_depth(&deep, 20), deep);
        let flat = limit_depth(&deep, 3);
        assert_eq!(flat, "<div><div><div>text</div></div></div>");
        // Implied end tags and void elements do not count as nesting.
        let siblings = "<ul>".to_string()
            + &"<li>item<br><img src=x>".repeat(50)
            + "</ul>"
            + &"<p>para".repeat(50);
        assert_eq!(limit_depth(&siblings, 3), siblings);
        // Markup inside scripts and comments is not markup.
        let raw = "<script>if (a <div> b) {}</script><!-- <div><div><div> --><p>x</p>";
        assert_eq!(limit_depth(raw, 1), raw);
    }

    #[test]
    fn only_scripts_is_empty() {
        let err = read(
            b"<html><script>var a = 1;</script><style>p{}</style></html>",
            &Limits::default(),
        );
        assert!(matches!(err, Err(DocError::Empty)), "{err:?}");
    }

    #[test]
    fn list_item_text_before_nested_list_keeps_its_depth() {
        expect![[r#"
            - a
              - b
                - c
            - d
        "#]]
        .assert_eq(&md(
            "<ul><li>a<ul><li>b<ul><li>c</li></ul></li></ul></li><li>d</li></ul>",
        ));
    }
}
