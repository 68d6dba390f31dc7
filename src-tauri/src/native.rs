//! What only a desktop app can do for the UI: native open dialogs (documents to read,
//! folders to index) and a desktop notification when a long job ends while the window
//! is in the background. Dropped files arrive through the web view's own drag-and-drop
//! events, as paths, like the files these dialogs return.

use std::path::PathBuf;

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
