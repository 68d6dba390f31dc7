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
