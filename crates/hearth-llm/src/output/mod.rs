//! Reading a model's raw output into what it means: the answer, the model's thinking
//! and the tools it called.
//!
//! Models mark these in their own ways (`<think>…</think>`, gpt-oss's channels,
//! `<tool_call>{…}</tool_call>`, `[TOOL_CALLS]`, …). Which way a model uses follows
//! from its chat template and the prompt it rendered; [`parser_for`] puts together the
//! two stages that apply: a [`ReasoningSplitter`] that takes the thinking out of the raw
//! text, then a [`ToolCallParser`] that finds the calls in what is left. A
//! [`crate::Generation`] runs the engine's text through them on the caller's thread, so
//! every front end sees the same events: `Delta` (answer), `Reasoning` and `ToolCall`.

pub mod budget;
mod harmony;
pub mod reasoning;
pub mod tools;
#[cfg(test)]
mod transcript_tests;

use crate::request::{Completion, GenerationEvent, GenerationOptions, ToolCall};

/// Turns raw streamed text into answer, thinking and tool-call events.
///
/// `push` may hold text back while it cannot yet tell what it is (half of a marker);
/// `finish` releases what is held, completes or rejects pending calls, and rewrites the
/// completion: `text` becomes the answer alone (the concatenation of the `Delta`
/// events), `reasoning` the thinking, `tool_calls` the calls.
pub trait OutputParser: Send {
    fn push(&mut self, text: &str) -> Vec<GenerationEvent>;
    fn finish(&mut self, completion: &mut Completion) -> Vec<GenerationEvent>;
}

/// A piece of raw output, once the thinking is told apart from the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    Thinking(String),
    /// Everything else: the answer, and tool calls still in the model's own syntax.
    Answer(String),
}

/// Takes the model's thinking out of its raw output, as it streams.
pub trait ReasoningSplitter: Send {
    fn push(&mut self, text: &str) -> Vec<Split>;
    /// The end of the output: whatever was held back.
    fn finish(&mut self) -> Vec<Split>;
}

/// Finds tool calls in the answer text (thinking already taken out), as it streams.
pub trait ToolCallParser: Send {
    /// Answer text in; `Delta` events for plain answer text and `ToolCall` events for
    /// whole calls out.
    fn push(&mut self, text: &str) -> Vec<GenerationEvent>;
    /// The end of the answer: text held back, and the calls completed (or, for a call
    /// the model left unfinished, its text as answer text).
    fn finish(&mut self) -> Vec<GenerationEvent>;
}

/// The parser for a model whose chat template is `template` and whose rendered prompt
/// is `prompt` (it tells whether the answer starts inside a thinking block), or `None`
/// when the output is plain answer text.
pub fn parser_for(
    template: Option<&str>,
    prompt: &str,
    options: &GenerationOptions,
) -> Option<Box<dyn OutputParser>> {
    let template = template?;
    let splitter = splitter_for(template, prompt, options);
    let tools = tool_parser_for(template, options);
    if splitter.is_none() && tools.is_none() {
        return None;
    }
    Some(Box::new(Pipeline {
        splitter,
        tools,
        answer: String::new(),
        thinking: String::new(),
        calls: Vec::new(),
    }))
}

/// The reasoning stage for this template, if it marks thinking (see `reasoning.rs`).
fn splitter_for(
    template: &str,
    prompt: &str,
    options: &GenerationOptions,
) -> Option<Box<dyn ReasoningSplitter>> {
    reasoning::splitter_for(template, prompt, options)
}

/// The tool-call stage for this template, if tools were offered.
fn tool_parser_for(template: &str, options: &GenerationOptions) -> Option<Box<dyn ToolCallParser>> {
    tools::parser_for(template, options)
}

/// The two stages in a row, keeping what the completion must hold at the end.
struct Pipeline {
    splitter: Option<Box<dyn ReasoningSplitter>>,
    tools: Option<Box<dyn ToolCallParser>>,
    answer: String,
    thinking: String,
    calls: Vec<ToolCall>,
}

impl Pipeline {
    fn answer_text(&mut self, text: String, out: &mut Vec<GenerationEvent>) {
        if text.is_empty() {
            return;
        }
        match self.tools.as_mut() {
            Some(tools) => out.extend(tools.push(&text)),
            None => out.push(GenerationEvent::Delta { text }),
        }
    }

    fn splits(&mut self, splits: Vec<Split>, out: &mut Vec<GenerationEvent>) {
        for split in splits {
            match split {
                Split::Thinking(text) if !text.is_empty() => {
                    out.push(GenerationEvent::Reasoning { text })
                }
                Split::Thinking(_) => {}
                Split::Answer(text) => self.answer_text(text, out),
            }
        }
    }

    /// Notes what the caller will see, so the completion says the same.
    fn seen(&mut self, events: &[GenerationEvent]) {
        for event in events {
            match event {
                GenerationEvent::Delta { text } => self.answer.push_str(text),
                GenerationEvent::Reasoning { text } => self.thinking.push_str(text),
                GenerationEvent::ToolCall { call } => self.calls.push(call.clone()),
                GenerationEvent::Done { .. } | GenerationEvent::Failed { .. } => {}
            }
        }
    }
}

impl OutputParser for Pipeline {
    fn push(&mut self, text: &str) -> Vec<GenerationEvent> {
        let mut out = Vec::new();
        match self.splitter.as_mut() {
            Some(splitter) => {
                let splits = splitter.push(text);
                self.splits(splits, &mut out);
            }
            None => self.answer_text(text.to_owned(), &mut out),
        }
        self.seen(&out);
        out
    }

    fn finish(&mut self, completion: &mut Completion) -> Vec<GenerationEvent> {
        let mut out = Vec::new();
        if let Some(splitter) = self.splitter.as_mut() {
            let splits = splitter.finish();
            self.splits(splits, &mut out);
        }
        if let Some(tools) = self.tools.as_mut() {
            out.extend(tools.finish());
        }
        self.seen(&out);
        completion.text = std::mem::take(&mut self.answer);
        completion.reasoning =
            (!self.thinking.is_empty()).then(|| std::mem::take(&mut self.thinking));
        completion.tool_calls = std::mem::take(&mut self.calls);
        out
    }
}
