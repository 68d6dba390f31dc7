//! Shared helpers for the end-to-end tests of the `hearth` binary.
#![allow(dead_code)]

pub mod hub;
/// The real MCP test servers, located as in hearth-mcp's tests.
#[path = "../../../hearth-mcp/tests/support/servers.rs"]
pub mod mcp_servers;
/// The test models, located the same way as in hearth-llm's tests.
#[path = "../../../hearth-llm/tests/support/mod.rs"]
pub mod models;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn hearth_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hearth"))
}

/// A `hearth` command with its own empty HEARTH_HOME.
pub fn hearth(home: &Path) -> Command {
    let mut command = Command::new(hearth_bin());
    command
        .env("HEARTH_HOME", home)
        .env_remove("HEARTH_LOG")
        .stdin(Stdio::null());
    command
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn describe(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    )
}

/// The JSON a `--json` command printed; the whole output in the panic when it is not.
pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(output)))
}

/// Runs `hearth ARGS` with `home` as its home and waits for it.
pub fn run(home: &Path, args: &[&str]) -> Output {
    hearth(home).args(args).output().unwrap()
}

/// Adds the fetched SmolLM2 to `home`'s models as the default model.
pub fn add_default_smollm2(home: &Path) {
    let smollm2 = models::smollm2();
    let add = run(
        home,
        &["models", "add", smollm2.to_str().unwrap(), "--default"],
    );
    assert!(add.status.success(), "{}", describe(&add));
}

/// Converts the fetched all-MiniLM-L6-v2 folder into `home`'s models, as a user does once
/// before indexing documents.
pub fn convert_minilm(home: &Path) {
    let minilm = models::minilm_dir();
    let convert = run(
        home,
        &[
            "models",
            "convert",
            minilm.to_str().unwrap(),
            "--id",
            "all-MiniLM-L6-v2",
        ],
    );
    assert!(convert.status.success(), "{}", describe(&convert));
}

/// A file of the document corpus fetched by `scripts/fetch-test-docs.sh`; a missing one
/// fails the test with the command that fetches it.
pub fn test_doc(relative: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.testdata")
        .join(relative);
    assert!(
        path.is_file(),
        "test document {} is missing: run `scripts/fetch-test-docs.sh`",
        path.display()
    );
    path
}

/// Every regular file under `dir`, at any depth (none when it does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}
