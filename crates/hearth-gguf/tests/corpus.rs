//! Bad inputs, each with the specific error it must produce, built by corrupting one
//! field of a small valid file; plus the valid variants that must still pass.

mod common;

use std::io::Cursor;
use std::path::Path;

use common::{Builder, Built, T, V};
use hearth_gguf::{
    parse_header, read_header, GgmlType, GgufError, GgufFile, MetadataValue, ValueType, MAX_TENSORS,
};

fn parse(bytes: &[u8]) -> Result<GgufFile, GgufError> {
    parse_header(Cursor::new(bytes), bytes.len() as u64)
}

fn tiny() -> Built {
    Builder::tiny().build()
}

/// Parses `bytes` and returns the error, failing the test if it parsed.
fn err(bytes: &[u8]) -> GgufError {
    match parse(bytes) {
        Ok(_) => panic!("corrupt input of {} bytes was accepted", bytes.len()),
        Err(e) => e,
    }
}

/// Asserts the error matches `pattern` and its message says what to do.
macro_rules! assert_err {
    ($bytes:expr, $pattern:pat) => {{
        let e = err(AsRef::<[u8]>::as_ref(&$bytes));
        assert!(matches!(e, $pattern), "wrong error: {e:?}");
        let msg = e.to_string();
        assert!(
            msg.starts_with("<in-memory GGUF>: "),
            "message does not name the input: {msg}"
        );
        assert!(!msg.ends_with('.'), "message ends with a period: {msg}");
        assert!(
            ["download", "update", "convert", "choose"]
                .iter()
                .any(|w| msg.contains(w)),
            "message does not say what to do: {msg}"
        );
        e
    }};
}

// ---- the valid reference file and valid variants ----

#[test]
fn the_reference_file_parses_with_every_value_type() {
    let built = tiny();
    let f = parse(&built.bytes).unwrap();
    assert_eq!(f.version(), 3);
    assert_eq!(f.alignment(), 32);
    assert_eq!(f.data_offset(), built.data_start as u64);
    assert_eq!(f.file_len(), built.bytes.len() as u64);
    let md = f.metadata();
    assert_eq!(md.get_str("general.architecture"), Some("llama"));
    assert_eq!(md.get("test.u8"), Some(&MetadataValue::U8(200)));
    assert_eq!(md.get("test.i8"), Some(&MetadataValue::I8(-5)));
    assert_eq!(md.get("test.u16"), Some(&MetadataValue::U16(60000)));
    assert_eq!(md.get("test.i16"), Some(&MetadataValue::I16(-30000)));
    assert_eq!(md.get("test.i32"), Some(&MetadataValue::I32(-7)));
    assert_eq!(md.get("test.f32"), Some(&MetadataValue::F32(0.5)));
    assert_eq!(md.get_bool("test.bool"), Some(true));
    assert_eq!(md.get("test.i64"), Some(&MetadataValue::I64(-9)));
    assert_eq!(md.get_f64("test.f64"), Some(2.25));
    assert_eq!(md.get_u64("llama.feed_forward_length"), Some(64));
    let nested = md.get_array("test.nested").unwrap();
    assert_eq!(nested.elem_type, ValueType::Array);
    let inner = nested.values.as_ref().unwrap();
    assert_eq!(inner.len(), 2);
    let first = inner[0].as_array().unwrap();
    assert_eq!(
        first.values.as_ref().unwrap(),
        &vec![MetadataValue::U32(1), MetadataValue::U32(2)]
    );
    assert_eq!(
        inner[1].as_array().unwrap().values.as_ref().unwrap()[0].as_str(),
        Some("x")
    );

    assert_eq!(f.tensors().len(), 2);
    let q = f.tensor("blk.0.attn_q.weight").unwrap();
    assert_eq!(q.ggml_type, GgmlType::Q4_0);
    assert_eq!(q.dims, vec![32, 2]);
    assert_eq!(q.n_elements, 64);
    assert_eq!(q.n_bytes, 36);
    assert_eq!(q.offset, 384);
    assert_eq!(f.parameter_count(), 96 + 64);
}

#[test]
fn the_reference_summary_and_memory_estimate() {
    let f = parse(&tiny().bytes).unwrap();
    let s = f.summary();
    assert_eq!(s.architecture.as_deref(), Some("llama"));
    assert_eq!(s.name.as_deref(), Some("Tiny Test Model"));
    assert_eq!(s.license.as_deref(), Some("apache-2.0"));
    assert_eq!(s.parameter_count, 160);
    // No general.file_type: the type of the most matrix elements (token_embd, F32) wins.
    assert_eq!(s.quantization, "F32");
    assert_eq!(s.context_length, Some(256));
    assert_eq!(s.head_count, Some(4));
    assert_eq!(s.head_count_kv, Some(2));
    assert_eq!(s.vocab_size, Some(3));
    assert!(s.has_chat_template);
    assert_eq!(
        f.chat_template(),
        Some("{% for m in messages %}{{ m.content }}{% endfor %}")
    );

    let est = f.memory_estimate(&hearth_gguf::MemoryParams::with_context(256));
    // 1 layer x 256 cells x (K + V of 2 heads x 8 dims) x 2 bytes.
    assert_eq!(est.kv_cache, 256 * 2 * (2 * 8) * 2);
    assert_eq!(est.weights, 96 * 4 + 36);
    assert_eq!(
        est.total,
        est.weights + est.repacked_weights + est.kv_cache + est.compute + est.overhead
    );
    // A context of 0 means the training context; 300 rounds up to 512 as in llama.cpp.
    assert_eq!(
        f.memory_estimate(&hearth_gguf::MemoryParams::with_context(0))
            .n_ctx,
        256
    );
    assert_eq!(
        f.memory_estimate(&hearth_gguf::MemoryParams::with_context(300))
            .n_ctx,
        512
    );
}

#[test]
fn file_type_names_the_quantization() {
    let f = parse(
        &Builder::tiny()
            .kv("general.file_type", V::U32(15))
            .build()
            .bytes,
    )
    .unwrap();
    assert_eq!(f.summary().quantization, "Q4_K_M");
}

#[test]
fn version_2_parses() {
    let mut b = Builder::tiny();
    b.version = 2;
    assert_eq!(parse(&b.build().bytes).unwrap().version(), 2);
}

#[test]
fn a_custom_alignment_is_used_for_the_data_section() {
    let b = Builder {
        alignment: 64,
        ..Builder::tiny()
    }
    .kv("general.alignment", V::U32(64));
    let built = b.build();
    let f = parse(&built.bytes).unwrap();
    assert_eq!(f.alignment(), 64);
    assert_eq!(f.data_offset() % 64, 0);
    assert_eq!(f.tensor("blk.0.attn_q.weight").unwrap().offset, 384);
}

#[test]
fn a_file_without_tensors_has_no_data_padding() {
    let b = Builder {
        tensors: vec![],
        ..Builder::tiny()
    };
    let built = b.build();
    let f = parse(&built.bytes).unwrap();
    assert_eq!(f.data_offset(), built.bytes.len() as u64);
    assert_eq!(f.parameter_count(), 0);
}

#[test]
fn long_numeric_arrays_are_kept_as_length_only() {
    let scores = V::Arr(6, (0..5000).map(|i| V::F32(i as f32)).collect());
    let f = parse(
        &Builder::tiny()
            .kv("tokenizer.ggml.scores", scores)
            .build()
            .bytes,
    )
    .unwrap();
    let a = f.metadata().get_array("tokenizer.ggml.scores").unwrap();
    assert!(a.is_elided());
    assert_eq!(a.len, 5000);
    assert_eq!(a.elem_type, ValueType::F32);
    // What follows the skipped array still parses.
    assert_eq!(f.tensors().len(), 2);
}

#[test]
fn invalid_utf8_in_strings_is_tolerated_like_llama_cpp_does() {
    let f = parse(
        &Builder::tiny()
            .kv(
                "test.bytes",
                V::Raw(
                    8,
                    [3u64.to_le_bytes().as_slice(), &[0x61, 0xff, 0x62]].concat(),
                ),
            )
            .build()
            .bytes,
    )
    .unwrap();
    assert_eq!(f.metadata().get_str("test.bytes"), Some("a\u{fffd}b"));
}

#[test]
fn any_non_zero_bool_byte_is_true() {
    let f = parse(&Builder::tiny().kv("test.bool2", V::Bool(7)).build().bytes).unwrap();
    assert_eq!(f.metadata().get_bool("test.bool2"), Some(true));
}

#[test]
fn zero_sized_tensors_are_accepted_as_llama_cpp_does() {
    let mut b = Builder::tiny();
    b.tensors.push(T {
        name: "empty".into(),
        dims: vec![0, 5],
        type_id: 0,
        n_bytes: 0,
    });
    let f = parse(&b.build().bytes).unwrap();
    assert_eq!(f.tensor("empty").unwrap().n_bytes, 0);
}

// ---- header ----

#[test]
fn empty_input() {
    assert_err!(b"", GgufError::Empty { .. });
}

#[test]
fn wrong_magic() {
    let mut built = tiny();
    built.bytes[..4].copy_from_slice(b"GGML");
    let e = assert_err!(built.bytes, GgufError::NotGguf { .. });
    assert!(e.to_string().contains("\"GGML\""), "{e}");
}

#[test]
fn an_html_error_page_saved_as_a_model() {
    let e = assert_err!(
        b"<!DOCTYPE html><html>404</html>",
        GgufError::NotGguf { .. }
    );
    assert!(e.to_string().contains("\"<!DO\""), "{e}");
}

#[test]
fn a_two_byte_file_that_is_not_gguf() {
    assert_err!(b"PK", GgufError::NotGguf { .. });
}

#[test]
fn magic_only() {
    let e = assert_err!(b"GGUF", GgufError::Truncated { .. });
    assert!(e.to_string().contains("the GGUF version"), "{e}");
}

#[test]
fn version_1_is_refused_with_advice() {
    let mut built = tiny();
    built.put_u32(built.version_at, 1);
    let e = assert_err!(
        built.bytes,
        GgufError::UnsupportedVersion { version: 1, .. }
    );
    assert!(e.to_string().contains("version 1"), "{e}");
}

#[test]
fn version_99_asks_for_an_update() {
    let mut built = tiny();
    built.put_u32(built.version_at, 99);
    let e = assert_err!(
        built.bytes,
        GgufError::UnsupportedVersion { version: 99, .. }
    );
    assert!(e.to_string().contains("update Hearth"), "{e}");
}

#[test]
fn version_0() {
    let mut built = tiny();
    built.put_u32(built.version_at, 0);
    assert_err!(
        built.bytes,
        GgufError::UnsupportedVersion { version: 0, .. }
    );
}

#[test]
fn a_big_endian_file() {
    let mut built = tiny();
    built.bytes[built.version_at..built.version_at + 4].copy_from_slice(&3u32.to_be_bytes());
    let e = assert_err!(built.bytes, GgufError::UnsupportedVersion { .. });
    assert!(e.to_string().contains("big-endian"), "{e}");
}

#[test]
fn huge_tensor_count() {
    let mut built = tiny();
    built.put_u64(built.n_tensors_at, u64::MAX);
    assert_err!(
        built.bytes,
        GgufError::TooManyTensors {
            count: u64::MAX,
            ..
        }
    );
}

#[test]
fn tensor_count_just_over_the_limit() {
    let mut built = tiny();
    built.put_u64(built.n_tensors_at, MAX_TENSORS + 1);
    assert_err!(built.bytes, GgufError::TooManyTensors { .. });
}

#[test]
fn a_flipped_high_byte_in_the_tensor_count() {
    let mut built = tiny();
    built.bytes[built.n_tensors_at + 5] ^= 0x40;
    assert_err!(built.bytes, GgufError::TooManyTensors { .. });
}

#[test]
fn huge_kv_count() {
    let mut built = tiny();
    built.put_u64(built.n_kv_at, 1 << 62);
    assert_err!(built.bytes, GgufError::TooManyKeys { .. });
}

#[test]
fn a_flipped_byte_in_the_kv_count() {
    let mut built = tiny();
    built.bytes[built.n_kv_at + 2] ^= 0x01;
    assert_err!(built.bytes, GgufError::TooManyKeys { .. });
}

#[test]
fn kv_count_one_more_than_present() {
    // The phantom entry swallows the first tensor info: its name becomes a key, its
    // n_dims (2) a value type (u16) that eats part of the first dimension, and the
    // tensor infos are then read out of step, so the "name length" is garbage.
    let mut built = tiny();
    let n = built.get_u64(built.n_kv_at);
    built.put_u64(built.n_kv_at, n + 1);
    assert_err!(built.bytes, GgufError::TensorNameTooLong { index: 0, .. });
}

// ---- metadata ----

#[test]
fn huge_string_length() {
    let mut built = tiny();
    // general.name is KV 1; its value's length follows the 4-byte type id.
    let at = built.kv_type_at[1] + 4;
    built.put_u64(at, u64::MAX);
    assert_err!(built.bytes, GgufError::StringTooLong { len: u64::MAX, .. });
}

#[test]
fn string_longer_than_the_rest_of_the_file() {
    let mut built = tiny();
    let at = built.kv_type_at[1] + 4;
    built.put_u64(at, 1 << 20);
    assert_err!(built.bytes, GgufError::Truncated { .. });
}

#[test]
fn huge_key_length() {
    let mut built = tiny();
    let at = built.kv_at[2];
    built.put_u64(at, 1 << 40);
    assert_err!(built.bytes, GgufError::StringTooLong { .. });
}

#[test]
fn empty_key() {
    let b = Builder::tiny().kv("", V::U8(1));
    assert_err!(b.build().bytes, GgufError::EmptyKey { .. });
}

#[test]
fn duplicate_key() {
    let b = Builder::tiny().kv("general.name", V::s("again"));
    let e = assert_err!(b.build().bytes, GgufError::DuplicateKey { .. });
    assert!(e.to_string().contains("'general.name'"), "{e}");
}

#[test]
fn bad_value_type() {
    let mut built = tiny();
    built.put_u32(built.kv_type_at[3], 13);
    let e = assert_err!(built.bytes, GgufError::BadValueType { type_id: 13, .. });
    assert!(e.to_string().contains("'llama.context_length'"), "{e}");
}

#[test]
fn bad_array_element_type() {
    let b = Builder::tiny().kv("test.arr", V::Arr(77, vec![]));
    assert_err!(b.build().bytes, GgufError::BadValueType { type_id: 77, .. });
}

#[test]
fn huge_array_length() {
    let mut built = tiny();
    // tokenizer.ggml.tokens is KV 9: type id, element type, then the length.
    let at = built.kv_type_at[9] + 8;
    built.put_u64(at, u64::MAX);
    assert_err!(built.bytes, GgufError::ArrayTooLong { .. });
}

#[test]
fn array_length_beyond_the_file() {
    let mut built = tiny();
    let at = built.kv_type_at[9] + 8;
    built.put_u64(at, 1 << 29);
    assert_err!(built.bytes, GgufError::Truncated { .. });
}

#[test]
fn arrays_nested_too_deep() {
    let mut v = V::Arr(4, vec![]);
    for _ in 0..hearth_gguf::MAX_ARRAY_DEPTH {
        v = V::Arr(9, vec![v]);
    }
    assert_err!(
        Builder::tiny().kv("test.deep", v).build().bytes,
        GgufError::ArrayTooDeep { .. }
    );
}

#[test]
fn arrays_nested_to_the_limit_are_fine() {
    let mut v = V::Arr(4, vec![V::U32(1)]);
    for _ in 1..hearth_gguf::MAX_ARRAY_DEPTH {
        v = V::Arr(9, vec![v]);
    }
    assert!(parse(&Builder::tiny().kv("test.deep", v).build().bytes).is_ok());
}

#[test]
fn alignment_not_a_power_of_two() {
    let b = Builder {
        alignment: 33,
        ..Builder::tiny()
    }
    .kv("general.alignment", V::U32(33));
    let e = assert_err!(b.build().bytes, GgufError::BadAlignment { .. });
    assert!(e.to_string().contains("power of two"), "{e}");
}

#[test]
fn alignment_zero() {
    let b = Builder::tiny().kv("general.alignment", V::U32(0));
    assert_err!(b.build().bytes, GgufError::BadAlignment { .. });
}

#[test]
fn alignment_of_the_wrong_type() {
    let b = Builder::tiny().kv("general.alignment", V::U64(32));
    let e = assert_err!(b.build().bytes, GgufError::BadAlignment { .. });
    assert!(e.to_string().contains("u64"), "{e}");
}

// ---- tensor infos ----

#[test]
fn tensor_name_too_long() {
    let mut b = Builder::tiny();
    b.tensors[1].name = "x".repeat(64);
    assert_err!(
        b.build().bytes,
        GgufError::TensorNameTooLong {
            index: 1,
            len: 64,
            ..
        }
    );
}

#[test]
fn tensor_name_of_63_bytes_is_fine() {
    let mut b = Builder::tiny();
    b.tensors[1].name = "x".repeat(63);
    assert!(parse(&b.build().bytes).is_ok());
}

#[test]
fn duplicate_tensor_name() {
    let mut b = Builder::tiny();
    b.tensors[1].name = b.tensors[0].name.clone();
    assert_err!(b.build().bytes, GgufError::DuplicateTensor { .. });
}

#[test]
fn zero_dimensions() {
    let mut built = tiny();
    built.put_u32(built.n_dims_at[0], 0);
    assert_err!(built.bytes, GgufError::BadDimensionCount { n_dims: 0, .. });
}

#[test]
fn five_dimensions() {
    let mut b = Builder::tiny();
    b.tensors[0].dims = vec![32, 3, 1, 1, 1];
    assert_err!(
        b.build().bytes,
        GgufError::BadDimensionCount { n_dims: 5, .. }
    );
}

#[test]
fn negative_dimension() {
    let mut built = tiny();
    built.put_u64(built.n_dims_at[0] + 4, (-32i64) as u64);
    assert_err!(built.bytes, GgufError::BadDimension { dim: 0, .. });
}

#[test]
fn element_count_overflow() {
    let mut b = Builder::tiny();
    b.tensors[0].dims = vec![1 << 32, 1 << 32];
    assert_err!(b.build().bytes, GgufError::TensorTooLarge { .. });
}

#[test]
fn byte_size_overflow() {
    // 2^62 F32 elements fit in int64 but not their 2^64 bytes.
    let mut b = Builder::tiny();
    b.tensors[0].dims = vec![1 << 31, 1 << 31];
    assert_err!(b.build().bytes, GgufError::TensorTooLarge { .. });
}

#[test]
fn unknown_ggml_type() {
    let mut built = tiny();
    built.put_u32(built.type_at[1], 99);
    let e = assert_err!(
        built.bytes,
        GgufError::UnknownTensorType { type_id: 99, .. }
    );
    assert!(e.to_string().contains("'blk.0.attn_q.weight'"), "{e}");
}

#[test]
fn retired_ggml_type() {
    let mut built = tiny();
    built.put_u32(built.type_at[1], 31); // Q4_0_4_4, removed from GGUF files
    assert_err!(
        built.bytes,
        GgufError::UnknownTensorType { type_id: 31, .. }
    );
}

#[test]
fn row_not_a_whole_number_of_blocks() {
    let mut b = Builder::tiny();
    b.tensors[1].dims = vec![31, 2];
    assert_err!(
        b.build().bytes,
        GgufError::BadRowSize {
            row: 31,
            block: 32,
            ..
        }
    );
}

// ---- tensor data ----

#[test]
fn tensor_offset_past_the_end() {
    let mut built = tiny();
    built.put_u64(built.offset_at[1], 1 << 20);
    let e = assert_err!(built.bytes, GgufError::TensorOutOfBounds { .. });
    assert!(e.to_string().contains("'blk.0.attn_q.weight'"), "{e}");
}

#[test]
fn tensor_offset_overflow() {
    let mut built = tiny();
    built.put_u64(built.offset_at[1], u64::MAX - 16);
    assert_err!(built.bytes, GgufError::OffsetOverflow { .. });
}

#[test]
fn misaligned_tensor_offset() {
    let mut built = tiny();
    built.put_u64(built.offset_at[1], 385);
    assert_err!(
        built.bytes,
        GgufError::MisalignedTensor {
            offset: 385,
            alignment: 32,
            ..
        }
    );
}

#[test]
fn overlapping_tensors() {
    let mut built = tiny();
    built.put_u64(built.offset_at[1], 64);
    assert_err!(
        built.bytes,
        GgufError::TensorOffsetMismatch {
            offset: 64,
            expected: 384,
            ..
        }
    );
}

#[test]
fn data_truncated() {
    let built = tiny();
    let cut = built.data_start + 100;
    let e = assert_err!(&built.bytes[..cut], GgufError::TensorOutOfBounds { .. });
    assert!(e.to_string().contains("download it again"), "{e}");
}

#[test]
fn truncated_at_every_offset() {
    let built = tiny();
    // The last tensor ends 36 bytes into its slot; the padding after it is optional.
    let data_end = built.data_start + 384 + 36;
    for len in 0..built.bytes.len() {
        let result = parse(&built.bytes[..len]);
        let ok = match (len, &result) {
            (0, Err(GgufError::Empty { .. })) => true,
            (l, Err(GgufError::Truncated { .. })) => l < built.data_start,
            (l, Err(GgufError::TensorOutOfBounds { .. })) => l >= built.data_start && l < data_end,
            (l, Ok(_)) => l >= data_end,
            _ => false,
        };
        assert!(
            ok,
            "cut at {len} of {}: {:?}",
            built.bytes.len(),
            result.err()
        );
    }
}

#[test]
fn a_reader_shorter_than_the_stated_length() {
    // The length is a promise; a reader that runs dry early is a truncation, not a panic.
    let built = tiny();
    let short = &built.bytes[..built.header_end / 2];
    let e = parse_header(Cursor::new(short), built.bytes.len() as u64).unwrap_err();
    assert!(matches!(e, GgufError::Truncated { .. }), "{e:?}");
}

// ---- the file system ----

#[test]
fn a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let e = read_header(dir.path()).unwrap_err();
    assert!(matches!(e, GgufError::IsADirectory { .. }), "{e:?}");
    assert!(e.to_string().contains("folder"), "{e}");
}

#[test]
fn a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.gguf");
    let e = read_header(&path).unwrap_err();
    assert!(matches!(e, GgufError::NotFound { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with(&format!("{}: ", path.display())),
        "{e}"
    );
}

#[test]
fn a_device_is_not_a_model() {
    let e = read_header(Path::new("/dev/null")).unwrap_err();
    assert!(matches!(e, GgufError::NotARegularFile { .. }), "{e:?}");
}

#[test]
fn an_unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked.gguf");
    std::fs::write(&locked, tiny().bytes).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root (or CAP_DAC_OVERRIDE) reads a mode-000 file anyway, and the tests run as root
    // here. sysctl files apply their mode even to root, so a write-only one is a real
    // unreadable regular file in that case.
    let path = if std::fs::File::open(&locked).is_err() {
        locked
    } else {
        Path::new("/proc/sys/vm/drop_caches").to_path_buf()
    };
    let e = read_header(&path).unwrap_err();
    assert!(
        matches!(e, GgufError::PermissionDenied { .. }),
        "{}: {e:?}",
        path.display()
    );
    assert!(e.to_string().contains("permission"), "{e}");
}

#[test]
fn a_valid_file_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    std::fs::write(&path, tiny().bytes).unwrap();
    let f = read_header(&path).unwrap();
    assert_eq!(f.summary().architecture.as_deref(), Some("llama"));
}

#[test]
fn a_truncated_file_on_disk_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.gguf");
    let built = tiny();
    std::fs::write(&path, &built.bytes[..built.tensor_at[1] + 3]).unwrap();
    let e = read_header(&path).unwrap_err();
    assert!(matches!(e, GgufError::Truncated { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{}: file ends at byte", path.display())),
        "{msg}"
    );
    assert!(msg.contains("tensor info 1"), "{msg}");
    assert!(msg.contains("download it again"), "{msg}");
}

#[test]
fn the_fuzz_seed_is_the_reference_file() {
    // fuzz/seeds/tiny.gguf seeds the fuzzer with a valid file; keep it in step with the
    // builder. HEARTH_WRITE_FUZZ_SEED=1 rewrites it after a deliberate builder change.
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/tiny.gguf");
    let bytes = tiny().bytes;
    if std::env::var_os("HEARTH_WRITE_FUZZ_SEED").is_some() {
        std::fs::write(&seed, &bytes).unwrap();
    }
    let on_disk = std::fs::read(&seed).unwrap_or_else(|e| panic!("{}: {e}", seed.display()));
    assert!(
        on_disk == bytes,
        "{} is stale: rerun with HEARTH_WRITE_FUZZ_SEED=1",
        seed.display()
    );
}
