//! Templates with no tool syntax of their own: the answer is read as llama.cpp's generic
//! format, a JSON object — `{"tool_call": {"name": …, "arguments": …}}`,
//! `{"tool_calls": […]}` or `{"response": "…"}` (text for the user) — or a bare
//! `{"name": …, "arguments": …}`, when it starts the answer. Any other answer is text.

use serde_json::Value;

use super::scan::{self, Found, Json};
use super::{RawCall, Read, Syntax};

pub(super) struct Generic;

const KEYS: &[&str] = &["tool_call", "tool_calls", "name", "response"];

impl Syntax for Generic {
    fn find(&self, text: &str, fresh: bool) -> Found {
        super::hermes::bare_object(text, fresh)
    }

    fn read(&self, text: &str, end: bool) -> Read {
        match scan::first_key_is(text, KEYS) {
            Some(false) => return Read::Text(1),
            None if !end => return Read::More,
            _ => {}
        }
        let (value, used) = match scan::json(text, end) {
            Json::More => return Read::More,
            Json::Invalid => return Read::Text(1),
            Json::Value(value, used) => (value, used),
        };
        let call = |v: &Value| RawCall::from_json(v, "name", &["arguments", "parameters"]);
        let calls = if let Some(one) = value.get("tool_call") {
            call(one).map(|c| vec![c])
        } else if let Some(Value::Array(many)) = value.get("tool_calls") {
            many.iter().map(call).collect::<Option<Vec<_>>>()
        } else if let Some(Value::String(response)) = value.get("response") {
            return Read::Done {
                calls: Vec::new(),
                text: Some(response.clone()),
                used,
            };
        } else if value.get("arguments").is_some() || value.get("parameters").is_some() {
            call(&value).map(|c| vec![c])
        } else {
            None
        };
        match calls {
            Some(calls) if !calls.is_empty() => Read::Done {
                calls,
                text: None,
                used,
            },
            _ => Read::Text(used),
        }
    }
}
