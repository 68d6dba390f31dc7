//! What one loaded engine is for: a model file on this computer with the LoRA adapter
//! applied to it (llama.cpp applies an adapter to the whole context, so answers with and
//! without one cannot share an engine), or a remote provider's model.

use std::fmt;
use std::path::{Path, PathBuf};

use hearth_llm::LoraAdapter;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EngineKey {
    Local {
        path: PathBuf,
        adapter: Option<AdapterKey>,
    },
    Remote {
        provider: String,
        model: String,
    },
}

/// A LoRA adapter as a key part: its file and its scale, compared bit for bit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AdapterKey {
    pub path: PathBuf,
    scale_bits: u32,
}

impl AdapterKey {
    pub fn scale(&self) -> f32 {
        f32::from_bits(self.scale_bits)
    }
}

impl EngineKey {
    pub fn local(path: &Path, adapter: Option<&LoraAdapter>) -> Self {
        EngineKey::Local {
            path: path.to_path_buf(),
            adapter: adapter.map(|a| AdapterKey {
                path: a.path.clone(),
                scale_bits: a.scale.to_bits(),
            }),
        }
    }

    pub fn remote(provider: &str, model: &str) -> Self {
        EngineKey::Remote {
            provider: provider.to_owned(),
            model: model.to_owned(),
        }
    }

    /// The model file, for a local engine.
    pub fn path(&self) -> Option<&Path> {
        match self {
            EngineKey::Local { path, .. } => Some(path),
            EngineKey::Remote { .. } => None,
        }
    }

    pub fn is_remote_of(&self, provider_name: &str) -> bool {
        matches!(self, EngineKey::Remote { provider, .. } if provider == provider_name)
    }
}

/// The key as the UI and the API name a loaded model: the file's path (and the adapter's,
/// with its scale), or `PROVIDER:MODEL`. Unloading compares against this text and never
/// parses it, so no request can name a file through it.
impl fmt::Display for EngineKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineKey::Local {
                path,
                adapter: None,
            } => write!(f, "{}", path.display()),
            EngineKey::Local {
                path,
                adapter: Some(adapter),
            } => write!(
                f,
                "{} with {} at {}",
                path.display(),
                adapter.path.display(),
                adapter.scale()
            ),
            EngineKey::Remote { provider, model } => write!(f, "{provider}:{model}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adapter_or_its_scale_makes_another_engine() {
        let model = Path::new("/m/model.gguf");
        let plain = EngineKey::local(model, None);
        let adapted = EngineKey::local(model, Some(&LoraAdapter::new("/m/style.gguf", 1.0)));
        let half = EngineKey::local(model, Some(&LoraAdapter::new("/m/style.gguf", 0.5)));
        assert_ne!(plain, adapted);
        assert_ne!(adapted, half);
        assert_eq!(
            adapted,
            EngineKey::local(model, Some(&LoraAdapter::new("/m/style.gguf", 1.0)))
        );
        assert_eq!(half.to_string(), "/m/model.gguf with /m/style.gguf at 0.5");
        assert_eq!(plain.path(), Some(model));
    }

    #[test]
    fn a_remote_model_is_named_as_it_is_chosen() {
        let key = EngineKey::remote("openai", "gpt-4o-mini");
        assert_eq!(key.to_string(), "openai:gpt-4o-mini");
        assert!(key.is_remote_of("openai"));
        assert!(!key.is_remote_of("open"));
        assert_eq!(key.path(), None);
    }
}
