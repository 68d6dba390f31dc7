//! Why a history operation failed, in terms a user (or the front end showing them) can
//! act on.
//!
//! Every message is lowercase, has no trailing period and ends with what to do. SQLite's
//! own errors keep their text but get advice chosen from the error code, because "disk
//! is full" and "database is locked" call for very different actions.

use std::io;
use std::path::PathBuf;

use rusqlite::ErrorCode;

/// What went wrong in the history store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conversation, message or persona that the caller named does not exist.
    #[error("{what} {id} not found; it may have been deleted — refresh the list and try again")]
    NotFound { what: &'static str, id: String },

    /// The database file is damaged.
    #[error("the history database is damaged ({detail}); restore it from a backup, or export what still reads and start a new history")]
    Corrupt { detail: String },

    /// The database was written by a newer Hearth with a schema this code does not know.
    #[error("the history database is at schema version {found}, but this version of Hearth only knows up to version {supported}; update Hearth to open it")]
    TooNew { found: u32, supported: u32 },

    /// The file is an SQLite database, but not one of Hearth's.
    #[error("{} is not a Hearth history database; choose another file or folder", .path.display())]
    NotHearth { path: PathBuf },

    /// An import file was rejected; nothing was written.
    #[error("cannot import this file: {reason}; nothing was imported — check that it is an unmodified Hearth JSON export")]
    InvalidImport { reason: String },

    /// An import would reuse an id that this history already has.
    #[error("{what} {id} is already in your history; delete it first, or import with new ids to keep both copies")]
    AlreadyExists { what: &'static str, id: String },

    /// Persona and collection names are unique (case-insensitively) so that people can
    /// pick them by name.
    #[error("a {what} named \"{name}\" already exists; choose another name")]
    NameTaken { what: &'static str, name: String },

    /// A value given to the store breaks one of its rules (empty tag, oversized text, ...).
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },

    /// Only an answer that is still being written may be checkpointed or finished.
    #[error("message {id} is already {state}, not streaming; start a new answer instead of updating this one")]
    NotStreaming { id: String, state: String },

    /// Writing an export to its destination failed.
    #[error("could not write the export: {source}; check that the destination is writable and has free space")]
    Write {
        #[source]
        source: io::Error,
    },

    /// Any other SQLite failure.
    #[error("history database error: {}; {}", .0, sqlite_advice(.0))]
    Sqlite(#[source] rusqlite::Error),

    /// The file system refused something (creating the data folder, reading a file).
    #[error("{}: {source}; check that the folder exists and is writable", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Damage reported by SQLite anywhere becomes [`StoreError::Corrupt`], not a generic error.
impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        StoreError::from_sqlite(err)
    }
}

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub(crate) fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            what,
            id: id.into(),
        }
    }

    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        StoreError::Invalid {
            what,
            reason: reason.into(),
        }
    }

    pub(crate) fn import(reason: impl Into<String>) -> Self {
        StoreError::InvalidImport {
            reason: reason.into(),
        }
    }

    /// Turns SQLite's "this is not a database" and "corrupt" codes into [`StoreError::Corrupt`],
    /// so callers can offer recovery instead of a generic database error.
    pub(crate) fn from_sqlite(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => {
                StoreError::Corrupt {
                    detail: err.to_string(),
                }
            }
            _ => StoreError::Sqlite(err),
        }
    }
}

fn sqlite_advice(err: &rusqlite::Error) -> &'static str {
    match err.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => "free some disk space and try again",
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
            "another program is using the history; close other Hearth windows and try again"
        }
        Some(ErrorCode::ReadOnly)
        | Some(ErrorCode::CannotOpen)
        | Some(ErrorCode::PermissionDenied) => "check that the data folder is writable",
        Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => {
            "the file is damaged; restore it from a backup"
        }
        Some(ErrorCode::SystemIoFailure) => "check the disk and try again",
        _ => "try again, and report a bug if it keeps happening",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_and_say_what_to_do() {
        let errors = [
            StoreError::not_found("conversation", "abc"),
            StoreError::TooNew {
                found: 9,
                supported: 3,
            },
            StoreError::import("invalid json"),
            StoreError::NameTaken {
                what: "persona",
                name: "Lawyer".into(),
            },
        ];
        for err in errors {
            let text = err.to_string();
            let first = text.chars().next().unwrap_or('X');
            assert!(!first.is_uppercase(), "{text}");
            assert!(!text.ends_with('.'), "{text}");
            assert!(text.contains(';'), "no advice in: {text}");
        }
        assert_eq!(
            StoreError::TooNew {
                found: 9,
                supported: 3
            }
            .to_string(),
            "the history database is at schema version 9, but this version of Hearth only knows up to version 3; update Hearth to open it"
        );
    }
}
