//! Functionary v3.2: the answer is a series of messages, each opened by its recipient
//! and a newline — `all\n` for text to the user, a tool's name for a call with its JSON
//! arguments — separated by `>>>` (the prompt already ends with the first `>>>`). The
//! `python` tool takes raw code.

use super::scan::{self, Found, Json, Lit};
use super::{RawCall, Read, Syntax};

pub(super) const SEPARATOR: &str = ">>>";

pub(super) struct Functionary {
    pub tools: Vec<String>,
}

impl Syntax for Functionary {
    fn find(&self, text: &str, fresh: bool) -> Found {
        // The first recipient has no `>>>` before it: the prompt wrote it.
        if fresh {
            return Found::Opener(0);
        }
        scan::find_literals(text, &[SEPARATOR])
    }

    fn read(&self, text: &str, end: bool) -> Read {
        let at = match scan::literal(text, SEPARATOR) {
            Lit::Yes(n) => n,
            Lit::Cut if !end => return Read::More,
            _ => 0,
        };
        // What is not a recipient is text; the separator (or one character) goes first.
        let not = if at > 0 { at } else { 1 };
        let rest = &text[at..];
        let Some(newline) = rest.find('\n') else {
            let could_be = |name: &str| name.starts_with(rest);
            return if !end
                && rest.len() <= 64
                && (could_be("all") || self.tools.iter().any(|t| could_be(t)))
            {
                Read::More
            } else {
                Read::Text(not)
            };
        };
        let recipient = &rest[..newline];
        let at = at + newline + 1;
        if recipient == "all" {
            return Read::Done {
                calls: Vec::new(),
                text: None,
                used: at,
            };
        }
        if !self.tools.iter().any(|t| t == recipient) {
            return Read::Text(not);
        }
        let body = &text[at..];
        let trimmed = body.trim_start();
        if recipient == "python" && !trimmed.is_empty() && !trimmed.starts_with('{') {
            // Raw code, up to the next message or the end.
            let (code, used) = match body.find(SEPARATOR) {
                Some(p) => (&body[..p], at + p),
                None if end => (body, text.len()),
                None => return Read::More,
            };
            return Read::Done {
                calls: vec![RawCall {
                    name: recipient.to_owned(),
                    arguments: serde_json::json!({ "code": code.trim_end() }),
                    id: None,
                }],
                text: None,
                used,
            };
        }
        match scan::json(body, end) {
            Json::More => Read::More,
            Json::Invalid => Read::Text(not),
            Json::Value(arguments, n) => Read::Done {
                calls: vec![RawCall {
                    name: recipient.to_owned(),
                    arguments: scan::arguments(arguments),
                    id: None,
                }],
                text: None,
                used: at + n,
            },
        }
    }
}
