//! Which models can translate, and what to tell a person whose model could not.
//!
//! A catalog entry says whether its model was trained on many languages or on English
//! only (`multilingual` in `assets/catalog.toml`). A file from elsewhere is judged by
//! its family, read from the GGUF header: Qwen, Gemma, Command R, GLM and BLOOM are
//! trained on many languages from the start, and of the `llama` architecture Meta's
//! Llama 3 and later; SmolLM and TinyLlama write English only; of other families
//! nothing is assumed. A model known to write English only is never taken at its word
//! in another language ([`Hearth::cannot_write`]). When a translation comes back
//! untranslated, [`Hearth::translation_advice`] names the best multilingual model on
//! this computer, or else the catalog's for its memory.

use hearth_llm::ModelInfo;
use hearth_models::ModelKind;
use serde::{Deserialize, Serialize};

use crate::documents::Language;
use crate::error::Result;
use crate::hearth::Hearth;

/// Architectures (`general.architecture`) whose models are trained on many languages.
const MULTILINGUAL_ARCHITECTURES: &[&str] = &[
    "qwen2",
    "qwen2moe",
    "qwen3",
    "qwen3moe",
    "gemma",
    "gemma2",
    "gemma3",
    "gemma3n",
    "command-r",
    "cohere2",
    "glm4",
    "chatglm",
    "bloom",
];

/// Model families (in `general.name`) trained on English text only.
const ENGLISH_ONLY_NAMES: &[&str] = &["smollm", "tinyllama"];

/// Whether a model with this header is trained on many languages: `Some(true)` for the
/// multilingual families, `Some(false)` for English-only ones, `None` when the header
/// does not tell. `name` is the header's `general.name` (or the file's stem).
pub fn is_multilingual(architecture: &str, name: &str) -> Option<bool> {
    let architecture = architecture.to_ascii_lowercase();
    if MULTILINGUAL_ARCHITECTURES.contains(&architecture.as_str()) {
        return Some(true);
    }
    let name = name.to_ascii_lowercase().replace(['-', '_'], " ");
    if ENGLISH_ONLY_NAMES
        .iter()
        .any(|family| name.contains(family))
    {
        return Some(false);
    }
    let llama3 = ["llama 3", "llama3"]
        .iter()
        .any(|family| name.contains(family));
    (architecture == "llama" && llama3).then_some(true)
}

/// What the catalog says of the file at `path` (by its file name), else its family.
fn multilingual(
    catalog: &hearth_models::Catalog,
    path: &std::path::Path,
    architecture: &str,
    name: &str,
) -> Option<bool> {
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
    catalog
        .models
        .iter()
        .find(|m| Some(&m.file) == file.as_ref())
        .and_then(|m| m.multilingual)
        .or_else(|| is_multilingual(architecture, name))
}

/// What to use instead of a model that did not translate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranslationAdvice {
    /// One or two sentences for a person.
    pub message: String,
    /// A multilingual model already on this computer (its library id), best first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Its name to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    /// Otherwise a catalog model to download (`hearth models pull ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull: Option<String>,
}

impl Hearth {
    /// Whether `model` writes English only, so that its "translation" into `to` is not
    /// one whatever it looks like.
    pub fn cannot_write(&self, model: &ModelInfo, to: &Language) -> Result<bool> {
        let catalog = self.model_catalog()?;
        Ok(to.code != "en"
            && multilingual(catalog, &model.path, &model.architecture, &model.name) == Some(false))
    }

    /// Advice for a translation into `to` that `used` did not make: the largest
    /// multilingual chat model in the library, else the catalog's multilingual model
    /// that suits this machine's memory.
    pub fn translation_advice(&self, used: &ModelInfo, to: &Language) -> Result<TranslationAdvice> {
        let catalog = self.model_catalog()?;
        let used_is_multilingual =
            multilingual(catalog, &used.path, &used.architecture, &used.name);
        let mut installed: Vec<(u64, String, String)> = self
            .models()?
            .into_iter()
            .filter(|view| !view.embedding && view.problem.is_none() && view.path != used.path)
            .filter_map(|view| {
                let summary = view.summary.as_ref()?;
                let writes_many = multilingual(
                    catalog,
                    &view.path,
                    summary.architecture.as_deref().unwrap_or_default(),
                    summary.name.as_deref().unwrap_or(&view.display_name),
                ) == Some(true);
                // A multilingual model smaller than the one that failed is no better.
                (writes_many && summary.parameter_count > used.parameters).then(|| {
                    (
                        summary.parameter_count,
                        view.id.clone(),
                        view.display_name.clone(),
                    )
                })
            })
            .collect();
        installed.sort_by_key(|m| std::cmp::Reverse(m.0));
        let used_file = used
            .path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let used_name = hearth_models::display_name(catalog, &used_file, Some(&used.name));
        let why = match used_is_multilingual {
            Some(false) => format!(
                "{used_name} was trained on English text and does not translate into {}",
                to.name
            ),
            Some(true) => format!(
                "{used_name} is too small to translate into {} reliably",
                to.name
            ),
            None => format!("{used_name} did not translate into {}", to.name),
        };
        if let Some((_, id, name)) = installed.into_iter().next() {
            return Ok(TranslationAdvice {
                message: format!(
                    "{why}. Translate with a multilingual model: {name} is on this computer."
                ),
                model: Some(id),
                model_name: Some(name),
                pull: None,
            });
        }
        let candidates: Vec<&hearth_models::CatalogEntry> = catalog
            .of_kind(ModelKind::Chat)
            .filter(|m| m.multilingual == Some(true))
            .collect();
        let total = hearth_gguf::total_memory().unwrap_or(8 << 30);
        Ok(match crate::choice::pick(&candidates, total, None) {
            Some((entry, _)) => TranslationAdvice {
                message: format!(
                    "{why}. Download a multilingual model that suits this computer, {} ({:.1} GB), and translate with it.",
                    entry.name,
                    entry.size_bytes as f64 / 1e9
                ),
                model: None,
                model_name: Some(entry.name.clone()),
                pull: Some(entry.id.clone()),
            },
            None => TranslationAdvice {
                message: format!("{why}. Translate with a multilingual model (Qwen2.5, Gemma 3 or Llama 3)."),
                model: None,
                model_name: None,
                pull: None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_recognized_as_multilingual_english_only_or_unknown() {
        assert_eq!(
            is_multilingual("qwen2", "Qwen2.5 Coder 1.5B Instruct"),
            Some(true)
        );
        assert_eq!(is_multilingual("gemma3", "Gemma 3 270m It"), Some(true));
        assert_eq!(
            is_multilingual("llama", "Llama 3.2 1B Instruct"),
            Some(true)
        );
        assert_eq!(
            is_multilingual("llama", "Meta-Llama-3.1-8B-Instruct"),
            Some(true)
        );
        assert_eq!(
            is_multilingual("llama", "SmolLM2 135M Instruct"),
            Some(false)
        );
        assert_eq!(is_multilingual("llama", "TinyLlama 1.1B Chat"), Some(false));
        // Nothing said either way: never flagged for it, never suggested.
        assert_eq!(is_multilingual("phi3", "Phi 3 Mini"), None);
        assert_eq!(is_multilingual("llama", "Mistral 7B Instruct"), None);
    }

    #[test]
    fn the_catalog_marks_its_multilingual_and_english_only_models() {
        let catalog = hearth_models::catalog::builtin().unwrap();
        let multilingual = |id: &str| catalog.get(id).unwrap().multilingual;
        assert_eq!(multilingual("qwen2.5-1.5b"), Some(true));
        assert_eq!(multilingual("gemma3-4b"), Some(true));
        assert_eq!(multilingual("smollm2-135m"), Some(false));
        assert_eq!(multilingual("smollm2-1.7b"), Some(false));
        assert_eq!(multilingual("all-minilm-l6-v2"), None);
    }
}
