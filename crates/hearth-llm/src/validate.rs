//! The check every model file passes before llama.cpp sees it: llama.cpp aborts the
//! process on some malformed files, so a file that would crash it must be refused
//! here with a message naming the file and the problem.

use std::path::Path;

use crate::error::LlmError;

pub fn check_model_file(path: &Path) -> Result<(), LlmError> {
    if !path.exists() {
        return Err(LlmError::ModelNotFound {
            path: path.to_path_buf(),
        });
    }
    hearth_gguf::read_header(path)
        .map(|_| ())
        .map_err(|e| LlmError::InvalidModelFile {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// Encoder architectures llama.cpp runs as embedding models through `llama_encode`.
const ENCODER_ARCHITECTURES: &[&str] = &[
    "bert",
    "nomic-bert",
    "nomic-bert-moe",
    "jina-bert-v2",
    "jina-bert-v3",
    "modern-bert",
    "neo-bert",
];

/// Checks that a file is an encoder embedding model with a pooling type before
/// llama.cpp encodes with it: encoding with a decoder-only (chat) model crashes the
/// process instead of failing.
pub fn check_embedding_model(path: &Path) -> Result<(), LlmError> {
    check_model_file(path)?;
    let file = hearth_gguf::read_header(path).map_err(|e| LlmError::InvalidModelFile {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let refuse = |reason: String| LlmError::NotAnEmbeddingModel {
        path: path.to_path_buf(),
        reason,
    };
    let architecture = file.architecture().unwrap_or("unknown");
    if !ENCODER_ARCHITECTURES.contains(&architecture) {
        return Err(refuse(format!(
            "its architecture is `{architecture}`, a text generator, not an encoder"
        )));
    }
    // llama.cpp's pooling types: 1 mean, 2 CLS, 3 last token (0 none, 4 rank).
    match file.arch_u64("pooling_type") {
        Some(1..=3) => Ok(()),
        Some(other) => Err(refuse(format!(
            "its pooling type is {other}, which gives no sentence vector"
        ))),
        None => Err(refuse("it names no pooling type".into())),
    }
}
