//! Cutting a document into passages for retrieval: small enough that one vector
//! describes one idea (the embedding model reads at most a few hundred tokens), cut on
//! the document's structure by the same chunker summaries use, and overlapping, so a
//! sentence that answers a question is not split from the sentence that sets it up.
//!
//! Each passage keeps the headings above it and its pages, for citations; the text that
//! is embedded also starts with the document's title and those headings, so a passage
//! under "Installation" is found by a question about installing.

use hearth_docs::Document;
use unicode_segmentation::UnicodeSegmentation;

use crate::documents::chunk_document;
use crate::error::Result;

/// The most tokens of a passage's own text, overlap excluded.
pub const PASSAGE_TOKENS: usize = 180;
/// The most tokens carried over from the end of the previous passage.
pub const OVERLAP_TOKENS: usize = 40;

/// One passage, ready to embed and store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// The heading trail, outermost first, joined with " › ".
    pub section: String,
    pub first_page: Option<u32>,
    pub last_page: Option<u32>,
    /// What is stored and shown: the overlap, then the passage.
    pub text: String,
    pub tokens: usize,
    /// What is embedded: title and section, then `text`.
    pub embed_text: String,
}

/// Cuts `document` into passages, sizes measured by `count` (the embedding model's
/// tokenizer).
pub fn split_for_retrieval(
    document: &Document,
    count: &dyn Fn(&str) -> Result<usize>,
) -> Result<Vec<Passage>> {
    let chunks = chunk_document(document, PASSAGE_TOKENS, count)?;
    let mut passages: Vec<Passage> = Vec::with_capacity(chunks.len());
    let mut previous: Option<String> = None;
    for mut chunk in chunks {
        chunk.text = collapse_leaders(&chunk.text);
        let section = chunk.source.section.join(" › ");
        let (overlap, overlap_tokens) = match &previous {
            Some(text) => tail(text, OVERLAP_TOKENS, count)?,
            None => (String::new(), 0),
        };
        let text = if overlap.is_empty() {
            chunk.text.clone()
        } else {
            format!("{overlap} {}", chunk.text)
        };
        let heading: Vec<&str> = document
            .title
            .as_deref()
            .into_iter()
            .chain((!section.is_empty()).then_some(section.as_str()))
            .collect();
        let embed_text = if heading.is_empty() {
            text.clone()
        } else {
            format!("{}\n\n{text}", heading.join(" › "))
        };
        previous = Some(chunk.text);
        passages.push(Passage {
            section,
            first_page: chunk.source.first_page,
            last_page: chunk.source.last_page,
            tokens: chunk.tokens + overlap_tokens,
            text,
            embed_text,
        });
    }
    Ok(passages)
}

/// Dot leaders of tables of contents and indexes ("read.csv . . . . . . 10") become one
/// ellipsis: as text they are noise to a reader and to the embedding model.
fn collapse_leaders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '.' {
            out.push(c);
            continue;
        }
        let mut run = String::from(".");
        let mut dots = 1;
        while let Some(&next) = chars.peek() {
            if next == '.' {
                dots += 1;
            } else if next != ' ' {
                break;
            }
            run.push(next);
            chars.next();
        }
        if dots >= 4 {
            out.truncate(out.trim_end_matches(' ').len());
            out.push_str(" … ");
        } else {
            out.push_str(&run);
        }
    }
    out
}

/// The last whole sentences of `text` worth at most `budget` tokens (none when even the
/// last sentence is longer).
fn tail(
    text: &str,
    budget: usize,
    count: &dyn Fn(&str) -> Result<usize>,
) -> Result<(String, usize)> {
    let sentences: Vec<&str> = text.split_sentence_bounds().collect();
    let mut start = sentences.len();
    let mut used = 0;
    while start > 0 {
        let tokens = count(sentences[start - 1])?;
        if used + tokens > budget {
            break;
        }
        used += tokens;
        start -= 1;
    }
    let overlap = sentences[start..].concat().trim().to_owned();
    Ok((overlap, if start == sentences.len() { 0 } else { used }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_docs::{Block, BlockKind, Format};

    fn words(text: &str) -> Result<usize> {
        Ok(text.split_whitespace().count())
    }

    fn document(blocks: Vec<Block>) -> Document {
        let mut document = Document::new(Format::Markdown, blocks);
        document.title = Some("Guide".into());
        document
    }

    #[test]
    fn passages_overlap_by_whole_sentences_and_carry_their_headings() {
        let sentence = |i: usize| format!("Sentence number {i} has exactly seven words.");
        let long: String = (0..60).map(sentence).collect::<Vec<_>>().join(" ");
        let doc = document(vec![
            Block::new(BlockKind::Heading { level: 1 }, "Install", None),
            Block::new(BlockKind::Paragraph, long, None),
        ]);
        let passages = split_for_retrieval(&doc, &words).unwrap();
        assert!(passages.len() >= 3, "{} passages", passages.len());
        for pair in passages.windows(2) {
            let carried = pair[1].text.split(". ").next().unwrap();
            assert!(
                pair[0].text.contains(carried),
                "the next passage starts with the end of this one: {carried:?}"
            );
        }
        for passage in &passages {
            assert!(
                passage.tokens <= PASSAGE_TOKENS + OVERLAP_TOKENS,
                "{}",
                passage.tokens
            );
            assert_eq!(passage.section, "Install");
            assert!(passage.embed_text.starts_with("Guide › Install\n\n"));
        }
        assert!(!passages[0].text.starts_with(' '));
        let all: String = passages.iter().map(|p| p.text.as_str()).collect();
        for i in 0..60 {
            assert!(
                all.contains(&sentence(i)),
                "sentence {i} is in some passage"
            );
        }
    }

    #[test]
    fn dot_leaders_collapse_but_sentences_keep_their_dots() {
        assert_eq!(
            collapse_leaders("read.csv . . . . . . . . 10, 32"),
            "read.csv … 10, 32"
        );
        assert_eq!(collapse_leaders("Intro........5"), "Intro … 5");
        assert_eq!(
            collapse_leaders("It ends. Then... more."),
            "It ends. Then... more."
        );
    }

    #[test]
    fn pages_are_kept_for_citations() {
        let doc = document(vec![
            Block::new(BlockKind::Paragraph, "First page text.", Some(1)),
            Block::new(BlockKind::Paragraph, "Second page text.", Some(2)),
        ]);
        let passages = split_for_retrieval(&doc, &words).unwrap();
        assert_eq!(passages.len(), 1);
        assert_eq!(
            (passages[0].first_page, passages[0].last_page),
            (Some(1), Some(2))
        );
        assert_eq!(
            passages[0].embed_text,
            "Guide\n\nFirst page text.\n\nSecond page text."
        );
    }
}
