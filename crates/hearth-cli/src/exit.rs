//! Exit codes a script can rely on, derived from the error's stable code.

use hearth_core::CoreError;

pub const OK: i32 = 0;
pub const ERROR: i32 = 1;
pub const MODEL_MISSING: i32 = 3;
pub const MODEL_INVALID: i32 = 4;
pub const INPUT_TOO_LARGE: i32 = 5;
pub const INTERRUPTED: i32 = 130;

pub fn code_for(error: &anyhow::Error) -> i32 {
    let Some(core) = error.downcast_ref::<CoreError>() else {
        return ERROR;
    };
    match core.code() {
        "MODEL_NOT_FOUND" | "NO_DEFAULT_MODEL" | "UNKNOWN_MODEL" | "NO_EMBEDDING_MODEL" => {
            MODEL_MISSING
        }
        "INVALID_MODEL_FILE"
        | "MODEL_LOAD_FAILED"
        | "CONVERT_FAILED"
        | "NOT_AN_EMBEDDING_MODEL"
        | "BAD_ADAPTER" => MODEL_INVALID,
        "PROMPT_TOO_LARGE" | "MESSAGE_TOO_LONG" | "DOCUMENT_TOO_LARGE" => INPUT_TOO_LARGE,
        "CANCELLED" => INTERRUPTED,
        _ => ERROR,
    }
}

/// The error's code for `--json` output.
pub fn error_code(error: &anyhow::Error) -> &'static str {
    error
        .downcast_ref::<CoreError>()
        .map(CoreError::code)
        .unwrap_or("ERROR")
}
