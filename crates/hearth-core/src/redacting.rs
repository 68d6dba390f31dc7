//! Redaction on the way to a remote model and back (used where engines are audited,
//! `crate::audit`): what goes out has its personal data replaced by placeholders
//! ([`crate::redact`]) and its size measured for the audit log, and what comes back has
//! the placeholders restored, delta by delta, so the user reads the real values and the
//! provider never sees them. Local models are never touched: nothing of theirs leaves.

use hearth_llm::{ChatMessage, Generation, GenerationEvent};

use crate::redact::{Redactions, Redactor, StreamRestorer};

/// What goes to a remote provider: `messages` with personal data replaced (when a
/// redactor is set), the placeholders given out, and the bytes of text sent.
pub(crate) struct Outgoing {
    pub messages: Vec<ChatMessage>,
    pub redactions: Redactions,
    pub sent_bytes: u64,
}

pub(crate) fn outgoing(redactor: Option<&Redactor>, messages: &[ChatMessage]) -> Outgoing {
    let mut redactions = Redactions::default();
    let messages: Vec<ChatMessage> = messages
        .iter()
        .map(|m| match redactor {
            // The turn keeps its calls and the id its result answers (a provider refuses
            // a tool result without them); their arguments are redacted like text.
            Some(r) => {
                let mut out = m.clone();
                out.content = r.redact(&m.content, &mut redactions);
                out.reasoning = m.reasoning.as_ref().map(|t| r.redact(t, &mut redactions));
                for call in &mut out.tool_calls {
                    call.arguments = redact_json(call.arguments.take(), r, &mut redactions);
                }
                out
            }
            None => m.clone(),
        })
        .collect();
    let sent_bytes = messages
        .iter()
        .map(|m| {
            let arguments: usize = m
                .tool_calls
                .iter()
                .map(|c| c.arguments.to_string().len())
                .sum();
            (m.content.len() + arguments) as u64
        })
        .sum();
    Outgoing {
        messages,
        redactions,
        sent_bytes,
    }
}

/// A tool call's arguments with personal data replaced in every string.
fn redact_json(
    value: serde_json::Value,
    redactor: &Redactor,
    redactions: &mut Redactions,
) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(redactor.redact(&text, redactions)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| redact_json(item, redactor, redactions))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, item)| (key, redact_json(item, redactor, redactions)))
                .collect(),
        ),
        other => other,
    }
}

/// A tool call's arguments with the placeholders put back in every string.
fn restore_json(value: serde_json::Value, redactions: &Redactions) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(redactions.restore(&text)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| restore_json(item, redactions))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, item)| (key, restore_json(item, redactions)))
                .collect(),
        ),
        other => other,
    }
}

/// The caller's stream: `inner`'s events with the placeholders put back, as they are
/// read (a placeholder split across deltas is held until it is whole).
pub(crate) fn restoring(inner: Generation, redactions: Redactions) -> Generation {
    if redactions.is_empty() {
        return inner;
    }
    let mut restorer = StreamRestorer::default();
    let mut thinking = StreamRestorer::default();
    inner.map_events(move |event, out| match event {
        GenerationEvent::Reasoning { text } => {
            let shown = thinking.push(&text, &redactions);
            if !shown.is_empty() {
                out.push(GenerationEvent::Reasoning { text: shown });
            }
        }
        GenerationEvent::ToolCall { mut call } => {
            call.arguments = restore_json(call.arguments, &redactions);
            out.push(GenerationEvent::ToolCall { call });
        }
        GenerationEvent::Delta { text } => {
            let shown = restorer.push(&text, &redactions);
            if !shown.is_empty() {
                out.push(GenerationEvent::Delta { text: shown });
            }
        }
        GenerationEvent::Done { mut completion } => {
            let rest = thinking.finish(&redactions);
            if !rest.is_empty() {
                out.push(GenerationEvent::Reasoning { text: rest });
            }
            let rest = restorer.finish(&redactions);
            if !rest.is_empty() {
                out.push(GenerationEvent::Delta { text: rest });
            }
            completion.text = redactions.restore(&completion.text);
            completion.reasoning = completion.reasoning.map(|r| redactions.restore(&r));
            for call in &mut completion.tool_calls {
                call.arguments = restore_json(std::mem::take(&mut call.arguments), &redactions);
            }
            out.push(GenerationEvent::Done { completion });
        }
        failed @ GenerationEvent::Failed { .. } => {
            let rest = restorer.finish(&redactions);
            if !rest.is_empty() {
                out.push(GenerationEvent::Delta { text: rest });
            }
            out.push(failed);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_llm::ToolCall;
    use serde_json::json;

    /// A conversation with a tool call goes out with its call and result linked, and the
    /// personal data in the call's arguments replaced like any text.
    #[test]
    fn tool_calls_keep_their_ids_and_lose_their_personal_data() {
        let redactor = Redactor::new(&["Ingrid Olsen".to_owned()]);
        let mut asked = ChatMessage::assistant("");
        asked.tool_calls.push(ToolCall {
            id: "call_1".into(),
            name: "send_mail".into(),
            arguments: json!({"to": ["ingrid@example.org"], "body": "Hi Ingrid Olsen", "n": 2}),
        });
        let messages = [
            ChatMessage::user("Mail Ingrid Olsen at ingrid@example.org"),
            asked,
            ChatMessage::tool_result("call_1", "send_mail", "sent to ingrid@example.org"),
        ];
        let out = outgoing(Some(&redactor), &messages);
        let sent = serde_json::to_string(&out.messages).unwrap();
        assert!(!sent.contains("ingrid@example.org"), "{sent}");
        assert!(!sent.contains("Ingrid Olsen"), "{sent}");
        let call = &out.messages[1].tool_calls[0];
        assert_eq!(
            (call.id.as_str(), call.name.as_str()),
            ("call_1", "send_mail")
        );
        assert_eq!(call.arguments["n"], 2);
        assert_eq!(out.messages[2].tool_call_id.as_deref(), Some("call_1"));
        // What comes back is restored, arguments included.
        let restored = restore_json(call.arguments.clone(), &out.redactions);
        assert_eq!(restored["to"][0], "ingrid@example.org");
        assert_eq!(restored["body"], "Hi Ingrid Olsen");
    }
}
