//! Shared by the real-model tests and the examples of hearth-core: a Hearth home on a
//! given chat model, and one whose models folder holds the all-MiniLM-L6-v2
//! sentence-transformers folder, so the default embedding model is converted on first
//! use, as it would be for a user.

use std::path::Path;

use hearth_core::{Hearth, Isolation, OpenOptions, Paths, ProviderConfig};

/// Opens Hearth on `paths`, its models run in this process.
pub fn open_in_process(paths: Paths) -> Hearth {
    Hearth::open(OpenOptions {
        paths,
        isolation: Some(Isolation::InProcess),
    })
    .unwrap()
}

/// Opens Hearth (models in process) on a new, empty home at `root`.
#[allow(dead_code)] // not every test file uses every helper
pub fn hearth_in(root: &Path) -> Hearth {
    open_in_process(Paths::under(root))
}

/// Opens Hearth (models in process) on a new home at `root`, with `minilm` (the
/// fetched sentence-transformers folder) linked into its models folder.
#[allow(dead_code)] // not every test file uses both helpers
pub fn hearth_with_minilm(root: &Path, minilm: &Path) -> Hearth {
    let paths = Paths::under(root);
    paths.create_all().unwrap();
    std::os::unix::fs::symlink(minilm, paths.models_dir().join("all-MiniLM-L6-v2")).unwrap();
    open_in_process(paths)
}

/// Opens Hearth (models in process, keys never in the machine's keyring) on a new home
/// at `root` whose default model is `model`, with `context_length` tokens for each of
/// `parallel` sequences.
#[allow(dead_code)] // not every test file uses both helpers
pub fn hearth_on(root: &Path, model: &Path, context_length: u32, parallel: u32) -> Hearth {
    std::env::set_var("HEARTH_KEYRING", "off");
    let paths = Paths::under(root);
    std::fs::create_dir_all(&paths.config).unwrap();
    std::fs::write(
        paths.config_file(),
        format!(
            "default_model = {:?}\ncontext_length = {context_length}\nparallel = {parallel}\n",
            model.display().to_string()
        ),
    )
    .unwrap();
    open_in_process(paths)
}

/// An OpenAI-compatible provider named `name` on a loopback port nothing listens on,
/// with one model `m`: for tests that need a provider configured, never reached.
#[allow(dead_code)] // not every test file uses it
pub fn loopback_provider(name: &str) -> ProviderConfig {
    ProviderConfig {
        name: name.into(),
        kind: hearth_llm::Protocol::OpenAi,
        base_url: Some("http://127.0.0.1:9/v1".into()),
        models: vec!["m".into()],
        context_length: 8192,
        input_cost_per_1k: None,
        output_cost_per_1k: None,
    }
}
