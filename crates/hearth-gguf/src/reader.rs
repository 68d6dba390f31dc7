//! Reads and checks a GGUF header (magic, version, counts, metadata, tensor infos) and
//! the layout of the tensor data, from any `Read` plus the file's length.
//!
//! The rules are llama.cpp's own (`gguf_init_from_file_impl` in ggml/src/gguf.cpp and the
//! bounds check in llama-model-loader), so a file that passes here will not be refused by
//! llama.cpp for its structure, and one that fails gets a message a person can act on
//! instead of llama.cpp's log line or an abort. Two rules are stricter than llama.cpp:
//! a tensor with zero dimensions is refused (no converter writes one, so it means
//! corruption), and strings and key/tensor counts have tighter limits (see the constants).
//!
//! Robustness: every length read from the file is compared with the bytes left before
//! anything is allocated or skipped, so a corrupt count costs an error, never a huge
//! allocation or a long loop; everything kept (keys, strings, array elements, tensor
//! infos and names) is charged to [`MAX_HEADER_MEMORY`] before it is allocated, so a
//! crafted header of many long strings costs an error, not memory in proportion to the
//! file; large arrays are skipped rather than kept; there is no
//! recursion deeper than [`MAX_ARRAY_DEPTH`] and no arithmetic that can overflow
//! unchecked. The `gguf_header` fuzz target at the workspace root exercises this.

use std::collections::HashSet;
use std::fmt;
use std::io::{self, Read};
use std::path::Path;

use crate::error::GgufError;
use crate::file::{GgufFile, TensorInfo};
use crate::metadata::{Metadata, MetadataArray, MetadataValue, ValueType};
use crate::types::GgmlType;

/// The four bytes every GGUF file starts with.
pub const GGUF_MAGIC: [u8; 4] = *b"GGUF";
/// Oldest version read: v1 used 32-bit counts and llama.cpp dropped it.
pub const MIN_VERSION: u32 = 2;
/// Newest version read (the one llama.cpp writes).
pub const MAX_VERSION: u32 = 3;
/// Alignment of tensor data when `general.alignment` is absent (`GGUF_DEFAULT_ALIGNMENT`).
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// Most tensors accepted. The largest published models have a few thousand (DeepSeek-V3:
/// about 1,900); a million leaves room for any real file while stopping a flipped bit.
pub const MAX_TENSORS: u64 = 1 << 20;
/// Most metadata entries accepted; real files have 20 to 60.
pub const MAX_KEYS: u64 = 1 << 16;
/// Longest key: the GGUF specification limits keys to 2^16 - 1 bytes.
pub const MAX_KEY_LEN: u64 = (1 << 16) - 1;
/// Longest string value. The longest real ones are chat templates (tens of kilobytes);
/// llama.cpp allows 1 GiB, but nothing legitimate comes near 16 MiB.
pub const MAX_STRING_LEN: u64 = 16 << 20;
/// Longest tensor name: ggml keeps names in a 64-byte buffer with a terminating NUL.
pub const MAX_TENSOR_NAME_LEN: u64 = 63;
/// Most array elements accepted (llama.cpp's `GGUF_MAX_ARRAY_ELEMENTS`).
pub const MAX_ARRAY_LEN: u64 = 1 << 30;
/// Deepest nesting of arrays. GGUF allows arrays of arrays (llama.cpp itself refuses
/// them); real files never nest, so a small limit only bounds recursion.
pub const MAX_ARRAY_DEPTH: u32 = 8;
/// Most dimensions of a tensor (`GGML_MAX_DIMS`).
pub const MAX_DIMS: u32 = 4;
/// Memory the reader may allocate for one header: keys, string values, kept arrays and
/// tensor infos, each charged before it is allocated. Real headers need a few MiB (a
/// 262,144-token vocabulary, the largest part, is capped by the kept-array budget at
/// 24 MiB); a file that needs more is refused rather than read into memory.
pub const MAX_HEADER_MEMORY: u64 = 64 << 20;

/// Numeric arrays longer than this are kept only as type and length: long ones are
/// per-token scores and token types, which Hearth never reads from the header.
const MAX_KEPT_NUMERIC_ARRAY: u64 = 4096;
/// Memory allowed for kept array elements in one file, counted as the in-memory size of
/// each element plus string bytes. A vocabulary of 262,144 tokens (Gemma 3) fits.
const KEPT_ARRAY_BUDGET: u64 = 24 << 20;
/// Cost charged per kept array element for its `MetadataValue` slot.
const VALUE_SLOT: u64 = std::mem::size_of::<MetadataValue>() as u64;
/// Upper bound on up-front `Vec` capacity from a count in the file; vectors grow past it
/// only as elements are actually read.
const MAX_PREALLOC: u64 = 4096;
/// Charged per metadata entry beyond its key's bytes: the key's `String`, the value and
/// the map's node.
const ENTRY_COST: u64 = (std::mem::size_of::<String>() + VALUE_SLOT as usize + 32) as u64;
/// Charged per tensor beyond its name's bytes (kept twice: in its info and in the set of
/// names): its info three times (a vector that doubles holds the old and the new buffer
/// while it grows), the set's slot as many times for the same reason, and the dimensions.
const TENSOR_COST: u64 = (3 * std::mem::size_of::<TensorInfo>()
    + 3 * std::mem::size_of::<String>()
    + MAX_DIMS as usize * 8) as u64;

/// What was being read, for `Truncated` messages.
enum What<'a> {
    Magic,
    Version,
    TensorCount,
    KeyCount,
    Key(u64),
    ValueType(&'a str),
    Value(&'a str),
    TensorName(u64),
    TensorInfo(u64, &'a str),
    DataPadding,
}

impl fmt::Display for What<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            What::Magic => write!(f, "the GGUF magic number"),
            What::Version => write!(f, "the GGUF version"),
            What::TensorCount => write!(f, "the tensor count"),
            What::KeyCount => write!(f, "the metadata count"),
            What::Key(i) => write!(f, "the name of metadata entry {i}"),
            What::ValueType(k) => write!(f, "the type of metadata '{k}'"),
            What::Value(k) => write!(f, "the value of metadata '{k}'"),
            What::TensorName(i) => write!(f, "the name of tensor info {i}"),
            What::TensorInfo(i, name) => write!(f, "tensor info {i} ('{name}')"),
            What::DataPadding => write!(f, "the padding before the tensor data"),
        }
    }
}

/// A reader that knows its position and how many bytes the file has left.
struct Input<'p, R> {
    inner: R,
    pos: u64,
    file_len: u64,
    path: &'p Path,
    /// Bytes left in [`KEPT_ARRAY_BUDGET`].
    array_budget: u64,
    /// Bytes left in [`MAX_HEADER_MEMORY`].
    header_budget: u64,
}

impl<R: Read> Input<'_, R> {
    fn remaining(&self) -> u64 {
        self.file_len.saturating_sub(self.pos)
    }

    fn truncated(&self, what: &What<'_>) -> GgufError {
        GgufError::Truncated {
            path: self.path.to_path_buf(),
            offset: self.pos,
            file_len: self.file_len,
            what: what.to_string(),
        }
    }

    /// Fills `buf`, or reports truncation if the file (by its stated length, or because
    /// the reader ran dry) is too short.
    fn fill(&mut self, buf: &mut [u8], what: &What<'_>) -> Result<(), GgufError> {
        let n = buf.len() as u64;
        if n > self.remaining() {
            return Err(self.truncated(what));
        }
        match self.inner.read_exact(buf) {
            Ok(()) => {
                self.pos += n;
                Ok(())
            }
            // The file shrank after its length was taken, or the caller's length lied.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(self.truncated(what)),
            Err(e) => Err(GgufError::from_io(self.path.to_path_buf(), e)),
        }
    }

    /// Skips `n` bytes without keeping them.
    fn skip(&mut self, n: u64, what: &What<'_>) -> Result<(), GgufError> {
        if n > self.remaining() {
            return Err(self.truncated(what));
        }
        let copied = io::copy(&mut (&mut self.inner).take(n), &mut io::sink())
            .map_err(|e| GgufError::from_io(self.path.to_path_buf(), e))?;
        self.pos += copied;
        if copied < n {
            return Err(self.truncated(what));
        }
        Ok(())
    }

    fn array<const N: usize>(&mut self, what: &What<'_>) -> Result<[u8; N], GgufError> {
        let mut buf = [0u8; N];
        self.fill(&mut buf, what)?;
        Ok(buf)
    }

    fn u32(&mut self, what: &What<'_>) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &What<'_>) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// Reads `len` bytes of text. The caller has checked `len` against its limit; the
    /// check against the bytes left happens in `fill` before the allocation is used, and
    /// is repeated here so the allocation itself is bounded by the file.
    fn text(&mut self, len: u64, what: &What<'_>) -> Result<String, GgufError> {
        if len > self.remaining() {
            return Err(self.truncated(what));
        }
        // Only fails on a 32-bit target for a length no caller lets through.
        let len = usize::try_from(len).map_err(|_| self.truncated(what))?;
        let mut bytes = vec![0u8; len];
        self.fill(&mut bytes, what)?;
        // GGUF says UTF-8, but llama.cpp does not check and some vocabularies contain
        // stray bytes; refusing those files would refuse models llama.cpp runs.
        Ok(String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// Takes `bytes` out of the header's memory budget, before they are allocated.
    fn charge(&mut self, bytes: u64, what: &What<'_>) -> Result<(), GgufError> {
        match self.header_budget.checked_sub(bytes) {
            Some(left) => {
                self.header_budget = left;
                Ok(())
            }
            None => Err(GgufError::HeaderTooLarge {
                path: self.path.to_path_buf(),
                what: what.to_string(),
                budget: MAX_HEADER_MEMORY,
            }),
        }
    }

    /// Reads a length-prefixed string of at most `max` bytes, charging `overhead` more
    /// than its length to the budget.
    fn string(&mut self, max: u64, overhead: u64, what: &What<'_>) -> Result<String, GgufError> {
        let len = self.string_len(max, what)?;
        self.charge(len.saturating_add(overhead), what)?;
        self.text(len, what)
    }

    /// Reads a string length and checks it against `max` and the bytes left.
    fn string_len(&mut self, max: u64, what: &What<'_>) -> Result<u64, GgufError> {
        let offset = self.pos;
        let len = self.u64(what)?;
        if len > max {
            return Err(GgufError::StringTooLong {
                path: self.path.to_path_buf(),
                offset,
                what: what.to_string(),
                len,
                max,
            });
        }
        if len > self.remaining() {
            return Err(self.truncated(what));
        }
        Ok(len)
    }

    fn value_type(&mut self, key: &str) -> Result<ValueType, GgufError> {
        let offset = self.pos;
        let type_id = self.u32(&What::ValueType(key))?;
        ValueType::from_id(type_id).ok_or_else(|| GgufError::BadValueType {
            path: self.path.to_path_buf(),
            key: key.to_string(),
            type_id,
            offset,
        })
    }

    /// Reads one value of type `ty`; `depth` is how many arrays enclose it.
    fn value(&mut self, key: &str, ty: ValueType, depth: u32) -> Result<MetadataValue, GgufError> {
        let what = What::Value(key);
        Ok(match ty {
            ValueType::U8 => MetadataValue::U8(u8::from_le_bytes(self.array(&what)?)),
            ValueType::I8 => MetadataValue::I8(i8::from_le_bytes(self.array(&what)?)),
            ValueType::U16 => MetadataValue::U16(u16::from_le_bytes(self.array(&what)?)),
            ValueType::I16 => MetadataValue::I16(i16::from_le_bytes(self.array(&what)?)),
            ValueType::U32 => MetadataValue::U32(u32::from_le_bytes(self.array(&what)?)),
            ValueType::I32 => MetadataValue::I32(i32::from_le_bytes(self.array(&what)?)),
            ValueType::F32 => MetadataValue::F32(f32::from_le_bytes(self.array(&what)?)),
            // llama.cpp reads a bool as one byte and treats any non-zero byte as true.
            ValueType::Bool => MetadataValue::Bool(u8::from_le_bytes(self.array(&what)?) != 0),
            ValueType::String => MetadataValue::String(self.string(MAX_STRING_LEN, 0, &what)?),
            ValueType::U64 => MetadataValue::U64(u64::from_le_bytes(self.array(&what)?)),
            ValueType::I64 => MetadataValue::I64(i64::from_le_bytes(self.array(&what)?)),
            ValueType::F64 => MetadataValue::F64(f64::from_le_bytes(self.array(&what)?)),
            ValueType::Array => MetadataValue::Array(self.array_value(key, depth + 1, true)?),
        })
    }

    /// Reads an array (element type, length, elements). `depth` counts this array;
    /// `keep` is false when an enclosing array is being skipped.
    fn array_value(
        &mut self,
        key: &str,
        depth: u32,
        keep: bool,
    ) -> Result<MetadataArray, GgufError> {
        if depth > MAX_ARRAY_DEPTH {
            return Err(GgufError::ArrayTooDeep {
                path: self.path.to_path_buf(),
                key: key.to_string(),
                max_depth: MAX_ARRAY_DEPTH,
            });
        }
        let what = What::Value(key);
        let elem_type = self.value_type(key)?;
        let len = self.u64(&what)?;
        if len > MAX_ARRAY_LEN {
            return Err(GgufError::ArrayTooLong {
                path: self.path.to_path_buf(),
                key: key.to_string(),
                len,
                max: MAX_ARRAY_LEN,
            });
        }
        // Every element takes at least this many bytes in the file (a string its 8-byte
        // length, an array its type and length), so a length the file cannot hold is
        // refused here, before any loop or allocation. No overflow: len <= 2^30.
        let min_elem = elem_type
            .fixed_size()
            .unwrap_or(if elem_type == ValueType::String {
                8
            } else {
                12
            });
        if len * min_elem > self.remaining() {
            return Err(self.truncated(&what));
        }

        let slots = len * VALUE_SLOT;
        let mut keep = keep && slots <= self.array_budget && slots <= self.header_budget;
        if elem_type.fixed_size().is_some() && len > MAX_KEPT_NUMERIC_ARRAY {
            keep = false;
        }
        if !keep {
            self.skip_elements(key, elem_type, len, depth)?;
            return Ok(MetadataArray {
                elem_type,
                len,
                values: None,
            });
        }
        self.array_budget -= slots;
        self.charge(slots, &what)?;

        let mut values = Vec::with_capacity(len.min(MAX_PREALLOC) as usize);
        for i in 0..len {
            let value = match elem_type {
                ValueType::String => {
                    let cost = self.string_len(MAX_STRING_LEN, &what)?;
                    if cost > self.array_budget || cost > self.header_budget {
                        // Out of budget part-way: drop what was kept and skip the rest,
                        // this string included, before allocating it.
                        self.skip(cost, &what)?;
                        self.skip_elements(key, elem_type, len - i - 1, depth)?;
                        return Ok(MetadataArray {
                            elem_type,
                            len,
                            values: None,
                        });
                    }
                    self.array_budget -= cost;
                    self.charge(cost, &what)?;
                    MetadataValue::String(self.text(cost, &what)?)
                }
                ValueType::Array => MetadataValue::Array(self.array_value(key, depth + 1, true)?),
                _ => self.value(key, elem_type, depth)?,
            };
            values.push(value);
        }
        Ok(MetadataArray {
            elem_type,
            len,
            values: Some(values),
        })
    }

    /// Reads past `len` elements of type `elem_type` without keeping them.
    fn skip_elements(
        &mut self,
        key: &str,
        elem_type: ValueType,
        len: u64,
        depth: u32,
    ) -> Result<(), GgufError> {
        let what = What::Value(key);
        match elem_type.fixed_size() {
            // The caller checked len * size against the bytes left; checked_mul keeps
            // this function safe on its own.
            Some(size) => {
                let n = len.checked_mul(size).ok_or_else(|| self.truncated(&what))?;
                self.skip(n, &what)
            }
            None if elem_type == ValueType::String => {
                for _ in 0..len {
                    let n = self.string_len(MAX_STRING_LEN, &what)?;
                    self.skip(n, &what)?;
                }
                Ok(())
            }
            None => {
                for _ in 0..len {
                    self.array_value(key, depth + 1, false)?;
                }
                Ok(())
            }
        }
    }

    fn metadata(&mut self, n_kv: u64) -> Result<Metadata, GgufError> {
        let mut metadata = Metadata::default();
        for index in 0..n_kv {
            let key = self.string(MAX_KEY_LEN, ENTRY_COST, &What::Key(index))?;
            if key.is_empty() {
                return Err(GgufError::EmptyKey {
                    path: self.path.to_path_buf(),
                    index,
                });
            }
            let ty = self.value_type(&key)?;
            let value = self.value(&key, ty, 0)?;
            if metadata.contains(&key) {
                return Err(GgufError::DuplicateKey {
                    path: self.path.to_path_buf(),
                    key,
                });
            }
            // Cannot fail: the key was just checked to be absent.
            let _ = metadata.insert(key, value);
        }
        Ok(metadata)
    }

    fn tensor_info(
        &mut self,
        index: u64,
        names: &mut HashSet<String>,
    ) -> Result<TensorInfo, GgufError> {
        let p: &Path = self.path;
        let path = || p.to_path_buf();
        let name_what = What::TensorName(index);
        let len = self.u64(&name_what)?;
        if len > MAX_TENSOR_NAME_LEN {
            return Err(GgufError::TensorNameTooLong {
                path: path(),
                index,
                len,
            });
        }
        self.charge(2 * len + TENSOR_COST, &name_what)?;
        let name = self.text(len, &name_what)?;
        if names.contains(&name) {
            return Err(GgufError::DuplicateTensor {
                path: path(),
                tensor: name,
            });
        }
        let what = What::TensorInfo(index, &name);

        let n_dims = self.u32(&what)?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(GgufError::BadDimensionCount {
                path: path(),
                tensor: name,
                n_dims,
            });
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for dim in 0..n_dims as usize {
            let value = self.u64(&what)?;
            // ggml stores dimensions as int64_t; llama.cpp refuses negative ones.
            if value > i64::MAX as u64 {
                return Err(GgufError::BadDimension {
                    path: path(),
                    tensor: name,
                    dim,
                    value,
                });
            }
            dims.push(value);
        }
        // The element count must fit in int64_t. Same order of checks as gguf.cpp, so a
        // zero dimension after an overflowing pair is refused there and here alike.
        let mut n_elements = dims[0];
        for &d in &dims[1..] {
            if d > 1 && (i64::MAX as u64) / d < n_elements {
                return Err(GgufError::TensorTooLarge {
                    path: path(),
                    tensor: name,
                });
            }
            n_elements *= d;
        }

        let type_id = self.u32(&what)?;
        let ggml_type = GgmlType::from_id(type_id).ok_or_else(|| GgufError::UnknownTensorType {
            path: path(),
            tensor: name.clone(),
            type_id,
        })?;
        let block = ggml_type.block_size();
        if dims[0] % block != 0 {
            return Err(GgufError::BadRowSize {
                path: path(),
                tensor: name,
                ggml_type: ggml_type.name().to_string(),
                row: dims[0],
                block,
            });
        }
        // Whole blocks per row (checked above), so this is exact, as ggml_nbytes is.
        let n_bytes = (n_elements / block)
            .checked_mul(ggml_type.type_size())
            .ok_or_else(|| GgufError::TensorTooLarge {
                path: path(),
                tensor: name.clone(),
            })?;
        let offset = self.u64(&what)?;

        names.insert(name.clone());
        Ok(TensorInfo {
            name,
            dims,
            ggml_type,
            offset,
            n_elements,
            n_bytes,
        })
    }
}

/// Rounds `n` up to a multiple of `alignment` (a power of two); `None` on overflow.
fn align_up(n: u64, alignment: u64) -> Option<u64> {
    Some(n.checked_add(alignment - 1)? & !(alignment - 1))
}

/// Parses and checks a GGUF header from `reader`, which must be positioned at the start
/// of a file `file_len` bytes long. `path` only labels errors.
pub(crate) fn parse<R: Read>(reader: R, file_len: u64, path: &Path) -> Result<GgufFile, GgufError> {
    let mut input = Input {
        inner: reader,
        pos: 0,
        file_len,
        path,
        array_budget: KEPT_ARRAY_BUDGET,
        header_budget: MAX_HEADER_MEMORY,
    };
    let path_buf = || path.to_path_buf();

    if file_len == 0 {
        return Err(GgufError::Empty { path: path_buf() });
    }
    // Compare what is there before complaining about length, so a 2-byte "PK" file is
    // "not GGUF" rather than "truncated".
    let have = file_len.min(4) as usize;
    let mut magic = [0u8; 4];
    input.fill(&mut magic[..have], &What::Magic)?;
    if magic[..have] != GGUF_MAGIC[..have] {
        return Err(GgufError::NotGguf {
            path: path_buf(),
            found: magic[..have].to_vec(),
        });
    }
    if have < 4 {
        return Err(input.truncated(&What::Magic));
    }

    let version = input.u32(&What::Version)?;
    if !(MIN_VERSION..=MAX_VERSION).contains(&version) {
        return Err(GgufError::UnsupportedVersion {
            path: path_buf(),
            version,
        });
    }

    let n_tensors = input.u64(&What::TensorCount)?;
    if n_tensors > MAX_TENSORS {
        return Err(GgufError::TooManyTensors {
            path: path_buf(),
            count: n_tensors,
            max: MAX_TENSORS,
        });
    }
    let n_kv = input.u64(&What::KeyCount)?;
    if n_kv > MAX_KEYS {
        return Err(GgufError::TooManyKeys {
            path: path_buf(),
            count: n_kv,
            max: MAX_KEYS,
        });
    }

    let metadata = input.metadata(n_kv)?;

    // llama.cpp insists on u32 here and aborts on any other type via its typed getter.
    let alignment = match metadata.get("general.alignment") {
        None => DEFAULT_ALIGNMENT,
        Some(MetadataValue::U32(a)) if *a != 0 && a.is_power_of_two() => u64::from(*a),
        Some(MetadataValue::U32(a)) => {
            return Err(GgufError::BadAlignment {
                path: path_buf(),
                detail: format!("is {a}, not a power of two"),
            })
        }
        Some(other) => {
            return Err(GgufError::BadAlignment {
                path: path_buf(),
                detail: format!("has type {}, but it must be u32", other.value_type()),
            })
        }
    };

    let mut names = HashSet::new();
    let mut tensors = Vec::with_capacity(n_tensors.min(MAX_PREALLOC) as usize);
    for index in 0..n_tensors {
        tensors.push(input.tensor_info(index, &mut names)?);
    }

    let header_len = input.pos;
    // llama.cpp aligns the data section only when there are tensors.
    let data_offset = if tensors.is_empty() {
        header_len
    } else {
        align_up(header_len, alignment).ok_or_else(|| input.truncated(&What::DataPadding))?
    };
    if data_offset > file_len {
        return Err(input.truncated(&What::DataPadding));
    }

    // Tensor data: inside the file (llama-model-loader's check), aligned, and packed in
    // order with padding to the alignment (gguf.cpp's check).
    let mut expected: u64 = 0;
    for t in &tensors {
        let overflow = || GgufError::OffsetOverflow {
            path: path_buf(),
            tensor: t.name.clone(),
            offset: t.offset,
        };
        let start = data_offset.checked_add(t.offset).ok_or_else(overflow)?;
        let end = start.checked_add(t.n_bytes).ok_or_else(overflow)?;
        if end > file_len {
            return Err(GgufError::TensorOutOfBounds {
                path: path_buf(),
                tensor: t.name.clone(),
                start,
                end,
                file_len,
            });
        }
        if t.offset % alignment != 0 {
            return Err(GgufError::MisalignedTensor {
                path: path_buf(),
                tensor: t.name.clone(),
                offset: t.offset,
                alignment,
            });
        }
        if t.offset != expected {
            return Err(GgufError::TensorOffsetMismatch {
                path: path_buf(),
                tensor: t.name.clone(),
                offset: t.offset,
                expected,
            });
        }
        // end <= file_len, so offset + n_bytes fits and only the padding could overflow.
        expected = align_up(t.offset + t.n_bytes, alignment).ok_or_else(overflow)?;
    }

    Ok(GgufFile {
        version,
        alignment,
        file_len,
        data_offset,
        metadata,
        tensors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn align_up_rounds_to_the_next_multiple() {
        assert_eq!(align_up(0, 32), Some(0));
        assert_eq!(align_up(1, 32), Some(32));
        assert_eq!(align_up(32, 32), Some(32));
        assert_eq!(align_up(33, 32), Some(64));
        assert_eq!(align_up(u64::MAX - 3, 32), None);
    }

    #[test]
    fn what_descriptions_read_naturally() {
        assert_eq!(
            What::TensorInfo(7, "output.weight").to_string(),
            "tensor info 7 ('output.weight')"
        );
        assert_eq!(
            What::Value("general.name").to_string(),
            "the value of metadata 'general.name'"
        );
    }
}
