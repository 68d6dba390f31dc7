//! Feeds arbitrary bytes to `hearth_gguf::parse_header`: it must return, never panic,
//! hang or allocate without bound; and whatever it accepts must be internally consistent
//! and safe to summarise and estimate.

#![no_main]

use std::io::Cursor;

use hearth_gguf::{parse_header, MemoryParams};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    let Ok(file) = parse_header(Cursor::new(data), len) else {
        return;
    };
    assert!(file.data_offset() <= len);
    assert!(file.alignment().is_power_of_two());
    for t in file.tensors() {
        let end = file.data_offset() + t.offset + t.n_bytes;
        assert!(end <= len, "tensor {} ends at {end}, past {len}", t.name);
        assert_eq!(t.offset % file.alignment(), 0);
    }
    let summary = file.summary();
    assert_eq!(summary.file_size, len);
    for n_ctx in [0, 1, 4096] {
        let est = file.memory_estimate(&MemoryParams::with_context(n_ctx));
        assert!(est.total >= est.weights);
    }
});
