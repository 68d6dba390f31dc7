//! Mistral: `[TOOL_CALLS]` then either a JSON array of calls (Nemo:
//! `[{"name": …, "arguments": …, "id": "123456789"}]`) or, in the newer templates,
//! `name[CALL_ID]id[ARGS]{…}` (Small 3.2) or `name[ARGS]{…}` (Devstral, Ministral),
//! repeated for parallel calls.

use super::scan::{self, Found, Json, Lit};
use super::{RawCall, Read, Syntax};

pub(super) const TOOL_CALLS: &str = "[TOOL_CALLS]";
pub(super) const CALL_ID: &str = "[CALL_ID]";
pub(super) const ARGS: &str = "[ARGS]";

pub(super) struct Mistral;

impl Syntax for Mistral {
    fn find(&self, text: &str, _fresh: bool) -> Found {
        scan::find_literals(text, &[TOOL_CALLS])
    }

    fn read(&self, text: &str, end: bool) -> Read {
        let Some(rest) = text.strip_prefix(TOOL_CALLS) else {
            return Read::Text(1);
        };
        let at = TOOL_CALLS.len() + scan::ws(rest);
        let body = &text[at..];
        if body.is_empty() {
            return if end {
                Read::Text(TOOL_CALLS.len())
            } else {
                Read::More
            };
        }
        if body.starts_with('[') {
            return match scan::json(body, end) {
                Json::More => Read::More,
                Json::Value(serde_json::Value::Array(items), n) => {
                    let calls: Option<Vec<RawCall>> = items
                        .iter()
                        .map(|item| RawCall::from_json(item, "name", &["arguments", "parameters"]))
                        .collect();
                    match calls {
                        Some(calls) if !calls.is_empty() => Read::Done {
                            calls,
                            text: None,
                            used: at + n,
                        },
                        _ => Read::Text(TOOL_CALLS.len()),
                    }
                }
                _ => Read::Text(TOOL_CALLS.len()),
            };
        }
        // name[CALL_ID]id[ARGS]{…} or name[ARGS]{…}
        let Some(bracket) = body.find('[') else {
            return if end || body.len() > 128 || body.contains(char::is_whitespace) {
                Read::Text(TOOL_CALLS.len())
            } else {
                Read::More
            };
        };
        let name = body[..bracket].trim().to_owned();
        let mut at = at + bracket;
        let mut id = None;
        match scan::literal(&text[at..], CALL_ID) {
            Lit::Yes(n) => {
                let rest = &text[at + n..];
                let Some(close) = rest.find('[') else {
                    return if end || rest.len() > 64 {
                        Read::Text(TOOL_CALLS.len())
                    } else {
                        Read::More
                    };
                };
                id = Some(rest[..close].trim().to_owned());
                at += n + close;
            }
            Lit::Cut if !end => return Read::More,
            _ => {}
        }
        match scan::literal(&text[at..], ARGS) {
            Lit::Yes(n) => at += n,
            Lit::Cut if !end => return Read::More,
            _ => return Read::Text(TOOL_CALLS.len()),
        }
        match scan::json(&text[at..], end) {
            Json::More => Read::More,
            Json::Invalid => Read::Text(TOOL_CALLS.len()),
            Json::Value(arguments, n) => Read::Done {
                calls: vec![RawCall {
                    name,
                    arguments: scan::arguments(arguments),
                    id,
                }],
                text: None,
                used: at + n,
            },
        }
    }
}
