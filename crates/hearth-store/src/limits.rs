//! Size limits on what the store accepts, and the checks that enforce them.
//!
//! The same checks guard the API and imports, so that everything a history holds can be
//! exported and imported again, and a hostile import file cannot make the store hold
//! something the app would choke on.

use serde_json::Value;

use crate::error::{Result, StoreError};

/// A conversation title, in bytes.
pub const MAX_TITLE_BYTES: usize = 4 * 1024;
/// A tag, in bytes.
pub const MAX_TAG_BYTES: usize = 128;
/// Tags on one conversation.
pub const MAX_TAGS_PER_CONVERSATION: usize = 64;
/// A persona name, in bytes.
pub const MAX_PERSONA_NAME_BYTES: usize = 200;
/// A message, system prompt or error text, in bytes: far beyond any context window.
pub const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;
/// Short fields: model names, ids.
pub const MAX_SHORT_BYTES: usize = 4 * 1024;
/// A settings object, serialized, in bytes.
pub const MAX_SETTINGS_BYTES: usize = 64 * 1024;

pub(crate) fn check_len(what: &'static str, text: &str, max: usize) -> Result<()> {
    if text.len() > max {
        return Err(StoreError::invalid(
            what,
            format!(
                "{} bytes is over the limit of {max}; shorten it",
                text.len()
            ),
        ));
    }
    Ok(())
}

pub(crate) fn check_opt_len(what: &'static str, text: Option<&str>, max: usize) -> Result<()> {
    text.map_or(Ok(()), |t| check_len(what, t, max))
}

/// A tag trimmed of surrounding space; empty tags and line breaks are refused because the
/// tag list would show them as nothing or as two tags.
pub(crate) fn normalize_tag(tag: &str) -> Result<String> {
    let tag = tag.trim();
    if tag.is_empty() {
        return Err(StoreError::invalid("tag", "it is empty; type a word"));
    }
    if tag.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "tag",
            "it contains a line break or control character; use plain text",
        ));
    }
    check_len("tag", tag, MAX_TAG_BYTES)?;
    Ok(tag.to_owned())
}

/// Settings as stored: a JSON object (`Null` becomes `{}`), serialized.
pub(crate) fn settings_json(settings: &Value) -> Result<String> {
    let object = match settings {
        Value::Null => return Ok("{}".to_owned()),
        Value::Object(_) => settings,
        _ => {
            return Err(StoreError::invalid(
                "settings",
                "they must be a JSON object such as {\"temperature\": 0.7}",
            ))
        }
    };
    let text = serde_json::to_string(object)
        .map_err(|err| StoreError::invalid("settings", err.to_string()))?;
    check_len("settings", &text, MAX_SETTINGS_BYTES)?;
    Ok(text)
}

/// Settings as read back. The column has a `json_valid` check, so a parse failure means
/// the file was edited by hand or damaged.
pub(crate) fn parse_settings(text: &str) -> rusqlite::Result<Value> {
    serde_json::from_str(text).map_err(|err| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(err))
    })
}

/// A trimmed, non-empty, one-line name within `max` bytes (`what` names it in errors:
/// "persona name", "collection name").
pub(crate) fn check_name(what: &'static str, name: &str, max: usize) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::invalid(what, "it is empty; type a name"));
    }
    if name.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            what,
            "it contains a line break or control character; use plain text",
        ));
    }
    check_len(what, name, max)?;
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_and_empty_or_multiline_tags_refused() {
        assert_eq!(normalize_tag("  work ").unwrap(), "work");
        assert!(normalize_tag("   ").is_err());
        assert!(normalize_tag("a\nb").is_err());
        assert!(normalize_tag(&"x".repeat(MAX_TAG_BYTES + 1)).is_err());
    }

    #[test]
    fn settings_must_be_an_object() {
        assert_eq!(settings_json(&Value::Null).unwrap(), "{}");
        assert_eq!(
            settings_json(&serde_json::json!({"temperature": 0.2})).unwrap(),
            r#"{"temperature":0.2}"#
        );
        assert!(settings_json(&serde_json::json!([1, 2])).is_err());
        assert!(settings_json(&serde_json::json!("hot")).is_err());
    }
}
