//! The built-in catalog of well-known models that run on a laptop: what to offer a
//! user who has none yet, and where each one is on the hub.
//!
//! The list lives in `assets/catalog.toml`, embedded at build time so the app works
//! offline; [`Catalog::parse`] also reads catalogs from elsewhere.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::error::ModelsError;
use crate::hub::DownloadRequest;

const BUILTIN: &str = include_str!("../../../assets/catalog.toml");

/// What a model is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Generates text: chat, summaries, translation, answers.
    Chat,
    /// Turns text into vectors for search over documents.
    Embedding,
}

/// One model file in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogEntry {
    /// Short slug used on the command line, e.g. `qwen2.5-1.5b`.
    pub id: String,
    /// Name to show a user.
    pub name: String,
    pub kind: ModelKind,
    /// Hugging Face repository, `owner/name`.
    pub repo: String,
    /// GGUF file in that repository.
    pub file: String,
    /// Quantization of the file, e.g. `Q4_K_M`.
    pub quantization: String,
    /// Size of the file in bytes (approximate for some entries).
    pub size_bytes: u64,
    /// Rough memory needed to run it with a few thousand tokens of context.
    pub ram_bytes: u64,
    /// License identifier or name; read the model's page before commercial use.
    pub license: String,
    /// Trained context window in tokens.
    pub context_length: u32,
    /// One line on what it is good for.
    pub description: String,
    /// `true` when trained on many languages, so it can translate (Qwen2.5, Gemma 3,
    /// Llama 3.2); `false` when it writes English only (SmolLM2); absent when the
    /// catalog does not say (embedding models, models with partial support).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multilingual: Option<bool>,
    /// The catalog id of a smaller model of the same family and tokenizer, to guess
    /// tokens for this one (speculative decoding with a draft model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<String>,
}

impl CatalogEntry {
    /// The download of this entry's file, at revision `main`.
    pub fn download_request(&self) -> DownloadRequest {
        DownloadRequest::new(&self.repo, &self.file)
    }
}

/// A list of models.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub models: Vec<CatalogEntry>,
}

impl Catalog {
    /// Parses and checks a catalog in the format of `assets/catalog.toml`.
    pub fn parse(text: &str) -> Result<Catalog, ModelsError> {
        let catalog: Catalog = toml::from_str(text).map_err(|e| ModelsError::Catalog {
            reason: e.to_string().trim().to_string(),
        })?;
        catalog.check()?;
        Ok(catalog)
    }

    fn check(&self) -> Result<(), ModelsError> {
        let bad = |reason: String| Err(ModelsError::Catalog { reason });
        let mut ids = HashSet::new();
        for entry in &self.models {
            let slug = |c: char| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_')
            };
            if entry.id.is_empty() || !entry.id.chars().all(slug) {
                return bad(format!(
                    "id '{}' must be lowercase letters, digits, '-', '.' or '_'",
                    entry.id
                ));
            }
            if !ids.insert(entry.id.as_str()) {
                return bad(format!("id '{}' appears twice", entry.id));
            }
            if !entry.file.to_ascii_lowercase().ends_with(".gguf") {
                return bad(format!(
                    "{}: file '{}' is not a .gguf file",
                    entry.id, entry.file
                ));
            }
            if let Err(error) = entry.download_request().validate() {
                return bad(format!("{}: {error}", entry.id));
            }
        }
        // A draft model guesses for a larger one of the same kind.
        for entry in &self.models {
            let Some(draft) = entry.draft.as_deref() else {
                continue;
            };
            match self.get(draft) {
                Some(small) if small.kind == entry.kind && small.size_bytes < entry.size_bytes => {}
                Some(_) => {
                    return bad(format!(
                        "{}: its draft '{draft}' must be a smaller model of the same kind",
                        entry.id
                    ))
                }
                None => {
                    return bad(format!(
                        "{}: its draft '{draft}' is not in the catalog",
                        entry.id
                    ))
                }
            }
        }
        Ok(())
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&CatalogEntry> {
        self.models.iter().find(|entry| entry.id == id)
    }

    /// The entries of one kind, in catalog order.
    pub fn of_kind(&self, kind: ModelKind) -> impl Iterator<Item = &CatalogEntry> {
        self.models.iter().filter(move |entry| entry.kind == kind)
    }
}

/// The catalog shipped with Hearth, parsed once.
pub fn builtin() -> Result<&'static Catalog, ModelsError> {
    static PARSED: OnceLock<Result<Catalog, String>> = OnceLock::new();
    match PARSED.get_or_init(|| Catalog::parse(BUILTIN).map_err(|e| e.to_string())) {
        Ok(catalog) => Ok(catalog),
        Err(reason) => Err(ModelsError::Catalog {
            reason: reason.clone(),
        }),
    }
}

/// The built-in entry with this id, or an error that lists the known ids.
pub fn lookup(id: &str) -> Result<&'static CatalogEntry, ModelsError> {
    let catalog = builtin()?;
    catalog.get(id).ok_or_else(|| ModelsError::UnknownModel {
        id: id.to_string(),
        known: catalog
            .models
            .iter()
            .map(|entry| entry.id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses_with_unique_ids_and_gguf_files() {
        let catalog = builtin().unwrap();
        assert!(
            catalog.models.len() >= 10,
            "only {} models",
            catalog.models.len()
        );
        let ids: HashSet<&str> = catalog.models.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), catalog.models.len());
        for entry in &catalog.models {
            assert!(entry.file.ends_with(".gguf"), "{}", entry.file);
            assert!(
                entry.size_bytes > 10_000_000,
                "{}: size {}",
                entry.id,
                entry.size_bytes
            );
            assert!(
                entry.ram_bytes >= entry.size_bytes,
                "{}: ram below file size",
                entry.id
            );
            assert!(entry.context_length >= 512, "{}", entry.id);
            assert!(
                !entry.license.is_empty() && !entry.name.is_empty(),
                "{}",
                entry.id
            );
        }
        assert!(catalog.of_kind(ModelKind::Chat).count() >= 10);
        assert!(catalog.of_kind(ModelKind::Embedding).count() >= 3);
    }

    #[test]
    fn lookup_finds_entries_and_lists_known_ids_otherwise() {
        let entry = lookup("smollm2-135m").unwrap();
        assert_eq!(entry.kind, ModelKind::Chat);
        assert_eq!(
            entry.download_request(),
            DownloadRequest::new(
                "bartowski/SmolLM2-135M-Instruct-GGUF",
                "SmolLM2-135M-Instruct-Q4_K_M.gguf"
            )
        );
        let error = lookup("gpt-5").unwrap_err();
        assert!(matches!(error, ModelsError::UnknownModel { .. }));
        assert!(error.to_string().contains("qwen2.5-1.5b"), "{error}");
    }

    #[test]
    fn invalid_catalogs_are_rejected_with_a_reason() {
        let entry = |id: &str, file: &str| {
            format!(
                "[[models]]\nid = \"{id}\"\nname = \"n\"\nkind = \"chat\"\nrepo = \"o/r\"\nfile = \"{file}\"\n\
                 quantization = \"Q4_K_M\"\nsize_bytes = 1\nram_bytes = 1\nlicense = \"MIT\"\n\
                 context_length = 512\ndescription = \"d\"\n"
            )
        };
        assert!(Catalog::parse(&entry("a", "a.gguf")).is_ok());
        let twice = format!("{}{}", entry("a", "a.gguf"), entry("a", "b.gguf"));
        let error = Catalog::parse(&twice).unwrap_err().to_string();
        assert!(error.contains("appears twice"), "{error}");
        let error = Catalog::parse(&entry("a", "a.bin"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a .gguf"), "{error}");
        let error = Catalog::parse(&entry("A B", "a.gguf"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("lowercase"), "{error}");
        let drafted = |draft: &str, size: u64| {
            format!(
                "{}draft = \"{draft}\"\n{}",
                entry("big", "big.gguf"),
                entry("small", "small.gguf")
                    .replace("size_bytes = 1", &format!("size_bytes = {size}"))
            )
        };
        assert!(Catalog::parse(&drafted("small", 0)).is_ok());
        let error = Catalog::parse(&drafted("tiny", 0)).unwrap_err().to_string();
        assert!(error.contains("'tiny' is not in the catalog"), "{error}");
        let error = Catalog::parse(&drafted("small", 5))
            .unwrap_err()
            .to_string();
        assert!(error.contains("smaller model"), "{error}");
        let error = Catalog::parse("[[models]]\nid = 3\n").unwrap_err();
        assert_eq!(error.code(), "INVALID_CATALOG");
    }
}
