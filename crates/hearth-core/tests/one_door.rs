//! The facade is the only door: the front ends (the server, the CLI, the desktop app)
//! never reach the store itself, only `Hearth`'s calls (its `history()` view among them),
//! so a rule such as "deleting a conversation drops the models' saved contexts" cannot
//! be skipped by a front end. A source check: it reads every Rust file of the front ends.

use std::path::{Path, PathBuf};

const FRONT_ENDS: [&str; 3] = [
    "../hearth-server/src",
    "../hearth-cli/src",
    "../../src-tauri/src",
];

/// Ways to the store itself: the facade's handle on it, the type, opening one.
const FORBIDDEN: [&str; 3] = [".store()", "hearth_store::Store", "Store::open"];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Whether `code` has `pattern` as a whole name (`Store`, not `StoreError`).
fn mentions(code: &str, pattern: &str) -> bool {
    code.match_indices(pattern).any(|(at, _)| {
        !code[at + pattern.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn the_check_tells_the_store_from_its_error_type() {
    assert!(mentions("use hearth_store::Store;", "hearth_store::Store"));
    assert!(!mentions(
        "use hearth_store::StoreError;",
        "hearth_store::Store"
    ));
    assert!(mentions("hearth.store().rename(&id, t)", ".store()"));
}

#[test]
fn no_front_end_reaches_the_store_around_the_facade() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in FRONT_ENDS {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(
        files.len() > 20,
        "the front ends' sources were not found: {files:?}"
    );
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for pattern in FORBIDDEN {
                if mentions(code, pattern) {
                    found.push(format!(
                        "{}:{}: {}",
                        file.display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "front ends must go through Hearth (hearth.history() for the history):\n{}",
        found.join("\n")
    );
}
