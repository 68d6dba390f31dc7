//! What every handler shares: the `Hearth` facade and the registry of running jobs
//! (chat answers, summaries, translations, downloads) that a client may cancel by id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hearth_core::Hearth;

#[derive(Clone)]
pub struct AppState {
    pub hearth: Arc<Hearth>,
    pub jobs: Arc<Jobs>,
}

impl AppState {
    pub fn new(hearth: Arc<Hearth>) -> Self {
        Self {
            hearth,
            jobs: Arc::default(),
        }
    }
}

type Cancel = Box<dyn Fn() + Send + Sync>;

/// Running jobs by id. A job removes itself when it ends (through [`JobEntry`]'s drop),
/// so the registry holds only what can still be cancelled.
#[derive(Default)]
pub struct Jobs {
    running: Mutex<HashMap<String, Cancel>>,
}

impl Jobs {
    /// Registers a job; keep the entry for as long as the job runs. Dropping the entry
    /// cancels the job too, so a job whose client went away does not run on unseen.
    pub fn register(
        self: &Arc<Self>,
        id: String,
        cancel: impl Fn() + Send + Sync + 'static,
    ) -> JobEntry {
        if let Ok(mut running) = self.running.lock() {
            running.insert(id.clone(), Box::new(cancel));
        }
        JobEntry {
            jobs: self.clone(),
            id,
        }
    }

    /// Cancels a running job; false when no job has that id (it finished, or never was).
    pub fn cancel(&self, id: &str) -> bool {
        let Ok(running) = self.running.lock() else {
            return false;
        };
        match running.get(id) {
            Some(cancel) => {
                cancel();
                true
            }
            None => false,
        }
    }

    /// Cancels every running job (at shutdown, so open streams end and the server can stop).
    pub fn cancel_all(&self) {
        if let Ok(running) = self.running.lock() {
            for cancel in running.values() {
                cancel();
            }
        }
    }

    pub fn count(&self) -> usize {
        self.running.lock().map(|r| r.len()).unwrap_or_default()
    }
}

/// A registered job; dropping it cancels the job (a no-op once finished) and forgets it.
pub struct JobEntry {
    jobs: Arc<Jobs>,
    pub id: String,
}

impl Drop for JobEntry {
    fn drop(&mut self) {
        if let Ok(mut running) = self.jobs.running.lock() {
            if let Some(cancel) = running.remove(&self.id) {
                cancel();
            }
        }
    }
}
