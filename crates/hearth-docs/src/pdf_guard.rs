//! Checks that run before a PDF reaches lopdf and pdf-extract, for the hostile files
//! they do not defend against themselves:
//!
//! - Flate "bombs": lopdf inflates streams with `read_to_end` and no cap, so a few
//!   megabytes that inflate to gigabytes would exhaust memory. Every zlib stream in the
//!   raw file is inflated once here, streaming, with a cap on each.
//! - Recursion: pdf-extract follows a page's /Parent chain and nested form XObjects
//!   recursively, with no depth limit and no cycle check; a cycle would overflow the stack
//!   and abort the process, which `catch_unwind` cannot stop. Pages whose structure has a
//!   cycle, or forms nested so that drawing them would take exponential time, are skipped.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use pdf_extract::{Dictionary, Document as PdfDoc, Object, ObjectId};

/// Most times one page may invoke forms, counting nested invocations; a real page draws
/// at most a few hundred.
const MAX_FORM_INVOCATIONS: u64 = 100_000;

/// Deepest /Parent chain or form nesting accepted; real files use a handful of levels.
const MAX_DEPTH: usize = 64;

/// Inflates every zlib stream in `bytes` and returns the first whose output exceeds
/// `cap` bytes, as (offset of the stream in the file, cap).
pub(crate) fn find_stream_bomb(bytes: &[u8], cap: u64) -> Option<usize> {
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], b"stream") {
        let keyword = at + found;
        at = keyword + 6;
        // "endstream" also contains "stream"; only the keyword that opens data counts.
        if keyword >= 3 && &bytes[keyword - 3..keyword] == b"end" {
            continue;
        }
        let mut data = at;
        if bytes.get(data) == Some(&b'\r') {
            data += 1;
        }
        if bytes.get(data) != Some(&b'\n') {
            continue;
        }
        data += 1;
        // A zlib header: CMF 0x78 (deflate, 32K window) and a check byte.
        let header = match bytes.get(data..data + 2) {
            Some(h) => h,
            None => break,
        };
        if header[0] != 0x78 || (u16::from(header[0]) << 8 | u16::from(header[1])) % 31 != 0 {
            continue;
        }
        let end = find(&bytes[data..], b"endstream").map_or(bytes.len(), |e| data + e);
        let mut decoder = flate2::read::ZlibDecoder::new(&bytes[data..end]);
        let mut sink = std::io::sink();
        let inflated = std::io::copy(&mut (&mut decoder).take(cap + 1), &mut sink).unwrap_or(0);
        if inflated > cap {
            return Some(data);
        }
        at = end;
    }
    None
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn finds_a_stream_that_inflates_past_the_cap() {
        let small = zlib(b"BT (hello) Tj ET");
        let big = zlib(&vec![b' '; 2 << 20]);
        let mut pdf = b"%PDF-1.4\n1 0 obj << /Length 10 >>\nstream\n".to_vec();
        pdf.extend_from_slice(&small);
        pdf.extend_from_slice(b"\nendstream\nendobj\n2 0 obj << >>\nstream\r\n");
        let bomb_at = pdf.len();
        pdf.extend_from_slice(&big);
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
        assert_eq!(find_stream_bomb(&pdf, 1 << 20), Some(bomb_at));
        assert_eq!(find_stream_bomb(&pdf, 4 << 20), None);
    }

    #[test]
    fn do_operator_names() {
        let names = invoked_names(b"q 1 0 0 1 0 0 cm /Fm1 Do Q /Im2  Do\n(Do) Tj /X Don't");
        assert_eq!(names, [b"Fm1".to_vec(), b"Im2".to_vec()]);
    }
}
