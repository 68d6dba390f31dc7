//! Server-sent events, as both providers stream their answers: `event:` and `data:`
//! lines, a blank line ending each event (the WHATWG rules, minus reconnection, which
//! an answer stream never uses).

use std::io::{self, BufRead, Read};

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SseEvent {
    /// The `event:` field, when the server named the event (Anthropic does).
    pub event: Option<String>,
    /// The `data:` lines, joined by newlines.
    pub data: String,
}

/// Reads events from a byte stream until it ends.
pub(crate) struct SseReader<R> {
    input: R,
    line: Vec<u8>,
}

/// A line longer than this is not an answer stream (a misconfigured address serving a
/// large file); it fails instead of filling memory.
const MAX_LINE: usize = 4 << 20;

impl<R: BufRead> SseReader<R> {
    pub(crate) fn new(input: R) -> Self {
        Self {
            input,
            line: Vec::new(),
        }
    }

    /// The next event; `None` at the end of the stream.
    pub(crate) fn next_event(&mut self) -> io::Result<Option<SseEvent>> {
        let mut event = SseEvent::default();
        let mut has_data = false;
        loop {
            self.line.clear();
            let read = Read::by_ref(&mut self.input)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut self.line)?;
            if read > MAX_LINE {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a line of the event stream is longer than 4 MiB",
                ));
            }
            if read == 0 {
                // End of stream: an event without its blank line still counts.
                return Ok(has_data.then_some(event));
            }
            let text = String::from_utf8_lossy(&self.line);
            let line = text.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if has_data {
                    return Ok(Some(event));
                }
                event.event = None;
                continue;
            }
            if line.starts_with(':') {
                continue; // a comment, used by servers as a keep-alive
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match field {
                "event" => event.event = Some(value.to_owned()),
                "data" => {
                    if has_data {
                        event.data.push('\n');
                    }
                    event.data.push_str(value);
                    has_data = true;
                }
                _ => {} // id, retry and unknown fields mean nothing to an answer
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &str) -> Vec<SseEvent> {
        let mut reader = SseReader::new(input.as_bytes());
        let mut events = Vec::new();
        while let Some(event) = reader.next_event().unwrap() {
            events.push(event);
        }
        events
    }

    #[test]
    fn events_split_on_blank_lines_with_names_comments_and_crlf() {
        let events = all(
            ": keep-alive\r\nevent: message_start\r\ndata: {\"a\":1}\r\n\r\n\
             data: first\ndata:second\n\nid: 7\ndata: [DONE]",
        );
        assert_eq!(
            events,
            vec![
                SseEvent {
                    event: Some("message_start".into()),
                    data: "{\"a\":1}".into()
                },
                SseEvent {
                    event: None,
                    data: "first\nsecond".into()
                },
                SseEvent {
                    event: None,
                    data: "[DONE]".into()
                },
            ]
        );
    }

    #[test]
    fn an_event_name_without_data_is_not_an_event() {
        assert_eq!(all("event: ping\n\ndata: x\n\n").len(), 1);
        assert_eq!(all("event: ping\n\ndata: x\n\n")[0].event, None);
    }
}
