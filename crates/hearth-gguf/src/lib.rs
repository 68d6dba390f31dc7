//! Reads and checks GGUF model files before llama.cpp sees them, and says what a model
//! is and how much memory it will need.
//!
//! llama.cpp answers a damaged file with a log line and a null pointer at best, and an
//! abort at worst; Hearth wants "this download is incomplete — download it again". So
//! every model file goes through [`read_header`] first: it checks the header and the
//! layout of the tensor data against llama.cpp's own rules, with bounded reads and
//! allocations, and returns a [`GgufFile`] with the metadata and tensor infos. From that,
//! [`GgufFile::summary`] gives the model library its figures and
//! [`GgufFile::memory_estimate`] tells whether the model fits in this machine's memory.
//!
//! [`GgufWriter`] writes the same format, for the model converter.
//!
//! This crate is pure Rust with no llama.cpp dependency, so it builds in seconds and can
//! be fuzzed (`fuzz/` at the workspace root feeds arbitrary bytes to [`parse_header`]).

mod error;
mod file;
mod memory;
mod metadata;
mod reader;
mod summary;
mod types;
mod writer;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

pub use error::GgufError;
pub use file::{GgufFile, TensorInfo};
pub use memory::{
    available_memory, total_memory, MemoryEstimate, MemoryParams, Verdict, BASE_OVERHEAD_BYTES,
    FITS_FRACTION, PER_MERGE_BYTES, PER_TOKEN_BYTES,
};
pub use metadata::{Metadata, MetadataArray, MetadataValue, ValueType};
pub use reader::{
    DEFAULT_ALIGNMENT, GGUF_MAGIC, MAX_ARRAY_DEPTH, MAX_ARRAY_LEN, MAX_DIMS, MAX_HEADER_MEMORY,
    MAX_KEYS, MAX_KEY_LEN, MAX_STRING_LEN, MAX_TENSORS, MAX_TENSOR_NAME_LEN, MAX_VERSION,
    MIN_VERSION,
};
pub use summary::{file_type_name, ModelSummary};
pub use types::GgmlType;
pub use writer::{array, GgufWriter, WriteError, WRITE_VERSION};

/// Label used in errors from [`parse_header`], which has no file name.
const IN_MEMORY: &str = "<in-memory GGUF>";

/// Opens `path` and checks its GGUF header and tensor layout.
///
/// Only the header is read (metadata, vocabulary and tensor infos: a few megabytes even for
/// large models); tensor data is not read, only checked to lie inside the file.
pub fn read_header(path: &Path) -> Result<GgufFile, GgufError> {
    let io_err = |e| GgufError::from_io(path.to_path_buf(), e);
    // Look before opening: opening a FIFO would block, and opening a directory
    // succeeds on Linux and only fails on the first read.
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        return Err(GgufError::IsADirectory {
            path: path.to_path_buf(),
        });
    }
    if !meta.is_file() {
        return Err(GgufError::NotARegularFile {
            path: path.to_path_buf(),
        });
    }
    let file = File::open(path).map_err(io_err)?;
    // The length of the file actually opened, in case the path was replaced meanwhile.
    let file_len = file.metadata().map_err(io_err)?.len();
    reader::parse(BufReader::with_capacity(64 * 1024, file), file_len, path)
}

/// Checks a GGUF header from any reader positioned at the start of a file that is
/// `file_len` bytes long (for a byte slice, its length). Errors name the input
/// `<in-memory GGUF>`; use [`read_header`] for files.
pub fn parse_header<R: Read>(reader: R, file_len: u64) -> Result<GgufFile, GgufError> {
    reader::parse(reader, file_len, Path::new(IN_MEMORY))
}
