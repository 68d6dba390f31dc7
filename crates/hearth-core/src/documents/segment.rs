//! Cutting Markdown or plain text into what a translator translates and what it must
//! leave alone.
//!
//! The text becomes a list of [`Segment`]s whose concatenation is the input, byte for
//! byte: markup (heading marks, list numbers, table pipes, quote marks), code blocks and
//! blank lines are kept verbatim, and the prose between them is a unit to translate.
//! Translating the units and joining everything again keeps the structure exactly.

use serde::{Deserialize, Serialize};

/// What kind of prose a unit is (for the side-by-side view and for prompts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    Heading,
    Paragraph,
    /// One line kept as a line (short lines, verse, addresses).
    Line,
    ListItem,
    TableCell,
    Quote,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Verbatim(String),
    Unit {
        kind: UnitKind,
        text: String,
        /// The unit is a paragraph soft-wrapped over several lines at this width: it is
        /// translated as one line and the translation wrapped the same way.
        wrap: Option<usize>,
    },
}

/// Cuts `text` into segments; `markdown` turns on code blocks, headings and tables.
pub(crate) fn segment(text: &str, markdown: bool) -> Vec<Segment> {
    let mut out = Segments::default();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        if markdown && (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
            // A fenced code block, up to and including its closing fence.
            let fence = &trimmed[..3];
            out.verbatim(line);
            i += 1;
            while i < lines.len() {
                out.verbatim(lines[i]);
                i += 1;
                if lines[i - 1].trim_start().starts_with(fence) {
                    break;
                }
            }
            continue;
        }
        if trimmed.is_empty() {
            out.verbatim(line);
            i += 1;
            continue;
        }
        if markdown && is_table_row(trimmed) {
            table_row(&mut out, line);
            i += 1;
            continue;
        }
        if let Some(prefix_len) = structural_prefix(body, markdown) {
            let kind = if markdown && trimmed.starts_with('#') {
                UnitKind::Heading
            } else if trimmed.starts_with('>') {
                UnitKind::Quote
            } else {
                UnitKind::ListItem
            };
            out.verbatim(&body[..prefix_len]);
            out.unit(kind, &body[prefix_len..], None);
            out.verbatim(&line[body.len()..]);
            i += 1;
            continue;
        }
        // A paragraph: plain lines up to a blank line or a structural line.
        let start = i;
        while i < lines.len() {
            let next = lines[i].trim_end_matches(['\n', '\r']);
            let next_trimmed = next.trim_start();
            let ends = next_trimmed.is_empty()
                || structural_prefix(next, markdown).is_some()
                || (markdown
                    && (is_table_row(next_trimmed)
                        || next_trimmed.starts_with("```")
                        || next_trimmed.starts_with("~~~")));
            if ends {
                break;
            }
            i += 1;
        }
        paragraph(&mut out, &lines[start..i]);
    }
    out.0
}

#[derive(Default)]
struct Segments(Vec<Segment>);

impl Segments {
    fn verbatim(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(Segment::Verbatim(last)) = self.0.last_mut() {
            last.push_str(text);
        } else {
            self.0.push(Segment::Verbatim(text.to_owned()));
        }
    }

    /// Adds a unit, keeping its surrounding spaces verbatim.
    fn unit(&mut self, kind: UnitKind, text: &str, wrap: Option<usize>) {
        let core = text.trim();
        if core.is_empty() || !core.chars().any(char::is_alphabetic) {
            self.verbatim(text);
            return;
        }
        let lead = &text[..text.len() - text.trim_start().len()];
        let trail = &text[text.trim_end().len()..];
        self.verbatim(lead);
        self.0.push(Segment::Unit {
            kind,
            text: core.to_owned(),
            wrap,
        });
        self.verbatim(trail);
    }
}

/// Length of the markup that starts a heading, list item or quote line.
fn structural_prefix(line: &str, markdown: bool) -> Option<usize> {
    let indent = line.len() - line.trim_start().len();
    let rest = &line[indent..];
    let marker_len = if markdown && rest.starts_with('#') {
        let hashes = rest.chars().take_while(|&c| c == '#').count();
        (hashes <= 6 && rest[hashes..].starts_with(' ')).then_some(hashes)
    } else if rest.starts_with('>') {
        markdown.then_some(1)
    } else if ["- ", "* ", "+ ", "• "].iter().any(|m| rest.starts_with(m)) {
        Some(rest.chars().next().map_or(1, char::len_utf8))
    } else {
        // "1." "12)" "a)" "iv." numbering.
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let letters = rest.chars().take_while(char::is_ascii_lowercase).count();
        let n = if digits > 0 {
            digits
        } else if (1..=3).contains(&letters) {
            letters
        } else {
            0
        };
        (n > 0 && n < 5 && (rest[n..].starts_with(". ") || rest[n..].starts_with(") ")))
            .then_some(n + 1)
    }?;
    // The marker and the spaces after it stay verbatim.
    let after = &rest[marker_len..];
    let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
    Some(indent + marker_len + spaces)
}

fn is_table_row(trimmed: &str) -> bool {
    trimmed.starts_with('|') && trimmed.len() > 1
}

/// A table row: cells translated one by one; pipes, padding and separator rows kept.
fn table_row(out: &mut Segments, line: &str) {
    let body = line.trim_end_matches(['\n', '\r']);
    let is_separator = body
        .chars()
        .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'));
    if is_separator {
        out.verbatim(line);
        return;
    }
    for (i, cell) in body.split('|').enumerate() {
        if i > 0 {
            out.verbatim("|");
        }
        out.unit(UnitKind::TableCell, cell, None);
    }
    out.verbatim(&line[body.len()..]);
}

/// Short lines (verse, addresses, one sentence per line) stay lines; long lines are a
/// soft-wrapped paragraph, translated whole and wrapped again at the same width.
fn paragraph(out: &mut Segments, lines: &[&str]) {
    let bodies: Vec<&str> = lines
        .iter()
        .map(|l| l.trim_end_matches(['\n', '\r']))
        .collect();
    let widest = bodies.iter().map(|b| b.chars().count()).max().unwrap_or(0);
    let ending = &lines[lines.len() - 1][bodies[bodies.len() - 1].len()..];
    if bodies.len() > 1 && widest >= 60 {
        let whole: String = lines.concat();
        out.unit(
            UnitKind::Paragraph,
            &whole[..whole.len() - ending.len()],
            Some(widest),
        );
        out.verbatim(ending);
        return;
    }
    let kind = if bodies.len() > 1 {
        UnitKind::Line
    } else {
        UnitKind::Paragraph
    };
    for (line, body) in lines.iter().zip(&bodies) {
        out.unit(kind, body, None);
        out.verbatim(&line[body.len()..]);
    }
}

/// Markdown as plain text: heading marks, quote marks, code fences and table rules go;
/// list markers, line breaks and the words stay.
pub fn markdown_to_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let trimmed = body.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            continue;
        }
        if is_table_row(trimmed) {
            if trimmed
                .chars()
                .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'))
            {
                continue;
            }
            let cells: Vec<&str> = trimmed
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            out.push_str(&cells.join("\t"));
            out.push_str(ending);
            continue;
        }
        let stripped = match structural_prefix(body, true) {
            Some(len) if trimmed.starts_with('#') || trimmed.starts_with('>') => &body[len..],
            _ => body,
        };
        out.push_str(stripped);
        out.push_str(ending);
    }
    out
}

/// Wraps `text` at `width` characters between words.
pub(crate) fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push('\n');
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    fn show(segments: &[Segment]) -> String {
        segments
            .iter()
            .map(|s| match s {
                Segment::Verbatim(text) => format!("V {text:?}\n"),
                Segment::Unit { kind, text, wrap } => format!("U {kind:?} {text:?} {wrap:?}\n"),
            })
            .collect()
    }

    fn joined(segments: &[Segment]) -> String {
        segments
            .iter()
            .map(|s| match s {
                Segment::Verbatim(text) | Segment::Unit { text, .. } => text.as_str(),
            })
            .collect()
    }

    const SAMPLE: &str = "# Getting started\n\nInstall the [package](https://example.org/x) and run `hearth`.\n\n1. Open the app\n2. Pick a model\n   - small ones are fast\n\n```sh\nhearth run \"hello\"\n```\n\n| Key | Action |\n|-----|--------|\n| q | Quit now |\n\n> Note: data stays local.\n";

    #[test]
    fn markdown_structure_is_kept_and_prose_is_marked() {
        let segments = segment(SAMPLE, true);
        expect![[r##"
            V "# "
            U Heading "Getting started" None
            V "\n\n"
            U Paragraph "Install the [package](https://example.org/x) and run `hearth`." None
            V "\n\n1. "
            U ListItem "Open the app" None
            V "\n2. "
            U ListItem "Pick a model" None
            V "\n   - "
            U ListItem "small ones are fast" None
            V "\n\n```sh\nhearth run \"hello\"\n```\n\n| "
            U TableCell "Key" None
            V " | "
            U TableCell "Action" None
            V " |\n|-----|--------|\n| "
            U TableCell "q" None
            V " | "
            U TableCell "Quit now" None
            V " |\n\n> "
            U Quote "Note: data stays local." None
            V "\n"
        "##]]
        .assert_eq(&show(&segments));
    }

    #[test]
    fn segments_join_back_to_the_input_exactly() {
        let inputs = [
            SAMPLE,
            "plain text\r\nwith CRLF\r\n\r\nand a last line without newline",
            "A long soft-wrapped paragraph that goes on for more than sixty characters\nand continues on the next line of the same paragraph.\n",
            "",
            "\n\n\n",
            "| unclosed | table\n```\nunclosed fence\n",
            "1) first\na) second\n### deep heading\n#not a heading\n",
        ];
        for input in inputs {
            for markdown in [true, false] {
                assert_eq!(
                    joined(&segment(input, markdown)),
                    input,
                    "{input:?} markdown={markdown}"
                );
            }
        }
    }

    proptest::proptest! {
        /// Any text at all, markup-like or not, any script: cutting never panics, the
        /// pieces join back to the input exactly, and units are never blank.
        #[test]
        fn any_text_joins_back_exactly(
            lines in proptest::collection::vec(
                "(#{0,7} ?|[-*+>] |[0-9]{1,3}[.)] |\\| ?|```|~~~| {0,4})[a-zA-Zé漢字ß\\|` .:-]{0,30}(\r?\n)?",
                0..12,
            ),
            markdown: bool,
        ) {
            let input: String = lines.concat();
            let segments = segment(&input, markdown);
            proptest::prop_assert_eq!(joined(&segments), input.clone());
            for s in &segments {
                if let Segment::Unit { text, .. } = s {
                    proptest::prop_assert!(!text.trim().is_empty());
                }
            }
            let _ = markdown_to_text(&input);
        }
    }

    #[test]
    fn markdown_becomes_plain_text() {
        expect![[r#"
            Getting started

            Install the [package](https://example.org/x) and run `hearth`.

            1. Open the app
            2. Pick a model
               - small ones are fast

            hearth run "hello"

            Key	Action
            q	Quit now

            Note: data stays local.
        "#]]
        .assert_eq(&markdown_to_text(SAMPLE));
    }

    #[test]
    fn short_lines_stay_lines_and_long_ones_rewrap() {
        let verse = segment("Roses are red\nviolets are blue\n", false);
        assert_eq!(
            verse
                .iter()
                .filter(|s| matches!(
                    s,
                    Segment::Unit {
                        kind: UnitKind::Line,
                        ..
                    }
                ))
                .count(),
            2
        );
        let prose = segment("A long soft-wrapped paragraph that goes on for more than sixty characters\nand continues.\n", false);
        assert!(
            matches!(
                &prose[0],
                Segment::Unit {
                    kind: UnitKind::Paragraph,
                    wrap: Some(73),
                    ..
                }
            ),
            "{prose:?}"
        );
        assert_eq!(wrap("aaa bbb ccc ddd", 7), "aaa bbb\nccc ddd");
    }
}
