//! Crafted headers that declare many long strings (keys, string values, string arrays,
//! tensor names) are refused, or their arrays elided, before the reader allocates
//! memory in proportion to the file: a counting allocator measures the peak.
//!
//! The files are generated as they are read, so a header of hundreds of megabytes
//! costs the test no memory of its own.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{self, Read};

use hearth_gguf::{parse_header, GgufError, MAX_HEADER_MEMORY};

/// The system allocator, counting what each thread holds and the most it held.
struct Counting;

thread_local! {
    static HELD: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn add(n: usize) {
    let _ = HELD.try_with(|held| {
        let now = held.get().saturating_add(n);
        held.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn sub(n: usize) {
    let _ = HELD.try_with(|held| held.set(held.get().saturating_sub(n)));
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are
// const-initialised thread locals without destructors, so touching them never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        sub(layout.size());
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size);
        sub(layout.size());
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most this thread held above what it held before `f` ran, and `f`'s result.
fn peak_during<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let base = HELD.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    (PEAK.with(Cell::get) - base, out)
}

/// Part of a file: literal bytes, then a run of filler bytes.
#[derive(Default)]
struct Part {
    bytes: Vec<u8>,
    fill: u64,
}

impl Part {
    fn len(&self) -> u64 {
        self.bytes.len() as u64 + self.fill
    }
    fn u32(mut self, v: u32) -> Part {
        self.bytes.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u64(mut self, v: u64) -> Part {
        self.bytes.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn raw(mut self, b: &[u8]) -> Part {
        self.bytes.extend_from_slice(b);
        self
    }
    fn string(self, s: &str) -> Part {
        self.u64(s.len() as u64).raw(s.as_bytes())
    }
    /// Ends the part with a string of `len` filler bytes.
    fn long_string(mut self, len: u64) -> Part {
        self = self.u64(len);
        self.fill = len;
        self
    }
}

fn header(n_tensors: u64, n_kv: u64) -> Part {
    Part::default().raw(b"GGUF").u32(3).u64(n_tensors).u64(n_kv)
}

/// A file produced part by part as it is read, so it is never held whole (the parts
/// are made and dropped while the reader runs, which the peak barely notices).
struct Synthetic<I> {
    parts: I,
    current: Part,
    at: usize,
}

/// The file made of `parts()`, and its length.
fn synthetic<I: Iterator<Item = Part>>(parts: impl Fn() -> I) -> (Synthetic<I>, u64) {
    let len = parts().map(|p| p.len()).sum();
    let file = Synthetic {
        parts: parts(),
        current: Part::default(),
        at: 0,
    };
    (file, len)
}

impl<I: Iterator<Item = Part>> Read for Synthetic<I> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.at < self.current.bytes.len() {
                let n = buf.len().min(self.current.bytes.len() - self.at);
                buf[..n].copy_from_slice(&self.current.bytes[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
            if self.current.fill > 0 {
                let n = buf
                    .len()
                    .min(usize::try_from(self.current.fill).unwrap_or(usize::MAX));
                buf[..n].fill(b'a');
                self.current.fill -= n as u64;
                return Ok(n);
            }
            match self.parts.next() {
                Some(part) => {
                    self.current = part;
                    self.at = 0;
                }
                None => return Ok(0),
            }
        }
    }
}

const MIB: u64 = 1 << 20;
/// What the reader may hold beyond its budget: buffers, the error, bookkeeping.
const SLACK: u64 = 8 * MIB;
const STRING_TYPE: u32 = 8;
const ARRAY_TYPE: u32 = 9;
const U8_TYPE: u32 = 0;

fn parse<I: Iterator<Item = Part>>(
    parts: impl Fn() -> I,
) -> (u64, Result<hearth_gguf::GgufFile, GgufError>) {
    let (file, len) = synthetic(parts);
    let (peak, result) = peak_during(|| parse_header(file, len));
    (peak as u64, result)
}

fn assert_refused(result: Result<hearth_gguf::GgufFile, GgufError>, what: &str) {
    match result {
        Err(e @ GgufError::HeaderTooLarge { .. }) => {
            let message = e.to_string();
            assert!(message.contains(what), "{message}");
            assert!(message.contains("download it again"), "{message}");
        }
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("a crafted header was accepted"),
    }
}

fn assert_bounded(peak: u64) {
    assert!(
        peak < MAX_HEADER_MEMORY + SLACK,
        "held {peak} bytes while reading, over the budget of {MAX_HEADER_MEMORY}"
    );
}

#[test]
fn many_long_string_values_are_refused_within_the_budget() {
    // 200 values of 1 MiB: a 200 MiB header.
    let (peak, result) = parse(|| {
        std::iter::once(header(0, 200)).chain((0..200).map(|i| {
            Part::default()
                .string(&format!("test.s{i}"))
                .u32(STRING_TYPE)
                .long_string(MIB)
        }))
    });
    assert_bounded(peak);
    assert_refused(result, "the value of metadata 'test.s");
}

#[test]
fn many_long_keys_are_refused_within_the_budget() {
    // 4,000 keys of 64 KiB: a 256 MiB header.
    let (peak, result) = parse(|| {
        std::iter::once(header(0, 4000)).chain((0..4000u32).map(|i| {
            let mut key = format!("k{i:08}.");
            while key.len() < (1 << 16) - 1 {
                key.push('a');
            }
            Part::default().string(&key).u32(U8_TYPE).raw(&[1])
        }))
    });
    assert_bounded(peak);
    assert_refused(result, "the name of metadata entry");
}

#[test]
fn long_string_arrays_are_elided_within_the_budget() {
    // 16 arrays of 1,024 strings of 64 KiB: a 1 GiB header whose arrays are kept only
    // as far as the kept-array budget goes, and skipped after.
    let (peak, result) = parse(|| {
        std::iter::once(header(0, 16)).chain((0..16).flat_map(|i| {
            std::iter::once(
                Part::default()
                    .string(&format!("test.a{i}"))
                    .u32(ARRAY_TYPE)
                    .u32(STRING_TYPE)
                    .u64(1024),
            )
            .chain((0..1024).map(|_| Part::default().long_string(64 * 1024)))
        }))
    });
    let parsed = result.expect("arrays past the budget are elided, not refused");
    let elided = (0..16)
        .filter(|i| {
            parsed
                .metadata()
                .get_array(&format!("test.a{i}"))
                .is_some_and(|a| a.is_elided())
        })
        .count();
    assert!(elided >= 14, "only {elided} arrays elided");
    assert_bounded(peak);
}

#[test]
fn many_long_tensor_names_are_refused_within_the_budget() {
    // 600,000 tensors named with 63 bytes each: a 57 MB header that, kept, takes about
    // three times that.
    let n = 600_000u64;
    let (peak, result) = parse(|| {
        std::iter::once(header(n, 0)).chain((0..n).map(|i| {
            Part::default()
                .string(&format!("t{i:062}"))
                .u32(1) // one dimension
                .u64(32)
                .u32(0) // F32
                .u64(i * 128)
        }))
    });
    assert_bounded(peak);
    assert_refused(result, "the name of tensor info");
}
