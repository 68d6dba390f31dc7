//! Plain text: paragraphs are separated by blank lines, hard-wrapped lines inside one are
//! joined, lines that start with a bullet or a number ("- ", "* ", "• ", "1. ", "2) ")
//! become list items nested by indentation, and numbered section titles standing alone
//! ("3.1. An overview", "Chapter 3. Setup") or underlined with === or --- become
//! headings, so the chunker can split at sections and between items rather than inside
//! them.

use crate::builder::DocBuilder;
use crate::text::Decoded;
use crate::{BlockKind, DocError, Document, Format, Limits};

pub(crate) fn read(decoded: Decoded, limits: &Limits) -> Result<Document, DocError> {
    let mut doc = DocBuilder::new(Format::Text, limits.max_text_bytes);
    doc.set_encoding(decoded.encoding);
    let lines: Vec<&str> = decoded.text.lines().collect();
    let mut reader = Reader {
        doc: &mut doc,
        para: String::new(),
        indents: Vec::new(),
    };
    let mut i = 0;
    while i < lines.len() && !reader.doc.is_full() {
        let line = lines[i];
        let blank_before = i == 0 || lines[i - 1].trim().is_empty();
        let blank_after = lines.get(i + 1).is_none_or(|l| l.trim().is_empty());
        if line.trim().is_empty() {
            reader.flush();
            i += 1;
            continue;
        }
        // A title underlined with === or --- (the underline at least half its length).
        if let Some(level) = lines
            .get(i + 1)
            .and_then(|next| underline_level(line, next))
        {
            if blank_before {
                reader.end_list();
                reader.flush();
                reader.doc.push(BlockKind::Heading { level }, line, None);
                i += 2;
                continue;
            }
        }
        if is_rule(line) {
            reader.flush();
            i += 1;
            continue;
        }
        if blank_before && blank_after && !line.starts_with(char::is_whitespace) {
            if let Some(level) = section_level(line) {
                reader.end_list();
                reader.flush();
                reader.doc.push(BlockKind::Heading { level }, line, None);
                i += 1;
                continue;
            }
        }
        reader.line(line);
        i += 1;
    }
    reader.flush();
    doc.finish()
}

struct Reader<'d> {
    doc: &'d mut DocBuilder,
    para: String,
    /// Indentation of the open list levels, outermost first.
    indents: Vec<usize>,
}

impl Reader<'_> {
    fn line(&mut self, line: &str) {
        let indent = indentation(line);
        if let Some((ordered, rest)) = list_marker(line.trim_start()) {
            self.flush();
            let depth = self.depth_for(indent);
            self.doc
                .push(BlockKind::ListItem { ordered, depth }, rest, None);
            return;
        }
        // A wrapped continuation of the previous list item is indented under its text.
        if self.para.is_empty() && !self.indents.is_empty() && indent > 0 && self.last_is_item() {
            if let Some(last) = self.doc.blocks_mut().last_mut() {
                last.text.push(' ');
                last.text.push_str(line.trim());
            }
            return;
        }
        if indent == 0 {
            self.end_list();
        }
        if !self.para.is_empty() {
            self.para.push(' ');
        }
        self.para.push_str(line.trim());
    }

    /// List depth from indentation: deeper than the open level nests, shallower closes
    /// levels until one is no deeper.
    fn depth_for(&mut self, indent: usize) -> u8 {
        while self.indents.last().is_some_and(|&top| indent < top) {
            self.indents.pop();
        }
        if self.indents.last() != Some(&indent) {
            self.indents.push(indent);
        }
        u8::try_from(self.indents.len() - 1)
            .unwrap_or(u8::MAX)
            .min(8)
    }

    fn end_list(&mut self) {
        self.indents.clear();
    }

    fn last_is_item(&mut self) -> bool {
        matches!(
            self.doc.blocks_mut().last().map(|b| b.kind),
            Some(BlockKind::ListItem { .. })
        )
    }

    fn flush(&mut self) {
        if !self.para.is_empty() {
            self.doc.push(BlockKind::Paragraph, &self.para, None);
            self.para.clear();
        }
    }
}

fn indentation(line: &str) -> usize {
    line.chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

/// `(ordered, text)` when the line starts with a list marker.
fn list_marker(body: &str) -> Option<(bool, &str)> {
    for bullet in ["- ", "* ", "• ", "+ ", "– ", "o "] {
        if let Some(rest) = body.strip_prefix(bullet) {
            // "o " is a bullet in man-page style text only when followed by a capital.
            if bullet == "o " && !rest.starts_with(char::is_uppercase) {
                continue;
            }
            if !rest.trim().is_empty() {
                return Some((false, rest));
            }
        }
    }
    let digits = body.chars().take_while(char::is_ascii_digit).count();
    if (1..=3).contains(&digits) {
        let rest = &body[digits..];
        for end in [". ", ") "] {
            if let Some(rest) = rest.strip_prefix(end) {
                if !rest.trim().is_empty() {
                    return Some((true, rest));
                }
            }
        }
    }
    None
}

/// A line of one repeated character from -=*_~# (three or more), used as a rule.
fn is_rule(line: &str) -> bool {
    let t = line.trim();
    let mut chars = t.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    t.len() >= 3 && "-=*_~#".contains(first) && chars.all(|c| c == first || c == ' ')
}

fn underline_level(line: &str, next: &str) -> Option<u8> {
    let under = next.trim_end();
    let title = line.trim();
    if under.len() < 3 || under.len() * 2 < title.chars().count() || title.is_empty() {
        return None;
    }
    if under.chars().all(|c| c == '=') {
        Some(1)
    } else if under.chars().all(|c| c == '-') {
        Some(2)
    } else {
        None
    }
}

/// The heading level of a numbered section title standing alone: "Chapter 3. Setup" and
/// "Appendix A. Notes" are 1, "3.1. Overview" 2, "3.1.4 Details" 3. A single number
/// ("3. Overview") is left as a list item, which it as often is.
fn section_level(line: &str) -> Option<u8> {
    // DocBook's text output puts no-break spaces after "Chapter" and the number.
    let t = line.trim().replace('\u{a0}', " ");
    let t = t.as_str();
    if t.chars().count() > 100 || t.ends_with(['.', ',', ';', ':']) {
        return None;
    }
    for prefix in ["Chapter ", "Appendix ", "Part ", "CHAPTER ", "APPENDIX "] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let number = rest.split_whitespace().next().unwrap_or("");
            let number = number.trim_end_matches(['.', ':']);
            let is_number = !number.is_empty()
                && (number.chars().all(|c| c.is_ascii_digit())
                    || (number.len() == 1 && number.chars().all(|c| c.is_ascii_uppercase()))
                    || number.chars().all(|c| "IVXLC".contains(c)));
            return is_number.then_some(1);
        }
    }
    let (number, rest) = t.split_once(char::is_whitespace)?;
    if rest.trim().is_empty() || !rest.trim_start().starts_with(|c: char| c.is_alphabetic()) {
        return None;
    }
    let parts: Vec<&str> = number.trim_end_matches('.').split('.').collect();
    let first_ok = parts[0].chars().all(|c| c.is_ascii_digit()) && !parts[0].is_empty()
        || (parts[0].len() == 1 && parts[0].chars().all(|c| c.is_ascii_uppercase()));
    let others_ok = parts[1..]
        .iter()
        .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()));
    (parts.len() >= 2 && parts.len() <= 6 && first_ok && others_ok)
        .then(|| u8::try_from(parts.len()).unwrap_or(6))
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
    fn paragraphs_lists_and_headings() {
        let doc = read_str(
            "A Title\n=======\n\nFirst paragraph is\nhard wrapped here.\n\n- one\n- two that\n  wraps\n    - nested\n\n1. first\n2) second\n\n2024. A year is not a list.\n\n-----------------\n\nChapter 3. The system initialization\n\n    Indented body text\n    wraps.\n\n      * bullet\n\n          + sub bullet\n\n3.1. An overview\n\n3.1.1 Stage 1: the UEFI\n\nSub title\n---------\n\n3. Not a heading alone\n",
        );
        expect![[r#"
            # A Title

            First paragraph is hard wrapped here.

            - one
            - two that wraps
              - nested
            1. first
            1. second

            2024\. A year is not a list.

            # Chapter 3. The system initialization

            Indented body text wraps.

            - bullet
              - sub bullet

            ## 3.1. An overview

            ### 3.1.1 Stage 1: the UEFI

            ## Sub title

            1. Not a heading alone
        "#]]
        .assert_eq(&doc.to_markdown());
        assert_eq!(doc.encoding.as_deref(), Some("UTF-8"));
    }

    #[test]
    fn section_levels() {
        assert_eq!(section_level("Appendix A. Notes"), Some(1));
        assert_eq!(
            section_level("Chapter\u{a0}3.\u{a0}The system initialization"),
            Some(1)
        );
        assert_eq!(section_level("A.1. The Debian maze"), Some(2));
        assert_eq!(section_level("1.2.3 Done"), Some(3));
        assert_eq!(section_level("3.14 is pi."), None);
        assert_eq!(section_level("Chapter one of many"), None);
    }

    #[test]
    fn text_limit_truncates_with_a_warning() {
        let text = "word ".repeat(100) + "\n\n" + &"more ".repeat(100);
        let limits = Limits {
            max_text_bytes: 600,
            ..Limits::default()
        };
        let doc = read(
            Decoded {
                text,
                encoding: "UTF-8",
            },
            &limits,
        )
        .unwrap();
        assert_eq!(doc.blocks.len(), 1);
        assert!(doc.warnings[0].contains("600 bytes"), "{:?}", doc.warnings);
    }
}
