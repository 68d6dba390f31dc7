//! The thorough mode's two model layers, run over the sentences (or summary points)
//! the fact check did not flag: the embedding model finds the source sentences closest
//! to each (and flags those with nothing close), then the judge reads each remaining
//! sentence beside its closest source sentences.
//!
//! A layer that cannot run (no embedding model installed, the judge's model missing
//! or offline) leaves a warning and the earlier layers' marks: the check never fails
//! the summary or answer it is checking.

use hearth_store::AuditPurpose;

use super::judge::{judge_all, Verdict};
use super::similarity::{nearest, SourceSentences, EVIDENCE, UNRELATED_BELOW};
use super::sources::content_words;
use super::{FactKind, Finding, GroundingMode, Layer, SentenceCheck, Sources, Support};
use crate::audit::AuditContext;
use crate::documents::{Cancellation, Summary};

/// The most sentences one check sends to the judge (a generation each): a long text
/// is judged at its start, and the report says so, rather than tying up the model for
/// hours.
pub(crate) const MAX_JUDGED: usize = 200;

/// What the model layers did.
pub(crate) struct Deeper {
    /// The layers that ran, the facts first.
    pub layers: Vec<Layer>,
    /// The judge's model name, when it ran.
    pub judge: Option<String>,
    pub warnings: Vec<String>,
}

impl crate::Hearth {
    /// The judge for a text `writer` wrote: the settings' judge, else the writer (the
    /// default model when `None`).
    pub(crate) fn judge_for(&self, writer: Option<&str>) -> Option<String> {
        self.config()
            .grounding_judge
            .filter(|j| !j.trim().is_empty())
            .or_else(|| writer.map(str::to_owned))
    }

    /// Runs the similarity and judge layers over `sentences` not yet flagged, setting
    /// their support, findings and evidence; `judge` is the judge's model (the default
    /// model when `None`).
    pub(crate) fn check_deeper(
        &self,
        sentences: &mut [SentenceCheck],
        sources: &[&str],
        noun: Sources,
        judge: Option<&str>,
        cancel: &Cancellation,
    ) -> Deeper {
        let mut deeper = Deeper {
            layers: vec![Layer::Facts],
            judge: None,
            warnings: Vec::new(),
        };
        let open: Vec<usize> = (0..sentences.len())
            .filter(|i| !sentences[*i].support.is_flagged())
            .collect();
        if open.is_empty() {
            return deeper;
        }
        let source_sentences = SourceSentences::new(sources);
        let claims: Vec<String> = open.iter().map(|i| sentences[*i].text.clone()).collect();
        let ranked = match self.nearest_sentences(&claims, &source_sentences) {
            Ok(ranked) => {
                deeper.layers.push(Layer::Similarity);
                Some(ranked)
            }
            Err(e) => {
                deeper
                    .warnings
                    .push(format!("the similarity check did not run: {e}"));
                None
            }
        };
        let mut to_judge = Vec::new();
        for (k, i) in open.iter().enumerate() {
            let sentence = &mut sentences[*i];
            let Some(ranked) = &ranked else {
                // Without the embedding model the judge still sees the sentences that
                // share the most words.
                sentence.evidence = source_sentences
                    .candidates(&sentence.text)
                    .into_iter()
                    .take(EVIDENCE)
                    .map(|id| source_sentences.texts[id].clone())
                    .collect();
                to_judge.push(*i);
                continue;
            };
            let ranked = &ranked[k];
            sentence.similarity = ranked.first().map(|(_, score)| *score);
            sentence.evidence = ranked
                .iter()
                .map(|(id, _)| source_sentences.texts[*id].clone())
                .collect();
            let unrelated = match sentence.similarity {
                Some(score) => score < UNRELATED_BELOW,
                // No source sentence shares a word with it; a sentence without content
                // words ("Yes.") says nothing to look for.
                None => !content_words(&sentence.text).is_empty(),
            };
            if unrelated {
                flag(
                    sentence,
                    Support::NotFound,
                    Layer::Similarity,
                    format!("nothing in {} is close to this", noun.noun()),
                );
            } else {
                to_judge.push(*i);
            }
        }
        if to_judge.is_empty() {
            return deeper;
        }
        if to_judge.len() > MAX_JUDGED {
            deeper.warnings.push(format!(
                "the judge read the first {MAX_JUDGED} of {} sentences; check the rest \
                 in parts",
                to_judge.len()
            ));
            to_judge.truncate(MAX_JUDGED);
        }
        let engine = match self
            .audited_engine(judge, AuditContext::new(AuditPurpose::GroundingCheck, None))
        {
            Ok(engine) => engine,
            Err(e) => {
                deeper.warnings.push(format!("the judge did not run: {e}"));
                return deeper;
            }
        };
        let info = engine.info();
        deeper.judge = Some(match info.provider {
            Some(provider) => format!("{provider}:{}", info.name),
            None => info.name,
        });
        let items: Vec<(&str, Vec<&str>)> = to_judge
            .iter()
            .map(|i| {
                let s = &sentences[*i];
                (
                    s.text.as_str(),
                    s.evidence.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        let judgements = match judge_all(engine.as_ref(), &items, cancel) {
            Ok(judgements) => judgements,
            Err(e) => {
                deeper.warnings.push(format!("the judge did not run: {e}"));
                return deeper;
            }
        };
        deeper.layers.push(Layer::Judge);
        let mut unreadable = 0;
        for (i, judgement) in to_judge.iter().zip(judgements) {
            let sentence = &mut sentences[*i];
            let Some(judgement) = judgement else {
                unreadable += 1;
                continue;
            };
            let said = |kind: FactKind| {
                let reason = noun.reason(kind, "");
                if judgement.reason.is_empty() {
                    reason
                } else {
                    format!("{reason} (the judge: {})", judgement.reason)
                }
            };
            match judgement.verdict {
                Verdict::Supported => {
                    sentence.support = Support::Supported;
                    sentence.decided_by = Some(Layer::Judge);
                }
                Verdict::NotInSource => {
                    let reason = said(FactKind::Statement);
                    flag(sentence, Support::NotFound, Layer::Judge, reason);
                }
                Verdict::Contradicted => {
                    let reason = said(FactKind::Contradiction);
                    flag(sentence, Support::Contradicted, Layer::Judge, reason);
                }
            }
        }
        if unreadable > 0 {
            deeper.warnings.push(format!(
                "the judge's answer for {unreadable} sentence{} was not the JSON asked for",
                if unreadable == 1 { "" } else { "s" }
            ));
        }
        deeper
    }

    /// For each claim, the source sentences closest to it by the embedding model.
    fn nearest_sentences(
        &self,
        claims: &[String],
        sources: &SourceSentences,
    ) -> crate::Result<Vec<Vec<(usize, f32)>>> {
        let (_, embedder) = self.embedder(None)?;
        let mut embed = |texts: &[String]| -> crate::Result<Vec<Vec<f32>>> {
            Ok(embedder
                .embed(texts)?
                .into_iter()
                .map(|e| e.vector)
                .collect())
        };
        let claims: Vec<&str> = claims.iter().map(String::as_str).collect();
        nearest(&claims, sources, &mut embed)
    }

    /// In thorough mode, runs the model layers over a summary's points the fact check
    /// did not flag, against the whole document, with `writer`'s model as the judge
    /// unless the settings name one. The count and the warnings follow.
    pub(crate) fn check_summary_deeper(
        &self,
        summary: &mut Summary,
        document: &str,
        writer: Option<&str>,
        cancel: &Cancellation,
    ) {
        if self.config().grounding != GroundingMode::Thorough {
            return;
        }
        let started = std::time::Instant::now();
        let mut points: Vec<SentenceCheck> = summary
            .points
            .iter()
            .map(|p| {
                let mut check = SentenceCheck::new(0, 0, &p.text, p.unsupported.clone(), 1);
                if p.unsupported.is_empty() {
                    check.support = Support::Unchecked;
                    check.decided_by = None;
                }
                check
            })
            .collect();
        let judge = self.judge_for(writer);
        let deeper = self.check_deeper(
            &mut points,
            &[document],
            Sources::Document,
            judge.as_deref(),
            cancel,
        );
        for (point, check) in summary.points.iter_mut().zip(&points) {
            point.unsupported = check.findings.clone();
        }
        let flagged = points.iter().filter(|p| p.support.is_flagged()).count();
        let contradicted = points
            .iter()
            .filter(|p| p.support == Support::Contradicted)
            .count();
        let total = points.len();
        if let Some(count) = summary.grounding.as_mut() {
            count.checked = points
                .iter()
                .filter(|p| p.support != Support::Unchecked)
                .count()
                .max(count.checked);
            count.not_found = flagged;
            count.contradicted = contradicted;
            count.summary = format!(
                "{flagged} of {total} point{} not found in the document{}",
                if total == 1 { "" } else { "s" },
                if contradicted > 0 {
                    format!(" ({contradicted} contradicted)")
                } else {
                    String::new()
                }
            );
            count.millis += started.elapsed().as_millis() as u64;
            count.layers = deeper.layers;
            count.judge = deeper.judge;
        }
        summary
            .warnings
            .extend(deeper.warnings.into_iter().map(|w| format!("check: {w}")));
    }
}

/// Marks a sentence flagged by a model layer, with one finding for the whole sentence.
fn flag(sentence: &mut SentenceCheck, support: Support, layer: Layer, reason: String) {
    let kind = if support == Support::Contradicted {
        FactKind::Contradiction
    } else {
        FactKind::Statement
    };
    sentence.support = support;
    sentence.decided_by = Some(layer);
    sentence.findings = vec![Finding {
        kind,
        text: sentence.text.clone(),
        reason,
    }];
}
