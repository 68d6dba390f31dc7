//! PDF: text with page numbers, paragraphs from line spacing, headings from the outline
//! (bookmarks) or, without one, from font size.
//!
//! Why pdf-extract: it is pure Rust, small to build, and does the hard part of PDF text
//! (font encodings, ToUnicode CMaps, Type1/CFF built-in encodings, Type3 fonts) on top of
//! lopdf, and it hands every glyph with its position and size to an [`OutputDev`], which
//! is what paragraph and heading detection need. pdf_oxide was also measured (3.5 times
//! faster on the R reference manual) but is a 450,000-line crate that takes about nine
//! minutes to build here; pdfium and mupdf bindings need C libraries on the user's machine.
//!
//! Memory: lopdf holds the parsed file in memory. Link annotations, their actions and
//! named destinations are most of the objects in a large manual and carry no text, so
//! they are dropped while loading (on the 2,415-page R reference manual that takes peak
//! memory from about 190 MB to about 55 MB); pages are then extracted one at a time and
//! only their lines are kept.
//!
//! Panics: pdf-extract and lopdf still `unwrap` on some malformed input. Every call into
//! them runs under `catch_unwind`: a panic while loading makes the file
//! [`DocError::Corrupt`], a panic on one page loses only that page (with a warning). The
//! process's panic hook still runs, so such a panic is also printed to stderr (or logged
//! by the app's hook); the caller gets an error, never an abort. Stack overflow cannot be
//! caught, which is why nothing here recurses on the file's structure (the outline walk
//! is iterative with a visited set) and lopdf's parser caps nesting depth.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

use pdf_extract::{
    Dictionary, Document as PdfDoc, LoadOptions, MediaBox, Object, ObjectId, OutputDev,
    OutputError, Transform,
};

use crate::builder::DocBuilder;
use crate::{BlockKind, DocError, Document, Format, Limits};

const FORMAT: &str = "pdf";

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Document, DocError> {
    if !crate::sniff::is_pdf(bytes) {
        return Err(DocError::corrupt(FORMAT, "it does not start with %PDF-"));
    }
    let budget = crate::pdf_guard::Budget::new(bytes.len(), limits);
    if let Err(bomb) = crate::pdf_guard::check_raw(bytes, &budget) {
        return Err(DocError::zip_bomb(
            FORMAT,
            format!(
                "the stream at byte {} inflates to more than {} bytes ({}), the most Hearth decodes from one stream",
                bomb.at,
                budget.per_stream,
                mb(budget.per_stream)
            ),
        ));
    }
    let doc = load(bytes, budget)?;
    let page_ids: BTreeMap<u32, ObjectId> = catch_unwind(AssertUnwindSafe(|| doc.get_pages()))
        .map_err(|p| {
            DocError::corrupt(
                FORMAT,
                format!("its page tree is broken ({})", panic_text(&p)),
            )
        })?;
    if page_ids.is_empty() {
        return Err(DocError::corrupt(
            FORMAT,
            "it has no pages (the cross-reference table may be damaged)",
        ));
    }
    let total = u32::try_from(page_ids.len()).unwrap_or(u32::MAX);
    let mut out = DocBuilder::new(Format::Pdf, limits.max_text_bytes);
    out.set_pages(total);
    // A damaged page tree loses pages silently; the count the file declares tells.
    let declared = declared_page_count(&doc).filter(|&n| n > total);
    if let Some(n) = declared {
        out.warn(format!(
            "the pdf says it has {n} pages but only {total} could be found (damaged?)"
        ));
    }
    let info = info_title(&doc);
    let out_has_title = info.is_some();
    out.set_title(info);

    let wanted: Vec<(u32, ObjectId)> = page_ids
        .iter()
        .take(limits.max_pages as usize)
        .map(|(&n, &id)| (n, id))
        .collect();
    let extracted = extract_pages(&doc, &wanted, limits.max_text_bytes)?;
    let extracted_count = extracted.len();
    let mut pages: Vec<PageText> = Vec::with_capacity(extracted.len());
    let mut failed: Vec<u32> = Vec::new();
    let mut unsafe_pages: Vec<(u32, &'static str)> = Vec::new();
    for (page, outcome) in extracted {
        match outcome {
            Outcome::Read => {}
            Outcome::Failed => failed.push(page.number),
            Outcome::Unsafe(why) => unsafe_pages.push((page.number, why)),
        }
        pages.push(page);
    }
    if extracted_count < wanted.len() {
        out.warn(format!(
            "the pdf has more than {} bytes of text; only the first {extracted_count} pages were read",
            limits.max_text_bytes
        ));
    } else if total > limits.max_pages {
        out.warn(format!(
            "the pdf has {total} pages; only the first {} were read",
            limits.max_pages
        ));
    }
    if failed.len() + unsafe_pages.len() == pages.len() {
        let reason = unsafe_pages
            .first()
            .map_or("none of its pages could be read", |(_, why)| *why);
        return Err(DocError::corrupt(FORMAT, reason));
    }
    if !failed.is_empty() {
        out.warn(format!(
            "{} could not be read (damaged?)",
            page_list(&failed)
        ));
    }
    for (number, why) in unsafe_pages {
        out.warn(format!("page {number} was skipped: {why}"));
    }
    if pages.iter().all(PageText::is_empty) {
        if let Some(n) = declared {
            return Err(DocError::corrupt(
                FORMAT,
                format!(
                    "its page tree is damaged: {n} pages declared, {total} found, none with text"
                ),
            ));
        }
        if pages.iter().any(|p| p.has_images) {
            return Err(DocError::NoTextLayer { pages: total });
        }
        return Err(DocError::Empty);
    }
    let mut scanned: Vec<u32> = pages
        .iter()
        .filter(|p| p.is_empty() && p.has_images)
        .map(|p| p.number)
        .collect();
    let mut warn_pages = |numbers: &[u32], what: &str| {
        if !numbers.is_empty() {
            out.warn(format!(
                "{} {what}",
                have(&page_list(numbers), numbers.len())
            ));
        }
    };
    warn_pages(&scanned, "no text layer (scanned?)");
    let garbled_pages: Vec<u32> = pages
        .iter()
        .filter(|p| garbled(&p.text))
        .map(|p| p.number)
        .collect();
    warn_pages(
        &garbled_pages,
        "a garbled text layer (fonts without a character map?)",
    );
    if !garbled_pages.is_empty() {
        scanned.extend(garbled_pages);
        scanned.sort_unstable();
    }
    if !scanned.is_empty() {
        out.set_scanned_pages(scanned);
    }

    if !out_has_title {
        out.set_title(title_from_first_pages(&pages));
    }
    let running = running_lines(&pages);
    let outline = catch_unwind(AssertUnwindSafe(|| outline_titles(&doc))).unwrap_or_default();
    drop(doc);
    let mut headings = Headings::new(&pages, &outline);
    let spacing = LineSpacing::new(&pages);
    // Pages are expanded back into lines one at a time and dropped once pushed.
    for page in pages {
        let mut lines = page.lines();
        let is_running =
            |l: &Line| running.contains(&running_key(&l.text)) || is_page_number(&l.text);
        if lines.last().is_some_and(is_running) {
            lines.pop();
        }
        if lines.first().is_some_and(is_running) {
            lines.remove(0);
        }
        headings.mark(&mut lines);
        push_page(&mut out, page.number, &lines, &spacing);
    }
    out.finish()
}

enum Outcome {
    Read,
    /// pdf-extract returned an error or panicked on the page.
    Failed,
    /// The page was not handed to pdf-extract; see [`crate::pdf_guard`].
    Unsafe(&'static str),
}

/// Extracts pages on several threads (the document is shared read-only; every page is
/// independent), in page order. Stops early, at a page boundary, once the pages read
/// hold more than `max_text` bytes: lines are kept until every page is read, because
/// running headers and headings are judged across pages.
fn extract_pages(
    doc: &PdfDoc,
    pages: &[(u32, ObjectId)],
    max_text: usize,
) -> Result<Vec<(PageText, Outcome)>, DocError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(pages.len().div_ceil(16))
        .max(1);
    let text_bytes = AtomicUsize::new(0);
    let work = |worker: usize| -> Vec<(usize, PageText, Outcome)> {
        let mut done = Vec::new();
        for (index, &(number, id)) in pages.iter().enumerate().skip(worker).step_by(threads) {
            if text_bytes.load(Ordering::Relaxed) > max_text {
                break;
            }
            let (page, outcome) = extract_page(doc, number, id);
            text_bytes.fetch_add(page.text.len(), Ordering::Relaxed);
            done.push((index, page, outcome));
        }
        done
    };
    let mut all: Vec<(usize, PageText, Outcome)> = if threads == 1 {
        work(0)
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|w| {
                    let work = &work;
                    // Deeply nested content is parsed on these threads; give them the
                    // main thread's usual stack rather than the 2 MB default.
                    std::thread::Builder::new()
                        .stack_size(8 << 20)
                        .spawn_scoped(scope, move || work(w))
                })
                .collect();
            let mut all = Vec::new();
            for handle in handles {
                let handle = handle.map_err(|e| {
                    DocError::corrupt(FORMAT, format!("could not start a reader thread: {e}"))
                })?;
                let part = handle.join().map_err(|p| {
                    DocError::corrupt(FORMAT, format!("the pdf reader failed: {}", panic_text(&p)))
                })?;
                all.extend(part);
            }
            Ok::<_, DocError>(all)
        })?
    };
    all.sort_by_key(|(index, _, _)| *index);
    // Keep a contiguous run of pages from the first, up to the one that crossed the limit.
    let mut kept = Vec::with_capacity(all.len());
    let mut bytes = 0usize;
    for (expected, (index, page, outcome)) in all.into_iter().enumerate() {
        if index != expected || bytes > max_text {
            break;
        }
        bytes += page.text.len();
        kept.push((page, outcome));
    }
    Ok(kept)
}

fn extract_page(doc: &PdfDoc, number: u32, id: ObjectId) -> (PageText, Outcome) {
    if let Some(why) = crate::pdf_guard::page_problem(doc, id) {
        return (PageText::compact(number, Vec::new()), Outcome::Unsafe(why));
    }
    let mut dev = PageCollector::default();
    let result = catch_unwind(AssertUnwindSafe(|| {
        pdf_extract::output_doc_page(doc, &mut dev, number)
    }));
    let outcome = match result {
        Ok(Ok(())) => Outcome::Read,
        Ok(Err(e)) => {
            tracing::debug!(page = number, error = %e, "pdf page failed");
            Outcome::Failed
        }
        Err(p) => {
            tracing::debug!(page = number, panic = panic_text(&p), "pdf page panicked");
            Outcome::Failed
        }
    };
    if !matches!(outcome, Outcome::Read) {
        return (PageText::compact(number, Vec::new()), outcome);
    }
    let mut page = PageText::compact(number, dev.finish());
    if page.is_empty() {
        page.has_images = page_has_images(doc, id);
    }
    (page, outcome)
}

/// Loads the file with every stream decoded within `budget` (see [`crate::pdf_guard`]):
/// what lopdf and pdf-extract see afterwards has no filter left to decode.
fn load(bytes: &[u8], budget: crate::pdf_guard::Budget) -> Result<PdfDoc, DocError> {
    let options = LoadOptions {
        filter: Some(drop_links),
        ..LoadOptions::default()
    };
    let (loaded, mut budget) = crate::pdf_guard::with_budget(budget, || {
        catch_unwind(AssertUnwindSafe(|| {
            PdfDoc::load_mem_with_options(bytes, options)
        }))
    });
    let mut doc = match loaded {
        Ok(Ok(doc)) => doc,
        Ok(Err(e)) => return Err(load_error(e)),
        Err(p) => {
            return Err(DocError::corrupt(
                FORMAT,
                format!("the pdf reader failed: {}", panic_text(&p)),
            ))
        }
    };
    if budget.over.is_none() {
        crate::pdf_guard::plain_streams(&mut doc, &mut budget);
    }
    if let Some((limit, object)) = budget.over {
        return Err(over_budget(limit, object, &budget));
    }
    // lopdf decrypts files whose user password is empty (most "protected" PDFs only
    // restrict printing or copying); one that is still encrypted needs a real password.
    if doc.is_encrypted() {
        return Err(encrypted());
    }
    Ok(doc)
}

fn over_budget(
    limit: crate::pdf_guard::Exceeded,
    object: u32,
    budget: &crate::pdf_guard::Budget,
) -> DocError {
    let reason = match limit {
        crate::pdf_guard::Exceeded::Stream => format!(
            "object {object} decodes to more than {}; Hearth decodes at most {} from one stream",
            mb(budget.per_stream),
            mb(budget.per_stream)
        ),
        crate::pdf_guard::Exceeded::Total => format!(
            "the pdf expands past {} (at object {object}); Hearth decodes at most {} from one pdf (100 times its size, or at least 64 MB, up to a fixed cap)",
            mb(budget.total),
            mb(budget.total)
        ),
    };
    DocError::zip_bomb(FORMAT, reason)
}

/// A byte count for messages: "12 MB", or bytes under a megabyte.
fn mb(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

fn encrypted() -> DocError {
    DocError::Encrypted {
        format: FORMAT,
        what_to_do: "remove the password (e.g. qpdf --decrypt --password=PASSWORD in.pdf out.pdf) and try again",
    }
}

fn load_error(e: pdf_extract::Error) -> DocError {
    use pdf_extract::Error as E;
    match e {
        E::Decryption(_)
        | E::InvalidPassword
        | E::AlreadyEncrypted
        | E::UnsupportedSecurityHandler(_) => encrypted(),
        other => DocError::corrupt(FORMAT, other.to_string()),
    }
}

/// Load filter: link annotations, actions and named-destination entries carry no text.
/// Returning `None` leaves the object out of the document.
///
/// lopdf 0.42 keeps the object as edited in place for objects at the top level of the
/// file, and keeps the returned one for objects inside object streams, so both must be
/// right. Streams are never inside object streams, so for them the (discarded) returned
/// value can be a cheap Null instead of a copy of the stream's data.
fn drop_links(id: ObjectId, obj: &mut Object) -> Option<(ObjectId, Object)> {
    match obj {
        Object::Dictionary(d) => {
            if is_name(d, b"Type", b"Annot") || is_action(d) || is_dest_entry(d) {
                return None;
            }
            d.remove(b"Annots");
            Some((id, obj.clone()))
        }
        Object::Stream(stream) => {
            // Decoded here, before lopdf would decode an object stream itself.
            crate::pdf_guard::plain_stream_while_loading(id, stream);
            Some((id, Object::Null))
        }
        other => Some((id, other.clone())),
    }
}

fn is_name(d: &Dictionary, key: &[u8], value: &[u8]) -> bool {
    d.get(key).ok().and_then(|v| v.as_name().ok()) == Some(value)
}

fn is_action(d: &Dictionary) -> bool {
    let s = d.get(b"S").ok().and_then(|v| v.as_name().ok());
    matches!(
        s,
        Some(b"GoTo" | b"URI" | b"GoToR" | b"Launch" | b"Named" | b"JavaScript")
    ) && d.len() <= 3
}

/// `<< /D [page /XYZ x y z] >>`, the value of a named destination.
fn is_dest_entry(d: &Dictionary) -> bool {
    d.len() == 1 && d.get(b"D").is_ok_and(|v| v.as_array().is_ok())
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// The /Count of the root of the page tree.
fn declared_page_count(doc: &PdfDoc) -> Option<u32> {
    let root = doc
        .catalog()
        .ok()?
        .get(b"Pages")
        .ok()?
        .as_reference()
        .ok()?;
    let count = doc
        .get_dictionary(root)
        .ok()?
        .get(b"Count")
        .ok()?
        .as_i64()
        .ok()?;
    u32::try_from(count).ok()
}

fn info_title(doc: &PdfDoc) -> Option<String> {
    let info = doc.trailer.get(b"Info").ok()?;
    let info = match info {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        Object::Dictionary(d) => d,
        _ => return None,
    };
    let title = string_value(doc, info.get(b"Title").ok()?)?;
    let title = title.trim();
    // Producers often store the source file's name ("sag-39-3-4:sag-0", "report.doc",
    // "Microsoft Word - draft.docx"); that is no title.
    let looks_like_file = !title.contains(' ')
        || title.starts_with("Microsoft Word - ")
        || [".doc", ".docx", ".dvi", ".pdf", ".tex", ".indd", ".odt"]
            .iter()
            .any(|e| title.to_ascii_lowercase().ends_with(e));
    (!title.is_empty() && !looks_like_file).then(|| title.to_string())
}

/// Without a title in the metadata: the largest text on the first pages (a title page
/// or a paper's heading), when it is clearly larger than body text.
fn title_from_first_pages(pages: &[PageText]) -> Option<String> {
    let body = body_size(pages);
    let lines: Vec<(usize, &str, f64)> = pages
        .iter()
        .take(3)
        .enumerate()
        .flat_map(|(p, page)| page.iter().map(move |(t, s)| (p, t, s)))
        .filter(|(_, t, _)| t.chars().any(char::is_alphabetic))
        .collect();
    let largest = lines.iter().map(|l| l.2).fold(0.0, f64::max);
    if largest < body * 1.3 {
        return None;
    }
    // The first run of lines in that size, on one page: a title set over two lines.
    let start = lines.iter().position(|l| (l.2 - largest).abs() < 0.5)?;
    let title: Vec<&str> = lines[start..]
        .iter()
        .take_while(|l| l.0 == lines[start].0 && (l.2 - largest).abs() < 0.5)
        .take(3)
        .map(|l| l.1)
        .collect();
    Some(title.join(" "))
}

/// A string object's text, following one indirect reference (TeX writes outline titles
/// as separate objects).
fn string_value(doc: &PdfDoc, obj: &Object) -> Option<String> {
    let obj = match obj {
        Object::Reference(id) => doc.get_object(*id).ok()?,
        other => other,
    };
    match obj {
        Object::String(bytes, _) => Some(pdf_text_string(bytes)),
        _ => None,
    }
}

/// A PDF "text string": UTF-16BE with a BOM, UTF-8 with a BOM (PDF 2.0), or
/// PDFDocEncoding, which matches Latin-1 for everything but a few symbols.
fn pdf_text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn page_has_images(doc: &PdfDoc, page: ObjectId) -> bool {
    catch_unwind(AssertUnwindSafe(|| {
        doc.get_page_images(page)
            .map(|v| !v.is_empty())
            .unwrap_or(false)
    }))
    .unwrap_or(false)
}

/// "page 3", "pages 3, 5, 9", "pages 3, 5, 9 and 12 more".
fn page_list(pages: &[u32]) -> String {
    let shown: Vec<String> = pages.iter().take(10).map(u32::to_string).collect();
    let more = pages.len().saturating_sub(10);
    let word = if pages.len() == 1 { "page" } else { "pages" };
    if more > 0 {
        format!("{word} {} and {more} more", shown.join(", "))
    } else {
        format!("{word} {}", shown.join(", "))
    }
}

fn have(subject: &str, n: usize) -> String {
    format!("{subject} {}", if n == 1 { "has" } else { "have" })
}

/// One line of text as drawn: height of its first glyph (y grows down the page) and
/// the average size of its glyphs in points.
#[derive(Debug, Clone)]
struct Line {
    text: String,
    /// Where the first glyph starts and the last one ends, horizontally.
    x: f64,
    x_end: f64,
    y: f64,
    size: f64,
    heading: Option<u8>,
}

/// Whether a page's text is not text: mostly private-use code points, replacement
/// characters and control characters, as a font without a usable character map (or a
/// broken OCR layer) extracts; or, from a font whose glyph numbers come out as ASCII
/// (ocrmypdf's `truetype_font_nomapping.pdf` reads `"7+%-`), no letter at all and
/// mostly punctuation, where a table of figures would be mostly digits. Dot leaders are
/// not counted against a page.
fn garbled(text: &str) -> bool {
    let (mut chars, mut junk, mut letters, mut digits) = (0usize, 0usize, 0usize, 0usize);
    for c in text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '·' | '…'))
    {
        chars += 1;
        let private = matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0x10FFFF);
        if private || c == '\u{FFFD}' || c.is_control() {
            junk += 1;
        } else if c.is_alphabetic() {
            letters += 1;
        } else if c.is_numeric() {
            digits += 1;
        }
    }
    (chars >= 40 && junk * 4 > chars) || (chars >= 4 && letters == 0 && digits * 2 < chars)
}

/// A page's lines kept compactly: all text in one string, one small record a line.
/// Keeping each line as its own small allocation made the heap grow by about 60 KB a
/// page on the R reference manual (the small strings land in the holes left by each
/// page's freed content stream, so the next page's stream needs fresh memory); one
/// allocation a page made after the page is done keeps peak memory flat.
struct PageText {
    number: u32,
    text: String,
    lines: Vec<LineMeta>,
    has_images: bool,
}

struct LineMeta {
    /// End of the line's text in `PageText::text`.
    end: usize,
    x: f64,
    x_end: f64,
    y: f64,
    size: f64,
}

impl PageText {
    fn compact(number: u32, lines: Vec<Line>) -> Self {
        let mut text = String::with_capacity(lines.iter().map(|l| l.text.len()).sum());
        let mut metas = Vec::with_capacity(lines.len());
        for line in lines {
            text.push_str(&line.text);
            metas.push(LineMeta {
                end: text.len(),
                x: line.x,
                x_end: line.x_end,
                y: line.y,
                size: line.size,
            });
        }
        PageText {
            number,
            text,
            lines: metas,
            has_images: false,
        }
    }

    fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// (text, size) of each line.
    fn iter(&self) -> impl Iterator<Item = (&str, f64)> + '_ {
        let mut start = 0;
        self.lines.iter().map(move |m| {
            let text = self.text.get(start..m.end).unwrap_or("");
            start = m.end;
            (text, m.size)
        })
    }

    fn first_and_last(&self) -> impl Iterator<Item = &str> + '_ {
        let n = self.lines.len();
        self.iter()
            .enumerate()
            .filter(move |(i, _)| *i == 0 || *i + 1 == n)
            .map(|(_, (t, _))| t)
    }

    fn lines(&self) -> Vec<Line> {
        self.iter()
            .zip(&self.lines)
            .map(|((text, size), m)| Line {
                text: text.to_string(),
                x: m.x,
                x_end: m.x_end,
                y: m.y,
                size,
                heading: None,
            })
            .collect()
    }
}

/// Receives glyphs from pdf-extract and groups them into lines, with the same spacing
/// rules as pdf-extract's own plain-text output (a word that starts below or left of the
/// last one starts a line; a gap of a tenth of the font size is a space).
#[derive(Default)]
struct PageCollector {
    height: f64,
    lines: Vec<Line>,
    current: Option<Line>,
    size_sum: f64,
    glyphs: usize,
    last_end: f64,
    last_y: f64,
    word_start: bool,
}

impl PageCollector {
    fn end_current(&mut self) {
        if let Some(mut line) = self.current.take() {
            if self.glyphs > 0 {
                line.size = self.size_sum / self.glyphs as f64;
            }
            let trimmed = line.text.trim();
            if !trimmed.is_empty() {
                line.text = trimmed.to_string();
                self.lines.push(line);
            }
        }
        self.size_sum = 0.0;
        self.glyphs = 0;
    }

    fn finish(mut self) -> Vec<Line> {
        self.end_current();
        self.lines
    }
}

impl OutputDev for PageCollector {
    fn begin_page(
        &mut self,
        _page: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.height = media_box.ury - media_box.lly;
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.end_current();
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), OutputError> {
        let x = trm.m31;
        let y = self.height - trm.m32;
        let scale_x = trm.m11.hypot(trm.m12);
        let scale_y = trm.m21.hypot(trm.m22);
        let size = (font_size * (scale_x * scale_y).sqrt()).abs();
        if !x.is_finite() || !y.is_finite() || !size.is_finite() {
            return Ok(());
        }
        let mut new_line = self.current.is_none();
        if self.word_start && self.current.is_some() {
            let dy = (y - self.last_y).abs();
            if dy > size * 1.5 || (x < self.last_end && dy > size * 0.5) {
                new_line = true;
            } else if x > self.last_end + size * 0.1 {
                if let Some(line) = &mut self.current {
                    line.text.push(' ');
                }
            }
        }
        if new_line {
            self.end_current();
            self.current = Some(Line {
                text: String::new(),
                x,
                x_end: x,
                y,
                size,
                heading: None,
            });
        }
        self.last_end = x + width * size;
        if let Some(line) = &mut self.current {
            push_glyph(&mut line.text, text);
            line.x_end = line.x_end.max(self.last_end);
        }
        self.size_sum += size;
        self.glyphs += 1;
        self.word_start = false;
        self.last_y = y;
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        self.word_start = true;
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// Typographic ligatures are split back into letters so search and tokenizers see
/// words; control characters from broken encodings are dropped.
fn push_glyph(out: &mut String, glyph: &str) {
    for c in glyph.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            '\u{00AD}' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

/// Running headers and footers (and bare page numbers): the keys of first or last lines
/// that, digits aside, are the first or last line of at least three pages and of at
/// least one page in fifty.
fn running_lines(pages: &[PageText]) -> HashSet<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for page in pages {
        let keys: HashSet<String> = page.first_and_last().map(running_key).collect();
        for k in keys {
            *counts.entry(k).or_default() += 1;
        }
    }
    let threshold = 3.max(pages.len() / 50);
    counts
        .into_iter()
        .filter(|&(_, n)| n >= threshold)
        .map(|(k, _)| k)
        .collect()
}

/// A line that is only a page number: "12", "- 12 -", "xiv", "Page 3".
fn is_page_number(text: &str) -> bool {
    let t = text.trim_matches(|c: char| c == '-' || c == '–' || c.is_whitespace());
    let t = t
        .strip_prefix("Page ")
        .or_else(|| t.strip_prefix("page "))
        .unwrap_or(t);
    let arabic = !t.is_empty() && t.len() <= 5 && t.chars().all(|c| c.is_ascii_digit());
    let roman = !t.is_empty() && t.len() <= 6 && t.chars().all(|c| "ivxlcdm".contains(c));
    arabic || roman
}

fn running_key(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The outline's titles in reading order with their depth (0 = top), walked without
/// recursion and with a visited set, since outlines in the wild have cycles.
fn outline_titles(doc: &PdfDoc) -> Vec<(u8, String)> {
    let mut out = Vec::new();
    let Ok(catalog) = doc.catalog() else {
        return out;
    };
    let Some(root) = catalog
        .get(b"Outlines")
        .ok()
        .and_then(|o| o.as_reference().ok())
    else {
        return out;
    };
    let Some(first) = doc
        .get_dictionary(root)
        .ok()
        .and_then(|d| d.get(b"First").ok())
        .and_then(|o| o.as_reference().ok())
    else {
        return out;
    };
    let mut visited = HashSet::new();
    // A stack of (item, depth); each item's Next is pushed before its First so children
    // come out right after their parent.
    let mut stack = vec![(first, 0u8)];
    while let Some((id, depth)) = stack.pop() {
        if !visited.insert(id) || visited.len() > 100_000 {
            continue;
        }
        let Ok(item) = doc.get_dictionary(id) else {
            continue;
        };
        if let Some(title) = item.get(b"Title").ok().and_then(|t| string_value(doc, t)) {
            out.push((depth, title));
        }
        if let Some(next) = item.get(b"Next").ok().and_then(|o| o.as_reference().ok()) {
            stack.push((next, depth));
        }
        if let Some(child) = item.get(b"First").ok().and_then(|o| o.as_reference().ok()) {
            stack.push((child, depth.saturating_add(1)));
        }
    }
    out
}

/// How outline titles and lines are compared: a leading section number ("1.2.3",
/// "A.1", "Chapter 4") dropped, since outlines often leave it out, then letters and
/// digits only, lowercased, so TeX quotes and typographic ones compare equal.
fn title_key(s: &str) -> String {
    let s = s.trim();
    let s = s
        .strip_prefix("Chapter ")
        .or_else(|| s.strip_prefix("Appendix "))
        .unwrap_or(s);
    let mut words = s.splitn(2, char::is_whitespace);
    let first = words.next().unwrap_or("");
    let is_number = !first.is_empty()
        && first.split('.').filter(|p| !p.is_empty()).all(|p| {
            p.chars().all(|c| c.is_ascii_digit())
                || (p.len() == 1 && p.chars().all(|c| c.is_ascii_uppercase()))
        })
        && first.chars().any(|c| c.is_ascii_digit() || c == '.');
    let s = match (is_number, words.next()) {
        (true, Some(rest)) if !rest.trim().is_empty() => rest,
        _ => s,
    };
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The size most of the document's text is set in, to the half point.
fn body_size(pages: &[PageText]) -> f64 {
    let mut by_size: HashMap<i64, usize> = HashMap::new();
    for (text, size) in pages.iter().flat_map(PageText::iter) {
        *by_size.entry(half_points(size)).or_default() += text.len();
    }
    by_size
        .into_iter()
        .max_by_key(|&(size, n)| (n, -size))
        .map_or(10.0, |(s, _)| s as f64 / 2.0)
}

fn half_points(size: f64) -> i64 {
    (size * 2.0).round() as i64
}

/// Decides which lines are headings, page after page. With an outline: lines larger
/// than body text that match the next outline titles in order (a heading wrapped over
/// two lines is joined). Without one: short lines clearly larger than body text, ranked
/// by size, largest first.
struct Headings {
    body: f64,
    titles: Vec<(u8, String)>,
    next: usize,
    /// Heading sizes in half points, largest first (no-outline mode).
    sizes: Vec<i64>,
}

impl Headings {
    fn new(pages: &[PageText], outline: &[(u8, String)]) -> Self {
        let body = body_size(pages);
        let titles: Vec<(u8, String)> = outline
            .iter()
            .map(|(d, t)| (*d, title_key(t)))
            .filter(|(_, t)| !t.is_empty())
            .collect();
        let mut sizes = Vec::new();
        if titles.len() < 2 {
            sizes = pages
                .iter()
                .flat_map(PageText::iter)
                .filter(|(text, size)| is_size_heading(text, *size, body))
                .map(|(_, size)| half_points(size))
                .collect();
            sizes.sort_unstable_by(|a, b| b.cmp(a));
            sizes.dedup();
        }
        Headings {
            body,
            titles,
            next: 0,
            sizes,
        }
    }

    fn mark(&mut self, lines: &mut Vec<Line>) {
        if self.titles.len() >= 2 {
            self.mark_from_outline(lines);
            return;
        }
        for line in lines.iter_mut() {
            if is_size_heading(&line.text, line.size, self.body) {
                let rank = self
                    .sizes
                    .iter()
                    .position(|&s| s == half_points(line.size))
                    .unwrap_or(0);
                line.heading = Some(u8::try_from(rank + 1).unwrap_or(6).min(6));
            }
        }
    }

    fn mark_from_outline(&mut self, lines: &mut Vec<Line>) {
        let mut i = 0;
        while i < lines.len() && self.next < self.titles.len() {
            let line = &lines[i];
            let larger = line.size >= self.body * 1.05;
            // Some documents set headings in body size, bold (R's reference manual): such
            // a line counts when a clear gap sets it apart from the text above.
            let set_apart = i > 0 && line.y - lines[i - 1].y >= line.size * 2.5;
            if !larger && !set_apart {
                i += 1;
                continue;
            }
            let one = title_key(&line.text);
            // Looking further ahead than a few hundred titles only finds false matches
            // (and would make a hostile outline quadratic).
            let rest = &self.titles[self.next..self.titles.len().min(self.next + 400)];
            let found = if larger {
                let two = lines
                    .get(i + 1)
                    .filter(|l| (l.size - line.size).abs() < 0.5)
                    .map(|l| title_key(&format!("{} {}", line.text, l.text)));
                // Titles are taken in order, nearest first; one missing from the text (an
                // index without a printed heading) only costs its own match.
                rest.iter()
                    .position(|(_, t)| *t == one)
                    .map(|j| (j, false))
                    .or_else(|| {
                        let two = two.as_ref()?;
                        rest.iter().position(|(_, t)| t == two).map(|j| (j, true))
                    })
            } else {
                // A body-size line may carry more than the title ("abbreviate Abbreviate
                // Strings"), so it may start with it; only the next few titles are tried.
                rest.iter()
                    .take(3)
                    .position(|(_, t)| {
                        one == *t || (t.chars().count() >= 3 && one.starts_with(t.as_str()))
                    })
                    .map(|j| (j, false))
            };
            if let Some((j, joined)) = found {
                let level = rest[j].0.saturating_add(1).min(6);
                if joined {
                    let second = lines.remove(i + 1);
                    lines[i].text.push(' ');
                    lines[i].text.push_str(&second.text);
                }
                lines[i].heading = Some(level);
                self.next += j + 1;
            }
            i += 1;
        }
    }
}

fn is_size_heading(text: &str, size: f64, body: f64) -> bool {
    size >= body * 1.2 && text.chars().count() <= 120 && text.chars().any(char::is_alphabetic)
}

/// The usual distance between the baselines of two lines of one paragraph, for each text
/// size in the document: the smallest gap that is common (at least a fifth as frequent
/// as the most frequent one), since paragraph breaks and headings only add larger gaps.
struct LineSpacing(HashMap<i64, f64>);

impl LineSpacing {
    fn new(pages: &[PageText]) -> Self {
        let mut gaps: HashMap<i64, HashMap<i64, usize>> = HashMap::new();
        for page in pages {
            for w in page.lines.windows(2) {
                let gap = w[1].y - w[0].y;
                if (w[0].size - w[1].size).abs() < 0.5 && gap > 0.0 && gap < w[0].size * 4.0 {
                    *gaps
                        .entry(half_points(w[0].size))
                        .or_default()
                        .entry(half_points(gap))
                        .or_default() += 1;
                }
            }
        }
        let spacing = gaps
            .into_iter()
            .filter_map(|(size, counts)| {
                let most = counts.values().copied().max()?;
                let common = (most / 5).max(2).min(most);
                let gap = counts
                    .into_iter()
                    .filter(|&(_, n)| n >= common)
                    .map(|(g, _)| g)
                    .min()?;
                Some((size, gap as f64 / 2.0))
            })
            .collect();
        LineSpacing(spacing)
    }

    fn for_size(&self, size: f64) -> f64 {
        self.0
            .get(&half_points(size))
            .copied()
            .unwrap_or(size * 1.2)
    }
}

/// Groups a page's lines into blocks. A heading is its own block (a heading wrapped over
/// lines stays one). A new paragraph starts where the gap to the previous line is
/// clearly larger than the usual line spacing for its size, the text size changes, the
/// text moves up (a new column), a bullet starts, or a line is indented after one that
/// stopped short of its column's right edge (paragraphs marked by indentation only).
fn push_page(out: &mut DocBuilder, number: u32, lines: &[Line], spacing: &LineSpacing) {
    let mut para = String::new();
    let mut para_kind = BlockKind::Paragraph;
    let mut prev: Option<&Line> = None;
    let mut prev_heading: Option<&Line> = None;
    let page_no = Some(number);
    let columns = Columns::new(lines);
    for line in lines {
        if let Some(level) = line.heading {
            flush(out, &mut para, para_kind, page_no);
            let continues = prev_heading.is_some_and(|h| {
                h.heading == Some(level) && (line.y - h.y) > 0.0 && (line.y - h.y) < line.size * 1.6
            });
            match out.blocks_mut().last_mut().filter(|_| continues) {
                Some(last) => {
                    last.text.push(' ');
                    last.text.push_str(&line.text);
                }
                None => out.push(BlockKind::Heading { level }, &line.text, page_no),
            }
            prev = None;
            prev_heading = Some(line);
            continue;
        }
        prev_heading = None;
        let (bullet, rest) = strip_bullet(&line.text);
        let breaks = match prev {
            None => true,
            Some(p) => {
                let gap = line.y - p.y;
                let indent = line.x - p.x;
                let indented_after_short = indent > p.size * 0.5
                    && indent < p.size * 5.0
                    && p.x_end < columns.right_of(p) - p.size * 1.5;
                bullet
                    || gap < -p.size
                    || gap > spacing.for_size(p.size) * 1.2 + 0.3
                    || (line.size - p.size).abs() > p.size * 0.15
                    || indented_after_short
            }
        };
        if breaks {
            flush(out, &mut para, para_kind, page_no);
            para_kind = if bullet {
                BlockKind::ListItem {
                    ordered: false,
                    depth: 0,
                }
            } else {
                BlockKind::Paragraph
            };
        }
        join_line(&mut para, rest);
        prev = Some(line);
    }
    flush(out, &mut para, para_kind, page_no);
}

/// The right edges of a page's columns: the furthest any line reaches, by the 24-point
/// band its start falls in (the lines of a two-column page start in two places). Built
/// once a page so a page of a million lines costs no more than reading them.
struct Columns(HashMap<i64, f64>);

impl Columns {
    fn new(lines: &[Line]) -> Self {
        let mut right: HashMap<i64, f64> = HashMap::new();
        for line in lines {
            let edge = right.entry(Self::band(line.x)).or_insert(line.x_end);
            *edge = edge.max(line.x_end);
        }
        Columns(right)
    }

    fn band(x: f64) -> i64 {
        (x / 24.0).floor() as i64
    }

    /// The right edge of the column `line` is in (lines starting within about 60 points).
    fn right_of(&self, line: &Line) -> f64 {
        let band = Self::band(line.x);
        (band - 2..=band + 2)
            .filter_map(|b| self.0.get(&b))
            .fold(line.x_end, |a, &b| a.max(b))
    }
}

fn flush(out: &mut DocBuilder, para: &mut String, kind: BlockKind, page: Option<u32>) {
    if !para.trim().is_empty() {
        out.push(kind, para, page);
    }
    para.clear();
}

fn strip_bullet(text: &str) -> (bool, &str) {
    for b in ['•', '◦', '▪', '‣', '∙', '●', '○', '■', '□'] {
        if let Some(rest) = text.strip_prefix(b) {
            return (true, rest.trim_start());
        }
    }
    (false, text)
}

/// Appends a line to a paragraph; a word hyphenated at the line end is joined again
/// ("identi-" + "cal"), a hyphen before a capital or digit is kept ("R-" "Forge").
fn join_line(para: &mut String, line: &str) {
    if para.is_empty() {
        para.push_str(line);
        return;
    }
    let hyphenated = para.ends_with('-')
        && para.chars().rev().nth(1).is_some_and(char::is_alphabetic)
        && line.chars().next().is_some_and(char::is_lowercase);
    if hyphenated {
        para.pop();
    } else {
        para.push(' ');
    }
    para.push_str(line);
}

#[cfg(test)]
pub(crate) mod tests {
    #[test]
    fn garbled_text_layers() {
        let junk: String = "\u{e001}\u{e002}\u{e003} \u{fffd}ab".repeat(10);
        assert!(super::garbled(&junk));
        assert!(!super::garbled(
            "Contents ........................................ 5"
        ));
        assert!(!super::garbled(&"∑ x² ≤ ∫ f(x) dx → ∞; ".repeat(5)));
        assert!(!super::garbled("\u{e001}\u{e002} short"));
        // Glyph numbers read as ASCII: no letter, mostly punctuation.
        assert!(super::garbled("\"7+%-"));
        assert!(super::garbled("#$% &'( )*+ ,-/ 012"));
        // Figures, a section break and a page number are text.
        assert!(!super::garbled("1 200 | 3 400 | 5,5 | -7"));
        assert!(!super::garbled("* * *"));
        assert!(!super::garbled("12"));
    }

    use super::*;
    use pdf_extract::{dictionary, Stream};

    /// A PDF with one page per entry; each page is a list of (font size, y from the
    /// bottom, text) lines in Helvetica. `outline` adds bookmarks with these titles.
    pub(crate) fn make_pdf(pages: &[Vec<(f64, f64, &str)>], outline: &[&str]) -> PdfDoc {
        let mut doc = PdfDoc::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
            "Encoding" => "WinAnsiEncoding",
        });
        let resources_id =
            doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
        let mut kids = Vec::new();
        for lines in pages {
            let mut content = Vec::new();
            for (size, y, text) in lines {
                let escaped = text
                    .replace('\\', "\\\\")
                    .replace('(', "\\(")
                    .replace(')', "\\)");
                let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&escaped);
                content.extend_from_slice(format!("BT /F1 {size} Tf 72 {y} Td (").as_bytes());
                content.extend_from_slice(&bytes);
                content.extend_from_slice(b") Tj ET\n");
            }
            let content_id = doc.add_object(Stream::new(dictionary! {}, content));
            let page_id = doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
            });
            kids.push(page_id.into());
        }
        let count = kids.len() as i64;
        doc.objects.insert(pages_id, Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count,
            "Resources" => resources_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }));
        let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
        if !outline.is_empty() {
            let root_id = doc.new_object_id();
            let ids: Vec<ObjectId> = outline.iter().map(|_| doc.new_object_id()).collect();
            for (i, title) in outline.iter().enumerate() {
                let mut item =
                    dictionary! { "Title" => Object::string_literal(*title), "Parent" => root_id };
                if i + 1 < ids.len() {
                    item.set("Next", ids[i + 1]);
                }
                doc.objects.insert(ids[i], Object::Dictionary(item));
            }
            doc.objects.insert(
                root_id,
                Object::Dictionary(dictionary! {
                    "Type" => "Outlines", "First" => ids[0], "Last" => ids[ids.len() - 1],
                }),
            );
            catalog.set("Outlines", root_id);
        }
        let catalog_id = doc.add_object(catalog);
        doc.trailer.set("Root", catalog_id);
        doc
    }

    pub(crate) fn to_bytes(mut doc: PdfDoc) -> Vec<u8> {
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn paragraphs_pages_headings_and_running_heads() {
        let page = |n: usize| {
            vec![
                (9.0, 800.0, "Running header"),
                (18.0, 740.0, if n == 1 { "Introduction" } else { "Details" }),
                (
                    10.0,
                    700.0,
                    "The first paragraph is long enough that it is identi-",
                ),
                (10.0, 688.0, "cal to a wrapped line, and it goes on here."),
                (10.0, 660.0, "A second paragraph after a gap."),
                (10.0, 632.0, "\u{2022} a bullet item"),
                (9.0, 40.0, if n == 1 { "1" } else { "2" }),
            ]
        };
        let pages = vec![page(1), page(2), page(3)];
        let bytes = to_bytes(make_pdf(&pages, &[]));
        let doc = read(&bytes, &Limits::default()).unwrap();
        assert_eq!(doc.pages, Some(3));
        expect_test::expect![[r#"
            # Introduction

            The first paragraph is long enough that it is identical to a wrapped line, and it goes on here.

            A second paragraph after a gap.

            - a bullet item

            # Details

            The first paragraph is long enough that it is identical to a wrapped line, and it goes on here.

            A second paragraph after a gap.

            - a bullet item

            # Details

            The first paragraph is long enough that it is identical to a wrapped line, and it goes on here.

            A second paragraph after a gap.

            - a bullet item
        "#]]
        .assert_eq(&doc.to_markdown());
        let pages_of: Vec<Option<u32>> = doc.blocks.iter().map(|b| b.page).collect();
        assert_eq!(pages_of[0], Some(1));
        assert_eq!(pages_of[4], Some(2));
        assert_eq!(pages_of.last().copied().flatten(), Some(3));
    }

    #[test]
    fn outline_titles_give_heading_levels() {
        let pages = vec![vec![
            (16.0, 760.0, "1 Getting started"),
            (
                10.0,
                740.0,
                "Body text set in the size most of the document uses, long enough to count.",
            ),
            (12.0, 700.0, "1.1 A section whose title is long and"),
            (12.0, 686.0, "wraps over two lines"),
            (
                10.0,
                660.0,
                "More body text, again long enough that ten points is the body size here.",
            ),
            (12.0, 640.0, "Big but not in the outline"),
        ]];
        let mut doc = make_pdf(
            &pages,
            &[
                "1 Getting started",
                "1.1 A section whose title is long and wraps over two lines",
            ],
        );
        // Make the second title a child of the first.
        let ids: Vec<ObjectId> = doc
            .objects
            .iter()
            .filter(|(_, o)| o.as_dict().is_ok_and(|d| d.has(b"Title")))
            .map(|(id, _)| *id)
            .collect();
        let (first, second) = (ids[0], ids[1]);
        doc.get_dictionary_mut(first).unwrap().remove(b"Next");
        doc.get_dictionary_mut(first).unwrap().set("First", second);
        let bytes = to_bytes(doc);
        let doc = read(&bytes, &Limits::default()).unwrap();
        let headings: Vec<(u8, &str)> = doc
            .blocks
            .iter()
            .filter_map(|b| match b.kind {
                BlockKind::Heading { level } => Some((level, b.text.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            headings,
            [
                (1, "1 Getting started"),
                (
                    2,
                    "1.1 A section whose title is long and wraps over two lines"
                )
            ]
        );
    }

    #[test]
    fn text_strings() {
        assert_eq!(pdf_text_string(b"\xFE\xFF\x00H\x00\xE9"), "Hé");
        assert_eq!(pdf_text_string(b"caf\xE9"), "café");
    }

    #[test]
    fn hyphen_joining() {
        let mut p = String::from("identi-");
        join_line(&mut p, "cal");
        assert_eq!(p, "identical");
        let mut p = String::from("see R-");
        join_line(&mut p, "Forge");
        assert_eq!(p, "see R- Forge");
    }
}
