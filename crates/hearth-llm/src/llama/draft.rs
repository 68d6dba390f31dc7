//! Speculative decoding with a draft model: a small model that shares the answering
//! model's tokenizer (Qwen2.5-Coder-0.5B for its 1.5B, SmolLM2-135M for the 360M)
//! guesses the next tokens one by one, and the scheduler verifies the guess in the same
//! batch and with the same rule as the prompt-lookup guesses of `speculative.rs`: each
//! drafted position is sampled from the answering model's own distribution and the guess
//! is kept only while it equals that sample, so the output distribution is exactly the
//! one without drafting, greedy or sampled.
//!
//! The draft model keeps its own KV cache per sequence, holding the same tokens as the
//! answering model's: before drafting, each sequence's cache is brought level with the
//! answer so far (a rejected guess dropped, the new tokens evaluated, the whole prompt
//! the first time), then drafted greedily, every drafting sequence in one batch per step.
//! A draft stops where the small model is unsure of its pick (below [`P_MIN`], as
//! llama.cpp's `--draft-p-min`) or where a longer guess would not pay for the draft
//! steps and the larger verification batch, by the step costs both engines measure.

use std::time::Instant;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;

use super::saved::common_prefix;
use super::speculative::StepCost;

/// A guess goes on only while the small model gives its pick at least this probability
/// (llama.cpp's default `--draft-p-min`): below it, the guess is more likely wrong than
/// worth its place in the batch.
pub(crate) const P_MIN: f32 = 0.75;
/// The longest guess sized by cost (llama.cpp's default `--draft-max`).
const MAX_MODEL_DRAFT: usize = 16;
/// Token ids below this are not compared when checking two vocabularies (llama.cpp's
/// `SPEC_VOCAB_CHECK_START_TOKEN_ID`): some conversions name their first special
/// tokens differently while meaning the same.
const CHECK_FROM: i32 = 5;
/// Vocabularies may differ in size by this much (padding rows) and still match.
const MAX_VOCAB_DIFFERENCE: i32 = 128;

/// Why `draft` cannot guess for `target`, if it cannot: the two must turn text into the
/// same tokens, or every guess would be a different word.
pub(crate) fn incompatibility(target: &LlamaModel, draft: &LlamaModel) -> Option<String> {
    let (t, d) = (target.vocab(), draft.vocab());
    if t.vocab_type() != d.vocab_type() {
        return Some(format!(
            "its tokenizer is of another kind ({:?}, the model's is {:?})",
            d.vocab_type(),
            t.vocab_type()
        ));
    }
    if t.should_add_bos() != d.should_add_bos() || t.bos() != d.bos() || t.eos() != d.eos() {
        return Some("its start and end tokens differ from the model's".into());
    }
    let (nt, nd) = (target.n_vocab(), draft.n_vocab());
    if (nt - nd).abs() > MAX_VOCAB_DIFFERENCE {
        return Some(format!(
            "its vocabulary has {nd} tokens and the model's {nt}"
        ));
    }
    (CHECK_FROM..nt.min(nd))
        .map(LlamaToken)
        .find(|&token| t.text(token) != d.text(token))
        .map(|token| {
            let text = |v: Option<&std::ffi::CStr>| {
                v.map_or_else(String::new, |s| s.to_string_lossy().into_owned())
            };
            format!(
                "token {} is {:?} in its vocabulary and {:?} in the model's",
                token.0,
                text(d.text(token)),
                text(t.text(token))
            )
        })
}

/// What one sequence asks of the draft model in a step.
pub(crate) struct Want<'a> {
    pub seq: usize,
    /// The answering model's tokens for this sequence, ending with the token it is
    /// about to evaluate: the guess is what follows.
    pub history: &'a [LlamaToken],
    /// The most tokens the guess may have (room in the batch, context and answer).
    pub limit: usize,
    /// The chance a drafted token holds, learned from this request's outcomes.
    pub rate: f64,
    /// Tokens the answering model's step carries for other sequences.
    pub others: usize,
}

/// The draft model, its context and what each sequence's cache holds.
pub(crate) struct DraftModel<'m> {
    model: &'m LlamaModel,
    ctx: LlamaContext<'m>,
    batch: LlamaBatch<'static>,
    batch_size: usize,
    /// The tokens each sequence's draft cache holds, position by position.
    held: Vec<Vec<LlamaToken>>,
    /// What draft steps cost by how many sequences they carry.
    cost: StepCost,
    /// The answering model's vocabulary size: a drafted id past it is never proposed.
    target_vocab: i32,
    /// The draft model's bytes over the answering model's: before any draft step is
    /// measured, a draft step is priced as this share of an answering step.
    size_ratio: f64,
    /// A fixed guess length instead of one sized by cost.
    fixed_length: Option<usize>,
}

impl<'m> DraftModel<'m> {
    pub fn new(
        model: &'m LlamaModel,
        ctx: LlamaContext<'m>,
        parallel: usize,
        batch_size: usize,
        target: &LlamaModel,
        fixed_length: Option<usize>,
    ) -> Self {
        let size_ratio = (model.size() as f64 / target.size().max(1) as f64).clamp(0.01, 1.0);
        Self {
            model,
            ctx,
            batch: LlamaBatch::new(batch_size.max(parallel), parallel as i32),
            batch_size: batch_size.max(parallel),
            held: vec![Vec::new(); parallel],
            cost: StepCost::default(),
            target_vocab: target.n_vocab(),
            size_ratio,
            fixed_length,
        }
    }

    /// Forgets what sequence `seq` holds (its answering cache was cleared or replaced).
    pub fn forget(&mut self, seq: usize) {
        if let Some(held) = self.held.get_mut(seq) {
            if !held.is_empty() {
                let _ = self.ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
                held.clear();
            }
        }
    }

    /// The guesses for every sequence in `wants`, in the same order (empty where none
    /// is worth making); `target` is what the answering model's steps cost.
    pub fn draft(&mut self, wants: &[Want<'_>], target: &StepCost) -> Vec<Vec<LlamaToken>> {
        let mut drafts = vec![Vec::new(); wants.len()];
        // How long each guess may be, by what the steps cost and how often guesses held.
        let lengths: Vec<usize> = wants
            .iter()
            .map(|want| {
                if let Some(fixed) = self.fixed_length {
                    return fixed.min(want.limit).min(super::speculative::MAX_DRAFT);
                }
                let limit = want.limit.min(MAX_MODEL_DRAFT);
                let per_token = self.step_ms(wants.len(), target);
                super::speculative::best_length(want.rate, limit, want.others, target, per_token)
            })
            .collect();
        let mut logits_at: Vec<Option<i32>> = vec![None; wants.len()];
        if !self.catch_up(wants, &lengths, &mut logits_at) {
            return drafts;
        }
        loop {
            self.batch.clear();
            let mut in_batch = 0;
            for (i, want) in wants.iter().enumerate() {
                let Some(at) = logits_at[i].take() else {
                    continue;
                };
                let Some(token) = self.confident_pick(at) else {
                    continue;
                };
                drafts[i].push(token);
                if drafts[i].len() >= lengths[i] {
                    continue;
                }
                // The pick is evaluated for the guess after it.
                let pos = want.history.len() - 1 + drafts[i].len();
                if self
                    .batch
                    .add(token, pos as i32, &[want.seq as i32], true)
                    .is_err()
                {
                    continue;
                }
                self.held[want.seq].push(token);
                logits_at[i] = Some(in_batch);
                in_batch += 1;
            }
            if in_batch == 0 {
                return drafts;
            }
            let started = Instant::now();
            if self.ctx.decode(&mut self.batch).is_err() {
                for want in wants {
                    self.forget(want.seq);
                }
                return drafts;
            }
            self.cost
                .record(in_batch as usize, started.elapsed().as_secs_f64() * 1000.0);
        }
    }

    /// What one draft step costs a sequence in milliseconds, when `drafting` sequences
    /// draft together: measured, or before that, priced from the models' sizes.
    fn step_ms(&self, drafting: usize, target: &StepCost) -> f64 {
        let step = if self.cost.measured() {
            self.cost.estimate(drafting)
        } else {
            target.estimate(drafting) * self.size_ratio
        };
        step / drafting.max(1) as f64
    }

    /// Brings each drafting sequence's cache level with its history, evaluating what is
    /// missing (the last token always, for its logits); `logits_at` gets the batch index
    /// of each sequence's last token. False when the draft model failed.
    fn catch_up(
        &mut self,
        wants: &[Want<'_>],
        lengths: &[usize],
        logits_at: &mut [Option<i32>],
    ) -> bool {
        let mut next: Vec<usize> = vec![0; wants.len()];
        for (i, want) in wants.iter().enumerate() {
            if lengths[i] == 0 || want.history.is_empty() {
                next[i] = want.history.len();
                continue;
            }
            let seq = want.seq;
            // At least the last token is evaluated again: its logits give the guess.
            let keep = common_prefix(&self.held[seq], want.history).min(want.history.len() - 1);
            let kept = match self
                .ctx
                .clear_kv_cache_seq(Some(seq as u32), Some(keep as u32), None)
            {
                Ok(true) => keep,
                _ => {
                    let _ = self.ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
                    0
                }
            };
            self.held[seq].truncate(kept);
            next[i] = kept;
        }
        // Chunks of the batch's size, every sequence's missing tokens in turn.
        loop {
            self.batch.clear();
            let mut used = 0usize;
            for (i, want) in wants.iter().enumerate() {
                let end = want.history.len();
                while next[i] < end && used < self.batch_size {
                    let k = next[i];
                    let last = k + 1 == end;
                    if self
                        .batch
                        .add(want.history[k], k as i32, &[want.seq as i32], last)
                        .is_err()
                    {
                        return false;
                    }
                    if last {
                        logits_at[i] = Some(used as i32);
                    }
                    self.held[want.seq].push(want.history[k]);
                    next[i] += 1;
                    used += 1;
                }
            }
            if used == 0 {
                return true;
            }
            if self.ctx.decode(&mut self.batch).is_err() {
                for want in wants {
                    self.forget(want.seq);
                }
                return false;
            }
        }
    }

    /// The draft model's most likely token at batch index `at`, if it gives it at least
    /// [`P_MIN`] and the answering model's vocabulary has it.
    fn confident_pick(&self, at: i32) -> Option<LlamaToken> {
        let logits = self.ctx.get_logits_ith(at);
        let (best, top) =
            logits
                .iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
                    if v > bv {
                        (i, v)
                    } else {
                        (bi, bv)
                    }
                });
        if !top.is_finite() {
            return None;
        }
        // The softmax probability of the top logit: 1 / Σ exp(l - top).
        let total: f32 = logits.iter().map(|&l| (l - top).exp()).sum();
        let token = LlamaToken(best as i32);
        let known = token.0 < self.target_vocab && !self.model.vocab().is_eog(token);
        (known && 1.0 / total >= P_MIN).then_some(token)
    }
}

/// How a request's draft-model guesses fared: the chance a drafted token holds, and
/// the counts the reply reports.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ModelGuesses {
    pub rate: super::speculative::Acceptance,
    pub drafted: usize,
    pub accepted: usize,
}

/// Before outcomes: a small model of the same family agrees with its large sibling on
/// most tokens it is sure of.
const PRIOR_RATE: f64 = 0.7;

impl Default for ModelGuesses {
    fn default() -> Self {
        Self {
            rate: super::speculative::Acceptance::new(PRIOR_RATE),
            drafted: 0,
            accepted: 0,
        }
    }
}

impl ModelGuesses {
    pub fn record(&mut self, drafted: usize, accepted: usize) {
        if drafted == 0 {
            return;
        }
        self.rate.record(drafted, accepted);
        self.drafted += drafted;
        self.accepted += accepted;
    }
}
