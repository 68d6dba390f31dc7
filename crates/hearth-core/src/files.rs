//! Files Hearth keeps for itself: private to the user, and safe when several Hearth
//! processes (the CLI, the desktop app, a server, a worker) use them at once.
//!
//! Everything Hearth keeps is the user's history, settings or keys, so on Unix its
//! folders are made 0700 and its files 0600, never whatever the umask allows.
//! A settings file several processes change (`config.toml`, `library.json`,
//! `secrets.json`) is only ever changed by [`update_locked`]: under an exclusive
//! advisory lock on a lock file beside it, the file is read as it is now, only this
//! change is applied, and the result replaces it atomically. A process that writes its
//! own copy from memory would erase what another process changed since it started.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{CoreError, Result};

/// Owner-only permissions of the folders Hearth makes.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// Owner-only permissions of the files Hearth writes.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// Creates `dir` and any missing parent, each owner-only (0700 on Unix).
pub fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(PRIVATE_DIR_MODE);
    }
    builder.create(dir)
}

/// Options that create a file readable by its owner only (0600 on Unix).
pub fn private_open_options() -> std::fs::OpenOptions {
    #[allow(unused_mut)]
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(PRIVATE_FILE_MODE);
    }
    options
}

/// Makes new files and folders of this process owner-only whatever creates them (a
/// library's own `fopen`, the log appender). The binaries call it first thing; the
/// code that writes Hearth's files sets their modes itself as well.
pub fn restrict_umask() {
    // SAFETY: umask only swaps the process's file-creation mask; it cannot fail.
    #[cfg(unix)]
    let _previous = unsafe { libc::umask(0o077) };
}

/// Narrows every folder and file under `root` (and `root` itself) that others may
/// read, write or enter to its owner. Symbolic links are neither followed nor changed.
/// Returns how many were narrowed.
pub fn narrow_tree(root: &Path) -> usize {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut narrowed = 0;
        for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
            if entry.file_type().is_symlink() {
                continue;
            }
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            let mode = metadata.permissions().mode() & 0o7777;
            if mode & 0o7077 == 0 {
                continue;
            }
            let owner_only = mode & 0o700;
            match std::fs::set_permissions(
                entry.path(),
                std::fs::Permissions::from_mode(owner_only),
            ) {
                Ok(()) => narrowed += 1,
                Err(error) => tracing::warn!(
                    path = %entry.path().display(),
                    %error,
                    "could not make a file of Hearth's private to its owner"
                ),
            }
        }
        narrowed
    }
    #[cfg(not(unix))]
    {
        let _ = root;
        0
    }
}

/// Narrows one folder (not what is in it) to its owner when others may enter or read
/// it; returns 1 when it did.
pub fn narrow_folder(dir: &Path) -> usize {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(metadata) = std::fs::symlink_metadata(dir) else {
            return 0;
        };
        let mode = metadata.permissions().mode() & 0o7777;
        if !metadata.is_dir() || mode & 0o7077 == 0 {
            return 0;
        }
        match std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700)) {
            Ok(()) => 1,
            Err(error) => {
                tracing::warn!(path = %dir.display(), %error, "could not make Hearth's home folder private to its owner");
                0
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        0
    }
}

/// Makes one file owner-only (0600) if it exists; for files another program created.
pub fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(PRIVATE_FILE_MODE))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

fn io_error(what: &str, path: &Path, source: std::io::Error) -> CoreError {
    CoreError::Io {
        what: format!("{what} {}", path.display()),
        source,
    }
}

/// A held exclusive lock on the lock file of one settings file; released when dropped
/// (and by the system when the process ends, so a crash leaves nothing locked).
pub(crate) struct FileLock {
    _file: File,
}

/// `.NAME.lock` beside `path`: the file stays (removing a lock file races with a
/// process that just opened it), it is empty and owner-only.
fn lock_file(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.lock"))
}

/// Waits for and takes the exclusive inter-process lock of `path`.
pub(crate) fn lock_beside(path: &Path) -> Result<FileLock> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir_all(dir).map_err(|e| io_error("creating the folder of", path, e))?;
    let lock = lock_file(path);
    let file = private_open_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .map_err(|e| io_error("opening the lock file", &lock, e))?;
    file.lock().map_err(|e| io_error("locking", &lock, e))?;
    Ok(FileLock { _file: file })
}

/// Changes the file at `path` by one edit, safely against other processes: under the
/// file's exclusive lock, `read` loads it as it is now, `change` edits that value, and
/// when the value changed `encode`'s bytes replace the file atomically. Returns the
/// value as it now is on disk and what `change` returned; an error from `change` leaves
/// the file untouched.
pub(crate) fn update_locked<T: Clone + PartialEq, R>(
    path: &Path,
    read: impl FnOnce(&Path) -> Result<T>,
    change: impl FnOnce(&mut T) -> Result<R>,
    encode: impl FnOnce(&T) -> Result<Vec<u8>>,
) -> Result<(T, R)> {
    let _lock = lock_beside(path)?;
    let before = read(path)?;
    let mut value = before.clone();
    let result = change(&mut value)?;
    if value != before || !path.exists() {
        write_private_atomically(path, &encode(&value)?)?;
    }
    Ok((value, result))
}

/// Temporary file (owner-only, a name no other writer uses), fsync, rename, fsync of
/// the folder: a crash or a full disk never leaves half a file, and the new file is
/// there after a power cut once this returns. The path may be one the user chose (an
/// export, a saved backup), so the temporary file is a hidden name of Hearth's own
/// beside it, never another file of theirs (`report.tmp` for `report.json`), and it is
/// removed when the write or the rename fails.
pub fn write_private_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir_all(dir).map_err(|e| io_error("creating the folder of", path, e))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let (tmp, mut file) = loop {
        let n = WRITES.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.hearth-{}-{n}.tmp", std::process::id()));
        match private_open_options()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => break (tmp, file),
            // Left by a crashed process whose id this one now has.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error("writing", path, e)),
        }
    };
    let written = file
        .write_all(bytes)
        .and_then(|_| file.sync_all())
        .and_then(|_| {
            drop(file);
            std::fs::rename(&tmp, path)
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_error("writing", path, e));
    }
    sync_folder(dir);
    Ok(())
}

/// Makes a rename in `dir` durable; best effort, as not every platform or file system
/// can sync a folder (Windows cannot open one as a file).
fn sync_folder(dir: &Path) {
    let synced = if cfg!(unix) {
        File::open(dir).and_then(|d| d.sync_all())
    } else {
        Ok(())
    };
    if let Err(error) = synced {
        tracing::debug!(dir = %dir.display(), %error, "could not sync the folder");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    #[test]
    fn locked_updates_from_many_threads_lose_nothing_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("list.json");
        let read = |p: &Path| -> Result<Vec<u32>> {
            match std::fs::read(p) {
                Ok(bytes) => Ok(serde_json::from_slice(&bytes).unwrap()),
                Err(_) => Ok(Vec::new()),
            }
        };
        std::thread::scope(|s| {
            for i in 0..32u32 {
                let path = &path;
                s.spawn(move || {
                    update_locked(
                        path,
                        read,
                        |list| {
                            list.push(i);
                            Ok(())
                        },
                        |list| Ok(serde_json::to_vec(list).unwrap()),
                    )
                    .unwrap();
                });
            }
        });
        let mut list = read(&path).unwrap();
        list.sort();
        assert_eq!(list, (0..32).collect::<Vec<_>>());
        let names: Vec<String> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        #[cfg(unix)]
        {
            assert_eq!(mode(&dir.path().join("sub")), 0o700);
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&dir.path().join("sub/.list.json.lock")), 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn narrowing_keeps_the_owner_bits_and_leaves_links_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let theirs = outside.path().join("model.gguf");
        std::fs::write(&theirs, b"x").unwrap();
        std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o644)).unwrap();
        let root = dir.path().join("data");
        std::fs::create_dir_all(root.join("models")).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(root.join("a.txt"), b"a").unwrap();
        std::fs::set_permissions(root.join("a.txt"), std::fs::Permissions::from_mode(0o664))
            .unwrap();
        std::os::unix::fs::symlink(&theirs, root.join("models/linked.gguf")).unwrap();
        assert!(narrow_tree(&root) >= 2);
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("models")), 0o700);
        assert_eq!(mode(&root.join("a.txt")), 0o600);
        assert_eq!(
            mode(&theirs),
            0o644,
            "a linked file is not Hearth's to change"
        );
        assert_eq!(narrow_tree(&root), 0);
    }
}
