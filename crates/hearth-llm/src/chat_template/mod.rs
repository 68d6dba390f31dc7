//! Chat formatting: a conversation turned into the prompt text a model was trained on.
//!
//! The model's own template (`tokenizer.chat_template` in its GGUF) is Jinja written for
//! Hugging Face transformers; it runs here in minijinja set up to render as transformers
//! does (`jinja`), with the variables transformers and llama.cpp's server pass
//! (`context`): messages with thinking and tool calls, the tools on offer,
//! `enable_thinking`, `reasoning_effort`, the model's BOS and EOS texts. It is checked
//! byte for byte against jinja2 on llama.cpp's 70 reference templates
//! (`tests/chat_templates.rs`).
//!
//! When the file has no template (base models), or its template fails on a
//! conversation (it raises, as Gemma 2's does for a system message, or renders
//! nothing), llama.cpp's built-in template for the architecture is used instead
//! (`builtin`), and [`TemplateSource::Fallback`] says why.
//!
//! Formatting happens on the caller's thread, never on the engine thread: it needs only
//! the template text and the token texts, not the model.

mod builtin;
mod context;
mod jinja;
mod python;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use builtin::fallback_for_architecture;
pub use jinja::Clock;

use crate::engine::ModelInfo;
use crate::error::LlmError;
use crate::request::{ChatMessage, GenerationOptions, ToolSpec};

/// Where the template in use came from, so the UI can say so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum TemplateSource {
    /// `tokenizer.chat_template` from the GGUF.
    Model,
    /// A llama.cpp built-in template picked from the architecture.
    Fallback { name: String, why: String },
    /// A remote provider's server formats the conversation itself.
    Remote,
}

/// What a template is asked besides the messages.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateOptions {
    /// Tools the model may call, described in the prompt by the template.
    pub tools: Vec<ToolSpec>,
    /// `enable_thinking` for templates with a thinking switch; `None` leaves the
    /// variable undefined, so the template's own default applies.
    pub enable_thinking: Option<bool>,
    /// `reasoning_effort` (gpt-oss: "low", "medium", "high"); `None` leaves it undefined.
    pub reasoning_effort: Option<String>,
    /// End with the assistant's turn opened, ready for the answer.
    pub add_generation_prompt: bool,
}

impl Default for TemplateOptions {
    fn default() -> Self {
        Self {
            tools: Vec::new(),
            enable_thinking: None,
            reasoning_effort: None,
            add_generation_prompt: true,
        }
    }
}

impl TemplateOptions {
    /// The template's side of a request's options: its tools and thinking switches,
    /// with the assistant's turn opened for the answer.
    pub fn from_generation(options: &GenerationOptions) -> Self {
        Self {
            tools: options.tools.clone(),
            enable_thinking: options.thinking,
            reasoning_effort: options.reasoning_effort.clone(),
            add_generation_prompt: true,
        }
    }
}

impl From<&GenerationOptions> for TemplateOptions {
    fn from(options: &GenerationOptions) -> Self {
        Self::from_generation(options)
    }
}

/// The model's template, compiled once, or why it could not be.
#[derive(Debug, Clone)]
struct ModelTemplate {
    source: Arc<str>,
    compiled: Arc<Result<jinja::CompiledTemplate, String>>,
}

impl ModelTemplate {
    fn new(source: &str, clock: Clock) -> Self {
        let compiled = jinja::CompiledTemplate::new(source, clock).map_err(|e| describe(&e));
        Self {
            source: Arc::from(source),
            compiled: Arc::new(compiled),
        }
    }
}

/// A minijinja error as one line: what went wrong and where in the template.
fn describe(error: &minijinja::Error) -> String {
    let mut text = match error.detail() {
        Some(detail) => detail.to_owned(),
        None => error.kind().to_string(),
    };
    if let Some(line) = error.line() {
        text.push_str(&format!(" (template line {line})"));
    }
    text
}

/// Formats conversations for one model.
#[derive(Debug, Clone)]
pub struct ChatFormatter {
    model_template: Option<ModelTemplate>,
    fallback: &'static str,
    architecture: String,
    bos_token: String,
    eos_token: String,
    clock: Clock,
}

impl ChatFormatter {
    /// A formatter for the template `model_template` (None or blank: the file has
    /// none) of a model of `architecture`, with empty BOS and EOS texts; see
    /// [`with_special_tokens`](Self::with_special_tokens) and
    /// [`for_model`](Self::for_model).
    pub fn new(model_template: Option<&str>, architecture: &str) -> Self {
        let clock = Clock::default();
        Self {
            model_template: model_template
                .filter(|t| !t.trim().is_empty())
                .map(|t| ModelTemplate::new(t, clock)),
            fallback: fallback_for_architecture(architecture),
            architecture: architecture.to_owned(),
            bos_token: String::new(),
            eos_token: String::new(),
            clock,
        }
    }

    /// The formatter of a loaded model: its template, architecture and token texts.
    pub fn for_model(info: &ModelInfo) -> Self {
        Self::new(info.chat_template.as_deref(), &info.architecture)
            .with_special_tokens(info.bos_token.as_deref(), info.eos_token.as_deref())
    }

    /// The texts of the model's BOS and EOS tokens, which templates write as
    /// `bos_token` and `eos_token`.
    pub fn with_special_tokens(mut self, bos: Option<&str>, eos: Option<&str>) -> Self {
        self.bos_token = bos.unwrap_or_default().to_owned();
        self.eos_token = eos.unwrap_or_default().to_owned();
        self
    }

    /// What `strftime_now` reads: a fixed moment makes a dated template's prompt the
    /// same every day (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        if clock != self.clock {
            self.clock = clock;
            self.model_template = self
                .model_template
                .map(|t| ModelTemplate::new(&t.source, clock));
        }
        self
    }

    /// The model's own template text, when its file has one (whether or not it runs),
    /// so that other code can tell which output format the model writes.
    pub fn template_text(&self) -> Option<&str> {
        self.model_template.as_ref().map(|t| &*t.source)
    }

    /// The built-in template used when the model's cannot be.
    pub fn fallback_name(&self) -> &'static str {
        self.fallback
    }

    /// Turns messages into prompt text, the assistant's turn opened when
    /// `options.add_generation_prompt` says so.
    pub fn format(
        &self,
        messages: &[ChatMessage],
        options: &TemplateOptions,
    ) -> Result<(String, TemplateSource), LlmError> {
        if messages.is_empty() {
            return Err(LlmError::Template {
                reason: "the conversation has no messages".into(),
            });
        }
        let Some(template) = &self.model_template else {
            let why = format!(
                "the model file has no chat template; chosen for architecture `{}`",
                self.architecture
            );
            return self.format_fallback(messages, options, why);
        };
        let rendered = match template.compiled.as_ref() {
            Ok(compiled) => compiled
                .render(&context::Inputs {
                    messages,
                    tools: &options.tools,
                    add_generation_prompt: options.add_generation_prompt,
                    enable_thinking: options.enable_thinking,
                    reasoning_effort: options.reasoning_effort.as_deref(),
                    bos_token: &self.bos_token,
                    eos_token: &self.eos_token,
                })
                .map_err(|e| {
                    format!(
                        "the model's chat template failed on this conversation: {}",
                        describe(&e)
                    )
                }),
            Err(reason) => Err(format!(
                "the model's chat template does not compile: {reason}"
            )),
        };
        match rendered {
            Ok(text) if !text.trim().is_empty() => Ok((text, TemplateSource::Model)),
            Ok(_) => self.format_fallback(
                messages,
                options,
                "the model's chat template rendered an empty prompt".into(),
            ),
            Err(why) => {
                tracing::warn!(%why, fallback = self.fallback, "model chat template not usable; using fallback");
                self.format_fallback(messages, options, why)
            }
        }
    }

    fn format_fallback(
        &self,
        messages: &[ChatMessage],
        options: &TemplateOptions,
        mut why: String,
    ) -> Result<(String, TemplateSource), LlmError> {
        let text = builtin::apply_template(self.fallback, messages, options.add_generation_prompt)
            .map_err(|reason| LlmError::Template { reason })?;
        if !options.tools.is_empty() {
            why.push_str("; the built-in template cannot describe tools to the model");
        }
        Ok((
            text,
            TemplateSource::Fallback {
                name: self.fallback.to_owned(),
                why,
            },
        ))
    }
}

#[cfg(test)]
mod tests;
