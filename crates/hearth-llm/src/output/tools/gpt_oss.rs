//! gpt-oss (the harmony format): a call is a message on the commentary channel
//! addressed to a function, `<|channel|>commentary to=functions.name <|constrain|>json<|message|>{…}`,
//! ended by `<|call|>`; the recipient may also sit in the role header,
//! `<|start|>assistant to=functions.name<|channel|>commentary …`. The reasoning stage
//! takes the analysis channel out and passes these segments through; a commentary or
//! final message with no recipient is answer text, its header dropped.

use super::scan::{self, Found, Json, Lit};
use super::{RawCall, Read, Syntax};

pub(super) const START: &str = "<|start|>";
pub(super) const CHANNEL: &str = "<|channel|>";
pub(super) const MESSAGE: &str = "<|message|>";
pub(super) const CONSTRAIN: &str = "<|constrain|>";
pub(super) const CALL: &str = "<|call|>";
pub(super) const END: &str = "<|end|>";
const RECIPIENT: &str = "to=functions.";

pub(super) struct GptOss;

impl Syntax for GptOss {
    fn find(&self, text: &str, _fresh: bool) -> Found {
        scan::find_literals(text, &[START, CHANNEL, RECIPIENT, END, CALL])
    }

    fn read(&self, text: &str, end: bool) -> Read {
        // The end of a message before the next one, or of a call read already: a
        // separator, not text.
        for marker in [END, CALL] {
            if text.starts_with(marker) {
                return Read::Done {
                    calls: Vec::new(),
                    text: None,
                    used: marker.len(),
                };
            }
        }
        let opener = [START, CHANNEL, RECIPIENT]
            .into_iter()
            .find(|o| text.starts_with(o))
            .map_or(1, str::len);
        let Some((header, at)) = scan::until(text, MESSAGE) else {
            // A header is short; a long text without `<|message|>` is not one.
            return if end || text.len() > 512 || text.contains(END) {
                Read::Text(opener)
            } else {
                Read::More
            };
        };
        let Some(to) = header.find(RECIPIENT) else {
            let channel = header.rsplit(CHANNEL).next().unwrap_or("").trim();
            return if header.contains(CHANNEL) && (channel == "commentary" || channel == "final") {
                Read::Done {
                    calls: Vec::new(),
                    text: None,
                    used: at,
                }
            } else {
                Read::Text(opener)
            };
        };
        let after = &header[to + RECIPIENT.len()..];
        let name: String = after
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '<')
            .collect();
        if name.is_empty() {
            return Read::Text(opener);
        }
        let arguments = match scan::json(&text[at..], end) {
            Json::More => return Read::More,
            Json::Invalid => return Read::Text(opener),
            Json::Value(arguments, n) => (arguments, at + n),
        };
        let (arguments, mut used) = arguments;
        match scan::literal(&text[used..], CALL) {
            Lit::Yes(n) => used += n,
            Lit::Cut if !end && used < text.len() => return Read::More,
            _ => {}
        }
        Read::Done {
            calls: vec![RawCall {
                name,
                arguments: scan::arguments(arguments),
                id: None,
            }],
            text: None,
            used,
        }
    }
}
