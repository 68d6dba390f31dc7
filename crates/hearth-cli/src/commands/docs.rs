//! `hearth docs add|ls|rm|reindex|watch`: document collections, with a progress bar
//! while files are read and embedded, and a report of what was added, skipped or failed;
//! watching a collection's folders on or off, or in the foreground.

use hearth_core::ask::{FileOutcome, IngestEvent, IngestReport};
use hearth_core::documents::Cancellation;
use hearth_core::Hearth;
use hearth_store::FileStatus;

use super::{job_bar, spinner};
use crate::args::DocsCommand;
use crate::exit;
use crate::interrupt::Interrupts;

pub fn run(command: DocsCommand, json: bool) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    match command {
        DocsCommand::Add { collection, paths } => ingest(json, |progress, cancel| {
            hearth.add_to_collection(&collection, &paths, progress, cancel)
        }),
        DocsCommand::Reindex { collection } => ingest(json, |progress, cancel| {
            hearth.reindex_collection(&collection, progress, cancel)
        }),
        DocsCommand::Ls { collection: None } => {
            let all = hearth.collections()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                println!("No collections yet; add one with `hearth docs add NAME PATH...`.");
            } else {
                for c in all {
                    let failed = if c.failed > 0 {
                        format!(", {} failed", c.failed)
                    } else {
                        String::new()
                    };
                    let watched = if c.watch { "watched" } else { "not watched" };
                    println!(
                        "{}\t{} files, {} passages{failed}\t{}\t{watched}",
                        c.name, c.files, c.chunks, c.embedding_model
                    );
                }
            }
            Ok(exit::OK)
        }
        DocsCommand::Ls {
            collection: Some(name),
        } => {
            let files = hearth.collection_files(&name)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&files)?);
                return Ok(exit::OK);
            }
            for f in files {
                match f.status {
                    FileStatus::Indexed => println!("{}\t{} passages", f.path, f.chunks),
                    FileStatus::Failed => println!(
                        "{}\tfailed: {}",
                        f.path,
                        f.error.as_deref().unwrap_or("unknown error")
                    ),
                }
            }
            Ok(exit::OK)
        }
        DocsCommand::Watch {
            collection: Some(name),
            on,
            off,
        } => {
            if !on && !off {
                anyhow::bail!("say --on or --off to turn watching \"{name}\" on or off, or run `hearth docs watch` alone to watch in the foreground");
            }
            let collection = hearth.set_collection_watch(&name, on)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&collection)?);
            } else if collection.watch {
                eprintln!("\"{}\" is watched: `hearth serve`, the desktop app and `hearth docs watch` index its changes as they happen.", collection.name);
            } else {
                eprintln!(
                    "\"{}\" is no longer watched; rescan it with `hearth docs reindex`.",
                    collection.name
                );
            }
            Ok(exit::OK)
        }
        DocsCommand::Watch {
            collection: None, ..
        } => watch(hearth, json),
        DocsCommand::Rm {
            collection,
            path: None,
        } => {
            hearth.delete_collection(&collection)?;
            if !json {
                eprintln!("Deleted collection \"{collection}\" (your files are untouched).");
            }
            Ok(exit::OK)
        }
        DocsCommand::Rm {
            collection,
            path: Some(path),
        } => {
            let removed = hearth.remove_from_collection(&collection, &path)?;
            if json {
                println!("{}", serde_json::json!({ "removed_files": removed }));
            } else {
                eprintln!("Removed {removed} file(s) from \"{collection}\".");
            }
            Ok(exit::OK)
        }
    }
}

/// Runs an ingestion with a progress bar and Ctrl-C, then prints its report. Exits 1
/// when some file failed, so scripts notice, after indexing everything else.
fn ingest(
    json: bool,
    job: impl FnOnce(&mut dyn FnMut(IngestEvent), &Cancellation) -> hearth_core::Result<IngestReport>,
) -> anyhow::Result<i32> {
    let interrupts = Interrupts::install(None);
    let cancel = Cancellation::new();
    interrupts.watch(cancel.token());
    let loading = spinner("loading the embedding model", json);
    let bar = job_bar(json);
    let mut on_event = |event: IngestEvent| {
        loading.finish_and_clear();
        match event {
            IngestEvent::Scanned { files } => {
                bar.set_length(files as u64);
                bar.set_message("indexing files");
            }
            IngestEvent::Reading {
                path, done, total, ..
            } => bar.set_message(format!(
                "{} (OCR: {done}/{total} scanned pages)",
                short(&path)
            )),
            IngestEvent::Embedding {
                path, done, total, ..
            } => bar.set_message(format!("{} ({done}/{total} passages)", short(&path))),
            IngestEvent::File {
                index,
                path,
                outcome,
                ..
            } => {
                bar.set_position(index as u64);
                if let FileOutcome::Failed { error } = outcome {
                    bar.suspend(|| eprintln!("skipped {path}: {error}"));
                }
            }
            IngestEvent::Removed { path } => bar.suspend(|| eprintln!("removed {path}")),
        }
    };
    let result = job(&mut on_event, &cancel);
    loading.finish_and_clear();
    bar.finish_and_clear();
    interrupts.clear();
    let report = result?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for source in &report.missing_sources {
            eprintln!("{source} is not there (deleted, moved, or on a drive not plugged in); its files stay indexed until you remove it with `hearth docs rm`");
        }
        println!(
            "\"{}\": {} added, {} updated, {} unchanged, {} renamed, {} removed, {} failed; {} passages written in {:.1} s ({} files, {} passages in the collection)",
            report.collection.name,
            report.added,
            report.updated,
            report.unchanged,
            report.renamed,
            report.removed,
            report.failed.len(),
            report.passages,
            report.seconds,
            report.collection.files,
            report.collection.chunks,
        );
    }
    Ok(if report.failed.is_empty() {
        exit::OK
    } else {
        exit::ERROR
    })
}

/// Watches every watched collection until Ctrl-C, printing what changes (JSON lines of
/// watch events with --json).
fn watch(hearth: Hearth, json: bool) -> anyhow::Result<i32> {
    use hearth_core::ask::WatchEvent;
    let hearth = std::sync::Arc::new(hearth);
    let events = hearth.watch_events();
    let interrupts = Interrupts::install(None);
    let stop = Cancellation::new();
    interrupts.watch(stop.token());
    let watcher = hearth.watch_collections()?;
    if !json {
        eprintln!("Watching; changes are indexed as they happen. Press Ctrl-C to stop.");
    }
    while !stop.is_cancelled() {
        let event = match events.recv_timeout(std::time::Duration::from_millis(200)) {
            Ok(event) => event,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if json {
            println!("{}", serde_json::to_string(&event)?);
            continue;
        }
        match event {
            WatchEvent::Watching { collections } => {
                for c in collections {
                    for source in &c.watched {
                        eprintln!("\"{}\": watching {source}", c.name);
                    }
                    for problem in &c.problems {
                        eprintln!("\"{}\": {problem}", c.name);
                    }
                }
            }
            WatchEvent::Progress {
                collection,
                progress,
            } => match progress {
                IngestEvent::File { path, outcome, .. } => match outcome {
                    FileOutcome::Unchanged => {}
                    FileOutcome::Failed { error } => {
                        println!("\"{collection}\": skipped {path}: {error}")
                    }
                    FileOutcome::Renamed { from } => {
                        println!("\"{collection}\": renamed {from} -> {path}")
                    }
                    FileOutcome::Added => println!("\"{collection}\": added {path}"),
                    FileOutcome::Updated => println!("\"{collection}\": updated {path}"),
                },
                IngestEvent::Removed { path } => println!("\"{collection}\": removed {path}"),
                _ => {}
            },
            WatchEvent::Failed { collection, error } => {
                eprintln!("\"{collection}\": {error}")
            }
            WatchEvent::Syncing { .. } | WatchEvent::Synced { .. } => {}
        }
    }
    drop(watcher);
    interrupts.clear();
    Ok(exit::OK)
}

fn short(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_owned())
}
