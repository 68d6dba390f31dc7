//! The engine thread's loop: takes requests into sequence slots, builds one batch per
//! step from every slot (one token for each answering slot, a chunk of prompt for each
//! slot still reading its prompt), decodes it, and samples each slot's next token.
//!
//! Each sequence is in one of llama-server's slot states ([`SequenceState`]): idle,
//! reading its request's prompt (prefill) until the last prompt token is decoded, then
//! generating until it stops; an idle sequence takes the next waiting request in
//! arrival order, so the queue is fair.
//!
//! A sequence keeps its KV cache after a request ends. The next request goes to the free
//! sequence whose cached tokens share the longest prefix with its prompt, and only the
//! rest is evaluated: the next turn of a chat re-reads nothing but the new message.
//! A cache about to be overwritten, and every cache when the engine stops, is saved to
//! disk (`saved.rs`); a request whose prompt begins with a saved state loads it instead
//! of evaluating those tokens again, so a conversation survives losing its sequence and
//! restarting the app.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Instant;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;

use super::draft::{DraftModel, ModelGuesses, Want};
use super::saved::{common_prefix, SavedStates, MIN_TOKENS};
use super::speculative::{Draft, Drafter, StepCost};
use super::{sampler, Command};
use crate::engine::CancelToken;
use crate::error::{LlmError, Result};
use crate::output::budget::BudgetWatch;
use crate::request::{Completion, EngineRequest, GenerationEvent, Prompt, StopReason};
use crate::stream::TextStream;

pub(crate) struct Limits {
    pub context_length: u32,
    pub parallel: usize,
    pub batch_size: usize,
    pub queue_capacity: usize,
    /// Guess the next tokens from the text so far and verify them in one batch
    /// (`speculative.rs`); requests may turn it off, never on where the model's memory
    /// cannot drop a rejected guess.
    pub speculative: bool,
}

struct Waiting {
    request: EngineRequest,
    events: flume::Sender<GenerationEvent>,
    cancel: CancelToken,
    enqueued: Instant,
}

struct Slot {
    seq: i32,
    events: flume::Sender<GenerationEvent>,
    cancel: CancelToken,
    sampler: LlamaSampler,
    prompt: Vec<LlamaToken>,
    /// Prompt tokens already sent to the context.
    prefilled: usize,
    /// Prompt tokens that were already in the cache.
    reused: usize,
    /// Of those, tokens loaded from a state saved on disk.
    restored: usize,
    /// Position of the next token in this sequence.
    n_past: i32,
    /// The last sampled token, to be decoded in the next step.
    next_token: Option<LlamaToken>,
    /// Index in the current batch whose logits this slot samples from.
    logits_at: Option<i32>,
    /// Guesses this slot's next tokens; `None` when speculative decoding is off.
    drafter: Option<Drafter>,
    /// The guess evaluated in this step after `next_token`, and the batch index of
    /// each of its tokens.
    draft: Draft<LlamaToken>,
    draft_at: Vec<i32>,
    /// How this request's draft-model guesses fared; `None` without a draft model.
    model_guesses: Option<ModelGuesses>,
    stream: TextStream,
    /// Special tokens this request wants written out as text (tool-call markers).
    preserved: Vec<LlamaToken>,
    /// The sampler has a lazy grammar: accepting a token may throw in llama.cpp (when
    /// a trigger's text does not fit the grammar), so it is sampled without the
    /// all-in-one call that would let the exception abort the process.
    guarded: bool,
    /// Greedy with nothing else in the chain (no penalty, no grammar): the pick is the
    /// best logit, read straight from the logits instead of through the sampler, which
    /// copies the whole vocabulary (262,144 entries for Gemma 3) for every token.
    greedy: bool,
    /// The thinking budget being kept, if the request has one.
    budget: Option<BudgetWatch>,
    /// Tokens to write next instead of sampling (the closing marker of thinking that
    /// spent its budget).
    forced: VecDeque<LlamaToken>,
    output: String,
    generated: usize,
    max_tokens: Option<usize>,
    ignore_eos: bool,
    queue_ms: f64,
    started: Instant,
    first_token: Option<Instant>,
}

/// One sequence of the context: the tokens its KV cache holds, kept after a request
/// ends so the next turn of the same conversation re-reads only what is new.
#[derive(Default)]
struct Sequence {
    /// The tokens the KV cache holds, position by position.
    tokens: Vec<LlamaToken>,
    /// When it was last given a request (a counter, not a time).
    last_used: u64,
    /// It holds tokens no saved state has.
    unsaved: bool,
    /// It was busy when the caches were to be forgotten: cleared when it finishes.
    forget_when_done: bool,
}

/// Where a sequence is in llama-server's slot states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SequenceState {
    /// No request: its cache waits for the next turn that starts the same way.
    Idle,
    /// Reading its request's prompt, a chunk per step.
    Prefill,
    /// Writing the answer, a token (and any verified guess) per step.
    Generating,
}

impl Slot {
    /// Reading the prompt until its last token is decoded, then generating.
    fn state(&self) -> SequenceState {
        if self.prefilled < self.prompt.len() {
            SequenceState::Prefill
        } else {
            SequenceState::Generating
        }
    }
}

pub(crate) struct Scheduler<'m> {
    model: &'m LlamaModel,
    ctx: LlamaContext<'m>,
    batch: LlamaBatch<'static>,
    limits: Limits,
    /// The request each sequence is answering, by sequence id.
    slots: Vec<Option<Slot>>,
    /// What each sequence's KV cache holds, by sequence id.
    sequences: Vec<Sequence>,
    saved: Option<SavedStates>,
    clock: u64,
    waiting: VecDeque<Waiting>,
    /// What decode steps cost by size, to size the guesses.
    step_cost: StepCost,
    /// The small model of the same tokenizer that guesses where the text offers no
    /// copy (`draft.rs`), when the engine was given one.
    draft_model: Option<DraftModel<'m>>,
}

impl<'m> Scheduler<'m> {
    pub fn new(
        model: &'m LlamaModel,
        ctx: LlamaContext<'m>,
        limits: Limits,
        saved: Option<SavedStates>,
        draft_model: Option<DraftModel<'m>>,
    ) -> Self {
        let batch = LlamaBatch::new(
            limits.batch_size.max(limits.parallel),
            limits.parallel as i32,
        );
        let slots = (0..limits.parallel).map(|_| None).collect();
        let sequences = (0..limits.parallel).map(|_| Sequence::default()).collect();
        Self {
            model,
            ctx,
            batch,
            limits,
            slots,
            sequences,
            saved,
            clock: 0,
            waiting: VecDeque::new(),
            step_cost: StepCost::default(),
            draft_model,
        }
    }

    pub fn run(mut self, commands: Receiver<Command>) {
        let mut senders_gone = false;
        loop {
            if self.is_idle() {
                if senders_gone {
                    return;
                }
                match commands.recv() {
                    Ok(command) => {
                        if !self.handle(command) {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
            while self.waiting.len() < self.limits.queue_capacity {
                match commands.try_recv() {
                    Ok(command) => {
                        if !self.handle(command) {
                            return;
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        senders_gone = true;
                        break;
                    }
                }
            }
            self.start_waiting();
            self.stop_cancelled();
            if self.slots.iter().any(Option::is_some) {
                self.step();
            }
        }
    }

    fn is_idle(&self) -> bool {
        self.waiting.is_empty() && self.slots.iter().all(Option::is_none)
    }

    /// Returns false when the engine must stop.
    fn handle(&mut self, command: Command) -> bool {
        match command {
            Command::Generate {
                request,
                events,
                cancel,
                enqueued,
            } => {
                self.waiting.push_back(Waiting {
                    request: *request,
                    events,
                    cancel,
                    enqueued,
                });
            }
            Command::Tokenize {
                text,
                add_special,
                reply,
            } => {
                let tokens = self
                    .tokenize(&text, add_special)
                    .into_iter()
                    .map(|t| t.0 as u32)
                    .collect();
                let _ = reply.send(Ok(tokens));
            }
            Command::Detokenize { tokens, reply } => {
                let _ = reply.send(self.detokenize(&tokens));
            }
            Command::ForgetContexts { reply } => {
                self.forget_contexts();
                let _ = reply.send(Ok(()));
            }
            Command::Shutdown => {
                for waiting in self.waiting.drain(..) {
                    let _ = waiting.events.send(GenerationEvent::Failed {
                        error: LlmError::EngineStopped,
                    });
                }
                for slot in self.slots.iter_mut().filter_map(Option::take) {
                    let _ = slot.events.send(GenerationEvent::Failed {
                        error: LlmError::EngineStopped,
                    });
                }
                // Every conversation still cached survives the restart.
                for seq in 0..self.sequences.len() {
                    self.save_sequence(seq);
                }
                return false;
            }
        }
        true
    }

    /// Special tokens written in the text (a chat template's `<|im_start|>`) are parsed
    /// as the tokens they name. A template that writes the BOS text itself
    /// (`{{ bos_token }}`) and a model that asks for BOS would otherwise start with two;
    /// one is kept, as llama-server keeps one by cutting the template's.
    fn tokenize(&self, text: &str, add_special: bool) -> Vec<LlamaToken> {
        let vocab = self.model.vocab();
        let mut tokens = vocab.tokenize(text.as_bytes(), add_special, true);
        let bos = vocab.bos();
        if add_special
            && vocab.should_add_bos()
            && tokens.len() >= 2
            && tokens[0] == bos
            && tokens[1] == bos
        {
            tokens.remove(0);
        }
        tokens
    }

    /// The tokens that stand for these texts, each a single token in this vocabulary
    /// (a marker the vocabulary spells with several ordinary tokens is text anyway).
    fn preserved_tokens(&self, texts: &[String]) -> Vec<LlamaToken> {
        texts
            .iter()
            .filter_map(|text| match self.tokenize(text, false).as_slice() {
                [one] => Some(*one),
                _ => None,
            })
            .collect()
    }

    fn detokenize(&self, tokens: &[u32]) -> Result<String> {
        let tokens = self.checked_tokens(tokens)?;
        let bytes = self.model.vocab().detokenize(&tokens, false, false);
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Token ids from outside are checked: llama.cpp aborts on an id past the vocabulary.
    fn checked_tokens(&self, tokens: &[u32]) -> Result<Vec<LlamaToken>> {
        let vocab = self.model.n_vocab().max(0) as u32;
        match tokens.iter().find(|&&t| t >= vocab) {
            Some(bad) => Err(LlmError::InvalidOptions {
                reason: format!("token id {bad} is outside the vocabulary of {vocab} tokens"),
            }),
            None => Ok(tokens.iter().map(|&t| LlamaToken(t as i32)).collect()),
        }
    }

    fn start_waiting(&mut self) {
        while self.slots.iter().any(Option::is_none) {
            let Some(waiting) = self.waiting.pop_front() else {
                return;
            };
            if waiting.cancel.is_cancelled() || waiting.events.is_disconnected() {
                continue;
            }
            let prompt = match &waiting.request.prompt {
                Prompt::Text(text) => Ok(self.tokenize(text, true)),
                Prompt::Tokens(tokens) => self.checked_tokens(tokens),
            };
            let started = prompt.and_then(|prompt| {
                let seq = self.best_free_sequence(&prompt);
                let restored = self.restore_saved(seq, &prompt);
                self.new_slot(seq, prompt, &waiting, restored)
                    .map(|slot| (seq, slot))
            });
            match started {
                Ok((seq, slot)) => self.slots[seq] = Some(slot),
                Err(error) => {
                    let _ = waiting.events.send(GenerationEvent::Failed { error });
                }
            }
        }
    }

    fn state(&self, seq: usize) -> SequenceState {
        self.slots[seq]
            .as_ref()
            .map_or(SequenceState::Idle, Slot::state)
    }

    /// The free sequence whose cache shares most of `prompt` (at least half of it, as
    /// llama-server's slot similarity); otherwise the least recently used free one, so a
    /// shared template opening never evicts another conversation's cache.
    fn best_free_sequence(&mut self, prompt: &[LlamaToken]) -> usize {
        let free: Vec<usize> = (0..self.slots.len())
            .filter(|&seq| self.state(seq) == SequenceState::Idle)
            .collect();
        let best = free
            .iter()
            .copied()
            .max_by_key(|&seq| common_prefix(&self.sequences[seq].tokens, prompt));
        let chosen = match best {
            Some(seq) if common_prefix(&self.sequences[seq].tokens, prompt) * 2 >= prompt.len() => {
                seq
            }
            _ => free
                .iter()
                .copied()
                .min_by_key(|&seq| self.sequences[seq].last_used)
                .unwrap_or(0),
        };
        self.clock += 1;
        self.sequences[chosen].last_used = self.clock;
        chosen
    }

    /// Loads a saved state into `seq` when one shares more of `prompt` than the
    /// sequence's own cache does; returns how many tokens it brought.
    fn restore_saved(&mut self, seq: usize, prompt: &[LlamaToken]) -> usize {
        let in_memory = common_prefix(&self.sequences[seq].tokens, prompt);
        let Some((index, on_disk)) = self.saved.as_ref().and_then(|s| s.best_match(prompt)) else {
            return 0;
        };
        // Loading reads the whole file; a small gain is cheaper to evaluate.
        if on_disk < in_memory + MIN_TOKENS {
            return 0;
        }
        if let Some(saved) = self.saved.as_mut() {
            saved.pin(index);
        }
        self.save_sequence(seq);
        let _ = self.ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
        self.sequences[seq].tokens.clear();
        let Some(saved) = self.saved.as_mut() else {
            return 0;
        };
        saved.unpin();
        // Saving may have dropped other states to stay within the budget, which moves
        // entries: look again.
        let Some((index, on_disk)) = saved.best_match(prompt) else {
            return 0;
        };
        match saved.load(&mut self.ctx, seq as i32, index) {
            Some(tokens) => {
                self.sequences[seq].tokens = tokens;
                self.sequences[seq].unsaved = false;
                on_disk
            }
            None => 0,
        }
    }

    /// Writes `seq`'s cache to disk if it holds tokens no saved state has.
    fn save_sequence(&mut self, seq: usize) {
        if !self.sequences[seq].unsaved || self.sequences[seq].tokens.len() < MIN_TOKENS {
            return;
        }
        if let Some(saved) = self.saved.as_mut() {
            saved.save(&self.ctx, seq as i32, &self.sequences[seq].tokens);
        }
        self.sequences[seq].unsaved = false;
    }

    /// Drops every cached context, in memory and on disk (a conversation was deleted).
    fn forget_contexts(&mut self) {
        for seq in 0..self.sequences.len() {
            self.sequences[seq].unsaved = false;
            if self.state(seq) != SequenceState::Idle {
                self.sequences[seq].forget_when_done = true;
            } else {
                let _ = self.ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
                self.sequences[seq].tokens.clear();
            }
            // The draft model's cache holds the same text: it goes too (a busy
            // sequence's draft is brought level with its new tokens at the next step).
            if let Some(draft_model) = self.draft_model.as_mut() {
                draft_model.forget(seq);
            }
        }
        if let Some(saved) = self.saved.as_mut() {
            saved.forget();
        }
    }

    /// Drops the cache of `seq` from position `keep` on; returns how much was kept.
    fn truncate_cache(&mut self, seq: usize, keep: usize) -> Result<usize> {
        // Some caches (sliding-window attention) cannot drop only a tail; then start over.
        let kept = match self
            .ctx
            .clear_kv_cache_seq(Some(seq as u32), Some(keep as u32), None)
        {
            Ok(true) if keep > 0 => keep,
            _ => 0,
        };
        if kept == 0 {
            self.ctx
                .clear_kv_cache_seq(Some(seq as u32), None, None)
                .map_err(|e| LlmError::Decode {
                    reason: e.to_string(),
                })?;
        }
        self.sequences[seq].tokens.truncate(kept);
        Ok(kept)
    }

    fn new_slot(
        &mut self,
        seq: usize,
        prompt: Vec<LlamaToken>,
        waiting: &Waiting,
        restored: usize,
    ) -> Result<Slot> {
        let request = &waiting.request;
        if prompt.is_empty() {
            return Err(LlmError::InvalidOptions {
                reason: "the prompt is empty".into(),
            });
        }
        let limit = self.limits.context_length as usize;
        if prompt.len() >= limit {
            return Err(LlmError::PromptTooLarge {
                tokens: prompt.len(),
                limit,
            });
        }
        let sampler = sampler::build(
            self.model,
            &request.options,
            request.grammar.as_deref(),
            &request.grammar_triggers,
        )?;
        let preserved = self.preserved_tokens(&request.preserved_tokens);
        // Reuse the shared prefix, but always evaluate the last prompt token: its logits
        // give the first answer token.
        let reusable = common_prefix(&self.sequences[seq].tokens, &prompt).min(prompt.len() - 1);
        // Overwriting most of another conversation: keep it on disk for its return. (A
        // chat's next turn drops at most a token or two, and is not saved each time.)
        if reusable * 2 < self.sequences[seq].tokens.len() {
            self.save_sequence(seq);
        }
        let reused = self.truncate_cache(seq, reusable)?;
        let started = Instant::now();
        let guessing = self.limits.speculative && request.options.speculative.unwrap_or(true);
        Ok(Slot {
            seq: seq as i32,
            events: waiting.events.clone(),
            cancel: waiting.cancel.clone(),
            sampler,
            prompt,
            prefilled: reused,
            n_past: reused as i32,
            reused,
            restored: restored.min(reused),
            next_token: None,
            logits_at: None,
            drafter: guessing.then(Drafter::default),
            draft: Draft::default(),
            draft_at: Vec::new(),
            model_guesses: (guessing && self.draft_model.is_some()).then(ModelGuesses::default),
            stream: TextStream::new(request.options.stop.clone()),
            preserved,
            guarded: request.grammar.is_some() && !request.grammar_triggers.is_empty(),
            greedy: request.options.temperature <= 0.0
                && request.options.repeat_penalty == 1.0
                && request.grammar.is_none(),
            budget: request.thinking_budget.clone().map(BudgetWatch::new),
            forced: VecDeque::new(),
            output: String::new(),
            generated: 0,
            max_tokens: request.options.max_tokens.map(|n| n as usize),
            ignore_eos: request.options.ignore_eos,
            queue_ms: started.duration_since(waiting.enqueued).as_secs_f64() * 1000.0,
            started,
            first_token: None,
        })
    }

    fn stop_cancelled(&mut self) {
        for index in 0..self.slots.len() {
            let cancelled = self.slots[index]
                .as_ref()
                .is_some_and(|s| s.cancel.is_cancelled() || s.events.is_disconnected());
            if cancelled {
                self.finish(index, StopReason::Cancelled);
            }
        }
    }

    /// One decode call covering every active slot.
    fn step(&mut self) {
        self.batch.clear();
        let capacity = self.limits.batch_size.max(self.limits.parallel);
        let context_length = self.limits.context_length as usize;
        let mut used = 0usize;
        let answering = self
            .slots
            .iter()
            .flatten()
            .filter(|s| s.next_token.is_some())
            .count();
        // Answering slots first: one token each keeps every stream moving, and after it
        // the slot's guess of the tokens that follow, if one is worth its cost: copied
        // from the text where it offers a copy, else asked of the draft model (below).
        let mut model_wants: Vec<(usize, usize)> = Vec::new();
        for (index, slot) in self.slots.iter_mut().enumerate() {
            let Some(slot) = slot.as_mut() else {
                continue;
            };
            slot.logits_at = None;
            slot.draft = Draft::default();
            slot.draft_at.clear();
            let Some(token) = slot.next_token.take() else {
                continue;
            };
            if self
                .batch
                .add(token, slot.n_past, &[slot.seq], true)
                .is_err()
            {
                continue;
            }
            slot.logits_at = Some(used as i32);
            slot.n_past += 1;
            used += 1;
            let seq = slot.seq as usize;
            self.sequences[seq].tokens.push(token);
            self.sequences[seq].unsaved = true;
            let Some(drafter) = slot.drafter.as_mut().filter(|_| slot.forced.is_empty()) else {
                continue;
            };
            // Room for the guess: in the batch (one token kept for each other answering
            // slot), in the context (with the token sampled after it), and in max_tokens.
            let room = [
                capacity.saturating_sub(used + answering.saturating_sub(1)),
                context_length.saturating_sub(slot.n_past as usize + 2),
                slot.max_tokens
                    .map_or(usize::MAX, |max| max.saturating_sub(slot.generated + 1)),
            ]
            .into_iter()
            .min()
            .unwrap_or(0);
            let draft = drafter.draft(
                &self.sequences[seq].tokens,
                room,
                answering - 1,
                &self.step_cost,
            );
            if draft.tokens.is_empty() {
                if slot.model_guesses.is_some() && room > 0 {
                    model_wants.push((index, room));
                }
                continue;
            }
            slot.draft.matched = draft.matched;
            used = add_guesses(
                &mut self.batch,
                slot,
                &mut self.sequences[seq],
                &draft.tokens,
                used,
            );
        }
        if !model_wants.is_empty() {
            used = self.add_model_drafts(&model_wants, used, capacity, answering);
        }
        let generating_only = used > 0;
        // Then prompt chunks in slot order, as much as the batch holds.
        let mut reading = false;
        for slot in self.slots.iter_mut().flatten() {
            if slot.state() != SequenceState::Prefill || used >= capacity {
                continue;
            }
            let remaining = slot.prompt.len() - slot.prefilled;
            reading = true;
            let take = remaining.min(capacity - used);
            for k in slot.prefilled..slot.prefilled + take {
                let last = k + 1 == slot.prompt.len();
                if self
                    .batch
                    .add(slot.prompt[k], slot.n_past, &[slot.seq], last)
                    .is_err()
                {
                    break;
                }
                if last {
                    slot.logits_at = Some(used as i32);
                }
                slot.n_past += 1;
                used += 1;
            }
            self.sequences[slot.seq as usize]
                .tokens
                .extend_from_slice(&slot.prompt[slot.prefilled..slot.prefilled + take]);
            self.sequences[slot.seq as usize].unsaved = true;
            slot.prefilled += take;
        }
        if used == 0 {
            return;
        }
        let decoding = Instant::now();
        if let Err(e) = self.ctx.decode(&mut self.batch) {
            let reason = e.to_string();
            for index in 0..self.slots.len() {
                if let Some(slot) = self.slots[index].take() {
                    let _ = slot.events.send(GenerationEvent::Failed {
                        error: LlmError::Decode {
                            reason: reason.clone(),
                        },
                    });
                    let _ = self
                        .ctx
                        .clear_kv_cache_seq(Some(slot.seq as u32), None, None);
                    self.sequences[slot.seq as usize].tokens.clear();
                    self.sequences[slot.seq as usize].unsaved = false;
                }
            }
            return;
        }
        for index in 0..self.slots.len() {
            self.verify(index);
        }
        // Steps of answering tokens and guesses only (every token with logits, no
        // prompt) are the ones a guess makes longer; their time includes sampling, as
        // the tokens a guess brings would each be sampled anyway.
        if generating_only && !reading {
            let ms = decoding.elapsed().as_secs_f64() * 1000.0;
            tracing::trace!(tokens = used, ms, "answering step");
            self.step_cost.record(used, ms);
        }
    }

    /// Asks the draft model for the guesses of the slots in `wants` (slot index, room)
    /// and adds them to the batch after the `used` entries already there; returns the
    /// entries used now.
    fn add_model_drafts(
        &mut self,
        wants: &[(usize, usize)],
        mut used: usize,
        capacity: usize,
        answering: usize,
    ) -> usize {
        let Some(draft_model) = self.draft_model.as_mut() else {
            return used;
        };
        let free = capacity.saturating_sub(used);
        let asks: Vec<Want<'_>> = wants
            .iter()
            .filter_map(|&(index, room)| {
                let slot = self.slots[index].as_ref()?;
                let seq = slot.seq as usize;
                Some(Want {
                    seq,
                    history: &self.sequences[seq].tokens,
                    limit: room.min(free / wants.len()),
                    rate: slot.model_guesses.as_ref()?.rate.rate(),
                    others: answering - 1,
                })
            })
            .collect();
        let asked: Vec<usize> = asks.iter().map(|want| want.seq).collect();
        let drafts = draft_model.draft(&asks, &self.step_cost);
        drop(asks);
        // Slots are indexed by their sequence.
        for (seq, guesses) in asked.into_iter().zip(drafts) {
            let Some(slot) = self.slots[seq].as_mut() else {
                continue;
            };
            slot.draft.from_model = true;
            used = add_guesses(
                &mut self.batch,
                slot,
                &mut self.sequences[seq],
                &guesses,
                used,
            );
        }
        used
    }

    /// Samples the slot at `index` from this step's logits: its next token, then, while
    /// each sample equals the slot's guess, the token after it. Keeps the guessed tokens
    /// that held and drops the rest from the cache.
    fn verify(&mut self, index: usize) {
        let Some(slot) = self.slots[index].as_mut() else {
            return;
        };
        let Some(at) = slot.logits_at.take() else {
            return;
        };
        let draft = std::mem::take(&mut slot.draft);
        let draft_at = std::mem::take(&mut slot.draft_at);
        // Positions count only what the model has agreed to so far.
        slot.n_past -= draft.tokens.len() as i32;
        let mut accepted = 0usize;
        let mut ended: Option<std::result::Result<StopReason, LlmError>> = None;
        while let Some(slot) = self.slots[index].as_mut() {
            // The logits after the last token that held: the answering token's, then
            // each guessed token's.
            let at = match accepted {
                0 => at,
                n => draft_at[n - 1],
            };
            let token = match slot.forced.pop_front() {
                Some(token) => {
                    // Written, not sampled: the sampler still sees it, so repetition
                    // penalties and a grammar follow the real output.
                    slot.sampler.accept(token);
                    token
                }
                None if slot.guarded => match guarded_sample(&mut slot.sampler, &self.ctx, at) {
                    Ok(token) => token,
                    Err(reason) => {
                        ended = Some(Err(LlmError::Decode { reason }));
                        break;
                    }
                },
                None if slot.greedy => best_logit(self.ctx.get_logits_ith(at)),
                None => slot.sampler.sample(&self.ctx, at),
            };
            if slot.first_token.is_none() {
                slot.first_token = Some(Instant::now());
            }
            if let Some(reason) = self.accept(index, token) {
                ended = Some(Ok(reason));
                break;
            }
            let Some(slot) = self.slots[index].as_mut() else {
                break;
            };
            let held = draft.tokens.get(accepted) == Some(&token) && slot.forced.is_empty();
            if !held {
                break;
            }
            // The guessed token is in the cache already: the model's next token is
            // sampled from its logits instead of decoding it again.
            accepted += 1;
            slot.n_past += 1;
            slot.next_token = None;
        }
        let Some(slot) = self.slots[index].as_mut() else {
            return;
        };
        if !draft.tokens.is_empty() {
            tracing::trace!(
                matched = draft.matched,
                from_model = draft.from_model,
                guessed = draft.tokens.len(),
                accepted,
                "guess checked"
            );
        }
        match (
            draft.from_model,
            slot.drafter.as_mut(),
            slot.model_guesses.as_mut(),
        ) {
            (true, _, Some(guesses)) => guesses.record(draft.tokens.len(), accepted),
            (false, Some(drafter), _) => drafter.record(&draft, accepted),
            _ => {}
        }
        let seq = slot.seq as usize;
        let keep = slot.n_past as usize;
        if self.sequences[seq].tokens.len() > keep && !self.drop_tail(seq, keep) {
            ended = Some(Err(LlmError::Decode {
                reason: "the model's cache could not drop a rejected guess".into(),
            }));
        }
        match ended {
            Some(Ok(reason)) => self.finish(index, reason),
            Some(Err(error)) => self.fail(index, error),
            None => {}
        }
    }

    /// Drops the tokens of `seq` from position `keep` on (a rejected guess). When the
    /// cache cannot drop a tail it is emptied and false returned.
    fn drop_tail(&mut self, seq: usize, keep: usize) -> bool {
        match self
            .ctx
            .clear_kv_cache_seq(Some(seq as u32), Some(keep as u32), None)
        {
            Ok(true) => {
                self.sequences[seq].tokens.truncate(keep);
                true
            }
            _ => {
                let _ = self.ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
                self.sequences[seq].tokens.clear();
                self.sequences[seq].unsaved = false;
                false
            }
        }
    }

    /// Streams a sampled token; returns why the slot stops, if it does.
    fn accept(&mut self, index: usize, token: LlamaToken) -> Option<StopReason> {
        let model = self.model;
        let context_length = self.limits.context_length as i32;
        let slot = self.slots[index].as_mut()?;
        if model.vocab().is_eog(token) && !slot.ignore_eos {
            return Some(StopReason::EndOfGeneration);
        }
        slot.generated += 1;
        let special = slot.preserved.contains(&token);
        let bytes = model.vocab().token_to_piece(token, special, None);
        if let Some(close) = slot
            .budget
            .as_mut()
            .and_then(|b| b.token(&String::from_utf8_lossy(&bytes)))
        {
            slot.forced = model
                .vocab()
                .tokenize(close.as_bytes(), false, true)
                .into_iter()
                .collect();
        }
        let step = slot.stream.push(&bytes);
        if !step.text.is_empty() {
            slot.output.push_str(&step.text);
            if slot
                .events
                .send(GenerationEvent::Delta { text: step.text })
                .is_err()
            {
                return Some(StopReason::Cancelled);
            }
        }
        if let Some(stop) = step.stopped_by {
            return Some(StopReason::StopString { stop });
        }
        if slot.max_tokens.is_some_and(|max| slot.generated >= max) {
            return Some(StopReason::MaxTokens);
        }
        if slot.n_past + 1 >= context_length {
            return Some(StopReason::ContextFull);
        }
        slot.next_token = Some(token);
        None
    }

    /// Ends a slot with an error; its sequence keeps the cache it has.
    fn fail(&mut self, index: usize, error: LlmError) {
        if let Some(slot) = self.slots[index].take() {
            let seq = slot.seq as usize;
            if std::mem::take(&mut self.sequences[seq].forget_when_done) {
                let _ = self.ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
                self.sequences[seq].tokens.clear();
                self.sequences[seq].unsaved = false;
            }
            let _ = slot.events.send(GenerationEvent::Failed { error });
        }
    }

    fn finish(&mut self, index: usize, reason: StopReason) {
        let Some(mut slot) = self.slots[index].take() else {
            return;
        };
        if !matches!(
            reason,
            StopReason::Cancelled | StopReason::StopString { .. }
        ) {
            let rest = slot.stream.finish();
            if !rest.is_empty() {
                slot.output.push_str(&rest);
                let _ = slot.events.send(GenerationEvent::Delta { text: rest });
            }
        }
        let now = Instant::now();
        let first = slot.first_token.unwrap_or(now);
        let completion = Completion {
            text: std::mem::take(&mut slot.output),
            reasoning: None,
            tool_calls: Vec::new(),
            stop_reason: reason,
            prompt_tokens: slot.prompt.len(),
            cached_tokens: slot.reused,
            restored_tokens: slot.restored,
            completion_tokens: slot.generated,
            drafted_tokens: slot.drafter.as_ref().map_or(0, |d| d.drafted)
                + slot.model_guesses.map_or(0, |g| g.drafted),
            accepted_tokens: slot.drafter.as_ref().map_or(0, |d| d.accepted)
                + slot.model_guesses.map_or(0, |g| g.accepted),
            accepted_from_draft_model: slot.model_guesses.map_or(0, |g| g.accepted),
            prompt_ms: first.duration_since(slot.started).as_secs_f64() * 1000.0,
            generation_ms: now.duration_since(first).as_secs_f64() * 1000.0,
            queue_ms: slot.queue_ms,
        };
        // The sequence keeps its cache for the next request with the same beginning,
        // unless its contexts were forgotten while it ran.
        let seq = slot.seq as usize;
        if std::mem::take(&mut self.sequences[seq].forget_when_done) {
            let _ = self.ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
            self.sequences[seq].tokens.clear();
            self.sequences[seq].unsaved = false;
        }
        let _ = slot.events.send(GenerationEvent::Done { completion });
    }
}

/// Puts `guesses` into the batch after `slot`'s token, from batch index `used` on, as
/// many as the batch takes: they become the slot's draft (with their batch indices) and
/// the tail of its sequence's tokens. Returns the batch entries used now.
fn add_guesses(
    batch: &mut LlamaBatch<'static>,
    slot: &mut Slot,
    sequence: &mut Sequence,
    guesses: &[LlamaToken],
    mut used: usize,
) -> usize {
    for &guess in guesses {
        if batch.add(guess, slot.n_past, &[slot.seq], true).is_err() {
            break;
        }
        slot.draft.tokens.push(guess);
        slot.draft_at.push(used as i32);
        slot.n_past += 1;
        used += 1;
    }
    sequence.tokens.extend_from_slice(&slot.draft.tokens);
    used
}

/// The token with the highest logit, the first on a tie, as llama.cpp's greedy sampler
/// picks it.
fn best_logit(logits: &[f32]) -> LlamaToken {
    let mut best = 0;
    for (i, &logit) in logits.iter().enumerate() {
        if logit > logits[best] {
            best = i;
        }
    }
    LlamaToken(best as i32)
}

/// `sampler.sample` done in two steps: apply the chain to the logits, then accept the
/// pick through the binding's exception-catching call, so a grammar llama.cpp cannot
/// continue ends this answer with an error instead of the process.
fn guarded_sample(
    sampler: &mut LlamaSampler,
    ctx: &LlamaContext<'_>,
    at: i32,
) -> std::result::Result<LlamaToken, String> {
    let mut candidates = LlamaTokenDataArray::from_iter(ctx.candidates_ith(at), false);
    candidates.apply_sampler(sampler);
    let token = candidates
        .selected_token()
        .ok_or_else(|| "the sampler chose no token (the grammar allows none)".to_owned())?;
    sampler
        .try_accept(token)
        .map_err(|e| format!("the tool-call grammar could not follow the model's output ({e})"))?;
    Ok(token)
}
