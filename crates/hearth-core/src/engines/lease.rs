//! Who is using a loaded model. Every engine handed out carries a lease, and so does
//! every answer started through it; a model with a lease out is busy and is never
//! unloaded. Dropping the last one marks the time of last use, which the memory budget
//! and the idle timeout go by.

use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Instant;

use hearth_llm::{
    ChatMessage, Engine, EngineRequest, Generation, GenerationOptions, ModelInfo, TemplateSource,
};

thread_local! {
    /// Which piece of work this thread is doing: bumped by [`begin_work_on_this_thread`]
    /// where a pool hands one thread many unrelated requests.
    static WORK: Cell<u64> = const { Cell::new(0) };
}

/// Marks the start of a new, unrelated piece of work on a pooled thread (a server's
/// blocking-task pool): leases that earlier work on this thread took and handed on (an
/// answer still streaming elsewhere) no longer count as held by this thread, so a load
/// here waits for them like any other busy model instead of loading over the budget.
/// Threads that run one job each need not call it.
pub fn begin_work_on_this_thread() {
    WORK.with(|work| work.set(work.get().wrapping_add(1)));
}

/// The thread and the piece of work on it that took a lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Holder {
    thread: ThreadId,
    work: u64,
}

impl Holder {
    fn here() -> Self {
        Self {
            thread: std::thread::current().id(),
            work: WORK.with(Cell::get),
        }
    }
}

/// A loaded model's use, shared by its registry entry and its leases.
pub(crate) struct Usage {
    last_used: Mutex<Instant>,
    /// The thread (and the work on it) each lease out was taken by, once per lease.
    holders: Mutex<Vec<Holder>>,
    /// Woken when a lease ends, for a load waiting for a busy model to finish.
    on_release: Box<dyn Fn() + Send + Sync>,
}

impl Usage {
    pub(crate) fn new(on_release: impl Fn() + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            last_used: Mutex::new(Instant::now()),
            holders: Mutex::default(),
            on_release: Box::new(on_release),
        })
    }

    fn touch(&self) {
        if let Ok(mut last) = self.last_used.lock() {
            *last = Instant::now();
        }
    }

    pub(crate) fn last_used(&self) -> Instant {
        self.last_used
            .lock()
            .map(|l| *l)
            .unwrap_or_else(|_| Instant::now())
    }

    /// Whether any lease is out: the registry's own reference is the one that is not.
    pub(crate) fn is_busy(self: &Arc<Self>) -> bool {
        Arc::strong_count(self) > 1
    }

    /// Whether a lease out was taken by the work running on the calling thread: a load
    /// it waits for could then wait for itself (a workflow holds each step's model for
    /// its run).
    pub(crate) fn is_held_here(&self) -> bool {
        let here = Holder::here();
        self.holders
            .lock()
            .map(|h| h.contains(&here))
            .unwrap_or(false)
    }

    pub(crate) fn lease(self: &Arc<Self>) -> Lease {
        self.touch();
        let holder = Holder::here();
        if let Ok(mut holders) = self.holders.lock() {
            holders.push(holder);
        }
        Lease {
            usage: self.clone(),
            holder,
        }
    }
}

/// One claim on a loaded model.
pub(crate) struct Lease {
    usage: Arc<Usage>,
    holder: Holder,
}

impl Clone for Lease {
    fn clone(&self) -> Self {
        self.usage.lease()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.usage.touch();
        if let Ok(mut holders) = self.usage.holders.lock() {
            if let Some(at) = holders.iter().position(|h| *h == self.holder) {
                holders.swap_remove(at);
            }
        }
        (self.usage.on_release)();
    }
}

/// A loaded model's engine with a lease: the answers it starts hold one each, so the
/// model stays loaded until they end even when the handle is dropped first.
pub(crate) struct LeasedEngine {
    inner: Arc<dyn Engine>,
    lease: Lease,
}

impl LeasedEngine {
    pub(crate) fn new(inner: Arc<dyn Engine>, lease: Lease) -> Self {
        Self { inner, lease }
    }
}

impl Engine for LeasedEngine {
    fn info(&self) -> ModelInfo {
        self.inner.info()
    }

    fn submit(&self, request: EngineRequest) -> hearth_llm::Result<Generation> {
        Ok(self.inner.submit(request)?.holding(self.lease.clone()))
    }

    fn chat(
        &self,
        messages: &[ChatMessage],
        options: GenerationOptions,
    ) -> hearth_llm::Result<(Generation, TemplateSource)> {
        let (generation, source) = self.inner.chat(messages, options)?;
        Ok((generation.holding(self.lease.clone()), source))
    }

    fn tokenize(&self, text: &str, add_special: bool) -> hearth_llm::Result<Vec<u32>> {
        self.inner.tokenize(text, add_special)
    }

    fn detokenize(&self, tokens: &[u32]) -> hearth_llm::Result<String> {
        self.inner.detokenize(tokens)
    }

    fn count_tokens(&self, text: &str) -> hearth_llm::Result<usize> {
        self.inner.count_tokens(text)
    }

    fn forget_contexts(&self) -> hearth_llm::Result<()> {
        self.inner.forget_contexts()
    }

    fn stop(&self) {
        self.inner.stop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_model_is_busy_while_a_lease_or_an_answer_holding_one_is_out() {
        let releases = Arc::new(AtomicUsize::new(0));
        let counted = releases.clone();
        let usage = Usage::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
        });
        assert!(!usage.is_busy());
        let lease = usage.lease();
        assert!(usage.is_busy());
        assert!(usage.is_held_here());
        let elsewhere = usage.clone();
        std::thread::spawn(move || assert!(!elsewhere.is_held_here()))
            .join()
            .unwrap();
        let (sender, receiver) = flume::unbounded();
        let generation = Generation::new(receiver, Default::default()).holding(lease.clone());
        drop(lease);
        assert!(usage.is_busy(), "the answer still holds its lease");
        assert_eq!(releases.load(Ordering::SeqCst), 1);

        let before = usage.last_used();
        sender
            .send(hearth_llm::GenerationEvent::Failed {
                error: hearth_llm::LlmError::Cancelled,
            })
            .unwrap();
        let mut generation = generation;
        assert!(generation.next_event().is_some());
        assert!(!usage.is_busy(), "the final event ends the claim");
        assert!(!usage.is_held_here());
        assert_eq!(releases.load(Ordering::SeqCst), 2);
        assert!(usage.last_used() >= before);
        drop(generation);
    }

    #[test]
    fn a_lease_from_earlier_work_on_a_pooled_thread_is_not_held_by_the_next() {
        let usage = Usage::new(|| {});
        let handed_on = usage.lease();
        assert!(usage.is_held_here());
        // The pool gives this thread an unrelated request; the first one's answer is
        // still out, held by someone else now.
        begin_work_on_this_thread();
        assert!(usage.is_busy());
        assert!(!usage.is_held_here());
        let own = usage.lease();
        assert!(usage.is_held_here());
        drop(own);
        assert!(!usage.is_held_here());
        drop(handed_on);
        assert!(!usage.is_busy());
    }
}
