//! Collections on a real database file: passages and vectors written together, found by
//! vector and by keyword within a scope, replaced when a file changes, and gone (bytes
//! included) when a file or collection is removed.

use hearth_store::{FileStatus, IndexedFile, NewChunk, PassageScope, Store, StoreError};

/// A unit vector along `axis`, bent slightly toward `toward` so neighbours are ordered.
fn vector(width: usize, axis: usize, toward: usize, bend: f32) -> Vec<f32> {
    let mut v = vec![0.0; width];
    v[axis] = 1.0;
    v[toward] += bend;
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / norm).collect()
}

fn file(path: &str, hash: &str) -> IndexedFile {
    IndexedFile {
        path: path.into(),
        content_hash: hash.into(),
        size: 100,
        title: Some(format!("Title of {path}")),
        format: Some("markdown".into()),
        pages: None,
    }
}

fn chunk(text: &str, section: &str, page: Option<u32>, v: Vec<f32>) -> NewChunk {
    NewChunk {
        section: section.into(),
        first_page: page,
        last_page: page,
        text: text.into(),
        tokens: text.split_whitespace().count(),
        vector: v,
    }
}

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(dir.path().join("history.db")).unwrap()
}

#[test]
fn passages_are_found_by_vector_and_by_keyword_within_their_scope() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let garden = store.create_collection("Garden", "minilm", 8).unwrap();
    let kitchen = store.create_collection("Kitchen", "minilm", 8).unwrap();
    let roses = store
        .put_collection_file(
            garden.id,
            &file("/g/roses.md", "h1"),
            &[
                chunk(
                    "Prune roses in late winter.",
                    "Roses › Pruning",
                    None,
                    vector(8, 0, 1, 0.1),
                ),
                chunk(
                    "Roses like full sun and rich soil.",
                    "Roses › Site",
                    None,
                    vector(8, 1, 0, 0.1),
                ),
            ],
        )
        .unwrap();
    let tomatoes = store
        .put_collection_file(
            garden.id,
            &file("/g/tomatoes.pdf", "h2"),
            &[chunk(
                "Tomatoes need staking; prune side shoots.",
                "",
                Some(3),
                vector(8, 0, 1, 0.3),
            )],
        )
        .unwrap();
    store
        .put_collection_file(
            kitchen.id,
            &file("/k/bread.md", "h3"),
            &[chunk(
                "Knead the dough for ten minutes.",
                "",
                None,
                vector(8, 0, 2, 0.05),
            )],
        )
        .unwrap();

    let everywhere = PassageScope::default();
    let near = store
        .nearest_passages(&vector(8, 0, 1, 0.0), 10, &everywhere)
        .unwrap();
    assert_eq!(near.len(), 4, "every passage of both collections: {near:?}");
    let texts = |ids: Vec<i64>| -> Vec<String> {
        store
            .passages(&ids)
            .unwrap()
            .into_iter()
            .map(|p| p.text)
            .collect()
    };
    let order = texts(near.iter().map(|h| h.0).collect());
    assert_eq!(order[0], "Knead the dough for ten minutes.");
    assert_eq!(order[1], "Prune roses in late winter.");
    assert!(
        near.windows(2).all(|w| w[0].1 <= w[1].1),
        "nearest first: {near:?}"
    );

    let garden_only = PassageScope {
        collections: vec![garden.id],
        file: None,
    };
    let near = store
        .nearest_passages(&vector(8, 0, 1, 0.0), 2, &garden_only)
        .unwrap();
    assert_eq!(
        texts(near.iter().map(|h| h.0).collect())[0],
        "Prune roses in late winter."
    );
    let one_file = PassageScope {
        collections: vec![garden.id],
        file: Some(tomatoes),
    };
    let near = store
        .nearest_passages(&vector(8, 0, 1, 0.0), 5, &one_file)
        .unwrap();
    assert_eq!(
        texts(near.iter().map(|h| h.0).collect()),
        ["Tomatoes need staking; prune side shoots."]
    );

    let words = store
        .keyword_passages("How do I PRUNE (roses)?", 10, &garden_only)
        .unwrap();
    let found = texts(words.iter().map(|h| h.0).collect());
    assert_eq!(
        found[0], "Prune roses in late winter.",
        "two matching words rank first"
    );
    assert!(found.contains(&"Tomatoes need staking; prune side shoots.".to_string()));
    assert!(!found.iter().any(|t| t.contains("dough")));
    let by_section = store.keyword_passages("site", 10, &garden_only).unwrap();
    assert_eq!(
        texts(by_section.iter().map(|h| h.0).collect()),
        ["Roses like full sun and rich soil."]
    );
    assert!(store
        .keyword_passages("\"AND\" OR NEAR(", 10, &everywhere)
        .is_ok());

    let passage = &store.passages(&[words[0].0]).unwrap()[0];
    assert_eq!(passage.path, "/g/roses.md");
    assert_eq!(passage.collection, "Garden");
    assert_eq!(passage.file_id, roses);
    assert_eq!(passage.section, "Roses › Pruning");
    let listed = store.collections().unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|c| (c.name.as_str(), c.files, c.chunks))
            .collect::<Vec<_>>(),
        [("Garden", 2, 3), ("Kitchen", 1, 1)]
    );
    store.check_integrity().unwrap();
}

#[test]
fn a_changed_file_replaces_its_passages_and_a_removed_one_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let store = open(&dir);
    let c = store.create_collection("Notes", "minilm", 4).unwrap();
    store.add_collection_source(c.id, "/notes").unwrap();
    store
        .put_collection_file(
            c.id,
            &file("/notes/a.md", "v1"),
            &[chunk(
                "zqxjvoldpassage about owls",
                "",
                None,
                vector(4, 0, 1, 0.0),
            )],
        )
        .unwrap();
    store
        .put_collection_file(
            c.id,
            &file("/notes/a.md", "v2"),
            &[chunk(
                "new text about herons",
                "",
                None,
                vector(4, 1, 0, 0.0),
            )],
        )
        .unwrap();
    let files = store.collection_files(c.id).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].content_hash, "v2");
    assert!(store
        .keyword_passages("owls", 5, &PassageScope::default())
        .unwrap()
        .is_empty());
    let near = store
        .nearest_passages(&vector(4, 0, 1, 0.0), 5, &PassageScope::default())
        .unwrap();
    assert_eq!(near.len(), 1, "the old vector is gone: {near:?}");

    store
        .put_failed_collection_file(c.id, &file("/notes/a.md", "v3"), "the PDF is encrypted")
        .unwrap();
    let files = store.collection_files(c.id).unwrap();
    assert_eq!(files[0].status, FileStatus::Failed);
    assert_eq!(files[0].error.as_deref(), Some("the PDF is encrypted"));
    assert!(store
        .nearest_passages(&vector(4, 1, 0, 0.0), 5, &PassageScope::default())
        .unwrap()
        .is_empty());

    store
        .put_collection_file(
            c.id,
            &file("/notes/b.md", "b1"),
            &[chunk(
                "zqxjvsecretheron lives here",
                "",
                None,
                vector(4, 2, 0, 0.0),
            )],
        )
        .unwrap();
    assert!(store.remove_collection_file(c.id, "/notes/b.md").unwrap());
    assert!(!store.remove_collection_file(c.id, "/notes/b.md").unwrap());
    store
        .put_collection_file(
            c.id,
            &file("/notes/c.md", "c1"),
            &[chunk(
                "zqxjvcollectionwide text",
                "",
                None,
                vector(4, 3, 0, 0.0),
            )],
        )
        .unwrap();
    assert_eq!(store.remove_collection_source(c.id, "/notes").unwrap(), 2);
    assert!(store.collection_files(c.id).unwrap().is_empty());
    store.delete_collection(c.id).unwrap();
    assert!(matches!(
        store.collection("Notes"),
        Err(StoreError::NotFound { .. })
    ));
    store.check_integrity().unwrap();
    drop(store);
    for suffix in ["", "-wal"] {
        let Ok(bytes) = std::fs::read(format!("{}{suffix}", path.display())) else {
            continue;
        };
        for needle in ["zqxjvoldpassage", "zqxjvsecretheron", "zqxjvcollectionwide"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} is still in the database file{suffix}"
            );
        }
    }
}

#[test]
fn bad_collections_and_vectors_are_refused_with_the_reason() {
    let store = Store::open_in_memory().unwrap();
    store.create_collection("Docs", "minilm", 4).unwrap();
    assert!(matches!(
        store.create_collection(" docs ", "minilm", 4),
        Err(StoreError::NameTaken {
            what: "collection",
            ..
        })
    ));
    assert!(matches!(
        store.create_collection("  ", "minilm", 4),
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(
        store.create_collection("x", "minilm", 0),
        Err(StoreError::Invalid { .. })
    ));
    let docs = store.collection("DOCS").unwrap();
    assert_eq!(store.collection(&docs.id.to_string()).unwrap().name, "Docs");
    let wrong = store.put_collection_file(
        docs.id,
        &file("/a", "h"),
        &[chunk("text", "", None, vec![1.0; 3])],
    );
    match wrong {
        Err(err @ StoreError::Invalid { .. }) => {
            assert!(err.to_string().contains("reindex"), "{err}")
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert!(
        store.collection_files(docs.id).unwrap().is_empty(),
        "nothing written"
    );
    let reset = store.reset_collection(docs.id, "bigger", 6).unwrap();
    assert_eq!(
        (reset.embedding_model.as_str(), reset.dimensions),
        ("bigger", 6)
    );
    store
        .put_collection_file(
            docs.id,
            &file("/a", "h"),
            &[chunk("text", "", None, vector(6, 0, 1, 0.0))],
        )
        .unwrap();
    assert!(matches!(
        store.collection("nope"),
        Err(StoreError::NotFound { .. })
    ));
}

/// Past a few thousand vectors the search runs on an in-memory copy; it must give the
/// same answers as the SQLite scan and forget passages the moment they are removed.
#[test]
fn a_large_collection_is_searched_exactly_and_sees_every_change() {
    let store = Store::open_in_memory().unwrap();
    let c = store.create_collection("Large", "minilm", 8).unwrap();
    let mut state = 7u64;
    let mut unit = || {
        let v: Vec<f32> = (0..8)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 1000) as f32 / 500.0 - 1.0
            })
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect::<Vec<f32>>()
    };
    let mut all = Vec::new();
    for f in 0..5 {
        let chunks: Vec<NewChunk> = (0..1000)
            .map(|i| {
                let v = unit();
                all.push(v.clone());
                chunk(&format!("passage {f}-{i}"), "", None, v)
            })
            .collect();
        store
            .put_collection_file(c.id, &file(&format!("/large/{f}.md"), "h"), &chunks)
            .unwrap();
    }
    let query = unit();
    let scope = PassageScope::default();
    let hits = store.nearest_passages(&query, 10, &scope).unwrap();
    let mut exact: Vec<(i64, f32)> = all
        .iter()
        .enumerate()
        .map(|(i, v)| {
            (
                i as i64 + 1,
                1.0 - v.iter().zip(&query).map(|(a, b)| a * b).sum::<f32>(),
            )
        })
        .collect();
    exact.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert_eq!(
        hits.iter().map(|h| h.0).collect::<Vec<_>>(),
        exact[..10].iter().map(|h| h.0).collect::<Vec<_>>()
    );
    // The nearest passage's file changes: its old vectors must not come back.
    let nearest = store.passages(&[hits[0].0]).unwrap().remove(0);
    store.remove_collection_file(c.id, &nearest.path).unwrap();
    let after = store.nearest_passages(&query, 10, &scope).unwrap();
    assert!(
        !after.iter().any(|h| h.0 == hits[0].0),
        "a removed passage was found"
    );
    assert!(
        store
            .passages(&after.iter().map(|h| h.0).collect::<Vec<_>>())
            .unwrap()
            .len()
            == 10
    );
    let only = PassageScope {
        collections: vec![c.id],
        file: Some(store.collection_files(c.id).unwrap()[0].id),
    };
    let in_file = store.nearest_passages(&query, 5, &only).unwrap();
    let paths: Vec<String> = store
        .passages(&in_file.iter().map(|h| h.0).collect::<Vec<_>>())
        .unwrap()
        .into_iter()
        .map(|p| p.path)
        .collect();
    assert!(
        paths.iter().all(|p| *p == paths[0]) && paths.len() == 5,
        "{paths:?}"
    );
}

/// The app and the CLI are separate processes on one database: a change one makes is
/// seen by the other's next search even when that one searches an in-memory copy.
#[test]
fn another_process_changing_a_large_collection_is_seen_at_the_next_search() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    let cli = open(&dir);
    let c = app.create_collection("Shared", "minilm", 4).unwrap();
    let fill = |store: &Store, name: &str, axis: usize, n: usize| {
        let chunks: Vec<NewChunk> = (0..n)
            .map(|i| {
                chunk(
                    &format!("{name} {i}"),
                    "",
                    None,
                    vector(4, axis, (axis + 1) % 4, 0.001 * i as f32),
                )
            })
            .collect();
        store
            .put_collection_file(c.id, &file(&format!("/shared/{name}.md"), name), &chunks)
            .unwrap();
    };
    fill(&app, "first", 0, 5000);
    let scope = PassageScope::default();
    let before = app
        .nearest_passages(&vector(4, 2, 3, 0.0), 1, &scope)
        .unwrap();
    assert!(app.passages(&[before[0].0]).unwrap()[0]
        .text
        .starts_with("first"));
    // Another process adds passages that are nearer.
    std::thread::sleep(std::time::Duration::from_millis(5));
    fill(&cli, "second", 2, 10);
    let after = app
        .nearest_passages(&vector(4, 2, 3, 0.0), 1, &scope)
        .unwrap();
    assert!(
        app.passages(&[after[0].0]).unwrap()[0]
            .text
            .starts_with("second"),
        "{after:?}"
    );
}

#[test]
fn a_renamed_file_keeps_its_passages_and_vectors_under_its_new_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let notes = store.create_collection("Notes", "minilm", 8).unwrap();
    let bees = store
        .put_collection_file(
            notes.id,
            &file("/n/bees.md", "h1"),
            &[chunk("A queen lays eggs.", "", None, vector(8, 0, 1, 0.1))],
        )
        .unwrap();
    store
        .put_collection_file(
            notes.id,
            &file("/n/old.md", "h2"),
            &[chunk("Stale text.", "", None, vector(8, 2, 1, 0.1))],
        )
        .unwrap();

    // Renamed over an existing record: that record and its passages go.
    assert!(store
        .rename_collection_file(notes.id, "/n/bees.md", "/n/old.md")
        .unwrap());
    let files = store.collection_files(notes.id).unwrap();
    assert_eq!(
        files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["/n/old.md"]
    );
    assert_eq!(files[0].id, bees, "the record moved, it was not re-made");
    assert_eq!(files[0].content_hash, "h1");
    let everywhere = PassageScope::default();
    let near = store
        .nearest_passages(&vector(8, 0, 1, 0.0), 10, &everywhere)
        .unwrap();
    assert_eq!(
        near.len(),
        1,
        "the replaced file's vector is gone: {near:?}"
    );
    let passage = &store.passages(&[near[0].0]).unwrap()[0];
    assert_eq!(
        (passage.path.as_str(), passage.text.as_str()),
        ("/n/old.md", "A queen lays eggs.")
    );
    assert!(store
        .keyword_passages("stale", 10, &everywhere)
        .unwrap()
        .is_empty());

    // Nothing at the old path: nothing to move.
    assert!(!store
        .rename_collection_file(notes.id, "/n/bees.md", "/n/elsewhere.md")
        .unwrap());
    store.check_integrity().unwrap();
}

#[test]
fn watching_is_on_for_a_new_collection_and_turns_off_and_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let notes = store.create_collection("Notes", "minilm", 8).unwrap();
    assert!(notes.watch, "new collections are watched");
    assert!(!store.set_collection_watch(notes.id, false).unwrap().watch);
    assert!(!store.collection("notes").unwrap().watch);
    assert!(!store.collections().unwrap()[0].watch);
    assert!(store.set_collection_watch(notes.id, true).unwrap().watch);
    assert!(matches!(
        store.set_collection_watch(notes.id + 1, false),
        Err(StoreError::NotFound { .. })
    ));
}
