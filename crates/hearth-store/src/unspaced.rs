//! The index for one- and two-character terms in scripts written without spaces
//! (Chinese, Japanese, Korean, Thai...): too short for the trigram index, and common in
//! those languages (`天気`, `要約`).
//!
//! Each message holding such characters is indexed a second time as a sequence of
//! one-character tokens: every character of those scripts becomes a token, and each run
//! of anything else becomes one break token (`0`), so characters are adjacent in the
//! index exactly when they are adjacent in the text. A short term is then an FTS5 phrase
//! of its characters (`天気` → `"天 気"`), answered from the index instead of by reading
//! every message; the search still checks the exact text, which the break token blurs.
//!
//! SQLite calls [`grams`] from the triggers that keep the index, as the SQL function
//! `hearth_unspaced`, registered on every connection the store opens.

use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;

use crate::query::is_unspaced_script;

/// Stands for a run of characters outside those scripts.
const BREAK: &str = "0";

/// The token text for `text`, or `None` when it has no character of those scripts.
pub(crate) fn grams(text: &str) -> Option<String> {
    if !text.chars().any(is_unspaced_script) {
        return None;
    }
    let mut out = String::with_capacity(text.len() * 2);
    let mut in_break = false;
    for c in text.chars() {
        if is_unspaced_script(c) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push(c);
            in_break = false;
        } else if !in_break {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(BREAK);
            in_break = true;
        }
    }
    Some(out)
}

/// Makes `hearth_unspaced(text)` available to this connection's SQL and triggers.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "hearth_unspaced",
        1,
        FunctionFlags::SQLITE_UTF8
            | FunctionFlags::SQLITE_DETERMINISTIC
            | FunctionFlags::SQLITE_INNOCUOUS,
        |ctx| {
            let text: Option<String> = ctx.get(0)?;
            Ok(text.as_deref().and_then(grams))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_become_tokens_and_other_runs_one_break() {
        assert_eq!(grams("hello world"), None);
        assert_eq!(grams("").as_deref(), None);
        assert_eq!(grams("天気").as_deref(), Some("天 気"));
        assert_eq!(
            grams("東京の天気 is nice, 2024年").as_deref(),
            Some("東 京 の 天 気 0 年")
        );
        assert_eq!(grams("a天b").as_deref(), Some("0 天 0"));
        assert_eq!(grams("สวัสดี").as_deref(), Some("ส ว ั ส ด ี"));
    }
}
