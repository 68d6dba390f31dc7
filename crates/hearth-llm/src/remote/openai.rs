//! The OpenAI-compatible protocol: `POST {base}/chat/completions` (and
//! `/completions` for raw text), streamed as `data: {chunk}` events ending with
//! `data: [DONE]`. Hosted services and local servers (vLLM, llama-server, Ollama,
//! LM Studio) all speak it; only the fields they share are sent.

use serde_json::{json, Map, Value};

use super::wire::{Piece, StreamFailure};
use crate::request::{ChatMessage, GenerationOptions, StopReason};

/// The body of a streamed chat completion.
pub(crate) fn chat_body(
    model: &str,
    messages: &[ChatMessage],
    options: &GenerationOptions,
) -> Value {
    let messages: Vec<Value> = messages
        .iter()
        .map(|m| json!({ "role": m.role.as_str(), "content": m.content }))
        .collect();
    let mut body = common(model, options);
    body.insert("messages".into(), Value::Array(messages));
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
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            pieces.push(Piece::Text(text.to_owned()));
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
