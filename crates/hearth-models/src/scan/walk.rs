//! A bounded walk over a folder tree that yields `.gguf` files, shared by the app
//! scanners whose layouts are "GGUF files somewhere below this folder".

use std::fs;
use std::path::{Path, PathBuf};

use super::{Collector, SourceApp};

/// Whether `path` names a GGUF file (by extension, case-insensitive).
pub(super) fn is_gguf(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| ext.eq_ignore_ascii_case("gguf"))
}

/// The `.gguf` files below `root`, at most `max_depth` folders deep, in name order.
///
/// Symlinks are followed (the Hugging Face cache is made of them); the depth bound is
/// what keeps a symlink loop from running forever. Folders that cannot be read are
/// reported to `found` as skipped. A missing `root` yields nothing.
pub(super) fn gguf_files(
    root: &Path,
    max_depth: usize,
    source: SourceApp,
    found: &mut Collector,
) -> Vec<PathBuf> {
    let mut files = Vec::new();
    walk(root, max_depth, source, found, &mut files);
    files
}

fn walk(
    dir: &Path,
    depth_left: usize,
    source: SourceApp,
    found: &mut Collector,
    files: &mut Vec<PathBuf>,
) {
    for entry in sorted_entries(dir, source, found) {
        // `metadata` follows symlinks, so a link to a file or a folder counts as that;
        // a dangling link is left to the collector, which reports it.
        let is_dir = fs::metadata(&entry).is_ok_and(|info| info.is_dir());
        if is_dir && depth_left > 0 {
            walk(&entry, depth_left - 1, source, found, files);
        } else if !is_dir && is_gguf(&entry) {
            files.push(entry);
        }
    }
}

/// The entries of `dir` in name order; empty (and reported) when it cannot be read,
/// empty and silent when it does not exist.
pub(super) fn sorted_entries(dir: &Path, source: SourceApp, found: &mut Collector) -> Vec<PathBuf> {
    let reader = match fs::read_dir(dir) {
        Ok(reader) => reader,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(error) => {
            found.skip(
                source,
                dir.to_path_buf(),
                format!("cannot list this folder: {error}"),
            );
            return Vec::new();
        }
    };
    let mut entries = Vec::new();
    for entry in reader {
        match entry {
            Ok(entry) => entries.push(entry.path()),
            Err(error) => found.skip(
                source,
                dir.to_path_buf(),
                format!("cannot list this folder: {error}"),
            ),
        }
    }
    entries.sort();
    entries
}

/// `path` relative to `root`, with `/` separators whatever the platform.
pub(super) fn relative_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
