//! The loaded models: one engine per [`EngineKey`], loaded on first use, shared by every
//! request for that key, and unloaded when memory is needed or the model sits idle.
//!
//! - **One load per key, none blocking another.** The registry's lock is held only to
//!   look up and to record; a model loads outside it, so answers from loaded models,
//!   remote ones and other loads go on meanwhile. A second request for a model that is
//!   loading waits for that load instead of starting another.
//! - **A memory budget.** Before a model loads, idle models are unloaded least recently
//!   used first until the new one fits in the budget (RAM, and each GPU's memory), as
//!   [`budget::plan`] decides. A model answering (or held by a caller about to use it)
//!   is never unloaded: the new one waits for it.
//! - **Idle models unload** after a timeout (the `unload_idle_minutes` setting), as
//!   Ollama's `keep_alive` does, so a model used once does not hold gigabytes all day.
//!
//! Unloading a model stops its engine, which saves its conversation contexts first, so
//! the next answer there restores them instead of reading the whole conversation again.

mod budget;
mod idle;
mod key;
mod lease;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use hearth_llm::Engine;
use serde::Serialize;

use crate::audit::ModelHash;
use crate::error::{CoreError, Result};
use crate::hearth::poisoned;

pub use budget::{Budget, MemoryCost};
use budget::{Plan, Resident};
pub use key::EngineKey;
pub use lease::begin_work_on_this_thread;
use lease::{Lease, LeasedEngine, Usage};

/// How long a load waits for busy models to finish before it gives up with
/// [`CoreError::MemoryBudgetBusy`]. Long enough for an answer, a title or a step of a
/// summary; a document job that runs longer keeps its model, and the user can unload
/// it by hand or raise the budget.
const WAIT_FOR_BUSY: Duration = Duration::from_secs(300);
/// How often a waiting load looks again, in case a release woke nobody.
const RECHECK: Duration = Duration::from_millis(250);
/// How often idle models are looked for.
const IDLE_CHECK: Duration = Duration::from_secs(15);

/// A model ready to answer: its engine, its file's hash, and a lease that keeps it
/// loaded while this handle lives.
pub(crate) struct LoadedModel {
    engine: Arc<dyn Engine>,
    hash: Arc<ModelHash>,
    lease: Lease,
}

impl LoadedModel {
    /// The engine as callers get it: wrapped by `wrap` (the audit log's wrapper), with the
    /// lease outermost, so the model counts as busy until the caller has read the end of
    /// every answer it started, not only until the model has written it.
    pub(crate) fn engine_with(
        &self,
        wrap: impl FnOnce(Arc<dyn Engine>, Arc<ModelHash>) -> Arc<dyn Engine>,
    ) -> Arc<dyn Engine> {
        Arc::new(LeasedEngine::new(
            wrap(self.engine.clone(), self.hash.clone()),
            self.lease.clone(),
        ))
    }

    /// Whether a remote provider runs it.
    pub(crate) fn is_remote(&self) -> bool {
        self.engine.info().provider.is_some()
    }
}

/// A model loaded now, as the Models page and `/api/models/loaded` list it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadedModelView {
    /// What unloading names it by (see [`EngineKey`]'s display).
    pub id: String,
    /// The file's name, for people.
    pub model: String,
    pub path: PathBuf,
    /// The LoRA adapter applied to it, if any.
    pub adapter: Option<PathBuf>,
    /// What it holds, as estimated from its header and settings.
    pub memory: MemoryCost,
    /// Answering, or held by a request about to answer: it cannot be unloaded now.
    pub busy: bool,
    /// Seconds since it was last used.
    pub idle_seconds: u64,
}

/// The loaded models and the budget they share, for the Models page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadedModels {
    pub models: Vec<LoadedModelView>,
    /// Bytes of RAM the loaded models may hold together.
    pub budget_bytes: u64,
    /// Bytes of RAM they hold now, by their estimates, embedding models included.
    pub used_bytes: u64,
    /// Of those, what the embedding models (loaded for documents) hold: they come out
    /// of the budget before the chat models are fitted into it.
    pub embedding_bytes: u64,
    /// Minutes a model may sit idle before it is unloaded; 0 for never.
    pub unload_idle_minutes: u32,
}

/// A loaded engine and its file's hash, as a load makes them.
pub(crate) type Loaded = (Arc<dyn Engine>, Arc<ModelHash>);
/// Told which busy models a load waits for.
type OnWait<'a> = Box<dyn FnMut(&[EngineKey]) + 'a>;

/// What the registry needs to bring a model in; only called when it is not loaded.
pub(crate) struct LoadPlan<'a> {
    /// What the model will hold, read from its header (cheap; no loading).
    pub cost: Box<dyn FnOnce() -> MemoryCost + 'a>,
    pub budget: Box<dyn FnOnce() -> Budget + 'a>,
    /// Told which models the load waits for, each time that changes.
    pub waiting: OnWait<'a>,
    pub load: Box<dyn FnOnce() -> Result<Loaded> + 'a>,
}

impl<'a> LoadPlan<'a> {
    /// For a model that holds no memory worth a budget: a remote one, a test's fake.
    pub(crate) fn free(load: impl FnOnce() -> Result<Loaded> + 'a) -> Self {
        Self {
            cost: Box::new(MemoryCost::default),
            budget: Box::new(Budget::default),
            waiting: Box::new(|_| {}),
            load: Box::new(load),
        }
    }
}

pub(crate) struct Engines {
    shared: Arc<Shared>,
    /// Dropping it ends the idle check.
    _idle: Option<idle::IdleCheck>,
}

struct Shared {
    slots: Mutex<HashMap<EngineKey, Slot>>,
    /// Woken when a load ends or a model stops being busy.
    changed: Condvar,
    /// Seconds an idle model stays loaded; 0 for as long as Hearth runs.
    idle_after_s: AtomicU64,
}

enum Slot {
    /// Its memory is counted from the start, so two loads cannot both claim the room.
    Loading {
        cost: MemoryCost,
    },
    Ready(Entry),
}

struct Entry {
    /// The engine itself, without a lease: handed out only wrapped in one.
    engine: Arc<dyn Engine>,
    hash: Arc<ModelHash>,
    cost: MemoryCost,
    usage: Arc<Usage>,
}

impl Engines {
    pub(crate) fn new(idle_after: Option<Duration>) -> Self {
        let shared = Arc::new(Shared {
            slots: Mutex::default(),
            changed: Condvar::new(),
            idle_after_s: AtomicU64::new(0),
        });
        shared.set_idle_after(idle_after);
        let weak = Arc::downgrade(&shared);
        let idle = idle::IdleCheck::start(IDLE_CHECK, move || match weak.upgrade() {
            Some(shared) => {
                shared.unload_idle(Instant::now());
                true
            }
            None => false,
        });
        Self {
            shared,
            _idle: idle,
        }
    }

    pub(crate) fn set_idle_after(&self, idle_after: Option<Duration>) {
        self.shared.set_idle_after(idle_after);
    }

    /// The engine for `key`: the loaded one, or the one `plan` loads after the budget
    /// has made room for it.
    pub(crate) fn get_or_load(&self, key: &EngineKey, plan: LoadPlan<'_>) -> Result<LoadedModel> {
        let LoadPlan {
            cost,
            budget,
            mut waiting,
            load,
        } = plan;
        let mut cost = Some(cost);
        let mut needed: Option<MemoryCost> = None;
        let mut budget = Some(budget);
        let mut limit: Option<Budget> = None;
        let mut waited_for: Vec<EngineKey> = Vec::new();
        let mut wait_started: Option<Instant> = None;
        let mut slots = self.shared.lock()?;
        let evicted = loop {
            match slots.get(key) {
                Some(Slot::Ready(entry)) => return Ok(entry.handle()),
                Some(Slot::Loading { .. }) => {
                    slots = self.shared.wait(slots)?;
                    continue;
                }
                None => {}
            }
            // Reading the header and the GPUs' memory is done once, outside the lock;
            // the slots are looked at again after it.
            let (Some(needed), Some(limit)) = (&needed, &limit) else {
                drop(slots);
                needed = Some(cost.take().map(|c| c()).unwrap_or_default());
                limit = Some(budget.take().map(|b| b()).unwrap_or_default());
                slots = self.shared.lock()?;
                continue;
            };
            let residents: Vec<Resident<EngineKey>> = slots
                .iter()
                .map(|(key, slot)| match slot {
                    Slot::Loading { cost } => Resident {
                        key: key.clone(),
                        cost: cost.clone(),
                        busy: true,
                        last_used: Instant::now(),
                    },
                    Slot::Ready(entry) => Resident {
                        key: key.clone(),
                        cost: entry.cost.clone(),
                        busy: entry.usage.is_busy(),
                        last_used: entry.usage.last_used(),
                    },
                })
                .collect();
            let (evict, busy) = match budget::plan(&residents, needed, limit) {
                Plan::Load { evict } => (evict, Vec::new()),
                Plan::Wait { busy, evict } => (evict, busy),
            };
            // Waiting helps only if another thread can end what is busy. A job holding
            // every busy model itself (a workflow keeps each step's model for its run)
            // needs them all at once: it gets them, over the budget, as a model bigger
            // than the budget is loaded alone.
            let wait = !busy.is_empty()
                && !busy.iter().all(|key| match slots.get(key) {
                    Some(Slot::Ready(entry)) => entry.usage.is_held_here(),
                    _ => false,
                });
            if !wait {
                if !busy.is_empty() {
                    tracing::warn!(model = %key, ?busy, "loading over the memory budget: this job holds the other models it needs");
                }
                let evicted: Vec<(EngineKey, Entry)> = evict
                    .into_iter()
                    .filter_map(|key| match slots.remove(&key) {
                        Some(Slot::Ready(entry)) => Some((key, entry)),
                        _ => None,
                    })
                    .collect();
                slots.insert(
                    key.clone(),
                    Slot::Loading {
                        cost: needed.clone(),
                    },
                );
                break evicted;
            }
            let started = *wait_started.get_or_insert_with(Instant::now);
            if started.elapsed() >= WAIT_FOR_BUSY {
                return Err(CoreError::MemoryBudgetBusy {
                    model: key.to_string(),
                    busy: busy
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    waited_s: started.elapsed().as_secs(),
                });
            }
            if busy != waited_for {
                tracing::info!(model = %key, ?busy, "waiting for busy models before loading");
                waiting(&busy);
                waited_for = busy;
            }
            slots = self.shared.wait(slots)?;
        };
        drop(slots);
        for (evicted_key, entry) in evicted {
            tracing::info!(model = %evicted_key, for_model = %key, "unloading a model to make room");
            entry.engine.stop();
        }

        let loaded = load();
        let mut slots = self.shared.lock()?;
        let result = match loaded {
            Ok((engine, hash)) => {
                let entry = Entry {
                    engine,
                    hash,
                    cost: needed.unwrap_or_default(),
                    usage: self.shared.usage(),
                };
                let handle = entry.handle();
                slots.insert(key.clone(), Slot::Ready(entry));
                Ok(handle)
            }
            Err(error) => {
                slots.remove(key);
                Err(error)
            }
        };
        drop(slots);
        self.shared.changed.notify_all();
        result
    }

    /// Every loaded engine (without leases), for dropping their conversation contexts.
    pub(crate) fn loaded_engines(&self) -> Result<Vec<Arc<dyn Engine>>> {
        Ok(self
            .shared
            .lock()?
            .values()
            .filter_map(|slot| match slot {
                Slot::Ready(entry) => Some(entry.engine.clone()),
                Slot::Loading { .. } => None,
            })
            .collect())
    }

    /// Forgets the engines of one remote provider: the next request builds them again
    /// with the provider's settings as they are now.
    pub(crate) fn drop_remote(&self, provider: &str) -> Result<()> {
        self.shared
            .lock()?
            .retain(|key, slot| !(key.is_remote_of(provider) && matches!(slot, Slot::Ready(_))));
        Ok(())
    }

    /// Unloads the model the Models page names `id`, unless it is answering.
    pub(crate) fn unload(&self, id: &str) -> Result<()> {
        let mut slots = self.shared.lock()?;
        let key = slots
            .iter()
            .find(|(key, slot)| matches!(slot, Slot::Ready(_)) && key.to_string() == id)
            .map(|(key, _)| key.clone())
            .ok_or_else(|| CoreError::NotLoaded { id: id.to_owned() })?;
        if let Some(Slot::Ready(entry)) = slots.get(&key) {
            if entry.usage.is_busy() {
                return Err(CoreError::ModelBusy {
                    model: key.to_string(),
                });
            }
        }
        let Some(Slot::Ready(entry)) = slots.remove(&key) else {
            return Err(CoreError::NotLoaded { id: id.to_owned() });
        };
        drop(slots);
        tracing::info!(model = %key, "unloading a model on request");
        entry.engine.stop();
        self.shared.changed.notify_all();
        Ok(())
    }

    /// Stops every loaded model now, busy or not (the app is quitting).
    pub(crate) fn unload_all(&self) {
        let entries: Vec<Entry> = match self.shared.slots.lock() {
            Ok(mut slots) => {
                let ready: Vec<EngineKey> = slots
                    .iter()
                    .filter(|(_, slot)| matches!(slot, Slot::Ready(_)))
                    .map(|(key, _)| key.clone())
                    .collect();
                ready
                    .iter()
                    .filter_map(|key| match slots.remove(key) {
                        Some(Slot::Ready(entry)) => Some(entry),
                        _ => None,
                    })
                    .collect()
            }
            Err(_) => return,
        };
        for entry in &entries {
            entry.engine.stop();
        }
        self.shared.changed.notify_all();
    }

    /// Unloads the models idle for the timeout or longer at `now`.
    #[cfg(test)]
    fn unload_idle(&self, now: Instant) -> Vec<EngineKey> {
        self.shared.unload_idle(now)
    }

    /// The local models loaded now, most recently used first.
    pub(crate) fn views(&self) -> Result<Vec<LoadedModelView>> {
        let slots = self.shared.lock()?;
        let mut views: Vec<(Instant, LoadedModelView)> = slots
            .iter()
            .filter_map(|(key, slot)| {
                let Slot::Ready(entry) = slot else {
                    return None;
                };
                let EngineKey::Local { path, adapter } = key else {
                    return None;
                };
                let last_used = entry.usage.last_used();
                Some((
                    last_used,
                    LoadedModelView {
                        id: key.to_string(),
                        model: path
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                        path: path.clone(),
                        adapter: adapter.as_ref().map(|a| a.path.clone()),
                        memory: entry.cost.clone(),
                        busy: entry.usage.is_busy(),
                        idle_seconds: last_used.elapsed().as_secs(),
                    },
                ))
            })
            .collect();
        views.sort_by_key(|(last_used, _)| std::cmp::Reverse(*last_used));
        Ok(views.into_iter().map(|(_, view)| view).collect())
    }
}

impl Drop for Engines {
    fn drop(&mut self) {
        self.unload_all();
    }
}

impl Shared {
    fn lock(&self) -> Result<MutexGuard<'_, HashMap<EngineKey, Slot>>> {
        self.slots.lock().map_err(|_| poisoned())
    }

    /// Waits for a change, or a short while: a release between a look at the slots and
    /// this wait would otherwise go unseen.
    fn wait<'a>(
        &self,
        slots: MutexGuard<'a, HashMap<EngineKey, Slot>>,
    ) -> Result<MutexGuard<'a, HashMap<EngineKey, Slot>>> {
        self.changed
            .wait_timeout(slots, RECHECK)
            .map(|(slots, _)| slots)
            .map_err(|_| poisoned())
    }

    fn set_idle_after(&self, idle_after: Option<Duration>) {
        let seconds = idle_after.map_or(0, |d| d.as_secs().max(1));
        self.idle_after_s.store(seconds, Ordering::Relaxed);
    }

    /// A new model's use, whose end wakes loads waiting for room.
    fn usage(self: &Arc<Self>) -> Arc<Usage> {
        let weak: Weak<Shared> = Arc::downgrade(self);
        Usage::new(move || {
            if let Some(shared) = weak.upgrade() {
                shared.changed.notify_all();
            }
        })
    }

    fn unload_idle(&self, now: Instant) -> Vec<EngineKey> {
        let seconds = self.idle_after_s.load(Ordering::Relaxed);
        if seconds == 0 {
            return Vec::new();
        }
        let idle_after = Duration::from_secs(seconds);
        let Ok(mut slots) = self.slots.lock() else {
            return Vec::new();
        };
        let idle: Vec<EngineKey> = slots
            .iter()
            .filter_map(|(key, slot)| match slot {
                Slot::Ready(entry)
                    if !entry.usage.is_busy()
                        && now.saturating_duration_since(entry.usage.last_used()) >= idle_after =>
                {
                    Some(key.clone())
                }
                _ => None,
            })
            .collect();
        let entries: Vec<Entry> = idle
            .iter()
            .filter_map(|key| match slots.remove(key) {
                Some(Slot::Ready(entry)) => Some(entry),
                _ => None,
            })
            .collect();
        drop(slots);
        for (key, entry) in idle.iter().zip(&entries) {
            tracing::info!(model = %key, idle_after_s = seconds, "unloading an idle model");
            entry.engine.stop();
        }
        self.changed.notify_all();
        idle
    }
}

impl Entry {
    fn handle(&self) -> LoadedModel {
        LoadedModel {
            engine: self.engine.clone(),
            hash: self.hash.clone(),
            lease: self.usage.lease(),
        }
    }
}

#[cfg(test)]
mod tests;
