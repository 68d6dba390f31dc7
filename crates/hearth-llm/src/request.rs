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
    /// The result of a tool the assistant called, answering one of its `tool_calls`.
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// One turn of a conversation.
///
/// Besides its text, an assistant turn may carry the model's thinking (`reasoning`,
/// kept apart from the answer) and the tools it asked to call; a `tool` turn carries
/// one call's result and names the call it answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
    /// The model's thinking before this answer, split from it while streaming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// The tools this assistant turn asked to call, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// On a `tool` turn: the id of the call this result answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// On a `tool` turn: the name of the tool that was called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A tool the model may call: a function with a name, what it does, and the JSON
/// schema of its arguments (OpenAI's `tools[].function`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON schema of the arguments object.
    #[serde(default = "empty_object_schema")]
    pub parameters: serde_json::Value,
}

fn empty_object_schema() -> serde_json::Value {
    serde_json::json!({"type": "object", "properties": {}})
}

/// One call the model asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Unique within the conversation; the `tool` turn with the result names it.
    pub id: String,
    pub name: String,
    /// The arguments, parsed: always a JSON value (an object for schema'd tools).
    pub arguments: serde_json::Value,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            reasoning: None,
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
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
    /// The result of the tool call `call_id` to `name`.
    pub fn tool_result(
        call_id: impl Into<String>,
        name: impl Into<String>,
        content: impl Into<String>,
    ) -> Self {
        Self {
            tool_call_id: Some(call_id.into()),
            name: Some(name.into()),
            ..Self::new(Role::Tool, content)
        }
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
    /// Tools the model may call: the template writes them into the prompt, and the
    /// calls the model makes come back parsed, arguments checked against each schema.
    pub tools: Vec<ToolSpec>,
    /// Whether and which tool the model must call.
    pub tool_choice: ToolChoice,
    /// Whether the model may call several tools in one answer (OpenAI's
    /// `parallel_tool_calls`); `false` allows at most one call.
    pub parallel_tool_calls: bool,
    /// Thinking on or off where the template supports a switch (`enable_thinking`);
    /// `None` keeps the template's default.
    pub thinking: Option<bool>,
    /// The most tokens the model may spend thinking before it is made to answer;
    /// `None` for no limit.
    pub thinking_budget: Option<u32>,
    /// gpt-oss's `reasoning_effort` ("low", "medium" or "high"); `None` for the
    /// template's default.
    pub reasoning_effort: Option<String>,
    /// Guess the next tokens from the text so far and verify them in one batch
    /// (speculative decoding; the output is the same). `None` follows the engine's
    /// setting; `Some(false)` turns it off for this request, `Some(true)` cannot turn
    /// it on where the engine has it off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speculative: Option<bool>,
}

/// OpenAI's `tool_choice`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ToolChoice {
    /// The model decides whether to call a tool.
    #[default]
    Auto,
    /// The model must not call any tool (the tools are still described to it).
    None,
    /// The model must call at least one tool.
    Required,
    /// The model must call this tool.
    Function { name: String },
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
            tools: Vec::new(),
            tool_choice: ToolChoice::Auto,
            parallel_tool_calls: true,
            thinking: None,
            thinking_budget: None,
            reasoning_effort: None,
            speculative: None,
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
    /// GBNF grammar derived from `options.json_schema`, or from the tools' schemas.
    pub grammar: Option<String>,
    /// When not empty, the grammar is lazy: the output is free until one of these
    /// regular expressions (ECMAScript, as llama.cpp's `std::regex` reads them) matches
    /// it, and the grammar constrains what follows from the match's first capture group
    /// (a tool call's opener, so free text is never constrained).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grammar_triggers: Vec<String>,
    /// Special tokens written out as text when the model generates them (tool-call
    /// markers such as `[TOOL_CALLS]` are control tokens, otherwise dropped), so the
    /// output parser can see them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preserved_tokens: Vec<String>,
    /// The most tokens the model may think before the engine closes its thinking for
    /// it (set by `chat` from `options.thinking_budget`, for models whose template marks
    /// thinking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_budget: Option<ThinkingBudget>,
}

/// A thinking budget as the engine keeps it: it counts the tokens generated inside the
/// thinking (from `open`, or from the start when the prompt already opened it) until
/// `end` appears, and once `tokens` are spent writes `close` into the output as if the
/// model had, so the model goes on to answer. See `output/budget.rs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThinkingBudget {
    pub tokens: u32,
    /// The prompt already opened the thinking block.
    pub inside: bool,
    /// How the model opens its thinking (`<think>`).
    pub open: String,
    /// Text whose appearance means the thinking is over (`</think>`).
    pub end: String,
    /// Text written when the budget is spent: the end of the thinking and whatever
    /// opens the answer.
    pub close: String,
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
    /// The whole answer, exactly the concatenation of the deltas: without the thinking
    /// and the tool calls when `chat` split them out.
    pub text: String,
    /// The model's thinking, exactly the concatenation of the `Reasoning` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// The tool calls the model made, as their `ToolCall` events came.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
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
    /// Tokens guessed ahead and evaluated with the model's own (speculative decoding).
    #[serde(default)]
    pub drafted_tokens: usize,
    /// Of the guessed tokens, those the model agreed with (they are in `completion_tokens`).
    #[serde(default)]
    pub accepted_tokens: usize,
    /// Of the accepted tokens, those a draft model guessed (the rest were copied from
    /// the text by prompt lookup).
    #[serde(default)]
    pub accepted_from_draft_model: usize,
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
    /// New text of the answer; always whole UTF-8 characters.
    Delta { text: String },
    /// New text of the model's thinking, split from the answer (only from `chat`, for
    /// models whose template marks thinking).
    Reasoning { text: String },
    /// A tool call the model made, whole, its arguments parsed (only from `chat` with
    /// `tools`).
    ToolCall { call: ToolCall },
    /// The last event of a successful generation.
    Done { completion: Completion },
    /// The last event of a failed generation.
    Failed { error: LlmError },
}

impl GenerationEvent {
    /// `Done` and `Failed` end a generation; every other event may be followed by more.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            GenerationEvent::Done { .. } | GenerationEvent::Failed { .. }
        )
    }
}

/// The adapter an engine runs with, as [`ModelInfo`](crate::ModelInfo) reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdapterInfo {
    pub path: std::path::PathBuf,
    /// The adapter's `general.name`, or its file name without extension.
    pub name: String,
    pub scale: f32,
}
