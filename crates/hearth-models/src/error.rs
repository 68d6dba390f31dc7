//! The errors of the model library: what went wrong while downloading, scanning or
//! reading the catalog, in terms a user can act on.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in this crate.
///
/// Front ends map it to `{ code, message, details }` with [`ModelsError::code`]; the
/// `Display` text is the message, and it always says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    #[error("invalid {what} '{value}': {reason}")]
    InvalidName {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("repository {repo} was not found on the hub; check the repo id (owner/name)")]
    RepoNotFound { repo: String },
    #[error("revision '{revision}' does not exist in {repo}; check the branch, tag or commit")]
    RevisionNotFound { repo: String, revision: String },
    #[error(
        "could not find {file} in {repo} at revision {revision}: the repo or the file does not \
         exist; check both names on the model's page"
    )]
    FileNotFound {
        repo: String,
        file: String,
        revision: String,
    },
    #[error(
        "hugging face refused access to {repo}: it is private, gated or does not exist; check the \
         repo id, and for a gated or private model accept its license on its page and set HF_TOKEN \
         to an access token"
    )]
    TokenRequired { repo: String },
    #[error(
        "the token in HF_TOKEN may not read {repo}; accept the model's license on its page, or use \
         a token with read access"
    )]
    TokenRejected { repo: String },
    #[error("the server answered http {status} for {url}; try again later")]
    Http { url: String, status: u16 },
    #[error(
        "could not download from {url}: {reason}; check the network connection and try again \
         (the download resumes where it stopped)"
    )]
    Network { url: String, reason: String },
    #[error("unexpected answer from {url}: {reason}; try again")]
    BadResponse { url: String, reason: String },
    #[error(
        "the download of {file} was corrupted (sha256 {actual}, the hub says {expected}); the \
         partial file was deleted, try again"
    )]
    HashMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error(
        "the download of {file} has {actual} bytes but the hub says {expected}; the partial file \
         was deleted, try again"
    )]
    SizeMismatch {
        file: String,
        expected: u64,
        actual: u64,
    },
    #[error("the download of {file} was cancelled; start it again to resume where it stopped")]
    Cancelled { file: String },
    #[error(
        "could not {action} {path}: {source}; check that the folder is writable and has free space"
    )]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("there is no model '{id}' in the catalog; known ids: {known}")]
    UnknownModel { id: String, known: String },
    #[error("the model catalog is invalid: {reason}; fix assets/catalog.toml")]
    Catalog { reason: String },
}

impl ModelsError {
    /// A stable SCREAMING_SNAKE_CASE code for wire formats and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            ModelsError::InvalidName { .. } => "INVALID_NAME",
            ModelsError::RepoNotFound { .. } => "REPO_NOT_FOUND",
            ModelsError::RevisionNotFound { .. } => "REVISION_NOT_FOUND",
            ModelsError::FileNotFound { .. } => "FILE_NOT_FOUND",
            ModelsError::TokenRequired { .. } => "TOKEN_REQUIRED",
            ModelsError::TokenRejected { .. } => "TOKEN_REJECTED",
            ModelsError::Http { .. } => "HTTP_STATUS",
            ModelsError::Network { .. } => "NETWORK",
            ModelsError::BadResponse { .. } => "BAD_RESPONSE",
            ModelsError::HashMismatch { .. } => "HASH_MISMATCH",
            ModelsError::SizeMismatch { .. } => "SIZE_MISMATCH",
            ModelsError::Cancelled { .. } => "CANCELLED",
            ModelsError::Io { .. } => "IO",
            ModelsError::UnknownModel { .. } => "UNKNOWN_MODEL",
            ModelsError::Catalog { .. } => "INVALID_CATALOG",
        }
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        ModelsError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_without_trailing_period() {
        let samples = [
            ModelsError::FileNotFound {
                repo: "a/b".into(),
                file: "c.gguf".into(),
                revision: "main".into(),
            },
            ModelsError::TokenRequired { repo: "a/b".into() },
            ModelsError::HashMismatch {
                file: "c.gguf".into(),
                expected: "00".into(),
                actual: "11".into(),
            },
            ModelsError::Cancelled {
                file: "c.gguf".into(),
            },
        ];
        for error in samples {
            let message = error.to_string();
            let first = message.chars().next().unwrap_or('X');
            assert!(!first.is_uppercase(), "{message}");
            assert!(!message.ends_with('.'), "{message}");
        }
    }
}
