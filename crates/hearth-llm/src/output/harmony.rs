//! gpt-oss's harmony format, read as it streams: the model writes messages, each with a
//! header and a body — `<|channel|>analysis<|message|>…<|end|>` is thinking,
//! `<|start|>assistant<|channel|>final<|message|>…` the answer — and calls a tool with
//! a message addressed to it: `<|channel|>commentary to=functions.NAME <|constrain|>json
//! <|message|>{…}<|call|>` (the recipient may also stand in the role part:
//! `<|start|>assistant to=functions.NAME<|channel|>commentary …`).
//!
//! Headers and the `<|start|>assistant` between messages are taken out; thinking and
//! answer bodies come out as they are. A tool-call message is passed on unchanged as
//! answer text, from its header (after the role) to its terminator, so the tool-call
//! parser reads it in the model's own syntax: `<|channel|>commentary to=functions.NAME
//! <|constrain|>json<|message|>ARGS` followed by `<|call|>` when the output has it (it is
//! an end-of-generation token, so the output usually just ends). A `commentary` message
//! without a recipient is a preamble the user should see: answer. Output with no header
//! at all is answer text, as it is.

use super::reasoning::{partial_marker_len, HARMONY_CHANNEL, HARMONY_MESSAGE};
use super::{ReasoningSplitter, Split};

const START: &str = "<|start|>";
pub(crate) const END: &str = "<|end|>";
const RETURN: &str = "<|return|>";
const CALL: &str = "<|call|>";
const CONSTRAIN: &str = "<|constrain|>";

/// The special tokens the splitter must see as text (`<|return|>` and `<|call|>` end
/// the generation and are never written).
pub(crate) const MARKERS: [&str; 5] = [START, END, HARMONY_CHANNEL, HARMONY_MESSAGE, CONSTRAIN];
/// How gpt-oss begins its thinking.
pub(crate) const ANALYSIS_OPEN: &str = "<|channel|>analysis<|message|>";
/// What ends the thinking and opens the answer, written into the output when the
/// thinking budget is spent.
pub(crate) const FORCED_FINAL: &str = "<|end|><|start|>assistant<|channel|>final<|message|>";

/// Where a message body ends: its terminator, or (from a model that skips `<|end|>`) the
/// next message's start.
const BODY_ENDS: [&str; 4] = [END, RETURN, CALL, START];
/// How a header begins (after leading whitespace).
const HEADER_STARTS: [&str; 3] = [START, HARMONY_CHANNEL, "to="];
/// A header longer than this is not one: the text is answer text.
const HEADER_LIMIT: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Thinking,
    Answer,
    /// A message to a tool: passed on unchanged.
    Call,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between messages: reading a header up to `<|message|>`.
    Header,
    Body(Body),
}

pub(crate) struct HarmonySplitter {
    state: State,
    held: String,
    /// Thinking came out of an earlier message; the next thinking message is set apart
    /// by a blank line.
    thought: bool,
    /// Nothing of the current message has come out yet.
    fresh: bool,
}

impl HarmonySplitter {
    pub(crate) fn new() -> Self {
        Self {
            state: State::Header,
            held: String::new(),
            thought: false,
            fresh: true,
        }
    }

    fn emit(&mut self, body: Body, text: &str, out: &mut Vec<Split>) {
        if text.is_empty() {
            return;
        }
        match body {
            Body::Thinking => {
                let mut piece = String::new();
                if self.fresh && self.thought {
                    piece.push_str("\n\n");
                }
                piece.push_str(text);
                self.thought = true;
                out.push(Split::Thinking(piece));
            }
            Body::Answer | Body::Call => out.push(Split::Answer(text.to_owned())),
        }
        self.fresh = false;
    }

    fn run(&mut self, end: bool) -> Vec<Split> {
        let mut out = Vec::new();
        loop {
            match self.state {
                State::Header => {
                    let rest = self.held.trim_start();
                    if rest.is_empty() {
                        if end {
                            self.held.clear();
                        }
                        return out;
                    }
                    let header_like = HEADER_STARTS.iter().any(|s| rest.starts_with(s));
                    if !header_like {
                        let may_become = HEADER_STARTS.iter().any(|s| s.starts_with(rest));
                        if may_become && !end {
                            return out;
                        }
                        if may_become {
                            // A cut-off start of a header at the very end: markup.
                            self.held.clear();
                            return out;
                        }
                        // No header at all: plain answer text.
                        self.state = State::Body(Body::Answer);
                        self.fresh = true;
                        continue;
                    }
                    let mut window = rest.len().min(HEADER_LIMIT);
                    while !rest.is_char_boundary(window) {
                        window -= 1;
                    }
                    let Some(at) = rest[..window].find(HARMONY_MESSAGE) else {
                        if rest.len() >= HEADER_LIMIT {
                            self.state = State::Body(Body::Answer);
                            self.fresh = true;
                            continue;
                        }
                        if end {
                            // A header the generation stopped in: nothing to show.
                            self.held.clear();
                        }
                        return out;
                    };
                    let lead = self.held.len() - rest.len();
                    let header = &self.held[..lead + at];
                    let body = classify(header);
                    if body == Body::Call {
                        let unchanged = format!("{}{HARMONY_MESSAGE}", without_role(header));
                        out.push(Split::Answer(unchanged));
                    }
                    self.held.drain(..lead + at + HARMONY_MESSAGE.len());
                    self.state = State::Body(body);
                    self.fresh = true;
                }
                State::Body(body) => {
                    let found = BODY_ENDS
                        .iter()
                        .filter_map(|m| self.held.find(m).map(|at| (at, *m)))
                        .min();
                    if let Some((at, marker)) = found {
                        let text = self.held[..at].to_owned();
                        self.emit(body, &text, &mut out);
                        // The next message's start stays for the header; a terminator
                        // goes, except after a call, which is passed on whole.
                        let consumed = if marker == START { 0 } else { marker.len() };
                        if body == Body::Call && consumed > 0 {
                            out.push(Split::Answer(marker.to_owned()));
                        }
                        self.held.drain(..at + consumed);
                        self.state = State::Header;
                        continue;
                    }
                    let keep = if end {
                        0
                    } else {
                        partial_marker_len(&self.held, &BODY_ENDS)
                    };
                    let text: String = self.held.drain(..self.held.len() - keep).collect();
                    self.emit(body, &text, &mut out);
                    return out;
                }
            }
        }
    }
}

/// What a message is, from its header: a call when it names a recipient other than
/// the user (`to=functions.NAME`, in the role or the channel part), thinking on the
/// `analysis` channel, answer otherwise (`final`, a `commentary` preamble). The last
/// channel counts: gpt-oss sometimes writes `commentary to=assistant<|channel|>final`.
fn classify(header: &str) -> Body {
    let word = |after: &str| -> String {
        after
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '<')
            .collect()
    };
    let recipient = header
        .match_indices("to=")
        .map(|(at, _)| word(&header[at + 3..]))
        .find(|r| !r.is_empty() && !matches!(r.as_str(), "assistant" | "user" | "all"));
    if recipient.is_some() {
        return Body::Call;
    }
    let channel = header
        .rfind(HARMONY_CHANNEL)
        .map(|at| word(&header[at + HARMONY_CHANNEL.len()..]));
    match channel.as_deref() {
        Some("analysis") => Body::Thinking,
        _ => Body::Answer,
    }
}

/// The header without a leading `<|start|>ROLE`: what a call passes on.
fn without_role(header: &str) -> &str {
    let trimmed = header.trim_start();
    let Some(after) = trimmed.strip_prefix(START) else {
        return header;
    };
    let role_end = after
        .find(|c: char| c.is_whitespace() || c == '<')
        .unwrap_or(after.len());
    &after[role_end..]
}

impl ReasoningSplitter for HarmonySplitter {
    fn push(&mut self, text: &str) -> Vec<Split> {
        self.held.push_str(text);
        self.run(false)
    }

    fn finish(&mut self) -> Vec<Split> {
        self.run(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::reasoning::tests::{cut, split_chunks};
    use proptest::prelude::*;

    fn harmony() -> Box<dyn ReasoningSplitter> {
        Box::new(HarmonySplitter::new())
    }

    fn thinking(t: &str) -> Split {
        Split::Thinking(t.into())
    }
    fn answer(t: &str) -> Split {
        Split::Answer(t.into())
    }

    fn check(output: &str, expected: &[Split]) {
        assert_eq!(
            split_chunks(harmony(), &[output]),
            expected,
            "whole: {output:?}"
        );
        let pieces = cut(output, &(0..output.len()).collect::<Vec<_>>());
        let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
        assert_eq!(
            split_chunks(harmony(), &pieces),
            expected,
            "bytewise: {output:?}"
        );
    }

    // The outputs below are gpt-oss's, as llama.cpp's tests/test-chat.cpp records them
    // for models/templates/openai-gpt-oss-120b.jinja (the prompt ends with
    // "<|start|>assistant").

    #[test]
    fn reasoning_harmony_analysis_then_final() {
        check(
            "<|channel|>analysis<|message|>I'm\nthinking<|end|><|start|>assistant<|channel|>final<|message|>Hello, world!\nWhat's up?",
            &[thinking("I'm\nthinking"), answer("Hello, world!\nWhat's up?")],
        );
        check(
            "<|channel|>final<|message|>Hello, world!\nWhat's up?",
            &[answer("Hello, world!\nWhat's up?")],
        );
        // A preamble on the commentary channel is for the user.
        check(
            "<|channel|>commentary<|message|>Hello, world!\nWhat's up?",
            &[answer("Hello, world!\nWhat's up?")],
        );
        // Cut off while thinking.
        check(
            "<|channel|>analysis<|message|>I'm\nthinking",
            &[thinking("I'm\nthinking")],
        );
        // A structured answer's constraint in the header.
        check(
            "<|channel|>analysis<|message|>I need to output the invoice details in JSON<|end|><|start|>assistant<|channel|>final <|constrain|>json<|message|>{\"amount\": 123.45}",
            &[
                thinking("I need to output the invoice details in JSON"),
                answer("{\"amount\": 123.45}"),
            ],
        );
        // "commentary to=assistant" before the final channel is no call.
        check(
            "<|channel|>analysis<|message|>I'm\nthinking<|end|><|start|>assistant<|channel|>commentary to=assistant<|channel|>final<|message|>Hello",
            &[thinking("I'm\nthinking"), answer("Hello")],
        );
    }

    #[test]
    fn reasoning_harmony_tool_calls_pass_through_unchanged() {
        check(
            "<|channel|>analysis<|message|>Thinking about edit...<|end|><|start|>assistant<|channel|>commentary to=functions.edit <|constrain|>json<|message|>{\"replaceAll\": false}<|call|>",
            &[
                thinking("Thinking about edit..."),
                answer("<|channel|>commentary to=functions.edit <|constrain|>json<|message|>{\"replaceAll\": false}<|call|>"),
            ],
        );
        // The recipient in the role part, and the output ending at the call (the
        // end-of-generation token is not written).
        check(
            "<|channel|>analysis<|message|>I'm\nthinking<|end|><|start|>assistant to=functions.special_function<|channel|>analysis<|message|>{\"arg1\": 1}",
            &[
                thinking("I'm\nthinking"),
                answer(" to=functions.special_function<|channel|>analysis<|message|>{\"arg1\": 1}"),
            ],
        );
        check(
            " to=functions.special_function<|channel|>commentary <|constrain|>json<|message|>{\"arg1\": 1}",
            &[answer(
                " to=functions.special_function<|channel|>commentary <|constrain|>json<|message|>{\"arg1\": 1}",
            )],
        );
    }

    #[test]
    fn reasoning_harmony_plain_text_and_several_thoughts() {
        check("Just text, no header.", &[answer("Just text, no header.")]);
        check(
            "<|channel|>analysis<|message|>First.<|end|><|start|>assistant<|channel|>commentary<|message|>Looking…<|end|><|start|>assistant<|channel|>analysis<|message|>Second.<|end|><|start|>assistant<|channel|>final<|message|>Done.<|return|>",
            &[
                thinking("First."),
                answer("Looking…"),
                thinking("\n\nSecond."),
                answer("Done."),
            ],
        );
        // Stopped in a header: nothing of it shows.
        check(
            "<|channel|>analysis<|message|>Hm<|end|><|start|>assistant<|chan",
            &[thinking("Hm")],
        );
    }

    const TRANSCRIPTS: &[&str] = &[
        "<|channel|>analysis<|message|>User asks 2+2. Answer 4.<|end|><|start|>assistant<|channel|>final<|message|>2 + 2 = 4 — voilà 👍",
        "<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Zürich\"}<|call|>",
        "  <|channel|>analysis<|message|>a<|end|>\n<|start|>assistant<|channel|>final<|message|>b<|end|>",
        "no header <|end|> at all",
    ];

    proptest! {
        #[test]
        fn reasoning_harmony_any_chunking_splits_as_the_whole(
            which in 0..TRANSCRIPTS.len(),
            cuts in proptest::collection::vec(0usize..300, 0..16),
        ) {
            let text = TRANSCRIPTS[which];
            let whole = split_chunks(harmony(), &[text]);
            let pieces = cut(text, &cuts);
            let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
            prop_assert_eq!(split_chunks(harmony(), &pieces), whole);
        }
    }
}
