//! Command R7B: calls are a JSON list between `<|START_ACTION|>` and `<|END_ACTION|>`,
//! `[{"tool_call_id": "0", "tool_name": …, "parameters": …}]`; the answer to the user
//! sits between `<|START_RESPONSE|>` and `<|END_RESPONSE|>`, markers that are dropped.

use super::scan::{self, Found, Json};
use super::{RawCall, Read, Syntax};

pub(super) const START_ACTION: &str = "<|START_ACTION|>";
pub(super) const END_ACTION: &str = "<|END_ACTION|>";
pub(super) const START_RESPONSE: &str = "<|START_RESPONSE|>";
pub(super) const END_RESPONSE: &str = "<|END_RESPONSE|>";

pub(super) struct CommandR;

impl Syntax for CommandR {
    fn find(&self, text: &str, _fresh: bool) -> Found {
        scan::find_literals(text, &[START_ACTION, START_RESPONSE, END_RESPONSE])
    }

    fn read(&self, text: &str, end: bool) -> Read {
        for marker in [START_RESPONSE, END_RESPONSE] {
            if text.starts_with(marker) {
                return Read::Done {
                    calls: Vec::new(),
                    text: None,
                    used: marker.len(),
                };
            }
        }
        let Some(rest) = text.strip_prefix(START_ACTION) else {
            return Read::Text(1);
        };
        json_list(
            text,
            START_ACTION.len(),
            rest,
            end,
            "tool_name",
            &["parameters"],
            END_ACTION,
        )
    }
}

/// A JSON list of call objects after an opener of `skip` bytes, then an optional
/// closing marker.
pub(super) fn json_list(
    text: &str,
    skip: usize,
    rest: &str,
    end: bool,
    name_key: &str,
    argument_keys: &[&str],
    close: &str,
) -> Read {
    match scan::json(rest, end) {
        Json::More => Read::More,
        Json::Value(serde_json::Value::Array(items), n) => {
            let calls: Option<Vec<RawCall>> = items
                .iter()
                .map(|item| RawCall::from_json(item, name_key, argument_keys))
                .collect();
            match calls {
                Some(calls) if !calls.is_empty() => {
                    match super::hermes::closing(text, skip + n, close, end) {
                        None => Read::More,
                        Some(used) => Read::Done {
                            calls,
                            text: None,
                            used,
                        },
                    }
                }
                _ => Read::Text(skip),
            }
        }
        _ => Read::Text(skip),
    }
}
