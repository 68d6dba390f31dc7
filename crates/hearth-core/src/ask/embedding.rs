//! The embedding models behind document collections and `/v1/embeddings`: found by
//! library id like chat models, converted from a sentence-transformers folder in the
//! models folder on first use, loaded once and shared.
//!
//! Embedders run in this process even when chat models run in a worker: a BERT encoder
//! is small, runs no sampling and no user-written grammar, and ingestion sends it
//! thousands of texts, which a process boundary would copy twice.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hearth_llm::LlamaEmbedder;

use crate::error::{CoreError, Result};
use crate::hearth::{poisoned, Hearth};

impl Hearth {
    /// The embedding model `model` names (the configured one with `None`), loading it on
    /// first use. Returns its id as collections record it, and the loaded model.
    pub fn embedder(&self, model: Option<&str>) -> Result<(String, Arc<LlamaEmbedder>)> {
        let id = match model {
            Some(id) => id.trim().to_owned(),
            None => self.config().embedding_model,
        };
        let path = self.resolve_embedding_model(&id)?;
        let mut embedders = self.embedders.lock().map_err(|_| poisoned())?;
        if let Some(loaded) = embedders.get(&path) {
            return Ok((id, loaded.clone()));
        }
        let config = self.config();
        let loaded = match LlamaEmbedder::load_on(&path, config.threads, config.gpu_choice().0) {
            Ok(loaded) => Arc::new(loaded),
            Err(hearth_llm::LlmError::NotAnEmbeddingModel { reason, .. }) => {
                return Err(CoreError::NotAnEmbeddingModel { id, reason })
            }
            Err(e) => return Err(e.into()),
        };
        // A chat model loads as well, but pools nothing: find out now, not mid-ingestion.
        if loaded.info().dimensions == 0 || loaded.embed(&["probe".to_owned()]).is_err() {
            return Err(CoreError::NotAnEmbeddingModel {
                id,
                reason: "it gave no vector for a test sentence".into(),
            });
        }
        embedders.insert(path, loaded.clone());
        Ok((id, loaded))
    }

    /// A library entry or model file by that name, or else a sentence-transformers
    /// folder of that name in the models folder, converted now and added to the library.
    fn resolve_embedding_model(&self, id: &str) -> Result<PathBuf> {
        match self.resolve_model(Some(id)) {
            Err(CoreError::UnknownModel { .. }) => {}
            found => return found,
        }
        let folder = self.paths.models_dir().join(id);
        if is_sentence_transformers_folder(&folder) {
            tracing::info!(folder = %folder.display(), "converting the embedding model on first use");
            let view = self.convert_model(&folder, Some(id))?;
            return Ok(view.path);
        }
        Err(CoreError::NoEmbeddingModel {
            id: id.to_owned(),
            folder,
        })
    }
}

fn is_sentence_transformers_folder(dir: &Path) -> bool {
    dir.join("config.json").is_file() && dir.join("tokenizer.json").is_file()
}
