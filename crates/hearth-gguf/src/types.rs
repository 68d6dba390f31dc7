//! The ggml tensor types a GGUF file can name, with the block size and bytes per block
//! that llama.cpp uses to lay tensor data out in the file.
//!
//! The table mirrors `type_traits` in ggml's `ggml.c` (llama.cpp as vendored by
//! llama-cpp-sys-2 0.1.161). Ids that ggml has retired (4, 5, 31–33, 36–38) are absent on
//! purpose: llama.cpp refuses them, so a file that uses them is reported as unknown rather
//! than passed on to fail later. When llama.cpp adds a type, add its row here; the unit
//! tests check that ids are unique and that every row has a non-zero block and size.

use serde::{Deserialize, Serialize};

/// A ggml tensor element type, as stored in a GGUF tensor info (`ggml_type` in ggml.h).
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GgmlType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q8_1,
    Q2_K,
    Q3_K,
    Q4_K,
    Q5_K,
    Q6_K,
    Q8_K,
    IQ2_XXS,
    IQ2_XS,
    IQ3_XXS,
    IQ1_S,
    IQ4_NL,
    IQ3_S,
    IQ2_S,
    IQ4_XS,
    I8,
    I16,
    I32,
    I64,
    F64,
    IQ1_M,
    BF16,
    TQ1_0,
    TQ2_0,
    MXFP4,
    NVFP4,
    Q1_0,
    Q2_0,
}

/// One row of the type table: id in the file, display name, elements per block, bytes per block.
struct TypeInfo {
    ty: GgmlType,
    id: u32,
    name: &'static str,
    block_size: u64,
    type_size: u64,
}

const fn row(
    ty: GgmlType,
    id: u32,
    name: &'static str,
    block_size: u64,
    type_size: u64,
) -> TypeInfo {
    TypeInfo {
        ty,
        id,
        name,
        block_size,
        type_size,
    }
}

/// Super-block size of the k-quants and i-quants (`QK_K` in ggml-common.h).
const QK_K: u64 = 256;

// Block byte sizes are `sizeof(block_*)` from ggml-common.h, checked by compiling that
// header; the comment on each row spells out the layout so a reviewer can recount it.
const TYPES: &[TypeInfo] = &[
    row(GgmlType::F32, 0, "F32", 1, 4),
    row(GgmlType::F16, 1, "F16", 1, 2),
    row(GgmlType::Q4_0, 2, "Q4_0", 32, 18), // f16 d + 16 bytes of nibbles
    row(GgmlType::Q4_1, 3, "Q4_1", 32, 20), // f16 d, m + 16
    row(GgmlType::Q5_0, 6, "Q5_0", 32, 22), // f16 d + 4 high bits + 16
    row(GgmlType::Q5_1, 7, "Q5_1", 32, 24), // f16 d, m + 4 + 16
    row(GgmlType::Q8_0, 8, "Q8_0", 32, 34), // f16 d + 32
    row(GgmlType::Q8_1, 9, "Q8_1", 32, 36), // f16 d, s + 32
    row(GgmlType::Q2_K, 10, "Q2_K", QK_K, 84), // 16 scales + 64 quants + 2 f16
    row(GgmlType::Q3_K, 11, "Q3_K", QK_K, 110), // 32 hmask + 64 + 12 scales + f16
    row(GgmlType::Q4_K, 12, "Q4_K", QK_K, 144), // 2 f16 + 12 scales + 128
    row(GgmlType::Q5_K, 13, "Q5_K", QK_K, 176), // 2 f16 + 12 + 32 qh + 128
    row(GgmlType::Q6_K, 14, "Q6_K", QK_K, 210), // 128 ql + 64 qh + 16 scales + f16
    row(GgmlType::Q8_K, 15, "Q8_K", QK_K, 292), // f32 d + 256 + 16 i16 sums
    row(GgmlType::IQ2_XXS, 16, "IQ2_XXS", QK_K, 66),
    row(GgmlType::IQ2_XS, 17, "IQ2_XS", QK_K, 74),
    row(GgmlType::IQ3_XXS, 18, "IQ3_XXS", QK_K, 98),
    row(GgmlType::IQ1_S, 19, "IQ1_S", QK_K, 50),
    row(GgmlType::IQ4_NL, 20, "IQ4_NL", 32, 18),
    row(GgmlType::IQ3_S, 21, "IQ3_S", QK_K, 110),
    row(GgmlType::IQ2_S, 22, "IQ2_S", QK_K, 82),
    row(GgmlType::IQ4_XS, 23, "IQ4_XS", QK_K, 136),
    row(GgmlType::I8, 24, "I8", 1, 1),
    row(GgmlType::I16, 25, "I16", 1, 2),
    row(GgmlType::I32, 26, "I32", 1, 4),
    row(GgmlType::I64, 27, "I64", 1, 8),
    row(GgmlType::F64, 28, "F64", 1, 8),
    row(GgmlType::IQ1_M, 29, "IQ1_M", QK_K, 56),
    row(GgmlType::BF16, 30, "BF16", 1, 2),
    row(GgmlType::TQ1_0, 34, "TQ1_0", QK_K, 54), // 48 base-3 bytes + 4 + f16
    row(GgmlType::TQ2_0, 35, "TQ2_0", QK_K, 66), // 64 + f16
    row(GgmlType::MXFP4, 39, "MXFP4", 32, 17),   // e8m0 scale + 16
    row(GgmlType::NVFP4, 40, "NVFP4", 64, 36),   // 4 ue4m3 scales + 32
    row(GgmlType::Q1_0, 41, "Q1_0", 128, 18),    // f16 d + 16 bytes of bits
    row(GgmlType::Q2_0, 42, "Q2_0", 64, 18),     // f16 d + 16
];

impl GgmlType {
    /// The type for an id read from a file, or `None` for an id ggml does not define
    /// (or has retired).
    pub fn from_id(id: u32) -> Option<GgmlType> {
        TYPES.iter().find(|t| t.id == id).map(|t| t.ty)
    }

    /// Every type this crate knows, in id order.
    pub fn all() -> impl Iterator<Item = GgmlType> {
        TYPES.iter().map(|t| t.ty)
    }

    fn info(self) -> &'static TypeInfo {
        // Every variant has exactly one row (checked by a unit test), so the fallback is
        // never taken; it keeps this total without a panic path.
        TYPES.iter().find(|t| t.ty == self).unwrap_or(&TYPES[0])
    }

    /// The numeric id used in GGUF files.
    pub fn id(self) -> u32 {
        self.info().id
    }

    /// The upper-case name llama.cpp's tools print (`Q4_K`, `F16`, ...).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Elements per quantization block (1 for plain scalar types).
    pub fn block_size(self) -> u64 {
        self.info().block_size
    }

    /// Bytes per block.
    pub fn type_size(self) -> u64 {
        self.info().type_size
    }

    /// Bytes needed for `n_elements` elements, rounding a partial block up; `None` on
    /// overflow. Tensors in a valid file always hold whole blocks per row.
    pub fn bytes_for(self, n_elements: u64) -> Option<u64> {
        let blocks = n_elements.div_ceil(self.block_size());
        blocks.checked_mul(self.type_size())
    }
}

impl std::fmt::Display for GgmlType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_variant_has_one_row_with_a_unique_id() {
        let ids: HashSet<u32> = TYPES.iter().map(|t| t.id).collect();
        assert_eq!(ids.len(), TYPES.len(), "duplicate type id in the table");
        let tys: HashSet<GgmlType> = TYPES.iter().map(|t| t.ty).collect();
        assert_eq!(tys.len(), TYPES.len(), "a type appears twice in the table");
        for t in TYPES {
            assert!(
                t.block_size > 0 && t.type_size > 0,
                "{} has a zero size",
                t.name
            );
            assert_eq!(GgmlType::from_id(t.id), Some(t.ty));
            assert_eq!(t.ty.id(), t.id);
            assert_eq!(t.ty.name(), t.name);
        }
    }

    #[test]
    fn retired_and_future_ids_are_unknown() {
        for id in [4, 5, 31, 32, 33, 36, 37, 38, 43, 1000, u32::MAX] {
            assert_eq!(GgmlType::from_id(id), None, "id {id}");
        }
    }

    #[test]
    fn byte_sizes_match_ggml_for_common_types() {
        // 4096 elements = 128 blocks of 32 or 16 super-blocks of 256.
        assert_eq!(GgmlType::F32.bytes_for(4096), Some(16384));
        assert_eq!(GgmlType::F16.bytes_for(4096), Some(8192));
        assert_eq!(GgmlType::BF16.bytes_for(4096), Some(8192));
        assert_eq!(GgmlType::Q4_0.bytes_for(4096), Some(128 * 18));
        assert_eq!(GgmlType::Q4_1.bytes_for(4096), Some(128 * 20));
        assert_eq!(GgmlType::Q8_0.bytes_for(4096), Some(128 * 34));
        assert_eq!(GgmlType::Q4_K.bytes_for(4096), Some(16 * 144));
        assert_eq!(GgmlType::Q6_K.bytes_for(4096), Some(16 * 210));
        assert_eq!(GgmlType::MXFP4.bytes_for(4096), Some(128 * 17));
        assert_eq!(GgmlType::TQ1_0.bytes_for(4096), Some(16 * 54));
        assert_eq!(GgmlType::F32.bytes_for(u64::MAX), None);
    }

    #[test]
    fn bits_per_weight_are_what_the_quant_names_promise() {
        let bpw = |t: GgmlType| t.type_size() as f64 * 8.0 / t.block_size() as f64;
        assert_eq!(bpw(GgmlType::Q4_0), 4.5);
        assert_eq!(bpw(GgmlType::Q4_K), 4.5);
        assert_eq!(bpw(GgmlType::IQ4_XS), 4.25);
        assert_eq!(bpw(GgmlType::IQ2_XXS), 2.0625);
        assert_eq!(bpw(GgmlType::IQ1_S), 1.5625);
        assert_eq!(bpw(GgmlType::TQ2_0), 2.0625);
        assert_eq!(bpw(GgmlType::Q6_K), 6.5625);
    }
}
