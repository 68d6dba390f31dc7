//! Running many independent prompts through one engine: up to `window` at a time, so
//! the engine decodes them as parallel sequences in one batch, with results in order,
//! progress after each, and cancellation that reaches the generations in flight.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use hearth_llm::{CancelToken, ChatMessage, Completion, Engine, GenerationOptions, StopReason};

use crate::error::{CoreError, Result};

/// Stops a summarize or translate job: the flag is checked between steps, and the
/// generations running when it is set are cancelled at once.
#[derive(Clone, Debug)]
pub struct Cancellation {
    flag: CancelToken,
    running: Arc<Mutex<Vec<CancelToken>>>,
}

impl Default for Cancellation {
    fn default() -> Self {
        Self::new()
    }
}

impl Cancellation {
    pub fn new() -> Self {
        let running: Arc<Mutex<Vec<CancelToken>>> = Arc::default();
        let to_stop = running.clone();
        let flag = CancelToken::with_notify(move || {
            if let Ok(running) = to_stop.lock() {
                running.iter().for_each(CancelToken::cancel);
            }
        });
        Self { flag, running }
    }

    pub fn cancel(&self) {
        self.flag.cancel();
    }

    /// A token whose `cancel` cancels the job (for a Ctrl-C handler or a server's
    /// disconnect watcher that speak in [`CancelToken`]s).
    pub fn token(&self) -> CancelToken {
        self.flag.clone()
    }

    pub fn is_cancelled(&self) -> bool {
        self.flag.is_cancelled()
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(CoreError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Tracks a running generation's token; one registered after `cancel` is
    /// cancelled on the spot.
    fn register(&self, token: CancelToken) {
        if let Ok(mut running) = self.running.lock() {
            running.retain(|t| !t.is_cancelled());
            running.push(token.clone());
        }
        if self.is_cancelled() {
            token.cancel();
        }
    }
}

/// Runs `prompts` with at most `window` in flight; `on_done(i)` after each finishes.
/// Completions come back in the order of the prompts.
pub(crate) fn run_all(
    engine: &dyn Engine,
    prompts: Vec<(Vec<ChatMessage>, GenerationOptions)>,
    window: usize,
    cancel: &Cancellation,
    on_done: &mut dyn FnMut(usize),
) -> Result<Vec<Completion>> {
    let window = window.max(1);
    let total = prompts.len();
    let mut pending = prompts.into_iter();
    let mut in_flight = VecDeque::new();
    let mut done = Vec::with_capacity(total);
    loop {
        while in_flight.len() < window {
            let Some((messages, options)) = pending.next() else {
                break;
            };
            cancel.check()?;
            let (generation, _template) = engine.chat(&messages, options)?;
            cancel.register(generation.cancel_token());
            in_flight.push_back(generation);
        }
        // The oldest finishes first or close to it: all in flight decode together.
        let Some(generation) = in_flight.pop_front() else {
            break;
        };
        let completion = generation.wait()?;
        if completion.stop_reason == StopReason::Cancelled || cancel.is_cancelled() {
            return Err(CoreError::Cancelled);
        }
        done.push(completion);
        on_done(done.len());
    }
    Ok(done)
}
