//! What only a desktop app can do for the UI: native open dialogs (documents to read,
//! folders to index), the save dialog for what the UI offers as a download (the web
//! view drops `<a download>` links, so a backup or an export would silently go
//! nowhere), and a desktop notification when a long job ends while the window is in the
//! background.
//!
//! The page never holds a path it could make up: each file or folder the user chose in
//! a dialog, dropped on the window, opened from the menu or handed over by a second
//! launch is registered in [`ChosenPaths`], and the page gets an opaque handle and the
//! name to show. A request that names a path must name such a handle; [`crate::api`]
//! swaps it for the path before the server's handlers see it, and refuses anything else.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder, FilePath};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::oneshot;

use crate::api::CommandError;

/// The extensions Hearth reads (hearth-docs), for the dialog's filter.
pub const DOCUMENT_EXTENSIONS: &[&str] = &[
    "pdf", "docx", "epub", "html", "htm", "md", "markdown", "txt",
];

/// The prefix of every handle, so the page and the errors can tell one from a path.
pub const HANDLE_PREFIX: &str = "hearth-chosen:";

/// Files and folders the user chose (dialogs, drops, the menu, a second launch), by the
/// handle the page was given for each.
#[derive(Default)]
pub struct ChosenPaths {
    by_handle: Mutex<HashMap<String, PathBuf>>,
}

impl ChosenPaths {
    /// Registers a path the user chose and returns its new handle: random, so the page
    /// cannot guess one for a path it was not given.
    pub fn register(&self, path: PathBuf) -> String {
        let handle = format!("{HANDLE_PREFIX}{}", random_id());
        if let Ok(mut chosen) = self.by_handle.lock() {
            chosen.insert(handle.clone(), path);
        }
        handle
    }

    /// The path a handle stands for; None for anything not registered.
    pub fn path(&self, handle: &str) -> Option<PathBuf> {
        self.by_handle.lock().ok()?.get(handle).cloned()
    }
}

/// 128 random bits in hex, from the standard library's per-process random hash keys.
fn random_id() -> String {
    let word = || {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
        );
        hasher.finish()
    };
    format!("{:016x}{:016x}", word(), word())
}

/// A file or folder the user chose: the handle that stands for its path in requests,
/// and its name to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PickedFile {
    pub handle: String,
    pub name: String,
}

impl PickedFile {
    /// Registers `path` with `chosen` and describes it for the page.
    pub fn new(chosen: &ChosenPaths, path: PathBuf) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_string_lossy().into_owned());
        Self {
            handle: chosen.register(path),
            name,
        }
    }
}

/// Registers paths the user chose (a dialog's, a drop's) for the page: what pickers,
/// the menu, drops and second launches all go through.
pub fn choose<R: Runtime>(
    app: &AppHandle<R>,
    paths: impl IntoIterator<Item = PathBuf>,
) -> Vec<PickedFile> {
    // Before Hearth's state is in place (the first moments of a launch) nothing can be
    // chosen yet.
    let Some(desktop) = app.try_state::<crate::Desktop>() else {
        return Vec::new();
    };
    paths
        .into_iter()
        .map(|path| PickedFile::new(desktop.chosen(), path))
        .collect()
}

/// Files dropped on the window, for the page to take (`documents-dropped`).
#[derive(Debug, Clone, Serialize)]
pub struct DocumentsDropped {
    pub files: Vec<PickedFile>,
}

/// Files dropped on the window: registered, then handed to the page by handle.
pub fn dropped<R: Runtime>(app: &AppHandle<R>, paths: Vec<PathBuf>) {
    let files = choose(app, paths);
    if !files.is_empty() {
        let _ = app.emit("documents-dropped", DocumentsDropped { files });
    }
}

/// The open dialog for documents Hearth can read.
pub fn document_dialog<R: Runtime>(app: &AppHandle<R>) -> FileDialogBuilder<R> {
    app.dialog()
        .file()
        .set_title("Open a document")
        .add_filter("Documents", DOCUMENT_EXTENSIONS)
}

/// The local files among what a dialog returned, registered for the page.
pub fn picked<R: Runtime>(
    app: &AppHandle<R>,
    files: impl IntoIterator<Item = FilePath>,
) -> Vec<PickedFile> {
    choose(app, files.into_iter().filter_map(|f| f.into_path().ok()))
}

/// The open dialog for documents; empty when the user cancelled.
#[tauri::command]
pub async fn pick_documents<R: Runtime>(
    app: AppHandle<R>,
    multiple: bool,
) -> Result<Vec<PickedFile>, CommandError> {
    let (send, files) = oneshot::channel();
    let dialog = document_dialog(&app);
    if multiple {
        dialog.pick_files(move |files| {
            let _ = send.send(files.unwrap_or_default());
        });
    } else {
        dialog.pick_file(move |file| {
            let _ = send.send(file.into_iter().collect());
        });
    }
    Ok(picked(&app, files.await.unwrap_or_default()))
}

/// The open dialog for a GGUF file: a model to add, or a LoRA adapter for a chat. Its
/// handle is what the page sends; the server takes only `*.gguf` names from it.
#[tauri::command]
pub async fn pick_gguf<R: Runtime>(
    app: AppHandle<R>,
    title: String,
) -> Result<Option<PickedFile>, CommandError> {
    let (send, file) = oneshot::channel();
    app.dialog()
        .file()
        .set_title(title)
        .add_filter("GGUF models and adapters", &["gguf"])
        .pick_file(move |file| {
            let _ = send.send(file);
        });
    Ok(picked(&app, file.await.ok().flatten()).pop())
}

/// The dialog for a folder to add to a document collection or run a workflow on; None
/// when cancelled.
#[tauri::command]
pub async fn pick_folder<R: Runtime>(
    app: AppHandle<R>,
) -> Result<Option<PickedFile>, CommandError> {
    let (send, picked) = oneshot::channel();
    app.dialog()
        .file()
        .set_title("Choose a folder of documents")
        .pick_folder(move |folder| {
            let _ = send.send(folder);
        });
    Ok(picked
        .await
        .ok()
        .flatten()
        .and_then(|f| f.into_path().ok())
        .and_then(|path| choose(&app, [path]).pop()))
}

/// The save dialog for a file the UI made (an export, a backup), suggesting `name`;
/// writes `text` there and returns the path, or None when the user cancelled.
#[tauri::command]
pub async fn save_file<R: Runtime>(
    app: AppHandle<R>,
    name: String,
    text: String,
) -> Result<Option<String>, CommandError> {
    let (send, chosen) = oneshot::channel();
    app.dialog()
        .file()
        .set_title("Save a copy")
        .set_file_name(suggested_name(&name))
        .save_file(move |path| {
            let _ = send.send(path);
        });
    let Some(path) = chosen.await.ok().flatten().and_then(|p| p.into_path().ok()) else {
        return Ok(None);
    };
    tokio::task::spawn_blocking(move || write_chosen_file(&path, &text))
        .await
        .map_err(|e| CommandError::new("IO_ERROR", e.to_string()))?
        .map(Some)
}

/// A file name from what the page suggests: no folders, nothing a file system refuses.
pub fn suggested_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '-',
            c if c.is_control() => '-',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "hearth-export.txt".into()
    } else {
        cleaned
    }
}

/// Writes the saved file whole or not at all (a full disk leaves no half file), and says
/// where it went.
pub fn write_chosen_file(path: &Path, text: &str) -> Result<String, CommandError> {
    hearth_core::library::write_atomically(path, text.as_bytes()).map_err(|e| {
        CommandError::new(
            "IO_ERROR",
            format!(
                "could not save {}: {e}; choose another folder or free some space",
                path.display()
            ),
        )
    })?;
    Ok(path.to_string_lossy().into_owned())
}

/// Tells the user a job finished, when the window is not in front (else the page itself
/// shows it). Returns whether a notification was shown; a desktop without a
/// notification service is not an error, the result stays in the page.
#[tauri::command]
pub fn notify_finished<R: Runtime>(app: AppHandle<R>, title: String, body: String) -> bool {
    let in_front = app
        .get_webview_window(crate::MAIN_WINDOW)
        .and_then(|w| Some(w.is_focused().ok()? && w.is_visible().ok()? && !w.is_minimized().ok()?))
        .unwrap_or(false);
    if in_front {
        return false;
    }
    match app.notification().builder().title(title).body(body).show() {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(%error, "could not show a desktop notification");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suggested_name_cannot_leave_the_folder_the_user_chose() {
        assert_eq!(
            suggested_name("hearth-backup-2026-11-29.json"),
            "hearth-backup-2026-11-29.json"
        );
        assert_eq!(suggested_name("../../etc/passwd"), "-..-etc-passwd");
        assert_eq!(suggested_name("a\\b:c\n.md"), "a-b-c-.md");
        assert_eq!(suggested_name(" .hidden "), "hidden");
        assert_eq!(suggested_name(""), "hearth-export.txt");
        assert_eq!(suggested_name("Réunion 日本.md"), "Réunion 日本.md");
    }

    #[test]
    fn the_chosen_file_is_written_whole_and_a_failure_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup.json");
        std::fs::write(&path, "old").unwrap();
        let saved = write_chosen_file(&path, "{\"format\":\"hearth-history\"}").unwrap();
        assert_eq!(saved, path.to_string_lossy());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"format\":\"hearth-history\"}"
        );
        // A folder in the way of the file: refused with the path and a way out, and
        // nothing else left behind.
        let blocked = dir.path().join("taken");
        std::fs::create_dir(&blocked).unwrap();
        let error = write_chosen_file(&blocked, "x").unwrap_err();
        assert_eq!(error.code, "IO_ERROR");
        assert!(
            error.message.contains("taken") && error.message.contains("choose another folder"),
            "{}",
            error.message
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
