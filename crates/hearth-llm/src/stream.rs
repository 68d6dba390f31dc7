//! Turning a stream of token bytes into text a person can read: whole UTF-8 characters
//! only, and stop strings cut out even when they arrive split across tokens.

/// What one push of token bytes produced.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StreamStep {
    /// Text that is safe to show now.
    pub text: String,
    /// Set when a stop string appeared; nothing after it is ever emitted.
    pub stopped_by: Option<String>,
}

/// Buffers token bytes until they form whole characters and holds back any tail that
/// could be the start of a stop string.
///
/// A token can end in the middle of a multi-byte character (emoji, CJK), and a stop
/// string can span several tokens; emitting eagerly would show broken characters or
/// a fragment of the stop string that must not be shown.
#[derive(Debug, Default)]
pub struct TextStream {
    bytes: Vec<u8>,
    held: String,
    stops: Vec<String>,
    stopped: bool,
}

impl TextStream {
    pub fn new(stops: Vec<String>) -> Self {
        Self {
            stops,
            ..Self::default()
        }
    }

    /// Adds the bytes of one token and returns what can be shown.
    pub fn push(&mut self, token_bytes: &[u8]) -> StreamStep {
        if self.stopped {
            return StreamStep::default();
        }
        self.bytes.extend_from_slice(token_bytes);
        self.decode_complete_chars();
        self.release()
    }

    /// Ends the stream: whatever is held is shown, and an incomplete trailing character
    /// becomes U+FFFD rather than disappearing.
    pub fn finish(&mut self) -> String {
        if self.stopped {
            return String::new();
        }
        if !self.bytes.is_empty() {
            self.held.push_str(&String::from_utf8_lossy(&self.bytes));
            self.bytes.clear();
        }
        std::mem::take(&mut self.held)
    }

    fn decode_complete_chars(&mut self) {
        loop {
            match std::str::from_utf8(&self.bytes) {
                Ok(text) => {
                    self.held.push_str(text);
                    self.bytes.clear();
                    return;
                }
                Err(err) => {
                    let valid = err.valid_up_to();
                    // Safe: `valid_up_to` bytes are valid UTF-8 by definition.
                    self.held
                        .push_str(&String::from_utf8_lossy(&self.bytes[..valid]));
                    match err.error_len() {
                        // Incomplete character at the end: wait for the next token.
                        None => {
                            self.bytes.drain(..valid);
                            return;
                        }
                        // Invalid bytes in the middle: show a replacement and go on.
                        Some(len) => {
                            self.held.push(char::REPLACEMENT_CHARACTER);
                            self.bytes.drain(..valid + len);
                        }
                    }
                }
            }
        }
    }

    fn release(&mut self) -> StreamStep {
        if let Some((at, stop)) = self.earliest_stop() {
            self.held.truncate(at);
            self.stopped = true;
            return StreamStep {
                text: std::mem::take(&mut self.held),
                stopped_by: Some(stop),
            };
        }
        let keep = self.partial_stop_suffix_len();
        let cut = self.held.len() - keep;
        let text = self.held[..cut].to_string();
        self.held.drain(..cut);
        StreamStep {
            text,
            stopped_by: None,
        }
    }

    fn earliest_stop(&self) -> Option<(usize, String)> {
        self.stops
            .iter()
            .filter_map(|stop| self.held.find(stop.as_str()).map(|at| (at, stop.clone())))
            .min_by_key(|(at, _)| *at)
    }

    /// Length in bytes of the longest tail of `held` that is a proper prefix of a stop
    /// string, so it may still grow into one.
    fn partial_stop_suffix_len(&self) -> usize {
        let mut longest = 0;
        for stop in &self.stops {
            for (len, _) in stop.char_indices().skip(1) {
                if len > longest && self.held.ends_with(&stop[..len]) {
                    longest = len;
                }
            }
        }
        longest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], pieces: &[&[u8]]) -> (Vec<String>, Option<String>, String) {
        let mut stream = TextStream::new(stops.iter().map(|s| s.to_string()).collect());
        let mut shown = Vec::new();
        for piece in pieces {
            let step = stream.push(piece);
            if !step.text.is_empty() {
                shown.push(step.text);
            }
            if let Some(stop) = step.stopped_by {
                return (shown, Some(stop), stream.finish());
            }
        }
        let rest = stream.finish();
        (shown, None, rest)
    }

    #[test]
    fn emoji_split_across_tokens_is_emitted_whole() {
        let emoji = "🔥".as_bytes();
        let (shown, stop, rest) = run(&[], &[b"hot ", &emoji[..1], &emoji[1..3], &emoji[3..]]);
        assert_eq!(shown, vec!["hot ".to_string(), "🔥".to_string()]);
        assert_eq!(stop, None);
        assert_eq!(rest, "");
    }

    #[test]
    fn cjk_bytes_one_at_a_time() {
        let text = "日本語";
        let pieces: Vec<&[u8]> = text.as_bytes().chunks(1).collect();
        let (shown, _, rest) = run(&[], &pieces);
        assert_eq!(shown.concat() + &rest, text);
        assert!(shown.iter().all(|s| s.chars().count() == 1));
    }

    #[test]
    fn stop_string_across_tokens_is_cut() {
        let (shown, stop, _) = run(&["</end>"], &[b"answer </", b"en", b"d> more"]);
        assert_eq!(shown.concat(), "answer ");
        assert_eq!(stop.as_deref(), Some("</end>"));
    }

    #[test]
    fn partial_stop_that_does_not_complete_is_released() {
        let (shown, stop, rest) = run(&["STOP"], &[b"ST", b"ART"]);
        assert_eq!(stop, None);
        assert_eq!(shown.concat() + &rest, "START");
    }

    #[test]
    fn earliest_of_several_stops_wins() {
        let (shown, stop, _) = run(&["b", "a"], &[b"xxab"]);
        assert_eq!(shown.concat(), "xx");
        assert_eq!(stop.as_deref(), Some("a"));
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let (shown, _, rest) = run(&[], &[b"a\xffb"]);
        assert_eq!(shown.concat() + &rest, "a\u{FFFD}b");
    }

    #[test]
    fn truncated_character_at_end_is_not_lost() {
        let (shown, _, rest) = run(&[], &[b"ok", &"é".as_bytes()[..1]]);
        assert_eq!(shown.concat(), "ok");
        assert_eq!(rest, "\u{FFFD}");
    }

    #[test]
    fn multibyte_stop_string() {
        let (shown, stop, _) = run(
            &["。"],
            &[b"fin", &"。".as_bytes()[..2], &"。".as_bytes()[2..]],
        );
        assert_eq!(shown.concat(), "fin");
        assert_eq!(stop.as_deref(), Some("。"));
    }
}
