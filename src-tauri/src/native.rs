//! What only a desktop app can do for the UI: native open dialogs (documents to read,
//! folders to index), the save dialog for what the UI offers as a download (the web
//! view drops `<a download>` links, so a backup or an export would silently go
//! nowhere), and a desktop notification when a long job ends while the window is in the
//! background. Dropped files arrive through the web view's own drag-and-drop
//! events, as paths, like the files these dialogs return.

use std::path::{Path, PathBuf};

use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder, FilePath};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::oneshot;

use crate::api::CommandError;

/// The extensions Hearth reads (hearth-docs), for the dialog's filter.
pub const DOCUMENT_EXTENSIONS: &[&str] = &[
    "pdf", "docx", "epub", "html", "htm", "md", "markdown", "txt",
];

/// A file the user chose: its path (the app API reads it from there) and its name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PickedFile {
    pub path: String,
    pub name: String,
}

impl PickedFile {
    pub fn new(path: PathBuf) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self {
            path: path.to_string_lossy().into_owned(),
            name,
        }
    }
}

/// The open dialog for documents Hearth can read.
pub fn document_dialog<R: Runtime>(app: &AppHandle<R>) -> FileDialogBuilder<R> {
    app.dialog()
        .file()
        .set_title("Open a document")
        .add_filter("Documents", DOCUMENT_EXTENSIONS)
}

/// The local files among what a dialog returned.
pub fn picked(files: impl IntoIterator<Item = FilePath>) -> Vec<PickedFile> {
    files
        .into_iter()
        .filter_map(|f| f.into_path().ok())
        .map(PickedFile::new)
        .collect()
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
    Ok(picked(files.await.unwrap_or_default()))
}

/// The dialog for a folder to add to a document collection; None when cancelled.
#[tauri::command]
pub async fn pick_folder<R: Runtime>(app: AppHandle<R>) -> Result<Option<String>, CommandError> {
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
        .map(|p| p.to_string_lossy().into_owned()))
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
