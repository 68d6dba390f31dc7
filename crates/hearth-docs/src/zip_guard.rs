//! Reading entries out of the zip containers that docx and epub are, without letting a
//! zip bomb fill memory. Sizes in zip headers are written by whoever made the file, so
//! they are never trusted: every entry is read through `Read::take` with a cap on its
//! decompressed size (a ratio to its compressed size, above a small floor) and on the total
//! decompressed so far, and reading more than the cap is the error.

use std::io::{Cursor, Read};

use zip::result::ZipError;
use zip::ZipArchive;

use crate::{DocError, Limits};

pub(crate) struct ZipGuard<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    format: &'static str,
    limits: Limits,
    /// Decompressed bytes handed out so far.
    used: u64,
}

impl<'a> ZipGuard<'a> {
    pub(crate) fn open(
        bytes: &'a [u8],
        format: &'static str,
        limits: &Limits,
    ) -> Result<Self, DocError> {
        // The central directory is parsed into memory up front, one record per entry, so
        // an absurd entry count is refused before the zip crate allocates for it.
        if let Some(entries) = declared_entries(bytes) {
            if entries > limits.max_zip_entries as u64 {
                return Err(DocError::zip_bomb(
                    format,
                    format!(
                        "{entries} entries, more than the limit of {}",
                        limits.max_zip_entries
                    ),
                ));
            }
        }
        let archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| zip_error(format, e))?;
        if archive.len() > limits.max_zip_entries {
            return Err(DocError::zip_bomb(
                format,
                format!(
                    "{} entries, more than the limit of {}",
                    archive.len(),
                    limits.max_zip_entries
                ),
            ));
        }
        Ok(Self {
            archive,
            format,
            limits: limits.clone(),
            used: 0,
        })
    }

    pub(crate) fn names(&self) -> Vec<String> {
        self.archive
            .file_names()
            .filter_map(Result::ok)
            .map(|n| n.into_owned())
            .collect()
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.archive.index_for_name(name).is_some()
    }

    /// The decompressed bytes of entry `name`, or `None` when there is no such entry.
    pub(crate) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, DocError> {
        let format = self.format;
        let mut file = match self.archive.by_name(name) {
            Ok(f) => f,
            Err(ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(zip_error(format, e)),
        };
        if file.encrypted() {
            return Err(encrypted(format));
        }
        let ratio_cap = file
            .compressed_size()
            .saturating_mul(self.limits.max_zip_ratio)
            .max(self.limits.zip_ratio_floor_bytes);
        let total_left = self.limits.max_unzipped_bytes.saturating_sub(self.used);
        let cap = ratio_cap.min(total_left);
        let mut out = Vec::new();
        // One byte past the cap tells "exactly at the cap" from "over it".
        let read = (&mut file)
            .take(cap.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| DocError::corrupt(format, format!("entry {name}: {e}")))?;
        let read = read as u64;
        if read > cap {
            let reason = if cap == ratio_cap {
                format!(
                    "entry {name} expands more than {}:1 beyond {} bytes",
                    self.limits.max_zip_ratio, self.limits.zip_ratio_floor_bytes
                )
            } else {
                format!(
                    "its entries expand to more than the limit of {} bytes",
                    self.limits.max_unzipped_bytes
                )
            };
            return Err(DocError::zip_bomb(format, reason));
        }
        self.used += read;
        Ok(Some(out))
    }

    /// Entry `name` as text: UTF-8 or UTF-16 by byte-order mark, as XML allows.
    pub(crate) fn read_text(&mut self, name: &str) -> Result<Option<String>, DocError> {
        let Some(bytes) = self.read(name)? else {
            return Ok(None);
        };
        let encoding =
            encoding_rs::Encoding::for_bom(&bytes).map_or(encoding_rs::UTF_8, |(e, _)| e);
        let (text, _) = encoding.decode_with_bom_removal(&bytes);
        Ok(Some(text.into_owned()))
    }
}

fn encrypted(format: &'static str) -> DocError {
    DocError::Encrypted {
        format,
        what_to_do:
            "open it in the program that made it, save a copy without a password, and try again",
    }
}

fn zip_error(format: &'static str, e: ZipError) -> DocError {
    match e {
        ZipError::UnsupportedArchive(msg) if msg.to_ascii_lowercase().contains("password") => {
            encrypted(format)
        }
        ZipError::InvalidPassword => encrypted(format),
        ZipError::UnsupportedArchive(msg) => {
            DocError::corrupt(format, format!("unsupported zip: {msg}"))
        }
        ZipError::CompressionMethodNotSupported(m) => DocError::corrupt(
            format,
            format!("zip compression method {m} is not supported"),
        ),
        other => DocError::corrupt(format, format!("bad zip: {other}")),
    }
}

/// The entry count the end-of-central-directory record declares (zip64 included), read
/// by hand because the zip crate allocates by it before any check of ours could run.
fn declared_entries(bytes: &[u8]) -> Option<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let search_from = bytes.len().saturating_sub(22 + 65_535);
    let tail = &bytes[search_from..];
    let at = search_from + tail.windows(4).rposition(|w| w == EOCD)?;
    let eocd = bytes.get(at..at + 22)?;
    let count = u64::from(u16::from_le_bytes([eocd[10], eocd[11]]));
    if count != 0xFFFF {
        return Some(count);
    }
    // Zip64: a locator just before the EOCD points at the zip64 record.
    let locator = bytes.get(at.checked_sub(20)?..at)?;
    if &locator[..4] != b"PK\x06\x07" {
        return Some(count);
    }
    let offset = usize::try_from(u64::from_le_bytes(locator[8..16].try_into().ok()?)).ok()?;
    let record = bytes.get(offset..offset.checked_add(40)?)?;
    if &record[..4] != b"PK\x06\x06" {
        return Some(count);
    }
    Some(u64::from_le_bytes(record[32..40].try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn reads_entries_and_reports_missing() {
        let z = zip_with(&[("a.txt", b"hello")]);
        let mut g = ZipGuard::open(&z, "docx", &Limits::default()).unwrap();
        assert_eq!(g.read("a.txt").unwrap().as_deref(), Some(&b"hello"[..]));
        assert!(g.read("b.txt").unwrap().is_none());
        assert_eq!(declared_entries(&z), Some(1));
    }

    #[test]
    fn ratio_above_floor_is_refused() {
        let zeros = vec![0u8; 4 << 20];
        let z = zip_with(&[("big", &zeros)]);
        let mut g = ZipGuard::open(&z, "docx", &Limits::default()).unwrap();
        let err = g.read("big").unwrap_err();
        assert!(matches!(err, DocError::ZipBomb { .. }), "{err}");
        assert!(err.to_string().contains("100:1"), "{err}");
    }

    #[test]
    fn small_compressible_entries_pass_and_total_is_capped() {
        let zeros = vec![0u8; 600 << 10];
        let z = zip_with(&[("a", &zeros), ("b", &zeros)]);
        let limits = Limits {
            max_unzipped_bytes: 1 << 20,
            ..Limits::default()
        };
        let mut g = ZipGuard::open(&z, "epub", &limits).unwrap();
        assert_eq!(g.read("a").unwrap().map(|v| v.len()), Some(600 << 10));
        let err = g.read("b").unwrap_err();
        assert!(err.to_string().contains("limit of 1048576 bytes"), "{err}");
    }

    #[test]
    fn too_many_entries_are_refused_before_parsing() {
        let names: Vec<String> = (0..50).map(|i| format!("f{i}")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
        let z = zip_with(&entries);
        let limits = Limits {
            max_zip_entries: 10,
            ..Limits::default()
        };
        let err = ZipGuard::open(&z, "epub", &limits).err().unwrap();
        assert!(err.to_string().contains("50 entries"), "{err}");
    }
}
