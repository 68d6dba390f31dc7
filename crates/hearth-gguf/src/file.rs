//! A checked GGUF header: format version, metadata, tensor infos and where the tensor
//! data lies, with the few derived figures the rest of Hearth asks for.

use crate::memory::{MemoryEstimate, MemoryParams};
use crate::metadata::Metadata;
use crate::summary::ModelSummary;
use crate::types::GgmlType;

/// One tensor as described in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// Name, at most 63 bytes (`blk.0.attn_q.weight`, `output.weight`, ...).
    pub name: String,
    /// Dimensions in ggml order (the first is the row length), 1 to 4 of them.
    pub dims: Vec<u64>,
    /// Element type.
    pub ggml_type: GgmlType,
    /// Offset of the data from the start of the data section (not of the file).
    pub offset: u64,
    /// Number of elements (product of the dimensions).
    pub n_elements: u64,
    /// Bytes of data, without alignment padding.
    pub n_bytes: u64,
}

/// The header of a GGUF file that passed every check in [`crate::read_header`].
#[derive(Debug, Clone, PartialEq)]
pub struct GgufFile {
    pub(crate) version: u32,
    pub(crate) alignment: u64,
    pub(crate) file_len: u64,
    pub(crate) data_offset: u64,
    pub(crate) metadata: Metadata,
    pub(crate) tensors: Vec<TensorInfo>,
}

impl GgufFile {
    /// GGUF format version (2 or 3).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Alignment of tensor data in bytes (`general.alignment`, default 32).
    pub fn alignment(&self) -> u64 {
        self.alignment
    }

    /// Size of the whole file in bytes.
    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    /// Byte offset in the file where tensor data starts.
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }

    /// All metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// All tensor infos, in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The tensor called `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// Total elements over all tensors: the model's parameter count.
    pub fn parameter_count(&self) -> u64 {
        // Each count is below 2^63 and the data fits in the file, so the sum cannot
        // overflow for a real file; saturate anyway rather than trust that.
        self.tensors
            .iter()
            .fold(0u64, |acc, t| acc.saturating_add(t.n_elements))
    }

    /// Bytes of tensor data (without padding): what llama.cpp maps as weights.
    pub fn tensor_data_bytes(&self) -> u64 {
        self.tensors
            .iter()
            .fold(0u64, |acc, t| acc.saturating_add(t.n_bytes))
    }

    /// `general.architecture` (`llama`, `gemma3`, `qwen2`, ...).
    pub fn architecture(&self) -> Option<&str> {
        self.metadata.get_str("general.architecture")
    }

    /// The Jinja chat template (`tokenizer.chat_template`), if the file has one.
    pub fn chat_template(&self) -> Option<&str> {
        self.metadata.get_str("tokenizer.chat_template")
    }

    /// An architecture-scoped integer such as `{arch}.context_length`.
    pub fn arch_u64(&self, suffix: &str) -> Option<u64> {
        let arch = self.architecture()?;
        self.metadata.get_u64(&format!("{arch}.{suffix}"))
    }

    /// The figures the model library shows.
    pub fn summary(&self) -> ModelSummary {
        ModelSummary::from_file(self)
    }

    /// How much memory llama.cpp will use to run this model with `params`.
    pub fn memory_estimate(&self, params: &MemoryParams) -> MemoryEstimate {
        MemoryEstimate::for_model(self, params)
    }
}
