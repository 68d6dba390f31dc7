//! Converts a sentence-transformers BERT folder (config.json, model.safetensors, a
//! WordPiece vocabulary) into a GGUF file llama.cpp loads as an embedding model — the
//! BERT architecture with its WordPiece tokenizer, mean or CLS pooling as the folder's
//! pooling config says.
//!
//! No GGUF of the default embedding model (all-MiniLM-L6-v2) is published in any
//! registry Hearth may use, so Hearth makes its own. The tensor names and metadata keys
//! are llama.cpp's (`src/llama-arch.cpp`, `src/models/bert.cpp`): weight matrices are
//! stored as F16, norms, biases and the small embedding tables as F32. Vocabulary pieces
//! are rewritten the way llama.cpp's WordPiece tokenizer reads them: a piece that starts
//! a word gets a leading `▁`, a `##` continuation loses its `##`, `[SPECIAL]` tokens stay.
//!
//! Everything is checked before anything is written: an unknown architecture, a cased
//! tokenizer (llama.cpp's WordPiece lowercases), a tensor with an unexpected name or shape
//! or a vocabulary that does not match the model is an error naming the file and field.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use hearth_gguf::{array, GgmlType, GgufWriter, MetadataValue, ValueType};
use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;

/// What a conversion produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    pub output: PathBuf,
    pub name: String,
    pub layers: u32,
    pub embedding_length: u32,
    pub vocabulary: usize,
    pub tensors: usize,
    pub pooling: Pooling,
}

/// How token vectors become one sentence vector (llama.cpp's `pooling_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    Mean,
    Cls,
}

impl Pooling {
    fn gguf_id(self) -> u32 {
        match self {
            Pooling::Mean => 1,
            Pooling::Cls => 2,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("{path}: {reason}; Hearth converts sentence-transformers BERT models (model_type \"bert\") only")]
    Unsupported { path: PathBuf, reason: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Deserialize)]
struct BertConfig {
    model_type: Option<String>,
    hidden_size: u32,
    num_hidden_layers: u32,
    num_attention_heads: u32,
    intermediate_size: u32,
    max_position_embeddings: u32,
    #[serde(default = "default_type_vocab")]
    type_vocab_size: u32,
    #[serde(default = "default_eps")]
    layer_norm_eps: f32,
    vocab_size: u32,
    #[serde(default)]
    hidden_act: Option<String>,
}

fn default_type_vocab() -> u32 {
    2
}

fn default_eps() -> f32 {
    1e-12
}

#[derive(Deserialize, Default)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
}

/// Converts the model in `dir` to a GGUF file at `output`.
pub fn convert_bert(dir: &Path, output: &Path) -> Result<Converted, ConvertError> {
    let config_path = dir.join("config.json");
    let config: BertConfig = read_json(&config_path)?;
    let unsupported = |reason: String| ConvertError::Unsupported {
        path: config_path.clone(),
        reason,
    };
    match config.model_type.as_deref() {
        Some("bert") => {}
        other => return Err(unsupported(format!("model_type is {other:?}"))),
    }
    if let Some(act) = config.hidden_act.as_deref().filter(|a| *a != "gelu") {
        return Err(unsupported(format!(
            "hidden_act is \"{act}\", llama.cpp's BERT uses gelu"
        )));
    }
    if config.num_attention_heads == 0
        || !config
            .hidden_size
            .is_multiple_of(config.num_attention_heads)
    {
        return Err(unsupported(format!(
            "{} attention heads do not divide a hidden size of {}",
            config.num_attention_heads, config.hidden_size
        )));
    }
    let pooling = read_pooling(dir)?;
    let vocab = read_vocabulary(dir, config.vocab_size)?;

    let weights_path = dir.join("model.safetensors");
    let bytes = fs::read(&weights_path).map_err(|source| ConvertError::Read {
        path: weights_path.clone(),
        source,
    })?;
    let tensors = SafeTensors::deserialize(&bytes).map_err(|e| ConvertError::Invalid {
        path: weights_path.clone(),
        reason: e.to_string(),
    })?;

    let mut writer = GgufWriter::new();
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n != "model")
        .or_else(|| {
            dir.parent()
                .and_then(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "bert".into());
    let string = |s: &str| MetadataValue::String(s.to_owned());
    let set = |writer: &mut GgufWriter, key: &str, value: MetadataValue| {
        writer
            .set(key, value)
            .expect("metadata values are built well-typed")
    };
    set(&mut writer, "general.architecture", string("bert"));
    set(&mut writer, "general.name", string(&name));
    // 1 = mostly F16, llama.cpp's `LLAMA_FTYPE_MOSTLY_F16`.
    set(&mut writer, "general.file_type", MetadataValue::U32(1));
    set(
        &mut writer,
        "bert.context_length",
        MetadataValue::U32(config.max_position_embeddings),
    );
    set(
        &mut writer,
        "bert.embedding_length",
        MetadataValue::U32(config.hidden_size),
    );
    set(
        &mut writer,
        "bert.feed_forward_length",
        MetadataValue::U32(config.intermediate_size),
    );
    set(
        &mut writer,
        "bert.block_count",
        MetadataValue::U32(config.num_hidden_layers),
    );
    set(
        &mut writer,
        "bert.attention.head_count",
        MetadataValue::U32(config.num_attention_heads),
    );
    set(
        &mut writer,
        "bert.attention.layer_norm_epsilon",
        MetadataValue::F32(config.layer_norm_eps),
    );
    set(
        &mut writer,
        "bert.attention.causal",
        MetadataValue::Bool(false),
    );
    set(
        &mut writer,
        "bert.pooling_type",
        MetadataValue::U32(pooling.gguf_id()),
    );

    set(&mut writer, "tokenizer.ggml.model", string("bert"));
    set(&mut writer, "tokenizer.ggml.pre", string("default"));
    set(
        &mut writer,
        "tokenizer.ggml.tokens",
        array(
            ValueType::String,
            vocab.pieces.iter().map(|p| string(p)).collect(),
        ),
    );
    set(
        &mut writer,
        "tokenizer.ggml.token_type",
        array(
            ValueType::I32,
            vocab.types.iter().map(|&t| MetadataValue::I32(t)).collect(),
        ),
    );
    set(
        &mut writer,
        "tokenizer.ggml.token_type_count",
        MetadataValue::U32(config.type_vocab_size),
    );
    for (key, token) in [
        ("tokenizer.ggml.unknown_token_id", "[UNK]"),
        ("tokenizer.ggml.seperator_token_id", "[SEP]"),
        ("tokenizer.ggml.padding_token_id", "[PAD]"),
        ("tokenizer.ggml.cls_token_id", "[CLS]"),
        ("tokenizer.ggml.bos_token_id", "[CLS]"),
        ("tokenizer.ggml.mask_token_id", "[MASK]"),
    ] {
        if let Some(&id) = vocab.ids.get(token) {
            set(&mut writer, key, MetadataValue::U32(id));
        }
    }
    set(
        &mut writer,
        "tokenizer.ggml.normalizer.lowercase",
        MetadataValue::Bool(true),
    );
    set(
        &mut writer,
        "tokenizer.ggml.normalizer.strip_accents",
        MetadataValue::Bool(vocab.strip_accents),
    );

    let mut count = 0;
    for (hf_name, view) in tensors.tensors() {
        let Some(gguf_name) = gguf_tensor_name(&hf_name, config.num_hidden_layers) else {
            if ignored_tensor(&hf_name) {
                continue;
            }
            return Err(ConvertError::Unsupported {
                path: weights_path.clone(),
                reason: format!("tensor {hf_name} is not part of a BERT encoder"),
            });
        };
        let shape: Vec<u64> = view.shape().iter().map(|&d| d as u64).collect();
        let values = to_f32(view.dtype(), view.data()).ok_or_else(|| ConvertError::Invalid {
            path: weights_path.clone(),
            reason: format!(
                "tensor {hf_name} has type {:?}; F32, F16 or BF16 expected",
                view.dtype()
            ),
        })?;
        check_shape(&gguf_name, &shape, &config, vocab.pieces.len()).map_err(|reason| {
            ConvertError::Invalid {
                path: weights_path.clone(),
                reason: format!("tensor {hf_name}: {reason}"),
            }
        })?;
        // ggml lists dimensions fastest first: PyTorch's [rows, cols] is [cols, rows].
        let dims: Vec<u64> = shape.iter().rev().copied().collect();
        let matrix =
            shape.len() == 2 && (gguf_name.starts_with("blk.") || gguf_name == "token_embd.weight");
        let (ty, data) = if matrix {
            let halves: Vec<u8> = values
                .iter()
                .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
                .collect();
            (GgmlType::F16, halves)
        } else {
            (
                GgmlType::F32,
                values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            )
        };
        writer
            .add_tensor(&gguf_name, &dims, ty, data)
            .map_err(|e| ConvertError::Invalid {
                path: weights_path.clone(),
                reason: e.to_string(),
            })?;
        count += 1;
    }
    let expected = 5 + 16 * config.num_hidden_layers as usize;
    if count != expected {
        return Err(ConvertError::Invalid {
            path: weights_path,
            reason: format!("{count} encoder tensors found, a BERT of this size has {expected}"),
        });
    }
    writer
        .write_file(output)
        .map_err(|source| ConvertError::Write {
            path: output.to_path_buf(),
            source,
        })?;
    Ok(Converted {
        output: output.to_path_buf(),
        name,
        layers: config.num_hidden_layers,
        embedding_length: config.hidden_size,
        vocabulary: vocab.pieces.len(),
        tensors: count,
        pooling,
    })
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ConvertError> {
    let text = fs::read_to_string(path).map_err(|source| ConvertError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| ConvertError::Invalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Mean pooling unless the folder's pooling config asks for the CLS token.
fn read_pooling(dir: &Path) -> Result<Pooling, ConvertError> {
    let path = dir.join("1_Pooling").join("config.json");
    if !path.is_file() {
        return Ok(Pooling::Mean);
    }
    let config: PoolingConfig = read_json(&path)?;
    match (
        config.pooling_mode_mean_tokens,
        config.pooling_mode_cls_token,
        config.pooling_mode_max_tokens,
    ) {
        (_, _, true) => Err(ConvertError::Unsupported {
            path,
            reason: "max pooling is not one llama.cpp offers".into(),
        }),
        (false, true, _) => Ok(Pooling::Cls),
        _ => Ok(Pooling::Mean),
    }
}

struct Vocabulary {
    /// Pieces in llama.cpp's spelling, by id.
    pieces: Vec<String>,
    /// llama.cpp token types: 1 normal, 3 control.
    types: Vec<i32>,
    /// Original pieces to ids, for the special tokens.
    ids: HashMap<String, u32>,
    strip_accents: bool,
}

#[derive(Deserialize, Default)]
struct TokenizerJson {
    #[serde(default)]
    normalizer: Option<serde_json::Value>,
    #[serde(default)]
    added_tokens: Vec<AddedToken>,
}

#[derive(Deserialize)]
struct AddedToken {
    content: String,
    #[serde(default)]
    special: bool,
}

/// The WordPiece vocabulary from vocab.txt, with special tokens and normalization from
/// tokenizer.json when it is there.
fn read_vocabulary(dir: &Path, vocab_size: u32) -> Result<Vocabulary, ConvertError> {
    let path = dir.join("vocab.txt");
    let text = fs::read_to_string(&path).map_err(|source| ConvertError::Read {
        path: path.clone(),
        source,
    })?;
    let original: Vec<&str> = text.lines().collect();
    if original.len() != vocab_size as usize {
        return Err(ConvertError::Invalid {
            path,
            reason: format!(
                "{} tokens, but config.json says vocab_size {vocab_size}",
                original.len()
            ),
        });
    }
    let tokenizer_path = dir.join("tokenizer.json");
    let tokenizer: TokenizerJson = if tokenizer_path.is_file() {
        read_json(&tokenizer_path)?
    } else {
        TokenizerJson::default()
    };
    let normalizer = tokenizer.normalizer.unwrap_or_default();
    let lowercase = normalizer
        .get("lowercase")
        .and_then(|v| v.as_bool())
        .unwrap_or(true);
    if !lowercase {
        return Err(ConvertError::Unsupported {
            path: tokenizer_path,
            reason: "the tokenizer keeps case, and llama.cpp's WordPiece lowercases".into(),
        });
    }
    // BERT's normalizer strips accents when lowercasing unless told otherwise.
    let strip_accents = normalizer
        .get("strip_accents")
        .and_then(|v| v.as_bool())
        .unwrap_or(lowercase);
    let mut special: Vec<String> = tokenizer
        .added_tokens
        .iter()
        .filter(|t| t.special)
        .map(|t| t.content.clone())
        .collect();
    if special.is_empty() {
        special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
            .map(String::from)
            .to_vec();
    }
    let mut pieces = Vec::with_capacity(original.len());
    let mut types = Vec::with_capacity(original.len());
    let mut ids = HashMap::new();
    for (id, piece) in original.iter().enumerate() {
        ids.insert((*piece).to_owned(), id as u32);
        pieces.push(llama_piece(piece));
        types.push(if special.iter().any(|s| s == piece) {
            3
        } else {
            1
        });
    }
    Ok(Vocabulary {
        pieces,
        types,
        ids,
        strip_accents,
    })
}

/// llama.cpp's spelling of a WordPiece piece: `[X]` as is, `##x` → `x`, `x` → `▁x`.
fn llama_piece(piece: &str) -> String {
    if piece.starts_with('[') && piece.ends_with(']') {
        piece.to_owned()
    } else if let Some(rest) = piece.strip_prefix("##") {
        rest.to_owned()
    } else {
        format!("\u{2581}{piece}")
    }
}

/// llama.cpp's name for a Hugging Face BERT tensor.
fn gguf_tensor_name(hf: &str, layers: u32) -> Option<String> {
    let name = hf
        .strip_prefix("bert.")
        .or_else(|| hf.strip_prefix("0.auto_model."))
        .unwrap_or(hf);
    let fixed = match name {
        "embeddings.word_embeddings.weight" => Some("token_embd.weight"),
        "embeddings.position_embeddings.weight" => Some("position_embd.weight"),
        "embeddings.token_type_embeddings.weight" => Some("token_types.weight"),
        "embeddings.LayerNorm.weight" => Some("token_embd_norm.weight"),
        "embeddings.LayerNorm.bias" => Some("token_embd_norm.bias"),
        _ => None,
    };
    if let Some(fixed) = fixed {
        return Some(fixed.to_owned());
    }
    let rest = name.strip_prefix("encoder.layer.")?;
    let (index, part) = rest.split_once('.')?;
    let index: u32 = index.parse().ok()?;
    if index >= layers {
        return None;
    }
    let (module, kind) = part.rsplit_once('.')?;
    if kind != "weight" && kind != "bias" {
        return None;
    }
    let target = match module {
        "attention.self.query" => "attn_q",
        "attention.self.key" => "attn_k",
        "attention.self.value" => "attn_v",
        "attention.output.dense" => "attn_output",
        "attention.output.LayerNorm" => "attn_output_norm",
        "intermediate.dense" => "ffn_up",
        "output.dense" => "ffn_down",
        "output.LayerNorm" => "layer_output_norm",
        _ => return None,
    };
    Some(format!("blk.{index}.{target}.{kind}"))
}

/// Tensors a sentence-transformers BERT carries that the encoder does not use.
fn ignored_tensor(hf: &str) -> bool {
    hf.contains("pooler.") || hf.ends_with("position_ids") || hf.starts_with("cls.")
}

/// The shape llama.cpp expects, in PyTorch order.
fn check_shape(
    gguf_name: &str,
    shape: &[u64],
    config: &BertConfig,
    vocab: usize,
) -> Result<(), String> {
    let (h, ff) = (config.hidden_size as u64, config.intermediate_size as u64);
    let part = gguf_name
        .rsplit_once('.')
        .map(|(stem, _)| stem.rsplit('.').next().unwrap_or(stem))
        .unwrap_or(gguf_name);
    let bias = gguf_name.ends_with(".bias");
    let expected: Vec<u64> = match (part, bias) {
        ("token_embd", _) => vec![vocab as u64, h],
        ("position_embd", _) => vec![config.max_position_embeddings as u64, h],
        ("token_types", _) => vec![config.type_vocab_size as u64, h],
        ("ffn_up", false) => vec![ff, h],
        ("ffn_up", true) => vec![ff],
        ("ffn_down", false) => vec![h, ff],
        ("attn_q" | "attn_k" | "attn_v" | "attn_output", false) => vec![h, h],
        _ => vec![h],
    };
    if shape == expected.as_slice() {
        Ok(())
    } else {
        Err(format!("shape {shape:?}, expected {expected:?}"))
    }
}

/// Tensor bytes as f32 values, from F32, F16 or BF16 (little-endian, as safetensors stores).
fn to_f32(dtype: Dtype, data: &[u8]) -> Option<Vec<f32>> {
    match dtype {
        Dtype::F32 => Some(
            data.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        ),
        Dtype::F16 => Some(
            data.chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
        ),
        Dtype::BF16 => Some(
            data.chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_llama_cpp_and_the_rest_is_refused() {
        assert_eq!(
            gguf_tensor_name("encoder.layer.3.attention.self.query.weight", 6).as_deref(),
            Some("blk.3.attn_q.weight")
        );
        assert_eq!(
            gguf_tensor_name("bert.encoder.layer.0.output.LayerNorm.bias", 6).as_deref(),
            Some("blk.0.layer_output_norm.bias")
        );
        assert_eq!(
            gguf_tensor_name("embeddings.word_embeddings.weight", 6).as_deref(),
            Some("token_embd.weight")
        );
        assert_eq!(
            gguf_tensor_name("encoder.layer.6.output.dense.weight", 6),
            None
        );
        assert_eq!(gguf_tensor_name("encoder.layer.0.rotary.weight", 6), None);
        assert!(ignored_tensor("pooler.dense.weight"));
        assert!(!ignored_tensor("encoder.layer.0.rotary.weight"));
    }

    #[test]
    fn wordpiece_pieces_are_spelled_as_llama_cpp_reads_them() {
        assert_eq!(llama_piece("[CLS]"), "[CLS]");
        assert_eq!(llama_piece("##ing"), "ing");
        assert_eq!(llama_piece("play"), "\u{2581}play");
        assert_eq!(llama_piece("#"), "\u{2581}#");
    }

    #[test]
    fn half_and_bfloat_values_widen_exactly() {
        let one = half::f16::from_f32(1.5).to_le_bytes();
        assert_eq!(to_f32(Dtype::F16, &one), Some(vec![1.5]));
        let two = half::bf16::from_f32(-2.0).to_le_bytes();
        assert_eq!(to_f32(Dtype::BF16, &two), Some(vec![-2.0]));
        assert_eq!(to_f32(Dtype::I64, &[0; 8]), None);
    }

    #[test]
    fn a_folder_that_is_not_bert_says_so() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"model_type": "llama", "hidden_size": 8, "num_hidden_layers": 1,
                "num_attention_heads": 2, "intermediate_size": 16,
                "max_position_embeddings": 8, "vocab_size": 4}"#,
        )
        .unwrap();
        let error = convert_bert(dir.path(), &dir.path().join("out.gguf")).unwrap_err();
        assert!(
            error.to_string().contains("model_type is Some(\"llama\")"),
            "{error}"
        );
        assert!(!dir.path().join("out.gguf").exists());
        let missing = convert_bert(&dir.path().join("nowhere"), &dir.path().join("x.gguf"));
        assert!(matches!(missing, Err(ConvertError::Read { .. })));
    }
}
