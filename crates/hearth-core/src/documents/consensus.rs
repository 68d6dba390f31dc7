//! Choosing one translation among several by agreement (minimum Bayes risk decoding).
//!
//! The greedy answer and a few sampled ones are compared pairwise with chrF, the
//! character n-gram F-score translation is scored by; the answer closest to all the
//! others wins. Errors a sample makes by chance are its own, while what most samples
//! agree on is more likely right, so the chosen answer is better on average than the
//! greedy one (EVALUATION.md has the figure and its cost).

use std::collections::HashMap;

/// chrF's character n-gram orders, 1 to 6, and its β = 2 (recall weighs four times
/// precision), as sacrebleu computes it.
const ORDERS: usize = 6;
const BETA_SQUARED: f64 = 4.0;

/// The index of the candidate with the highest summed chrF against the others; the
/// first one on a tie, so that the greedy answer, put first, wins a tie. Empty
/// candidates are never chosen when another one has words.
pub(super) fn choose(candidates: &[String]) -> usize {
    let chars: Vec<Vec<char>> = candidates
        .iter()
        .map(|c| c.chars().filter(|ch| !ch.is_whitespace()).collect())
        .collect();
    let counts: Vec<Vec<HashMap<&[char], usize>>> = chars.iter().map(|c| ngrams(c)).collect();
    let mut best = (0, f64::MIN);
    for (i, mine) in counts.iter().enumerate() {
        if chars[i].is_empty() && chars.iter().any(|c| !c.is_empty()) {
            continue;
        }
        let agreement: f64 = counts
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, other)| chrf(mine, other))
            .sum();
        if agreement > best.1 {
            best = (i, agreement);
        }
    }
    best.0
}

/// chrF of `hypothesis` against `reference` (whitespace removed), 0 to 100.
#[cfg(test)]
fn chrf_of(hypothesis: &str, reference: &str) -> f64 {
    let hyp: Vec<char> = hypothesis.chars().filter(|c| !c.is_whitespace()).collect();
    let reference: Vec<char> = reference.chars().filter(|c| !c.is_whitespace()).collect();
    chrf(&ngrams(&hyp), &ngrams(&reference))
}

/// Counts of each character n-gram, per order.
fn ngrams(chars: &[char]) -> Vec<HashMap<&[char], usize>> {
    (1..=ORDERS)
        .map(|n| {
            let mut counts = HashMap::new();
            for gram in chars.windows(n) {
                *counts.entry(gram).or_insert(0) += 1;
            }
            counts
        })
        .collect()
}

/// sacrebleu's chrF: precision and recall averaged over the orders both texts have,
/// then their F-score with β = 2.
fn chrf(hypothesis: &[HashMap<&[char], usize>], reference: &[HashMap<&[char], usize>]) -> f64 {
    let (mut precision, mut recall, mut orders) = (0.0, 0.0, 0);
    for (hyp, reference) in hypothesis.iter().zip(reference) {
        let hyp_total: usize = hyp.values().sum();
        let ref_total: usize = reference.values().sum();
        if hyp_total == 0 || ref_total == 0 {
            continue;
        }
        let matches: usize = hyp
            .iter()
            .map(|(gram, count)| (*count).min(reference.get(gram).copied().unwrap_or(0)))
            .sum();
        precision += matches as f64 / hyp_total as f64;
        recall += matches as f64 / ref_total as f64;
        orders += 1;
    }
    if orders == 0 {
        return 0.0;
    }
    let (precision, recall) = (precision / orders as f64, recall / orders as f64);
    if precision + recall == 0.0 {
        return 0.0;
    }
    100.0 * (1.0 + BETA_SQUARED) * precision * recall / (BETA_SQUARED * precision + recall)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chrf_matches_sacrebleu() {
        // sacrebleu.metrics.CHRF().sentence_score(h, [r]).score for these pairs.
        assert!((chrf_of("Der Zug fährt um neun.", "Der Zug fährt um neun.") - 100.0).abs() < 1e-9);
        assert_eq!(chrf_of("", "Der Zug"), 0.0);
        let score = chrf_of("Der Zug fährt um neun Uhr ab.", "Der Zug fährt um neun.");
        assert!((score - SACREBLEU_PARTIAL).abs() < 0.01, "{score}");
    }

    /// sacrebleu 2.x, `CHRF().sentence_score("Der Zug fährt um neun Uhr ab.", ["Der Zug
    /// fährt um neun."]).score`.
    const SACREBLEU_PARTIAL: f64 = 88.636_167_776_164_73;

    #[test]
    fn the_candidate_most_like_the_others_is_chosen() {
        let candidates = [
            "Der Zug fährt um neun ab.",
            "Der Zug fährt um neun Uhr ab.",
            "Der Zug fährt um neun Uhr ab.",
            "Ein Hund bellt im Garten.",
        ]
        .map(String::from);
        assert_eq!(choose(&candidates), 1);
    }

    #[test]
    fn a_tie_goes_to_the_first_and_an_empty_answer_never_wins() {
        let same = ["Gleich.", "Gleich."].map(String::from);
        assert_eq!(choose(&same), 0);
        let empty = ["", "Der Zug.", "Der Zug fährt."].map(String::from);
        assert_ne!(choose(&empty), 0);
        assert_eq!(choose(&[String::new()]), 0);
    }
}
