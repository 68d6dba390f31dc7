//! The OpenAI-compatible protocol: `POST {base}/chat/completions` (and
//! `/completions` for raw text), streamed as `data: {chunk}` events ending with
//! `data: [DONE]`. Hosted services and local servers (vLLM, llama-server, Ollama,
//! LM Studio) all speak it; only the fields they share are sent.

use serde_json::{json, Map, Value};

use super::wire::{Piece, StreamFailure};
use crate::request::{ChatMessage, GenerationOptions, Role, StopReason, ToolChoice};

/// A message as OpenAI takes it: an assistant turn's calls with their arguments as a
/// JSON string (its content `null` when it only called tools), a tool result with the
/// id of the call it answers.
fn message(m: &ChatMessage) -> Value {
    let mut out = json!({ "role": m.role.as_str(), "content": m.content });
    if !m.tool_calls.is_empty() {
        if m.content.is_empty() {
            out["content"] = Value::Null;
        }
        let calls: Vec<Value> = m
            .tool_calls
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "type": "function",
                    "function": { "name": c.name, "arguments": c.arguments.to_string() },
                })
            })
            .collect();
        out["tool_calls"] = Value::Array(calls);
    }
    if m.role == Role::Tool {
        if let Some(id) = &m.tool_call_id {
            out["tool_call_id"] = json!(id);
        }
    }
    out
}

/// The body of a streamed chat completion.
pub(crate) fn chat_body(
    model: &str,
    messages: &[ChatMessage],
    options: &GenerationOptions,
) -> Value {
    let messages: Vec<Value> = messages.iter().map(message).collect();
    let mut body = common(model, options);
    body.insert("messages".into(), Value::Array(messages));
    if !options.tools.is_empty() {
        let tools: Vec<Value> = options
            .tools
            .iter()
            .map(|t| {
                let mut function = json!({ "name": t.name, "parameters": t.parameters });
                if let Some(description) = &t.description {
                    function["description"] = json!(description);
                }
                json!({ "type": "function", "function": function })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
        let choice = match &options.tool_choice {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::None => json!("none"),
            ToolChoice::Required => json!("required"),
            ToolChoice::Function { name } => {
                json!({ "type": "function", "function": { "name": name } })
            }
        };
        body.insert("tool_choice".into(), choice);
        if !options.parallel_tool_calls {
            body.insert("parallel_tool_calls".into(), json!(false));
        }
    }
    if let Some(schema) = &options.json_schema {
        body.insert(
            "response_format".into(),
            json!({
                "type": "json_schema",
                "json_schema": { "name": "answer", "schema": schema, "strict": false }
            }),
        );
    }
    Value::Object(body)
}

/// The body of a streamed raw-text completion (no chat template).
pub(crate) fn completion_body(model: &str, prompt: &str, options: &GenerationOptions) -> Value {
    let mut body = common(model, options);
    body.insert("prompt".into(), Value::String(prompt.to_owned()));
    Value::Object(body)
}

/// Sampling that every OpenAI-compatible server understands. llama.cpp's own samplers
/// (top-k, min-p, repetition penalty) are Hearth's local settings and are not sent:
/// hosted services reject unknown fields or ignore them.
fn common(model: &str, options: &GenerationOptions) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert("stream".into(), json!(true));
    body.insert("stream_options".into(), json!({ "include_usage": true }));
    body.insert("temperature".into(), json!(options.temperature));
    if options.top_p < 1.0 {
        body.insert("top_p".into(), json!(options.top_p));
    }
    if let Some(max) = options.max_tokens {
        body.insert("max_tokens".into(), json!(max));
    }
    if let Some(seed) = options.seed {
        body.insert("seed".into(), json!(seed));
    }
    if !options.stop.is_empty() {
        body.insert("stop".into(), json!(options.stop));
    }
    body
}

/// Reads one streamed event, or a whole response (which a server that ignores `stream`
/// sends as plain JSON; the caller then ends the answer).
pub(crate) fn read_event(data: &str) -> Result<Vec<Piece>, StreamFailure> {
    if data.trim() == "[DONE]" {
        return Ok(vec![Piece::Finished]);
    }
    let value: Value = serde_json::from_str(data)
        .map_err(|e| StreamFailure::Malformed(format!("an event is not JSON ({e})")))?;
    if let Some(error) = value.get("error") {
        return Err(StreamFailure::Provider {
            status: error.get("code").and_then(Value::as_u64).unwrap_or(500) as u16,
            kind: error.get("type").and_then(Value::as_str).map(str::to_owned),
            message: super::wire::error_message(data),
        });
    }
    let mut pieces = Vec::new();
    let choices = value.get("choices").and_then(Value::as_array);
    if let Some(choice) = choices.and_then(|c| c.first()) {
        let text = choice
            .pointer("/delta/content")
            .or_else(|| choice.pointer("/message/content"))
            .or_else(|| choice.get("text"))
            .and_then(Value::as_str);
        let reasoning = ["/delta/reasoning_content", "/message/reasoning_content"]
            .into_iter()
            .find_map(|p| choice.pointer(p))
            .and_then(Value::as_str);
        if let Some(reasoning) = reasoning.filter(|t| !t.is_empty()) {
            pieces.push(Piece::Reasoning(reasoning.to_owned()));
        }
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            pieces.push(Piece::Text(text.to_owned()));
        }
        let calls = choice
            .pointer("/delta/tool_calls")
            .or_else(|| choice.pointer("/message/tool_calls"))
            .and_then(Value::as_array);
        for (position, call) in calls.into_iter().flatten().enumerate() {
            let text = |pointer: &str| {
                call.pointer(pointer)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            pieces.push(Piece::ToolCall {
                // A whole response's calls carry no index: their place is it.
                index: call
                    .get("index")
                    .and_then(Value::as_u64)
                    .map_or(position, |i| i as usize),
                id: text("/id"),
                name: text("/function/name"),
                arguments: text("/function/arguments").unwrap_or_default(),
            });
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            pieces.push(Piece::Stop(stop_reason(reason)));
        }
    } else if choices.is_none() && value.get("usage").is_none() {
        return Err(StreamFailure::Malformed(
            "an event has neither choices nor usage".into(),
        ));
    }
    if let Some(usage) = value.get("usage").filter(|u| u.is_object()) {
        let count = |key: &str| usage.get(key).and_then(Value::as_u64).map(|n| n as usize);
        pieces.push(Piece::Usage {
            prompt: count("prompt_tokens"),
            completion: count("completion_tokens"),
        });
    }
    Ok(pieces)
}

#[cfg(test)]
mod tool_tests {
    use super::*;
    use crate::request::{ToolCall, ToolSpec};

    #[test]
    fn tools_calls_and_results_are_sent_as_openai_takes_them() {
        let options = GenerationOptions {
            tools: vec![ToolSpec {
                name: "get_weather".into(),
                description: Some("Weather now".into()),
                parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
            }],
            tool_choice: ToolChoice::Function {
                name: "get_weather".into(),
            },
            parallel_tool_calls: false,
            ..GenerationOptions::greedy()
        };
        let mut asked = ChatMessage::assistant("");
        asked.tool_calls.push(ToolCall {
            id: "call_1".into(),
            name: "get_weather".into(),
            arguments: json!({"city": "Paris"}),
        });
        let body = chat_body(
            "m",
            &[
                ChatMessage::user("Weather?"),
                asked,
                ChatMessage::tool_result("call_1", "get_weather", "sunny"),
            ],
            &options,
        );
        expect_test::expect![[r#"{"messages":[{"content":"Weather?","role":"user"},{"content":null,"role":"assistant","tool_calls":[{"function":{"arguments":"{\"city\":\"Paris\"}","name":"get_weather"},"id":"call_1","type":"function"}]},{"content":"sunny","role":"tool","tool_call_id":"call_1"}],"model":"m","parallel_tool_calls":false,"stream":true,"stream_options":{"include_usage":true},"temperature":0.0,"tool_choice":{"function":{"name":"get_weather"},"type":"function"},"tools":[{"function":{"description":"Weather now","name":"get_weather","parameters":{"properties":{"city":{"type":"string"}},"type":"object"}},"type":"function"}],"top_p":0.949999988079071}"#]]
        .assert_eq(&body.to_string());
    }

    #[test]
    fn streamed_calls_and_thinking_become_pieces() {
        let first = r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_9","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}"#;
        assert_eq!(
            read_event(first).unwrap(),
            vec![Piece::ToolCall {
                index: 0,
                id: Some("call_9".into()),
                name: Some("get_weather".into()),
                arguments: String::new()
            }]
        );
        let more = r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}"#;
        assert_eq!(
            read_event(more).unwrap(),
            vec![Piece::ToolCall {
                index: 0,
                id: None,
                name: None,
                arguments: "{\"city\":".into()
            }]
        );
        let thinking = r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"reasoning_content":"Hmm"},"finish_reason":null}]}"#;
        assert_eq!(
            read_event(thinking).unwrap(),
            vec![Piece::Reasoning("Hmm".into())]
        );
        let whole = r#"{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#;
        assert_eq!(
            read_event(whole).unwrap(),
            vec![
                Piece::ToolCall {
                    index: 0,
                    id: Some("c1".into()),
                    name: Some("f".into()),
                    arguments: "{}".into()
                },
                Piece::Stop(StopReason::EndOfGeneration),
            ]
        );
    }
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "length" => StopReason::MaxTokens,
        _ => StopReason::EndOfGeneration,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Role;

    #[test]
    fn chat_body_sends_shared_fields_only() {
        let options = GenerationOptions {
            max_tokens: Some(64),
            seed: Some(7),
            stop: vec!["END".into()],
            temperature: 0.2,
            ..GenerationOptions::default()
        };
        let body = chat_body(
            "gpt-4o-mini",
            &[
                ChatMessage::system("Be brief."),
                ChatMessage::new(Role::User, "Hi"),
            ],
            &options,
        );
        expect_test::expect![[r#"{"max_tokens":64,"messages":[{"content":"Be brief.","role":"system"},{"content":"Hi","role":"user"}],"model":"gpt-4o-mini","seed":7,"stop":["END"],"stream":true,"stream_options":{"include_usage":true},"temperature":0.20000000298023224,"top_p":0.949999988079071}"#]]
        .assert_eq(&body.to_string());
    }

    #[test]
    fn a_schema_becomes_a_response_format() {
        let options = GenerationOptions {
            json_schema: Some(json!({"type": "object"})),
            ..GenerationOptions::greedy()
        };
        let body = chat_body("m", &[ChatMessage::user("x")], &options);
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(
            body["response_format"]["json_schema"]["schema"],
            json!({"type": "object"})
        );
    }

    #[test]
    fn stream_events_become_pieces() {
        let delta = r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#;
        assert_eq!(read_event(delta).unwrap(), vec![Piece::Text("Hel".into())]);
        let last = r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#;
        assert_eq!(
            read_event(last).unwrap(),
            vec![Piece::Stop(StopReason::MaxTokens)]
        );
        let usage = r#"{"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}"#;
        assert_eq!(
            read_event(usage).unwrap(),
            vec![Piece::Usage {
                prompt: Some(12),
                completion: Some(3)
            }]
        );
        assert_eq!(read_event("[DONE]").unwrap(), vec![Piece::Finished]);
        let raw = r#"{"object":"text_completion","choices":[{"index":0,"text":" world","finish_reason":null}]}"#;
        assert_eq!(read_event(raw).unwrap(), vec![Piece::Text(" world".into())]);
    }

    #[test]
    fn a_whole_response_is_read() {
        let whole = r#"{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#;
        assert_eq!(
            read_event(whole).unwrap(),
            vec![
                Piece::Text("Hi there".into()),
                Piece::Stop(StopReason::EndOfGeneration),
                Piece::Usage {
                    prompt: Some(5),
                    completion: Some(2)
                },
            ]
        );
    }

    #[test]
    fn errors_in_the_stream_and_garbage_are_failures() {
        let error = r#"{"error":{"message":"The server had an error","type":"server_error"}}"#;
        assert!(matches!(
            read_event(error),
            Err(StreamFailure::Provider { message, .. }) if message == "The server had an error"
        ));
        assert!(matches!(
            read_event("<html>"),
            Err(StreamFailure::Malformed(_))
        ));
        assert!(matches!(
            read_event(r#"{"hello":1}"#),
            Err(StreamFailure::Malformed(_))
        ));
    }
}
