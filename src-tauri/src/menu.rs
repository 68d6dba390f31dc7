//! The window's menu: the platform's standard items (quit, edit, window) with their
//! usual shortcuts, and Hearth's own (new chat, open a document, settings, the pages).
//! Hearth's items tell the web view where to go through the `navigate` event, and an
//! opened document through `documents-opened`, as a drop does.

use serde::Serialize;
use tauri::menu::{AboutMetadata, Menu, MenuBuilder, MenuEvent, MenuItemBuilder, SubmenuBuilder};
use tauri::{AppHandle, Emitter, Runtime};

use crate::native::{document_dialog, picked, PickedFile};

/// Hearth's own menu items: id, label, shortcut, and the page (hash route) it opens.
const PAGES: &[(&str, &str, &str, &str)] = &[
    ("new-chat", "New Chat", "CmdOrCtrl+N", "#/chat"),
    ("go-summarize", "Summarize", "CmdOrCtrl+2", "#/summarize"),
    ("go-translate", "Translate", "CmdOrCtrl+3", "#/translate"),
    ("go-documents", "Documents", "CmdOrCtrl+4", "#/documents"),
    ("go-models", "Models", "CmdOrCtrl+5", "#/models"),
    ("go-activity", "Activity", "CmdOrCtrl+6", "#/activity"),
    ("go-workflows", "Workflows", "CmdOrCtrl+7", "#/workflows"),
    ("settings", "Settings…", "CmdOrCtrl+,", "#/settings"),
];

const OPEN_DOCUMENT: &str = "open-document";

/// Documents the user opened from the menu or a second launch, for the page to take.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentsOpened {
    pub files: Vec<PickedFile>,
}

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let item = |id: &str| -> tauri::Result<_> {
        let (id, label, shortcut, _) = PAGES
            .iter()
            .find(|p| p.0 == id)
            .copied()
            .unwrap_or_default();
        MenuItemBuilder::with_id(id, label)
            .accelerator(shortcut)
            .build(app)
    };
    let file = SubmenuBuilder::new(app, "File")
        .item(&item("new-chat")?)
        .item(
            &MenuItemBuilder::with_id(OPEN_DOCUMENT, "Open Document…")
                .accelerator("CmdOrCtrl+O")
                .build(app)?,
        )
        .separator()
        .item(&item("settings")?)
        .separator()
        .quit()
        .build()?;
    let edit = SubmenuBuilder::new(app, "Edit")
        .undo()
        .redo()
        .separator()
        .cut()
        .copy()
        .paste()
        .select_all()
        .build()?;
    let view = SubmenuBuilder::new(app, "Go")
        .item(&item("go-summarize")?)
        .item(&item("go-translate")?)
        .item(&item("go-documents")?)
        .item(&item("go-models")?)
        .item(&item("go-activity")?)
        .item(&item("go-workflows")?)
        .separator()
        .fullscreen()
        .build()?;
    let window = SubmenuBuilder::new(app, "Window")
        .minimize()
        .maximize()
        .separator()
        .close_window()
        .build()?;
    let about = AboutMetadata {
        name: Some("Hearth".into()),
        version: Some(env!("CARGO_PKG_VERSION").into()),
        comments: Some("A private, offline AI assistant".into()),
        license: Some("Apache-2.0".into()),
        ..Default::default()
    };
    let help = SubmenuBuilder::new(app, "Help")
        .about(Some(about))
        .build()?;
    MenuBuilder::new(app)
        .items(&[&file, &edit, &view, &window, &help])
        .build()
}

pub fn handle<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let id = event.id().as_ref();
    if let Some((_, _, _, route)) = PAGES.iter().find(|p| p.0 == id) {
        let _ = app.emit("navigate", *route);
    } else if id == OPEN_DOCUMENT {
        let app = app.clone();
        document_dialog(&app.clone()).pick_files(move |files| {
            let files = picked(&app, files.unwrap_or_default());
            if !files.is_empty() {
                let _ = app.emit("documents-opened", DocumentsOpened { files });
            }
        });
    }
}
