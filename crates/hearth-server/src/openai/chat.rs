//! `POST /v1/chat/completions` and `POST /v1/completions`: one answer, whole or streamed
//! as server-sent events in OpenAI's chunk format, ending with `data: [DONE]`.
//!
//! The generation is owned by the response: when a client disconnects, axum drops the
//! stream (or the handler's future), the `Generation` handle goes with it, and dropping
//! it cancels the request in the engine, so an abandoned answer stops costing CPU.

use std::convert::Infallible;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::stream::{self, Stream, StreamExt};
use hearth_llm::{ChatMessage, Completion, Generation, GenerationEvent, Role, ToolCall};
use serde_json::json;

use super::types::*;
use crate::error::{ApiError, ApiResult};
use crate::json::FlatJson;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/v1/chat/completions",
    tag = "openai",
    request_body = ChatCompletionRequest,
    responses(
        (status = 200, description = "The answer, or with `stream: true` an event stream of `chat.completion.chunk` objects ending with `[DONE]`", body = ChatCompletion),
        (status = 400, description = "A field is invalid; `error.param` names it"),
        (status = 404, description = "No such model"),
    ),
    security(("bearer" = []))
)]
pub async fn chat_completions(
    State(state): State<AppState>,
    FlatJson(request, _): FlatJson<ChatCompletionRequest, SamplingFields>,
) -> ApiResult<Response> {
    if request.tools.as_ref().is_some_and(|t| !t.is_empty()) {
        return Err(ApiError::invalid(
            "tools",
            "tool calls are not supported; leave `tools` out",
        ));
    }
    let messages = chat_messages(&request.messages)?;
    let mut options = request.sampling.apply(state.hearth.default_options())?;
    if let Some(format) = &request.response_format {
        options.json_schema = format.schema()?;
    }
    let model = model_spec(&request.model);
    let hearth = state.hearth.clone();
    let generation =
        tokio::task::spawn_blocking(move || hearth.api_chat(model.as_deref(), &messages, options))
            .await?
            .map_err(|e| model_field(e.into()))?;

    let reply = Reply::new("chatcmpl", &request.model);
    if request.sampling.streaming() {
        let usage = request.sampling.include_usage();
        return Ok(sse(chat_chunks(reply, generation, usage)).into_response());
    }
    let (text, completion) = collect(generation).await?;
    Ok(Json(ChatCompletion {
        id: reply.id,
        object: "chat.completion",
        created: reply.created,
        model: reply.model,
        system_fingerprint: fingerprint(),
        choices: vec![ChatChoice {
            index: 0,
            message: ChatMessageOut {
                role: "assistant",
                content: text,
            },
            finish_reason: finish_reason(&completion.stop_reason),
            logprobs: None,
        }],
        usage: Usage::from(&completion),
        timings: Timings::from(&completion),
    })
    .into_response())
}

#[utoipa::path(
    post,
    path = "/v1/completions",
    tag = "openai",
    request_body = CompletionRequest,
    responses(
        (status = 200, description = "The continuation, or with `stream: true` an event stream of `text_completion` objects ending with `[DONE]`", body = TextCompletion),
        (status = 400, description = "A field is invalid; `error.param` names it"),
        (status = 404, description = "No such model"),
    ),
    security(("bearer" = []))
)]
pub async fn completions(
    State(state): State<AppState>,
    FlatJson(request, _): FlatJson<CompletionRequest, SamplingFields>,
) -> ApiResult<Response> {
    let prompt = match request.prompt {
        PromptField::One(prompt) => prompt,
        PromptField::Many(mut prompts) if prompts.len() == 1 => prompts.remove(0),
        PromptField::Many(_) => {
            return Err(ApiError::invalid(
                "prompt",
                "send one prompt per request (a string, or an array of one string)",
            ))
        }
    };
    if prompt.is_empty() {
        return Err(ApiError::invalid("prompt", "the prompt is empty"));
    }
    if request.echo == Some(true) {
        return Err(ApiError::invalid(
            "echo",
            "echo is not supported; leave it out",
        ));
    }
    if request.suffix.as_ref().is_some_and(|s| !s.is_empty()) {
        return Err(ApiError::invalid(
            "suffix",
            "suffix (fill-in-the-middle) is not supported",
        ));
    }
    if request.best_of.is_some_and(|n| n != 1) {
        return Err(ApiError::invalid(
            "best_of",
            "best_of must be 1 or left out",
        ));
    }
    let options = request.sampling.apply(state.hearth.default_options())?;
    let model = model_spec(&request.model);
    let hearth = state.hearth.clone();
    let generation = tokio::task::spawn_blocking(move || {
        hearth.api_completion(model.as_deref(), prompt, options)
    })
    .await?
    .map_err(|e| model_field(e.into()))?;

    let reply = Reply::new("cmpl", &request.model);
    if request.sampling.streaming() {
        let usage = request.sampling.include_usage();
        return Ok(sse(text_chunks(reply, generation, usage)).into_response());
    }
    let (text, completion) = collect(generation).await?;
    Ok(Json(TextCompletion {
        id: reply.id,
        object: "text_completion",
        created: reply.created,
        model: reply.model,
        system_fingerprint: fingerprint(),
        choices: vec![TextChoice {
            index: 0,
            text,
            finish_reason: Some(finish_reason(&completion.stop_reason)),
            logprobs: None,
        }],
        usage: Usage::from(&completion),
        timings: Timings::from(&completion),
    })
    .into_response())
}

/// `default` (or an empty name) means the user's default model.
pub(crate) fn model_spec(model: &str) -> Option<String> {
    match model.trim() {
        "" | "default" => None,
        name => Some(name.to_owned()),
    }
}

/// Errors about the model name point at the `model` field.
pub(crate) fn model_field(mut error: ApiError) -> ApiError {
    if matches!(
        error.code.as_str(),
        "UNKNOWN_MODEL" | "MODEL_NOT_FOUND" | "NO_DEFAULT_MODEL"
    ) {
        error.field = Some("model".into());
    }
    error
}

fn chat_messages(messages: &[ChatMessageIn]) -> ApiResult<Vec<ChatMessage>> {
    if messages.is_empty() {
        return Err(ApiError::invalid("messages", "send at least one message"));
    }
    messages
        .iter()
        .enumerate()
        .map(|(i, message)| {
            let role = match message.role.as_str() {
                "system" | "developer" => Role::System,
                "user" => Role::User,
                "assistant" => Role::Assistant,
                other => {
                    return Err(ApiError::invalid(
                        format!("messages[{i}].role"),
                        format!(
                        "role `{other}` is not supported; use system, developer, user or assistant"
                    ),
                    ))
                }
            };
            let content = match &message.content {
                None => String::new(),
                Some(MessageContent::Text(text)) => text.clone(),
                Some(MessageContent::Parts(parts)) => {
                    let mut text = String::new();
                    for (j, part) in parts.iter().enumerate() {
                        match (part.kind.as_str(), &part.text) {
                            ("text", Some(t)) => text.push_str(t),
                            (kind, _) => {
                                return Err(ApiError::invalid(
                                    format!("messages[{i}].content[{j}]"),
                                    format!(
                                    "content parts of type `{kind}` are not supported; send text"
                                ),
                                ))
                            }
                        }
                    }
                    text
                }
            };
            Ok(ChatMessage::new(role, content))
        })
        .collect()
}

/// The id, time and model name every chunk of one reply repeats.
#[derive(Clone)]
struct Reply {
    id: String,
    created: u64,
    model: String,
}

impl Reply {
    fn new(prefix: &str, model: &str) -> Self {
        Reply {
            id: format!("{prefix}-{}", uuid::Uuid::new_v4().simple()),
            created: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default(),
            model: model.to_owned(),
        }
    }
}

fn fingerprint() -> String {
    format!("hearth-{}", env!("CARGO_PKG_VERSION"))
}

/// Waits for the whole answer.
async fn collect(mut generation: Generation) -> ApiResult<(String, Completion)> {
    let mut text = String::new();
    while let Some(event) = generation.next_event_async().await {
        match event {
            GenerationEvent::Delta { text: delta } => text.push_str(&delta),
            // Kept whole in the completion; the reply takes them from there.
            GenerationEvent::Reasoning { .. } | GenerationEvent::ToolCall { .. } => {}
            GenerationEvent::Done { completion } => return Ok((text, completion)),
            GenerationEvent::Failed { error } => return Err(error.into()),
        }
    }
    Err(ApiError::internal(
        "the engine stopped before the answer was finished",
    ))
}

/// What one streamed reply turns into, event by event.
enum Piece {
    Delta(String),
    Reasoning(String),
    ToolCall(ToolCall),
    Done(Completion),
    Failed(ApiError),
}

/// The generation's events as a stream that owns the generation (dropping the stream
/// cancels it).
fn pieces(generation: Generation) -> impl Stream<Item = Piece> {
    stream::unfold(Some(generation), |generation| async move {
        let mut generation = generation?;
        let piece = match generation.next_event_async().await? {
            GenerationEvent::Delta { text } => Piece::Delta(text),
            GenerationEvent::Reasoning { text } => Piece::Reasoning(text),
            GenerationEvent::ToolCall { call } => Piece::ToolCall(call),
            GenerationEvent::Done { completion } => Piece::Done(completion),
            GenerationEvent::Failed { error } => Piece::Failed(error.into()),
        };
        let more = (!matches!(piece, Piece::Done(_) | Piece::Failed(_))).then_some(generation);
        Some((piece, more))
    })
}

fn chat_chunks(
    reply: Reply,
    generation: Generation,
    include_usage: bool,
) -> impl Stream<Item = serde_json::Value> {
    let chunk = move |delta: serde_json::Value,
                      finish: Option<&str>,
                      usage: Option<serde_json::Value>| {
        let mut body = json!({
            "id": reply.id,
            "object": "chat.completion.chunk",
            "created": reply.created,
            "model": reply.model,
            "system_fingerprint": fingerprint(),
            "choices": if delta.is_null() { json!([]) } else {
                json!([{ "index": 0, "delta": delta, "finish_reason": finish, "logprobs": null }])
            },
        });
        if let Some(usage) = usage {
            body["usage"] = usage;
        }
        body
    };
    let first = chunk(json!({ "role": "assistant", "content": "" }), None, None);
    let mut calls = 0usize;
    let rest = pieces(generation).flat_map(move |piece| {
        let items = match piece {
            Piece::Delta(text) => vec![chunk(json!({ "content": text }), None, None)],
            // llama-server's and DeepSeek's field for the model's thinking.
            Piece::Reasoning(text) => {
                vec![chunk(json!({ "reasoning_content": text }), None, None)]
            }
            Piece::ToolCall(call) => {
                let index = calls;
                calls += 1;
                vec![chunk(
                    json!({ "tool_calls": [tool_call_json(&call, Some(index))] }),
                    None,
                    None,
                )]
            }
            Piece::Done(completion) => {
                let mut last = chunk(
                    json!({}),
                    Some(finish_reason(&completion.stop_reason)),
                    None,
                );
                last["timings"] = json!(Timings::from(&completion));
                let mut items = vec![last];
                if include_usage {
                    items.push(chunk(
                        serde_json::Value::Null,
                        None,
                        Some(json!(Usage::from(&completion))),
                    ));
                }
                items
            }
            Piece::Failed(error) => vec![error.openai_body()],
        };
        stream::iter(items)
    });
    stream::once(async move { first }).chain(rest)
}

fn text_chunks(
    reply: Reply,
    generation: Generation,
    include_usage: bool,
) -> impl Stream<Item = serde_json::Value> {
    let chunk = move |text: &str, finish: Option<&str>| {
        json!({
            "id": reply.id,
            "object": "text_completion",
            "created": reply.created,
            "model": reply.model,
            "system_fingerprint": fingerprint(),
            "choices": [{ "index": 0, "text": text, "finish_reason": finish, "logprobs": null }],
        })
    };
    pieces(generation).flat_map(move |piece| {
        let items = match piece {
            Piece::Delta(text) => vec![chunk(&text, None)],
            // Raw completions are not parsed: these never come.
            Piece::Reasoning(_) | Piece::ToolCall(_) => vec![],
            Piece::Done(completion) => {
                let mut last = chunk("", Some(finish_reason(&completion.stop_reason)));
                last["timings"] = json!(Timings::from(&completion));
                if include_usage {
                    last["usage"] = json!(Usage::from(&completion));
                }
                vec![last]
            }
            Piece::Failed(error) => vec![error.openai_body()],
        };
        stream::iter(items)
    })
}

/// A call as OpenAI writes it: arguments as a JSON string; `index` in streamed chunks.
fn tool_call_json(call: &ToolCall, index: Option<usize>) -> serde_json::Value {
    let mut value = json!({
        "id": call.id,
        "type": "function",
        "function": { "name": call.name, "arguments": call.arguments.to_string() },
    });
    if let Some(index) = index {
        value["index"] = json!(index);
    }
    value
}

/// OpenAI's streaming framing: one `data:` line per JSON object, then `data: [DONE]`.
fn sse(
    objects: impl Stream<Item = serde_json::Value> + Send + 'static,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = objects
        .map(|object| Event::default().data(object.to_string()))
        .chain(stream::once(async { Event::default().data("[DONE]") }))
        .map(Ok);
    Sse::new(events)
}
