//! Anthropic's Messages API: `POST {base}/messages` with `x-api-key` and
//! `anthropic-version`, streamed as named events (`message_start`,
//! `content_block_delta`, `message_delta`, `message_stop`, `ping`, `error`).
//!
//! Its shape differs from OpenAI's in ways that matter here: system text is a field of
//! its own, turns must alternate (so consecutive turns of one role are joined),
//! `max_tokens` is required, and structured output is a forced tool call whose input
//! streams as `input_json_delta` — read as the answer's text, so a JSON-schema step
//! works the same with either provider.

use serde_json::{json, Value};

use super::wire::{error_message, Piece, StreamFailure};
use crate::error::LlmError;
use crate::request::{ChatMessage, GenerationOptions, Role, StopReason};

/// The API version Hearth speaks (the stable one every model accepts).
pub(crate) const API_VERSION: &str = "2023-06-01";

/// Anthropic requires a limit; this one is used when the caller sets none.
pub(crate) const DEFAULT_MAX_TOKENS: u32 = 4096;

/// The tool a JSON schema is sent as.
const ANSWER_TOOL: &str = "answer";

pub(crate) fn messages_body(
    model: &str,
    messages: &[ChatMessage],
    options: &GenerationOptions,
) -> Result<Value, LlmError> {
    let system: Vec<&str> = messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| m.content.as_str())
        .collect();
    let mut turns: Vec<(Role, String)> = Vec::new();
    for message in messages.iter().filter(|m| m.role != Role::System) {
        match turns.last_mut() {
            Some((role, text)) if *role == message.role => {
                text.push_str("\n\n");
                text.push_str(&message.content);
            }
            _ => turns.push((message.role, message.content.clone())),
        }
    }
    if turns.first().map(|(role, _)| *role) != Some(Role::User) {
        return Err(LlmError::InvalidOptions {
            reason: "a conversation sent to Anthropic must start with a user message".into(),
        });
    }
    let turns: Vec<Value> = turns
        .into_iter()
        .map(|(role, text)| json!({ "role": role.as_str(), "content": text }))
        .collect();
    let mut body = json!({
        "model": model,
        "messages": turns,
        "max_tokens": options.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        "stream": true,
        // Anthropic's range is 0 to 1; recent models refuse temperature and top_p
        // together, so only temperature is sent.
        "temperature": options.temperature.clamp(0.0, 1.0),
    });
    if !system.is_empty() {
        body["system"] = json!(system.join("\n\n"));
    }
    if !options.stop.is_empty() {
        body["stop_sequences"] = json!(options.stop);
    }
    if let Some(schema) = &options.json_schema {
        body["tools"] = json!([{
            "name": ANSWER_TOOL,
            "description": "Give the answer in this form.",
            "input_schema": schema,
        }]);
        body["tool_choice"] = json!({ "type": "tool", "name": ANSWER_TOOL });
    }
    Ok(body)
}

/// Reads one event of the stream.
pub(crate) fn read_event(name: Option<&str>, data: &str) -> Result<Vec<Piece>, StreamFailure> {
    let value: Value = serde_json::from_str(data)
        .map_err(|e| StreamFailure::Malformed(format!("an event is not JSON ({e})")))?;
    let kind = name
        .map(str::to_owned)
        .or_else(|| value.get("type").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| StreamFailure::Malformed("an event has no type".into()))?;
    let count = |v: Option<&Value>| v.and_then(Value::as_u64).map(|n| n as usize);
    Ok(match kind.as_str() {
        "message_start" => vec![Piece::Usage {
            prompt: count(value.pointer("/message/usage/input_tokens")),
            completion: None,
        }],
        "content_block_delta" => {
            let delta = value.get("delta");
            let text = match delta.and_then(|d| d.get("type")).and_then(Value::as_str) {
                Some("text_delta") => delta.and_then(|d| d.get("text")),
                Some("input_json_delta") => delta.and_then(|d| d.get("partial_json")),
                _ => None, // thinking and signatures are not part of the answer
            };
            match text.and_then(Value::as_str).filter(|t| !t.is_empty()) {
                Some(text) => vec![Piece::Text(text.to_owned())],
                None => Vec::new(),
            }
        }
        "message_delta" => {
            let mut pieces = Vec::new();
            if let Some(reason) = value.pointer("/delta/stop_reason").and_then(Value::as_str) {
                pieces.push(Piece::Stop(match reason {
                    "max_tokens" => StopReason::MaxTokens,
                    "stop_sequence" => StopReason::StopString {
                        stop: value
                            .pointer("/delta/stop_sequence")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    },
                    _ => StopReason::EndOfGeneration,
                }));
            }
            if let Some(output) = count(value.pointer("/usage/output_tokens")) {
                pieces.push(Piece::Usage {
                    prompt: None,
                    completion: Some(output),
                });
            }
            pieces
        }
        "message_stop" => vec![Piece::Finished],
        "error" => {
            let kind = value
                .pointer("/error/type")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let status = match kind.as_deref() {
                Some("overloaded_error") => 529,
                Some("rate_limit_error") => 429,
                Some("api_error") => 500,
                _ => 400,
            };
            return Err(StreamFailure::Provider {
                status,
                kind,
                message: error_message(data),
            });
        }
        // ping, content_block_start/stop, and event types added after this was written
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_text_is_apart_and_turns_alternate() {
        let body = messages_body(
            "claude-x",
            &[
                ChatMessage::system("Be brief."),
                ChatMessage::user("One."),
                ChatMessage::user("Two."),
                ChatMessage::assistant("Yes."),
                ChatMessage::user("Three?"),
            ],
            &GenerationOptions {
                temperature: 1.5,
                stop: vec!["END".into()],
                ..GenerationOptions::default()
            },
        )
        .unwrap();
        expect_test::expect![[r##"{"max_tokens":4096,"messages":[{"content":"One.\n\nTwo.","role":"user"},{"content":"Yes.","role":"assistant"},{"content":"Three?","role":"user"}],"model":"claude-x","stop_sequences":["END"],"stream":true,"system":"Be brief.","temperature":1.0}"##]]
        .assert_eq(&body.to_string());
    }

    #[test]
    fn a_conversation_must_start_with_the_user() {
        let error = messages_body(
            "m",
            &[ChatMessage::assistant("Hi")],
            &GenerationOptions::default(),
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("start with a user message"),
            "{error}"
        );
    }

    #[test]
    fn a_schema_is_a_forced_tool_whose_input_streams_as_text() {
        let body = messages_body(
            "m",
            &[ChatMessage::user("x")],
            &GenerationOptions {
                json_schema: Some(
                    json!({"type": "object", "properties": {"a": {"type": "string"}}}),
                ),
                ..GenerationOptions::greedy()
            },
        )
        .unwrap();
        assert_eq!(
            body["tool_choice"],
            json!({"type": "tool", "name": "answer"})
        );
        assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
        let delta = r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\": \"b"}}"#;
        assert_eq!(
            read_event(Some("content_block_delta"), delta).unwrap(),
            vec![Piece::Text("{\"a\": \"b".into())]
        );
    }

    #[test]
    fn stream_events_become_pieces() {
        let start = r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"m","usage":{"input_tokens":25,"output_tokens":1}}}"#;
        assert_eq!(
            read_event(Some("message_start"), start).unwrap(),
            vec![Piece::Usage {
                prompt: Some(25),
                completion: None
            }]
        );
        let text = r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#;
        assert_eq!(
            read_event(None, text).unwrap(),
            vec![Piece::Text("Hello".into())]
        );
        let stop = r##"{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"END"},"usage":{"output_tokens":15}}"##;
        assert_eq!(
            read_event(Some("message_delta"), stop).unwrap(),
            vec![
                Piece::Stop(StopReason::StopString { stop: "END".into() }),
                Piece::Usage {
                    prompt: None,
                    completion: Some(15)
                }
            ]
        );
        assert_eq!(
            read_event(Some("ping"), r#"{"type":"ping"}"#).unwrap(),
            vec![]
        );
        assert_eq!(
            read_event(Some("message_stop"), r#"{"type":"message_stop"}"#).unwrap(),
            vec![Piece::Finished]
        );
    }

    #[test]
    fn an_error_event_keeps_its_kind() {
        let error =
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(
            read_event(Some("error"), error),
            Err(StreamFailure::Provider {
                status: 529,
                kind: Some("overloaded_error".into()),
                message: "Overloaded".into()
            })
        );
    }
}
