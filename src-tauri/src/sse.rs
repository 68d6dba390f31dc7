//! Splits the server-sent events the app API streams into `{ event, data }` pairs, the
//! shape the web UI's transport hands its screens in a browser too. The desktop app
//! reads the same handlers' streams in process, so it parses the same text.

use serde::Serialize;

/// One event: its `event:` name ("message" when none was sent) and its data lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Keeps what is left of an unfinished event between chunks.
#[derive(Default)]
pub struct SseParser {
    buffer: String,
    /// Bytes of a UTF-8 character split across chunks.
    partial: Vec<u8>,
}

impl SseParser {
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        self.partial.extend_from_slice(chunk);
        let valid = match std::str::from_utf8(&self.partial) {
            Ok(text) => text.len(),
            Err(error) if error.error_len().is_none() => error.valid_up_to(),
            // Not UTF-8 at all: our own server never sends that; keep what decodes.
            Err(error) => error.valid_up_to() + error.error_len().unwrap_or(0),
        };
        let text = String::from_utf8_lossy(&self.partial[..valid]).replace("\r\n", "\n");
        self.partial.drain(..valid);
        self.buffer.push_str(&text);
        let mut events = Vec::new();
        while let Some(end) = self.buffer.find("\n\n") {
            let block: String = self.buffer.drain(..end + 2).collect();
            if let Some(event) = parse_block(&block[..end]) {
                events.push(event);
            }
        }
        events
    }
}

fn parse_block(block: &str) -> Option<SseEvent> {
    let mut event = "message".to_owned();
    let mut data = Vec::new();
    for line in block.lines() {
        if line.starts_with(':') {
            continue; // a comment (keep-alive)
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event = value.to_owned(),
            "data" => data.push(value),
            _ => {}
        }
    }
    (!data.is_empty()).then(|| SseEvent {
        event,
        data: data.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_characters_come_out_whole() {
        let mut parser = SseParser::default();
        let text = "event: delta\ndata: {\"text\":\"é\"}\n\n: keep-alive\n\ndata: a\ndata: b\n\n";
        let bytes = text.as_bytes();
        // Cut inside the two-byte "é" and inside the blank line.
        let cut = text.find('é').unwrap() + 1;
        let mut events = parser.push(&bytes[..cut]);
        assert!(events.is_empty());
        events.extend(parser.push(&bytes[cut..cut + 5]));
        events.extend(parser.push(&bytes[cut + 5..]));
        assert_eq!(
            events,
            vec![
                SseEvent {
                    event: "delta".into(),
                    data: "{\"text\":\"é\"}".into()
                },
                SseEvent {
                    event: "message".into(),
                    data: "a\nb".into()
                },
            ]
        );
    }

    #[test]
    fn an_unfinished_event_waits_for_its_blank_line() {
        let mut parser = SseParser::default();
        assert!(parser.push(b"event: done\r\ndata: {}\r\n").is_empty());
        assert_eq!(parser.push(b"\r\n")[0].event, "done");
    }
}
