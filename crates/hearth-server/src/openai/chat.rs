//! `POST /v1/chat/completions` and `POST /v1/completions`: one answer, whole or streamed
//! as server-sent events in OpenAI's chunk format, ending with `data: [DONE]`.
//!
//! The generation is owned by the response: when a client disconnects, axum drops the
//! stream (or the handler's future), the `Generation` handle goes with it, and dropping
//! it cancels the request in the engine, so an abandoned answer stops costing CPU.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::stream::{self, Stream, StreamExt};

use hearth_llm::{
    ChatMessage, Completion, Generation, GenerationEvent, Role, ToolCall, ToolChoice, ToolSpec,
};
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
    let messages = chat_messages(&request.messages)?;
    let mut options = request.sampling.apply(state.hearth.default_options())?;
    if let Some(format) = &request.response_format {
        options.json_schema = format.schema()?;
    }
    options.tools = tool_specs(request.tools.as_deref().unwrap_or_default())?;
    options.tool_choice = tool_choice(request.tool_choice.as_ref(), &options.tools)?;
    options.parallel_tool_calls = request.parallel_tool_calls.unwrap_or(true);
    if options.json_schema.is_some()
        && !options.tools.is_empty()
        && options.tool_choice != ToolChoice::None
    {
        return Err(ApiError::invalid(
            "response_format",
            "a JSON-schema answer cannot be combined with tools; leave out response_format, or set tool_choice to \"none\"",
        ));
    }
    let tools_offered = !options.tools.is_empty() && options.tool_choice != ToolChoice::None;
    let model = model_spec(&request.model);
    let hearth = state.hearth.clone();
    let generation =
        crate::pool::spawn_blocking(move || hearth.api_chat(model.as_deref(), &messages, options))
            .await?
            .map_err(|e| model_field(e.into()))?;

    let reply = Reply::new("chatcmpl", &request.model);
    if request.sampling.streaming() {
        let usage = request.sampling.include_usage();
        return Ok(sse(chat_chunks(reply, generation, usage, tools_offered)).into_response());
    }
    let (text, completion) = collect(generation).await?;
    let tool_calls: Vec<ToolCallOut> = completion
        .tool_calls
        .iter()
        .map(ToolCallOut::from)
        .collect();
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
                // OpenAI's shape: no text beside calls is `null`, not "".
                content: (!text.is_empty() || tool_calls.is_empty()).then_some(text),
                reasoning_content: completion.reasoning.clone(),
                tool_calls,
            },
            finish_reason: chat_finish_reason(&completion),
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
    let generation = crate::pool::spawn_blocking(move || {
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
    // Calls made so far, by id: a tool result must answer one of them.
    let mut calls: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(messages.len());
    for (i, message) in messages.iter().enumerate() {
        let role = match message.role.as_str() {
            "system" | "developer" => Role::System,
            "user" => Role::User,
            "assistant" => Role::Assistant,
            "tool" => Role::Tool,
            other => {
                return Err(ApiError::invalid(
                    format!("messages[{i}].role"),
                    format!(
                        "role `{other}` is not supported; use system, developer, user, assistant or tool"
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
        let mut turn = ChatMessage::new(role, content);
        let sent_calls = message.tool_calls.as_deref().unwrap_or_default();
        if !sent_calls.is_empty() && role != Role::Assistant {
            return Err(ApiError::invalid(
                format!("messages[{i}].tool_calls"),
                "only assistant messages carry tool_calls",
            ));
        }
        for (j, call) in sent_calls.iter().enumerate() {
            let field = |f: &str| format!("messages[{i}].tool_calls[{j}].{f}");
            if call.kind.as_deref().is_some_and(|k| k != "function") {
                return Err(ApiError::invalid(
                    field("type"),
                    "the only type of tool call is `function`",
                ));
            }
            let id = call.id.clone().filter(|id| !id.is_empty()).ok_or_else(|| {
                ApiError::invalid(
                    field("id"),
                    "a tool call needs its `id`, which the tool's result names",
                )
            })?;
            let arguments = match &call.function.arguments {
                serde_json::Value::String(text) => serde_json::from_str(text).map_err(|e| {
                    ApiError::invalid(
                        field("function.arguments"),
                        format!("the arguments are not valid JSON ({e}); send them as a JSON string such as \"{{\\\"city\\\": \\\"Paris\\\"}}\""),
                    )
                })?,
                object @ serde_json::Value::Object(_) => object.clone(),
                _ => {
                    return Err(ApiError::invalid(
                        field("function.arguments"),
                        "the arguments must be a JSON string holding an object",
                    ))
                }
            };
            calls.insert(id.clone(), call.function.name.clone());
            turn.tool_calls.push(ToolCall {
                id,
                name: call.function.name.clone(),
                arguments,
            });
        }
        if role == Role::Assistant {
            turn.reasoning = message.reasoning_content.clone().filter(|r| !r.is_empty());
        }
        if role == Role::Tool {
            let id = message.tool_call_id.clone().unwrap_or_default();
            let Some(name) = calls.get(&id) else {
                return Err(ApiError::invalid(
                    format!("messages[{i}].tool_call_id"),
                    if id.is_empty() {
                        "a tool message needs `tool_call_id`: the id of the assistant's call it answers".to_owned()
                    } else {
                        format!("no earlier assistant message called a tool with id `{id}`; send the assistant message with its tool_calls first")
                    },
                ));
            };
            turn.tool_call_id = Some(id);
            turn.name = Some(message.name.clone().unwrap_or_else(|| name.clone()));
        }
        out.push(turn);
    }
    Ok(out)
}

/// The request's `tools`, checked: each a function with a usable name, and a schema
/// llama.cpp can hold the arguments to.
fn tool_specs(tools: &[ToolIn]) -> ApiResult<Vec<ToolSpec>> {
    let mut specs: Vec<ToolSpec> = Vec::with_capacity(tools.len());
    for (i, tool) in tools.iter().enumerate() {
        if tool.kind != "function" {
            return Err(ApiError::invalid(
                format!("tools[{i}].type"),
                format!(
                    "tools of type `{}` are not supported; use `function`",
                    tool.kind
                ),
            ));
        }
        let name = &tool.function.name;
        let good_name = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !good_name {
            return Err(ApiError::invalid(
                format!("tools[{i}].function.name"),
                format!("the function name `{name}` must be 1 to 64 letters, digits, `_` or `-`"),
            ));
        }
        if specs.iter().any(|s| &s.name == name) {
            return Err(ApiError::invalid(
                format!("tools[{i}].function.name"),
                format!("two tools are named `{name}`; give each its own name"),
            ));
        }
        let spec = ToolSpec {
            name: name.clone(),
            description: tool.function.description.clone(),
            parameters: tool
                .function
                .parameters
                .clone()
                .unwrap_or_else(|| json!({ "type": "object", "properties": {} })),
        };
        if let Some(problem) = hearth_llm::output::tools::schema_problem(&spec) {
            return Err(ApiError::invalid(
                format!("tools[{i}].function.parameters"),
                format!("the parameters of tool `{name}` cannot be used: {problem}"),
            ));
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// OpenAI's `tool_choice`, checked against the tools.
fn tool_choice(value: Option<&serde_json::Value>, tools: &[ToolSpec]) -> ApiResult<ToolChoice> {
    let choice = match value {
        None | Some(serde_json::Value::Null) => ToolChoice::Auto,
        Some(serde_json::Value::String(text)) => match text.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" => ToolChoice::Required,
            other => {
                return Err(ApiError::invalid(
                    "tool_choice",
                    format!("tool_choice `{other}` is not one of auto, none, required, or {{\"type\": \"function\", \"function\": {{\"name\": …}}}}"),
                ))
            }
        },
        Some(object) => {
            let name = object
                .get("function")
                .and_then(|f| f.get("name"))
                .and_then(serde_json::Value::as_str);
            match (object.get("type").and_then(serde_json::Value::as_str), name) {
                (Some("function"), Some(name)) => ToolChoice::Function {
                    name: name.to_owned(),
                },
                _ => {
                    return Err(ApiError::invalid(
                        "tool_choice",
                        "name the function as {\"type\": \"function\", \"function\": {\"name\": …}}",
                    ))
                }
            }
        }
    };
    match &choice {
        ToolChoice::Required if tools.is_empty() => Err(ApiError::invalid(
            "tool_choice",
            "tool_choice `required` needs `tools` to choose from",
        )),
        ToolChoice::Function { name } if !tools.iter().any(|t| &t.name == name) => {
            Err(ApiError::invalid(
                "tool_choice.function.name",
                format!("tool_choice names `{name}`, which is not among the tools"),
            ))
        }
        _ => Ok(choice),
    }
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

/// The answer as OpenAI streams it: a first chunk with the role, then one chunk per
/// piece, then one with `finish_reason` (and with `include_usage`, one with the counts).
/// When tools were offered the role waits for the first piece, so an answer that starts
/// with a call opens as OpenAI's do: `content: null` beside the call.
fn chat_chunks(
    reply: Reply,
    generation: Generation,
    include_usage: bool,
    tools_offered: bool,
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
    let role = || json!({ "role": "assistant", "content": "" });
    let first = (!tools_offered).then(|| chunk(role(), None, None));
    let mut opened = !tools_offered;
    let mut calls = 0usize;
    let rest = pieces(generation).flat_map(move |piece| {
        let mut items = Vec::new();
        let open = |items: &mut Vec<serde_json::Value>, opened: &mut bool| {
            if !std::mem::replace(opened, true) {
                items.push(chunk(role(), None, None));
            }
        };
        match piece {
            Piece::Delta(text) => {
                open(&mut items, &mut opened);
                items.push(chunk(json!({ "content": text }), None, None));
            }
            // llama-server's and DeepSeek's field for the model's thinking.
            Piece::Reasoning(text) => {
                open(&mut items, &mut opened);
                items.push(chunk(json!({ "reasoning_content": text }), None, None));
            }
            Piece::ToolCall(call) => {
                let index = calls;
                calls += 1;
                let mut delta = json!({ "tool_calls": [tool_call_json(&call, Some(index))] });
                if !std::mem::replace(&mut opened, true) {
                    delta["role"] = json!("assistant");
                    delta["content"] = serde_json::Value::Null;
                }
                items.push(chunk(delta, None, None));
            }
            Piece::Done(completion) => {
                open(&mut items, &mut opened);
                let mut last = chunk(json!({}), Some(chat_finish_reason(&completion)), None);
                last["timings"] = json!(Timings::from(&completion));
                items.push(last);
                if include_usage {
                    items.push(chunk(
                        serde_json::Value::Null,
                        None,
                        Some(json!(Usage::from(&completion))),
                    ));
                }
            }
            Piece::Failed(error) => items.push(error.openai_body()),
        }
        stream::iter(items)
    });
    stream::iter(first).chain(rest)
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
