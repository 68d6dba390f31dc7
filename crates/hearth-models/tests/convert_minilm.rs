//! The converter on the real all-MiniLM-L6-v2 folder (fetched by
//! `scripts/fetch-models.sh minilm`): the GGUF it writes passes Hearth's own header check
//! with llama.cpp's BERT keys, tensors and vocabulary. That llama.cpp loads it and its
//! embeddings match an independent implementation is tested where llama.cpp runs
//! (hearth-llm's embedding tests).

use hearth_models::{convert_bert, Pooling};

#[path = "../../hearth-llm/tests/support/mod.rs"]
#[allow(dead_code)]
mod support;

#[test]
fn minilm_converts_to_a_bert_gguf_llama_cpp_can_read() {
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("all-MiniLM-L6-v2.gguf");
    let converted = convert_bert(&support::minilm_dir(), &path).unwrap();
    assert_eq!(converted.layers, 6);
    assert_eq!(converted.embedding_length, 384);
    assert_eq!(converted.vocabulary, 30522);
    assert_eq!(converted.tensors, 5 + 16 * 6);
    assert_eq!(converted.pooling, Pooling::Mean);

    let file = hearth_gguf::read_header(&path).unwrap();
    assert_eq!(file.architecture(), Some("bert"));
    let meta = file.metadata();
    assert_eq!(meta.get_u64("bert.block_count"), Some(6));
    assert_eq!(meta.get_u64("bert.embedding_length"), Some(384));
    assert_eq!(meta.get_u64("bert.pooling_type"), Some(1));
    assert_eq!(meta.get_bool("bert.attention.causal"), Some(false));
    assert_eq!(meta.get_str("tokenizer.ggml.model"), Some("bert"));
    assert_eq!(meta.array_len("tokenizer.ggml.tokens"), Some(30522));
    assert_eq!(meta.get_u64("tokenizer.ggml.cls_token_id"), Some(101));
    assert_eq!(meta.get_u64("tokenizer.ggml.seperator_token_id"), Some(102));
    let embd = file.tensor("token_embd.weight").unwrap();
    assert_eq!(embd.dims, [384, 30522]);
    assert_eq!(embd.ggml_type, hearth_gguf::GgmlType::F16);
    let up = file.tensor("blk.5.ffn_up.weight").unwrap();
    assert_eq!(up.dims, [384, 1536]);
    let norm = file.tensor("blk.0.attn_output_norm.bias").unwrap();
    assert_eq!(norm.ggml_type, hearth_gguf::GgmlType::F32);
    // About half the safetensors' size: matrices went from F32 to F16.
    let size = std::fs::metadata(&path).unwrap().len();
    assert!((40_000_000..50_000_000).contains(&size), "{size} bytes");
}
