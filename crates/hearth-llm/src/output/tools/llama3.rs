//! Llama 3.1, 3.2 and 3.3: a call is the whole answer, `{"name": …, "parameters": …}`
//! (sometimes with `"type": "function"` first), or follows `<|python_tag|>`, where the
//! built-in tools are called as `brave_search.call(query="…")` and bare code goes to
//! the `python` tool.

use serde_json::{Map, Value};

use super::scan::{self, Found, Json};
use super::{RawCall, Read, Syntax};

pub(super) const PYTHON_TAG: &str = "<|python_tag|>";

pub(super) struct Llama3;

impl Syntax for Llama3 {
    fn find(&self, text: &str, fresh: bool) -> Found {
        scan::find_literals(text, &[PYTHON_TAG]).earliest(super::hermes::bare_object(text, fresh))
    }

    fn read(&self, text: &str, end: bool) -> Read {
        let Some(rest) = text.strip_prefix(PYTHON_TAG) else {
            return object(text, 0, end, 1);
        };
        let at = PYTHON_TAG.len() + scan::ws(rest);
        let body = &text[at..];
        if body.is_empty() {
            return if end {
                Read::Text(PYTHON_TAG.len())
            } else {
                Read::More
            };
        }
        if body.starts_with('{') {
            return object(text, at, end, PYTHON_TAG.len());
        }
        match builtin_call(body, end) {
            Builtin::More => Read::More,
            Builtin::Call(call, n) => Read::Done {
                calls: vec![call],
                text: None,
                used: at + n,
            },
            // Code with no call around it is for the python tool; it runs to the end.
            Builtin::Not if end => Read::Done {
                calls: vec![RawCall {
                    name: "python".into(),
                    arguments: serde_json::json!({ "code": body.trim_end() }),
                    id: None,
                }],
                text: None,
                used: text.len(),
            },
            Builtin::Not => Read::More,
        }
    }
}

/// A call object at byte `at`; on failure the first `not` bytes are text.
fn object(text: &str, at: usize, end: bool, not: usize) -> Read {
    match scan::first_key_is(&text[at..], &["name", "type"]) {
        Some(false) => return Read::Text(not),
        None if !end => return Read::More,
        _ => {}
    }
    match scan::json(&text[at..], end) {
        Json::More => Read::More,
        Json::Invalid => Read::Text(not),
        Json::Value(value, n) => {
            let is_call = value.get("parameters").is_some() || value.get("arguments").is_some();
            match RawCall::from_json(&value, "name", &["parameters", "arguments"]) {
                Some(call) if is_call => Read::Done {
                    calls: vec![call],
                    text: None,
                    used: at + n,
                },
                _ => Read::Text(not.max(n)),
            }
        }
    }
}

enum Builtin {
    More,
    Not,
    /// The call and the bytes it took.
    Call(RawCall, usize),
}

/// `name.call(key="value", …)`, each value a JSON value.
fn builtin_call(text: &str, end: bool) -> Builtin {
    let name_len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    if name_len == 0 {
        return Builtin::Not;
    }
    let rest = &text[name_len..];
    match scan::literal(rest, ".call(") {
        scan::Lit::Yes(n) => {
            let mut at = name_len + n;
            let mut arguments = Map::new();
            loop {
                at += scan::ws(&text[at..]);
                let rest = &text[at..];
                if rest.is_empty() {
                    return if end { Builtin::Not } else { Builtin::More };
                }
                if rest.starts_with(')') {
                    let call = RawCall {
                        name: text[..name_len].to_owned(),
                        arguments: Value::Object(arguments),
                        id: None,
                    };
                    return Builtin::Call(call, at + 1);
                }
                if let Some(after) = rest.strip_prefix(',') {
                    at += rest.len() - after.len();
                    continue;
                }
                let key_len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                if key_len == rest.len() {
                    return if end { Builtin::Not } else { Builtin::More };
                }
                if key_len == 0 {
                    return Builtin::Not;
                }
                let key = rest[..key_len].to_owned();
                at += key_len;
                at += scan::ws(&text[at..]);
                match text[at..].chars().next() {
                    Some('=') | Some(':') => at += 1,
                    None if !end => return Builtin::More,
                    _ => return Builtin::Not,
                }
                match scan::json(&text[at..], end) {
                    Json::More => return Builtin::More,
                    Json::Invalid => return Builtin::Not,
                    Json::Value(value, n) => {
                        arguments.insert(key, value);
                        at += n;
                    }
                }
            }
        }
        scan::Lit::Cut if !end => Builtin::More,
        _ => Builtin::Not,
    }
}
