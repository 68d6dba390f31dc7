//! The grounding check: what a generated text states that its sources do not. Each
//! sentence of the text is marked supported, not found in the sources, or unchecked
//! (nothing in it this layer can test), with the reason for each fact that is missing:
//! "the document has no 17%".
//!
//! Layers, cheapest first:
//! - facts (the `fast` mode, the default): what a reader cannot check by eye —
//!   numbers, percentages, dates, quoted strings, code spans and names (`facts.rs`) —
//!   looked up in the sources normalised (`sources.rs`). It needs no model and runs in
//!   microseconds per sentence.
//! - similarity (`thorough`): each sentence the facts did not flag beside the source
//!   sentences closest to it by the embedding model (`similarity.rs`); nothing close
//!   means the sources do not talk about it.
//! - the judge (`thorough`): a model reads each remaining sentence with those source
//!   sentences and says supported, contradicted or not in the source (`judge.rs`),
//!   which catches what facts cannot (a flipped "not", an added clause).
//!
//! `thorough.rs` runs the last two over a report's sentences or a summary's points.

pub mod facts;
mod judge;
mod similarity;
mod sources;
mod thorough;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

pub use facts::FactKind;
use facts::{Fact, FactValue};
use sources::{content_words, SourceIndex};

/// How much checking generated text gets (the `grounding` setting).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroundingMode {
    /// Nothing is checked.
    Off,
    /// The fact check: numbers, dates, names, quotes and code, without a model.
    #[default]
    Fast,
    /// The fact check, then the embedding model's similarity and a model judge on the
    /// sentences it did not flag (summaries, answers as they are written, `hearth
    /// check`): slower by a generation per sentence.
    Thorough,
}

/// A layer of the check, as reports say which ran and which decided a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Facts,
    Similarity,
    Judge,
}

/// What the sources are, as reasons and summaries name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sources {
    Document,
    Documents,
    Passages,
    Source,
}

impl Sources {
    fn noun(self) -> &'static str {
        match self {
            Sources::Document => "the document",
            Sources::Documents => "the documents",
            Sources::Passages => "the passages",
            Sources::Source => "the source",
        }
    }

    /// "the document has no 17%", "the passages do not say …".
    fn reason(self, fact: FactKind, written: &str) -> String {
        let noun = self.noun();
        let plural = matches!(self, Sources::Documents | Sources::Passages);
        let (has, does, mentions) = if plural {
            ("have", "do", "mention")
        } else {
            ("has", "does", "mentions")
        };
        match fact {
            FactKind::Quote => format!("{noun} {does} not say {written}"),
            FactKind::Name => format!("{noun} never {mentions} {written}"),
            FactKind::Date => format!("{noun} {has} no date {written}"),
            FactKind::Number | FactKind::Percent | FactKind::Code => {
                format!("{noun} {has} no {written}")
            }
            FactKind::Statement => format!("{noun} {does} not say this"),
            FactKind::Contradiction => format!(
                "{noun} {says} otherwise",
                says = if plural { "say" } else { "says" }
            ),
        }
    }
}

/// How a sentence stands against the sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Support {
    /// Every fact in it was found.
    Supported,
    /// At least one fact in it is not in the sources, or (thorough) nothing in them
    /// is close to it, or the judge found no support.
    NotFound,
    /// The judge read the sources as saying otherwise (thorough only).
    Contradicted,
    /// It states nothing this check can test.
    Unchecked,
}

impl Support {
    /// Marked for the reader: not found or contradicted.
    pub fn is_flagged(self) -> bool {
        matches!(self, Support::NotFound | Support::Contradicted)
    }
}

/// A fact of the text that the sources do not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FactKind,
    /// The fact as the text writes it.
    pub text: String,
    /// For people: "the document has no 17%".
    pub reason: String,
}

/// One sentence of the checked text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentenceCheck {
    /// Byte offsets in the checked text.
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub support: Support,
    /// What was not found; empty unless `support` is `not_found` or `contradicted`.
    pub findings: Vec<Finding>,
    /// The layer that set `support`; absent for unchecked sentences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Layer>,
    /// Thorough mode: the cosine similarity of the closest source sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
    /// Thorough mode: the source sentences it was compared with, closest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

impl SentenceCheck {
    fn new(start: usize, end: usize, text: &str, findings: Vec<Finding>, facts: usize) -> Self {
        let support = if !findings.is_empty() {
            Support::NotFound
        } else if facts == 0 {
            Support::Unchecked
        } else {
            Support::Supported
        };
        SentenceCheck {
            start,
            end,
            text: text.trim().to_owned(),
            support,
            findings,
            decided_by: (support != Support::Unchecked).then_some(Layer::Facts),
            similarity: None,
            evidence: Vec::new(),
        }
    }
}

/// A text checked against its sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroundingReport {
    pub sentences: Vec<SentenceCheck>,
    /// Sentences with something to check.
    pub checked: usize,
    /// Sentences flagged: not found in the sources, or contradicted by them.
    pub not_found: usize,
    /// Of those, the sentences the judge read the sources as contradicting.
    pub contradicted: usize,
    /// For people: "2 of 9 sentences not found in the document".
    pub summary: String,
    /// The layers that ran, cheapest first.
    pub layers: Vec<Layer>,
    /// The judge's model, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
    /// Layers that could not run, and why (the facts still stand).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl GroundingReport {
    /// The sentences marked not found or contradicted.
    pub fn flagged(&self) -> impl Iterator<Item = &SentenceCheck> {
        self.sentences.iter().filter(|s| s.support.is_flagged())
    }

    /// The report of `sentences` as `layers` left them, counted and summarised.
    fn of(sentences: Vec<SentenceCheck>, noun: Sources, layers: Vec<Layer>) -> Self {
        let checked = sentences
            .iter()
            .filter(|s| s.support != Support::Unchecked)
            .count();
        let not_found = sentences.iter().filter(|s| s.support.is_flagged()).count();
        let contradicted = sentences
            .iter()
            .filter(|s| s.support == Support::Contradicted)
            .count();
        let summary = format!(
            "{not_found} of {} sentence{} not found in {}{}",
            sentences.len(),
            if sentences.len() == 1 { "" } else { "s" },
            noun.noun(),
            if contradicted > 0 {
                format!(" ({contradicted} contradicted)")
            } else {
                String::new()
            }
        );
        GroundingReport {
            sentences,
            checked,
            not_found,
            contradicted,
            summary,
            layers,
            judge: None,
            warnings: Vec::new(),
        }
    }
}

impl crate::Hearth {
    /// Checks a translation against its original, as `Hearth::translate` checks each
    /// unit: numbers, percentages, code and acronyms that differ either way. The report
    /// has one "sentence", the whole text.
    pub fn check_translation(&self, text: &str, original: &str) -> GroundingReport {
        let findings = compare_translation(original, text);
        let checked = findings.is_some();
        let mut sentence = SentenceCheck::new(
            0,
            text.len(),
            text,
            findings.unwrap_or_default(),
            usize::from(checked),
        );
        if !checked {
            sentence.support = Support::Unchecked;
            sentence.decided_by = None;
        }
        let mut report = GroundingReport::of(vec![sentence], Sources::Source, vec![Layer::Facts]);
        report.summary = if report.not_found > 0 {
            "the translation differs from the source in numbers, code or acronyms".into()
        } else {
            "the translation has the source's numbers, code and acronyms".into()
        };
        report
    }

    /// Checks an answer against the passages it was written from, facts only, as a
    /// conversation is read (so answers written before the check existed are checked
    /// too); `None` when the check is off.
    pub fn check_answer(
        &self,
        answer: &str,
        sources: &[crate::ask::answer::Source],
    ) -> Option<GroundingReport> {
        if self.config().grounding == GroundingMode::Off {
            return None;
        }
        Some(check_text(answer, &passages(sources), Sources::Passages))
    }

    /// Checks an answer as it is written (`hearth ask`, the Documents page) in the
    /// configured mode: thorough adds the similarity and the judge, `writer` (the
    /// model that answered) judging unless the settings name a judge.
    pub fn check_new_answer(
        &self,
        answer: &str,
        sources: &[crate::ask::answer::Source],
        writer: Option<&str>,
    ) -> Option<GroundingReport> {
        let mode = self.config().grounding;
        if mode == GroundingMode::Off {
            return None;
        }
        let passages = passages(sources);
        let report = check_text(answer, &passages, Sources::Passages);
        let judge = self.judge_for(writer);
        Some(self.deepen_report(report, mode, &passages, Sources::Passages, judge.as_deref()))
    }

    /// Checks any text (a draft, another app's answer) against documents the user
    /// gives: `hearth check` and `POST /api/check`. `mode` overrides the setting (fast
    /// when the setting is off: the user asked for this check); `judge` overrides the
    /// judge the settings name (the default model when neither does).
    pub fn check_against_documents(
        &self,
        text: &str,
        documents: &[String],
        mode: Option<GroundingMode>,
        judge: Option<&str>,
    ) -> GroundingReport {
        let noun = if documents.len() == 1 {
            Sources::Document
        } else {
            Sources::Documents
        };
        let sources: Vec<&str> = documents.iter().map(String::as_str).collect();
        let report = check_text(text, &sources, noun);
        let mode = match mode.unwrap_or(self.config().grounding) {
            GroundingMode::Off => GroundingMode::Fast,
            mode => mode,
        };
        let judge = judge.map(str::to_owned).or_else(|| self.judge_for(None));
        self.deepen_report(report, mode, &sources, noun, judge.as_deref())
    }

    /// The similarity and judge layers over a fact-checked report, in thorough mode,
    /// with `judge`'s model (the default model when `None`).
    fn deepen_report(
        &self,
        report: GroundingReport,
        mode: GroundingMode,
        sources: &[&str],
        noun: Sources,
        judge: Option<&str>,
    ) -> GroundingReport {
        if mode != GroundingMode::Thorough {
            return report;
        }
        let mut sentences = report.sentences;
        let deeper = self.check_deeper(
            &mut sentences,
            sources,
            noun,
            judge,
            &crate::documents::Cancellation::new(),
        );
        let mut report = GroundingReport::of(sentences, noun, deeper.layers);
        report.judge = deeper.judge;
        report.warnings = deeper.warnings;
        report
    }
}

/// The texts of an answer's passages.
fn passages(sources: &[crate::ask::answer::Source]) -> Vec<&str> {
    sources
        .iter()
        .map(|s| s.retrieved.passage.text.as_str())
        .collect()
}

/// Checks `text` against `sources`, which `noun` names in reasons and the summary:
/// the facts layer.
pub fn check_text(text: &str, sources: &[&str], noun: Sources) -> GroundingReport {
    let index = SourceIndex::new(sources);
    let facts = facts::facts(text);
    let spans = sentences_of(text);
    let contexts: Vec<HashSet<String>> = spans.iter().map(|(_, s)| content_words(s)).collect();
    // Each fact with the words of the sentence it stands in.
    let placed: Vec<(&Fact, Option<&HashSet<String>>)> = facts
        .iter()
        .map(|f| {
            let at = spans
                .iter()
                .position(|(start, s)| f.span.start >= *start && f.span.start < start + s.len());
            (f, at.map(|i| &contexts[i]))
        })
        .collect();
    let found = found_all(&index, &placed);
    let sentences = spans
        .into_iter()
        .map(|(start, sentence)| {
            let end = start + sentence.len();
            let inside: Vec<(&Fact, bool)> = facts
                .iter()
                .zip(found.iter().copied())
                .filter(|(f, _)| f.span.start >= start && f.span.start < end)
                .collect();
            let findings: Vec<Finding> = inside
                .iter()
                .filter(|(_, found)| !found)
                .map(|(f, _)| finding(text, f, noun))
                .collect();
            SentenceCheck::new(start, end, sentence, findings, inside.len())
        })
        .collect();
    GroundingReport::of(sentences, noun, vec![Layer::Facts])
}

/// Marks each point of a summary whose facts `document` lacks, and counts them.
pub(crate) fn ground_summary(summary: &mut crate::documents::Summary, document: &str) {
    const NOUN: Sources = Sources::Document;
    let started = std::time::Instant::now();
    let index = SourceIndex::new(&[document]);
    let german = facts::capitalises_nouns(&summary.text);
    let point_facts: Vec<Vec<Fact>> = summary
        .points
        .iter()
        .map(|p| facts::facts_with(&p.text, german))
        .collect();
    let contexts: Vec<HashSet<String>> = summary
        .points
        .iter()
        .map(|p| content_words(&p.text))
        .collect();
    // Every point's facts looked up in one go: one pass over the document.
    let all: Vec<(&Fact, Option<&HashSet<String>>)> = point_facts
        .iter()
        .zip(&contexts)
        .flat_map(|(facts, context)| facts.iter().map(move |f| (f, Some(context))))
        .collect();
    let mut found = found_all(&index, &all).into_iter();
    let (mut checked, mut not_found) = (0, 0);
    for (point, facts) in summary.points.iter_mut().zip(&point_facts) {
        let mut unsupported = Vec::new();
        for fact in facts {
            if !found.next().unwrap_or(true) {
                unsupported.push(finding(&point.text, fact, NOUN));
            }
        }
        if facts.is_empty() {
            continue;
        }
        checked += 1;
        if !unsupported.is_empty() {
            not_found += 1;
        }
        point.unsupported = unsupported;
    }
    let what = format!("not found in {}", NOUN.noun());
    summary.grounding = Some(count(
        checked,
        not_found,
        summary.points.len(),
        "point",
        &what,
        started,
    ));
}

/// Marks each unit of a translation whose numbers, percentages, code or acronyms differ
/// from its source's, both ways: written but not in the source, or left out. Names
/// other than acronyms and dates are not compared, since a translation rightly changes
/// them ("London" → "Londres", "5 March" → "5. März").
pub(crate) fn ground_translation(translation: &mut crate::documents::Translation) {
    let started = std::time::Instant::now();
    let (mut checked, mut not_found) = (0, 0);
    for unit in &mut translation.units {
        let Some(findings) = compare_translation(&unit.source, &unit.target) else {
            continue;
        };
        checked += 1;
        if !findings.is_empty() {
            not_found += 1;
        }
        unit.unsupported = findings;
    }
    let what = "differ from the source in numbers, code or acronyms";
    translation.grounding = Some(count(
        checked,
        not_found,
        translation.units.len(),
        "unit",
        what,
        started,
    ));
}

/// A result's count: "2 of 9 points not found in the document", and the check's time.
fn count(
    checked: usize,
    not_found: usize,
    total: usize,
    item: &str,
    what: &str,
    started: std::time::Instant,
) -> crate::documents::GroundingCount {
    let plural = if total == 1 { "" } else { "s" };
    crate::documents::GroundingCount {
        checked,
        not_found,
        summary: format!("{not_found} of {total} {item}{plural} {what}"),
        millis: started.elapsed().as_millis() as u64,
        contradicted: 0,
        layers: vec![Layer::Facts],
        judge: None,
    }
}

/// What differs between a text and its translation in numbers, percentages, code and
/// acronyms, both ways; `None` when neither has any.
pub(crate) fn compare_translation(source: &str, target: &str) -> Option<Vec<Finding>> {
    let (source_facts, target_facts) = (translation_facts(source), translation_facts(target));
    if source_facts.is_empty() && target_facts.is_empty() {
        return None;
    }
    let (source_index, target_index) = (SourceIndex::new(&[source]), SourceIndex::new(&[target]));
    // A unit is its source's own context: its numbers compare anywhere in it.
    let in_source = found_all(&source_index, &anywhere(&target_facts));
    let in_target = found_all(&target_index, &anywhere(&source_facts));
    Some(
        target_facts
            .iter()
            .zip(in_source)
            .filter(|(_, found)| !found)
            .map(|(f, _)| finding(target, f, Sources::Source))
            .chain(
                source_facts
                    .iter()
                    .zip(in_target)
                    .filter(|(_, found)| !found)
                    .map(|(f, _)| left_out(source, f)),
            )
            .collect(),
    )
}

/// How many of the source's numbers, percentages, code and acronyms the translation
/// has: `(kept, of)`, each fact counted once.
pub(crate) fn facts_kept(source: &str, target: &str) -> (usize, usize) {
    // Each fact counts once: "user ID … group ID … owner ID" is one fact, and one
    // fact rendered in words ("identité") is no sign of a text about something else.
    let mut seen = Vec::new();
    let source_facts: Vec<Fact> = translation_facts(source)
        .into_iter()
        .filter(|f| {
            let text = &source[f.span.clone()];
            let new = !seen.contains(&text);
            seen.push(text);
            new
        })
        .collect();
    if source_facts.is_empty() {
        return (0, 0);
    }
    // French and Italian elide articles onto the next word ("l'ID"): the apostrophe
    // must not hide a kept acronym.
    let target = target.replace(['\'', '’'], " ");
    let target_index = SourceIndex::new(&[target.as_str()]);
    let found = found_all(&target_index, &anywhere(&source_facts));
    (found.iter().filter(|f| **f).count(), source_facts.len())
}

/// The facts a translation keeps as they are: numbers, percentages, code, acronyms.
fn translation_facts(text: &str) -> Vec<Fact> {
    // Names are not compared here (acronyms are, below): no language to detect.
    let mut kept: Vec<Fact> = facts::facts_with(text, false)
        .into_iter()
        .filter(|f| {
            matches!(
                f.kind,
                FactKind::Number | FactKind::Percent | FactKind::Code
            )
        })
        .collect();
    let outside: Vec<Fact> = facts::acronyms(text)
        .into_iter()
        .filter(|a| {
            !kept
                .iter()
                .any(|f| f.span.start <= a.span.start && a.span.end <= f.span.end)
        })
        .collect();
    kept.extend(outside);
    kept.sort_by_key(|f| f.span.start);
    kept
}

/// A source fact the translation does not have.
fn left_out(source: &str, fact: &Fact) -> Finding {
    let written = source[fact.span.clone()].trim().to_owned();
    Finding {
        kind: fact.kind,
        reason: format!("the translation leaves out {written}"),
        text: written,
    }
}

/// The text's sentences with their byte offsets: UAX #29 sentences, also cut at line
/// breaks (a list item or heading is a statement of its own), without blank ones.
pub(crate) fn sentences_of(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    for (offset, sentence) in text.split_sentence_bound_indices() {
        let mut line_start = 0;
        for line in sentence.split_inclusive('\n') {
            let trimmed = line.trim();
            if trimmed.chars().any(char::is_alphanumeric) {
                let lead = line.len() - line.trim_start().len();
                out.push((offset + line_start + lead, line.trim()));
            }
            line_start += line.len();
        }
    }
    out
}

/// A number below this is looked up beside the words of its sentence (see
/// `sources.rs`): small numbers stand somewhere in any long document. Larger ones (a
/// year, an amount) are specific enough anywhere.
const CONTEXT_BELOW: f64 = 1000.0;

/// Whether each fact is in the sources, all looked up together: quotes and code in one
/// pass over the sources, numbers by binary search, so a check takes time in proportion
/// to the text and the sources, not their product. A fact's context is the words of the
/// sentence (or point) it stands in, for small numbers; none compares anywhere.
fn found_all(index: &SourceIndex, facts: &[(&Fact, Option<&HashSet<String>>)]) -> Vec<bool> {
    let texts = |kind: FactKind| -> Vec<(usize, &str)> {
        facts
            .iter()
            .enumerate()
            .filter_map(|(i, (f, _))| match &f.value {
                FactValue::Text(key) if f.kind == kind => Some((i, key.as_str())),
                _ => None,
            })
            .collect()
    };
    let (quotes, codes) = (texts(FactKind::Quote), texts(FactKind::Code));
    let quotes_found = index.quotes_found(&keys(&quotes));
    let codes_found = index.codes_found(&keys(&codes));
    let number = |value: f64, unit: f64, context: Option<&HashSet<String>>| {
        let context = context.filter(|_| value.abs() < CONTEXT_BELOW);
        index.has_number(value, unit, context)
    };
    let mut found: Vec<bool> = facts
        .iter()
        .map(|(fact, context)| match &fact.value {
            FactValue::Number { value, unit, other } => {
                number(*value, *unit, *context)
                    || other.is_some_and(|(value, unit)| number(value, unit, *context))
            }
            FactValue::Date { year, month, day } => index.has_date(*year, *month, *day),
            FactValue::Text(_) => false,
            // A hyphenated word is also found by its parts ("Hue-Chroma-Luminance"
            // where the document writes "hue–chroma–luminance" or the words apart).
            FactValue::Name(words) => words.iter().all(|w| {
                index.has_word(w)
                    || (w.contains('-')
                        && w.split('-')
                            .filter(|p| !p.is_empty())
                            .all(|p| index.has_word(p)))
            }),
        })
        .collect();
    for ((i, _), hit) in quotes
        .iter()
        .zip(quotes_found)
        .chain(codes.iter().zip(codes_found))
    {
        found[*i] = hit;
    }
    found
}

fn finding(text: &str, fact: &Fact, noun: Sources) -> Finding {
    let written = text[fact.span.clone()].trim().to_owned();
    Finding {
        kind: fact.kind,
        reason: noun.reason(fact.kind, &written),
        text: written,
    }
}

/// Facts compared anywhere in the sources, without a sentence's context.
fn anywhere(facts: &[Fact]) -> Vec<(&Fact, Option<&HashSet<String>>)> {
    facts.iter().map(|f| (f, None)).collect()
}

/// The texts of (index, text) pairs.
fn keys<'a>(list: &[(usize, &'a str)]) -> Vec<&'a str> {
    list.iter().map(|(_, k)| *k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Annual report 2023. Revenue grew 17.3% to 1,234,567 euros, \
        while costs fell to twelve million. The board met on 5 March 2024 in Lisbon, \
        chaired by Maria Schmidt. She said “growth will slow next year”. \
        Deploy with `make release`.";

    fn flagged(text: &str) -> Vec<(String, Vec<String>)> {
        check_text(text, &[REPORT], Sources::Document)
            .flagged()
            .map(|s| {
                (
                    s.text.clone(),
                    s.findings.iter().map(|f| f.reason.clone()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn facts_that_are_in_the_source_pass_however_they_are_written() {
        let summary = "Revenue rose about 17% to roughly 1.2 million euros. \
            Costs fell to 12 million. On March 5, 2024 the board met in Lisbon under \
            Schmidt's chair; she said \"growth will slow next year.\" \
            In 2023 the release was made with `make release`.";
        let report = check_text(summary, &[REPORT], Sources::Document);
        assert_eq!(report.not_found, 0, "{report:#?}");
        assert_eq!(report.checked, 4, "{report:#?}");
        assert_eq!(report.summary, "0 of 4 sentences not found in the document");
    }

    #[test]
    fn a_changed_number_date_name_quote_or_command_is_flagged_with_its_reason() {
        assert_eq!(
            flagged("Revenue grew 19% last year. Costs fell."),
            [(
                "Revenue grew 19% last year.".to_owned(),
                vec!["the document has no 19%".to_owned()]
            )]
        );
        assert_eq!(
            flagged("The board met on 6 March 2024."),
            [(
                "The board met on 6 March 2024.".to_owned(),
                vec!["the document has no date 6 March 2024".to_owned()]
            )]
        );
        assert_eq!(
            flagged("It was chaired by Hans Weber in Lisbon."),
            [(
                "It was chaired by Hans Weber in Lisbon.".to_owned(),
                vec!["the document never mentions Hans Weber".to_owned()]
            )]
        );
        assert_eq!(
            flagged("She said “growth will speed up”."),
            [(
                "She said “growth will speed up”.".to_owned(),
                vec!["the document does not say “growth will speed up”".to_owned()]
            )]
        );
        assert_eq!(
            flagged("Run `make deploy` to ship.")[0].1,
            ["the document has no `make deploy`"]
        );
        assert_eq!(
            flagged("The report covers 2022.")[0].1,
            ["the document has no 2022"]
        );
    }

    #[test]
    fn rounding_is_allowed_only_as_far_as_the_number_is_written() {
        // 17.3% rounds to 17%, but not to 18%; 1,234,567 is "1.2 million", not "1.3".
        assert!(flagged("Revenue grew 17%.").is_empty());
        assert_eq!(flagged("Revenue grew 18%.").len(), 1);
        assert!(flagged("Revenue was 1.2 million euros.").is_empty());
        assert_eq!(flagged("Revenue was 1.3 million euros.").len(), 1);
        // A year is never a rounded number.
        assert_eq!(flagged("The report covers 2020.").len(), 1);
    }

    #[test]
    fn sentences_without_facts_are_unchecked_and_list_items_stand_alone() {
        let report = check_text(
            "## Summary\n\n- Revenue grew.\n- Costs fell by 40%.\nThat is all.",
            &[REPORT],
            Sources::Document,
        );
        let marks: Vec<(&str, Support)> = report
            .sentences
            .iter()
            .map(|s| (s.text.as_str(), s.support))
            .collect();
        assert_eq!(
            marks,
            [
                ("## Summary", Support::Unchecked),
                ("- Revenue grew.", Support::Unchecked),
                ("- Costs fell by 40%.", Support::NotFound),
                ("That is all.", Support::Unchecked),
            ]
        );
        let third = &report.sentences[2];
        assert_eq!(
            &"## Summary\n\n- Revenue grew.\n- Costs fell by 40%.\nThat is all."
                [third.start..third.end],
            "- Costs fell by 40%."
        );
        assert_eq!(report.summary, "1 of 4 sentences not found in the document");
    }

    #[test]
    fn a_translation_unit_with_a_changed_or_dropped_number_is_flagged_both_ways() {
        use crate::documents::{AlignedUnit, Language, Translation, UnitKind};
        let unit = |source: &str, target: &str| AlignedUnit {
            kind: UnitKind::Paragraph,
            source: source.into(),
            target: target.into(),
            unsupported: Vec::new(),
            not_translated: None,
        };
        let mut translation = Translation {
            from: Language::parse("en").unwrap(),
            detected: None,
            to: Language::parse("de").unwrap(),
            text: String::new(),
            units: vec![
                // Numbers written the German way, a date and a name translated: fine.
                unit(
                    "On 5 March 2024 the NASA budget in London was 1,234.5 million.",
                    "Am 5. März 2024 betrug das NASA-Budget in London 1.234,5 Millionen.",
                ),
                unit(
                    "Run `make check` on 12 machines.",
                    "Führe `make test` auf 13 Rechnern aus.",
                ),
                unit(
                    "It costs 40% less, said the EU.",
                    "Es kostet weniger, sagte die EU.",
                ),
                unit("Hello.", "Hallo."),
            ],
            glossary_misses: Vec::new(),
            prompt_tokens: 0,
            completion_tokens: 0,
            warnings: Vec::new(),
            grounding: None,
            not_translated: 0,
            advice: None,
        };
        ground_translation(&mut translation);
        let reasons: Vec<Vec<&str>> = translation
            .units
            .iter()
            .map(|u| u.unsupported.iter().map(|f| f.reason.as_str()).collect())
            .collect();
        assert_eq!(
            reasons,
            [
                vec![],
                vec![
                    "the source has no `make test`",
                    "the source has no 13",
                    "the translation leaves out `make check`",
                    "the translation leaves out 12",
                ],
                vec!["the translation leaves out 40%"],
                vec![],
            ]
        );
        let count = translation.grounding.unwrap();
        assert_eq!((count.checked, count.not_found), (3, 2));
        assert_eq!(
            count.summary,
            "2 of 4 units differ from the source in numbers, code or acronyms"
        );
    }

    #[test]
    fn a_small_number_is_found_only_beside_the_words_of_its_sentence() {
        let manual =
            "Chapter 12 covers the boot loader.\n\nAll 4 examples of redirection print the same.";
        let check = |text: &str| check_text(text, &[manual], Sources::Document).not_found;
        assert_eq!(check("The 4 redirection examples print the same."), 0);
        // 12 is in the manual, but not about examples.
        assert_eq!(check("All 12 examples of redirection print the same."), 1);
        // Larger numbers are specific enough anywhere.
        assert_eq!(
            check_text(
                "It sold 1,234,567 copies.",
                &["Sales: 1234567."],
                Sources::Document
            )
            .not_found,
            0
        );
    }

    #[test]
    fn a_hyphenated_name_is_found_by_its_parts() {
        let report = check_text(
            "It uses Hue-Chroma-Luminance palettes.",
            &["Palettes in the hue, chroma and luminance space."],
            Sources::Document,
        );
        assert_eq!(report.not_found, 0, "{report:#?}");
    }

    #[test]
    fn an_inflected_name_is_the_same_name() {
        let report = check_text(
            "The Smiths' report praised Deutschlands economy.",
            &["A report by the Smith family on Deutschland's economy."],
            Sources::Source,
        );
        assert_eq!(report.not_found, 0, "{report:#?}");
        assert_eq!(report.checked, 1, "{report:#?}");
    }
}
