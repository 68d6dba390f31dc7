//! Ingestion: files and folders into a collection's passages and vectors.
//!
//! Every file found is hashed; a file whose content hash is what the collection already
//! recorded is skipped (so re-running costs one read per file, no model time), a new or
//! changed one is read (hearth-docs), split, embedded and written in one transaction, so
//! an interrupted run leaves each file either wholly old or wholly new. A file that
//! cannot be read is recorded with the reason and the batch goes on. A rescan also drops
//! files that are gone from disk or from the collection's sources.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hearth_docs::Limits;
use hearth_llm::LlamaEmbedder;
use hearth_store::{Collection, FileStatus, IndexedFile, NewChunk};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::split::split_for_retrieval;
use crate::access::DocumentGuard;
use crate::documents::Cancellation;
use crate::error::{CoreError, Result};
use crate::hearth::Hearth;

/// Passages embedded per call, so progress and cancellation come often.
const EMBED_BATCH: usize = 64;

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum FileOutcome {
    /// New to the collection; read and indexed.
    Added,
    /// Its content changed; read again.
    Updated,
    /// Same content as last time; skipped.
    Unchanged,
    /// The same content as a file gone from `from`: renamed or moved, so its passages
    /// moved with it and nothing was read again.
    Renamed { from: String },
    /// Could not be read; skipped, with the reason.
    Failed { error: String },
}

/// Progress of an ingestion, for a progress bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum IngestEvent {
    /// The sources were walked: this many files will be looked at.
    Scanned { files: usize },
    /// A file's scanned pages are being read with OCR: `done` of `total`.
    Reading {
        index: usize,
        path: String,
        done: u32,
        total: u32,
    },
    /// A file's passages are being embedded.
    Embedding {
        index: usize,
        path: String,
        done: usize,
        total: usize,
    },
    /// A file is finished (`index` counts from 1 up to the `files` of `Scanned`).
    File {
        index: usize,
        path: String,
        #[serde(flatten)]
        outcome: FileOutcome,
        passages: usize,
    },
    /// A file left the index (deleted, or no longer under any source).
    Removed { path: String },
}

/// A file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedFile {
    pub path: String,
    pub error: String,
}

/// What an ingestion did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestReport {
    pub collection: Collection,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Files found at a new path with the content of one that left its old path.
    pub renamed: usize,
    pub removed: usize,
    pub failed: Vec<FailedFile>,
    /// Sources (files or folders the user added) not found on disk; their files keep
    /// their passages until the source is removed from the collection.
    pub missing_sources: Vec<String>,
    /// Passages written by this run.
    pub passages: usize,
    /// Pages of the paged documents read by this run.
    pub pages: usize,
    pub seconds: f64,
}

impl Hearth {
    /// Adds files and folders to the collection `name` (created with the configured
    /// embedding model when it does not exist) and indexes what they hold.
    pub fn add_to_collection(
        &self,
        name: &str,
        paths: &[PathBuf],
        progress: &mut dyn FnMut(IngestEvent),
        cancel: &Cancellation,
    ) -> Result<IngestReport> {
        let guard = self.document_guard();
        let mut sources = Vec::with_capacity(paths.len());
        for path in paths {
            // Resolved, and never in (or a link into) Hearth's own folders.
            sources.push(guard.resolve(path)?);
        }
        let collection = match self.store.collection(name) {
            Ok(collection) => collection,
            Err(hearth_store::StoreError::NotFound { .. }) => {
                let (model, embedder) = self.embedder(None)?;
                self.store
                    .create_collection(name, &model, embedder.info().dimensions)?
            }
            Err(e) => return Err(e.into()),
        };
        for source in &sources {
            self.store
                .add_collection_source(collection.id, &source.to_string_lossy())?;
        }
        // Watched before the walk, so a change made while this run reads is not missed.
        self.watch_hub.refresh_and_wait();
        let plan = IngestPlan {
            files: find_files(&sources, &guard),
            ..IngestPlan::default()
        };
        self.ingest(&collection, plan, progress, cancel)
    }

    /// Walks every source of the collection again: new and changed files are indexed,
    /// files gone from disk leave the index. A source that is itself gone (a deleted
    /// folder, an unplugged drive) keeps its files' passages and is reported in
    /// `missing_sources`: removing it from the collection is the user's call.
    pub fn reindex_collection(
        &self,
        name: &str,
        progress: &mut dyn FnMut(IngestEvent),
        cancel: &Cancellation,
    ) -> Result<IngestReport> {
        let collection = self.store.collection(name)?;
        let guard = self.document_guard();
        let (present, missing): (Vec<PathBuf>, Vec<PathBuf>) = collection
            .sources
            .iter()
            .map(PathBuf::from)
            .partition(|source| source.exists());
        let files = find_files(&present, &guard);
        let found: BTreeSet<&Path> = files.iter().map(PathBuf::as_path).collect();
        let vanished = self.indexed_paths_where(&collection, |path| {
            !found.contains(path) && !missing.iter().any(|m| path.starts_with(m))
        })?;
        let plan = IngestPlan {
            files,
            vanished,
            missing_sources: missing
                .iter()
                .map(|m| m.to_string_lossy().into_owned())
                .collect(),
        };
        self.ingest(&collection, plan, progress, cancel)
    }

    /// Brings the index up to date with `changed` paths only (what the folder watcher
    /// saw): a file there is indexed unless its content is what the index holds, a
    /// folder is walked, and an indexed file at or under a path that is gone leaves the
    /// index (or moves, when the same content turned up at a new path of this batch).
    /// Paths outside the collection's sources, hidden ones, Hearth's own folders and
    /// anything reached through a link are ignored, as a full walk would.
    pub fn sync_collection_paths(
        &self,
        name: &str,
        changed: &[PathBuf],
        progress: &mut dyn FnMut(IngestEvent),
        cancel: &Cancellation,
    ) -> Result<IngestReport> {
        let collection = self.store.collection(name)?;
        let guard = self.document_guard();
        let sources: Vec<PathBuf> = collection.sources.iter().map(PathBuf::from).collect();
        let mut files = BTreeSet::new();
        let mut looked_at = Vec::new();
        for path in changed {
            let Some(source) = sources.iter().find(|s| path.starts_with(s)) else {
                continue;
            };
            if !is_plain_path_under(path, source, &guard) {
                continue;
            }
            looked_at.push(path.as_path());
            match std::fs::symlink_metadata(path) {
                Ok(meta) if meta.is_dir() => {
                    files.extend(find_files(std::slice::from_ref(path), &guard))
                }
                Ok(meta) if meta.is_file() && is_readable_name(path) => {
                    files.insert(path.clone());
                }
                _ => {}
            }
        }
        let vanished = self.indexed_paths_where(&collection, |path| {
            !files.contains(path)
                && looked_at.iter().any(|changed| path.starts_with(changed))
                && !std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
        })?;
        let plan = IngestPlan {
            files: files.into_iter().collect(),
            vanished,
            missing_sources: Vec::new(),
        };
        self.ingest(&collection, plan, progress, cancel)
    }

    /// The paths of the collection's files (indexed or failed) that `keep` picks.
    fn indexed_paths_where(
        &self,
        collection: &Collection,
        keep: impl Fn(&Path) -> bool,
    ) -> Result<Vec<String>> {
        Ok(self
            .store
            .collection_files(collection.id)?
            .into_iter()
            .map(|f| f.path)
            .filter(|known| keep(Path::new(known)))
            .collect())
    }

    fn ingest(
        &self,
        collection: &Collection,
        plan: IngestPlan,
        progress: &mut dyn FnMut(IngestEvent),
        cancel: &Cancellation,
    ) -> Result<IngestReport> {
        // One ingestion at a time: the folder watcher and a user's rescan of the same
        // collection would otherwise read, embed and write the same files twice.
        let _turn = self
            .indexing
            .lock()
            .map_err(|_| crate::hearth::poisoned())?;
        let started = Instant::now();
        let (_, embedder) = self.embedder(Some(&collection.embedding_model))?;
        let known: HashMap<String, (String, FileStatus)> = self
            .store
            .collection_files(collection.id)?
            .into_iter()
            .map(|f| (f.path, (f.content_hash, f.status)))
            .collect();
        // An indexed file gone from its path, by content: a new file with the same
        // bytes is that file renamed or moved, and keeps its passages.
        let mut vanished: Vec<(String, Option<String>)> = plan
            .vanished
            .into_iter()
            .map(|path| {
                let hash = known
                    .get(&path)
                    .filter(|(_, status)| *status == FileStatus::Indexed)
                    .map(|(hash, _)| hash.clone());
                (path, hash)
            })
            .collect();
        let files = plan.files;
        progress(IngestEvent::Scanned { files: files.len() });
        let mut report = IngestReport {
            collection: collection.clone(),
            added: 0,
            updated: 0,
            unchanged: 0,
            renamed: 0,
            removed: 0,
            failed: Vec::new(),
            missing_sources: plan.missing_sources,
            passages: 0,
            pages: 0,
            seconds: 0.0,
        };
        let limits = Limits::default();
        for (i, path) in files.iter().enumerate() {
            cancel.check()?;
            let index = i + 1;
            let shown = path.to_string_lossy().into_owned();
            let previous = known.get(&shown);
            let (outcome, passages) = match hash_file(path, &limits) {
                Err(error) => {
                    let record = IndexedFile {
                        path: shown.clone(),
                        ..Default::default()
                    };
                    self.store
                        .put_failed_collection_file(collection.id, &record, &error)?;
                    (FileOutcome::Failed { error }, 0)
                }
                // A file that failed before is tried again: the cause may have passed.
                Ok((hash, _))
                    if previous.is_some_and(|(old, status)| {
                        *old == hash && *status == FileStatus::Indexed
                    }) =>
                {
                    (FileOutcome::Unchanged, 0)
                }
                Ok((hash, _))
                    if previous.is_none()
                        && vanished.iter().any(|(_, h)| h.as_ref() == Some(&hash)) =>
                {
                    let at = vanished
                        .iter()
                        .position(|(_, h)| h.as_ref() == Some(&hash))
                        .expect("found above");
                    let (from, _) = vanished.swap_remove(at);
                    self.store
                        .rename_collection_file(collection.id, &from, &shown)?;
                    (FileOutcome::Renamed { from }, 0)
                }
                Ok((hash, size)) => {
                    let record = IndexedFile {
                        path: shown.clone(),
                        content_hash: hash,
                        size,
                        ..Default::default()
                    };
                    let read = self.read_for_index(path, index, &shown, progress, cancel);
                    let mut embedding = |done, total| {
                        progress(IngestEvent::Embedding {
                            index,
                            path: shown.clone(),
                            done,
                            total,
                        })
                    };
                    match read.and_then(|document| {
                        index_file(
                            path,
                            document,
                            record.clone(),
                            &embedder,
                            &mut embedding,
                            cancel,
                        )
                    }) {
                        Ok((record, chunks, pages)) => {
                            self.store
                                .put_collection_file(collection.id, &record, &chunks)?;
                            report.pages += pages;
                            let outcome = if previous.is_some() {
                                FileOutcome::Updated
                            } else {
                                FileOutcome::Added
                            };
                            (outcome, chunks.len())
                        }
                        Err(CoreError::Cancelled) => return Err(CoreError::Cancelled),
                        Err(error) => {
                            let error = error.to_string();
                            self.store.put_failed_collection_file(
                                collection.id,
                                &record,
                                &error,
                            )?;
                            (FileOutcome::Failed { error }, 0)
                        }
                    }
                }
            };
            match &outcome {
                FileOutcome::Added => report.added += 1,
                FileOutcome::Updated => report.updated += 1,
                FileOutcome::Unchanged => report.unchanged += 1,
                FileOutcome::Renamed { .. } => report.renamed += 1,
                FileOutcome::Failed { error } => report.failed.push(FailedFile {
                    path: shown.clone(),
                    error: error.clone(),
                }),
            }
            report.passages += passages;
            progress(IngestEvent::File {
                index,
                path: shown,
                outcome,
                passages,
            });
        }
        for (path, _) in vanished {
            if self.store.remove_collection_file(collection.id, &path)? {
                report.removed += 1;
                progress(IngestEvent::Removed { path });
            }
        }
        report.collection = self.store.collection(&collection.id.to_string())?;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }
}

/// What one ingestion run looks at.
#[derive(Debug, Default)]
struct IngestPlan {
    /// Files to index (unless unchanged), in order.
    files: Vec<PathBuf>,
    /// Indexed paths that are gone: removed, unless one of `files` is the same content.
    vanished: Vec<String>,
    /// Sources not found on disk, whose files were kept.
    missing_sources: Vec<String>,
}

impl Hearth {
    /// Reads a file to index, scanned pages with OCR, telling `progress` of each page.
    fn read_for_index(
        &self,
        path: &Path,
        index: usize,
        shown: &str,
        progress: &mut dyn FnMut(IngestEvent),
        cancel: &Cancellation,
    ) -> Result<hearth_docs::Document> {
        let mut reading = |p: crate::ocr::OcrProgress| {
            progress(IngestEvent::Reading {
                index,
                path: shown.to_string(),
                done: p.done,
                total: p.total,
            })
        };
        self.read_document_with(path, &mut reading, cancel)
    }
}

/// Splits and embeds one file's document: the record completed from the document, its
/// passages with vectors, and its page count.
fn index_file(
    path: &Path,
    document: hearth_docs::Document,
    mut record: IndexedFile,
    embedder: &LlamaEmbedder,
    progress: &mut dyn FnMut(usize, usize),
    cancel: &Cancellation,
) -> Result<(IndexedFile, Vec<NewChunk>, usize)> {
    if document.text_len() == 0 {
        let why = document
            .warnings
            .first()
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        return Err(CoreError::NothingToIndex {
            path: path.to_path_buf(),
            why,
        });
    }
    record.title = document.title.clone();
    record.format = serde_json::to_value(document.format)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned));
    record.pages = document.pages;
    let count = |text: &str| -> Result<usize> { Ok(embedder.tokenize(text)?.len()) };
    let passages = split_for_retrieval(&document, &count)?;
    let mut chunks = Vec::with_capacity(passages.len());
    for batch in passages.chunks(EMBED_BATCH) {
        cancel.check()?;
        let texts: Vec<String> = batch.iter().map(|p| p.embed_text.clone()).collect();
        let vectors = embedder.embed(&texts)?;
        for (passage, embedding) in batch.iter().zip(vectors) {
            chunks.push(NewChunk {
                section: passage.section.clone(),
                first_page: passage.first_page,
                last_page: passage.last_page,
                text: passage.text.clone(),
                tokens: passage.tokens,
                vector: embedding.vector,
            });
        }
        progress(chunks.len(), passages.len());
    }
    Ok((record, chunks, document.pages.unwrap_or(0) as usize))
}

/// The SHA-256 of the file's bytes, in hex, and its size; refused over the size limit.
fn hash_file(path: &Path, limits: &Limits) -> std::result::Result<(String, u64), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open it: {e}"))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > limits.max_file_bytes {
        return Err(format!(
            "it is {} MB, over the {} MB limit for documents",
            size >> 20,
            limits.max_file_bytes >> 20
        ));
    }
    let mut hasher = Sha256::new();
    let mut reader = std::io::BufReader::new(file.take(limits.max_file_bytes));
    let mut buffer = [0u8; 64 * 1024];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) => return Err(format!("cannot read it: {e}")),
        }
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((hex, size))
}

/// Every file to look at: a source that is a file as given; under a folder, every file
/// with an extension Hearth reads, skipping hidden files and folders, never going into
/// Hearth's own folders and not following links (so none leads out of the folder).
/// Sorted, without repeats.
pub(crate) fn find_files(sources: &[PathBuf], guard: &DocumentGuard) -> Vec<PathBuf> {
    let mut found = BTreeSet::new();
    for source in sources {
        if source.is_file() {
            found.insert(source.clone());
            continue;
        }
        let walk = walkdir::WalkDir::new(source)
            .follow_links(false)
            .into_iter()
            .filter_entry(|entry| {
                (entry.depth() == 0 || !is_hidden(entry.file_name()))
                    && !guard.is_hearths(entry.path())
            });
        for entry in walk.filter_map(|e| e.ok()) {
            if entry.file_type().is_file() && is_readable_name(entry.path()) {
                found.insert(entry.into_path());
            }
        }
    }
    found.into_iter().collect()
}

/// Whether the file's extension is one of a document Hearth reads.
fn is_readable_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .and_then(hearth_docs::format_for_extension)
        .is_some()
}

/// Whether `path`, inside `source`, is one a walk of `source` could reach: no hidden
/// file or folder on the way, not in Hearth's folders, and no link among the folders
/// above it, so a link planted in a watched folder cannot lead indexing elsewhere (the
/// path itself is looked at without following it: a link there is not a document).
/// A path that is gone passes when its folder does, so what it held leaves the index.
fn is_plain_path_under(path: &Path, source: &Path, guard: &DocumentGuard) -> bool {
    let Ok(inside) = path.strip_prefix(source) else {
        return false;
    };
    if inside.components().any(|c| is_hidden(c.as_os_str())) || guard.is_hearths(path) {
        return false;
    }
    if path == source {
        return true;
    }
    // The deepest folder above it that exists must be itself, with no link anywhere.
    let mut folder = path;
    loop {
        match folder.parent() {
            Some(parent) if parent.starts_with(source) => folder = parent,
            _ => return false,
        }
        if std::fs::symlink_metadata(folder).is_ok() {
            return folder.canonicalize().is_ok_and(|real| real == folder);
        }
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}
