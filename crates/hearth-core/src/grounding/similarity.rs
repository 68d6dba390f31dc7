//! The similarity layer of the thorough check: for each checked sentence, the source
//! sentences closest to it in meaning, by the embedding model the collections use.
//!
//! Embedding every sentence of a long document would cost more than the summary did,
//! so candidates come first from shared words (BM25: each shared content word weighted
//! by its rarity, short sentences ahead of long ones that merely mention it), and only
//! those are embedded: the cost follows the checked text, not the document. A sentence whose
//! closest candidate is below [`UNRELATED_BELOW`] says something the sources do not
//! talk about; the others go to the judge with their closest sentences as evidence.

use std::collections::{HashMap, HashSet};

use super::sources::content_words;

/// Source sentences looked at per checked sentence: those sharing the rarest words.
/// Common words ("free", "software") tie many sentences; enough are kept that the one
/// saying it is among them, at about 0.3 s of embedding per checked sentence.
const CANDIDATES: usize = 48;

/// BM25's length normalisation: how much a long sentence's score is lowered.
const LENGTH_WEIGHT: f32 = 0.75;

/// Source sentences shown to the judge, closest first.
pub(crate) const EVIDENCE: usize = 4;

/// Cosine similarity (all-MiniLM-L6-v2, normalised vectors) below which no source
/// sentence is about what the checked sentence says. Set from the labelled set
/// (EVALUATION.md): true statements, abstracts' sentences included, rarely fall
/// below it; sentences taken from another document mostly do.
pub(crate) const UNRELATED_BELOW: f32 = 0.45;

/// The sources' sentences with the words that find them.
pub(crate) struct SourceSentences {
    pub texts: Vec<String>,
    /// Content word → the sentences that have it.
    postings: HashMap<String, Vec<usize>>,
    /// Each sentence's number of content words, and their mean.
    lengths: Vec<usize>,
    mean_length: f32,
}

impl SourceSentences {
    pub(crate) fn new(sources: &[&str]) -> Self {
        let mut texts = Vec::new();
        let mut postings: HashMap<String, Vec<usize>> = HashMap::new();
        let mut lengths = Vec::new();
        for source in sources {
            for (_, sentence) in super::sentences_of(source) {
                let id = texts.len();
                texts.push(sentence.to_owned());
                let words = content_words(sentence);
                lengths.push(words.len());
                for word in words {
                    postings.entry(word).or_default().push(id);
                }
            }
        }
        let mean_length = lengths.iter().sum::<usize>() as f32 / lengths.len().max(1) as f32;
        Self {
            texts,
            postings,
            lengths,
            mean_length: mean_length.max(1.0),
        }
    }

    /// The source sentences sharing the most (rarest) words with `claim`, best first;
    /// empty when none shares a word.
    pub(crate) fn candidates(&self, claim: &str) -> Vec<usize> {
        let total = self.texts.len().max(1) as f32;
        let mut scores: HashMap<usize, f32> = HashMap::new();
        for word in content_words(claim) {
            let Some(ids) = self.postings.get(&word) else {
                continue;
            };
            let idf = (1.0 + total / ids.len() as f32).ln();
            for id in ids {
                let length = self.lengths[*id] as f32 / self.mean_length;
                *scores.entry(*id).or_default() +=
                    idf / (1.0 - LENGTH_WEIGHT + LENGTH_WEIGHT * length);
            }
        }
        let mut ranked: Vec<(usize, f32)> = scores.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(CANDIDATES);
        ranked.into_iter().map(|(id, _)| id).collect()
    }
}

/// Gives one normalised vector per text, in order (the embedding model, or a stand-in in
/// tests).
pub(crate) type Embed<'a> = dyn FnMut(&[String]) -> crate::Result<Vec<Vec<f32>>> + 'a;

/// For each claim, its candidates ranked by cosine similarity, closest first (at most
/// [`EVIDENCE`]). `embed` gives one normalised vector per text; all texts go to it in
/// one call, so the embedder batches them.
pub(crate) fn nearest(
    claims: &[&str],
    sources: &SourceSentences,
    embed: &mut Embed<'_>,
) -> crate::Result<Vec<Vec<(usize, f32)>>> {
    let candidates: Vec<Vec<usize>> = claims.iter().map(|c| sources.candidates(c)).collect();
    let unique: Vec<usize> = {
        let mut seen = HashSet::new();
        candidates
            .iter()
            .flatten()
            .copied()
            .filter(|id| seen.insert(*id))
            .collect()
    };
    let mut texts: Vec<String> = claims.iter().map(|c| (*c).to_owned()).collect();
    texts.extend(unique.iter().map(|id| sources.texts[*id].clone()));
    let vectors = embed(&texts)?;
    if vectors.len() != texts.len() {
        return Err(crate::CoreError::Internal {
            reason: format!(
                "the embedding model gave {} vectors for {} texts",
                vectors.len(),
                texts.len()
            ),
        });
    }
    let (claim_vectors, source_vectors) = vectors.split_at(claims.len());
    let place: HashMap<usize, usize> = unique.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    Ok(candidates
        .iter()
        .zip(claim_vectors)
        .map(|(ids, claim)| {
            let mut scored: Vec<(usize, f32)> = ids
                .iter()
                .map(|id| (*id, cosine(claim, &source_vectors[place[id]])))
                .collect();
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            scored.truncate(EVIDENCE);
            scored
        })
        .collect())
}

/// The dot product: the embedder's vectors are normalised.
fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "The bridge opened in 1932 after six years of work. \
        Its steel arch spans the harbour. \
        Ferries still cross the harbour every morning. \
        The city council approved a toll to repay the construction loan.";

    #[test]
    fn candidates_are_the_sentences_sharing_the_rarest_words() {
        let sources = SourceSentences::new(&[SOURCE]);
        assert_eq!(sources.texts.len(), 4);
        // "toll" and "council" only stand in the last sentence; "harbour" in two.
        assert_eq!(sources.candidates("A toll was set by the council.")[0], 3);
        let harbour = sources.candidates("Boats cross the harbour.");
        assert_eq!(harbour[0], 2, "ferries … cross … harbour shares two words");
        assert!(harbour.contains(&1));
        assert!(sources.candidates("Zebras graze quietly.").is_empty());
    }

    #[test]
    fn nearest_ranks_candidates_by_the_vectors_closest_first() {
        let sources = SourceSentences::new(&[SOURCE]);
        // A toy embedding: one dimension per listed word, normalised.
        let axes = ["bridge", "harbour", "ferries", "toll"];
        let mut calls = 0;
        let mut embed = |texts: &[String]| -> crate::Result<Vec<Vec<f32>>> {
            calls += 1;
            Ok(texts
                .iter()
                .map(|t| {
                    let lower = t.to_lowercase();
                    let v: Vec<f32> = axes
                        .iter()
                        .map(|a| f32::from(u8::from(lower.contains(a))))
                        .collect();
                    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
                    v.into_iter().map(|x| x / norm).collect()
                })
                .collect())
        };
        let found = nearest(
            &["Ferries cross the harbour.", "Nothing here matches."],
            &sources,
            &mut embed,
        )
        .unwrap();
        assert_eq!(calls, 1, "one call embeds every claim and candidate");
        assert_eq!(found[0][0].0, 2);
        assert!((found[0][0].1 - 1.0).abs() < 1e-5);
        assert!(found[0].iter().all(|(_, s)| *s <= found[0][0].1));
        assert!(found[1].is_empty(), "no shared word, no candidate");
    }
}
