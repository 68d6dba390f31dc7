//! LoRA adapters on a local model: a GGUF of low-rank weight deltas (llama.cpp's
//! `general.type = adapter`, `adapter.type = lora`) added to the model's matrices with a
//! scale.
//!
//! llama.cpp attaches an adapter to a whole context, and an engine decodes several
//! conversations in one context, so the adapter is part of [`EngineSettings`]: one
//! engine per (model, adapter, scale), never an adapter per request. The file is checked
//! here in pure Rust before llama.cpp reads it, as model files are (llama.cpp aborts on
//! some malformed files), so every refusal names the file and what to do; what only
//! llama.cpp can judge (the exact tensor shapes) comes back as the same error when it
//! refuses the file.
//!
//! [`EngineSettings`]: super::EngineSettings

use std::path::{Path, PathBuf};

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::model::{LlamaLoraAdapter, LlamaModel};
use serde::{Deserialize, Serialize};

use crate::error::{LlmError, Result};
use crate::request::AdapterInfo;

/// The largest scale, either way, an adapter may be applied with. 1 applies it as it was
/// trained and 0 turns it off; scales a little past 1 strengthen it and negative ones
/// push away from it, but far beyond a few times its trained strength a model only
/// produces noise, so such a setting is taken for a typo.
pub const MAX_ADAPTER_SCALE: f32 = 4.0;

/// A LoRA adapter to attach to a local model, and how strongly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoraAdapter {
    /// The adapter's GGUF file; it must be made for the model's architecture and shapes.
    pub path: PathBuf,
    /// How strongly to apply it, within ±[`MAX_ADAPTER_SCALE`]: 1 as trained, 0 not at all.
    #[serde(default = "as_trained")]
    pub scale: f32,
}

/// A scale left out of a settings file means the adapter as it was trained.
fn as_trained() -> f32 {
    1.0
}

impl LoraAdapter {
    pub fn new(path: impl Into<PathBuf>, scale: f32) -> Self {
        Self {
            path: path.into(),
            scale,
        }
    }
}

/// Checks `adapter` against the model file at `model` before llama.cpp sees either: the
/// scale, the file's GGUF structure, its adapter metadata, its architecture, and that
/// every tensor it changes exists in the model with the same dimensions past the matrix
/// (experts): llama.cpp checks the first two itself, but a mismatch in the others would
/// abort the process at the first decode.
pub(crate) fn check(adapter: &LoraAdapter, model: &Path) -> Result<AdapterInfo> {
    let refuse = |reason: String| LlmError::BadAdapter {
        path: adapter.path.clone(),
        reason,
    };
    let scale = adapter.scale;
    if !scale.is_finite() || scale.abs() > MAX_ADAPTER_SCALE {
        return Err(refuse(format!(
            "its scale {scale} is out of range; set a scale from -{MAX_ADAPTER_SCALE} to \
             {MAX_ADAPTER_SCALE} (1 applies it as trained, 0 turns it off)"
        )));
    }
    if !adapter.path.exists() {
        return Err(refuse(
            "the file does not exist; check the adapter's path".into(),
        ));
    }
    let file = hearth_gguf::read_header(&adapter.path).map_err(|e| refuse(e.to_string()))?;
    let meta = file.metadata();
    let general_type = meta.get_str("general.type").unwrap_or("");
    let adapter_type = meta.get_str("adapter.type").unwrap_or("");
    if general_type != "adapter" || adapter_type != "lora" {
        return Err(refuse(format!(
            "it is not a LoRA adapter (general.type is `{general_type}`, adapter.type is \
             `{adapter_type}`; expected `adapter` and `lora`); choose a LoRA adapter \
             converted to GGUF, for example with llama.cpp's convert_lora_to_gguf.py"
        )));
    }
    let model_file = hearth_gguf::read_header(model).map_err(|e| LlmError::InvalidModelFile {
        path: model.to_path_buf(),
        message: e.to_string(),
    })?;
    let model_arch = model_file.architecture().unwrap_or("unknown");
    let adapter_arch = file.architecture().unwrap_or("");
    if adapter_arch != model_arch {
        return Err(refuse(format!(
            "it was made for the `{adapter_arch}` architecture but the model is \
             `{model_arch}`; choose an adapter trained on this model"
        )));
    }
    let mut changed = 0usize;
    for tensor in file.tensors() {
        let Some(base) = tensor
            .name
            .strip_suffix(".lora_a")
            .or_else(|| tensor.name.strip_suffix(".lora_b"))
        else {
            continue;
        };
        let Some(target) = model_file.tensor(base) else {
            return Err(refuse(format!(
                "it changes tensor `{base}`, which the model does not have; choose an \
                 adapter trained on this model"
            )));
        };
        if outer_dims(&tensor.dims) != outer_dims(&target.dims) {
            return Err(refuse(format!(
                "tensor `{}` has shape {:?} but the model's `{base}` has {:?}; choose an \
                 adapter trained on this model",
                tensor.name, tensor.dims, target.dims
            )));
        }
        changed += 1;
    }
    if changed == 0 {
        return Err(refuse(
            "it holds no LoRA tensors (none named `*.lora_a` or `*.lora_b`); the file \
             may be damaged, convert the adapter again"
                .into(),
        ));
    }
    let name = meta
        .get_str("general.name")
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            adapter
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    Ok(AdapterInfo {
        path: adapter.path.clone(),
        name,
        scale,
    })
}

/// The dimensions past the matrix (experts, ...), with the trailing ones ggml ignores
/// dropped.
fn outer_dims(dims: &[u64]) -> Vec<u64> {
    let mut outer: Vec<u64> = dims.iter().skip(2).copied().collect();
    while outer.last() == Some(&1) {
        outer.pop();
    }
    outer
}

/// Loads a checked adapter into `model`. The adapter belongs to the model from then on
/// (llama.cpp frees it with the model), so it stays valid while any context of the model
/// uses it.
pub(crate) fn load(model: &mut LlamaModel, adapter: &LoraAdapter) -> Result<LlamaLoraAdapter> {
    model
        .lora_adapter_init(&adapter.path)
        .map_err(|e| LlmError::BadAdapter {
            path: adapter.path.clone(),
            reason: format!(
                "llama.cpp refused it ({e}); its tensor shapes probably do not match this \
                 model, choose an adapter trained on this model (the log says more)"
            ),
        })
}

/// Applies a loaded adapter to the whole context with the configured scale.
pub(crate) fn attach(
    ctx: &mut LlamaContext<'_>,
    loaded: &mut LlamaLoraAdapter,
    adapter: &LoraAdapter,
) -> Result<()> {
    ctx.lora_adapter_set(loaded, adapter.scale)
        .map_err(|e| LlmError::BadAdapter {
            path: adapter.path.clone(),
            reason: format!(
                "llama.cpp could not apply it to the context ({e}); load the model again"
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outer_dims_ignore_the_matrix_and_trailing_ones() {
        assert!(outer_dims(&[576, 8]).is_empty());
        assert!(outer_dims(&[576, 8, 1, 1]).is_empty());
        assert_eq!(outer_dims(&[576, 8, 4]), vec![4]);
        assert_eq!(outer_dims(&[576, 8, 4, 1]), vec![4]);
    }

    #[test]
    fn settings_carry_the_adapter_to_the_worker_and_older_settings_still_read() {
        let settings = super::super::EngineSettings {
            adapter: Some(LoraAdapter::new("/adapters/pirate.gguf", 0.75)),
            ..Default::default()
        };
        let json = serde_json::to_string(&settings).unwrap();
        let back: super::super::EngineSettings = serde_json::from_str(&json).unwrap();
        assert_eq!(back, settings);
        // Settings written before adapters existed have no such key.
        let old: super::super::EngineSettings = serde_json::from_str(r#"{"parallel": 3}"#).unwrap();
        assert_eq!(old.adapter, None);
        assert_eq!(old.parallel, 3);
        let unscaled: LoraAdapter = serde_json::from_str(r#"{"path": "a.gguf"}"#).unwrap();
        assert_eq!(unscaled.scale, 1.0);
    }

    #[test]
    fn a_scale_out_of_range_is_refused_before_the_file_is_read() {
        for scale in [f32::NAN, f32::INFINITY, -4.5, 100.0] {
            let adapter = LoraAdapter::new("/nonexistent/adapter.gguf", scale);
            match check(&adapter, Path::new("/nonexistent/model.gguf")) {
                Err(LlmError::BadAdapter { reason, .. }) => {
                    assert!(reason.contains("scale"), "{reason}")
                }
                other => panic!("scale {scale}: expected BadAdapter, got {other:?}"),
            }
        }
    }
}
