//! Turning a model's summary text into points, and tracing each point back to the
//! parts of the document it came from.
//!
//! A small model cannot be trusted to cite its sources, so Hearth does it: every point
//! written from a set of notes is matched by shared words against those notes, and
//! takes over the parts they came from. A point that matches nothing is honestly
//! credited to everything the step read. Quotes are never written by the model: they
//! are the source sentence that best matches the point, copied verbatim.

use std::collections::HashSet;

use unicode_segmentation::UnicodeSegmentation;

/// A line of a summary with the parts of the document it rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Note {
    pub text: String,
    /// Indexes of document parts, ascending, never empty.
    pub parts: Vec<usize>,
}

/// Splits model output into points: bullet or numbered lines when there are any,
/// otherwise sentences. Preambles such as "Here is a summary:" are dropped.
pub(crate) fn split_points(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let bullets: Vec<String> = lines.iter().filter_map(|line| strip_bullet(line)).collect();
    let points = if bullets.is_empty() {
        text.unicode_sentences()
            .map(|s| s.trim().to_owned())
            .collect()
    } else {
        bullets
    };
    without_repeats(
        points
            .into_iter()
            .map(|p| {
                p.trim_matches(|c: char| c == '*' || c.is_whitespace())
                    .to_owned()
            })
            .filter(|p| !p.is_empty() && !is_preamble(p))
            .collect(),
    )
}

/// Drops points that say again what an earlier point said (80% of their words shared):
/// small models loop, and a repeated line tells the reader nothing new.
fn without_repeats(points: Vec<String>) -> Vec<String> {
    let mut kept: Vec<(String, HashSet<String>)> = Vec::new();
    for point in points {
        let point_words = words(&point);
        let repeat = !point_words.is_empty()
            && kept
                .iter()
                .any(|(_, earlier)| overlap(&point_words, earlier) >= 0.8);
        if !repeat {
            kept.push((point, point_words));
        }
    }
    kept.into_iter().map(|(point, _)| point).collect()
}

/// Splits into paragraphs, each a list of sentences (for paragraph styles).
pub(crate) fn split_paragraphs(text: &str) -> Vec<Vec<String>> {
    let mut seen: Vec<HashSet<String>> = Vec::new();
    text.split("\n\n")
        .map(|paragraph| {
            paragraph
                .unicode_sentences()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty() && !is_preamble(s))
                .filter(|s| {
                    let sentence_words = words(s);
                    let repeat = !sentence_words.is_empty()
                        && seen
                            .iter()
                            .any(|earlier| overlap(&sentence_words, earlier) >= 0.8);
                    seen.push(sentence_words);
                    !repeat
                })
                .collect::<Vec<_>>()
        })
        .filter(|sentences| !sentences.is_empty())
        .collect()
}

fn strip_bullet(line: &str) -> Option<String> {
    for marker in ["- ", "* ", "• ", "– "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return Some(rest.to_owned());
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits < 4 {
        let rest = &line[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(rest.to_owned());
        }
    }
    None
}

fn is_preamble(point: &str) -> bool {
    let lower = point.to_lowercase();
    // "Part 3 of 9:" echoed from the input.
    let words: Vec<&str> = lower.trim_end_matches(':').split_whitespace().collect();
    if let ["part", n, "of", m] = words.as_slice() {
        if n.parse::<u32>().is_ok() && m.parse::<u32>().is_ok() {
            return true;
        }
    }
    point.ends_with(':')
        && (lower.starts_with("here")
            || lower.starts_with("summary")
            || lower.contains("bullet")
            || lower.starts_with("key points")
            || lower.starts_with("tl;dr"))
}

/// Lowercase words of three letters or more; CJK text counts each character.
fn words(text: &str) -> HashSet<String> {
    text.unicode_words()
        .flat_map(|word| {
            if word.chars().any(is_cjk) {
                word.chars().map(String::from).collect::<Vec<_>>()
            } else if word.chars().count() >= 3 {
                vec![word.to_lowercase()]
            } else {
                Vec::new()
            }
        })
        .collect()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF)
}

/// Share of the point's words found in `source` (0 to 1).
fn overlap(point: &HashSet<String>, source: &HashSet<String>) -> f64 {
    if point.is_empty() {
        return 0.0;
    }
    point.intersection(source).count() as f64 / point.len() as f64
}

/// The parts a point written from `notes` rests on: those of the notes sharing the most
/// words with it (within 80% of the best match), or of all notes when none does.
pub(crate) fn attribute(point: &str, notes: &[Note]) -> Vec<usize> {
    let point_words = words(point);
    let scores: Vec<f64> = notes
        .iter()
        .map(|n| overlap(&point_words, &words(&n.text)))
        .collect();
    let best = scores.iter().copied().fold(0.0, f64::max);
    let chosen: Vec<&Note> = if best < 0.2 {
        notes.iter().collect()
    } else {
        notes
            .iter()
            .zip(&scores)
            .filter(|(_, score)| **score >= best * 0.8)
            .map(|(note, _)| note)
            .collect()
    };
    let mut parts: Vec<usize> = chosen
        .iter()
        .flat_map(|n| n.parts.iter().copied())
        .collect();
    parts.sort_unstable();
    parts.dedup();
    parts
}

/// The sentence of `sources` that shares the most words with `point`, cut to at most
/// `max_words` words: a verbatim quote, or `None` when nothing matches.
pub(crate) fn best_quote(point: &str, sources: &[&str], max_words: usize) -> Option<String> {
    let point_words = words(point);
    let mut best: Option<(f64, &str)> = None;
    for source in sources {
        for sentence in source.unicode_sentences() {
            let sentence = sentence.trim().trim_start_matches(['#', '-', '>', ' ']);
            if sentence.split_whitespace().count() < 4 {
                continue;
            }
            let score = overlap(&point_words, &words(sentence));
            if score > best.map_or(0.0, |(s, _)| s) {
                best = Some((score, sentence));
            }
        }
    }
    let (score, sentence) = best?;
    if score < 0.15 {
        return None;
    }
    let mut quote: Vec<&str> = sentence.split_whitespace().take(max_words).collect();
    let cut = quote.len() < sentence.split_whitespace().count();
    if cut {
        quote.push("…");
    }
    Some(quote.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bullets_numbers_and_sentences() {
        assert_eq!(
            split_points("Here is a summary:\n- First point.\n* Second point\n3. Third point\n- Part 4 of 9:"),
            vec!["First point.", "Second point", "Third point"]
        );
        assert_eq!(
            split_points("The cat sat. The dog ran away."),
            vec!["The cat sat.", "The dog ran away."]
        );
        assert_eq!(split_paragraphs("One. Two.\n\nThree.").len(), 2);
        // A model looping on the same line says it once.
        assert_eq!(
            split_points("- The pumps failed on Tuesday.\n- The pumps failed on Tuesday again.\n- Wages rose."),
            vec!["The pumps failed on Tuesday.", "Wages rose."]
        );
        assert_eq!(
            split_paragraphs(
                "The pumps failed on Tuesday. The pumps failed on Tuesday.\n\nWages rose."
            ),
            vec![
                vec!["The pumps failed on Tuesday.".to_owned()],
                vec!["Wages rose.".to_owned()]
            ]
        );
    }

    #[test]
    fn points_are_traced_to_the_matching_notes() {
        let notes = vec![
            Note {
                text: "The reactor cooling pumps failed on Tuesday".into(),
                parts: vec![0],
            },
            Note {
                text: "Shareholders approved the merger with Acme".into(),
                parts: vec![3, 4],
            },
        ];
        assert_eq!(
            attribute("Acme merger approved by shareholders", &notes),
            vec![3, 4]
        );
        assert_eq!(attribute("Cooling pumps failed", &notes), vec![0]);
        // Nothing in common: credited to everything read, never to nothing.
        assert_eq!(attribute("Unrelated words entirely", &notes), vec![0, 3, 4]);
    }

    #[test]
    fn quotes_are_verbatim_source_sentences() {
        let source = "Intro words here. The pumps failed at noon on Tuesday after a power cut. Other text follows here.";
        let quote = best_quote("pumps failed Tuesday", &[source], 6).unwrap();
        assert_eq!(quote, "The pumps failed at noon on …");
        assert!(best_quote("zebra", &[source], 6).is_none());
    }
}
