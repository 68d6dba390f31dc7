//! Downloading one file from the hub into a folder, safely: resumable, retried,
//! verified, and never visible under its final name until it is complete and correct.
//!
//! Bytes go to `DEST/.partial/<file>.part` and through SHA-256 as they arrive. A partial
//! file left by an earlier, interrupted or cancelled call is hashed first and the
//! transfer resumes with `Range: bytes=N-`. When size and hash match what the hub
//! announced, the file is synced and renamed to `DEST/<file>` in one step, so a crash
//! leaves either the old state or the finished file, never a truncated model.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};
use ureq::http::StatusCode;

use crate::error::ModelsError;
use crate::hub::{self, DownloadRequest, Failure, FileMetadata, HubClient};

/// Name of the folder, inside the destination, that holds unfinished downloads.
pub const PARTIAL_DIR: &str = ".partial";

/// Read size for the transfer and for hashing files already on disk.
const CHUNK: usize = 256 * 1024;

/// How far a download has come; passed to the progress callback after every chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadProgress {
    /// Bytes on disk so far, including those resumed from an earlier call.
    pub downloaded: u64,
    /// Size of the whole file, when known.
    pub total: Option<u64>,
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// Where the file now is: `DEST/<file>`.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lowercase hex, computed while downloading.
    pub sha256: String,
    /// Whether the hub announced a SHA-256 and it matched; when false only the size
    /// was checked (the hub gives no SHA-256 for small files kept in git, not LFS).
    pub hash_checked: bool,
    /// Bytes that were already on disk from an earlier, interrupted call.
    pub resumed_from: u64,
    /// The file was already complete at the destination, so nothing was transferred.
    pub already_present: bool,
}

/// Downloads with a client configured from the environment ([`HubClient::from_env`]).
pub fn download(
    request: &DownloadRequest,
    dest_dir: &Path,
    cancel: &AtomicBool,
    progress: impl FnMut(DownloadProgress),
) -> Result<Downloaded, ModelsError> {
    HubClient::from_env().download(request, dest_dir, cancel, progress)
}

/// Where the partial file of `file` lives under `dest_dir`.
pub fn partial_path(dest_dir: &Path, file: &str) -> PathBuf {
    dest_dir.join(PARTIAL_DIR).join(format!("{file}.part"))
}

impl HubClient {
    /// Downloads `request` into `dest_dir/<file>`.
    ///
    /// Blocks until done; call it from a thread (or `spawn_blocking`). `progress` is
    /// called from this thread. Raising `cancel` (usually an `Arc<AtomicBool>` shared
    /// with a UI) stops the transfer at the next chunk with [`ModelsError::Cancelled`]
    /// and keeps the partial file, so the next call resumes. A complete, matching file
    /// already at the destination is returned without a transfer.
    pub fn download(
        &self,
        request: &DownloadRequest,
        dest_dir: &Path,
        cancel: &AtomicBool,
        mut progress: impl FnMut(DownloadProgress),
    ) -> Result<Downloaded, ModelsError> {
        request.validate()?;
        let file = request.file.as_str();
        let metadata = self.with_retries(file, cancel, || self.file_metadata_once(request))?;
        let final_path = dest_dir.join(file);
        if let Some(done) = already_present(&final_path, &metadata)? {
            progress(DownloadProgress {
                downloaded: done.size,
                total: Some(done.size),
            });
            return Ok(done);
        }

        let part_path = partial_path(dest_dir, file);
        create_parent(&part_path)?;
        let mut part = PartFile::open(&part_path)?;
        if metadata.size.is_some_and(|size| part.len > size) {
            part.reset()?;
        }
        let resumed_from = part.len;
        let mut total = metadata.size;
        progress(DownloadProgress {
            downloaded: part.len,
            total,
        });

        let result = self.transfer(request, &mut part, &mut total, cancel, &mut progress);
        let (size, sha256) = match result {
            Ok(()) => part.finish()?,
            Err(error @ ModelsError::SizeMismatch { .. }) => {
                discard(part);
                return Err(error);
            }
            Err(error) => {
                // Keep what arrived so the next call resumes; syncing makes that true
                // even after a power cut.
                part.sync();
                return Err(error);
            }
        };
        if let Some(expected) = total.filter(|&expected| expected != size) {
            discard(part);
            return Err(ModelsError::SizeMismatch {
                file: file.to_string(),
                expected,
                actual: size,
            });
        }
        if let Some(expected) = metadata
            .sha256
            .as_ref()
            .filter(|&expected| *expected != sha256)
        {
            discard(part);
            return Err(ModelsError::HashMismatch {
                file: file.to_string(),
                expected: expected.clone(),
                actual: sha256,
            });
        }
        drop(part);
        create_parent(&final_path)?;
        fs::rename(&part_path, &final_path)
            .map_err(|e| ModelsError::io("move into place", &final_path, e))?;
        sync_parent(&final_path);
        remove_empty_dirs(part_path.parent(), &dest_dir.join(PARTIAL_DIR));
        Ok(Downloaded {
            path: final_path,
            size,
            sha256,
            hash_checked: metadata.sha256.is_some(),
            resumed_from,
            already_present: false,
        })
    }

    /// Repeats single transfers until the file is complete, retrying dropped
    /// connections; a try that got further than any before resets the failure count,
    /// so a long download on a flaky line keeps going while a dead server still ends.
    fn transfer(
        &self,
        request: &DownloadRequest,
        part: &mut PartFile,
        total: &mut Option<u64>,
        cancel: &AtomicBool,
        progress: &mut impl FnMut(DownloadProgress),
    ) -> Result<(), ModelsError> {
        let mut failures = 0;
        let mut furthest = part.len;
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(ModelsError::Cancelled {
                    file: request.file.clone(),
                });
            }
            if total.is_some_and(|size| part.len == size) {
                return Ok(());
            }
            match self.transfer_once(request, part, total, cancel, progress) {
                Ok(()) => return Ok(()),
                Err(Failure::Fatal(error)) => return Err(error),
                Err(Failure::Retry(error)) => {
                    if part.len > furthest {
                        furthest = part.len;
                        failures = 0;
                    }
                    failures += 1;
                    if failures >= self.retry.attempts.max(1) {
                        return Err(error);
                    }
                    tracing::warn!(%error, failures, resume_at = part.len, "download interrupted, resuming");
                    hub::sleep_unless_cancelled(
                        self.retry.backoff(failures),
                        cancel,
                        &request.file,
                    )?;
                }
            }
        }
    }

    /// One GET from the current end of the partial file to the end of the body.
    fn transfer_once(
        &self,
        request: &DownloadRequest,
        part: &mut PartFile,
        total: &mut Option<u64>,
        cancel: &AtomicBool,
        progress: &mut impl FnMut(DownloadProgress),
    ) -> Result<(), Failure> {
        let from = part.len;
        let url = self.resolve_url(request);
        let (response, url) = self.request("GET", &url, (from > 0).then_some(from), |_| false)?;
        let status = response.status();
        let headers = response.headers();
        let content_length: Option<u64> =
            hub::header(headers, "content-length").and_then(|v| v.parse().ok());
        match status {
            StatusCode::OK => {
                if from > 0 {
                    // The server ignored the Range header and sends the whole file.
                    part.reset().map_err(Failure::Fatal)?;
                }
                if total.is_none() {
                    *total = content_length;
                }
            }
            StatusCode::PARTIAL_CONTENT => {
                let range = hub::header(headers, "content-range").and_then(parse_content_range);
                match range {
                    Some((start, size)) if start == from => {
                        if total.is_none() {
                            *total = size;
                        }
                    }
                    _ => {
                        // A range we did not ask for cannot be appended; start over.
                        part.reset().map_err(Failure::Fatal)?;
                        return Err(Failure::Retry(ModelsError::BadResponse {
                            url,
                            reason: format!("asked for bytes from {from}, got a different range"),
                        }));
                    }
                }
            }
            StatusCode::RANGE_NOT_SATISFIABLE => {
                if *total == Some(from) {
                    return Ok(());
                }
                part.reset().map_err(Failure::Fatal)?;
                return Err(Failure::Retry(ModelsError::BadResponse {
                    url,
                    reason: "the partial file is longer than the file on the server".to_string(),
                }));
            }
            _ => return Err(self.status_failure(status, headers, request, &url)),
        }

        let mut body = response.into_body().into_reader();
        let mut buffer = vec![0u8; CHUNK];
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(Failure::Fatal(ModelsError::Cancelled {
                    file: request.file.clone(),
                }));
            }
            let read = match body.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(Failure::Retry(hub::network(&url, &error))),
            };
            part.write(&buffer[..read]).map_err(Failure::Fatal)?;
            if let Some(expected) = total.filter(|&expected| part.len > expected) {
                // Stop early rather than fill the disk with a server's garbage.
                return Err(Failure::Fatal(ModelsError::SizeMismatch {
                    file: request.file.clone(),
                    expected,
                    actual: part.len,
                }));
            }
            progress(DownloadProgress {
                downloaded: part.len,
                total: *total,
            });
        }
        if let Some(expected) = total.filter(|&expected| part.len < expected) {
            return Err(Failure::Retry(ModelsError::Network {
                url,
                reason: format!(
                    "the connection closed after {} of {expected} bytes",
                    part.len
                ),
            }));
        }
        Ok(())
    }
}

/// The partial file, open for appending, with the hash of everything in it.
struct PartFile {
    path: PathBuf,
    file: File,
    hasher: Sha256,
    len: u64,
}

impl PartFile {
    /// Opens (or creates) the partial file and hashes the bytes already in it.
    fn open(path: &Path) -> Result<Self, ModelsError> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        // Like every file of Hearth's, private to its user (0600), whatever the umask.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(path)
            .map_err(|e| ModelsError::io("open", path, e))?;
        let mut part = PartFile {
            path: path.to_path_buf(),
            file,
            hasher: Sha256::new(),
            len: 0,
        };
        let (len, hasher) =
            hash_reader(&mut part.file).map_err(|e| ModelsError::io("read", path, e))?;
        part.len = len;
        part.hasher = hasher;
        Ok(part)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), ModelsError> {
        self.file
            .write_all(bytes)
            .map_err(|e| ModelsError::io("write", &self.path, e))?;
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        Ok(())
    }

    fn reset(&mut self) -> Result<(), ModelsError> {
        self.file
            .set_len(0)
            .and_then(|()| self.file.seek(SeekFrom::Start(0)).map(|_| ()))
            .map_err(|e| ModelsError::io("truncate", &self.path, e))?;
        self.hasher = Sha256::new();
        self.len = 0;
        Ok(())
    }

    /// Syncs the file to disk and returns its length and hex SHA-256.
    fn finish(&mut self) -> Result<(u64, String), ModelsError> {
        self.file
            .sync_all()
            .map_err(|e| ModelsError::io("sync", &self.path, e))?;
        let digest = std::mem::take(&mut self.hasher).finalize();
        Ok((self.len, hex(&digest)))
    }

    fn sync(&self) {
        if let Err(error) = self.file.sync_data() {
            tracing::warn!(%error, path = %self.path.display(), "could not sync the partial download");
        }
    }
}

/// Deletes a partial file whose content is known to be wrong.
fn discard(part: PartFile) {
    let path = part.path.clone();
    drop(part);
    if let Err(error) = fs::remove_file(&path) {
        tracing::warn!(%error, path = %path.display(), "could not delete a corrupt partial download");
    }
    // Leave no empty `.partial/` folder behind either, as a successful download does.
    if let Some(partial_root) = path
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == PARTIAL_DIR))
    {
        remove_empty_dirs(path.parent(), partial_root);
    }
}

/// The finished download, when `path` already holds the file the hub describes.
fn already_present(
    path: &Path,
    metadata: &FileMetadata,
) -> Result<Option<Downloaded>, ModelsError> {
    let Ok(info) = fs::metadata(path) else {
        return Ok(None);
    };
    if !info.is_file() || metadata.size.is_some_and(|size| size != info.len()) {
        return Ok(None);
    }
    if metadata.size.is_none() && metadata.sha256.is_none() {
        // Nothing to compare with: download again rather than trust a stale file.
        return Ok(None);
    }
    let mut file = File::open(path).map_err(|e| ModelsError::io("open", path, e))?;
    let (size, hasher) = hash_reader(&mut file).map_err(|e| ModelsError::io("read", path, e))?;
    let sha256 = hex(&hasher.finalize());
    if metadata
        .sha256
        .as_ref()
        .is_some_and(|expected| *expected != sha256)
    {
        return Ok(None);
    }
    Ok(Some(Downloaded {
        path: path.to_path_buf(),
        size,
        sha256,
        hash_checked: metadata.sha256.is_some(),
        resumed_from: 0,
        already_present: true,
    }))
}

/// Hashes everything `reader` yields, leaving it at the end.
fn hash_reader(reader: &mut impl Read) -> std::io::Result<(u64, Sha256)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    let mut len = 0u64;
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return Ok((len, hasher)),
            Ok(read) => {
                hasher.update(&buffer[..read]);
                len += read as u64;
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

/// `bytes START-END/TOTAL` → (START, TOTAL); TOTAL is `*` when the server does not know.
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, size) = rest.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    let start = start.trim().parse().ok()?;
    let size = match size.trim() {
        "*" => None,
        size => Some(size.parse().ok()?),
    };
    Some((start, size))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    out
}

fn create_parent(path: &Path) -> Result<(), ModelsError> {
    match path.parent() {
        Some(parent) => {
            fs::create_dir_all(parent).map_err(|e| ModelsError::io("create the folder", parent, e))
        }
        None => Ok(()),
    }
}

/// Makes the rename itself durable; best effort, as not every platform can sync a folder.
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        if let Err(error) = File::open(parent).and_then(|dir| dir.sync_all()) {
            tracing::debug!(%error, "could not sync the destination folder");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Removes now-empty folders from `dir` up to and including `stop`, so a finished
/// download leaves no `.partial` clutter behind.
fn remove_empty_dirs(dir: Option<&Path>, stop: &Path) {
    let mut current = dir;
    while let Some(folder) = current {
        if !folder.starts_with(stop) || fs::remove_dir(folder).is_err() {
            return;
        }
        if folder == stop {
            return;
        }
        current = folder.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_is_parsed() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
        assert_eq!(parse_content_range("bytes x-2/3"), None);
    }

    #[test]
    fn hex_matches_known_digest() {
        let digest = Sha256::digest(b"abc");
        assert_eq!(
            hex(&digest),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn partial_file_hashes_existing_bytes_and_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.part");
        fs::write(&path, b"ab").unwrap();
        let mut part = PartFile::open(&path).unwrap();
        assert_eq!(part.len, 2);
        part.write(b"c").unwrap();
        let (len, sha) = part.finish().unwrap();
        assert_eq!(len, 3);
        assert_eq!(sha, hex(&Sha256::digest(b"abc")));
        assert_eq!(fs::read(&path).unwrap(), b"abc");
    }

    #[test]
    fn partial_file_reset_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.part");
        fs::write(&path, b"garbage").unwrap();
        let mut part = PartFile::open(&path).unwrap();
        part.reset().unwrap();
        part.write(b"abc").unwrap();
        let (len, sha) = part.finish().unwrap();
        assert_eq!((len, sha), (3, hex(&Sha256::digest(b"abc"))));
        assert_eq!(fs::read(&path).unwrap(), b"abc");
    }

    #[test]
    fn empty_partial_folders_are_removed_up_to_the_stop() {
        let dir = tempfile::tempdir().unwrap();
        let stop = dir.path().join(PARTIAL_DIR);
        let deep = stop.join("a/b");
        fs::create_dir_all(&deep).unwrap();
        remove_empty_dirs(Some(&deep), &stop);
        assert!(!stop.exists());
        assert!(dir.path().exists());
    }
}
