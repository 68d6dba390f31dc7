//! Shared by the real-model tests and the examples of hearth-core: a Hearth home whose
//! models folder holds the all-MiniLM-L6-v2 sentence-transformers folder, so the default
//! embedding model is converted on first use, as it would be for a user.

use std::path::Path;

use hearth_core::{Hearth, Isolation, OpenOptions, Paths};

/// Opens Hearth (models in process) on a new home at `root`, with `minilm` (the
/// fetched sentence-transformers folder) linked into its models folder.
pub fn hearth_with_minilm(root: &Path, minilm: &Path) -> Hearth {
    let paths = Paths::under(root);
    paths.create_all().unwrap();
    std::os::unix::fs::symlink(minilm, paths.models_dir().join("all-MiniLM-L6-v2")).unwrap();
    Hearth::open(OpenOptions {
        paths,
        isolation: Some(Isolation::InProcess),
    })
    .unwrap()
}
