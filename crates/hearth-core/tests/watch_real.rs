//! Watched collections on a real folder, with the real embedding model: files added,
//! changed, renamed and deleted while Hearth watches reach search results without a
//! rescan; links planted in the folder, hidden files and a collection with watching off
//! are left alone; a change made while nothing watched is caught at the next start.
//!
//! Every wait is for the watcher's own event saying the change was indexed (a generous
//! limit only turns a hang into a failure that lists what arrived); nothing sleeps.

use crate::support;

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Duration;

use hearth_core::ask::{FileOutcome, IngestEvent, RetrievalMode, RetrievalOptions, WatchEvent};
use hearth_core::documents::Cancellation;
use hearth_core::Hearth;

/// Waits for the first event `wanted` picks, returning what it picked.
fn wait_for<T>(
    events: &Receiver<WatchEvent>,
    what: &str,
    mut wanted: impl FnMut(&WatchEvent) -> Option<T>,
) -> T {
    let mut seen = Vec::new();
    loop {
        match events.recv_timeout(Duration::from_secs(300)) {
            Ok(event) => {
                if let Some(found) = wanted(&event) {
                    return found;
                }
                seen.push(event);
            }
            Err(error) => panic!("no event for {what} ({error}); seen: {seen:#?}"),
        }
    }
}

/// Waits for `path` to reach the index with `outcome`, then for its batch to finish.
fn wait_for_file(events: &Receiver<WatchEvent>, collection: &str, path: &Path) -> FileOutcome {
    let shown = path.to_string_lossy().into_owned();
    let outcome = wait_for(events, &shown, |event| match event {
        WatchEvent::Progress {
            collection: c,
            progress: IngestEvent::File { path, outcome, .. },
        } if c == collection && *path == shown => Some(outcome.clone()),
        _ => None,
    });
    wait_for_synced(events, collection);
    outcome
}

fn wait_for_synced(events: &Receiver<WatchEvent>, collection: &str) {
    wait_for(events, "the batch's end", |event| match event {
        WatchEvent::Synced { collection: c, .. } if c == collection => Some(()),
        WatchEvent::Failed { error, .. } => panic!("indexing failed: {error}"),
        _ => None,
    });
}

/// The files whose passages hold these words, best first.
fn found_in(hearth: &Hearth, words: &str) -> Vec<String> {
    let options = RetrievalOptions {
        limit: 5,
        mode: RetrievalMode::Keyword,
        ..RetrievalOptions::default()
    };
    hearth
        .retrieve(words, &options)
        .unwrap()
        .into_iter()
        .map(|p| p.passage.path)
        .collect()
}

/// A new folder, by the real path Hearth records sources under.
fn folder(root: &Path, name: &str) -> PathBuf {
    std::fs::create_dir_all(root.join(name)).unwrap();
    root.join(name).canonicalize().unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn changes_in_a_watched_folder_reach_search_without_a_rescan() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = Arc::new(common::hearth_with_minilm(
        dir.path(),
        &support::minilm_dir(),
    ));
    let docs = folder(dir.path(), "docs");
    write(
        &docs.join("bread.md"),
        "# Sourdough\n\nKnead the dough for ten minutes, then let it rise overnight.",
    );
    write(
        &docs.join("bees.md"),
        "# Bees\n\nA queen bee lays up to two thousand eggs a day in spring.",
    );
    write(
        &docs.join("bike.txt"),
        "Fixing a flat tyre: find the puncture under water and patch the inner tube.",
    );
    let outside = dir.path().join("outside");
    write(
        &outside.join("secret.md"),
        "The vault combination is swordfish marmalade.",
    );
    let cancel = Cancellation::new();
    let report = hearth
        .add_to_collection("Notes", std::slice::from_ref(&docs), &mut |_| {}, &cancel)
        .unwrap();
    assert_eq!(report.added, 3, "{report:#?}");

    let events = hearth.watch_events();
    let watcher = hearth.watch_collections().unwrap();
    assert!(
        hearth.watch_collections().is_err(),
        "one watcher per process"
    );
    // At start the collection is rescanned (nothing changed) and its folder watched.
    wait_for(&events, "the start-up rescan", |event| match event {
        WatchEvent::Synced {
            collection,
            rescan: true,
            report,
        } if collection == "Notes" => {
            assert_eq!((report.unchanged, report.added), (3, 0), "{report:#?}");
            Some(())
        }
        _ => None,
    });
    let status = hearth.watch_status();
    assert!(status.running);
    assert_eq!(status.collections.len(), 1, "{status:#?}");
    assert_eq!(
        status.collections[0].watched,
        [docs.to_string_lossy().into_owned()]
    );

    // Added, in a new folder.
    let kiln = docs.join("pottery/kiln.md");
    write(
        &kiln,
        "# Firing\n\nFire the kiln slowly to bisque temperature before glazing the pots.",
    );
    assert_eq!(wait_for_file(&events, "Notes", &kiln), FileOutcome::Added);
    assert_eq!(
        found_in(&hearth, "kiln bisque glazing")[0],
        kiln.to_string_lossy()
    );

    // Changed: the new words are found, the old ones are gone.
    write(
        &docs.join("bees.md"),
        "# Bees\n\nSmoke calms the colony before the hive is opened for inspection.",
    );
    assert_eq!(
        wait_for_file(&events, "Notes", &docs.join("bees.md")),
        FileOutcome::Updated
    );
    assert!(found_in(&hearth, "smoke colony inspection")[0].ends_with("bees.md"));
    assert!(found_in(&hearth, "queen eggs spring").is_empty());

    // Renamed into another folder: its passages move, nothing is read again.
    let moved = docs.join("baking/sourdough-recipe.md");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(docs.join("bread.md"), &moved).unwrap();
    let outcome = wait_for_file(&events, "Notes", &moved);
    assert_eq!(
        outcome,
        FileOutcome::Renamed {
            from: docs.join("bread.md").to_string_lossy().into_owned()
        }
    );
    assert_eq!(
        found_in(&hearth, "knead dough overnight"),
        [moved.to_string_lossy()]
    );

    // Deleted: gone from search.
    std::fs::remove_file(docs.join("bike.txt")).unwrap();
    let gone = docs.join("bike.txt").to_string_lossy().into_owned();
    wait_for(&events, "the deleted file", |event| match event {
        WatchEvent::Progress {
            progress: IngestEvent::Removed { path },
            ..
        } if *path == gone => Some(()),
        _ => None,
    });
    wait_for_synced(&events, "Notes");
    assert!(found_in(&hearth, "puncture inner tube").is_empty());

    // Links planted in the folder (to a file and to a folder outside it) and a hidden
    // file are not followed or read; a plain file written after them shows they were
    // seen and passed over.
    std::os::unix::fs::symlink(outside.join("secret.md"), docs.join("linked.md")).unwrap();
    std::os::unix::fs::symlink(&outside, docs.join("linked-folder")).unwrap();
    write(&docs.join(".drafts/hidden.md"), "A hidden swordfish draft.");
    let marker = docs.join("marker.md");
    write(&marker, "# Marker\n\nWritten after the links were planted.");
    wait_for_file(&events, "Notes", &marker);
    assert!(found_in(&hearth, "vault combination swordfish marmalade").is_empty());
    let paths: Vec<String> = hearth
        .collection_files("Notes")
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert!(
        !paths
            .iter()
            .any(|p| p.contains("linked") || p.contains(".drafts")),
        "{paths:?}"
    );

    // Watching off: changes wait for a rescan. Another watched collection's change,
    // made after, shows the watcher went on without this one.
    let events = {
        drop(events);
        hearth.watch_events()
    };
    assert!(!hearth.set_collection_watch("notes", false).unwrap().watch);
    wait_for(
        &events,
        "the watch list without Notes",
        |event| match event {
            WatchEvent::Watching { collections } if collections.is_empty() => Some(()),
            _ => None,
        },
    );
    let late = docs.join("late.md");
    write(
        &late,
        "# Late\n\nHarvest the quinces after the first frost.",
    );
    let other = folder(dir.path(), "other");
    hearth
        .add_to_collection("Other", std::slice::from_ref(&other), &mut |_| {}, &cancel)
        .unwrap();
    let ping = other.join("ping.md");
    write(&ping, "# Ping\n\nThe other collection is still watched.");
    wait_for_file(&events, "Other", &ping);
    assert!(found_in(&hearth, "quinces frost").is_empty());

    // On again: the rescan catches what changed meanwhile.
    hearth.set_collection_watch("Notes", true).unwrap();
    assert_eq!(wait_for_file(&events, "Notes", &late), FileOutcome::Added);
    assert!(found_in(&hearth, "quinces frost")[0].ends_with("late.md"));
    let recent = hearth.watch_status().recent;
    assert!(
        recent
            .iter()
            .any(|c| c.change == "renamed" && c.path == moved.to_string_lossy()),
        "{recent:#?}"
    );

    // Stopped, a file changes; the next start's rescan indexes it.
    drop(watcher);
    assert!(!hearth.watch_status().running);
    write(
        &kiln,
        "# Firing\n\nRaku firing pulls the pots out glowing hot.",
    );
    let _watcher = hearth.watch_collections().unwrap();
    wait_for(&events, "the second start's rescan", |event| match event {
        WatchEvent::Synced {
            collection,
            rescan: true,
            report,
        } if collection == "Notes" => {
            assert_eq!(report.updated, 1, "{report:#?}");
            Some(())
        }
        _ => None,
    });
    assert_eq!(found_in(&hearth, "raku glowing")[0], kiln.to_string_lossy());
}

/// A source folder that is gone (deleted, or a drive not plugged in) keeps its files'
/// passages through a rescan, and the report says which source is missing.
#[test]
fn a_missing_source_keeps_its_passages() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = common::hearth_with_minilm(dir.path(), &support::minilm_dir());
    let drive = folder(dir.path(), "usb");
    write(
        &drive.join("letters/tax.md"),
        "# Tax\n\nThe tax return is due in May.",
    );
    let cancel = Cancellation::new();
    hearth
        .add_to_collection("Drive", std::slice::from_ref(&drive), &mut |_| {}, &cancel)
        .unwrap();
    let unplugged = dir.path().join("usb-unplugged");
    std::fs::rename(&drive, &unplugged).unwrap();
    let report = hearth
        .reindex_collection("Drive", &mut |_| {}, &cancel)
        .unwrap();
    assert_eq!(report.removed, 0, "{report:#?}");
    let source = report.collection.sources[0].clone();
    assert!(source.ends_with("/usb"), "{source}");
    assert_eq!(report.missing_sources, std::slice::from_ref(&source));
    assert_eq!(
        found_in(&hearth, "tax return"),
        [format!("{source}/letters/tax.md")]
    );
}
