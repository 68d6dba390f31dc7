//! Where the test models are. They are fetched by `scripts/fetch-models.sh` (the test
//! command runs it); a missing model is a failure that says how to get it.

use std::path::PathBuf;

fn model(env: &str, file: &str, fetch_arg: &str) -> PathBuf {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".models").join(file));
    assert!(
        path.is_file(),
        "test model {} is missing: run `scripts/fetch-models.sh {fetch_arg}` (or set {env})",
        path.display()
    );
    path
}

/// The repository's root (the folder with Cargo.lock), from whichever crate's tests use
/// this module.
fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .map(PathBuf::from)
        .unwrap_or(manifest)
}

/// SmolLM2-135M-Instruct Q4_1: the default chat model, ChatML template.
pub fn smollm2() -> PathBuf {
    model(
        "HEARTH_TEST_MODEL",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "smollm2",
    )
}

/// Qwen2.5-Coder-1.5B-Instruct Q4_K_M: a template that describes tools (Hermes-style
/// `<tool_call>`); about 12 tokens a second here, so only the tool-calling acceptance
/// test uses it.
#[allow(dead_code)] // not every test file uses it
pub fn qwen_coder() -> PathBuf {
    model(
        "HEARTH_TEST_QWEN",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        "qwen-coder",
    )
}

/// Gemma 3 270M base Q4_K_M: no chat template in the file.
#[allow(dead_code)] // not every test file uses it
pub fn gemma3() -> PathBuf {
    model("HEARTH_TEST_GEMMA", "gemma-3-270m-q4_k_m.gguf", "gemma3")
}

/// The all-MiniLM-L6-v2 sentence-transformers folder (safetensors + tokenizer.json), the
/// default embedding model before conversion.
#[allow(dead_code)] // not every test file uses it
pub fn minilm_dir() -> PathBuf {
    let dir = std::env::var_os("HEARTH_TEST_MINILM")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".models/all-MiniLM-L6-v2"));
    assert!(
        dir.join("model.safetensors").is_file(),
        "{} is missing: run `scripts/fetch-models.sh minilm` (or set HEARTH_TEST_MINILM)",
        dir.display()
    );
    dir
}
