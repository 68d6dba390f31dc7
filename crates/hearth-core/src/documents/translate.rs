//! Translating text while keeping its structure.
//!
//! The text is cut into units of prose ([`segment`]); markup, code and blank lines never
//! reach the model. Units longer than a step allows are split between sentences. Units
//! run as parallel sequences; each prompt carries the glossary entries its unit uses,
//! and each translation is checked against them. Inline code and link targets the model
//! changed are put back. The result keeps every unit's source beside its translation
//! for a side-by-side view.

use hearth_llm::{ChatMessage, Engine, GenerationOptions};
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use super::glossary::Glossary;
use super::language::{detect, DetectedLanguage, Language};
use super::segment::{segment, wrap, Segment, UnitKind};
use super::steps::{run_all, Cancellation};
use crate::error::{CoreError, Result};

/// How to translate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranslateOptions {
    pub to: Language,
    /// The source language; detected when `None`.
    pub from: Option<Language>,
    pub glossary: Glossary,
    /// Read the input as Markdown (code blocks, headings, tables); plain text otherwise.
    pub markdown: bool,
    /// Units translated at once; `None` uses every sequence the engine has.
    pub parallel: Option<usize>,
}

/// Where a translation job is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranslateProgress {
    pub done: usize,
    pub total: usize,
}

/// One unit of the source beside its translation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlignedUnit {
    pub kind: UnitKind,
    pub source: String,
    pub target: String,
    /// Numbers, code and acronyms that differ between the unit and its translation (the
    /// grounding check): written but not in the source, or in the source but left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported: Vec<crate::grounding::Finding>,
}

/// A glossary term the model did not translate as required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlossaryMiss {
    /// Index into [`Translation::units`].
    pub unit: usize,
    pub term: String,
    pub expected: String,
}

/// A finished translation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Translation {
    pub from: Language,
    /// What the detector found, when the source language was not given.
    pub detected: Option<DetectedLanguage>,
    pub to: Language,
    /// The translated text with the input's structure (Markdown when the input was).
    pub text: String,
    pub units: Vec<AlignedUnit>,
    pub glossary_misses: Vec<GlossaryMiss>,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    pub warnings: Vec<String>,
    /// The grounding check's count over the units; none when the check is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounding: Option<super::GroundingCount>,
}

/// Tokens kept for instructions, glossary lines and the chat template.
const PROMPT_OVERHEAD: usize = 200;
/// Largest piece of prose sent in one step.
const MAX_UNIT_TOKENS: usize = 400;

pub(crate) fn translate(
    engine: &dyn Engine,
    text: &str,
    options: &TranslateOptions,
    progress: &mut dyn FnMut(TranslateProgress),
    cancel: &Cancellation,
) -> Result<Translation> {
    let segments = segment(text, options.markdown);
    let sources: Vec<(UnitKind, String)> = segments
        .iter()
        .filter_map(|s| match s {
            Segment::Unit { kind, text, wrap } => Some((
                *kind,
                if wrap.is_some() {
                    one_line(text)
                } else {
                    text.clone()
                },
            )),
            Segment::Verbatim(_) => None,
        })
        .collect();
    if sources.is_empty() {
        return Err(CoreError::EmptyDocument);
    }
    let all_prose: String = sources
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let mut warnings = Vec::new();
    let (from, detected) = match &options.from {
        Some(from) => (from.clone(), None),
        None => match detect(&all_prose) {
            Some(found) => (found.language.clone(), Some(found)),
            None => {
                return Err(CoreError::LanguageNotDetected);
            }
        },
    };
    if let Some(found) = &detected {
        if !found.reliable {
            warnings.push(format!(
                "the source language looks like {} but the detector is not sure ({:.0}%); pass --from if it is wrong",
                found.language.name,
                found.confidence * 100.0
            ));
        }
    }
    if from.code == options.to.code {
        warnings.push(format!(
            "the text already looks like {}; it was translated anyway",
            from.name
        ));
    }

    let info = engine.info();
    let piece_tokens = MAX_UNIT_TOKENS
        .min((info.context_length as usize).saturating_sub(PROMPT_OVERHEAD) / 3)
        .max(16);
    // Each unit becomes one or more pieces (sentence groups) translated on their own.
    let mut pieces: Vec<(usize, String)> = Vec::new();
    for (index, (_, source)) in sources.iter().enumerate() {
        for piece in split_for_steps(engine, source, piece_tokens)? {
            pieces.push((index, piece));
        }
    }
    let system = |entries: &[&super::glossary::GlossaryEntry]| {
        let mut system = format!(
            "You are a professional translator. Translate the text the user sends from {} into {}. \
             Keep the meaning, the tone, names, numbers, inline code and links. Reply with the \
             translation only, without notes or explanations.",
            from.name, options.to.name
        );
        if !entries.is_empty() {
            system.push_str("\nAlways translate these terms exactly as given:");
            for entry in entries {
                system.push_str(&format!("\n{} -> {}", entry.term, entry.translation));
            }
        }
        system
    };
    let prompts = pieces
        .iter()
        .map(|(_, piece)| {
            let entries = options.glossary.matching(piece);
            let tokens = engine.count_tokens(piece).unwrap_or(piece_tokens);
            let step = GenerationOptions {
                // Other languages take more tokens than English for the same words.
                max_tokens: Some((tokens * 2 + 32) as u32),
                // A unit is one paragraph at most; a blank line means the model moved on
                // to chatter or repetition.
                stop: vec!["\n\n".to_owned()],
                temperature: 0.0,
                seed: Some(0),
                repeat_penalty: 1.05,
                ..GenerationOptions::default()
            };
            (
                vec![
                    ChatMessage::system(system(&entries)),
                    ChatMessage::user(piece.clone()),
                ],
                step,
            )
        })
        .collect();
    let total = pieces.len();
    let window = options.parallel.unwrap_or(info.parallel as usize);
    let completions = run_all(engine, prompts, window, cancel, &mut |done| {
        progress(TranslateProgress { done, total })
    })?;

    let mut targets = vec![String::new(); sources.len()];
    let (mut prompt_tokens, mut completion_tokens) = (0, 0);
    for ((index, piece), completion) in pieces.iter().zip(&completions) {
        prompt_tokens += completion.prompt_tokens;
        completion_tokens += completion.completion_tokens;
        let mut cleaned = clean_output(&completion.text, piece);
        if cleaned.is_empty() {
            warnings.push(format!(
                "unit {}: the model returned no translation; the source text is kept there",
                index + 1
            ));
            cleaned = piece.clone();
        }
        let target = &mut targets[*index];
        if !target.is_empty() {
            target.push(' ');
        }
        target.push_str(&cleaned);
    }

    let mut units = Vec::with_capacity(sources.len());
    let mut glossary_misses = Vec::new();
    for (index, ((kind, source), target)) in sources.into_iter().zip(targets).enumerate() {
        let target = restore_protected(&source, &target, &mut warnings, index);
        for entry in options.glossary.matching(&source) {
            if !entry.followed_in(&target) {
                glossary_misses.push(GlossaryMiss {
                    unit: index,
                    term: entry.term.clone(),
                    expected: entry.translation.clone(),
                });
            }
        }
        units.push(AlignedUnit {
            kind,
            source,
            target,
            // The facade's grounding check fills it in, when it is on.
            unsupported: Vec::new(),
        });
    }
    if !glossary_misses.is_empty() {
        warnings.push(format!(
            "the model did not follow the glossary in {} place(s); see the glossary report",
            glossary_misses.len()
        ));
    }

    let mut text = String::with_capacity(text.len());
    let mut next_unit = units.iter();
    for segment in &segments {
        match segment {
            Segment::Verbatim(verbatim) => text.push_str(verbatim),
            Segment::Unit { wrap: width, .. } => {
                let target = next_unit.next().map_or("", |u| u.target.as_str());
                match width {
                    Some(width) => text.push_str(&wrap(target, *width)),
                    None => text.push_str(&target.replace('\n', " ")),
                }
            }
        }
    }
    Ok(Translation {
        from,
        detected,
        to: options.to.clone(),
        text,
        units,
        glossary_misses,
        prompt_tokens,
        completion_tokens,
        warnings,
        grounding: None,
    })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits a unit longer than `max_tokens` into groups of whole sentences.
fn split_for_steps(engine: &dyn Engine, text: &str, max_tokens: usize) -> Result<Vec<String>> {
    if engine.count_tokens(text)? <= max_tokens {
        return Ok(vec![text.to_owned()]);
    }
    let mut pieces: Vec<(String, usize)> = Vec::new();
    for sentence in text.split_sentence_bounds() {
        let tokens = engine.count_tokens(sentence)?;
        match pieces.last_mut() {
            Some((piece, size)) if *size + tokens <= max_tokens => {
                piece.push_str(sentence);
                *size += tokens;
            }
            _ => pieces.push((sentence.to_owned(), tokens)),
        }
    }
    Ok(pieces
        .into_iter()
        .map(|(p, _)| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect())
}

/// Removes what models add around a translation: a "Translation:" label, wrapping
/// quotes the source did not have, and extra lines after a one-line source.
fn clean_output(output: &str, source: &str) -> String {
    let mut text = output.trim();
    for label in [
        "Translation:",
        "Translated text:",
        "Here is the translation:",
    ] {
        // `get` rather than slicing: the output's first bytes may be part of a
        // multi-byte character.
        if text
            .get(..label.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(label))
        {
            text = text[label.len()..].trim();
        }
    }
    if !source.contains('\n') {
        text = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("");
    }
    for (open, close) in [('"', '"'), ('“', '”'), ('«', '»')] {
        if text.starts_with(open)
            && text.ends_with(close)
            && text.chars().count() > 1
            && !source.trim().starts_with(open)
        {
            text = text[open.len_utf8()..text.len() - close.len_utf8()].trim();
        }
    }
    text.to_owned()
}

/// Puts back inline code spans and link targets the model altered, matching them in
/// order; warns when their number changed so they cannot be matched.
fn restore_protected(
    source: &str,
    target: &str,
    warnings: &mut Vec<String>,
    unit: usize,
) -> String {
    let mut restored = target.to_owned();
    for (open, close) in [("`", "`"), ("](", ")")] {
        let wanted = spans(source, open, close);
        if wanted.is_empty() {
            continue;
        }
        let found = spans(&restored, open, close);
        if found.len() != wanted.len() {
            warnings.push(format!(
                "unit {}: the translation has {} {} where the source has {}; check it by hand",
                unit + 1,
                found.len(),
                if open == "`" { "code spans" } else { "links" },
                wanted.len()
            ));
            continue;
        }
        // Replace from the end so earlier byte ranges stay valid.
        for ((start, end), original) in found.into_iter().zip(wanted).rev() {
            restored.replace_range(start..end, &source[original.0..original.1]);
        }
    }
    restored
}

/// Byte ranges of the contents between `open` and `close`.
fn spans(text: &str, open: &str, close: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find(open).map(|i| from + i + open.len()) {
        let Some(end) = text[start..].find(close).map(|i| start + i) else {
            break;
        };
        found.push((start, end));
        from = end + close.len();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_chatter_around_a_translation_is_removed() {
        assert_eq!(
            clean_output(
                "Translation: \"Hallo Welt\"\nI hope this helps!",
                "Hello world"
            ),
            "Hallo Welt"
        );
        assert_eq!(clean_output("«Bonjour»", "\"Hello\""), "Bonjour");
        // Multi-byte characters where a label would end.
        assert_eq!(
            clean_output("Öffnungszeiten für alle", "Opening hours"),
            "Öffnungszeiten für alle"
        );
        assert_eq!(
            clean_output("営業時間のお知らせです", "Opening hours"),
            "営業時間のお知らせです"
        );
        assert_eq!(
            clean_output("Zeile eins\nZeile zwei", "line one\nline two"),
            "Zeile eins\nZeile zwei"
        );
    }

    #[test]
    fn changed_code_and_links_are_put_back() {
        let mut warnings = Vec::new();
        let source = "Run `hearth run` and read [the guide](https://example.org/guide).";
        let target =
            "Führe `hearth laufen` aus und lies [die Anleitung](https://beispiel.org/anleitung).";
        assert_eq!(
            restore_protected(source, target, &mut warnings, 0),
            "Führe `hearth run` aus und lies [die Anleitung](https://example.org/guide)."
        );
        assert!(warnings.is_empty());
        let dropped = restore_protected(source, "Führe hearth aus.", &mut warnings, 0);
        assert_eq!(dropped, "Führe hearth aus.");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
    }
}
