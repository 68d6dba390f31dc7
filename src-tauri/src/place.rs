//! The window's size and place, kept between launches by the window-state plugin. The
//! plugin writes them when the app exits normally; they are also written shortly after
//! the window stops moving or resizing, so a crash or a killed process does not lose
//! them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Runtime};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

/// Bumped on every move or resize; a write happens only if no newer one came.
static LATEST: AtomicU64 = AtomicU64::new(0);
const SETTLE: Duration = Duration::from_millis(400);

/// Called on every move and resize of the window.
pub fn changed<R: Runtime>(app: &AppHandle<R>) {
    let mine = LATEST.fetch_add(1, Ordering::SeqCst) + 1;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(SETTLE).await;
        if LATEST.load(Ordering::SeqCst) == mine {
            if let Err(error) = app.save_window_state(StateFlags::all()) {
                tracing::warn!(%error, "could not save the window's size and place");
            }
        }
    });
}
