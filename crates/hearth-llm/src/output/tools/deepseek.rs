//! DeepSeek R1 and V3: calls sit between `<｜tool▁calls▁begin｜>` and
//! `<｜tool▁calls▁end｜>`, each in `<｜tool▁call▁begin｜>…<｜tool▁call▁end｜>`: R1 writes
//! `function<｜tool▁sep｜>name\n```json\n{…}\n```` and V3.1 `name<｜tool▁sep｜>{…}`.
//! Both are read whatever the template, as is R1's `<｜tool▁calls｜>` misspelling.

use super::scan::{self, Found, Json, Lit};
use super::{RawCall, Read, Syntax};

pub(super) const CALLS_BEGIN: &str = "<｜tool▁calls▁begin｜>";
const CALLS_BEGIN_MISSPELT: &str = "<｜tool▁calls｜>";
pub(super) const CALL_BEGIN: &str = "<｜tool▁call▁begin｜>";
pub(super) const SEP: &str = "<｜tool▁sep｜>";
pub(super) const CALL_END: &str = "<｜tool▁call▁end｜>";
pub(super) const CALLS_END: &str = "<｜tool▁calls▁end｜>";

pub(super) struct DeepSeek;

impl Syntax for DeepSeek {
    fn find(&self, text: &str, _fresh: bool) -> Found {
        scan::find_literals(text, &[CALLS_BEGIN, CALLS_BEGIN_MISSPELT, CALL_BEGIN])
    }

    fn read(&self, text: &str, end: bool) -> Read {
        let opener = [CALLS_BEGIN, CALLS_BEGIN_MISSPELT, CALL_BEGIN]
            .into_iter()
            .find(|o| text.starts_with(o));
        let Some(opener) = opener else {
            return Read::Text(1);
        };
        let mut at = if opener == CALL_BEGIN {
            0
        } else {
            opener.len()
        };
        let mut calls = Vec::new();
        loop {
            at += scan::ws(&text[at..]);
            let rest = &text[at..];
            let close = scan::literal(rest, CALLS_END);
            if let Lit::Yes(n) = close {
                at += n;
                break;
            }
            if close == Lit::Cut && !end {
                return Read::More;
            }
            match scan::literal(rest, CALL_BEGIN) {
                Lit::Yes(n) => at += n,
                // Only after a misspelt block opener may a call come without its own.
                Lit::No if calls.is_empty() && opener == CALLS_BEGIN_MISSPELT => {}
                Lit::Cut if !end => return Read::More,
                _ if !calls.is_empty() => break,
                _ => return Read::Text(opener.len()),
            }
            match call(text, at, end) {
                Step::More => return Read::More,
                Step::Not if calls.is_empty() => return Read::Text(opener.len()),
                Step::Not => break,
                Step::Call(one, used) => {
                    calls.push(one);
                    at = used;
                }
            }
        }
        Read::Done {
            calls,
            text: None,
            used: at,
        }
    }
}

enum Step {
    More,
    Not,
    Call(RawCall, usize),
}

/// One call after its `<｜tool▁call▁begin｜>`, up to its end marker.
fn call(text: &str, at: usize, end: bool) -> Step {
    let rest = &text[at..];
    let Some((head, n)) = scan::until(rest, SEP) else {
        return if end || rest.len() > 128 {
            Step::Not
        } else {
            Step::More
        };
    };
    let mut at = at + n;
    let name;
    if head.trim() == "function" {
        // R1: the name runs to the end of the line, the arguments are fenced.
        let rest = &text[at..];
        let Some(newline) = rest.find('\n') else {
            return if end || rest.len() > 128 {
                Step::Not
            } else {
                Step::More
            };
        };
        name = rest[..newline].trim().to_owned();
        at += newline + 1;
        at += scan::ws(&text[at..]);
        match scan::literal(&text[at..], "```json") {
            Lit::Yes(n) => at += n,
            Lit::Cut if !end => return Step::More,
            _ => {}
        }
    } else {
        name = head.trim().to_owned();
    }
    if name.is_empty() {
        return Step::Not;
    }
    let arguments = match scan::json(&text[at..], end) {
        Json::More => return Step::More,
        Json::Invalid => return Step::Not,
        Json::Value(arguments, n) => {
            at += n;
            arguments
        }
    };
    for closer in ["```", CALL_END] {
        let w = scan::ws(&text[at..]);
        match scan::literal(&text[at + w..], closer) {
            Lit::Yes(n) => at += w + n,
            Lit::Cut if !end => return Step::More,
            _ => {}
        }
    }
    Step::Call(
        RawCall {
            name,
            arguments: scan::arguments(arguments),
            id: None,
        },
        at,
    )
}
