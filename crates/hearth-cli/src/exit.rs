//! Exit codes a script can rely on, derived from the error's stable code.

use hearth_core::{CoreError, ErrorKind};

pub const OK: i32 = 0;
pub const ERROR: i32 = 1;
pub const MODEL_MISSING: i32 = 3;
pub const MODEL_INVALID: i32 = 4;
pub const INPUT_TOO_LARGE: i32 = 5;
/// `hearth check` found a sentence its sources do not support.
pub const NOT_GROUNDED: i32 = 6;
/// `hearth translate` wrote its output, but the model did not translate some units
/// (it copied them or answered in another language); they are listed on stderr.
pub const NOT_TRANSLATED: i32 = 7;
pub const INTERRUPTED: i32 = 130;

pub fn code_for(error: &anyhow::Error) -> i32 {
    match error.downcast_ref::<CoreError>() {
        Some(core) => code_for_kind(core.kind()),
        None => ERROR,
    }
}

/// The one place an error's kind becomes an exit code.
pub fn code_for_kind(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::ModelNotFound | ErrorKind::NoModel => MODEL_MISSING,
        ErrorKind::ModelUnusable | ErrorKind::LoadFailed => MODEL_INVALID,
        ErrorKind::TooLarge => INPUT_TOO_LARGE,
        ErrorKind::Cancelled => INTERRUPTED,
        ErrorKind::Invalid
        | ErrorKind::NotFound
        | ErrorKind::Conflict
        | ErrorKind::Forbidden
        | ErrorKind::Unavailable
        | ErrorKind::Remote
        | ErrorKind::RateLimited
        | ErrorKind::Internal => ERROR,
    }
}

/// The error's code for `--json` output.
pub fn error_code(error: &anyhow::Error) -> &'static str {
    error
        .downcast_ref::<CoreError>()
        .map(CoreError::code)
        .unwrap_or("ERROR")
}
