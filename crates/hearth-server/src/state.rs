//! What every handler shares: the `Hearth` facade and the registry of running jobs
//! (chat answers, summaries, translations, downloads) that a client may cancel by id.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use hearth_core::Hearth;

use crate::error::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub hearth: Arc<Hearth>,
    pub jobs: Arc<Jobs>,
    /// Whether and how requests may name files and folders on this computer (documents
    /// to read, summarize or translate, collection sources, workflow inputs).
    pub paths: PathInputs,
}

/// Whether requests may name files and folders on this computer by path.
#[derive(Clone, Default)]
pub enum PathInputs {
    /// Refused with `PATHS_DISABLED`: documents come as uploads. The default, and what
    /// `hearth serve` does unless started with `--allow-paths`.
    #[default]
    Disabled,
    /// Any path (`hearth serve --allow-paths`); only documents are read from it.
    Allowed,
    /// Only handles the front end registered for paths the user chose (the desktop
    /// app's dialogs and drops), each swapped here for its path; anything else,
    /// a path the page made up included, is refused with `PATH_NOT_CHOSEN`.
    Chosen(Arc<PathLookup>),
}

/// The front end's lookup from a handle to the path the user chose.
pub type PathLookup = dyn Fn(&str) -> Option<PathBuf> + Send + Sync;

impl AppState {
    pub fn new(hearth: Arc<Hearth>) -> Self {
        Self {
            hearth,
            jobs: Arc::default(),
            paths: PathInputs::Disabled,
        }
    }

    /// The same state, taking paths in requests as `paths` says.
    pub fn with_paths(mut self, paths: PathInputs) -> Self {
        self.paths = paths;
        self
    }

    /// The path a request names in `field`, or why it is refused: paths are off, the
    /// handle was not given by the front end, the file's name is not a document's (a
    /// folder passes: walking one takes only documents), it leads into Hearth's own
    /// folders, or the file opens like a secret. Reading it checks again, whole
    /// ([`hearth_core::access`]).
    pub fn path_input(&self, field: &str, given: &str) -> Result<PathBuf, ApiError> {
        let refuse = |status, code: &str, message: &str| ApiError {
            field: Some(field.to_owned()),
            ..ApiError::new(status, code, message)
        };
        let path = match &self.paths {
            PathInputs::Disabled => {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    "PATHS_DISABLED",
                    "this server does not read files by their path on this computer; upload the file's contents instead (`data_base64` with its `name`), or start the server with `hearth serve --allow-paths` to let requests name documents on this computer",
                ))
            }
            PathInputs::Allowed => PathBuf::from(given),
            PathInputs::Chosen(lookup) => lookup(given).ok_or_else(|| {
                refuse(
                    StatusCode::FORBIDDEN,
                    "PATH_NOT_CHOSEN",
                    "the app reads only files and folders chosen in its open dialog or dropped on its window; choose the file again",
                )
            })?,
        };
        // Refused before any job starts: a file whose name is not a document's, a path
        // into Hearth's own folders, a file that opens like a secret.
        hearth_core::access::require_document_name(&path)
            .and_then(|()| self.hearth.document_guard().check(&path))
            .map_err(|e| {
                let mut error = ApiError::from(e);
                error.field = Some(field.to_owned());
                error
            })?;
        Ok(path)
    }
}

impl AppState {
    /// The path of a model or LoRA adapter file a request names in `field`: refused
    /// like a document path when paths are off or the handle was not given, and any
    /// name but `*.gguf` is refused before the file is opened, so a request cannot use
    /// the model loader to probe or read other files (a bad header's error would quote
    /// its first bytes).
    pub fn gguf_path_input(&self, field: &str, given: &str) -> Result<PathBuf, ApiError> {
        let refuse = |status, code: &str, message: String| ApiError {
            field: Some(field.to_owned()),
            ..ApiError::new(status, code, message)
        };
        let path = match &self.paths {
            PathInputs::Disabled => {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    "PATHS_DISABLED",
                    "this server does not open files by their path on this computer; add the model with `hearth models add FILE` on the command line, or start the server with `hearth serve --allow-paths`".into(),
                ))
            }
            PathInputs::Allowed => PathBuf::from(given),
            PathInputs::Chosen(lookup) => lookup(given).ok_or_else(|| {
                refuse(
                    StatusCode::FORBIDDEN,
                    "PATH_NOT_CHOSEN",
                    "the app opens only files chosen in its open dialog or dropped on its window; choose the file again".into(),
                )
            })?,
        };
        let is_gguf = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gguf"));
        if !is_gguf {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "NOT_A_GGUF_NAME",
                format!(
                    "{} is not a .gguf file; models and LoRA adapters are GGUF files whose names end in .gguf",
                    path.display()
                ),
            ));
        }
        Ok(path)
    }
}

type Cancel = Box<dyn Fn() + Send + Sync>;

/// Running jobs by id. A job removes itself when it ends (through [`JobEntry`]'s drop),
/// so the registry holds only what can still be cancelled.
#[derive(Default)]
pub struct Jobs {
    running: Mutex<HashMap<String, Cancel>>,
}

impl Jobs {
    /// Registers a job; keep the entry for as long as the job runs. Dropping the entry
    /// cancels the job too, so a job whose client went away does not run on unseen.
    pub fn register(
        self: &Arc<Self>,
        id: String,
        cancel: impl Fn() + Send + Sync + 'static,
    ) -> JobEntry {
        if let Ok(mut running) = self.running.lock() {
            running.insert(id.clone(), Box::new(cancel));
        }
        JobEntry {
            jobs: self.clone(),
            id,
        }
    }

    /// Cancels a running job; false when no job has that id (it finished, or never was).
    pub fn cancel(&self, id: &str) -> bool {
        let Ok(running) = self.running.lock() else {
            return false;
        };
        match running.get(id) {
            Some(cancel) => {
                cancel();
                true
            }
            None => false,
        }
    }

    /// Cancels every running job (at shutdown, so open streams end and the server can stop).
    pub fn cancel_all(&self) {
        if let Ok(running) = self.running.lock() {
            for cancel in running.values() {
                cancel();
            }
        }
    }

    pub fn count(&self) -> usize {
        self.running.lock().map(|r| r.len()).unwrap_or_default()
    }
}

/// A registered job; dropping it cancels the job (a no-op once finished) and forgets it.
pub struct JobEntry {
    jobs: Arc<Jobs>,
    pub id: String,
}

impl Drop for JobEntry {
    fn drop(&mut self) {
        if let Ok(mut running) = self.jobs.running.lock() {
            if let Some(cancel) = running.remove(&self.id) {
                cancel();
            }
        }
    }
}
