//! Cutting a document into parts that fit a model's context, on structure boundaries.
//!
//! Sizes are counted in the chosen model's own tokens. A part never splits a block when
//! the block fits; a new section (a heading of level 1 or 2) starts a new part once the
//! current one is half full; a block too long for any part is split between sentences,
//! and a sentence too long for a part between words. Every block lands in exactly one
//! part, in order, so nothing is left out.

use hearth_docs::{Block, BlockKind, Document};
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use crate::error::Result;

/// Where a part of a document came from, for references in summaries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// Index of the part (0-based).
    pub part: usize,
    /// The headings above the part's first block, outermost first.
    pub section: Vec<String>,
    pub first_page: Option<u32>,
    pub last_page: Option<u32>,
}

impl SourceRef {
    /// A short label for the reader: "p. 4", "pp. 4–6", "§ Installation", or "part 3".
    pub fn label(&self) -> String {
        match (self.first_page, self.last_page) {
            (Some(first), Some(last)) if first != last => format!("pp. {first}–{last}"),
            (Some(page), _) | (None, Some(page)) => format!("p. {page}"),
            (None, None) => match self.section.last() {
                Some(heading) => format!("§ {heading}"),
                None => format!("part {}", self.part + 1),
            },
        }
    }
}

/// One part of a document, ready to go into a prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    pub text: String,
    /// The part's size in the model's tokens (the sum of its pieces).
    pub tokens: usize,
    pub source: SourceRef,
}

/// A piece of text no larger than the part size, with its place in the document.
struct Piece {
    text: String,
    tokens: usize,
    page: Option<u32>,
    /// The heading trail in force where the piece starts.
    section: Vec<String>,
    starts_section: bool,
}

/// Cuts `document` into parts of at most `max_tokens` tokens as `count` measures them.
pub fn chunk_document(
    document: &Document,
    max_tokens: usize,
    count: &dyn Fn(&str) -> Result<usize>,
) -> Result<Vec<Chunk>> {
    let max_tokens = max_tokens.max(16);
    let pieces = pieces(&document.blocks, max_tokens, count)?;
    Ok(assemble(pieces, max_tokens))
}

fn pieces(
    blocks: &[Block],
    max_tokens: usize,
    count: &dyn Fn(&str) -> Result<usize>,
) -> Result<Vec<Piece>> {
    let mut trail: Vec<(u8, String)> = Vec::new();
    let mut pieces = Vec::new();
    for block in blocks {
        if block.text.trim().is_empty() {
            continue;
        }
        let starts_section = matches!(block.kind, BlockKind::Heading { level } if level <= 2);
        if let BlockKind::Heading { level } = block.kind {
            trail.retain(|(outer, _)| *outer < level);
            trail.push((level, block.text.trim().to_owned()));
        }
        let section: Vec<String> = trail.iter().map(|(_, text)| text.clone()).collect();
        let text = block.to_markdown();
        let tokens = count(&text)?;
        if tokens <= max_tokens {
            pieces.push(Piece {
                text,
                tokens,
                page: block.page,
                section,
                starts_section,
            });
            continue;
        }
        for (i, (text, tokens)) in split_long(&text, max_tokens, count)?
            .into_iter()
            .enumerate()
        {
            pieces.push(Piece {
                text,
                tokens,
                page: block.page,
                section: section.clone(),
                starts_section: starts_section && i == 0,
            });
        }
    }
    Ok(pieces)
}

/// Splits text longer than `max_tokens` between sentences, and a sentence still too
/// long between words.
fn split_long(
    text: &str,
    max_tokens: usize,
    count: &dyn Fn(&str) -> Result<usize>,
) -> Result<Vec<(String, usize)>> {
    let mut units = Vec::new();
    for sentence in text.split_sentence_bounds() {
        let tokens = count(sentence)?;
        if tokens <= max_tokens {
            units.push((sentence.to_owned(), tokens));
        } else {
            units.extend(split_words(sentence, max_tokens, count)?);
        }
    }
    Ok(pack(units, max_tokens, "")
        .into_iter()
        .map(|(text, tokens)| (text.trim().to_owned(), tokens))
        .filter(|(text, _)| !text.is_empty())
        .collect())
}

fn split_words(
    sentence: &str,
    max_tokens: usize,
    count: &dyn Fn(&str) -> Result<usize>,
) -> Result<Vec<(String, usize)>> {
    let mut units = Vec::new();
    for word in sentence.split_word_bounds() {
        let tokens = count(word)?;
        if tokens <= max_tokens {
            units.push((word.to_owned(), tokens));
        } else {
            // A "word" longer than a whole part (a base64 blob): cut it by characters,
            // assuming no character is worth more than one token.
            let chars: Vec<char> = word.chars().collect();
            for slice in chars.chunks(max_tokens) {
                let text: String = slice.iter().collect();
                let tokens = count(&text)?;
                units.push((text, tokens));
            }
        }
    }
    Ok(pack(units, max_tokens, ""))
}

/// Joins consecutive units while they fit. Token counts of joined text are taken as the
/// sum of the parts, which tokenizers that merge across the seam only overestimate.
fn pack(units: Vec<(String, usize)>, max_tokens: usize, separator: &str) -> Vec<(String, usize)> {
    let mut packed: Vec<(String, usize)> = Vec::new();
    for (text, tokens) in units {
        match packed.last_mut() {
            Some((current, size)) if *size + tokens <= max_tokens => {
                current.push_str(separator);
                current.push_str(&text);
                *size += tokens;
            }
            _ => packed.push((text, tokens)),
        }
    }
    packed
}

/// Groups pieces into parts: up to `max_tokens` each, starting a new part at a section
/// heading once the current part is at least half full.
fn assemble(pieces: Vec<Piece>, max_tokens: usize) -> Vec<Chunk> {
    // Blocks are joined by a blank line, worth about one token.
    const SEPARATOR_TOKENS: usize = 1;
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut current: Option<Chunk> = None;
    for piece in pieces {
        if let Some(chunk) = current.as_mut() {
            let fits = chunk.tokens + SEPARATOR_TOKENS + piece.tokens <= max_tokens;
            let new_section = piece.starts_section && chunk.tokens * 2 >= max_tokens;
            if fits && !new_section {
                chunk.text.push_str("\n\n");
                chunk.text.push_str(&piece.text);
                chunk.tokens += SEPARATOR_TOKENS + piece.tokens;
                if piece.page.is_some() {
                    chunk.source.first_page = chunk.source.first_page.or(piece.page);
                    chunk.source.last_page = piece.page;
                }
                continue;
            }
            chunks.extend(current.take());
        }
        current = Some(Chunk {
            text: piece.text,
            tokens: piece.tokens,
            source: SourceRef {
                part: chunks.len(),
                section: piece.section,
                first_page: piece.page,
                last_page: piece.page,
            },
        });
    }
    chunks.extend(current);
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;
    use hearth_docs::Format;

    /// One token per whitespace-separated word: easy to reason about in tests.
    fn words(text: &str) -> Result<usize> {
        Ok(text.split_whitespace().count())
    }

    fn block(kind: BlockKind, text: &str, page: Option<u32>) -> Block {
        Block {
            kind,
            text: text.to_owned(),
            page,
        }
    }

    fn document(blocks: Vec<Block>) -> Document {
        Document::new(Format::Markdown, blocks)
    }

    fn render(chunks: &[Chunk]) -> String {
        chunks
            .iter()
            .map(|c| {
                format!(
                    "--- {} [{} tokens] {:?}\n{}\n",
                    c.source.label(),
                    c.tokens,
                    c.source.section,
                    c.text
                )
            })
            .collect()
    }

    #[test]
    fn sections_start_new_parts_and_blocks_stay_whole() {
        let doc = document(vec![
            block(BlockKind::Heading { level: 1 }, "Install", None),
            block(
                BlockKind::Paragraph,
                "Download the package and unpack it somewhere.",
                None,
            ),
            block(
                BlockKind::ListItem {
                    ordered: true,
                    depth: 0,
                },
                "Run the installer now",
                None,
            ),
            block(
                BlockKind::ListItem {
                    ordered: true,
                    depth: 1,
                },
                "Accept the licence",
                None,
            ),
            block(BlockKind::Heading { level: 2 }, "Upgrade", None),
            block(BlockKind::Paragraph, "Upgrades keep your settings.", None),
            block(BlockKind::Heading { level: 1 }, "Use", None),
            block(BlockKind::Table, "key | action\nq | quit", None),
            block(BlockKind::Code, "hearth run hello", None),
        ]);
        let chunks = chunk_document(&doc, 20, &words).unwrap();
        expect![[r#"
            --- § Install [16 tokens] ["Install"]
            # Install

            Download the package and unpack it somewhere.

            1. Run the installer now
            --- § Install [12 tokens] ["Install"]
              1. Accept the licence

            ## Upgrade

            Upgrades keep your settings.
            --- § Use [15 tokens] ["Use"]
            # Use

            key | action
            q | quit

            ```
            hearth run hello
            ```
        "#]]
        .assert_eq(&render(&chunks));
    }

    #[test]
    fn long_blocks_split_between_sentences_then_words() {
        let long_sentence = (1..=30)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let doc = document(vec![
            block(
                BlockKind::Paragraph,
                "One two three. Four five six. Seven eight nine.",
                Some(3),
            ),
            block(BlockKind::Paragraph, &long_sentence, Some(4)),
        ]);
        let chunks = chunk_document(&doc, 16, &words).unwrap();
        for chunk in &chunks {
            assert!(chunk.tokens <= 16, "{}", render(&chunks));
        }
        expect![[r#"
            --- p. 3 [9 tokens] []
            One two three. Four five six. Seven eight nine.
            --- p. 4 [16 tokens] []
            w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16
            --- p. 4 [14 tokens] []
            w17 w18 w19 w20 w21 w22 w23 w24 w25 w26 w27 w28 w29 w30
        "#]]
        .assert_eq(&render(&chunks));
    }

    #[test]
    fn every_word_lands_in_exactly_one_part_in_order() {
        let blocks: Vec<Block> = (0..200)
            .map(|i| {
                let kind = if i % 17 == 0 {
                    BlockKind::Heading {
                        level: 1 + (i % 3) as u8,
                    }
                } else {
                    BlockKind::Paragraph
                };
                let text = (0..(i % 23 + 1))
                    .map(|w| format!("b{i}w{w}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                block(kind, &text, Some(i / 10 + 1))
            })
            .collect();
        let doc = document(blocks.clone());
        for max in [16, 40, 100, 1000] {
            let chunks = chunk_document(&doc, max, &words).unwrap();
            let seen: Vec<String> = chunks
                .iter()
                .flat_map(|c| {
                    c.text
                        .split_whitespace()
                        .filter(|w| w.starts_with('b'))
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .collect();
            let expected: Vec<String> = blocks
                .iter()
                .flat_map(|b| {
                    b.text
                        .split_whitespace()
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .collect();
            assert_eq!(seen, expected, "max {max}");
            assert!(chunks.iter().all(|c| c.tokens <= max), "max {max}");
            assert!(chunks.iter().enumerate().all(|(i, c)| c.source.part == i));
        }
    }
}
