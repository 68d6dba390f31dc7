//! The key–value metadata of a GGUF file as typed values, with accessors that accept the
//! integer widths real files use interchangeably.
//!
//! Converters are not consistent about integer types (`context_length` is u32 in most
//! files, u64 in some, i32 in a few), so the numeric getters convert any integer that fits
//! rather than insisting on one width. Large arrays (a vocabulary's scores and token
//! types) are kept only as their element type and length: nothing in Hearth reads them
//! from here, and keeping them would cost megabytes per file scanned.

use std::collections::BTreeMap;

/// A GGUF metadata value type (`gguf_type` in gguf.h), as stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F32,
    Bool,
    String,
    Array,
    U64,
    I64,
    F64,
}

impl ValueType {
    /// The type for an id read from a file; `None` for ids the format does not define.
    pub fn from_id(id: u32) -> Option<ValueType> {
        Some(match id {
            0 => ValueType::U8,
            1 => ValueType::I8,
            2 => ValueType::U16,
            3 => ValueType::I16,
            4 => ValueType::U32,
            5 => ValueType::I32,
            6 => ValueType::F32,
            7 => ValueType::Bool,
            8 => ValueType::String,
            9 => ValueType::Array,
            10 => ValueType::U64,
            11 => ValueType::I64,
            12 => ValueType::F64,
            _ => return None,
        })
    }

    /// Bytes one value occupies in the file, for fixed-size types; `None` for strings and
    /// arrays, whose size is in the data.
    pub fn fixed_size(self) -> Option<u64> {
        match self {
            ValueType::U8 | ValueType::I8 | ValueType::Bool => Some(1),
            ValueType::U16 | ValueType::I16 => Some(2),
            ValueType::U32 | ValueType::I32 | ValueType::F32 => Some(4),
            ValueType::U64 | ValueType::I64 | ValueType::F64 => Some(8),
            ValueType::String | ValueType::Array => None,
        }
    }

    /// The lower-case name gguf.h uses, for messages.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::U8 => "u8",
            ValueType::I8 => "i8",
            ValueType::U16 => "u16",
            ValueType::I16 => "i16",
            ValueType::U32 => "u32",
            ValueType::I32 => "i32",
            ValueType::F32 => "f32",
            ValueType::Bool => "bool",
            ValueType::String => "string",
            ValueType::Array => "array",
            ValueType::U64 => "u64",
            ValueType::I64 => "i64",
            ValueType::F64 => "f64",
        }
    }
}

impl std::fmt::Display for ValueType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum MetadataValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    /// Text as stored; bytes that are not UTF-8 are replaced (llama.cpp does not check).
    String(String),
    U64(u64),
    I64(i64),
    F64(f64),
    Array(MetadataArray),
}

/// An array value. `values` is `None` when the array was too large to keep (see
/// [`MetadataArray::is_elided`]); its type and length are always known.
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataArray {
    /// Type of every element; `ValueType::Array` for an array of arrays.
    pub elem_type: ValueType,
    /// Number of elements in the file.
    pub len: u64,
    /// The elements, or `None` if the array was skipped to bound memory.
    pub values: Option<Vec<MetadataValue>>,
}

impl MetadataArray {
    /// Whether the reader skipped this array's elements to bound memory.
    pub fn is_elided(&self) -> bool {
        self.values.is_none()
    }
}

impl MetadataValue {
    /// The value's type as it was stored.
    pub fn value_type(&self) -> ValueType {
        match self {
            MetadataValue::U8(_) => ValueType::U8,
            MetadataValue::I8(_) => ValueType::I8,
            MetadataValue::U16(_) => ValueType::U16,
            MetadataValue::I16(_) => ValueType::I16,
            MetadataValue::U32(_) => ValueType::U32,
            MetadataValue::I32(_) => ValueType::I32,
            MetadataValue::F32(_) => ValueType::F32,
            MetadataValue::Bool(_) => ValueType::Bool,
            MetadataValue::String(_) => ValueType::String,
            MetadataValue::U64(_) => ValueType::U64,
            MetadataValue::I64(_) => ValueType::I64,
            MetadataValue::F64(_) => ValueType::F64,
            MetadataValue::Array(_) => ValueType::Array,
        }
    }

    /// The value as an unsigned integer, if it is an integer that fits.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            MetadataValue::U8(v) => Some(v.into()),
            MetadataValue::U16(v) => Some(v.into()),
            MetadataValue::U32(v) => Some(v.into()),
            MetadataValue::U64(v) => Some(v),
            MetadataValue::I8(v) => u64::try_from(v).ok(),
            MetadataValue::I16(v) => u64::try_from(v).ok(),
            MetadataValue::I32(v) => u64::try_from(v).ok(),
            MetadataValue::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a float, if it is numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            MetadataValue::F32(v) => Some(v.into()),
            MetadataValue::F64(v) => Some(v),
            MetadataValue::I8(v) => Some(v.into()),
            MetadataValue::I16(v) => Some(v.into()),
            MetadataValue::I32(v) => Some(v.into()),
            // Precision loss above 2^53 is irrelevant for the hyper-parameters read here.
            MetadataValue::I64(v) => Some(v as f64),
            _ => self.as_u64().map(|v| v as f64),
        }
    }

    /// The value as text, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetadataValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a boolean, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            MetadataValue::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The value as an array, if it is one.
    pub fn as_array(&self) -> Option<&MetadataArray> {
        match self {
            MetadataValue::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// All metadata of one file, keyed by name (keys are unique: the reader rejects
/// duplicates, as llama.cpp does).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    entries: BTreeMap<String, MetadataValue>,
}

impl Metadata {
    /// Adds a key; returns the value back if the key was already present.
    pub(crate) fn insert(
        &mut self,
        key: String,
        value: MetadataValue,
    ) -> Result<(), MetadataValue> {
        use std::collections::btree_map::Entry;
        match self.entries.entry(key) {
            Entry::Occupied(_) => Err(value),
            Entry::Vacant(slot) => {
                slot.insert(value);
                Ok(())
            }
        }
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &str) -> Option<&MetadataValue> {
        self.entries.get(key)
    }

    /// A string value.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(MetadataValue::as_str)
    }

    /// An integer value of any width that fits in u64.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(MetadataValue::as_u64)
    }

    /// A numeric value as f64.
    pub fn get_f64(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(MetadataValue::as_f64)
    }

    /// A boolean value.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(MetadataValue::as_bool)
    }

    /// An array value.
    pub fn get_array(&self, key: &str) -> Option<&MetadataArray> {
        self.get(key).and_then(MetadataValue::as_array)
    }

    /// The element count of an array value, known even when its elements were not kept.
    pub fn array_len(&self, key: &str) -> Option<u64> {
        self.get_array(key).map(|a| a.len)
    }

    /// A per-layer integer hyper-parameter: either one integer for every layer or an
    /// array with one entry per layer (as OpenELM and some hybrid models store
    /// `head_count_kv`). Returns the value for layer `layer`.
    pub fn get_u64_for_layer(&self, key: &str, layer: usize) -> Option<u64> {
        match self.get(key)? {
            MetadataValue::Array(a) => a.values.as_ref()?.get(layer)?.as_u64(),
            scalar => scalar.as_u64(),
        }
    }

    /// The largest value of a per-layer integer hyper-parameter (see
    /// [`Metadata::get_u64_for_layer`]); for a scalar, the scalar.
    pub fn get_u64_max_over_layers(&self, key: &str) -> Option<u64> {
        match self.get(key)? {
            MetadataValue::Array(a) => a
                .values
                .as_ref()?
                .iter()
                .filter_map(MetadataValue::as_u64)
                .max(),
            scalar => scalar.as_u64(),
        }
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All keys and values, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &MetadataValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_of_any_width_read_as_u64_when_they_fit() {
        assert_eq!(MetadataValue::U32(8192).as_u64(), Some(8192));
        assert_eq!(MetadataValue::I32(8192).as_u64(), Some(8192));
        assert_eq!(MetadataValue::U8(3).as_u64(), Some(3));
        assert_eq!(MetadataValue::I64(-1).as_u64(), None);
        assert_eq!(MetadataValue::F32(1.0).as_u64(), None);
        assert_eq!(MetadataValue::String("7".into()).as_u64(), None);
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let mut m = Metadata::default();
        assert!(m.insert("a".into(), MetadataValue::U8(1)).is_ok());
        assert_eq!(
            m.insert("a".into(), MetadataValue::U8(2)),
            Err(MetadataValue::U8(2))
        );
        assert_eq!(m.get_u64("a"), Some(1));
    }

    #[test]
    fn per_layer_values_come_from_arrays_or_scalars() {
        let mut m = Metadata::default();
        let arr = MetadataArray {
            elem_type: ValueType::I32,
            len: 3,
            values: Some(vec![
                MetadataValue::I32(2),
                MetadataValue::I32(4),
                MetadataValue::I32(0),
            ]),
        };
        assert!(m
            .insert("x.head_count_kv".into(), MetadataValue::Array(arr))
            .is_ok());
        assert!(m
            .insert("x.head_count".into(), MetadataValue::U32(9))
            .is_ok());
        assert_eq!(m.get_u64_for_layer("x.head_count_kv", 1), Some(4));
        assert_eq!(m.get_u64_for_layer("x.head_count_kv", 3), None);
        assert_eq!(m.get_u64_max_over_layers("x.head_count_kv"), Some(4));
        assert_eq!(m.get_u64_for_layer("x.head_count", 17), Some(9));
        assert_eq!(m.array_len("x.head_count_kv"), Some(3));
    }

    #[test]
    fn value_type_ids_round_trip() {
        for id in 0..13 {
            let t = ValueType::from_id(id);
            assert!(t.is_some(), "id {id}");
        }
        assert_eq!(ValueType::from_id(13), None);
        assert_eq!(ValueType::from_id(u32::MAX), None);
        assert_eq!(ValueType::Bool.fixed_size(), Some(1));
        assert_eq!(ValueType::String.fixed_size(), None);
    }
}
