//! Deleting everything the user wrote or gave Hearth: the history (conversations,
//! documents' passages and vectors, the audit log, workflows, prompts and their runs),
//! saved conversation contexts and every other cache, the logs, API keys, and the
//! names listed for redaction. Models and the other settings stay, so Hearth works
//! again at once, as after a fresh install with the same models.
//!
//! "Nothing left on disk" is meant literally for Hearth's folders: the database is
//! removed and recreated rather than emptied (free pages and the write-ahead log keep
//! old text otherwise), log files are emptied before they are removed (a logger that
//! still holds one open writes into nothing). A test scans every byte of the folders.

use std::path::Path;

use hearth_store::ErasedHistory;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::hearth::Hearth;

/// What was deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedEverything {
    pub history: ErasedHistory,
    /// Cache and log files removed.
    pub files: u64,
    pub bytes: u64,
    /// Providers whose API key was forgotten.
    pub keys: usize,
}

impl Hearth {
    /// Deletes everything but the models and settings (see the module docs). Models
    /// are stopped first, as they save conversation contexts when they stop.
    pub fn delete_everything(&self) -> Result<DeletedEverything> {
        self.unload_models();
        let history = self.store.erase_all()?;
        // No collection is left to watch.
        self.watch_hub.refresh(None);
        let mut deleted = DeletedEverything {
            history,
            ..DeletedEverything::default()
        };
        for folder in [&self.paths.cache, &self.paths.logs] {
            empty_folder(folder, &mut deleted)?;
        }
        let config = self.config();
        let providers: Vec<String> = config.providers.iter().map(|p| p.name.clone()).collect();
        deleted.keys = self.secrets.delete_all(&providers)?;
        if !config.redaction.names.is_empty() {
            self.update_config(|c| c.redaction.names.clear())?;
        }
        tracing::info!(
            conversations = deleted.history.conversations,
            files = deleted.files,
            "deleted everything at the user's request"
        );
        Ok(deleted)
    }
}

/// Removes everything inside `folder`, keeping the folder. Each file is emptied before
/// it is removed, so a process that still has it open cannot keep its contents.
fn empty_folder(folder: &Path, deleted: &mut DeletedEverything) -> Result<()> {
    let io = |what: String, source| CoreError::Io { what, source };
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(format!("reading {}", folder.display()), e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io(format!("reading {}", folder.display()), e))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| io(format!("reading {}", path.display()), e))?;
        if kind.is_dir() {
            empty_folder(&path, deleted)?;
            std::fs::remove_dir(&path).map_err(|e| {
                io(
                    format!("removing {} (delete it by hand)", path.display()),
                    e,
                )
            })?;
            continue;
        }
        if kind.is_file() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            // Truncating through a fresh handle reaches the data a logger's open handle
            // points at too.
            std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&path)
                .map_err(|e| {
                    io(
                        format!("emptying {} (delete it by hand)", path.display()),
                        e,
                    )
                })?;
            deleted.bytes += size;
        }
        std::fs::remove_file(&path).map_err(|e| {
            io(
                format!("removing {} (delete it by hand)", path.display()),
                e,
            )
        })?;
        deleted.files += 1;
    }
    Ok(())
}
