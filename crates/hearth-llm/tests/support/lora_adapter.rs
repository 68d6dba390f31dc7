//! Writing LoRA adapters in GGUF for tests: rank-4 A/B pairs on every layer's query
//! projection of a model, shapes read from the model file, values from a fixed-seed
//! generator (or B all zero, which must change nothing). Shared by the adapter tests of
//! hearth-llm, hearth-core and hearth-cli through `#[path]`.

use std::path::Path;

use hearth_gguf::{GgmlType, GgufWriter, MetadataValue};

pub const RANK: u64 = 4;

/// Writes an adapter for `model` at `path`: B all zero when `zero_b` (the model's
/// answers must not change), else random A and B from `seed`.
pub fn write_test_adapter(model: &Path, path: &Path, seed: u64, zero_b: bool) {
    write_gguf(
        path,
        &adapter_metadata(&[]),
        &attn_q_lora(model, seed, zero_b),
    );
}

/// Where the query projection of each layer is, and its shape `[in, out]` in ggml order,
/// read from the model file rather than assumed.
pub fn attn_q_shapes(model: &Path) -> Vec<(String, u64, u64)> {
    let model = hearth_gguf::read_header(model).unwrap();
    let layers = model
        .arch_u64("block_count")
        .expect("the model names its layers");
    assert!(layers > 0);
    (0..layers)
        .map(|layer| {
            let name = format!("blk.{layer}.attn_q.weight");
            let tensor = model
                .tensor(&name)
                .unwrap_or_else(|| panic!("{name} missing"));
            (name, tensor.dims[0], tensor.dims[1])
        })
        .collect()
}

/// A fixed-seed xorshift, so the "random" adapter is the same on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        // Uniform in [-1, 1).
        (self.0 >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    pub fn values(&mut self, n: u64) -> Vec<f32> {
        (0..n).map(|_| self.next()).collect()
    }
}

pub struct Tensor {
    pub name: String,
    pub dims: Vec<u64>,
    pub values: Vec<f32>,
}

/// A pair of LoRA tensors on every layer's query projection: A is `[in, RANK]`, B is
/// `[RANK, out]` (ggml order), as llama.cpp's adapter loader expects.
pub fn attn_q_lora(model: &Path, seed: u64, zero_b: bool) -> Vec<Tensor> {
    let mut rng = Rng(seed);
    let mut tensors = Vec::new();
    for (name, n_in, n_out) in attn_q_shapes(model) {
        tensors.push(Tensor {
            name: format!("{name}.lora_a"),
            dims: vec![n_in, RANK],
            values: rng.values(n_in * RANK),
        });
        tensors.push(Tensor {
            name: format!("{name}.lora_b"),
            dims: vec![RANK, n_out],
            values: if zero_b {
                vec![0.0; (RANK * n_out) as usize]
            } else {
                rng.values(RANK * n_out)
            },
        });
    }
    tensors
}

pub fn write_gguf(path: &Path, metadata: &[(String, MetadataValue)], tensors: &[Tensor]) {
    let mut writer = GgufWriter::new();
    for (key, value) in metadata {
        writer.set(key, value.clone()).unwrap();
    }
    for tensor in tensors {
        let bytes = tensor.values.iter().flat_map(|v| v.to_le_bytes()).collect();
        writer
            .add_tensor(&tensor.name, &tensor.dims, GgmlType::F32, bytes)
            .unwrap();
    }
    writer.write_file(path).unwrap();
}

pub fn text(value: &str) -> MetadataValue {
    MetadataValue::String(value.into())
}

/// The metadata of a llama LoRA adapter, with `changes` replacing text values.
pub fn adapter_metadata(changes: &[(&str, &str)]) -> Vec<(String, MetadataValue)> {
    let mut metadata = vec![
        ("general.architecture".to_owned(), text("llama")),
        ("general.type".to_owned(), text("adapter")),
        ("adapter.type".to_owned(), text("lora")),
        ("general.name".to_owned(), text("test adapter")),
        // alpha = rank: llama.cpp scales by alpha / rank, so the user's scale is the scale.
        (
            "adapter.lora.alpha".to_owned(),
            MetadataValue::F32(RANK as f32),
        ),
    ];
    for (key, value) in changes {
        metadata.retain(|(k, _)| k != key);
        metadata.push((key.to_string(), text(value)));
    }
    metadata
}
