//! Hermes 2/3, Qwen 2.5 and 3, Granite 4, and the other templates that write
//! `<tool_call>{"name": …, "arguments": …}</tool_call>`. Also read, as llama.cpp's
//! Hermes parser does: `<function=name>{…}</function>`, `<function name="name">{…}</function>`,
//! a call object in a ```` ```json ```` fence (Qwen2.5-Coder's habit), and a bare call
//! object at the very start of the answer.

use super::scan::{self, Found, Json, Lit};
use super::{RawCall, Read, Syntax};

pub(super) const OPEN: &str = "<tool_call>";
pub(super) const CLOSE: &str = "</tool_call>";
const FUNCTION: &str = "<function=";
const FUNCTION_NAMED: &str = "<function name=\"";
const FUNCTION_CLOSE: &str = "</function>";
pub(super) const FENCE: &str = "```";

pub(super) struct Hermes;

impl Syntax for Hermes {
    fn find(&self, text: &str, fresh: bool) -> Found {
        scan::find_literals(text, &[OPEN, FUNCTION, FUNCTION_NAMED, FENCE])
            .earliest(bare_object(text, fresh))
    }

    fn read(&self, text: &str, end: bool) -> Read {
        if text.starts_with(FENCE) {
            return fenced(text, end);
        }
        if let Some(rest) = text.strip_prefix(OPEN) {
            return match scan::json(rest, end) {
                Json::More => Read::More,
                Json::Invalid => Read::Text(OPEN.len()),
                Json::Value(value, n) => {
                    match RawCall::from_json(&value, "name", &["arguments", "parameters"]) {
                        None => Read::Text(OPEN.len()),
                        Some(call) => done(text, OPEN.len() + n, CLOSE, call, end),
                    }
                }
            };
        }
        for (opener, name_end) in [(FUNCTION_NAMED, "\">"), (FUNCTION, ">")] {
            let Some(rest) = text.strip_prefix(opener) else {
                continue;
            };
            let Some((name, used)) = scan::until(rest, name_end) else {
                return if end || rest.len() > 128 || rest.contains(char::is_whitespace) {
                    Read::Text(opener.len())
                } else {
                    Read::More
                };
            };
            let at = opener.len() + used;
            return match scan::json(&text[at..], end) {
                Json::More => Read::More,
                Json::Invalid => Read::Text(opener.len()),
                Json::Value(arguments, n) => {
                    let call = RawCall {
                        name: name.trim().to_owned(),
                        arguments: scan::arguments(arguments),
                        id: None,
                    };
                    done(text, at + n, FUNCTION_CLOSE, call, end)
                }
            };
        }
        read_bare_object(text, end)
    }
}

/// A call read up to byte `at`, then its closing tag if it has one.
fn done(text: &str, at: usize, close: &str, call: RawCall, end: bool) -> Read {
    match closing(text, at, close, end) {
        None => Read::More,
        Some(used) => Read::Done {
            calls: vec![call],
            text: None,
            used,
        },
    }
}

/// The end of the closing tag after byte `at` (whitespace before it allowed), or `at`
/// when something else follows (a missing tag is forgiven, as the model may stop
/// before it); `None` while the text could still become the tag.
pub(super) fn closing(text: &str, at: usize, tag: &str, end: bool) -> Option<usize> {
    let rest = &text[at..];
    let w = scan::ws(rest);
    match scan::literal(&rest[w..], tag) {
        Lit::Yes(n) => Some(at + w + n),
        Lit::Cut if !end => None,
        _ => Some(at),
    }
}

/// At the start of an answer, an object whose first key is `name` may be a call
/// written without tags.
pub(super) fn bare_object(text: &str, fresh: bool) -> Found {
    let w = scan::ws(text);
    if fresh && text[w..].starts_with('{') {
        Found::Opener(w)
    } else {
        Found::None
    }
}

fn read_bare_object(text: &str, end: bool) -> Read {
    match scan::first_key_is(text, &["name"]) {
        Some(false) => return Read::Text(1),
        None if !end => return Read::More,
        _ => {}
    }
    match scan::json(text, end) {
        Json::More => Read::More,
        Json::Invalid => Read::Text(1),
        Json::Value(value, n) => {
            match RawCall::from_json(&value, "name", &["arguments", "parameters"]) {
                Some(call)
                    if value.get("arguments").is_some() || value.get("parameters").is_some() =>
                {
                    Read::Done {
                        calls: vec![call],
                        text: None,
                        used: n,
                    }
                }
                _ => Read::Text(n),
            }
        }
    }
}

/// ```` ```json ```` (or ```` ```xml ````, or a bare fence), a call object, maybe inside
/// `<tool_call>` tags, then the closing fence. Any other code block is text, known as
/// soon as its first line or first key shows it.
fn fenced(text: &str, end: bool) -> Read {
    let rest = &text[FENCE.len()..];
    let Some(newline) = rest.find('\n') else {
        let could_be = ["json", "xml"]
            .iter()
            .any(|info| info.starts_with(rest.trim_end()));
        return if !end && rest.len() < 8 && could_be {
            Read::More
        } else {
            Read::Text(FENCE.len())
        };
    };
    if !["", "json", "xml"].contains(&rest[..newline].trim()) {
        return Read::Text(FENCE.len());
    }
    let mut at = FENCE.len() + newline + 1;
    at += scan::ws(&text[at..]);
    let tagged = match scan::literal(&text[at..], OPEN) {
        Lit::Yes(n) => {
            at += n;
            true
        }
        Lit::Cut if !end => return Read::More,
        _ => false,
    };
    match scan::first_key_is(&text[at..], &["name"]) {
        Some(false) => return Read::Text(FENCE.len()),
        None if !end => return Read::More,
        _ => {}
    }
    let (call, n) = match scan::json(&text[at..], end) {
        Json::More => return Read::More,
        Json::Invalid => return Read::Text(FENCE.len()),
        Json::Value(value, n) => {
            match RawCall::from_json(&value, "name", &["arguments", "parameters"]) {
                Some(call) => (call, n),
                None => return Read::Text(FENCE.len()),
            }
        }
    };
    let mut used = at + n;
    if tagged {
        match closing(text, used, CLOSE, end) {
            None => return Read::More,
            Some(after) => used = after,
        }
    }
    match closing(text, used, FENCE, end) {
        None => Read::More,
        Some(after) => Read::Done {
            calls: vec![call],
            text: None,
            used: after,
        },
    }
}
