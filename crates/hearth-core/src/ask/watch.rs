//! Watched collections: while a front end that stays up runs (the server, the desktop
//! app), the folders of every collection with watching on are watched (the `notify`
//! crate: inotify, FSEvents, ReadDirectoryChangesW), and what changes in them reaches
//! the index in the background, without the user asking.
//!
//! One thread owns the OS watcher. At start, and when watching is turned on for a
//! collection or a source comes back (a drive plugged in again), the collection is
//! rescanned: files changed while Hearth was not running are caught with the same hash
//! check as a manual rescan. Then changed paths are gathered until the folder has been
//! quiet for a moment (an editor's save or a copied folder is many events) and given to
//! [`Hearth::sync_collection_paths`], which indexes, moves or drops only those. The
//! thread holds the facade weakly, so it never keeps Hearth alive, and indexing takes
//! the same lock as a user's own ingestion, so the two never write the same files at once.
//!
//! What is happening is kept for the UI ([`Hearth::watch_status`]) and sent to
//! subscribers ([`Hearth::watch_events`]), which is how tests wait for a change to be
//! indexed instead of sleeping.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use serde::{Deserialize, Serialize};

use super::ingest::{FileOutcome, IngestEvent, IngestReport};
use crate::documents::Cancellation;
use crate::error::{CoreError, Result};
use crate::hearth::Hearth;

/// How long a folder must be quiet before its changes are indexed.
const QUIET: Duration = Duration::from_millis(400);
/// The longest changes wait while a folder keeps changing (a long copy).
const MOST_WAIT: Duration = Duration::from_secs(5);
/// How often sources that could not be watched are tried again.
const RETRY: Duration = Duration::from_secs(30);
/// Changes kept for the UI's "recent changes" list.
const RECENT: usize = 50;

/// What the folder watcher is doing, for the Documents page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WatchStatus {
    /// Whether this process watches folders at all (the server and the desktop app do;
    /// one-shot CLI commands do not).
    pub running: bool,
    /// The collections with watching on.
    pub collections: Vec<WatchedCollection>,
    /// What is being indexed now.
    pub indexing: Option<IndexingNow>,
    /// Changed paths waiting for their folder to be quiet.
    pub waiting: usize,
    /// The latest changes that reached the index, newest first.
    pub recent: VecDeque<WatchedChange>,
}

/// A collection whose folders are watched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchedCollection {
    pub name: String,
    /// Its sources being watched now.
    pub watched: Vec<String>,
    /// Sources that cannot be watched, with the reason (gone, or the system's watch
    /// limit reached); tried again every half minute.
    pub problems: Vec<String>,
}

/// The collection being brought up to date, and how far it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexingNow {
    pub collection: String,
    /// A whole-collection rescan, rather than changed paths.
    pub rescan: bool,
    pub progress: Option<IngestEvent>,
}

/// A file that changed in the index because it changed on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchedChange {
    pub collection: String,
    pub path: String,
    /// `added`, `updated`, `renamed`, `failed` or `removed`.
    pub change: String,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
}

/// What the watcher did, as it happens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum WatchEvent {
    /// The set of watched collections is (now) this.
    Watching { collections: Vec<WatchedCollection> },
    /// A collection's index is being brought up to date.
    Syncing { collection: String, rescan: bool },
    Progress {
        collection: String,
        progress: IngestEvent,
    },
    /// A collection's index is up to date with what the watcher saw.
    Synced {
        collection: String,
        rescan: bool,
        report: IngestReport,
    },
    /// Bringing a collection up to date failed; the next change tries again.
    Failed { collection: String, error: String },
}

/// The facade's side of the watcher: how collection changes reach it, what it reports.
#[derive(Default)]
pub(crate) struct WatchHub {
    control: Mutex<Option<mpsc::Sender<Control>>>,
    status: Mutex<WatchStatus>,
    subscribers: Mutex<Vec<mpsc::Sender<WatchEvent>>>,
}

enum Control {
    /// Collections or their sources changed; `rescan` is a collection to walk again;
    /// `done` hears when the watches are in place.
    Refresh {
        rescan: Option<i64>,
        done: Option<mpsc::Sender<()>>,
    },
    FileSystem(notify::Result<notify::Event>),
    Stop,
}

impl WatchHub {
    /// Tells a running watcher that collections changed (a no-op when none runs).
    pub(crate) fn refresh(&self, rescan: Option<i64>) {
        self.send_refresh(rescan, None);
    }

    /// Like [`Self::refresh`], and returns once the watcher watches what the store now
    /// lists (after the job it is running, if any: that job holds the indexing lock the
    /// caller is about to wait for anyway).
    pub(crate) fn refresh_and_wait(&self) {
        let (done, watching) = mpsc::channel();
        if self.send_refresh(None, Some(done)) {
            // An error means the watcher stopped: nothing to wait for.
            let _ = watching.recv();
        }
    }

    fn send_refresh(&self, rescan: Option<i64>, done: Option<mpsc::Sender<()>>) -> bool {
        let Ok(control) = self.control.lock() else {
            return false;
        };
        control
            .as_ref()
            .is_some_and(|c| c.send(Control::Refresh { rescan, done }).is_ok())
    }

    fn status(&self) -> WatchStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn update(&self, change: impl FnOnce(&mut WatchStatus)) {
        if let Ok(mut status) = self.status.lock() {
            change(&mut status);
        }
    }

    fn emit(&self, event: WatchEvent) {
        self.update(|status| match &event {
            WatchEvent::Watching { collections } => status.collections = collections.clone(),
            WatchEvent::Syncing { collection, rescan } => {
                status.indexing = Some(IndexingNow {
                    collection: collection.clone(),
                    rescan: *rescan,
                    progress: None,
                })
            }
            WatchEvent::Progress {
                collection,
                progress,
            } => {
                if let Some(now) = status.indexing.as_mut() {
                    now.progress = Some(progress.clone());
                }
                if let Some((path, change)) = change_of(progress) {
                    status.recent.push_front(WatchedChange {
                        collection: collection.clone(),
                        path,
                        change: change.into(),
                        at: now_ms(),
                    });
                    status.recent.truncate(RECENT);
                }
            }
            WatchEvent::Synced { .. } | WatchEvent::Failed { .. } => status.indexing = None,
        });
        if let Ok(mut subscribers) = self.subscribers.lock() {
            subscribers.retain(|s| s.send(event.clone()).is_ok());
        }
    }
}

/// The path and the word for a progress event that changed the index.
fn change_of(progress: &IngestEvent) -> Option<(String, &'static str)> {
    match progress {
        IngestEvent::File { path, outcome, .. } => {
            let change = match outcome {
                FileOutcome::Added => "added",
                FileOutcome::Updated => "updated",
                FileOutcome::Renamed { .. } => "renamed",
                FileOutcome::Failed { .. } => "failed",
                FileOutcome::Unchanged => return None,
            };
            Some((path.clone(), change))
        }
        IngestEvent::Removed { path } => Some((path.clone(), "removed")),
        _ => None,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Watching, until dropped: dropping it stops the watcher (after the file being indexed,
/// if any) and waits for its thread.
pub struct CollectionWatcher {
    control: mpsc::Sender<Control>,
    cancel: Cancellation,
    thread: Option<JoinHandle<()>>,
    hearth: Weak<Hearth>,
}

impl Drop for CollectionWatcher {
    fn drop(&mut self) {
        self.cancel.cancel();
        let _ = self.control.send(Control::Stop);
        if let Some(hearth) = self.hearth.upgrade() {
            if let Ok(mut control) = hearth.watch_hub.control.lock() {
                *control = None;
            }
            hearth.watch_hub.update(|s| {
                s.running = false;
                s.indexing = None;
            });
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Hearth {
    /// Starts watching the folders of every collection with watching on; see the module
    /// documentation. One watcher per process: a second call is refused.
    pub fn watch_collections(self: &Arc<Self>) -> Result<CollectionWatcher> {
        let (sender, receiver) = mpsc::channel();
        {
            let mut control = self
                .watch_hub
                .control
                .lock()
                .map_err(|_| crate::hearth::poisoned())?;
            if control.is_some() {
                return Err(CoreError::Watch {
                    reason: "this process already watches its collections' folders".into(),
                });
            }
            *control = Some(sender.clone());
        }
        let to_thread = sender.clone();
        // Links are not followed: a link in a watched folder to a folder elsewhere must
        // not put that folder under watch (and what it holds is never indexed anyway).
        let watcher = RecommendedWatcher::new(
            move |event| {
                let _ = to_thread.send(Control::FileSystem(event));
            },
            notify::Config::default().with_follow_symlinks(false),
        )
        .map_err(|e| {
            if let Ok(mut control) = self.watch_hub.control.lock() {
                *control = None;
            }
            CoreError::Watch {
                reason: format!(
                    "the system refused to watch folders ({e}); rescan collections by hand"
                ),
            }
        })?;
        self.watch_hub.update(|s| s.running = true);
        let cancel = Cancellation::new();
        let mut run = Run {
            hearth: Arc::downgrade(self),
            watcher,
            cancel: cancel.clone(),
            watched: HashMap::new(),
            unwatchable: HashSet::new(),
            collections: Vec::new(),
            rescans: BTreeSet::new(),
            pending: BTreeSet::new(),
        };
        let thread = std::thread::Builder::new()
            .name("hearth-watch".into())
            .spawn(move || run.serve(receiver))
            .map_err(|e| CoreError::Internal {
                reason: format!("could not start the folder watcher: {e}"),
            })?;
        Ok(CollectionWatcher {
            control: sender,
            cancel,
            thread: Some(thread),
            hearth: Arc::downgrade(self),
        })
    }

    /// What the folder watcher is doing.
    pub fn watch_status(&self) -> WatchStatus {
        self.watch_hub.status()
    }

    /// Every [`WatchEvent`] from now on, until the receiver is dropped.
    pub fn watch_events(&self) -> mpsc::Receiver<WatchEvent> {
        let (sender, receiver) = mpsc::channel();
        if let Ok(mut subscribers) = self.watch_hub.subscribers.lock() {
            subscribers.push(sender);
        }
        receiver
    }

    /// Turns watching a collection's folders on or off; turning it on rescans the
    /// collection (it may have changed while nobody watched).
    pub fn set_collection_watch(
        &self,
        name: &str,
        watch: bool,
    ) -> Result<hearth_store::Collection> {
        let collection = self.store.collection(name)?;
        let collection = self.store.set_collection_watch(collection.id, watch)?;
        self.watch_hub.refresh(watch.then_some(collection.id));
        Ok(collection)
    }
}

/// A collection as the watcher sees it.
struct Watched {
    id: i64,
    name: String,
    sources: Vec<PathBuf>,
}

/// The watcher thread's state.
struct Run {
    hearth: Weak<Hearth>,
    watcher: RecommendedWatcher,
    cancel: Cancellation,
    /// Paths handed to the OS watcher, with how.
    watched: HashMap<PathBuf, RecursiveMode>,
    /// Paths that could not be watched last time (gone, or over the system's limit).
    unwatchable: HashSet<PathBuf>,
    collections: Vec<Watched>,
    /// Collections to walk whole before anything else.
    rescans: BTreeSet<i64>,
    /// Changed paths not yet indexed.
    pending: BTreeSet<PathBuf>,
}

impl Run {
    fn serve(&mut self, control: mpsc::Receiver<Control>) {
        // At start every watched collection is walked: files changed while Hearth was
        // not running are caught here.
        if self.refresh().is_none() {
            return;
        }
        self.rescans = self.collections.iter().map(|c| c.id).collect();
        let mut first_change: Option<Instant> = None;
        let mut last_change = Instant::now();
        let mut last_retry = Instant::now();
        loop {
            if self.cancel.is_cancelled() {
                return;
            }
            if !self.rescans.is_empty() {
                if self.rescan_all().is_none() {
                    return;
                }
                continue;
            }
            // Quiet long enough, or changing too long: index what came so far (checked
            // here, not only on a timeout, so a steady stream of events cannot hold
            // changes back for ever).
            if let Some(first) = first_change {
                if last_change.elapsed() >= QUIET || first.elapsed() >= MOST_WAIT {
                    first_change = None;
                    if self.sync_pending().is_none() {
                        return;
                    }
                    continue;
                }
            }
            let wait = match first_change {
                Some(first) => QUIET
                    .saturating_sub(last_change.elapsed())
                    .min(MOST_WAIT.saturating_sub(first.elapsed())),
                None => RETRY.saturating_sub(last_retry.elapsed()),
            };
            match control.recv_timeout(wait) {
                Ok(Control::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
                Ok(Control::Refresh { rescan, done }) => {
                    if self.refresh().is_none() {
                        return;
                    }
                    self.rescans.extend(rescan);
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                }
                Ok(Control::FileSystem(Ok(event))) => {
                    if event.need_rescan() {
                        // The OS dropped events (its queue overflowed): walk everything.
                        self.rescans = self.collections.iter().map(|c| c.id).collect();
                    } else if changes_content(&event.kind) {
                        self.pending.extend(event.paths);
                        last_change = Instant::now();
                        first_change.get_or_insert(last_change);
                    }
                    self.set_waiting();
                }
                Ok(Control::FileSystem(Err(error))) => {
                    tracing::warn!(%error, "the folder watcher reported an error");
                }
                // Changes waiting are indexed at the top of the loop; with none, the time
                // has come to try sources that could not be watched again.
                Err(mpsc::RecvTimeoutError::Timeout) if first_change.is_none() => {
                    last_retry = Instant::now();
                    if self.refresh().is_none() {
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
    }

    fn set_waiting(&self) {
        if let Some(hearth) = self.hearth.upgrade() {
            let waiting = self.pending.len();
            hearth.watch_hub.update(|s| s.waiting = waiting);
        }
    }

    /// Reads the collections to watch and (re)registers their sources with the OS
    /// watcher. A source that became watchable again (a drive plugged back in) gets its
    /// collection rescanned. `None` when Hearth is gone.
    fn refresh(&mut self) -> Option<()> {
        let hearth = self.hearth.upgrade()?;
        let collections = match hearth.store.collections() {
            Ok(all) => all,
            Err(error) => {
                tracing::warn!(%error, "the folder watcher could not list collections");
                return Some(());
            }
        };
        self.collections = collections
            .into_iter()
            .filter(|c| c.watch)
            .map(|c| Watched {
                id: c.id,
                name: c.name,
                sources: c.sources.iter().map(PathBuf::from).collect(),
            })
            .collect();
        // What each source needs: a folder recursively, a file through its folder (so
        // an editor's save by rename, which replaces the file, is still seen).
        let mut wanted: HashMap<PathBuf, RecursiveMode> = HashMap::new();
        for source in self.collections.iter().flat_map(|c| &c.sources) {
            let (path, mode) = if source.is_file() {
                match source.parent() {
                    Some(folder) => (folder.to_path_buf(), RecursiveMode::NonRecursive),
                    None => continue,
                }
            } else {
                (source.clone(), RecursiveMode::Recursive)
            };
            let entry = wanted.entry(path).or_insert(mode);
            if mode == RecursiveMode::Recursive {
                *entry = RecursiveMode::Recursive;
            }
        }
        let stale: Vec<PathBuf> = self
            .watched
            .iter()
            .filter(|(path, mode)| wanted.get(*path) != Some(*mode) || !path.exists())
            .map(|(path, _)| path.clone())
            .collect();
        for path in stale {
            let _ = self.watcher.unwatch(&path);
            self.watched.remove(&path);
        }
        let mut problems: HashMap<PathBuf, String> = HashMap::new();
        for (path, mode) in wanted {
            if self.watched.contains_key(&path) {
                continue;
            }
            if !path.exists() {
                self.unwatchable.insert(path.clone());
                problems.insert(path, "not found (deleted, moved or on a drive that is not plugged in); its files stay indexed".into());
                continue;
            }
            match self.watcher.watch(&path, mode) {
                Ok(()) => {
                    self.watched.insert(path.clone(), mode);
                    // Came back: what it holds may have changed meanwhile. (A source
                    // just added was indexed by the run that added it.)
                    if self.unwatchable.remove(&path) {
                        for collection in &self.collections {
                            if collection.sources.iter().any(|s| s.starts_with(&path)) {
                                self.rescans.insert(collection.id);
                            }
                        }
                    }
                }
                Err(error) => {
                    self.unwatchable.insert(path.clone());
                    problems.insert(path, watch_problem(&error));
                }
            }
        }
        let view =
            self.collections
                .iter()
                .map(|c| {
                    let (mut watched, mut problem_list) = (Vec::new(), Vec::new());
                    for source in &c.sources {
                        let shown = source.to_string_lossy().into_owned();
                        let through = if source.is_file() {
                            source.parent().unwrap_or(source)
                        } else {
                            source.as_path()
                        };
                        match problems.get(through) {
                            Some(problem) => problem_list.push(format!("{shown}: {problem}")),
                            None if self.watched.contains_key(through) => watched.push(shown),
                            None => problem_list
                                .push(format!("{shown}: not found; its files stay indexed")),
                        }
                    }
                    WatchedCollection {
                        name: c.name.clone(),
                        watched,
                        problems: problem_list,
                    }
                })
                .collect::<Vec<_>>();
        if hearth.watch_hub.status().collections != view {
            hearth
                .watch_hub
                .emit(WatchEvent::Watching { collections: view });
        }
        Some(())
    }

    /// Walks each collection waiting for a rescan. `None` when Hearth is gone.
    fn rescan_all(&mut self) -> Option<()> {
        let ids = std::mem::take(&mut self.rescans);
        for id in ids {
            let Some(name) = self
                .collections
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.name.clone())
            else {
                continue;
            };
            let hearth = self.hearth.upgrade()?;
            self.index(&hearth, &name, true, |hearth, progress, cancel| {
                hearth.reindex_collection(&id.to_string(), progress, cancel)
            });
        }
        Some(())
    }

    /// Indexes the changed paths gathered so far, collection by collection.
    fn sync_pending(&mut self) -> Option<()> {
        let pending = std::mem::take(&mut self.pending);
        self.set_waiting();
        let hearth = self.hearth.upgrade()?;
        for collection in &self.collections {
            let changed: Vec<PathBuf> = pending
                .iter()
                .filter(|p| collection.sources.iter().any(|s| p.starts_with(s)))
                .cloned()
                .collect();
            if changed.is_empty() {
                continue;
            }
            let id = collection.id;
            self.index(
                &hearth,
                &collection.name,
                false,
                |hearth, progress, cancel| {
                    hearth.sync_collection_paths(&id.to_string(), &changed, progress, cancel)
                },
            );
        }
        Some(())
    }

    /// Runs one indexing job, telling the hub what happens.
    fn index(
        &self,
        hearth: &Hearth,
        name: &str,
        rescan: bool,
        job: impl FnOnce(&Hearth, &mut dyn FnMut(IngestEvent), &Cancellation) -> Result<IngestReport>,
    ) {
        let hub = &hearth.watch_hub;
        hub.emit(WatchEvent::Syncing {
            collection: name.to_owned(),
            rescan,
        });
        let mut progress = |event: IngestEvent| {
            hub.emit(WatchEvent::Progress {
                collection: name.to_owned(),
                progress: event,
            })
        };
        match job(hearth, &mut progress, &self.cancel) {
            Ok(report) => {
                tracing::info!(
                    collection = name,
                    added = report.added,
                    updated = report.updated,
                    renamed = report.renamed,
                    removed = report.removed,
                    failed = report.failed.len(),
                    "watched collection brought up to date"
                );
                hub.emit(WatchEvent::Synced {
                    collection: name.to_owned(),
                    rescan,
                    report,
                })
            }
            Err(error) => {
                tracing::warn!(collection = name, %error, "indexing a watched collection failed");
                hub.emit(WatchEvent::Failed {
                    collection: name.to_owned(),
                    error: error.to_string(),
                })
            }
        }
    }
}

/// Whether a file-system event may have changed what a document holds or where it is.
/// Opening and reading a file does not (Hearth's own hashing would otherwise wake the
/// watcher again and again), nor does a change of times or permissions alone; a write
/// shows as a modification and as its close.
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_)) => false,
        _ => true,
    }
}

/// Why a folder cannot be watched, in words that say what to do.
fn watch_problem(error: &notify::Error) -> String {
    match &error.kind {
        notify::ErrorKind::MaxFilesWatch => "the system's limit on watched folders is reached; raise it (Linux: sysctl fs.inotify.max_user_watches=524288) or rescan by hand".into(),
        notify::ErrorKind::PathNotFound => "not found; its files stay indexed".into(),
        _ => format!("cannot be watched ({error}); rescan by hand"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, RemoveKind, RenameMode};

    #[test]
    fn reading_a_file_is_not_a_change_but_writing_renaming_and_deleting_are() {
        for kind in [
            EventKind::Access(AccessKind::Any),
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Modify(ModifyKind::Metadata(notify::event::MetadataKind::Any)),
        ] {
            assert!(!changes_content(&kind), "{kind:?}");
        }
        for kind in [
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Create(CreateKind::File),
            EventKind::Modify(ModifyKind::Data(notify::event::DataChange::Any)),
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
            EventKind::Remove(RemoveKind::File),
            EventKind::Any,
        ] {
            assert!(changes_content(&kind), "{kind:?}");
        }
    }

    #[test]
    fn changes_that_reach_the_index_are_listed_and_unchanged_files_are_not() {
        let file = |outcome| IngestEvent::File {
            index: 1,
            path: "/n/a.md".into(),
            outcome,
            passages: 1,
        };
        assert_eq!(change_of(&file(FileOutcome::Added)).unwrap().1, "added");
        assert_eq!(
            change_of(&file(FileOutcome::Renamed {
                from: "/n/b.md".into()
            }))
            .unwrap()
            .1,
            "renamed"
        );
        assert_eq!(change_of(&file(FileOutcome::Unchanged)), None);
        assert_eq!(
            change_of(&IngestEvent::Removed {
                path: "/n/a.md".into()
            })
            .unwrap(),
            ("/n/a.md".into(), "removed")
        );
    }
}
