//! What both protocols share on the wire: the pieces a stream is read into, error
//! bodies, and the HTTP statuses that mean "wait and try again".

use serde_json::Value;

use crate::request::StopReason;

/// What the HTTP thread reads out of a response, in order, for the relay to assemble.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    Text(String),
    /// The model's thinking (`reasoning_content`, as llama-server and DeepSeek send it).
    Reasoning(String),
    /// A part of a tool call: OpenAI streams a call's id and name first, then its
    /// arguments in fragments, all under the call's `index`.
    ToolCall {
        index: usize,
        id: Option<String>,
        name: Option<String>,
        arguments: String,
    },
    /// Token counts as the provider reports them (either may come alone).
    Usage {
        prompt: Option<usize>,
        completion: Option<usize>,
    },
    Stop(StopReason),
    /// The provider said the answer is complete.
    Finished,
}

/// A failure the provider reported, before it is given the provider's name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StreamFailure {
    /// The provider's own error in the middle of a stream.
    Provider {
        status: u16,
        kind: Option<String>,
        message: String,
    },
    /// Not the protocol we expected.
    Malformed(String),
}

/// The message in an error body: `{"error": {"message": ...}}` (OpenAI and Anthropic,
/// which wraps it in `{"type": "error", ...}`), `{"error": "..."}` (Ollama), or the
/// body itself when it is short text (a proxy's error page is cut down).
pub(crate) fn error_message(body: &str) -> String {
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        let error = value.get("error").unwrap_or(&value);
        if let Some(message) = error.get("message").and_then(Value::as_str) {
            return message.to_owned();
        }
        if let Some(message) = error.as_str() {
            return message.to_owned();
        }
        if let Some(message) = value.get("detail").and_then(Value::as_str) {
            return message.to_owned(); // vLLM and FastAPI servers
        }
    }
    let text = body.trim();
    if text.is_empty() {
        return "no details given".into();
    }
    let mut short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// The error's type name, when the body has one (`rate_limit_error`, `overloaded_error`,
/// `insufficient_quota`).
pub(crate) fn error_kind(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    let error = value.get("error")?;
    error
        .get("type")
        .or_else(|| error.get("code"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Statuses worth waiting out: rate limits and an overloaded or restarting server
/// (529 is Anthropic's "overloaded").
pub(crate) fn is_retryable(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504 | 529)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_of_each_provider_family() {
        let openai = r#"{"error":{"message":"Incorrect API key provided: sk-...","type":"invalid_request_error","code":"invalid_api_key"}}"#;
        assert_eq!(error_message(openai), "Incorrect API key provided: sk-...");
        assert_eq!(error_kind(openai).as_deref(), Some("invalid_request_error"));
        let anthropic =
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(error_message(anthropic), "Overloaded");
        assert_eq!(error_kind(anthropic).as_deref(), Some("overloaded_error"));
        assert_eq!(
            error_message(r#"{"error":"model 'x' not found"}"#),
            "model 'x' not found"
        );
        assert_eq!(error_message(r#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(error_message("  "), "no details given");
        let page = "<html>".repeat(100);
        assert!(error_message(&page).ends_with('…'));
    }
}
