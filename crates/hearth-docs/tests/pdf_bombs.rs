//! PDF decompression bombs in every form lopdf would decode, and structures built to
//! overflow the stack. The files are written byte by byte here (line ends, headers and
//! cross-reference streams exactly as given), and read with small limits. Every one
//! must give a clear [`DocError`], and the peak memory allocated while reading it,
//! measured by the counting allocator below, must stay within a bound proportionate to
//! the limits: lopdf decoding any of these streams itself would allocate far more.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use hearth_docs::{read_bytes, DocError, Document, Format, Limits};

/// The system allocator, counting the bytes allocated now and their peak.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as the old and the new block both alive, as a moving realloc has them.
            let now = CURRENT.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(now, Ordering::Relaxed);
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MB: usize = 1 << 20;

/// The tests here run one at a time, so that each sees only its own allocations.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Limits for the corpus: 4 MB a stream, 16 MB a document.
fn limits() -> Limits {
    Limits {
        max_pdf_stream_bytes: 4 * MB as u64,
        max_pdf_decoded_bytes: 16 * MB as u64,
        ..Limits::default()
    }
}

/// What a bomb expands to: 32 times the per-stream limit.
const BOMB: usize = 128 * MB;

/// Reads `bytes` and returns the result with the most bytes allocated meanwhile, beyond
/// what was allocated before.
fn read_measured(bytes: &[u8], limits: &Limits) -> (Result<Document, DocError>, usize) {
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = read_bytes(bytes, Format::Pdf, limits);
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    (result, peak)
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `len` bytes of spaces, compressed.
fn zlib_spaces(len: usize) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; MB];
    for _ in 0..len / MB {
        e.write_all(&chunk).unwrap();
    }
    e.finish().unwrap()
}

fn lzw_spaces(len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
    let data = vec![b' '; len];
    encoder
        .into_stream(&mut out)
        .encode_all(data.as_slice())
        .status
        .unwrap();
    out
}

fn hex(data: &[u8]) -> Vec<u8> {
    let mut s: Vec<u8> = data
        .iter()
        .flat_map(|b| format!("{b:02x}").into_bytes())
        .collect();
    s.push(b'>');
    s
}

fn ascii85(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in data.chunks(4) {
        let mut group = [0u8; 4];
        group[..chunk.len()].copy_from_slice(chunk);
        let mut n = u32::from_be_bytes(group);
        if n == 0 && chunk.len() == 4 {
            out.push(b'z');
            continue;
        }
        let mut digits = [0u8; 5];
        for d in digits.iter_mut().rev() {
            *d = (n % 85) as u8 + b'!';
            n /= 85;
        }
        out.extend_from_slice(&digits[..chunk.len() + 1]);
    }
    out.extend_from_slice(b"~>");
    out
}

/// A PDF written by hand: numbered object bodies, a classic cross-reference table.
struct Raw {
    objects: Vec<(u32, Vec<u8>)>,
    trailer_extra: String,
}

/// A stream object body: `<<dict /Length n>>`, the keyword with `eol`, data, endstream.
fn stream(dict: &str, eol: &[u8], data: &[u8]) -> Vec<u8> {
    let mut body = format!("<<{dict} /Length {}>>\nstream", data.len()).into_bytes();
    body.extend_from_slice(eol);
    body.extend_from_slice(data);
    body.extend_from_slice(b"\nendstream");
    body
}

const TEXT: &[u8] = b"BT /F1 11 Tf 72 700 Td (Readable text.) Tj ET";

impl Raw {
    /// Catalog 1, pages 2, page 3 (contents 4), font 5; object 4 is `contents`.
    fn with_page(contents: Vec<u8>) -> Raw {
        Raw {
            objects: vec![
                (1, b"<< /Type /Catalog /Pages 2 0 R >>".to_vec()),
                (
                    2,
                    b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>".to_vec(),
                ),
                (
                    3,
                    b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
                        .to_vec(),
                ),
                (4, contents),
                (
                    5,
                    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
                        .to_vec(),
                ),
            ],
            trailer_extra: String::new(),
        }
    }

    fn readable() -> Raw {
        Raw::with_page(stream("", b"\n", TEXT))
    }

    fn add(mut self, number: u32, body: Vec<u8>) -> Raw {
        self.objects.push((number, body));
        self
    }

    /// The file's header and every object, with where each object starts.
    fn header_and_objects(&self) -> (Vec<u8>, Vec<(u32, usize)>) {
        let mut out = b"%PDF-1.5\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::new();
        for (n, body) in &self.objects {
            offsets.push((*n, out.len()));
            out.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        (out, offsets)
    }

    fn finish(&self) -> Vec<u8> {
        let (mut out, offsets) = self.header_and_objects();
        let size = self.objects.iter().map(|(n, _)| n + 1).max().unwrap_or(1);
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {size}\n0000000000 65535 f \n").as_bytes());
        for n in 1..size {
            match offsets.iter().rev().find(|(m, _)| *m == n) {
                Some((_, at)) => out.extend_from_slice(format!("{at:010} 00000 n \n").as_bytes()),
                None => out.extend_from_slice(b"0000000000 65535 f \n"),
            }
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {size} /Root 1 0 R {} >>\nstartxref\n{xref}\n%%EOF\n",
                self.trailer_extra
            )
            .as_bytes(),
        );
        out
    }

    /// The same objects with a cross-reference stream instead of a table. `compressed`
    /// lists objects stored in object stream `container` (whose body must be among the
    /// objects), as (number, index). `xref_data` replaces the stream's encoded entries.
    fn finish_with_xref_stream(
        &self,
        compressed: &[(u32, u32, u16)],
        xref_filter: &str,
        xref_data: Option<Vec<u8>>,
    ) -> Vec<u8> {
        let (mut out, offsets) = self.header_and_objects();
        let xref_number = self.objects.iter().map(|(n, _)| n + 1).max().unwrap_or(1);
        let size = xref_number + 1;
        let xref_at = out.len();
        let mut entries = vec![0u8, 0, 0, 0, 0, 0];
        for n in 1..size {
            if let Some((_, container, index)) = compressed.iter().find(|(m, _, _)| *m == n) {
                entries.push(2);
                entries.extend_from_slice(&container.to_be_bytes());
                entries.push(*index as u8);
            } else if n == xref_number {
                entries.push(1);
                entries.extend_from_slice(&(xref_at as u32).to_be_bytes());
                entries.push(0);
            } else if let Some((_, at)) = offsets.iter().rev().find(|(m, _)| *m == n) {
                entries.push(1);
                entries.extend_from_slice(&(*at as u32).to_be_bytes());
                entries.push(0);
            } else {
                entries.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
            }
        }
        let data = xref_data.unwrap_or_else(|| zlib(&entries));
        let dict = format!(
            "/Type /XRef /Size {size} /W [1 4 1] /Root 1 0 R {xref_filter} {}",
            self.trailer_extra
        );
        out.extend_from_slice(format!("{xref_number} 0 obj\n").as_bytes());
        out.extend_from_slice(&stream(&dict, b"\n", &data));
        out.extend_from_slice(format!("\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
        out
    }
}

/// A zlib stream with header byte CMF (window size) `cmf`, its check byte fixed up.
fn zlib_with_cmf(cmf: u8, data: &[u8]) -> Vec<u8> {
    let mut flg = 0u8;
    while (u16::from(cmf) << 8 | u16::from(flg)) % 31 != 0 {
        flg += 1;
    }
    let mut out = vec![cmf, flg];
    out.extend_from_slice(&deflate(data));
    out
}

/// An object stream holding `objects` (number, text), with `padding` spaces after them.
fn object_stream(objects: &[(u32, &str)], padding: usize) -> (String, Vec<u8>) {
    let mut index = String::new();
    let mut body = String::new();
    for (n, text) in objects {
        index.push_str(&format!("{n} {} ", body.len()));
        body.push_str(text);
        body.push(' ');
    }
    let mut plain = format!("{index}{body}").into_bytes();
    let first = index.len();
    plain.extend(std::iter::repeat_n(b' ', padding));
    (
        format!(
            "/Type /ObjStm /N {} /First {first} /Filter /FlateDecode",
            objects.len()
        ),
        zlib(&plain),
    )
}

#[test]
fn pdf_bomb_corpus() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let limits = limits();
    let spaces = zlib_spaces(BOMB);
    let bomb_page =
        |eol: &[u8]| Raw::with_page(stream("/Filter /FlateDecode", eol, &spaces)).finish();
    let readable_with = |number: u32, body: Vec<u8>| Raw::readable().add(number, body).finish();

    let mut corpus: Vec<(&str, Vec<u8>)> = vec![
        (
            "stream LF (the line end the old guard knew)",
            bomb_page(b"\n"),
        ),
        ("stream CRLF", bomb_page(b"\r\n")),
        ("stream CR", bomb_page(b"\r")),
        ("stream, blanks, LF", bomb_page(b" \t \n")),
        ("stream, blanks, CR", bomb_page(b"  \r")),
    ];
    for cmf in [0x08u8, 0x28, 0x48, 0x68] {
        let data = zlib_with_cmf(cmf, &vec![b' '; BOMB]);
        corpus.push((
            "zlib header with a smaller window",
            Raw::with_page(stream("/Filter /FlateDecode", b"\n", &data)).finish(),
        ));
    }
    let mut raw_deflate = vec![0x00, 0x00];
    raw_deflate.extend_from_slice(&deflate(&vec![b' '; BOMB]));
    corpus.push((
        "raw deflate after a bad zlib header",
        Raw::with_page(stream("/Filter /FlateDecode", b"\n", &raw_deflate)).finish(),
    ));
    corpus.push((
        "Flate inside Flate",
        Raw::with_page(stream(
            "/Filter [/FlateDecode /FlateDecode]",
            b"\n",
            &zlib(&spaces),
        ))
        .finish(),
    ));
    corpus.push((
        "ASCIIHex then Flate",
        Raw::with_page(stream(
            "/Filter [/ASCIIHexDecode /FlateDecode]",
            b"\n",
            &hex(&spaces),
        ))
        .finish(),
    ));
    corpus.push((
        "ASCII85 then Flate",
        Raw::with_page(stream(
            "/Filter [/ASCII85Decode /FlateDecode]",
            b"\n",
            &ascii85(&spaces),
        ))
        .finish(),
    ));
    corpus.push((
        "LZW",
        Raw::with_page(stream("/Filter /LZWDecode", b"\n", &lzw_spaces(BOMB))).finish(),
    ));
    corpus.push((
        "LZW without early change",
        Raw::with_page(stream(
            "/Filter /LZWDecode /DecodeParms << /EarlyChange 0 >>",
            b"\n",
            &{
                let mut out = Vec::new();
                weezl::encode::Encoder::new(weezl::BitOrder::Msb, 8)
                    .into_stream(&mut out)
                    .encode_all(vec![b' '; BOMB].as_slice())
                    .status
                    .unwrap();
                out
            },
        ))
        .finish(),
    ));
    corpus.push((
        "an unreferenced stream",
        readable_with(6, stream("/Filter /FlateDecode", b"\n", &spaces)),
    ));
    corpus.push((
        "an image (never decoded for text, but lopdf could be made to)",
        readable_with(
            6,
            stream(
                "/Type /XObject /Subtype /Image /Width 1 /Height 1 /Filter /FlateDecode",
                b"\r",
                &spaces,
            ),
        ),
    ));
    // /Length past the end of the file: lopdf reads the data later, from where it starts.
    let mut lying = format!(
        "<< /Filter /FlateDecode /Length {} >>\nstream\n",
        1u64 << 40
    )
    .into_bytes();
    lying.extend_from_slice(&spaces);
    lying.extend_from_slice(b"\nendstream");
    corpus.push(("/Length past the end", Raw::with_page(lying).finish()));
    // /Length that refers to an object.
    let mut indirect = b"<< /Filter /FlateDecode /Length 6 0 R >>\nstream\n".to_vec();
    indirect.extend_from_slice(&spaces);
    indirect.extend_from_slice(b"\nendstream");
    corpus.push((
        "/Length that refers to an object",
        Raw::with_page(indirect)
            .add(6, spaces.len().to_string().into_bytes())
            .finish(),
    ));
    // An object stream that expands past the limit, its objects listed in a
    // cross-reference stream.
    let (dict, data) = object_stream(
        &[(7, "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>")],
        BOMB,
    );
    corpus.push((
        "object stream",
        Raw::readable()
            .add(6, stream(&dict, b"\n", &data))
            .finish_with_xref_stream(&[(7, 6, 0)], "/Filter /FlateDecode", None),
    ));
    // The same, reached while parsing: lopdf decodes the object stream to find a /Length.
    let (dict, data) = object_stream(&[(7, &TEXT.len().to_string())], BOMB);
    let mut with_length = b"<< /Length 7 0 R >>\nstream\n".to_vec();
    with_length.extend_from_slice(TEXT);
    with_length.extend_from_slice(b"\nendstream");
    corpus.push((
        "object stream holding a /Length",
        Raw::with_page(with_length)
            .add(6, stream(&dict, b"\n", &data))
            .finish_with_xref_stream(&[(7, 6, 0)], "/Filter /FlateDecode", None),
    ));
    // The cross-reference stream itself.
    corpus.push((
        "cross-reference stream",
        Raw::readable().finish_with_xref_stream(&[], "/Filter /FlateDecode", Some(spaces.clone())),
    ));
    // A predictor row so long that lopdf would allocate two of them first.
    corpus.push((
        "predictor rows of a billion bytes",
        Raw::readable().finish_with_xref_stream(
            &[],
            "/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 1000000000 >>",
            None,
        ),
    ));
    // Many streams, each within the per-stream limit, together past the total.
    let three_mb = zlib_spaces(3 * MB);
    let mut many = Raw::readable();
    for n in 6..20 {
        many = many.add(n, stream("/Filter /FlateDecode", b"\n", &three_mb));
    }
    corpus.push(("14 streams of 3 MB", many.finish()));

    // The control: lopdf left to itself decodes the whole bomb, and the allocator sees it.
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let doc = pdf_extract::Document::load_mem(&corpus[2].1).unwrap();
    let content = doc.get_object((4, 0)).unwrap().as_stream().unwrap();
    assert_eq!(content.decompressed_content().unwrap().len(), BOMB);
    let lopdf_peak = PEAK.load(Ordering::Relaxed) - before;
    assert!(lopdf_peak >= BOMB, "{lopdf_peak}");
    drop(doc);

    let mut failures = Vec::new();
    for (name, bytes) in &corpus {
        let (result, peak) = read_measured(bytes, &limits);
        // Within 4 streams' worth beyond the file and the total: lopdf decoding a bomb
        // itself would allocate at least 128 MB.
        let bound = bytes.len() * 4 + 32 * MB;
        match &result {
            Err(err @ DocError::ZipBomb { format: "pdf", .. }) => {
                let text = err.to_string();
                assert!(
                    text.contains("MB") && text.contains("decompression bomb"),
                    "{name}: {text}"
                );
                eprintln!("{name}: peak {:.1} MB: {text}", peak as f64 / MB as f64);
            }
            other => failures.push(format!(
                "{name}: not refused: {:?}",
                other.as_ref().map(|d| &d.blocks)
            )),
        }
        if peak > bound {
            failures.push(format!(
                "{name}: peak {:.1} MB over {:.1} MB",
                peak as f64 / MB as f64,
                bound as f64 / MB as f64
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The many streams read when the total allows them.
    let roomy = Limits {
        max_pdf_stream_bytes: 4 * MB as u64,
        max_pdf_decoded_bytes: 64 * MB as u64,
        ..Limits::default()
    };
    let doc = read_bytes(&corpus.last().unwrap().1, Format::Pdf, &roomy).unwrap();
    assert_eq!(doc.blocks[0].text, "Readable text.");

    // Every encoding above, small, reads to the same text.
    let small = [
        ("", TEXT.to_vec()),
        ("/Filter /FlateDecode", zlib(TEXT)),
        ("/Filter /FlateDecode", zlib_with_cmf(0x28, TEXT)),
        ("/Filter /FlateDecode", {
            let mut d = vec![0, 0];
            d.extend_from_slice(&deflate(TEXT));
            d
        }),
        ("/Filter [/FlateDecode /FlateDecode]", zlib(&zlib(TEXT))),
        ("/Filter [/ASCIIHexDecode /FlateDecode]", hex(&zlib(TEXT))),
        (
            "/Filter [/ASCII85Decode /FlateDecode]",
            ascii85(&zlib(TEXT)),
        ),
        ("/Filter /ASCII85Decode", ascii85(TEXT)),
        ("/Filter /LZWDecode", {
            let mut out = Vec::new();
            weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
                .into_stream(&mut out)
                .encode_all(TEXT)
                .status
                .unwrap();
            out
        }),
    ];
    for (dict, data) in small {
        for eol in [&b"\n"[..], b"\r\n", b"\r"] {
            let bytes = Raw::with_page(stream(dict, eol, &data)).finish();
            let doc = read_bytes(&bytes, Format::Pdf, &limits)
                .unwrap_or_else(|e| panic!("{dict} {eol:?}: {e}"));
            assert_eq!(doc.blocks[0].text, "Readable text.", "{dict} {eol:?}");
        }
    }
    // Objects in an object stream, listed in a cross-reference stream, still read.
    let (dict, data) = object_stream(
        &[(
            7,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        )],
        0,
    );
    let mut raw = Raw::readable();
    raw.objects[2].1 =
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 7 0 R >> >> >>"
            .to_vec();
    let bytes = raw
        .add(6, stream(&dict, b"\n", &data))
        .finish_with_xref_stream(&[(7, 6, 0)], "/Filter /FlateDecode", None);
    let doc = read_bytes(&bytes, Format::Pdf, &limits).unwrap();
    assert_eq!(doc.blocks[0].text, "Readable text.");
}

/// Page trees with cycles and objects nested far deeper than any real file: a clear
/// error or a document, never a stack overflow (which would abort the test binary).
#[test]
fn pdf_cycles_and_deep_nesting() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let limits = limits();
    // /Kids that lead back to the root.
    let mut raw = Raw::readable();
    raw.objects[1].1 =
        b"<< /Type /Pages /Kids [3 0 R 2 0 R 6 0 R] /Count 3 /MediaBox [0 0 595 842] >>".to_vec();
    let raw = raw.add(
        6,
        b"<< /Type /Pages /Parent 2 0 R /Kids [6 0 R 2 0 R] /Count 1 >>".to_vec(),
    );
    match read_bytes(&raw.finish(), Format::Pdf, &limits) {
        Ok(doc) => assert_eq!(doc.blocks[0].text, "Readable text."),
        Err(err) => assert!(
            matches!(err, DocError::Corrupt { .. } | DocError::Empty),
            "{err}"
        ),
    }
    // A dictionary nested 200,000 deep in the page, and an array as deep in a stream's
    // dictionary and in an object stream.
    let deep_dict = "<< /A ".repeat(200_000) + &">> ".repeat(200_000);
    let deep_array = "[".repeat(200_000) + &"]".repeat(200_000);
    let mut raw = Raw::readable();
    raw.objects[2].1 = format!(
        "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Deep {deep_dict} /Resources << /Font << /F1 5 0 R >> >> >>"
    )
    .into_bytes();
    let raw = raw.add(
        6,
        stream(
            &format!("/Deep {deep_array} /Filter /FlateDecode"),
            b"\n",
            &zlib(b"x"),
        ),
    );
    let (dict, data) = object_stream(&[(8, &deep_array)], 0);
    let bytes = raw
        .add(7, stream(&dict, b"\n", &data))
        .finish_with_xref_stream(&[(8, 7, 0)], "/Filter /FlateDecode", None);
    let (result, peak) = read_measured(&bytes, &limits);
    // lopdf refuses the page nested too deep, which leaves no text.
    match result {
        Ok(doc) => assert!(!doc.blocks.is_empty()),
        Err(err) => assert!(
            matches!(err, DocError::Corrupt { .. } | DocError::Empty),
            "{err}"
        ),
    }
    assert!(peak < 64 * MB, "peak {peak}");
}
