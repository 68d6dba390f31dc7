//! Checks that run around lopdf and pdf-extract, for the hostile files they do not
//! defend against themselves:
//!
//! - Decompression bombs: lopdf decodes streams (Flate, with a raw-deflate fallback after
//!   a bad zlib header; LZW; ASCII85; chains of them) with `read_to_end` and no cap, so a
//!   few kilobytes could decode to gigabytes. Nothing is left for lopdf to decode:
//!   - before lopdf parses, [`check_raw`] finds every stream in the raw file as lopdf's
//!     parser would (`stream` then CRLF, LF or CR, blanks allowed; the dictionary after
//!     `obj`) and measures it through its filter chain, streaming, against the per-stream
//!     cap. lopdf decodes cross-reference streams and object streams while it loads,
//!     before any hook, and any stream can be made to play those parts; an encrypted
//!     file's streams are decrypted first ([`check_encrypted`]);
//!   - while lopdf loads, its load filter hands each stream to [`plain_stream`], which
//!     decodes it with the same decoders, bounded by what is left of the document's
//!     budget ([`Budget`]: `Limits::max_pdf_stream_bytes` a stream,
//!     `Limits::max_pdf_decoded_bytes` and `Limits::max_pdf_expansion` a document), and
//!     puts the decoded content in place of the encoded bytes with /Filter removed;
//!     object streams are thus decoded before lopdf would. After loading,
//!     [`plain_streams`] does the same for what lopdf read after its filter ran (streams
//!     with an indirect /Length; every stream of a decrypted file). Images and attached
//!     files carry no text and are dropped undecoded.
//!
//!   A stream past its cap makes the file a [`crate::DocError::ZipBomb`]; peak memory is
//!   the budget plus a stream's worth (tests/pdf_bombs.rs measures it).
//! - Recursion: pdf-extract follows a page's /Parent chain and nested form XObjects
//!   recursively, with no depth limit and no cycle check; a cycle would overflow the stack
//!   and abort the process, which `catch_unwind` cannot stop. Pages whose structure has a
//!   cycle, or forms nested so that drawing them would take exponential time, are skipped.
//!   lopdf's parser caps nesting at 100 levels, and so does the raw scan here.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use pdf_extract::{Dictionary, Document as PdfDoc, EncryptionState, Object, ObjectId, Stream};

/// Most times one page may invoke forms, counting nested invocations; a real page draws
/// at most a few hundred.
const MAX_FORM_INVOCATIONS: u64 = 100_000;

/// Deepest /Parent chain or form nesting accepted; real files use a handful of levels.
const MAX_DEPTH: usize = 64;

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Why a page must not be handed to pdf-extract, or `None` when it is safe.
pub(crate) fn page_problem(doc: &PdfDoc, page: ObjectId) -> Option<&'static str> {
    let page_dict = doc.get_dictionary(page).ok()?;
    // The /Parent chain, which pdf-extract climbs for inherited Resources and MediaBox.
    let mut seen = HashSet::new();
    let mut current = page;
    loop {
        if !seen.insert(current) || seen.len() > MAX_DEPTH {
            return Some("its page tree has a cycle");
        }
        let Some(parent) = doc
            .get_dictionary(current)
            .ok()
            .and_then(|d| d.get(b"Parent").ok())
            .and_then(|p| p.as_reference().ok())
        else {
            break;
        };
        current = parent;
    }
    let resources = inherited_resources(doc, page, page_dict)?;
    let mut forms = Forms {
        doc,
        counts: HashMap::new(),
        on_path: HashSet::new(),
    };
    let mut total: u64 = 0;
    for id in xobject_refs(doc, resources) {
        match forms.invocations(id, resources, 0) {
            Some(n) => total = total.saturating_add(n),
            None => return Some("its drawings are nested in a cycle"),
        }
        if total > MAX_FORM_INVOCATIONS {
            return Some("its drawings are nested too deeply");
        }
    }
    None
}

fn inherited_resources<'a>(
    doc: &'a PdfDoc,
    page: ObjectId,
    page_dict: &'a Dictionary,
) -> Option<&'a Dictionary> {
    let mut dict = page_dict;
    let mut seen = HashSet::from([page]);
    for _ in 0..MAX_DEPTH {
        if let Ok(r) = dict.get(b"Resources") {
            return deref_dict(doc, r);
        }
        let parent = dict.get(b"Parent").ok()?.as_reference().ok()?;
        if !seen.insert(parent) {
            return None;
        }
        dict = doc.get_dictionary(parent).ok()?;
    }
    None
}

fn deref_dict<'a>(doc: &'a PdfDoc, obj: &'a Object) -> Option<&'a Dictionary> {
    match obj {
        Object::Dictionary(d) => Some(d),
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        _ => None,
    }
}

/// The objects named in a resource dictionary's /XObject entry.
fn xobject_refs(doc: &PdfDoc, resources: &Dictionary) -> Vec<ObjectId> {
    let Some(xobjects) = resources
        .get(b"XObject")
        .ok()
        .and_then(|x| deref_dict(doc, x))
    else {
        return Vec::new();
    };
    xobjects
        .iter()
        .filter_map(|(_, v)| v.as_reference().ok())
        .collect()
}

struct Forms<'a> {
    doc: &'a PdfDoc,
    /// Invocations a form makes, itself included, once known.
    counts: HashMap<ObjectId, u64>,
    on_path: HashSet<ObjectId>,
}

impl<'a> Forms<'a> {
    /// How many form invocations drawing `id` once causes, or `None` on a cycle.
    /// Recursion depth is capped at MAX_DEPTH, so this cannot overflow the stack itself.
    fn invocations(
        &mut self,
        id: ObjectId,
        parent_resources: &'a Dictionary,
        depth: usize,
    ) -> Option<u64> {
        if let Some(&n) = self.counts.get(&id) {
            return Some(n);
        }
        if depth > MAX_DEPTH || !self.on_path.insert(id) {
            return None;
        }
        let mut total: u64 = 1;
        if let Ok(Object::Stream(stream)) = self.doc.get_object(id) {
            let is_form = stream
                .dict
                .get(b"Subtype")
                .ok()
                .and_then(|s| s.as_name().ok())
                == Some(b"Form");
            if is_form {
                // pdf-extract falls back to the caller's resources when a form has none.
                let resources = stream
                    .dict
                    .get(b"Resources")
                    .ok()
                    .and_then(|r| deref_dict(self.doc, r))
                    .unwrap_or(parent_resources);
                let names = resources
                    .get(b"XObject")
                    .ok()
                    .and_then(|x| deref_dict(self.doc, x));
                let content = stream
                    .decompressed_content()
                    .unwrap_or_else(|_| stream.content.clone());
                for name in invoked_names(&content) {
                    let Some(child) = names
                        .and_then(|n| n.get(&name).ok())
                        .and_then(|r| r.as_reference().ok())
                    else {
                        continue;
                    };
                    let n = self.invocations(child, resources, depth + 1)?;
                    total = total.saturating_add(n);
                    if total > MAX_FORM_INVOCATIONS {
                        break;
                    }
                }
            }
        }
        self.on_path.remove(&id);
        self.counts.insert(id, total);
        Some(total)
    }
}

/// The names before each `Do` operator in a content stream ("/Fm1 Do" gives "Fm1"),
/// one per occurrence. A plain scan: a false match inside a string only makes the check
/// stricter.
fn invoked_names(content: &[u8]) -> Vec<Vec<u8>> {
    let mut names = Vec::new();
    let is_space = |b: u8| b.is_ascii_whitespace();
    let mut i = 0;
    while let Some(found) = find(&content[i..], b"Do") {
        let at = i + found;
        i = at + 2;
        let after_ok = content
            .get(at + 2)
            .is_none_or(|&b| is_space(b) || b == b'/' || b == b'[');
        if !after_ok || at == 0 || !is_space(content[at - 1]) {
            continue;
        }
        let mut end = at;
        while end > 0 && is_space(content[end - 1]) {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && !is_space(content[start - 1]) && content[start - 1] != b'/' {
            start -= 1;
        }
        if start > 0 && content[start - 1] == b'/' {
            names.push(content[start..end].to_vec());
        }
    }
    names
}

// ---------------------------------------------------------------------------------------
// Decoding streams with a budget
// ---------------------------------------------------------------------------------------

/// A document's allowance of decoded stream bytes: `per_stream` for any one stream,
/// `total` for all of them together.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    pub(crate) per_stream: u64,
    pub(crate) total: u64,
    pub(crate) used: u64,
    /// The first limit a stream went past, with the stream's object number.
    pub(crate) over: Option<(Exceeded, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exceeded {
    Stream,
    Total,
}

/// The least the whole document may decode to, whatever its size.
const TOTAL_FLOOR: u64 = 64 << 20;

impl Budget {
    pub(crate) fn new(file_len: usize, limits: &crate::Limits) -> Self {
        let by_size = (file_len as u64)
            .saturating_mul(limits.max_pdf_expansion)
            .max(TOTAL_FLOOR);
        Budget {
            per_stream: limits.max_pdf_stream_bytes,
            total: by_size.min(limits.max_pdf_decoded_bytes),
            used: 0,
            over: None,
        }
    }

    /// What the next stream may decode to.
    fn allowance(&self) -> u64 {
        self.per_stream.min(self.total.saturating_sub(self.used))
    }

    fn exceeded(&self) -> Exceeded {
        if self.per_stream <= self.total.saturating_sub(self.used) {
            Exceeded::Stream
        } else {
            Exceeded::Total
        }
    }
}

/// The decoding went past its allowance; nothing more was decoded.
#[derive(Debug)]
pub(crate) struct TooBig;

/// An output that refuses to grow past `max` bytes and, when `keep` is false, only
/// counts. Its buffer never holds more than `max` bytes of capacity.
struct Capped {
    buf: Vec<u8>,
    keep: bool,
    len: u64,
    max: u64,
    over: bool,
}

impl Capped {
    fn new(max: u64, keep: bool) -> Self {
        Capped {
            buf: Vec::new(),
            keep,
            len: 0,
            max,
            over: false,
        }
    }
}

impl std::io::Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = data.len() as u64;
        if self.len + n > self.max {
            self.over = true;
            return Err(std::io::Error::other("decoded stream over the limit"));
        }
        self.len += n;
        if self.keep {
            let need = self.buf.len() + data.len();
            if need > self.buf.capacity() {
                // Grow by doubling, but never past the cap.
                let cap = (self.buf.capacity() * 2)
                    .max(need)
                    .max(4096)
                    .min(usize::try_from(self.max).unwrap_or(usize::MAX))
                    .max(need);
                self.buf.reserve_exact(cap - self.buf.len());
            }
            self.buf.extend_from_slice(data);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What decoding a stream's filters gave.
pub(crate) enum Decoded {
    /// The content with every filter undone (`None` when only counted), and its size.
    Plain(Option<Vec<u8>>, u64),
    /// lopdf would fail on these filters (an unknown or image filter, bad data), and its
    /// callers then use the stream's bytes as they are.
    Failed,
    /// There is no /Filter (or one lopdf ignores): the bytes are the content.
    Unfiltered,
}

/// The stream's filters in decoding order, as lopdf reads them: `None` when there are
/// none or /Filter is not a name or an array of names (lopdf then takes the bytes as is).
fn filters(dict: &Dictionary) -> Option<Vec<&[u8]>> {
    match dict.get(b"Filter").ok()? {
        Object::Name(n) => Some(vec![n.as_slice()]),
        Object::Array(a) => a.iter().map(|o| o.as_name().ok()).collect(),
        _ => None,
    }
}

/// Decoding parameters for filter `index`: lopdf applies a /DecodeParms dictionary to
/// every filter; an array gives one per filter.
fn params(dict: &Dictionary, index: usize) -> Option<&Dictionary> {
    match dict.get(b"DecodeParms").ok()? {
        Object::Dictionary(d) => Some(d),
        Object::Array(a) => a.get(index)?.as_dict().ok(),
        _ => None,
    }
}

/// Undoes `dict`'s filters on `data` with the decoders lopdf uses (and ASCIIHex, which
/// lopdf lacks), holding no more than `max` bytes of output at any stage. When `keep` is
/// false the last stage is only counted.
pub(crate) fn decode(
    dict: &Dictionary,
    data: &[u8],
    max: u64,
    keep: bool,
) -> Result<Decoded, TooBig> {
    let Some(names) = filters(dict) else {
        return Ok(Decoded::Unfiltered);
    };
    if names.is_empty() {
        return Ok(Decoded::Unfiltered);
    }
    let mut current: Option<Vec<u8>> = None;
    let mut len = data.len() as u64;
    for (i, name) in names.iter().enumerate() {
        let input = current.as_deref().unwrap_or(data);
        let last = i + 1 == names.len();
        let mut out = Capped::new(max, keep || !last);
        let ok = decode_one(name, input, params(dict, i), max, &mut out)?;
        if !ok {
            return Ok(Decoded::Failed);
        }
        len = out.len;
        current = Some(out.buf);
    }
    Ok(Decoded::Plain(current.filter(|_| keep), len))
}

/// One filter. `Ok(false)`: lopdf would fail here.
fn decode_one(
    name: &[u8],
    input: &[u8],
    params: Option<&Dictionary>,
    max: u64,
    out: &mut Capped,
) -> Result<bool, TooBig> {
    use std::io::copy;
    match name {
        b"FlateDecode" => {
            if !input.is_empty() {
                // As lopdf: zlib, and raw deflate after the 2-byte header when zlib gave
                // nothing (a bad header or checksum); whatever came out before an error is kept.
                let zlib = copy(&mut flate2::read::ZlibDecoder::new(input), out);
                if out.over {
                    return Err(TooBig);
                }
                if zlib.is_err() && out.len == 0 && input.len() > 2 {
                    let _ = copy(&mut flate2::read::DeflateDecoder::new(&input[2..]), out);
                    if out.over {
                        return Err(TooBig);
                    }
                }
            }
            predictor(params, out, max)
        }
        b"LZWDecode" => {
            use weezl::{decode::Decoder, BitOrder};
            let early_change = params
                .and_then(|p| p.get(b"EarlyChange").ok())
                .and_then(|p| p.as_i64().ok())
                .is_none_or(|v| v != 0);
            let mut decoder = if early_change {
                Decoder::with_tiff_size_switch(BitOrder::Msb, 8)
            } else {
                Decoder::new(BitOrder::Msb, 8)
            };
            let _ = decoder.into_stream(&mut *out).decode_all(input);
            if out.over {
                return Err(TooBig);
            }
            predictor(params, out, max)
        }
        b"ASCII85Decode" => Ok(ascii85(input, out).is_some()),
        b"ASCIIHexDecode" => {
            ascii_hex(input, out);
            if out.over {
                return Err(TooBig);
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// lopdf's PNG predictors (10-15) after Flate and LZW. They shrink the data; lopdf also
/// allocates two rows of `Columns` pixels first, which is checked against the cap.
fn predictor(params: Option<&Dictionary>, out: &mut Capped, max: u64) -> Result<bool, TooBig> {
    let Some(params) = params else {
        return Ok(true);
    };
    let get =
        |key: &[u8], default: i64| params.get(key).and_then(Object::as_i64).unwrap_or(default);
    if !(10..=15).contains(&get(b"Predictor", 1)) {
        return Ok(true);
    }
    // Computed as lopdf does, wrapping included.
    let columns = get(b"Columns", 1).max(1) as usize;
    let colors = get(b"Colors", 1).max(1) as usize;
    let bits = get(b"BitsPerComponent", 8).max(8) as usize;
    let bytes_per_pixel = colors.wrapping_mul(bits) / 8;
    let row = bytes_per_pixel.wrapping_mul(columns);
    if row as u64 > max {
        return Err(TooBig);
    }
    if !out.keep {
        return Ok(true); // the predictor only shrinks what was counted
    }
    let data = std::mem::take(&mut out.buf);
    if data.is_empty() {
        return Ok(true);
    }
    match lopdf_png::decode_frame(&data, bytes_per_pixel, columns) {
        Ok(decoded) => {
            out.len = decoded.len() as u64;
            out.buf = decoded;
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

use pdf_extract::filters::png as lopdf_png;

/// lopdf's ASCII85 decoder (errors where it errors), bounded: `None` on an error.
fn ascii85(input: &[u8], out: &mut Capped) -> Option<()> {
    use std::io::Write;
    let body = input.strip_suffix(b"~>").unwrap_or(input);
    let mut buffer: u32 = 0;
    let mut count = 0;
    for &ch in body {
        if ch == b'z' {
            if count != 0 {
                return None;
            }
            out.write_all(&[0; 4]).ok()?;
            continue;
        }
        if ch.is_ascii_whitespace() {
            continue;
        }
        if !(b'!'..=b'u').contains(&ch) {
            break;
        }
        buffer = buffer.checked_mul(85)?.checked_add(u32::from(ch - b'!'))?;
        count += 1;
        if count == 5 {
            out.write_all(&buffer.to_be_bytes()).ok()?;
            buffer = 0;
            count = 0;
        }
    }
    if count > 0 {
        for _ in count..5 {
            buffer = buffer.checked_mul(85)?.checked_add(84)?;
        }
        out.write_all(&buffer.to_be_bytes()[..count - 1]).ok()?;
    }
    Some(())
}

/// ASCIIHex: pairs of hex digits, whitespace ignored, up to `>`; an odd last digit is
/// followed by 0. (lopdf lacks it; its output is half its input.)
fn ascii_hex(input: &[u8], out: &mut Capped) {
    use std::io::Write;
    let mut digits = input
        .iter()
        .take_while(|&&c| c != b'>')
        .filter_map(|&c| (c as char).to_digit(16).map(|d| d as u8));
    let mut chunk = Vec::with_capacity(4096);
    while let Some(hi) = digits.next() {
        let lo = digits.next().unwrap_or(0);
        chunk.push(hi << 4 | lo);
        if chunk.len() == 4096 {
            if out.write_all(&chunk).is_err() {
                return;
            }
            chunk.clear();
        }
    }
    let _ = out.write_all(&chunk);
}

// ---------------------------------------------------------------------------------------
// While lopdf loads: every stream is decoded here, within the budget, before lopdf would
// decode it itself.
// ---------------------------------------------------------------------------------------

thread_local! {
    static LOADING: std::cell::RefCell<Option<Budget>> = const { std::cell::RefCell::new(None) };
}

/// Runs `load` (a lopdf load whose filter calls [`plain_stream_while_loading`]) with
/// `budget`, and gives the budget back as spent.
pub(crate) fn with_budget<T>(budget: Budget, load: impl FnOnce() -> T) -> (T, Budget) {
    LOADING.with(|b| *b.borrow_mut() = Some(budget));
    // Taken back even if `load` panics, so the next document starts afresh.
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            LOADING.with(|b| b.borrow_mut().take());
        }
    }
    let reset = Reset;
    let result = load();
    let budget = LOADING.with(|b| b.borrow_mut().take()).expect("budget set");
    drop(reset);
    (result, budget)
}

/// For lopdf's load filter: replaces the stream's encoded bytes by its decoded content.
/// `false` when the stream must be left out: the budget is spent, or no budget was set
/// on this thread (lopdf called the filter elsewhere), which fails closed.
pub(crate) fn plain_stream_while_loading(id: ObjectId, stream: &mut Stream) -> bool {
    LOADING.with(|b| match b.borrow_mut().as_mut() {
        Some(budget) => plain_stream(id, stream, budget),
        None => {
            stream.set_plain_content(Vec::new());
            false
        }
    })
}

/// Replaces `stream`'s encoded bytes by its decoded content and takes out its /Filter, so
/// that lopdf and pdf-extract never decode anything themselves. Images and attached
/// files carry no text: their data is dropped without decoding. `false` (and the stream
/// emptied, the limit noted in `budget`) when the stream would go past the budget.
pub(crate) fn plain_stream(id: ObjectId, stream: &mut Stream, budget: &mut Budget) -> bool {
    let is = |key: &[u8], value: &[u8]| {
        stream.dict.get(key).ok().and_then(|v| v.as_name().ok()) == Some(value)
    };
    if is(b"Subtype", b"Image") || is(b"Type", b"EmbeddedFile") {
        stream.set_plain_content(Vec::new());
        // lopdf re-reads empty streams from the file when it knows where they start.
        stream.start_position = None;
        return true;
    }
    match decode(&stream.dict, &stream.content, budget.allowance(), true) {
        Ok(Decoded::Unfiltered) => {}
        Ok(Decoded::Failed) => {
            // lopdf would fail and its callers take the bytes as they are.
            stream.dict.remove(b"Filter");
            stream.dict.remove(b"DecodeParms");
        }
        Ok(Decoded::Plain(content, len)) => {
            budget.used += len;
            stream.set_plain_content(content.unwrap_or_default());
        }
        Err(TooBig) => {
            if budget.over.is_none() {
                budget.over = Some((budget.exceeded(), id.0));
            }
            stream.set_plain_content(Vec::new());
            stream.start_position = None;
            return false;
        }
    }
    true
}

/// After loading: decodes whatever is still encoded (streams lopdf read after the load
/// filter ran, and every stream of a decrypted file, which lopdf loads without the
/// filter).
pub(crate) fn plain_streams(doc: &mut PdfDoc, budget: &mut Budget) {
    for (id, object) in doc.objects.iter_mut() {
        if let Object::Stream(stream) = object {
            if stream.dict.has(b"Filter") || stream.dict.get(b"Subtype").is_ok() {
                plain_stream(*id, stream, budget);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Before lopdf parses: streams it decodes while loading
// ---------------------------------------------------------------------------------------

/// Why the raw file is refused before lopdf parses it.
#[derive(Debug)]
pub(crate) struct RawBomb {
    /// Where the stream's data starts in the file.
    pub(crate) at: usize,
}

/// lopdf decodes some streams while it loads, before its load filter sees them: the
/// cross-reference streams, and an object stream each time a stream's /Length refers to
/// an object inside it (and every object stream of an encrypted file). Any stream can be
/// made to play those parts, so every stream in the file is measured here, through its
/// filter chain, against the per-stream cap. lopdf holds one such decoded stream at a
/// time (or, for an encrypted file, its object streams; see [`check_encrypted`]), so the
/// per-stream cap bounds what it allocates.
///
/// Streams are found the way lopdf's parser finds them: a dictionary after `obj`, then
/// `stream`, blanks and one end of line (CRLF, LF or CR). Their data is measured from
/// there to the end of the file unless a direct /Length fits, which only errs large: a
/// decoder fed a prefix of its input gives a prefix of its output. A `stream` keyword
/// whose dictionary could not be read is measured as zlib, raw deflate and LZW.
pub(crate) fn check_raw(bytes: &[u8], budget: &Budget) -> Result<(), RawBomb> {
    let cap = budget.per_stream;
    let mut known = HashSet::new();
    let mut encryption: Option<(Dictionary, Vec<Candidate>)> = None;
    let mut candidates = Vec::new();
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], b"obj") {
        let keyword = at + found;
        at = keyword + 3;
        if keyword >= 3 && &bytes[keyword - 3..keyword] == b"end" {
            continue;
        }
        let mut p = Parser { b: bytes, i: at };
        p.space();
        let Some(Object::Dictionary(dict)) = p.object(MAX_NESTING) else {
            continue;
        };
        let Some(start) = p.stream_data_start() else {
            if dict.has(b"Encrypt") {
                encryption.get_or_insert_with(|| (dict, Vec::new()));
            }
            continue;
        };
        known.insert(start);
        let end = match dict.get(b"Length").and_then(Object::as_i64) {
            Ok(n) if n >= 0 && start.saturating_add(n as usize) <= bytes.len() => {
                start + n as usize
            }
            _ => bytes.len(),
        };
        if dict.has(b"Encrypt") {
            encryption.get_or_insert_with(|| (dict.clone(), Vec::new()));
        }
        candidates.push(Candidate {
            id: object_id_before(bytes, keyword),
            dict,
            start,
            end,
        });
    }
    // Trailers name the encryption dictionary too.
    let mut t = 0;
    while let Some(found) = find(&bytes[t..], b"trailer") {
        t += found + 7;
        let mut p = Parser { b: bytes, i: t };
        p.space();
        if let Some(Object::Dictionary(dict)) = p.object(MAX_NESTING) {
            if dict.has(b"Encrypt") && encryption.is_none() {
                encryption = Some((dict, Vec::new()));
            }
        }
    }
    for c in &candidates {
        let data = &bytes[c.start..c.end];
        if measure(&c.dict, data, cap).is_err() {
            return Err(RawBomb { at: c.start });
        }
    }
    // `stream` keywords whose dictionary was not read above.
    let mut s = 0;
    while let Some(found) = find(&bytes[s..], b"stream") {
        let keyword = s + found;
        s = keyword + 6;
        if keyword >= 3 && &bytes[keyword - 3..keyword] == b"end" {
            continue;
        }
        let mut p = Parser { b: bytes, i: s };
        let Some(start) = p.after_stream_keyword() else {
            continue;
        };
        if known.contains(&start) {
            continue;
        }
        let data = &bytes[start..];
        let lzw_end = find(data, b"endstream").unwrap_or(data.len());
        for (filter, data) in [
            (&b"FlateDecode"[..], data),
            (b"LZWDecode", &data[..lzw_end]),
        ] {
            let dict = Dictionary::from_iter([("Filter", Object::Name(filter.to_vec()))]);
            if measure(&dict, data, cap).is_err() {
                return Err(RawBomb { at: start });
            }
        }
    }
    if let Some((trailer, _)) = encryption {
        check_encrypted(bytes, &trailer, &candidates, budget)?;
    }
    Ok(())
}

struct Candidate {
    id: Option<ObjectId>,
    dict: Dictionary,
    start: usize,
    end: usize,
}

/// Measures a stream both as lopdf would decode it and, for a Flate first filter, as raw
/// deflate after two bytes (lopdf's fallback, which a shorter /Length could trigger).
fn measure(dict: &Dictionary, data: &[u8], cap: u64) -> Result<(), TooBig> {
    decode(dict, data, cap, false)?;
    if filters(dict).is_some_and(|f| f.first() == Some(&&b"FlateDecode"[..])) && data.len() > 2 {
        let mut out = Capped::new(cap, false);
        let _ = std::io::copy(&mut flate2::read::DeflateDecoder::new(&data[2..]), &mut out);
        if out.over {
            return Err(TooBig);
        }
    }
    Ok(())
}

/// An encrypted file's object streams are decrypted and decoded by lopdf while loading,
/// all of them kept. Their encrypted bytes say nothing, so each stream is decrypted here
/// (lopdf tries the empty password; when that fails it decodes nothing) and measured, and
/// all together must fit the total budget.
fn check_encrypted(
    bytes: &[u8],
    trailer: &Dictionary,
    candidates: &[Candidate],
    budget: &Budget,
) -> Result<(), RawBomb> {
    let Ok(encrypt_ref) = trailer.get(b"Encrypt").and_then(Object::as_reference) else {
        return Ok(());
    };
    // The encryption dictionary: the last object with that number.
    let mut encrypt = None;
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], b"obj") {
        let keyword = at + found;
        at = keyword + 3;
        if object_id_before(bytes, keyword) != Some(encrypt_ref) {
            continue;
        }
        let mut p = Parser { b: bytes, i: at };
        p.space();
        if let Some(Object::Dictionary(d)) = p.object(MAX_NESTING) {
            encrypt = Some(d);
        }
    }
    let Some(encrypt) = encrypt else {
        return Ok(());
    };
    let mut doc = PdfDoc::new();
    doc.trailer = trailer.clone();
    doc.objects.insert(encrypt_ref, Object::Dictionary(encrypt));
    let state = match catch_unwind(AssertUnwindSafe(|| EncryptionState::decode(&doc, ""))) {
        Ok(Ok(state)) => state,
        // lopdf cannot open it either, and then decodes nothing while loading.
        _ => return Ok(()),
    };
    let mut total: u64 = 0;
    for c in candidates {
        let limit = budget.per_stream.min(budget.total.saturating_sub(total));
        let over = || RawBomb { at: c.start };
        let Some(id) = c.id else {
            // Without its number it cannot be decrypted; assume the worst Flate can do.
            let bound = (c.end - c.start) as u64 * 1032;
            if filters(&c.dict).is_some() && bound > limit {
                return Err(over());
            }
            continue;
        };
        let mut obj = Object::Stream(Stream::new(c.dict.clone(), bytes[c.start..c.end].to_vec()));
        let decrypted = catch_unwind(AssertUnwindSafe(|| {
            pdf_extract::encryption::decrypt_object(&state, id, &mut obj)
        }));
        if !matches!(decrypted, Ok(Ok(()))) {
            continue;
        }
        let Object::Stream(stream) = &obj else {
            continue;
        };
        match decode(&stream.dict, &stream.content, limit, false) {
            Ok(Decoded::Plain(_, len)) => total += len,
            Ok(_) => {}
            Err(TooBig) => return Err(over()),
        }
    }
    Ok(())
}

/// `N G` before the `obj` keyword at `keyword`, if plainly there.
fn object_id_before(bytes: &[u8], keyword: usize) -> Option<ObjectId> {
    let mut i = keyword;
    let number = |i: &mut usize| -> Option<u64> {
        while *i > 0 && bytes[*i - 1].is_ascii_whitespace() {
            *i -= 1;
        }
        let end = *i;
        while *i > 0 && bytes[*i - 1].is_ascii_digit() && end - *i < 10 {
            *i -= 1;
        }
        std::str::from_utf8(&bytes[*i..end]).ok()?.parse().ok()
    };
    let generation = number(&mut i)?;
    let num = number(&mut i)?;
    Some((u32::try_from(num).ok()?, u16::try_from(generation).ok()?))
}

/// lopdf's nesting limit for direct objects.
const MAX_NESTING: usize = 100;

/// A reader for PDF objects in the raw file: enough to take a stream's dictionary.
struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

fn is_white(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\0' | b'\x0C')
}

fn is_delimiter(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Whitespace and comments.
    fn space(&mut self) {
        while let Some(c) = self.peek() {
            if is_white(c) {
                self.i += 1;
            } else if c == b'%' {
                while self.peek().is_some_and(|c| c != b'\r' && c != b'\n') {
                    self.i += 1;
                }
            } else {
                break;
            }
        }
    }

    /// After a stream dictionary: whitespace, `stream`, then as [`Self::after_stream_keyword`].
    fn stream_data_start(&mut self) -> Option<usize> {
        self.space();
        if !self.b[self.i.min(self.b.len())..].starts_with(b"stream") {
            return None;
        }
        self.i += 6;
        self.after_stream_keyword()
    }

    /// Blanks and one end of line (CRLF, LF or CR) after `stream`: where the data starts.
    fn after_stream_keyword(&mut self) -> Option<usize> {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        match self.peek()? {
            b'\r' if self.b.get(self.i + 1) == Some(&b'\n') => Some(self.i + 2),
            b'\r' | b'\n' => Some(self.i + 1),
            _ => None,
        }
    }

    fn regular(&mut self) -> &[u8] {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| !is_white(c) && !is_delimiter(c))
        {
            self.i += 1;
        }
        &self.b[start..self.i]
    }

    fn name(&mut self) -> Option<Vec<u8>> {
        if self.peek()? != b'/' {
            return None;
        }
        self.i += 1;
        let raw = self.regular().to_vec();
        let mut name = Vec::with_capacity(raw.len());
        let mut k = 0;
        while k < raw.len() {
            if raw[k] == b'#' {
                if let Some(byte) = raw
                    .get(k + 1..k + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    name.push(byte);
                    k += 3;
                    continue;
                }
            }
            name.push(raw[k]);
            k += 1;
        }
        Some(name)
    }

    /// A direct object, nesting at most `depth` deep.
    fn object(&mut self, depth: usize) -> Option<Object> {
        if depth == 0 {
            return None;
        }
        let c = self.peek()?;
        let object = match c {
            b'/' => Object::Name(self.name()?),
            b'<' if self.b.get(self.i + 1) == Some(&b'<') => {
                self.i += 2;
                let mut dict = Dictionary::new();
                loop {
                    self.space();
                    if self.b[self.i.min(self.b.len())..].starts_with(b">>") {
                        self.i += 2;
                        break;
                    }
                    let key = self.name()?;
                    self.space();
                    let value = self.object(depth - 1)?;
                    dict.set(key, value);
                }
                Object::Dictionary(dict)
            }
            b'<' => {
                let end = self.i + find(&self.b[self.i..], b">")?;
                self.i = end + 1;
                Object::Null
            }
            b'(' => {
                let mut nesting = 0usize;
                loop {
                    match self.peek()? {
                        b'\\' => self.i += 1,
                        b'(' => nesting += 1,
                        b')' => {
                            nesting -= 1;
                            if nesting == 0 {
                                self.i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
                Object::Null
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.space();
                    if self.peek()? == b']' {
                        self.i += 1;
                        break;
                    }
                    items.push(self.object(depth - 1)?);
                }
                Object::Array(items)
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                let token = std::str::from_utf8(self.regular()).ok()?.to_owned();
                let number: i64 = match token.parse() {
                    Ok(n) => n,
                    Err(_) => {
                        return token.parse::<f32>().ok().map(Object::Real);
                    }
                };
                // `N G R`?
                let save = self.i;
                self.space();
                let generation = std::str::from_utf8(self.regular())
                    .ok()
                    .and_then(|g| g.parse::<u16>().ok());
                self.space();
                if let Some(generation) = generation {
                    if self.peek() == Some(b'R')
                        && self
                            .b
                            .get(self.i + 1)
                            .is_none_or(|&c| is_white(c) || is_delimiter(c))
                    {
                        self.i += 1;
                        return u32::try_from(number)
                            .ok()
                            .map(|n| Object::Reference((n, generation)));
                    }
                }
                self.i = save;
                Object::Integer(number)
            }
            _ => {
                let word = self.regular();
                match word {
                    b"true" => Object::Boolean(true),
                    b"false" => Object::Boolean(false),
                    b"null" => Object::Null,
                    _ => return None,
                }
            }
        };
        Some(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn flate_stream(data: &[u8]) -> Stream {
        let dict = Dictionary::from_iter([("Filter", Object::Name(b"FlateDecode".to_vec()))]);
        Stream::new(dict, zlib(data))
    }

    #[test]
    fn streams_are_decoded_within_the_budget() {
        let mut budget = Budget {
            per_stream: 1 << 20,
            total: (3 << 20) + 16,
            used: 0,
            over: None,
        };
        let mut small = flate_stream(b"BT (hello) Tj ET");
        assert!(plain_stream((1, 0), &mut small, &mut budget));
        assert_eq!(small.content, b"BT (hello) Tj ET");
        assert!(!small.dict.has(b"Filter"));
        // Over the per-stream cap: emptied, and the limit noted.
        let mut big = flate_stream(&vec![b' '; (1 << 20) + 1]);
        assert!(!plain_stream((2, 0), &mut big, &mut budget));
        assert!(big.content.is_empty());
        assert_eq!(budget.over, Some((Exceeded::Stream, 2)));
        // Within it one by one, past the total together.
        budget.over = None;
        for n in 3..6 {
            let mut s = flate_stream(&vec![b' '; 1 << 20]);
            assert!(plain_stream((n, 0), &mut s, &mut budget), "{n}");
        }
        let mut s = flate_stream(&[b' '; 10]);
        assert!(!plain_stream((6, 0), &mut s, &mut budget));
        assert_eq!(budget.over, Some((Exceeded::Total, 6)));
        // Images are not decoded at all.
        let mut image = flate_stream(&vec![b' '; 8 << 20]);
        image.dict.set("Subtype", Object::Name(b"Image".to_vec()));
        assert!(plain_stream((7, 0), &mut image, &mut budget));
        assert!(image.content.is_empty());
    }

    #[test]
    fn the_load_filter_fails_closed_without_a_budget() {
        let mut s = flate_stream(b"BT (hello) Tj ET");
        assert!(!plain_stream_while_loading((1, 0), &mut s));
        assert!(s.content.is_empty());
        let budget = Budget {
            per_stream: 1 << 20,
            total: 1 << 20,
            used: 0,
            over: None,
        };
        let mut s = flate_stream(b"BT (hello) Tj ET");
        let (ok, spent) = with_budget(budget, || plain_stream_while_loading((1, 0), &mut s));
        assert!(ok);
        assert_eq!(spent.used, 16);
    }

    #[test]
    fn stream_keywords_as_lopdf_reads_them() {
        for (text, start) in [
            (&b"<< >>\nstream\ndata"[..], Some(13)),
            (b"<< >> stream\r\ndata", Some(14)),
            (b"<< >>\rstream\rdata", Some(13)),
            (b"<< >> %c\nstream \t\ndata", Some(18)),
            (b"<< >>\nstreamdata", None),
            (b"<< >>\nstreams\n", None),
        ] {
            let mut p = Parser { b: text, i: 0 };
            assert!(matches!(p.object(MAX_NESTING), Some(Object::Dictionary(_))));
            assert_eq!(
                p.stream_data_start(),
                start,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        let mut p = Parser {
            b: b"<< /Filter [/FlateDecode /A#42] /Length 12 0 R /S (a\\)(b)) /N 3 >>",
            i: 0,
        };
        let Some(Object::Dictionary(d)) = p.object(MAX_NESTING) else {
            panic!("no dictionary");
        };
        assert_eq!(filters(&d).unwrap(), [&b"FlateDecode"[..], b"AB"]);
        assert_eq!(d.get(b"Length").unwrap().as_reference().unwrap(), (12, 0));
        assert_eq!(d.get(b"N").unwrap().as_i64().unwrap(), 3);
        let deep = "[".repeat(10_000);
        assert!(Parser {
            b: deep.as_bytes(),
            i: 0
        }
        .object(MAX_NESTING)
        .is_none());
    }

    #[test]
    fn do_operator_names() {
        let names = invoked_names(b"q 1 0 0 1 0 0 cm /Fm1 Do Q /Im2  Do\n(Do) Tj /X Don't");
        assert_eq!(names, [b"Fm1".to_vec(), b"Im2".to_vec()]);
    }
}
