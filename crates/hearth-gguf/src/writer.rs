//! Writes GGUF files (version 3): metadata, tensor infos, and tensor data at aligned
//! offsets, the layout [`crate::parse_header`] checks and llama.cpp loads. Used by the
//! model converter; everything is held in memory until written, which suits the small
//! embedding models Hearth converts.
//!
//! A file is written under a temporary name and renamed into place, so a full disk or a
//! killed process never leaves a file that looks complete.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::metadata::{MetadataValue, ValueType};
use crate::reader::{DEFAULT_ALIGNMENT, GGUF_MAGIC};
use crate::types::GgmlType;

/// The GGUF version this writer produces.
pub const WRITE_VERSION: u32 = 3;

/// A tensor waiting to be written.
struct PendingTensor {
    name: String,
    /// ggml order: the first dimension varies fastest (a PyTorch `[rows, cols]` matrix is
    /// `[cols, rows]` here).
    dims: Vec<u64>,
    ty: GgmlType,
    data: Vec<u8>,
}

/// Why a tensor cannot be added.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WriteError {
    #[error("tensor {name}: {bytes} bytes of data, but {dims:?} of {ty} takes {expected}")]
    WrongSize {
        name: String,
        dims: Vec<u64>,
        ty: &'static str,
        bytes: usize,
        expected: u64,
    },
    #[error("tensor {name} is added twice")]
    Duplicate { name: String },
    #[error("metadata array {key} mixes element types")]
    MixedArray { key: String },
}

/// Builds a GGUF file in memory.
#[derive(Default)]
pub struct GgufWriter {
    metadata: Vec<(String, MetadataValue)>,
    tensors: Vec<PendingTensor>,
}

impl GgufWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a metadata key, replacing an earlier value.
    pub fn set(&mut self, key: &str, value: MetadataValue) -> Result<(), WriteError> {
        if let MetadataValue::Array(array) = &value {
            let values = array.values.as_deref().unwrap_or_default();
            if values.iter().any(|v| v.value_type() != array.elem_type) {
                return Err(WriteError::MixedArray { key: key.into() });
            }
        }
        self.metadata.retain(|(k, _)| k != key);
        self.metadata.push((key.to_owned(), value));
        Ok(())
    }

    /// Adds a tensor; `dims` in ggml order (fastest first), `data` already in `ty`'s layout.
    pub fn add_tensor(
        &mut self,
        name: &str,
        dims: &[u64],
        ty: GgmlType,
        data: Vec<u8>,
    ) -> Result<(), WriteError> {
        if self.tensors.iter().any(|t| t.name == name) {
            return Err(WriteError::Duplicate { name: name.into() });
        }
        let elements: u64 = dims.iter().product();
        let expected = ty.bytes_for(elements).unwrap_or(u64::MAX);
        if data.len() as u64 != expected {
            return Err(WriteError::WrongSize {
                name: name.into(),
                dims: dims.to_vec(),
                ty: ty.name(),
                bytes: data.len(),
                expected,
            });
        }
        self.tensors.push(PendingTensor {
            name: name.into(),
            dims: dims.to_vec(),
            ty,
            data,
        });
        Ok(())
    }

    /// Writes the whole file to `out`.
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        let alignment = DEFAULT_ALIGNMENT;
        let mut header = Vec::new();
        header.extend_from_slice(&GGUF_MAGIC);
        header.extend_from_slice(&WRITE_VERSION.to_le_bytes());
        header.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        header.extend_from_slice(&(self.metadata.len() as u64).to_le_bytes());
        for (key, value) in &self.metadata {
            put_string(&mut header, key);
            header.extend_from_slice(&type_id(value.value_type()).to_le_bytes());
            put_value(&mut header, value);
        }
        let mut offset = 0u64;
        for tensor in &self.tensors {
            put_string(&mut header, &tensor.name);
            header.extend_from_slice(&(tensor.dims.len() as u32).to_le_bytes());
            for dim in &tensor.dims {
                header.extend_from_slice(&dim.to_le_bytes());
            }
            header.extend_from_slice(&tensor.ty.id().to_le_bytes());
            header.extend_from_slice(&offset.to_le_bytes());
            offset = align(offset + tensor.data.len() as u64, alignment);
        }
        pad(&mut header, alignment);
        out.write_all(&header)?;
        let mut written = 0u64;
        for tensor in &self.tensors {
            out.write_all(&tensor.data)?;
            written += tensor.data.len() as u64;
            let padded = align(written, alignment);
            out.write_all(&vec![0u8; (padded - written) as usize])?;
            written = padded;
        }
        out.flush()
    }

    /// Writes to `path` atomically (a temporary file beside it, then a rename).
    pub fn write_file(&self, path: &Path) -> io::Result<()> {
        let partial = path.with_extension("gguf.partial");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        // Readable by its owner only (0600), whatever the umask.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let result = options.open(&partial).and_then(|file| {
            let mut out = BufWriter::new(file);
            self.write_to(&mut out)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()
        });
        match result.and_then(|()| fs::rename(&partial, path)) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = fs::remove_file(&partial);
                Err(e)
            }
        }
    }
}

fn align(n: u64, alignment: u64) -> u64 {
    n.div_ceil(alignment) * alignment
}

fn pad(bytes: &mut Vec<u8>, alignment: u64) {
    let target = align(bytes.len() as u64, alignment) as usize;
    bytes.resize(target, 0);
}

fn put_string(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

fn type_id(ty: ValueType) -> u32 {
    match ty {
        ValueType::U8 => 0,
        ValueType::I8 => 1,
        ValueType::U16 => 2,
        ValueType::I16 => 3,
        ValueType::U32 => 4,
        ValueType::I32 => 5,
        ValueType::F32 => 6,
        ValueType::Bool => 7,
        ValueType::String => 8,
        ValueType::Array => 9,
        ValueType::U64 => 10,
        ValueType::I64 => 11,
        ValueType::F64 => 12,
    }
}

fn put_value(out: &mut Vec<u8>, value: &MetadataValue) {
    match value {
        MetadataValue::U8(v) => out.push(*v),
        MetadataValue::I8(v) => out.extend_from_slice(&v.to_le_bytes()),
        MetadataValue::U16(v) => out.extend_from_slice(&v.to_le_bytes()),
        MetadataValue::I16(v) => out.extend_from_slice(&v.to_le_bytes()),
        MetadataValue::U32(v) => out.extend_from_slice(&v.to_le_bytes()),
        MetadataValue::I32(v) => out.extend_from_slice(&v.to_le_bytes()),
        MetadataValue::F32(v) => out.extend_from_slice(&v.to_le_bytes()),
        MetadataValue::Bool(v) => out.push(u8::from(*v)),
        MetadataValue::String(v) => put_string(out, v),
        MetadataValue::U64(v) => out.extend_from_slice(&v.to_le_bytes()),
        MetadataValue::I64(v) => out.extend_from_slice(&v.to_le_bytes()),
        MetadataValue::F64(v) => out.extend_from_slice(&v.to_le_bytes()),
        MetadataValue::Array(array) => {
            let values = array.values.as_deref().unwrap_or_default();
            out.extend_from_slice(&type_id(array.elem_type).to_le_bytes());
            out.extend_from_slice(&(values.len() as u64).to_le_bytes());
            for v in values {
                put_value(out, v);
            }
        }
    }
}

/// An array metadata value from its elements (all of `elem_type`).
pub fn array(elem_type: ValueType, values: Vec<MetadataValue>) -> MetadataValue {
    MetadataValue::Array(crate::metadata::MetadataArray {
        elem_type,
        len: values.len() as u64,
        values: Some(values),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_header;

    fn f32_bytes(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn a_written_file_reads_back_with_every_key_and_tensor() {
        let mut writer = GgufWriter::new();
        writer
            .set("general.architecture", MetadataValue::String("bert".into()))
            .unwrap();
        writer
            .set("bert.block_count", MetadataValue::U32(6))
            .unwrap();
        writer
            .set(
                "bert.attention.layer_norm_epsilon",
                MetadataValue::F32(1e-12),
            )
            .unwrap();
        writer
            .set("bert.attention.causal", MetadataValue::Bool(false))
            .unwrap();
        let tokens = ["[PAD]", "▁hello", "ing", "日本"]
            .iter()
            .map(|t| MetadataValue::String((*t).into()))
            .collect();
        writer
            .set("tokenizer.ggml.tokens", array(ValueType::String, tokens))
            .unwrap();
        writer
            .set(
                "tokenizer.ggml.token_type",
                array(
                    ValueType::I32,
                    vec![MetadataValue::I32(3), MetadataValue::I32(1)],
                ),
            )
            .unwrap();
        // Odd sizes, so alignment padding is exercised.
        writer
            .add_tensor(
                "a.weight",
                &[3, 1],
                GgmlType::F32,
                f32_bytes(&[1.0, 2.0, 3.0]),
            )
            .unwrap();
        writer
            .add_tensor("b.weight", &[5], GgmlType::F16, vec![0u8; 10])
            .unwrap();

        let mut bytes = Vec::new();
        writer.write_to(&mut bytes).unwrap();
        let file = parse_header(&mut bytes.as_slice(), bytes.len() as u64).unwrap();
        assert_eq!(file.version(), WRITE_VERSION);
        assert_eq!(file.architecture(), Some("bert"));
        let meta = file.metadata();
        assert_eq!(meta.get_u64("bert.block_count"), Some(6));
        assert_eq!(meta.get_bool("bert.attention.causal"), Some(false));
        assert_eq!(meta.array_len("tokenizer.ggml.tokens"), Some(4));
        assert_eq!(file.tensors().len(), 2);
        let a = file.tensor("a.weight").unwrap();
        let start = (file.data_offset() + a.offset) as usize;
        assert_eq!(
            &bytes[start..start + 12],
            f32_bytes(&[1.0, 2.0, 3.0]).as_slice()
        );
        let b = file.tensor("b.weight").unwrap();
        assert_eq!(b.offset % DEFAULT_ALIGNMENT, 0);
        assert_eq!(bytes.len() as u64 % DEFAULT_ALIGNMENT, 0);
    }

    #[test]
    fn wrong_sizes_duplicates_and_mixed_arrays_are_refused() {
        let mut writer = GgufWriter::new();
        assert!(matches!(
            writer.add_tensor("x", &[4], GgmlType::F32, vec![0; 15]),
            Err(WriteError::WrongSize { expected: 16, .. })
        ));
        writer
            .add_tensor("x", &[4], GgmlType::F32, vec![0; 16])
            .unwrap();
        assert!(matches!(
            writer.add_tensor("x", &[4], GgmlType::F32, vec![0; 16]),
            Err(WriteError::Duplicate { .. })
        ));
        let mixed = array(
            ValueType::I32,
            vec![MetadataValue::I32(1), MetadataValue::U8(2)],
        );
        assert!(writer.set("k", mixed).is_err());
    }

    #[test]
    fn a_file_is_written_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.gguf");
        let mut writer = GgufWriter::new();
        writer
            .set("general.architecture", MetadataValue::String("bert".into()))
            .unwrap();
        writer.write_file(&path).unwrap();
        assert!(path.is_file());
        assert!(!dir.path().join("model.gguf.partial").exists());
        let missing = dir.path().join("no-such-folder").join("model.gguf");
        assert!(writer.write_file(&missing).is_err());
    }
}
