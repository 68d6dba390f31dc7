//! Small readers the tool-call syntaxes share: literal markers that may be cut at the
//! end of what has streamed so far, and JSON values read from the front of a text that
//! may still be growing.

use serde_json::Value;

/// Where a call may begin in the answer text seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Nothing here can begin a call.
    None,
    /// The text from this byte on could still become an opener: hold it back.
    Partial(usize),
    /// A call's opener starts at this byte.
    Opener(usize),
}

impl Found {
    /// The earlier of two findings; a whole opener beats a partial one at the same place.
    pub fn earliest(self, other: Found) -> Found {
        let at = |f: Found| match f {
            Found::None => (usize::MAX, 2),
            Found::Opener(p) => (p, 0),
            Found::Partial(p) => (p, 1),
        };
        if at(other) < at(self) {
            other
        } else {
            self
        }
    }
}

/// The earliest of `literals` in `text`, or the earliest tail of `text` that is the
/// beginning of one of them (it may be completed by the next piece).
pub fn find_literals(text: &str, literals: &[&str]) -> Found {
    let mut best = Found::None;
    for literal in literals {
        if let Some(p) = text.find(literal) {
            best = best.earliest(Found::Opener(p));
        }
    }
    let longest = literals.iter().map(|l| l.len()).max().unwrap_or(0);
    let from = text.len().saturating_sub(longest.saturating_sub(1));
    for (p, _) in text.char_indices().filter(|(p, _)| *p >= from) {
        let tail = &text[p..];
        if literals
            .iter()
            .any(|l| l.len() > tail.len() && l.starts_with(tail))
        {
            best = best.earliest(Found::Partial(p));
            break;
        }
    }
    best
}

/// What reading a literal at the front of `text` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lit {
    /// It is there; this many bytes.
    Yes(usize),
    /// The text is a proper beginning of it: wait for more.
    Cut,
    No,
}

pub fn literal(text: &str, literal: &str) -> Lit {
    if text.starts_with(literal) {
        Lit::Yes(literal.len())
    } else if literal.starts_with(text) {
        Lit::Cut
    } else {
        Lit::No
    }
}

/// Bytes of leading whitespace.
pub fn ws(text: &str) -> usize {
    text.len() - text.trim_start().len()
}

/// What reading a JSON value at the front of a text found.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// A whole value, and the bytes it took (leading whitespace included).
    Value(Value, usize),
    /// The text so far is the beginning of a value: wait for more.
    More,
    /// Not JSON.
    Invalid,
}

/// Reads one JSON value from the front of `text`. With `end`, no more text will come,
/// so a value cut short is invalid.
pub fn json(text: &str, end: bool) -> Json {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    match values.next() {
        None if end => Json::Invalid,
        None => Json::More,
        Some(Ok(value)) => {
            let used = values.byte_offset();
            // A number at the very end may go on in the next piece ("1" then "2").
            if value.is_number() && used == text.len() && !end {
                Json::More
            } else {
                Json::Value(value, used)
            }
        }
        Some(Err(e)) if e.is_eof() && !end => Json::More,
        Some(Err(_)) => Json::Invalid,
    }
}

/// Whether the JSON object at the front of `text` (after whitespace) has one of `keys`
/// as its first key: `None` while the text is too short to tell. Lets a syntax give up
/// on an object that is not a call as soon as its first key shows it, instead of holding
/// the whole object back.
pub fn first_key_is(text: &str, keys: &[&str]) -> Option<bool> {
    let rest = text.trim_start().strip_prefix('{')?;
    let rest = rest.trim_start();
    if rest.is_empty() {
        return None;
    }
    let Some(key) = rest.strip_prefix('"') else {
        return Some(false);
    };
    match key.find('"') {
        Some(close) => Some(keys.contains(&&key[..close])),
        None if keys.iter().any(|k| k.starts_with(key)) => None,
        None => Some(false),
    }
}

/// The text up to `marker`, and the bytes up to the marker's end; `None` when the
/// marker has not come yet.
pub fn until<'a>(text: &'a str, marker: &str) -> Option<(&'a str, usize)> {
    text.find(marker).map(|at| (&text[..at], at + marker.len()))
}

/// A call's arguments as Hearth keeps them: a JSON value, where a JSON string holding
/// an object (some models quote their arguments) is read as that object.
pub fn arguments(value: Value) -> Value {
    match value {
        Value::String(text) => match serde_json::from_str::<Value>(&text) {
            Ok(parsed @ Value::Object(_)) => parsed,
            _ => Value::String(text),
        },
        Value::Null => Value::Object(Default::default()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json as j;

    #[test]
    fn literals_whole_and_cut() {
        assert_eq!(
            find_literals("ab<tool_call>", &["<tool_call>"]),
            Found::Opener(2)
        );
        assert_eq!(
            find_literals("ab<tool_", &["<tool_call>"]),
            Found::Partial(2)
        );
        assert_eq!(find_literals("ab<x", &["<tool_call>"]), Found::None);
        assert_eq!(
            find_literals("a<", &["<tool_call>", "<function="]),
            Found::Partial(1)
        );
        // A whole opener later than a cut one cannot happen; earlier wins.
        assert_eq!(
            find_literals("<function=x> <tool", &["<tool_call>", "<function="]),
            Found::Opener(0)
        );
        assert_eq!(find_literals("é<", &["<tool_call>"]), Found::Partial(2));
    }

    #[test]
    fn json_values_grow() {
        assert_eq!(json(r#"{"a": 1"#, false), Json::More);
        assert_eq!(json(r#"{"a": 1"#, true), Json::Invalid);
        assert_eq!(
            json(r#" {"a": 1}</x>"#, false),
            Json::Value(j!({"a": 1}), 9)
        );
        assert_eq!(json("12", false), Json::More);
        assert_eq!(json("12", true), Json::Value(j!(12), 2));
        assert_eq!(json(r#"{"a": tr"#, false), Json::More);
        assert_eq!(json(r#"{"a": tx"#, false), Json::Invalid);
        assert_eq!(json("hello", false), Json::Invalid);
    }

    #[test]
    fn first_keys() {
        assert_eq!(first_key_is(r#"{"na"#, &["name"]), None);
        assert_eq!(first_key_is(r#"{"name""#, &["name"]), Some(true));
        assert_eq!(first_key_is(r#"{"nope""#, &["name"]), Some(false));
        assert_eq!(first_key_is(r#"{"x"#, &["name"]), Some(false));
        assert_eq!(first_key_is(r#"{ 1"#, &["name"]), Some(false));
        assert_eq!(first_key_is(r#"{ "#, &["name"]), None);
    }

    #[test]
    fn quoted_arguments_are_read() {
        assert_eq!(arguments(j!("{\"a\": 1}")), j!({"a": 1}));
        assert_eq!(arguments(j!("plain")), j!("plain"));
        assert_eq!(arguments(Value::Null), j!({}));
    }
}
