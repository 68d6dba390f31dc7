//! Tool calls in the model's own syntax: which syntax a model uses (told from its chat
//! template, as llama.cpp's `common/chat.cpp` does), a streaming reader that turns the
//! answer text into `Delta` and whole `ToolCall` events, and the lazy grammar that makes
//! each call's arguments follow its tool's schema.
//!
//! One file per family of syntaxes; each says where a call may begin ([`Syntax::find`])
//! and reads one call, or a block of calls, from there ([`Syntax::read`]). The
//! [`CallStream`] driving them is shared: answer text streams out at once, except what
//! could still be the beginning of a call, which is held until it is one (then the call
//! comes out whole, once read) or is not (then it comes out as text after all).

mod command_r;
mod deepseek;
mod functionary;
mod generic;
mod gpt_oss;
mod grammar;
mod granite;
mod hermes;
mod llama3;
mod mistral;
mod scan;
#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::error::LlmError;
use crate::request::{GenerationEvent, GenerationOptions, ToolCall, ToolChoice, ToolSpec};

pub use grammar::ToolGrammar;
use scan::Found;

use super::ToolCallParser;

/// The syntaxes Hearth reads, named after the models that introduced them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Hermes 2/3, Qwen 2.5/3, Granite 4: `<tool_call>{"name": …, "arguments": …}</tool_call>`.
    Hermes,
    /// Llama 3.1–3.3: `{"name": …, "parameters": …}` as the whole answer, or after
    /// `<|python_tag|>` (also `name.call(arg="…")` for the built-in tools).
    Llama3,
    /// Mistral Nemo: `[TOOL_CALLS][{"name": …, "arguments": …, "id": …}]`.
    MistralNemo,
    /// Mistral Small 3.2, Devstral, Ministral: `[TOOL_CALLS]name[CALL_ID]id[ARGS]{…}`
    /// (`[CALL_ID]` only where the template has it).
    MistralArgs { call_id: bool },
    /// gpt-oss: `<|channel|>commentary to=functions.name <|constrain|>json<|message|>{…}`.
    GptOss,
    /// Functionary v3.2: `>>>name\n{…}`; `>>>all\n` starts answer text.
    FunctionaryV32,
    /// Command R7B: `<|START_ACTION|>[{"tool_call_id": …, "tool_name": …, "parameters": …}]<|END_ACTION|>`.
    CommandR7b,
    /// Granite 3.x: `<|tool_call|>[{"name": …, "arguments": …}]`.
    Granite,
    /// DeepSeek R1: `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>name\n```json\n{…}\n```<｜tool▁call▁end｜>…`.
    DeepSeekR1,
    /// DeepSeek V3.1: `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>name<｜tool▁sep｜>{…}<｜tool▁call▁end｜>…`.
    DeepSeekV31,
    /// Any other template: a JSON answer, `{"tool_call": {"name": …, "arguments": …}}`
    /// (llama.cpp's generic format), `{"tool_calls": […]}`, or a bare call object.
    Generic,
}

impl Family {
    /// The syntax of a model with this chat template. The order follows llama.cpp's
    /// dispatch, where a template could match several tests.
    pub fn of_template(template: &str) -> Family {
        let has = |marker: &str| template.contains(marker);
        if has("<｜tool▁calls▁begin｜>") {
            // R1's template writes the type ("function") before the separator and
            // fences the arguments; V3.1's writes the name there.
            if has("```json") {
                Family::DeepSeekR1
            } else {
                Family::DeepSeekV31
            }
        } else if has("<|START_ACTION|>") {
            Family::CommandR7b
        } else if has("<|channel|>") {
            Family::GptOss
        } else if has(">>>all") {
            Family::FunctionaryV32
        } else if has("<tool_call>") {
            Family::Hermes
        } else if has("<|tool_call|>") {
            Family::Granite
        } else if has("[TOOL_CALLS]") {
            if has("[ARGS]") {
                Family::MistralArgs {
                    call_id: has("[CALL_ID]"),
                }
            } else {
                Family::MistralNemo
            }
        } else if has("<|start_header_id|>ipython<|end_header_id|>") {
            Family::Llama3
        } else {
            Family::Generic
        }
    }

    fn syntax(self, tools: &[String]) -> Box<dyn Syntax> {
        match self {
            Family::Hermes => Box::new(hermes::Hermes),
            Family::Llama3 => Box::new(llama3::Llama3),
            Family::MistralNemo | Family::MistralArgs { .. } => Box::new(mistral::Mistral),
            Family::GptOss => Box::new(gpt_oss::GptOss),
            Family::FunctionaryV32 => Box::new(functionary::Functionary {
                tools: tools.to_vec(),
            }),
            Family::CommandR7b => Box::new(command_r::CommandR),
            Family::Granite => Box::new(granite::Granite),
            Family::DeepSeekR1 | Family::DeepSeekV31 => Box::new(deepseek::DeepSeek),
            Family::Generic => Box::new(generic::Generic),
        }
    }

    /// Mistral's templates refuse call ids that are not 9 letters or digits.
    fn short_ids(self) -> bool {
        matches!(self, Family::MistralNemo | Family::MistralArgs { .. })
    }
}

/// Reads one family's syntax.
pub(crate) trait Syntax: Send {
    /// Where the first call may begin in `text`. `fresh` says `text` is the start of
    /// the answer (nothing but whitespace came before), where some syntaxes put a call
    /// without any marker.
    fn find(&self, text: &str, fresh: bool) -> Found;
    /// Reads the call (or block of calls) at the front of `text`, where `find` saw an
    /// opener. With `end`, no more text will come.
    fn read(&self, text: &str, end: bool) -> Read;
}

/// What a syntax read at an opener.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Read {
    /// Cannot tell yet: wait for more text.
    More,
    /// Not a call: the first this-many bytes (at least one character) are answer text.
    Text(usize),
    /// Calls (or none: a marker that only frames the answer, such as Command R's
    /// `<|START_RESPONSE|>`), answer text the syntax carried (a generic
    /// `{"response": …}`), and the bytes all of it took.
    Done {
        calls: Vec<RawCall>,
        text: Option<String>,
        used: usize,
    },
}

/// A call as read, before it is checked against the tools and given an id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawCall {
    pub name: String,
    pub arguments: Value,
    /// The id the model wrote, where its syntax has one.
    pub id: Option<String>,
}

impl RawCall {
    /// A call from a JSON object with the name under `name_key` and the arguments under
    /// the first of `argument_keys` present (none present: no arguments).
    pub fn from_json(value: &Value, name_key: &str, argument_keys: &[&str]) -> Option<RawCall> {
        let object = value.as_object()?;
        let name = object.get(name_key)?.as_str()?.to_owned();
        let arguments = argument_keys
            .iter()
            .find_map(|key| object.get(*key))
            .cloned()
            .unwrap_or(Value::Null);
        let id = object.get("id").and_then(Value::as_str).map(str::to_owned);
        Some(RawCall {
            name,
            arguments: scan::arguments(arguments),
            id,
        })
    }
}

/// Answers with tools offered are read for calls, unless `tool_choice` is `none`.
fn calls_wanted(options: &GenerationOptions) -> bool {
    !options.tools.is_empty() && options.tool_choice != ToolChoice::None
}

/// The reader of tool calls for a model with this template, when tools may be called.
pub fn parser_for(template: &str, options: &GenerationOptions) -> Option<Box<dyn ToolCallParser>> {
    if !calls_wanted(options) {
        return None;
    }
    let family = Family::of_template(template);
    let tools: Vec<String> = options.tools.iter().map(|t| t.name.clone()).collect();
    Some(Box::new(CallStream::new(
        family,
        tools,
        (!options.parallel_tool_calls).then_some(1),
    )))
}

/// The grammar that makes the model's calls follow the tools' schemas, for a model
/// with this template; `None` when no call may be made.
pub fn grammar_for(
    template: &str,
    options: &GenerationOptions,
) -> Result<Option<ToolGrammar>, LlmError> {
    if !calls_wanted(options) {
        return Ok(None);
    }
    let family = Family::of_template(template);
    let (tools, lazy): (Vec<&ToolSpec>, bool) = match &options.tool_choice {
        ToolChoice::Auto => (options.tools.iter().collect(), true),
        ToolChoice::Required => (options.tools.iter().collect(), false),
        ToolChoice::Function { name } => {
            let tool = options
                .tools
                .iter()
                .find(|t| &t.name == name)
                .ok_or_else(|| LlmError::InvalidOptions {
                    reason: format!(
                        "tool_choice names the function `{name}`, which is not among the tools; name one of them"
                    ),
                })?;
            (vec![tool], false)
        }
        ToolChoice::None => return Ok(None),
    };
    grammar::build(family, &tools, lazy, options.parallel_tool_calls).map(Some)
}

/// Why llama.cpp cannot constrain arguments to this tool's schema, if it cannot.
pub fn schema_problem(tool: &ToolSpec) -> Option<String> {
    grammar::args_grammar(0, &tool.parameters).err()
}

/// A new call id: `call_` and 24 letters and digits, or 9 of them for Mistral.
fn new_id(short: bool) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let bytes: Vec<u8> = uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .chain(uuid::Uuid::new_v4().as_bytes())
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()])
        .collect();
    let text = String::from_utf8_lossy(&bytes);
    if short {
        text[..9].to_owned()
    } else {
        format!("call_{}", &text[..24])
    }
}

/// The streaming reader: answer text in, `Delta` and `ToolCall` events out.
pub(crate) struct CallStream {
    family: Family,
    syntax: Box<dyn Syntax>,
    tools: Vec<String>,
    /// `Some(1)` when parallel calls are off.
    max_calls: Option<usize>,
    made: usize,
    /// Text not yet handed out: held whitespace, a possible opener, a call being read.
    buffer: String,
    in_call: bool,
    /// Nothing but whitespace has come so far.
    fresh: bool,
    /// A call just ended: whitespace before the next text is the syntax's, not the
    /// answer's.
    after_call: bool,
    /// The whitespace between the text and the opener being read: dropped if a call
    /// follows, given back if the opener turns out to be text.
    gap: String,
}

impl CallStream {
    pub fn new(family: Family, tools: Vec<String>, max_calls: Option<usize>) -> Self {
        CallStream {
            family,
            syntax: family.syntax(&tools),
            tools,
            max_calls,
            made: 0,
            buffer: String::new(),
            in_call: false,
            fresh: true,
            after_call: false,
            gap: String::new(),
        }
    }

    fn text(&mut self, text: String, out: &mut Vec<GenerationEvent>) {
        if text.is_empty() {
            return;
        }
        if !text.trim().is_empty() {
            self.fresh = false;
        }
        out.push(GenerationEvent::Delta { text });
    }

    /// Hands out the first `n` bytes of the buffer as text.
    fn release(&mut self, n: usize, out: &mut Vec<GenerationEvent>) {
        let text: String = self.buffer.drain(..n).collect();
        self.text(text, out);
    }

    /// The opener was not a call: the whitespace before it is answer text after all.
    fn give_back_gap(&mut self, out: &mut Vec<GenerationEvent>) {
        let gap = std::mem::take(&mut self.gap);
        self.text(gap, out);
    }

    /// The calls of a block, or `None` when one of them names no offered tool: a call
    /// the client cannot run is shown as the text it is.
    fn accept(&mut self, calls: Vec<RawCall>) -> Option<Vec<ToolCall>> {
        if calls.iter().any(|c| !self.tools.contains(&c.name)) {
            return None;
        }
        let mut accepted = Vec::new();
        for call in calls {
            if self.max_calls.is_some_and(|max| self.made >= max) {
                tracing::warn!(tool = %call.name, "dropping a tool call past the one allowed (parallel_tool_calls is off)");
                continue;
            }
            self.made += 1;
            let short = self.family.short_ids();
            let id = match call.id {
                Some(id)
                    if short && id.len() == 9 && id.chars().all(|c| c.is_ascii_alphanumeric()) =>
                {
                    id
                }
                _ => new_id(short),
            };
            accepted.push(ToolCall {
                id,
                name: call.name,
                arguments: call.arguments,
            });
        }
        Some(accepted)
    }

    fn run(&mut self, end: bool, out: &mut Vec<GenerationEvent>) {
        loop {
            if self.in_call {
                match self.syntax.read(&self.buffer, end) {
                    Read::More if !end => return,
                    // The answer ended inside something that looked like a call.
                    Read::More => {
                        self.in_call = false;
                        self.give_back_gap(out);
                        let all = self.buffer.len();
                        self.release(all, out);
                        return;
                    }
                    Read::Text(n) => {
                        self.in_call = false;
                        self.give_back_gap(out);
                        let n = first_chars(&self.buffer, n);
                        self.release(n, out);
                    }
                    Read::Done { calls, text, used } => {
                        let had_calls = !calls.is_empty();
                        match self.accept(calls) {
                            Some(calls) => {
                                if had_calls {
                                    self.gap.clear();
                                } else {
                                    // A marker that only frames the answer.
                                    self.give_back_gap(out);
                                }
                                self.buffer.drain(..used.min(self.buffer.len()));
                                self.in_call = false;
                                self.fresh = false;
                                if let Some(text) = text {
                                    self.text(text, out);
                                }
                                out.extend(
                                    calls
                                        .into_iter()
                                        .map(|call| GenerationEvent::ToolCall { call }),
                                );
                                self.after_call = had_calls;
                            }
                            None => {
                                self.in_call = false;
                                self.give_back_gap(out);
                                let n = first_chars(&self.buffer, used);
                                self.release(n, out);
                            }
                        }
                    }
                }
                continue;
            }
            if self.after_call {
                let w = scan::ws(&self.buffer);
                if w == self.buffer.len() && !end {
                    return;
                }
                self.buffer.drain(..w);
                self.after_call = false;
            }
            if self.buffer.is_empty() {
                return;
            }
            match self.syntax.find(&self.buffer, self.fresh) {
                Found::Opener(p) => {
                    // Whitespace before a call only separated it from the text.
                    let before = self.buffer[..p].trim_end().len();
                    self.release(before, out);
                    self.gap = self.buffer.drain(..p - before).collect();
                    self.in_call = true;
                }
                Found::Partial(p) if !end => {
                    let keep = self.buffer[..p].trim_end().len();
                    self.release(keep, out);
                    return;
                }
                Found::None | Found::Partial(_) => {
                    let n = if end {
                        self.buffer.len()
                    } else {
                        self.buffer.trim_end().len()
                    };
                    self.release(n, out);
                    return;
                }
            }
        }
    }
}

/// `n` bytes rounded to a character boundary, and at least one character, so reading
/// always moves on.
fn first_chars(text: &str, n: usize) -> usize {
    let mut n = n.clamp(1, text.len().max(1)).min(text.len());
    while n < text.len() && !text.is_char_boundary(n) {
        n += 1;
    }
    n
}

impl ToolCallParser for CallStream {
    fn push(&mut self, text: &str) -> Vec<GenerationEvent> {
        self.buffer.push_str(text);
        let mut out = Vec::new();
        self.run(false, &mut out);
        out
    }

    fn finish(&mut self) -> Vec<GenerationEvent> {
        let mut out = Vec::new();
        self.run(true, &mut out);
        out
    }
}
