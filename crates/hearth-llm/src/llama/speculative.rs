//! Speculative decoding without a draft model (prompt lookup): an answer about a
//! document copies long runs of it — a rewrite returns most of the text, a quote returns
//! it exactly, an extraction copies names and figures — so the tokens that followed the
//! last few tokens where they appeared before, in the prompt or in the answer so far,
//! are a good guess of what comes next. The scheduler evaluates that guess in the same
//! batch as the next token and keeps the longest run the model agrees with. Where the
//! text offers no copy, a draft model may guess instead (`draft.rs`), sized by the same
//! cost model ([`best_length`]) and verified by the same rule.
//!
//! How long a guess pays is a cost question. On a CPU each extra token in a batch costs
//! a good part of a whole step (for a 135M model a batch of 2 takes 1.7 times as long as
//! a batch of 1, and 9 about 3.5 times); on a GPU it costs almost nothing. So the engine
//! measures what its steps cost by batch size ([`StepCost`]), each sequence keeps how
//! often its guesses held for matches of each length ([`Drafter`]), and a guess is only
//! as long as the tokens it is expected to bring pay for the time it adds.
//!
//! Verification keeps the output distribution exactly, sampled or greedy: at each
//! drafted position the token is sampled from the model's own distribution as without
//! drafting, and the draft is kept only while it equals that sample. A draft is a single
//! guess (a point mass), so "accept with probability p(d), otherwise sample from the
//! rest" — the speculative sampling rule — is the same as "sample, and compare".

/// Fewest tokens at the end of the text that must have appeared before, in the same
/// order, for their continuation to be guessed.
const MIN_MATCH: usize = 2;
/// Matches are not extended further back than this: longer says nothing more.
const MAX_MATCH: usize = 32;
/// The longest guess evaluated in one step.
pub(crate) const MAX_DRAFT: usize = 64;
/// A guess must be expected to raise tokens per second by this factor to be made.
const MIN_GAIN: f64 = 1.02;
/// How far past the point it was copying from the answer may pick the copy up again
/// (the tokens of a word it corrected, a word it left out).
const RESYNC_WINDOW: usize = 12;
/// A match of one token, found near where the answer was copying from.
const RESYNCED: usize = 1;
/// Every so many chances, a long match gets a short guess even where the estimates say
/// it does not pay, so estimates that went wrong (measured on a busy machine) are
/// measured again rather than trusted for good.
const PROBE_EVERY: u32 = 16;
const PROBE_LENGTH: usize = 4;

/// Guesses the next tokens of one sequence and learns how often its guesses hold.
#[derive(Debug, Clone)]
pub(crate) struct Drafter {
    /// Per match length bucket: drafted tokens the model agreed with, and drafts it
    /// cut short, both fading so the estimate follows the current part of the answer,
    /// with a prior that keeps a bucket worth trying again.
    buckets: [Acceptance; 5],
    /// Where in the text the answer was copying from: the position of the token it
    /// would write next if it goes on copying. After it writes something else (a typo
    /// corrected), one token equal to one a little further on is enough to pick the
    /// copy up again, where anywhere else one token in common would be chance.
    copy_from: Option<usize>,
    /// How much of the text `copy_from` has followed: tokens written since (one per
    /// step, or several when a draft model's guess held) are checked against the copy.
    seen: usize,
    /// Long matches passed over since the last guess made on one.
    passed_over: u32,
    /// Drafted tokens evaluated, and of them accepted, over the whole request.
    pub drafted: usize,
    pub accepted: usize,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Acceptance {
    held: f64,
    cut: f64,
    prior_held: f64,
    prior_cut: f64,
}

/// How fast old outcomes fade: each new draft in a bucket weighs as much as the
/// last four together.
const FADE: f64 = 0.8;

impl Acceptance {
    pub fn new(prior: f64) -> Self {
        // A prior worth two drafts' outcomes.
        Self {
            held: 0.0,
            cut: 0.0,
            prior_held: 2.0 * prior,
            prior_cut: 2.0 * (1.0 - prior),
        }
    }

    /// The chance that the next drafted token holds, given the one before did.
    pub fn rate(&self) -> f64 {
        let held = self.held + self.prior_held;
        let cut = self.cut + self.prior_cut;
        (held / (held + cut)).clamp(0.0, 0.995)
    }

    pub fn record(&mut self, drafted: usize, accepted: usize) {
        self.held = self.held * FADE + accepted as f64;
        self.cut = self.cut * FADE + if accepted < drafted { 1.0 } else { 0.0 };
    }
}

/// Which bucket a match of `matched` tokens falls in.
fn bucket(matched: usize) -> usize {
    match matched {
        RESYNCED => 4,
        0..=2 => 0,
        3..=4 => 1,
        5..=8 => 2,
        _ => 3,
    }
}

/// A guess: the tokens, and how long a match it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Draft<T> {
    pub tokens: Vec<T>,
    pub matched: usize,
    /// Where in the text the guess was copied from.
    pub start: usize,
    /// Drafted by a draft model (`draft.rs`), not copied from the text.
    pub from_model: bool,
}

impl<T> Default for Draft<T> {
    fn default() -> Self {
        Self {
            tokens: Vec::new(),
            matched: 0,
            start: 0,
            from_model: false,
        }
    }
}

impl Default for Drafter {
    fn default() -> Self {
        Self {
            // Short matches are often chance ("of the"); long ones mean copying.
            buckets: [
                Acceptance::new(0.45),
                Acceptance::new(0.6),
                Acceptance::new(0.75),
                Acceptance::new(0.85),
                Acceptance::new(0.6),
            ],
            copy_from: None,
            seen: 0,
            passed_over: 0,
            drafted: 0,
            accepted: 0,
        }
    }
}

impl Drafter {
    /// The guess for what follows `history` (which ends with the token about to be
    /// evaluated), at most `limit` tokens, sized for a batch that also carries
    /// `others` tokens of other sequences; empty when no guess is worth its cost.
    pub fn draft<T: Copy + Eq>(
        &mut self,
        history: &[T],
        limit: usize,
        others: usize,
        cost: &StepCost,
    ) -> Draft<T> {
        let n = history.len();
        // The answer wrote the tokens it was copying next: the copy goes on.
        if let Some(mut from) = self.copy_from {
            for j in self.seen..n {
                if from < j && history[from] == history[j] {
                    from += 1;
                } else {
                    break;
                }
            }
            self.copy_from = Some(from);
        }
        self.seen = n;
        let limit = limit.min(MAX_DRAFT);
        if limit == 0 || n == 0 {
            return Draft::default();
        }
        let found = match find_continuation(history) {
            Some((start, matched)) if matched > 2 => Some((start, matched)),
            weak => self.resync(history).or(weak),
        };
        let Some((start, matched)) = found else {
            return Draft::default();
        };
        self.copy_from = Some(start);
        let rate = self.buckets[bucket(matched)].rate();
        let mut length = best_length(rate, limit, others, cost, 0.0);
        if matched > 8 {
            if length == 0 {
                self.passed_over += 1;
                if self.passed_over >= PROBE_EVERY {
                    length = PROBE_LENGTH.min(limit);
                }
            }
            if length > 0 {
                self.passed_over = 0;
            }
        }
        // Past the end of the text the guess goes on with itself: a run that repeats
        // every few tokens (a list's pattern, a model stuck in a loop) is guessed as far
        // as it pays, not only to the end of its last repetition.
        let mut tokens: Vec<T> = Vec::with_capacity(length);
        for j in start..start + length {
            let next = if j < n { history[j] } else { tokens[j - n] };
            tokens.push(next);
        }
        Draft {
            tokens,
            matched,
            start,
            from_model: false,
        }
    }

    /// The copy picked up again: the last token found a little past where the answer
    /// was copying from.
    fn resync<T: Eq>(&self, history: &[T]) -> Option<(usize, usize)> {
        let from = self.copy_from?;
        let n = history.len();
        let last = history.last()?;
        (from..(from + RESYNC_WINDOW).min(n.saturating_sub(1)))
            .find(|&q| history[q] == *last)
            .map(|q| (q + 1, RESYNCED))
    }

    /// What became of a draft: `accepted` of its tokens held.
    pub fn record(&mut self, draft: &Draft<impl Sized>, accepted: usize) {
        if draft.tokens.is_empty() {
            return;
        }
        self.buckets[bucket(draft.matched)].record(draft.tokens.len(), accepted);
        // The answer parted from the text here (or goes on past the guess).
        self.copy_from = Some(draft.start + accepted);
        self.seen += accepted;
        self.drafted += draft.tokens.len();
        self.accepted += accepted;
    }
}

/// Where the latest earlier occurrence of the longest suffix of `history` (at least
/// [`MIN_MATCH`] tokens) is followed: the index of the token after it, and how many
/// tokens matched. Ties go to the most recent occurrence.
pub(crate) fn find_continuation<T: Eq>(history: &[T]) -> Option<(usize, usize)> {
    let n = history.len();
    if n <= MIN_MATCH {
        return None;
    }
    let last = &history[n - 1];
    let mut best: Option<(usize, usize)> = None;
    for i in (0..n - 1).rev() {
        if history[i] != *last {
            continue;
        }
        let mut matched = 1;
        while matched < MAX_MATCH
            && matched <= i
            && history[i - matched] == history[n - 1 - matched]
        {
            matched += 1;
        }
        if matched >= MIN_MATCH && best.is_none_or(|(_, m)| matched > m) {
            best = Some((i + 1, matched));
            if matched == MAX_MATCH {
                break;
            }
        }
    }
    best
}

/// The draft length that brings the most tokens per second: with each drafted token
/// holding with chance `rate` (given the one before held), a draft of `k` brings
/// `1 + rate + ... + rate^k` tokens for one step of `others + 1 + k` tokens, and
/// `drafting_ms` for each drafted token (a draft model's step; nothing for a lookup),
/// against one token for a step of `others + 1`.
pub(crate) fn best_length(
    rate: f64,
    available: usize,
    others: usize,
    cost: &StepCost,
    drafting_ms: f64,
) -> usize {
    let base = others + 1;
    let plain = (others as f64 + 1.0) / cost.estimate(base);
    let mut best = (0, plain * MIN_GAIN);
    let mut expected = 1.0;
    let mut term = 1.0;
    for k in 1..=available {
        term *= rate;
        expected += term;
        let speed = (others as f64 + expected) / (cost.estimate(base + k) + drafting_ms * k as f64);
        if speed > best.1 {
            best = (k, speed);
        }
    }
    best.0
}

/// The time a decode step takes by how many tokens it evaluates (all with logits),
/// measured on this engine as it runs. A step of one token is its own case (llama.cpp
/// runs it with matrix-vector kernels, and a second token costs far more than a third);
/// steps of more are fitted with a line, fixed cost plus cost per token, by least
/// squares over fading measurements, so every measured size informs every other and
/// one slow step cannot keep a size from being tried again. Before measurements, a
/// CPU-like prior.
#[derive(Debug, Clone, Default)]
pub(crate) struct StepCost {
    /// Fading mean milliseconds of one-token steps.
    single: Option<f64>,
    /// Fading sums over steps of two tokens or more: weight, b, b², t, b·t.
    sums: [f64; 5],
}

/// How fast old measurements fade: each new one counts as much as the last fifty.
const COST_FADE: f64 = 0.98;
/// Before measurements: each extra token costs this share of a one-token step (a
/// CPU running a small model; a GPU measures far less and drafts longer).
const PRIOR_EXTRA: f64 = 0.35;

impl StepCost {
    pub fn record(&mut self, tokens: usize, ms: f64) {
        if tokens == 0 || !ms.is_finite() || ms <= 0.0 {
            return;
        }
        // A step only ever takes longer than its work when the machine is busy (another
        // program, a page fault): such a spike is held to twice the estimate, so it
        // cannot make guessing look dear for good.
        let measured = self.single.is_some() || (tokens > 1 && self.sums[0] > 0.0);
        let ms = if measured {
            ms.min(2.0 * self.estimate(tokens))
        } else {
            ms
        };
        if tokens == 1 {
            self.single = Some(match self.single {
                Some(mean) => mean * 0.9 + ms * 0.1,
                None => ms,
            });
            return;
        }
        let b = tokens as f64;
        for (sum, value) in self.sums.iter_mut().zip([1.0, b, b * b, ms, b * ms]) {
            *sum = *sum * COST_FADE + value;
        }
    }

    /// Whether any step has been measured.
    pub fn measured(&self) -> bool {
        self.single.is_some() || self.sums[0] > 0.0
    }

    /// The line through the multi-token steps: (fixed, per token), when two or more
    /// sizes have been measured.
    fn line(&self) -> Option<(f64, f64)> {
        let [w, sb, sbb, st, sbt] = self.sums;
        let spread = w * sbb - sb * sb;
        if w <= 0.0 || spread <= 1e-6 * w * sbb {
            return None;
        }
        let per_token = ((w * sbt - sb * st) / spread).max(0.0);
        let fixed = (st - per_token * sb) / w;
        Some((fixed, per_token))
    }

    /// The expected milliseconds of a step of `tokens` tokens.
    pub fn estimate(&self, tokens: usize) -> f64 {
        let single = self.single.unwrap_or(1.0);
        if tokens <= 1 {
            return single;
        }
        let b = tokens as f64;
        let estimate = match self.line() {
            Some((fixed, per_token)) => fixed + per_token * b,
            None if self.sums[0] > 0.0 => {
                // One size measured: through it, with the prior's slope.
                let (w, sb, st) = (self.sums[0], self.sums[1], self.sums[3]);
                let (mean_b, mean_t) = (sb / w, st / w);
                let per_token = mean_t / (1.0 + PRIOR_EXTRA * (mean_b - 1.0)) * PRIOR_EXTRA;
                mean_t + per_token * (b - mean_b)
            }
            None => single * (1.0 + PRIOR_EXTRA * (b - 1.0)),
        };
        // More tokens never take less time than one.
        estimate.max(single)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 60-token text, and the history of an answer that has copied its first `copied`
    /// tokens after it.
    fn copying(copied: usize) -> (Vec<i32>, Vec<i32>) {
        let text: Vec<i32> = (100..160).collect();
        let mut history = text.clone();
        history.extend_from_slice(&text[..copied]);
        (text, history)
    }

    /// Steps that cost what they cost on a GPU: almost nothing per extra token.
    fn gpu_like_cost() -> StepCost {
        let mut cost = StepCost::default();
        for b in [1, 2, 4, 8, 16, 32, 64] {
            cost.record(b, 10.0 + b as f64 * 0.05);
        }
        cost
    }

    #[test]
    fn the_longest_match_is_continued_and_ties_go_to_the_latest() {
        // "a b c d" then "x b c d" then "b c": the 2-token suffix "b c" occurs twice
        // before; both match 2 tokens, the latest wins.
        let history = [1, 2, 3, 4, 9, 2, 3, 5, 2, 3];
        assert_eq!(find_continuation(&history), Some((7, 2)));
        // "a b c" matches 3 tokens at the start, 2 elsewhere: the longer wins.
        let history = [1, 2, 3, 4, 9, 2, 3, 5, 1, 2, 3];
        assert_eq!(find_continuation(&history), Some((3, 3)));
    }

    #[test]
    fn one_token_in_common_is_not_a_match() {
        assert_eq!(find_continuation(&[1, 2, 3, 4, 5, 3]), None);
        assert_eq!(find_continuation(&[7, 7]), None);
        assert_eq!(find_continuation::<i32>(&[]), None);
    }

    #[test]
    fn a_repeated_run_is_guessed_to_repeat() {
        let history = [5, 6, 7, 5, 6];
        assert_eq!(find_continuation(&history), Some((2, 2)));
        // The guess goes on repeating past the end of the text.
        let cost = gpu_like_cost();
        let mut drafter = Drafter::default();
        let draft = drafter.draft(&history, 7, 0, &cost);
        let pattern = [7, 5, 6, 7, 5, 6, 7];
        assert!(draft.tokens.len() > 3, "{:?}", draft.tokens);
        assert_eq!(draft.tokens, pattern[..draft.tokens.len()]);
    }

    #[test]
    fn copying_a_text_drafts_its_next_tokens() {
        // The prompt holds the text; the answer so far copies its first 10 tokens.
        let (text, history) = copying(10);
        let mut drafter = Drafter::default();
        let cost = gpu_like_cost();
        for _ in 0..4 {
            let draft = drafter.draft(&history, 64, 0, &cost);
            let n = draft.tokens.len();
            drafter.record(&draft, n);
        }
        let draft = drafter.draft(&history, 64, 0, &cost);
        // The rest of the text, what followed it (the copy so far), and on.
        assert_eq!(draft.tokens.len(), 64);
        assert_eq!(draft.tokens[..60], history[10..]);
        assert_eq!(draft.tokens[60..], history[10..14]);
        assert_eq!(draft.matched, 10);
        // The limit (room in the context, tokens left to write) is kept.
        assert_eq!(
            drafter.draft(&history, 5, 0, &cost).tokens,
            text[10..15].to_vec()
        );
        assert!(drafter.draft(&history, 0, 0, &cost).tokens.is_empty());
    }

    #[test]
    fn drafts_shrink_where_steps_are_dear_and_guesses_fail() {
        let (_, history) = copying(6);
        // A CPU: a batch of 2 costs 1.7 steps, 9 costs 3.5.
        let mut cost = StepCost::default();
        for (b, ms) in [
            (1, 9.0),
            (2, 15.0),
            (4, 20.0),
            (8, 32.0),
            (16, 53.0),
            (32, 102.0),
        ] {
            cost.record(b, ms);
        }
        let mut drafter = Drafter::default();
        let hopeful = drafter.draft(&history, 64, 0, &cost).tokens.len();
        assert!(hopeful > 0 && hopeful < 16, "{hopeful}");
        // Guesses from 6-token matches keep failing at the first token: stop guessing.
        for _ in 0..6 {
            let draft = drafter.draft(&history, 64, 0, &cost);
            let tried = if draft.tokens.is_empty() {
                Draft {
                    tokens: vec![1],
                    matched: 6,
                    start: 0,
                    from_model: false,
                }
            } else {
                draft
            };
            drafter.record(&tried, 0);
        }
        assert!(drafter.draft(&history, 64, 0, &cost).tokens.is_empty());
        assert_eq!(drafter.accepted, 0);
    }

    #[test]
    fn after_a_corrected_word_the_copy_is_picked_up_again() {
        let cost = gpu_like_cost();
        let source: Vec<i32> = (1..=20).collect();
        let mut history = source.clone();
        history.extend([1, 2, 3, 4, 5]);
        let mut drafter = Drafter::default();
        let draft = drafter.draft(&history, 64, 0, &cost);
        assert_eq!(draft.tokens[..2], [6, 7]);
        // The model writes 99 where the text has 6 (it corrected a typo) ...
        drafter.record(&draft, 0);
        history.push(99);
        assert!(drafter.draft(&history, 64, 0, &cost).tokens.is_empty());
        // ... then 7, as the text goes on: one token near the copy point is enough.
        history.push(7);
        let draft = drafter.draft(&history, 64, 0, &cost);
        assert_eq!(draft.matched, RESYNCED);
        assert_eq!(draft.tokens[..3], [8, 9, 10]);
        // Anywhere else, one token in common is no match.
        let mut fresh = Drafter::default();
        assert!(fresh.draft(&history, 64, 0, &cost).tokens.is_empty());
    }

    #[test]
    fn long_matches_are_guessed_now_and_then_even_where_estimates_say_no() {
        // Estimates that say a second token costs ten steps (measured on a busy machine).
        // Steps of b tokens at 100·b ms, one-token steps at 10.
        let cost = StepCost {
            single: Some(10.0),
            sums: [2.0, 6.0, 20.0, 600.0, 2000.0],
        };
        assert!((cost.estimate(2) - 200.0).abs() < 1e-9);
        let (_, history) = copying(12);
        let mut drafter = Drafter::default();
        let lengths: Vec<usize> = (0..PROBE_EVERY)
            .map(|_| drafter.draft(&history, 64, 0, &cost).tokens.len())
            .collect();
        assert_eq!(
            lengths[..PROBE_EVERY as usize - 1],
            vec![0; PROBE_EVERY as usize - 1]
        );
        assert_eq!(lengths[PROBE_EVERY as usize - 1], PROBE_LENGTH);
    }

    #[test]
    fn step_cost_fits_a_line_through_what_it_measured() {
        let mut cost = StepCost::default();
        // The prior: each extra token a third of a step.
        assert!((cost.estimate(1) - 1.0).abs() < 1e-9);
        assert!((cost.estimate(3) - (1.0 + 2.0 * PRIOR_EXTRA)).abs() < 1e-9);
        cost.record(1, 10.0);
        assert!((cost.estimate(1) - 10.0).abs() < 1e-9);
        // Steps of 2 to 16 tokens that cost 12 ms plus 3 ms a token.
        for b in [2, 4, 8, 16, 4, 2] {
            cost.record(b, 12.0 + 3.0 * b as f64);
        }
        assert!((cost.estimate(10) - 42.0).abs() < 1e-6);
        assert!((cost.estimate(64) - 204.0).abs() < 1e-6, "extrapolated");
        // A slow step (the machine was busy) is held to twice the estimate: it moves
        // the line a little, and later steps bring it back.
        cost.record(2, 800.0);
        assert!(
            cost.estimate(2) > 18.5 && cost.estimate(2) < 36.0,
            "{}",
            cost.estimate(2)
        );
        for _ in 0..200 {
            for b in [3, 9] {
                cost.record(b, 12.0 + 3.0 * b as f64);
            }
        }
        assert!(
            (cost.estimate(2) - 18.0).abs() < 0.5,
            "{}",
            cost.estimate(2)
        );
        // Nonsense is ignored; a one-token step is its own mean.
        cost.record(2, f64::NAN);
        cost.record(5, -1.0);
        cost.record(1, 20.0);
        assert!((cost.estimate(1) - 11.0).abs() < 1e-9);
    }
}
