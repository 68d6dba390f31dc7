//! What a caller asks an engine for and what it gets back: plain data shared by the
//! in-process engine, the worker protocol and the scripted fake.

use serde::{Deserialize, Serialize};

use crate::error::LlmError;

/// Who said a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }
}

/// How to pick tokens and when to stop.
///
/// Defaults follow llama.cpp's own (`common_params_sampling`), so a Hearth answer and
/// a `llama-cli` answer with the same seed are comparable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerationOptions {
    /// Upper bound on generated tokens; `None` means until the context is full.
    pub max_tokens: Option<u32>,
    /// Generation ends when any of these appears; the stop string is not returned.
    pub stop: Vec<String>,
    /// 0 means greedy decoding.
    pub temperature: f32,
    /// 0 disables top-k.
    pub top_k: i32,
    /// 1.0 disables top-p.
    pub top_p: f32,
    /// 0.0 disables min-p.
    pub min_p: f32,
    /// 1.0 disables the repetition penalty.
    pub repeat_penalty: f32,
    /// How many recent tokens the repetition penalty looks at.
    pub repeat_last_n: i32,
    /// The same seed and options give the same text; `None` picks one at random.
    pub seed: Option<u32>,
    /// Constrain the output to JSON that validates against this schema.
    pub json_schema: Option<serde_json::Value>,
    /// Keep generating past end-of-generation tokens (benchmarks only).
    pub ignore_eos: bool,
}

impl Default for GenerationOptions {
    fn default() -> Self {
        Self {
            max_tokens: None,
            stop: Vec::new(),
            temperature: 0.8,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            repeat_penalty: 1.0,
            repeat_last_n: 64,
            seed: None,
            json_schema: None,
            ignore_eos: false,
        }
    }
}

impl GenerationOptions {
    /// Deterministic, most-likely-token decoding.
    pub fn greedy() -> Self {
        Self {
            temperature: 0.0,
            ..Self::default()
        }
    }

    /// Rejects values llama.cpp would misbehave on, with the field named.
    pub fn validate(&self) -> Result<(), LlmError> {
        let bad = |reason: String| Err(LlmError::InvalidOptions { reason });
        if !self.temperature.is_finite() || self.temperature < 0.0 {
            return bad(format!(
                "temperature must be 0 or more, got {}",
                self.temperature
            ));
        }
        if !(0.0..=1.0).contains(&self.top_p) {
            return bad(format!("top_p must be between 0 and 1, got {}", self.top_p));
        }
        if !(0.0..=1.0).contains(&self.min_p) {
            return bad(format!("min_p must be between 0 and 1, got {}", self.min_p));
        }
        if self.top_k < 0 {
            return bad(format!("top_k must be 0 (off) or more, got {}", self.top_k));
        }
        if !self.repeat_penalty.is_finite() || self.repeat_penalty <= 0.0 {
            return bad(format!(
                "repeat_penalty must be above 0, got {}",
                self.repeat_penalty
            ));
        }
        if self.max_tokens == Some(0) {
            return bad("max_tokens must be at least 1".into());
        }
        if self.stop.iter().any(String::is_empty) {
            return bad("stop strings must not be empty".into());
        }
        Ok(())
    }
}

/// A prompt that is ready for the engine: already formatted text, plus options.
///
/// Chat formatting and schema-to-grammar conversion happen before this point, on the
/// caller's thread, so the engine thread only tokenizes, decodes and samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineRequest {
    pub prompt: Prompt,
    pub options: GenerationOptions,
    /// GBNF grammar derived from `options.json_schema`.
    pub grammar: Option<String>,
}

/// The input of a request: text to tokenize, or tokens already made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    Text(String),
    Tokens(Vec<u32>),
}

/// Why generation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum StopReason {
    /// The model produced an end-of-generation token.
    EndOfGeneration,
    /// `max_tokens` was reached.
    MaxTokens,
    /// One of the stop strings appeared.
    StopString { stop: String },
    /// The sequence filled its share of the context.
    ContextFull,
    /// The caller cancelled or went away.
    Cancelled,
}

/// Counts and timings of one finished generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The whole generated text, exactly the concatenation of the deltas.
    pub text: String,
    pub stop_reason: StopReason,
    pub prompt_tokens: usize,
    /// Prompt tokens found already evaluated in the sequence's cache (a shared prefix
    /// with what that sequence held before), so not evaluated again.
    #[serde(default)]
    pub cached_tokens: usize,
    /// Of the cached tokens, those loaded from a context saved on disk (after the
    /// conversation lost its sequence or the app restarted).
    #[serde(default)]
    pub restored_tokens: usize,
    pub completion_tokens: usize,
    /// Time from accepting the request to the first sampled token (prompt processing).
    pub prompt_ms: f64,
    /// Time from the first sampled token to the end.
    pub generation_ms: f64,
    /// Time the request waited for a free sequence slot.
    pub queue_ms: f64,
}

impl Completion {
    /// Generated tokens per second after the first one, as llama.cpp reports `eval` speed.
    pub fn tokens_per_second(&self) -> f64 {
        if self.generation_ms <= 0.0 || self.completion_tokens < 2 {
            return 0.0;
        }
        (self.completion_tokens - 1) as f64 * 1000.0 / self.generation_ms
    }
}

/// One streamed event of a generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum GenerationEvent {
    /// New text; always whole UTF-8 characters.
    Delta { text: String },
    /// The last event of a successful generation.
    Done { completion: Completion },
    /// The last event of a failed generation.
    Failed { error: LlmError },
}
