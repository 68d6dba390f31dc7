//! Translating text while keeping its structure.
//!
//! The text is cut into units of prose ([`segment`]); markup, code and blank lines never
//! reach the model. Units longer than a step allows are split between sentences. Units
//! run as parallel sequences; each prompt carries the glossary entries its unit uses,
//! and each translation is checked against them. Inline code and link targets the model
//! changed are put back ([`super::translate_cleanup`]). An answer that left sentences out
//! ([`super::lost_sentences`]) is asked for again a sentence at a time. An answer that
//! is no translation (a copy of the source, the wrong language, nothing:
//! [`super::untranslated`]) is asked for once more with stricter instructions and then
//! marked, never passed off as a translation. With several candidates per piece
//! ([`TranslateOptions::best_of`]) the one the others agree with most is kept
//! ([`super::consensus`]). The result keeps every unit's source beside its translation
//! for a side-by-side view.

use std::collections::BTreeMap;

use hearth_llm::{ChatMessage, Completion, Engine, GenerationOptions};
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use super::consensus;
use super::glossary::Glossary;
use super::language::{detect, DetectedLanguage, Language};
use super::lost_sentences;
use super::segment::{segment, wrap, Segment, UnitKind};
use super::steps::{run_all, Cancellation};
use super::translate_cleanup::{clean_output, restore_protected, typography};
use super::translate_prompt;
use super::untranslated::{self, NotTranslated};
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
    /// Candidate translations written for each piece: 1 is the greedy one alone; more
    /// adds sampled ones (and, into French, one asked with instructions in French) and
    /// keeps the one they agree on most ([`super::consensus`]), better and about that
    /// many times slower.
    #[serde(default = "one")]
    pub best_of: usize,
}

impl TranslateOptions {
    /// Into `to`, the source language detected, no glossary, Markdown, every sequence
    /// the engine has, one candidate per piece; callers change what they need with
    /// struct update syntax.
    pub fn new(to: Language) -> Self {
        Self {
            to,
            from: None,
            glossary: Glossary::default(),
            markdown: true,
            parallel: None,
            best_of: 1,
        }
    }
}

/// The most candidates a piece gets: past this the choice barely changes.
pub const MAX_BEST_OF: usize = 8;

fn one() -> usize {
    1
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
    /// Set when the model did not translate this unit (it copied the source or answered
    /// in another language) even after a retry with a stricter prompt: `target` is what
    /// it wrote, and is not a translation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_translated: Option<NotTranslated>,
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
    /// Units the model did not translate (see [`AlignedUnit::not_translated`]).
    #[serde(default)]
    pub not_translated: usize,
    /// Which model to use instead, when some units were not translated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<crate::multilingual::TranslationAdvice>,
}

/// Tokens kept for instructions, the worked example, glossary lines and the template.
const PROMPT_OVERHEAD: usize = 320;
/// Largest piece of prose sent in one step.
const MAX_UNIT_TOKENS: usize = 400;

/// Translates `text`. `cannot_write` says the model writes English only (see
/// [`crate::multilingual`]): then no piece is asked again, and every unit is marked
/// whatever it says, since fluent-looking words are no sign of a translation.
pub(crate) fn translate(
    engine: &dyn Engine,
    text: &str,
    options: &TranslateOptions,
    cannot_write: bool,
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
    let prompt = |piece: &str, strict: bool| {
        let terms = options.glossary.matching(piece);
        let system = if strict {
            translate_prompt::strict_instructions(&from, &options.to, &terms)
        } else {
            translate_prompt::instructions(&from, &options.to, &terms)
        };
        let tokens = engine.count_tokens(piece).unwrap_or(piece_tokens);
        let mut messages = vec![ChatMessage::system(system)];
        messages.extend(translate_prompt::example(&from, &options.to));
        messages.push(ChatMessage::user(piece));
        (messages, translate_prompt::step_options(tokens))
    };
    let window = options.parallel.unwrap_or(info.parallel as usize);
    let mut steps = Steps {
        engine,
        window,
        cancel,
        progress,
        total: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
    };
    // The greedy answer first, then the sampled candidates, piece after piece. With
    // several candidates, the instructions written in the target language (where they
    // are) bring one more greedy answer: other requests make other mistakes, which
    // sampling one request does not.
    let best_of = options.best_of.clamp(1, MAX_BEST_OF);
    let native =
        best_of > 1 && translate_prompt::native_instructions(&from, &options.to, &[]).is_some();
    let per_piece = best_of + usize::from(native);
    let first = steps.run(
        pieces
            .iter()
            .flat_map(|(_, piece)| {
                let (messages, greedy) = prompt(piece, false);
                let native_request = native.then(|| {
                    let terms = options.glossary.matching(piece);
                    let mut messages = messages.clone();
                    if let Some(system) =
                        translate_prompt::native_instructions(&from, &options.to, &terms)
                    {
                        messages[0] = ChatMessage::system(system);
                    }
                    (messages, greedy.clone())
                });
                (0..best_of)
                    .map(move |candidate| {
                        let options = match candidate {
                            0 => greedy.clone(),
                            seed => translate_prompt::sampled(&greedy, seed as u32),
                        };
                        (messages.clone(), options)
                    })
                    .chain(native_request)
            })
            .collect(),
    )?;
    // The piece translated a sentence at a time is no candidate here: it added nothing
    // into French and cost 0.5 chrF into German (EVALUATION.md), since a sentence alone
    // loses the links between sentences that the consensus then cannot see missing.
    let mut answers: Vec<(String, Option<NotTranslated>)> = pieces
        .iter()
        .zip(first.chunks(per_piece))
        .map(|((_, piece), completions)| {
            let mut candidates: Vec<(String, Option<NotTranslated>)> = completions
                .iter()
                .map(|completion| clean_output(&completion.text, piece))
                .map(|cleaned| {
                    let verdict = judge(piece, &cleaned, &from, &options.to);
                    (cleaned, verdict)
                })
                .collect();
            // The choice is among the translations; when none is one, the greedy
            // answer stands for the piece.
            let translated: Vec<usize> = (0..candidates.len())
                .filter(|&i| candidates[i].1.is_none())
                .collect();
            let chosen = match translated.len() {
                0 => 0,
                1 => translated[0],
                _ => {
                    let texts: Vec<String> = translated
                        .iter()
                        .map(|&i| candidates[i].0.clone())
                        .collect();
                    translated[consensus::choose(&texts)]
                }
            };
            candidates.swap_remove(chosen)
        })
        .collect();

    // Answers that left sentences out are asked for again a sentence at a time.
    let lost: Vec<usize> = (0..pieces.len())
        .filter(|&i| {
            !cannot_write
                && answers[i].1.is_none()
                && lost_sentences::lost(&pieces[i].1, &answers[i].0)
        })
        .collect();
    let mut by_sentence = sentence_by_sentence(&mut steps, &pieces, &lost, &prompt)?;
    for i in lost {
        if let Some(answer) = by_sentence.remove(&i) {
            if judge(&pieces[i].1, &answer, &from, &options.to).is_none() {
                answers[i] = (answer, None);
            }
        }
    }

    // Pieces that came back untranslated get one more try with stricter instructions.
    let retry: Vec<usize> = (0..pieces.len())
        .filter(|&i| answers[i].1.is_some() && !cannot_write)
        .collect();
    if !retry.is_empty() {
        let second = steps.run(retry.iter().map(|&i| prompt(&pieces[i].1, true)).collect())?;
        for (&i, completion) in retry.iter().zip(&second) {
            let piece = &pieces[i].1;
            let cleaned = clean_output(&completion.text, piece);
            if judge(piece, &cleaned, &from, &options.to).is_none() {
                answers[i] = (cleaned, None);
            }
        }
    }
    let (prompt_tokens, completion_tokens) = (steps.prompt_tokens, steps.completion_tokens);

    let mut targets = vec![String::new(); sources.len()];
    let mut verdicts: Vec<Option<NotTranslated>> = vec![None; sources.len()];
    for ((index, piece), (mut answer, verdict)) in pieces.iter().zip(answers) {
        if answer.is_empty() {
            // Nothing to show: the source stands there, marked as not translated.
            answer = piece.clone();
        }
        if verdicts[*index].is_none() {
            verdicts[*index] = verdict;
        }
        let target = &mut targets[*index];
        if !target.is_empty() {
            target.push(' ');
        }
        target.push_str(&answer);
    }
    if cannot_write {
        for verdict in verdicts.iter_mut().filter(|v| v.is_none()) {
            *verdict = Some(NotTranslated::Untrained {
                language: options.to.clone(),
            });
        }
    }
    let not_translated = verdicts.iter().filter(|v| v.is_some()).count();
    if not_translated > 0 {
        let mut reasons: Vec<String> = verdicts
            .iter()
            .flatten()
            .map(|v| v.describe(&from))
            .collect();
        reasons.sort();
        reasons.dedup();
        let again = if retry.is_empty() {
            ""
        } else {
            ", even when asked again"
        };
        warnings.push(format!(
            "{not_translated} of {} unit(s) are not translated into {}: the model {}{again}; \
             they are marked",
            sources.len(),
            options.to.name,
            reasons.join(" or ")
        ));
    }

    let mut units = Vec::with_capacity(sources.len());
    let mut glossary_misses = Vec::new();
    for (index, (((kind, source), target), not_translated)) in
        sources.into_iter().zip(targets).zip(verdicts).enumerate()
    {
        let target = restore_protected(&source, &target, &mut warnings, index);
        let target = typography(&target, &options.to);
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
            not_translated,
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
        not_translated,
        // The facade, which knows the library, fills it in.
        advice: None,
    })
}

/// One request to the model: the messages and how to sample the answer.
type Request = (Vec<ChatMessage>, GenerationOptions);

/// The pieces at `which` translated a sentence at a time, the sentences' answers joined,
/// by piece index.
fn sentence_by_sentence(
    steps: &mut Steps<'_>,
    pieces: &[(usize, String)],
    which: &[usize],
    prompt: &dyn Fn(&str, bool) -> Request,
) -> Result<BTreeMap<usize, String>> {
    let split: Vec<(usize, &str)> = which
        .iter()
        .flat_map(|&i| {
            lost_sentences::sentences(&pieces[i].1)
                .into_iter()
                .map(move |sentence| (i, sentence))
        })
        .collect();
    if split.is_empty() {
        return Ok(BTreeMap::new());
    }
    let completions = steps.run(
        split
            .iter()
            .map(|(_, sentence)| prompt(sentence, false))
            .collect(),
    )?;
    let mut joined: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for ((i, sentence), completion) in split.iter().zip(&completions) {
        joined
            .entry(*i)
            .or_default()
            .push(clean_output(&completion.text, sentence));
    }
    Ok(joined
        .into_iter()
        .map(|(i, parts)| (i, parts.join(" ")))
        .collect())
}

/// Runs the translator's requests in rounds (first answers, sentence by sentence, the
/// stricter retry), keeping one progress count and the token totals across them.
struct Steps<'a> {
    engine: &'a dyn Engine,
    window: usize,
    cancel: &'a Cancellation,
    progress: &'a mut dyn FnMut(TranslateProgress),
    total: usize,
    prompt_tokens: usize,
    completion_tokens: usize,
}

impl Steps<'_> {
    fn run(&mut self, requests: Vec<Request>) -> Result<Vec<Completion>> {
        let done_before = self.total;
        self.total += requests.len();
        let total = self.total;
        let progress = &mut self.progress;
        let completions = run_all(
            self.engine,
            requests,
            self.window,
            self.cancel,
            &mut |done| {
                progress(TranslateProgress {
                    done: done_before + done,
                    total,
                })
            },
        )?;
        for completion in &completions {
            self.prompt_tokens += completion.prompt_tokens;
            self.completion_tokens += completion.completion_tokens;
        }
        Ok(completions)
    }
}

/// The check of one answer; an empty answer is not a translation either.
fn judge(piece: &str, answer: &str, from: &Language, to: &Language) -> Option<NotTranslated> {
    if answer.trim().is_empty() {
        return Some(NotTranslated::Empty);
    }
    untranslated::check(piece, answer, from, to)
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

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_llm::fake::FakeEngine;

    const SOURCE: &str = "Upon starting the system, you are presented with the character \
        based login screen if you did not install any graphical environment.";
    const GERMAN: &str = "Nach dem Starten des Systems sehen Sie einen textbasierten \
        Anmeldebildschirm, wenn Sie keine grafische Oberfläche installiert haben.";

    fn options() -> TranslateOptions {
        TranslateOptions {
            from: Some(Language::parse("en").unwrap()),
            parallel: Some(1),
            ..TranslateOptions::new(Language::parse("de").unwrap())
        }
    }

    fn run(engine: &FakeEngine, cannot_write: bool) -> (Translation, Vec<(usize, usize)>) {
        let mut progress = Vec::new();
        let translation = translate(
            engine,
            SOURCE,
            &options(),
            cannot_write,
            &mut |p| progress.push((p.done, p.total)),
            &Cancellation::new(),
        )
        .unwrap();
        (translation, progress)
    }

    #[test]
    fn a_copied_answer_is_asked_for_again_with_stricter_instructions() {
        let engine = FakeEngine::new();
        engine.reply_with([SOURCE]);
        engine.reply_with([GERMAN]);
        let (translation, progress) = run(&engine, false);
        assert_eq!(translation.units[0].target, GERMAN);
        assert_eq!(translation.units[0].not_translated, None);
        assert_eq!(translation.not_translated, 0);
        assert_eq!(progress, [(1, 1), (2, 2)]);
        let requests = engine.received();
        assert_eq!(requests.len(), 2);
        let system = |i: usize| format!("{:?}", requests[i]);
        assert!(
            system(1).contains("Write every sentence in German"),
            "{}",
            system(1)
        );
    }

    #[test]
    fn an_answer_that_left_a_sentence_out_is_asked_for_again_a_sentence_at_a_time() {
        let second = "Type your user name and your password at the prompt.";
        let source = format!("{SOURCE} {second}");
        let engine = FakeEngine::new();
        // The first answer translates the first sentence only.
        engine.reply_with([GERMAN]);
        engine.reply_with([GERMAN]);
        let german_second =
            "Geben Sie an der Eingabeaufforderung Ihren Benutzernamen und Ihr Passwort ein.";
        engine.reply_with([german_second]);
        let mut progress = Vec::new();
        let translation = translate(
            &engine,
            &source,
            &options(),
            false,
            &mut |p| progress.push((p.done, p.total)),
            &Cancellation::new(),
        )
        .unwrap();
        assert_eq!(
            translation.units[0].target,
            format!("{GERMAN} {german_second}")
        );
        assert_eq!(translation.not_translated, 0);
        assert_eq!(progress, [(1, 1), (2, 3), (3, 3)]);
        let requests = engine.received();
        assert_eq!(requests.len(), 3);
        // Each sentence went on its own, with the same instructions as the paragraph.
        assert!(format!("{:?}", requests[2]).contains(second));
        assert!(!format!("{:?}", requests[2]).contains("login screen"));
        assert!(format!("{:?}", requests[2]).contains("professional translator"));
    }

    #[test]
    fn with_best_of_the_candidate_the_others_agree_with_is_kept() {
        let engine = FakeEngine::new();
        let odd = "Wenn Sie das System starten, erscheint ein Anmeldebildschirm im Textmodus, \
            sofern keine grafische Umgebung installiert wurde.";
        // The greedy answer is the odd one out; two sampled ones agree, one copies.
        engine.reply_with([odd]);
        engine.reply_with([GERMAN]);
        engine.reply_with([SOURCE]);
        engine.reply_with([GERMAN]);
        let options = TranslateOptions {
            best_of: 4,
            ..options()
        };
        let translation = translate_with(&engine, SOURCE, &options);
        assert_eq!(translation.units[0].target, GERMAN);
        assert_eq!(translation.not_translated, 0);
        let requests = format!("{:?}", engine.received());
        // One greedy request and three sampled with their own seeds.
        for seed in 1..=3 {
            assert!(
                requests.contains(&format!("seed: Some({seed})")),
                "{requests}"
            );
        }
        assert_eq!(
            requests.matches("temperature: 0.7").count(),
            3,
            "{requests}"
        );
        // Into German, no candidate asked in German (it lowered the score).
        assert_eq!(engine.received().len(), 4);
    }

    #[test]
    fn with_best_of_into_french_one_more_candidate_is_asked_in_french() {
        let french = "Au démarrage du système, l’écran de connexion en mode texte s’affiche \
            si vous n’avez installé aucun environnement graphique.";
        let engine = FakeEngine::new();
        for _ in 0..3 {
            engine.reply_with([french]);
        }
        let options = TranslateOptions {
            to: Language::parse("fr").unwrap(),
            best_of: 2,
            ..options()
        };
        let translation = translate_with(&engine, SOURCE, &options);
        assert_eq!(translation.units[0].target, french);
        let received = engine.received();
        assert_eq!(received.len(), 3);
        let native = format!("{:?}", received[2]);
        assert!(
            native.contains("Tu es un traducteur professionnel"),
            "{native}"
        );
        assert!(native.contains("temperature: 0.0"), "{native}");
        assert!(!format!("{:?}", received[0]).contains("Tu es un"));
    }

    const SECOND: &str = "Type your user name and your password at the prompt.";
    const GERMAN_SECOND: &str =
        "Geben Sie an der Eingabeaufforderung Ihren Benutzernamen und Ihr Passwort ein.";

    fn translate_with(
        engine: &FakeEngine,
        source: &str,
        options: &TranslateOptions,
    ) -> Translation {
        translate(
            engine,
            source,
            options,
            false,
            &mut |_| {},
            &Cancellation::new(),
        )
        .unwrap()
    }

    fn best_of_three(source: &str, engine: &FakeEngine) -> Translation {
        let options = TranslateOptions {
            best_of: 3,
            ..options()
        };
        translate_with(engine, source, &options)
    }

    #[test]
    fn with_best_of_a_piece_whose_answers_are_whole_is_not_asked_a_sentence_at_a_time() {
        let source = format!("{SOURCE} {SECOND}");
        let whole = format!("{GERMAN} {GERMAN_SECOND}");
        let engine = FakeEngine::new();
        // Two of the three answers agree; no answer left a sentence out.
        engine.reply_with([whole.clone()]);
        engine.reply_with([format!(
            "Beim Start erscheint ein Anmeldebildschirm im Textmodus. {GERMAN_SECOND}"
        )]);
        engine.reply_with([whole.clone()]);
        let translation = best_of_three(&source, &engine);
        assert_eq!(translation.units[0].target, whole);
        assert_eq!(engine.received().len(), 3);
    }

    #[test]
    fn with_best_of_a_chosen_answer_that_lost_a_sentence_is_asked_a_sentence_at_a_time() {
        let source = format!("{SOURCE} {SECOND}");
        let engine = FakeEngine::new();
        // Every paragraph answer drops the second sentence, so they agree on it.
        for _ in 0..3 {
            engine.reply_with([GERMAN]);
        }
        engine.reply_with([GERMAN]);
        engine.reply_with([GERMAN_SECOND]);
        let translation = best_of_three(&source, &engine);
        assert_eq!(
            translation.units[0].target,
            format!("{GERMAN} {GERMAN_SECOND}")
        );
        let requests = engine.received();
        assert_eq!(requests.len(), 5);
        let last = format!("{:?}", requests[4]);
        assert!(
            last.contains(SECOND) && !last.contains("login screen"),
            "{last}"
        );
        assert!(last.contains("temperature: 0.0"), "greedy: {last}");
    }

    #[test]
    fn with_best_of_a_single_sentence_is_not_asked_again_on_its_own() {
        let engine = FakeEngine::new();
        for _ in 0..3 {
            engine.reply_with([GERMAN]);
        }
        let translation = best_of_three(SOURCE, &engine);
        assert_eq!(translation.units[0].target, GERMAN);
        assert_eq!(engine.received().len(), 3);
    }

    #[test]
    fn an_answer_that_stays_a_copy_is_marked_and_said() {
        let engine = FakeEngine::new();
        engine.reply_with([SOURCE]);
        engine.reply_with([SOURCE]);
        let (translation, _) = run(&engine, false);
        assert_eq!(
            translation.units[0].not_translated,
            Some(NotTranslated::Copied)
        );
        assert_eq!(translation.not_translated, 1);
        assert!(
            translation.warnings.iter().any(|w| w
                == "1 of 1 unit(s) are not translated into German: the model copied the English \
                    text, even when asked again; they are marked"),
            "{:?}",
            translation.warnings
        );
    }

    #[test]
    fn an_english_only_model_is_not_asked_again_and_every_unit_is_marked() {
        let engine = FakeEngine::new();
        engine.reply_with([GERMAN]);
        let (translation, progress) = run(&engine, true);
        assert_eq!(
            translation.units[0].not_translated,
            Some(NotTranslated::Untrained {
                language: Language::parse("de").unwrap()
            })
        );
        assert_eq!(progress, [(1, 1)]);
        assert_eq!(engine.received().len(), 1);
    }
}
