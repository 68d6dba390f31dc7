//! Hearth's desktop app: a Tauri window showing the web UI (`ui/`, embedded in the
//! binary), whose transport calls the app API over IPC instead of HTTP ([`api`]), plus
//! what only a desktop app has ([`native`] dialogs and notifications, the [`menu`],
//! drag-and-drop, one instance, the window's place remembered). It holds no assistant
//! logic: every feature is the server's handler for it, a thin call on the `Hearth`
//! facade, reached without a socket.
//!
//! [`app`] adds Hearth's state and commands to any `tauri::Builder`, so the command tests
//! run it on Tauri's mock runtime; [`run`] adds the real window's plugins and runs it.

pub mod api;
mod menu;
pub mod native;
mod place;
pub mod sse;
mod startup;

use std::sync::Arc;

use hearth_core::Hearth;
use tauri::{Manager, Runtime};

use crate::api::{CommandError, InProcessApi};
use crate::native::ChosenPaths;

/// The label of the one window.
pub const MAIN_WINDOW: &str = "main";

/// What the commands share: the app API in process, or why Hearth could not open (a
/// damaged settings file, an unreadable data folder), which every request then reports.
pub struct Desktop {
    api: Result<Arc<InProcessApi>, CommandError>,
    hearth: Option<Arc<Hearth>>,
    chosen: Arc<ChosenPaths>,
    /// Keeps watched collections indexed while the app runs; stopped at exit.
    watcher: std::sync::Mutex<Option<hearth_core::ask::CollectionWatcher>>,
}

impl Desktop {
    pub fn new(hearth: hearth_core::Result<Hearth>) -> Self {
        let chosen = Arc::new(ChosenPaths::default());
        match hearth {
            Ok(hearth) => {
                let hearth = Arc::new(hearth);
                let watcher = hearth
                    .watch_collections()
                    .map_err(|error| tracing::warn!(%error, "collections' folders are not watched"))
                    .ok();
                Self {
                    api: Ok(Arc::new(InProcessApi::new(hearth.clone(), chosen.clone()))),
                    hearth: Some(hearth),
                    chosen,
                    watcher: std::sync::Mutex::new(watcher),
                }
            }
            Err(error) => {
                tracing::error!(%error, "Hearth could not open its data");
                Self {
                    api: Err(CommandError::new(
                        "STARTUP_FAILED",
                        format!("Hearth could not open its data: {error}"),
                    )),
                    hearth: None,
                    chosen,
                    watcher: std::sync::Mutex::new(None),
                }
            }
        }
    }

    /// Before the process ends: open streams stop and their answers are kept as stopped
    /// (as when the server shuts down), and the models stop, saving their conversation
    /// contexts for the next launch.
    pub fn shut_down(&self) {
        if let Ok(api) = &self.api {
            api.cancel_all();
        }
        // Stops after the file being indexed, if any; its index stays whole.
        if let Ok(mut watcher) = self.watcher.lock() {
            watcher.take();
        }
        if let Some(hearth) = &self.hearth {
            hearth.unload_models();
        }
    }

    pub fn api(&self) -> Result<Arc<InProcessApi>, CommandError> {
        self.api.clone()
    }

    pub fn hearth(&self) -> Option<&Arc<Hearth>> {
        self.hearth.as_ref()
    }

    /// The files and folders the user chose, by the handles the page holds for them.
    pub fn chosen(&self) -> &ChosenPaths {
        &self.chosen
    }
}

/// Hearth's state and commands on `builder`; the rest of the app (plugins, window) is
/// the caller's, so tests can use Tauri's mock runtime.
pub fn app<R: Runtime>(builder: tauri::Builder<R>, desktop: Desktop) -> tauri::Builder<R> {
    commands(builder.manage(desktop))
}

/// Hearth's commands, without its state.
fn commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        api::api_request,
        api::api_stream,
        api::api_cancel,
        api::api_text,
        native::pick_documents,
        native::pick_folder,
        native::pick_gguf,
        native::save_file,
        native::notify_finished,
    ])
}

/// The app's configuration, capabilities and embedded UI, as built from tauri.conf.json;
/// generic so the command tests run under the same access rules on the mock runtime.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// The real app: plugins, menu, window handlers and Hearth's commands.
fn build_app() -> anyhow::Result<tauri::App> {
    let builder = tauri::Builder::default()
        // First: a second launch must hand over before it opens anything of its own.
        // The plugin does that inside `build` below (it passes its arguments on and
        // exits), so Hearth opens its data only after `build`: a second launch never
        // touches the history that the first is writing.
        .plugin(tauri_plugin_single_instance::init(startup::second_launch))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .menu(menu::build)
        .on_menu_event(menu::handle)
        .on_window_event(|window, event| match event {
            tauri::WindowEvent::Moved(_) | tauri::WindowEvent::Resized(_) => {
                place::changed(window.app_handle());
            }
            // Dropped files reach the page by handle, like the dialogs' (native.rs).
            tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) => {
                native::dropped(window.app_handle(), paths.clone());
            }
            _ => {}
        })
        .setup(|app| {
            startup::begin(app.handle());
            Ok(())
        });
    let app = match commands(builder).build(context()) {
        Ok(app) => app,
        Err(error) if error.to_string().contains("single-instance") => {
            return startup::launch_again(&error.to_string());
        }
        Err(error) => return Err(error.into()),
    };
    // This launch is the one instance. The window and the setup hook, the first users
    // of this state, come when the app runs.
    app.manage(Desktop::new(Hearth::open_default()));
    Ok(app)
}

/// Runs the desktop app until its window closes.
pub fn run() -> anyhow::Result<()> {
    let app = build_app()?;
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            // Let a new launch be the app while this one still saves: without this, a
            // launch in the next moments hands over to a process that no longer answers.
            tauri_plugin_single_instance::destroy(handle);
            handle.state::<Desktop>().shut_down();
        }
    });
    Ok(())
}
