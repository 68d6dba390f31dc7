//! Which draft model guesses for a model being loaded (speculative decoding with a
//! draft model, `hearth-llm`'s `draft.rs`): the `draft_model` setting names one (a
//! library id or a path), or says `auto`: the catalog's pair for the model (its
//! `draft` entry, a smaller model of the same family) when the library holds both.
//! Unset or `off`, models guess from the text alone.
//!
//! The engine checks that the two share a tokenizer; a named draft model that does
//! not fit the model being loaded is left out of that load (see `hearth.rs`), so one
//! setting can serve a library of several families.

use std::path::{Path, PathBuf};

use hearth_models::CatalogEntry;

use crate::error::Result;
use crate::hearth::Hearth;
use crate::library::{LibraryEntry, ModelSource};

/// The `draft_model` value that picks the catalog's pair.
pub const AUTO: &str = "auto";

impl Hearth {
    /// The draft model for `model` as the settings say; `None` for none. A named model
    /// the library and the models folder do not have is an error that says so.
    pub(crate) fn draft_model_for(&self, model: &Path) -> Result<Option<PathBuf>> {
        let config = self.config();
        let choice = match config.draft_model.as_deref().map(str::trim) {
            Some(choice)
                if config.speculative_decoding && !choice.is_empty() && choice != "off" =>
            {
                choice.to_owned()
            }
            _ => return Ok(None),
        };
        let draft = if choice == AUTO {
            match self.library.lock() {
                Ok(library) => catalog_pair(library.entries(), model),
                Err(_) => None,
            }
        } else {
            Some(self.resolve_model(Some(&choice))?)
        };
        // A model does not guess for itself.
        Ok(draft.filter(|draft| !same_file(draft, model)))
    }
}

/// The library's file of the catalog's draft model for the library's `model`.
fn catalog_pair(entries: &[LibraryEntry], model: &Path) -> Option<PathBuf> {
    let catalog = hearth_models::catalog::builtin().ok()?;
    let loaded = entries.iter().find(|e| same_file(&e.path, model))?;
    let entry = catalog.models.iter().find(|c| is_from(loaded, c))?;
    let draft = catalog.get(entry.draft.as_deref()?)?;
    entries
        .iter()
        .find(|e| is_from(e, draft))
        .map(|e| e.path.clone())
}

/// Whether a library entry is that catalog model: downloaded from its file, or added
/// under its id.
fn is_from(entry: &LibraryEntry, catalog: &CatalogEntry) -> bool {
    match &entry.source {
        ModelSource::Downloaded { repo, file, .. } => {
            repo == &catalog.repo && file == &catalog.file
        }
        _ => entry.id == catalog.id,
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, path: &str, source: ModelSource) -> LibraryEntry {
        LibraryEntry {
            id: id.into(),
            path: PathBuf::from(path),
            source,
            added_at: 0,
        }
    }

    fn downloaded(id: &str) -> ModelSource {
        let catalog = hearth_models::catalog::lookup(id).unwrap();
        ModelSource::Downloaded {
            repo: catalog.repo.clone(),
            file: catalog.file.clone(),
            sha256: String::new(),
        }
    }

    #[test]
    fn the_catalog_pair_is_found_by_download_or_by_id() {
        let entries = vec![
            entry("big", "/m/qwen-3b.gguf", downloaded("qwen2.5-3b")),
            entry("small", "/m/qwen-05.gguf", downloaded("qwen2.5-0.5b")),
            entry("smollm2-360m", "/m/smol-360.gguf", ModelSource::Linked),
            entry("smollm2-135m", "/m/smol-135.gguf", ModelSource::Linked),
            entry("gemma", "/m/gemma.gguf", downloaded("gemma3-1b")),
        ];
        assert_eq!(
            catalog_pair(&entries, Path::new("/m/qwen-3b.gguf")),
            Some(PathBuf::from("/m/qwen-05.gguf"))
        );
        assert_eq!(
            catalog_pair(&entries, Path::new("/m/smol-360.gguf")),
            Some(PathBuf::from("/m/smol-135.gguf"))
        );
        // The smallest of a family has no pair; a model outside the library has none.
        assert_eq!(catalog_pair(&entries, Path::new("/m/qwen-05.gguf")), None);
        assert_eq!(catalog_pair(&entries, Path::new("/m/gemma.gguf")), None);
        assert_eq!(catalog_pair(&entries, Path::new("/elsewhere.gguf")), None);
        // The pair must be in the library.
        assert_eq!(
            catalog_pair(&entries[..1], Path::new("/m/qwen-3b.gguf")),
            None
        );
    }
}
