//! Hearth's files are the user's alone: every folder it makes under its home is 0700
//! and every file 0600 (the history and its write-ahead log, the settings, the library,
//! the sealed keys and their key, lock files), whatever the process's umask; and a home
//! left readable by others (an older Hearth, a lax umask) is narrowed when Hearth opens.
#![cfg(unix)]

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hearth_core::{Hearth, Isolation, OpenOptions, Paths};
use hearth_llm::fake::FakeEngine;
use hearth_llm::{ApiKey, GenerationOptions};

fn open(home: &Path) -> Hearth {
    // The default umask of a desktop session: without Hearth's own modes, files would
    // be 0644 and folders 0755.
    // SAFETY: umask only swaps the process's file-creation mask.
    unsafe {
        libc::umask(0o022);
    }
    std::env::set_var("HEARTH_KEYRING", "off");
    // The answer and its title; an unscripted fake would wait for the test to write.
    let fake = Arc::new(FakeEngine::new());
    fake.reply_with(["Hello to you."]);
    fake.reply_with(["Greeting"]);
    Hearth::open(OpenOptions {
        paths: Paths::under(home),
        isolation: Some(Isolation::Provided(fake)),
    })
    .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// Every folder and file under `root`, with its mode.
fn walk(root: &Path) -> Vec<(PathBuf, bool, u32)> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let is_dir = std::fs::symlink_metadata(&path).unwrap().is_dir();
            if is_dir {
                pending.push(path.clone());
            }
            found.push((path.clone(), is_dir, mode(&path)));
        }
    }
    found
}

fn assert_private(home: &Path) -> Vec<PathBuf> {
    let found = walk(home);
    let wrong: Vec<String> = found
        .iter()
        .filter(|(_, is_dir, mode)| *mode != if *is_dir { 0o700 } else { 0o600 })
        .map(|(path, _, mode)| format!("{} {mode:o}", path.display()))
        .collect();
    assert!(wrong.is_empty(), "readable by others: {wrong:#?}");
    found.into_iter().map(|(path, _, _)| path).collect()
}

#[test]
fn everything_hearth_writes_is_private_to_its_user() {
    let home = tempfile::tempdir().unwrap();
    let hearth = open(home.path());
    // A conversation in the history.
    let conversation = hearth.new_conversation(None, None).unwrap();
    hearth
        .send_message(&conversation.id, "Hello there", GenerationOptions::greedy())
        .unwrap()
        .stream(|_| {})
        .unwrap();
    // Settings, and a provider whose key goes to the sealed file.
    hearth.set_offline(true).unwrap();
    hearth
        .save_provider(
            common::loopback_provider("work"),
            Some(ApiKey::new("sk-private")),
        )
        .unwrap();
    let files = assert_private(home.path());
    for expected in [
        "data/hearth.db",
        "data/hearth.db-wal",
        "data/secrets.key",
        "config/config.toml",
        "config/secrets.json",
        "config/.config.toml.lock",
    ] {
        assert!(
            files.contains(&home.path().join(expected)),
            "{expected} was not written: {files:#?}"
        );
    }
    assert!(
        !files.iter().any(|f| f.to_string_lossy().ends_with(".tmp")),
        "a temporary file was left: {files:#?}"
    );
    drop(hearth);
    assert_private(home.path());
}

#[test]
fn a_home_others_could_read_is_narrowed_when_hearth_opens() {
    let home = tempfile::tempdir().unwrap();
    let first = open(home.path());
    let conversation = first.new_conversation(None, None).unwrap();
    first
        .send_message(&conversation.id, "Hello", GenerationOptions::greedy())
        .unwrap()
        .stream(|_| {})
        .unwrap();
    first.set_offline(true).unwrap();
    drop(first);
    // As an older Hearth under umask 022 left it, with a log and a saved context.
    std::fs::create_dir_all(home.path().join("cache/contexts/model-x")).unwrap();
    std::fs::write(home.path().join("cache/contexts/model-x/a.kvstate"), b"kv").unwrap();
    std::fs::write(home.path().join("logs/hearth.log.2026-01-01"), b"log").unwrap();
    for (path, is_dir, _) in walk(home.path()) {
        let wide = if is_dir { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(wide)).unwrap();
    }
    assert_eq!(mode(&home.path().join("data/hearth.db")), 0o644);

    let hearth = open(home.path());
    assert!(hearth.is_offline());
    assert_eq!(
        hearth
            .store()
            .list_conversations(&hearth_store::ConversationFilter::default())
            .unwrap()
            .len(),
        1
    );
    let files = assert_private(home.path());
    assert!(files.contains(&home.path().join("cache/contexts/model-x/a.kvstate")));
}
