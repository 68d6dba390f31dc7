//! OpenAI's wire types, as far as Hearth implements them. Requests accept and ignore
//! fields Hearth has no use for (`user`, `metadata`...), and refuse, with the field
//! named, the ones it cannot honour (`n` above 1, `logprobs`, a tool whose schema
//! cannot be enforced), so a client is never silently given something other than what
//! it asked for.

use hearth_llm::{Completion, GenerationOptions, StopReason};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// `POST /v1/chat/completions`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChatCompletionRequest {
    /// A model id from `/v1/models` (or `default`).
    pub model: String,
    pub messages: Vec<ChatMessageIn>,
    #[serde(flatten)]
    pub sampling: SamplingFields,
    /// `{"type": "text"}`, `{"type": "json_object"}` or `{"type": "json_schema",
    /// "json_schema": {"name": ..., "schema": {...}}}`.
    #[serde(default)]
    pub response_format: Option<ResponseFormat>,
    /// Functions the model may call: `{"type": "function", "function": {"name": …,
    /// "description": …, "parameters": {JSON schema}}}`. The calls' arguments are held
    /// to each schema while they are generated.
    #[serde(default)]
    pub tools: Option<Vec<ToolIn>>,
    /// `"auto"` (the default), `"none"`, `"required"`, or
    /// `{"type": "function", "function": {"name": …}}` to make the model call that one.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub tool_choice: Option<serde_json::Value>,
    /// `false`: at most one call per answer.
    #[serde(default)]
    pub parallel_tool_calls: Option<bool>,
}

/// One entry of `tools`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ToolIn {
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: String,
    pub function: FunctionIn,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FunctionIn {
    /// Letters, digits, `_` and `-`, at most 64 characters.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The JSON schema of the arguments object; leave it out for a function without
    /// arguments.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub parameters: Option<serde_json::Value>,
    /// Accepted; arguments always follow the schema here.
    #[serde(default)]
    pub strict: Option<bool>,
}

/// A call in an assistant message sent back with the conversation.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ToolCallIn {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub function: FunctionCallIn,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FunctionCallIn {
    pub name: String,
    /// The arguments as a JSON string, as OpenAI writes them (an object is accepted too).
    #[schema(value_type = Object)]
    pub arguments: serde_json::Value,
}

/// `POST /v1/completions`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CompletionRequest {
    pub model: String,
    /// The text to continue: a string, or an array holding one string.
    pub prompt: PromptField,
    #[serde(flatten)]
    pub sampling: SamplingFields,
    #[serde(default)]
    pub echo: Option<bool>,
    #[serde(default)]
    pub suffix: Option<String>,
    #[serde(default)]
    pub best_of: Option<u32>,
}

/// Sampling and streaming fields both endpoints share.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SamplingFields {
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub top_p: Option<f32>,
    /// Not part of OpenAI's API; llama-server accepts it too.
    #[serde(default)]
    pub top_k: Option<i32>,
    #[serde(default)]
    pub min_p: Option<f32>,
    #[serde(default)]
    pub repeat_penalty: Option<f32>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    /// Keep generating past end-of-generation tokens (llama-server's extension, for
    /// benchmarks that need a fixed number of tokens).
    #[serde(default)]
    pub ignore_eos: Option<bool>,
    /// `false` decodes this answer without guessing tokens ahead (Hearth's extension,
    /// for comparing speeds; the text is the same either way).
    #[serde(default)]
    pub speculative: Option<bool>,
    #[serde(default)]
    pub stop: Option<StopField>,
    #[serde(default)]
    pub seed: Option<i64>,
    #[serde(default)]
    pub n: Option<u32>,
    #[serde(default)]
    pub presence_penalty: Option<f32>,
    #[serde(default)]
    pub frequency_penalty: Option<f32>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub logprobs: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StreamOptions {
    /// Send a last chunk with the token counts.
    #[serde(default)]
    pub include_usage: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum StopField {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PromptField {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChatMessageIn {
    /// `system`, `developer`, `user`, `assistant` or `tool`.
    pub role: String,
    /// Text, text parts, or `null` (an assistant message that only called tools).
    #[serde(default)]
    pub content: Option<MessageContent>,
    /// On an assistant message: the tools it called.
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCallIn>>,
    /// On a `tool` message: the id of the call it answers.
    #[serde(default)]
    pub tool_call_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// On an assistant message: its thinking, as llama-server and DeepSeek return it.
    #[serde(default)]
    pub reasoning_content: Option<String>,
}

/// A message's text, or its parts (only text parts are accepted).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Parts(Vec<ContentPart>),
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ContentPart {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    Text,
    JsonObject,
    JsonSchema { json_schema: JsonSchemaFormat },
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct JsonSchemaFormat {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub schema: Option<serde_json::Value>,
    #[serde(default)]
    pub strict: Option<bool>,
}

impl SamplingFields {
    /// Applies the request's fields over the user's defaults, refusing what cannot be
    /// honoured.
    pub fn apply(&self, mut options: GenerationOptions) -> Result<GenerationOptions, ApiError> {
        if let Some(n) = self.n {
            if n != 1 {
                return Err(ApiError::invalid(
                    "n",
                    "Hearth writes one choice per request; send n = 1 (or leave it out) and make several requests",
                ));
            }
        }
        for (field, value) in [
            ("presence_penalty", self.presence_penalty),
            ("frequency_penalty", self.frequency_penalty),
        ] {
            if value.is_some_and(|v| v != 0.0) {
                return Err(ApiError::invalid(
                    field,
                    format!("{field} is not supported; leave it out, or use repeat_penalty"),
                ));
            }
        }
        if self
            .logprobs
            .as_ref()
            .is_some_and(|v| !(v.is_null() || v == &serde_json::Value::Bool(false)))
        {
            return Err(ApiError::invalid(
                "logprobs",
                "logprobs are not supported; leave the field out",
            ));
        }
        if let Some(t) = self.temperature {
            options.temperature = t;
        }
        if let Some(p) = self.top_p {
            options.top_p = p;
        }
        if let Some(k) = self.top_k {
            options.top_k = k;
        }
        if let Some(p) = self.min_p {
            options.min_p = p;
        }
        if let Some(p) = self.repeat_penalty {
            options.repeat_penalty = p;
        }
        if let Some(max) = self.max_completion_tokens.or(self.max_tokens) {
            options.max_tokens = Some(max);
        }
        if let Some(ignore) = self.ignore_eos {
            if ignore && options.max_tokens.is_none() {
                return Err(ApiError::invalid(
                    "ignore_eos",
                    "ignore_eos needs max_tokens, or the answer would run until the context is full",
                ));
            }
            options.ignore_eos = ignore;
        }
        if let Some(speculative) = self.speculative {
            options.speculative = Some(speculative);
        }
        if let Some(seed) = self.seed {
            let seed = u32::try_from(seed).map_err(|_| {
                ApiError::invalid("seed", format!("seed must be between 0 and {}", u32::MAX))
            })?;
            options.seed = Some(seed);
        }
        options.stop = match &self.stop {
            None => Vec::new(),
            Some(StopField::One(stop)) => vec![stop.clone()],
            Some(StopField::Many(stops)) => stops.clone(),
        };
        if options.stop.len() > 4 {
            return Err(ApiError::invalid(
                "stop",
                "at most 4 stop sequences are allowed",
            ));
        }
        crate::error::check_options(&options, "")?;
        Ok(options)
    }

    pub fn streaming(&self) -> bool {
        self.stream.unwrap_or(false)
    }

    pub fn include_usage(&self) -> bool {
        self.stream_options
            .as_ref()
            .is_some_and(|o| o.include_usage)
    }
}

impl ResponseFormat {
    /// The JSON schema the answer must follow, if any.
    pub fn schema(&self) -> Result<Option<serde_json::Value>, ApiError> {
        match self {
            ResponseFormat::Text => Ok(None),
            ResponseFormat::JsonObject => Ok(Some(serde_json::json!({ "type": "object" }))),
            ResponseFormat::JsonSchema { json_schema } => match &json_schema.schema {
                Some(schema) if schema.is_object() => Ok(Some(schema.clone())),
                _ => Err(ApiError::invalid(
                    "response_format.json_schema.schema",
                    "a json_schema response format needs a `schema` object",
                )),
            },
        }
    }
}

/// Token counts, as OpenAI reports them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Usage {
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    pub total_tokens: usize,
}

/// Hearth's speed figures for one answer (llama-server reports the same as `timings`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Timings {
    /// Prompt tokens evaluated for this answer (llama-server's meaning): the prompt less
    /// `cache_n`. `usage.prompt_tokens` is the whole prompt.
    pub prompt_n: usize,
    /// Prompt tokens found in the cache and not evaluated again.
    pub cache_n: usize,
    pub prompt_ms: f64,
    pub predicted_n: usize,
    pub predicted_ms: f64,
    pub predicted_per_second: f64,
    /// Time waiting for a free sequence.
    pub queue_ms: f64,
    /// Tokens guessed ahead and checked with the model's own (speculative decoding),
    /// and of them those the model agreed with: llama-server's `draft_n` and
    /// `draft_n_accepted`, present when a guess was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft_n: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft_n_accepted: Option<usize>,
}

impl From<&Completion> for Usage {
    fn from(c: &Completion) -> Self {
        Usage {
            prompt_tokens: c.prompt_tokens,
            completion_tokens: c.completion_tokens,
            total_tokens: c.prompt_tokens + c.completion_tokens,
        }
    }
}

impl From<&Completion> for Timings {
    fn from(c: &Completion) -> Self {
        Timings {
            prompt_n: c.prompt_tokens.saturating_sub(c.cached_tokens),
            cache_n: c.cached_tokens,
            prompt_ms: c.prompt_ms,
            predicted_n: c.completion_tokens,
            predicted_ms: c.generation_ms,
            predicted_per_second: c.tokens_per_second(),
            queue_ms: c.queue_ms,
            draft_n: (c.drafted_tokens > 0).then_some(c.drafted_tokens),
            draft_n_accepted: (c.drafted_tokens > 0).then_some(c.accepted_tokens),
        }
    }
}

/// A chat answer's `finish_reason`: `tool_calls` when the model called tools.
pub fn chat_finish_reason(completion: &Completion) -> &'static str {
    if completion.tool_calls.is_empty() {
        finish_reason(&completion.stop_reason)
    } else {
        "tool_calls"
    }
}

/// OpenAI's `finish_reason` for why generation ended.
pub fn finish_reason(reason: &StopReason) -> &'static str {
    match reason {
        StopReason::EndOfGeneration | StopReason::StopString { .. } => "stop",
        StopReason::MaxTokens | StopReason::ContextFull => "length",
        StopReason::Cancelled => "stop",
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatCompletion {
    pub id: String,
    /// Always `chat.completion`.
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    pub system_fingerprint: String,
    pub choices: Vec<ChatChoice>,
    pub usage: Usage,
    pub timings: Timings,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatChoice {
    pub index: u32,
    pub message: ChatMessageOut,
    pub finish_reason: &'static str,
    #[schema(value_type = Option<Object>)]
    pub logprobs: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatMessageOut {
    pub role: &'static str,
    /// The answer; `null` when the model only called tools.
    pub content: Option<String>,
    /// The model's thinking, for models that think before answering (llama-server's
    /// and DeepSeek's field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallOut>,
}

/// A call the model made, as OpenAI writes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolCallOut {
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionCallOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FunctionCallOut {
    pub name: String,
    /// The arguments as a JSON string.
    pub arguments: String,
}

impl From<&hearth_llm::ToolCall> for ToolCallOut {
    fn from(call: &hearth_llm::ToolCall) -> Self {
        ToolCallOut {
            id: call.id.clone(),
            kind: "function",
            function: FunctionCallOut {
                name: call.name.clone(),
                arguments: call.arguments.to_string(),
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TextCompletion {
    pub id: String,
    /// Always `text_completion`.
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    pub system_fingerprint: String,
    pub choices: Vec<TextChoice>,
    pub usage: Usage,
    pub timings: Timings,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TextChoice {
    pub index: u32,
    pub text: String,
    pub finish_reason: Option<&'static str>,
    #[schema(value_type = Option<Object>)]
    pub logprobs: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelList {
    /// Always `list`.
    pub object: &'static str,
    pub data: Vec<ModelObject>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelObject {
    pub id: String,
    /// Always `model`.
    pub object: &'static str,
    pub created: u64,
    pub owned_by: String,
}

/// `POST /v1/embeddings`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmbeddingRequest {
    /// An embedding model's id (Hearth's default is `all-MiniLM-L6-v2`).
    pub model: String,
    /// A text or a list of texts. Token-id arrays are refused: send text.
    #[schema(value_type = Object)]
    pub input: serde_json::Value,
    /// `float` (the default) or `base64` (little-endian 32-bit floats).
    #[serde(default)]
    pub encoding_format: Option<String>,
    /// Accepted only when it is the model's own width; vectors are never cut.
    #[serde(default)]
    pub dimensions: Option<usize>,
    /// Accepted and ignored, as it only labels the caller for OpenAI's abuse checks.
    #[serde(default)]
    pub user: Option<String>,
}

/// One vector of an embeddings reply.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmbeddingObject {
    /// Always `embedding`.
    pub object: &'static str,
    pub index: usize,
    /// Numbers, or a base64 string when `encoding_format` was `base64`.
    #[schema(value_type = Object)]
    pub embedding: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmbeddingUsage {
    pub prompt_tokens: usize,
    pub total_tokens: usize,
}

/// The reply to `POST /v1/embeddings`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmbeddingList {
    /// Always `list`.
    pub object: &'static str,
    pub data: Vec<EmbeddingObject>,
    pub model: String,
    pub usage: EmbeddingUsage,
}
