//! What happens around the window's start: the default model starts loading in the
//! background right away (the window, history and settings do not wait for it; the UI
//! shows its progress from `GET /api/models/loading`), and a second launch of the app
//! hands over to this one: the window comes to the front, and documents named on the
//! second launch's command line open here.

use std::path::PathBuf;

use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::menu::DocumentsOpened;
use crate::native::PickedFile;
use crate::{Desktop, MAIN_WINDOW};

/// Starts loading the default model on a thread of its own, if there is one.
pub fn begin<R: Runtime>(app: &AppHandle<R>) {
    let Some(hearth) = app.state::<Desktop>().hearth().cloned() else {
        return;
    };
    if hearth.config().default_model.is_none() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("hearth-preload".into())
        .spawn(move || {
            if let Err(error) = hearth.engine(None) {
                // The UI shows the same error from the loading status and again on
                // the first message; nothing else is lost.
                tracing::warn!(%error, "the default model did not load");
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "could not start loading the default model");
    }
}

/// A launch that met an instance on its way out (it took the handover message, then
/// quit without answering) starts over as a new process — GTK cannot be started twice in
/// one — which either hands over to a live instance or becomes the app. At most a few
/// times, half a second apart.
pub fn launch_again(reason: &str) -> anyhow::Result<tauri::App> {
    const VAR: &str = "HEARTH_DESKTOP_RELAUNCH";
    let tries: u32 = std::env::var(VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if tries >= 5 {
        anyhow::bail!("another Hearth window is closing and does not answer ({reason}); start Hearth again in a moment");
    }
    tracing::warn!(
        reason,
        "the running instance did not answer; starting again"
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    let program = std::env::current_exe()?;
    let mut command = std::process::Command::new(program);
    command
        .args(std::env::args_os().skip(1))
        .env(VAR, (tries + 1).to_string());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Only returns if the program could not be started.
        Err(command.exec().into())
    }
    #[cfg(not(unix))]
    {
        let status = command.status()?;
        std::process::exit(status.code().unwrap_or(1));
    }
}

/// A second launch: bring the window forward and open any documents it was given.
pub fn second_launch<R: Runtime>(app: &AppHandle<R>, argv: Vec<String>, cwd: String) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    let paths: Vec<PathBuf> = argv
        .iter()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(|a| PathBuf::from(&cwd).join(a))
        .filter(|p| p.is_file())
        .collect();
    let files: Vec<PickedFile> = crate::native::choose(app, paths);
    if !files.is_empty() {
        let _ = app.emit("documents-opened", DocumentsOpened { files });
    }
}
