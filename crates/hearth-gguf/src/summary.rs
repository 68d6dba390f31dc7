//! The figures the model library shows for a GGUF file: what the model is, how big, how
//! it is quantized, and its main hyper-parameters, as plain serialisable data.
//!
//! Hyper-parameters live under the architecture's prefix (`llama.context_length`,
//! `gemma3.block_count`); a file without `general.architecture` still gets a summary,
//! with those fields empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::file::GgufFile;
use crate::types::GgmlType;

/// What the model library knows about one model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// `general.architecture`, such as `llama` or `gemma3`.
    pub architecture: Option<String>,
    /// `general.name`.
    pub name: Option<String>,
    /// `general.license`.
    pub license: Option<String>,
    /// Sum of the element counts of all tensors.
    pub parameter_count: u64,
    /// llama.cpp's name for the quantization (`Q4_1`, `Q4_K_M`, `F16`, ...), from
    /// `general.file_type`, or else the type holding most weights.
    pub quantization: String,
    /// `{arch}.context_length`: the context the model was trained for.
    pub context_length: Option<u64>,
    /// `{arch}.embedding_length`.
    pub embedding_length: Option<u64>,
    /// `{arch}.block_count`: number of layers.
    pub block_count: Option<u64>,
    /// `{arch}.feed_forward_length` (largest over layers when it varies).
    pub feed_forward_length: Option<u64>,
    /// `{arch}.attention.head_count` (largest over layers when it varies).
    pub head_count: Option<u64>,
    /// `{arch}.attention.head_count_kv` (largest over layers when it varies).
    pub head_count_kv: Option<u64>,
    /// `{arch}.attention.key_length`, when the file states it.
    pub key_length: Option<u64>,
    /// `{arch}.attention.value_length`, when the file states it.
    pub value_length: Option<u64>,
    /// Tokens in the vocabulary.
    pub vocab_size: Option<u64>,
    /// Whether the file carries `tokenizer.chat_template`.
    pub has_chat_template: bool,
    /// Size of the file in bytes.
    pub file_size: u64,
    /// Bytes of tensor data (the weights llama.cpp maps).
    pub tensor_data_bytes: u64,
    /// Number of tensors.
    pub tensor_count: u64,
    /// GGUF format version.
    pub gguf_version: u32,
}

impl ModelSummary {
    /// Builds the summary from a checked header.
    pub fn from_file(file: &GgufFile) -> ModelSummary {
        let md = file.metadata();
        let arch = file.architecture().map(str::to_string);
        let arch_key = |suffix: &str| arch.as_ref().map(|a| format!("{a}.{suffix}"));
        let arch_u64 = |suffix: &str| arch_key(suffix).and_then(|k| md.get_u64(&k));
        let arch_max = |suffix: &str| arch_key(suffix).and_then(|k| md.get_u64_max_over_layers(&k));

        let vocab_size = md
            .array_len("tokenizer.ggml.tokens")
            .or_else(|| arch_u64("vocab_size"))
            // token_embd is [n_embd, n_vocab] in ggml order.
            .or_else(|| {
                file.tensor("token_embd.weight")
                    .and_then(|t| t.dims.get(1).copied())
            });

        ModelSummary {
            architecture: arch.clone(),
            name: md.get_str("general.name").map(str::to_string),
            license: md.get_str("general.license").map(str::to_string),
            parameter_count: file.parameter_count(),
            quantization: quantization(file),
            context_length: arch_u64("context_length"),
            embedding_length: arch_u64("embedding_length"),
            block_count: arch_u64("block_count"),
            feed_forward_length: arch_max("feed_forward_length"),
            head_count: arch_max("attention.head_count"),
            head_count_kv: arch_max("attention.head_count_kv"),
            key_length: arch_u64("attention.key_length"),
            value_length: arch_u64("attention.value_length"),
            vocab_size,
            has_chat_template: file.chat_template().is_some(),
            file_size: file.file_len(),
            tensor_data_bytes: file.tensor_data_bytes(),
            tensor_count: file.tensors().len() as u64,
            gguf_version: file.version(),
        }
    }
}

/// The quantization name: `general.file_type` when it is a known llama.cpp file type,
/// otherwise the type of most weight elements (1-D tensors are norms and biases, kept
/// in F32 whatever the quantization, so they are left out when there is anything else).
fn quantization(file: &GgufFile) -> String {
    if let Some(name) = file
        .metadata()
        .get_u64("general.file_type")
        .and_then(file_type_name)
    {
        return name.to_string();
    }
    dominant_type(file)
        .map(|t| t.name().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

fn dominant_type(file: &GgufFile) -> Option<GgmlType> {
    let mut by_type: BTreeMap<GgmlType, u64> = BTreeMap::new();
    let has_matrices = file.tensors().iter().any(|t| t.dims.len() >= 2);
    for t in file
        .tensors()
        .iter()
        .filter(|t| !has_matrices || t.dims.len() >= 2)
    {
        *by_type.entry(t.ggml_type).or_default() += t.n_elements;
    }
    by_type.into_iter().max_by_key(|&(_, n)| n).map(|(t, _)| t)
}

/// llama.cpp's `llama_ftype` values, named as in quantized file names (`Q4_K_M`) rather
/// than as `llama_model_ftype_name` prints them (`Q4_K - Medium`).
pub fn file_type_name(file_type: u64) -> Option<&'static str> {
    // Bit 10 (LLAMA_FTYPE_GUESSED) marks a type llama.cpp guessed at load time; it is
    // not meant to be in files, but ignore it if a tool wrote it anyway.
    Some(match file_type & !1024 {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        // 4 (Q4_1 with F16 embeddings), 5 and 6 (Q4_2, Q4_3) were removed from llama.cpp.
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        // 33 to 35 (Q4_0_4_4 and friends) were removed in favour of runtime repacking.
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        39 => "NVFP4",
        40 => "Q1_0",
        41 => "Q2_0",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_types_use_the_names_of_quantized_files() {
        assert_eq!(file_type_name(3), Some("Q4_1"));
        assert_eq!(file_type_name(15), Some("Q4_K_M"));
        assert_eq!(file_type_name(1), Some("F16"));
        assert_eq!(file_type_name(32), Some("BF16"));
        assert_eq!(file_type_name(15 | 1024), Some("Q4_K_M"));
        assert_eq!(file_type_name(4), None);
        assert_eq!(file_type_name(34), None);
        assert_eq!(file_type_name(9999), None);
    }

    #[test]
    fn summary_round_trips_through_json() {
        let s = ModelSummary {
            architecture: Some("llama".into()),
            name: Some("Tiny".into()),
            license: None,
            parameter_count: 42,
            quantization: "Q4_1".into(),
            context_length: Some(8192),
            embedding_length: Some(576),
            block_count: Some(30),
            feed_forward_length: Some(1536),
            head_count: Some(9),
            head_count_kv: Some(3),
            key_length: None,
            value_length: None,
            vocab_size: Some(49152),
            has_chat_template: true,
            file_size: 1000,
            tensor_data_bytes: 900,
            tensor_count: 2,
            gguf_version: 3,
        };
        let json = serde_json::to_string(&s).unwrap();
        let back: ModelSummary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
    }
}
