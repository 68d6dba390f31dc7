//! Redaction on the way to a remote model and back (used where engines are audited,
//! `crate::audit`): what goes out has its personal data replaced by placeholders
//! ([`crate::redact`]) and its size measured for the audit log, and what comes back has
//! the placeholders restored, delta by delta, so the user reads the real values and the
//! provider never sees them. Local models are never touched: nothing of theirs leaves.

use hearth_llm::{ChatMessage, Generation, GenerationEvent, LlmError};

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
            Some(r) => ChatMessage::new(m.role, r.redact(&m.content, &mut redactions)),
            None => m.clone(),
        })
        .collect();
    let sent_bytes = messages.iter().map(|m| m.content.len() as u64).sum();
    Outgoing {
        messages,
        redactions,
        sent_bytes,
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

/// The caller's stream: `inner`'s events with the placeholders put back.
pub(crate) fn restoring(
    mut inner: Generation,
    redactions: Redactions,
) -> hearth_llm::Result<Generation> {
    if redactions.is_empty() {
        return Ok(inner);
    }
    let cancel = inner.cancel_token();
    let (events, receiver) = flume::unbounded();
    std::thread::Builder::new()
        .name("hearth-restore".into())
        .spawn(move || {
            let mut restorer = StreamRestorer::default();
            let mut thinking = StreamRestorer::default();
            while let Some(event) = inner.next_event() {
                let event = match event {
                    GenerationEvent::Reasoning { text } => {
                        let shown = thinking.push(&text, &redactions);
                        if shown.is_empty() {
                            continue;
                        }
                        GenerationEvent::Reasoning { text: shown }
                    }
                    GenerationEvent::ToolCall { mut call } => {
                        call.arguments = restore_json(call.arguments, &redactions);
                        GenerationEvent::ToolCall { call }
                    }
                    GenerationEvent::Delta { text } => {
                        let shown = restorer.push(&text, &redactions);
                        if shown.is_empty() {
                            continue;
                        }
                        GenerationEvent::Delta { text: shown }
                    }
                    GenerationEvent::Done { mut completion } => {
                        let rest = thinking.finish(&redactions);
                        if !rest.is_empty() {
                            let _ = events.send(GenerationEvent::Reasoning { text: rest });
                        }
                        let rest = restorer.finish(&redactions);
                        if !rest.is_empty() {
                            let _ = events.send(GenerationEvent::Delta { text: rest });
                        }
                        completion.text = redactions.restore(&completion.text);
                        completion.reasoning = completion.reasoning.map(|r| redactions.restore(&r));
                        for call in &mut completion.tool_calls {
                            call.arguments =
                                restore_json(std::mem::take(&mut call.arguments), &redactions);
                        }
                        GenerationEvent::Done { completion }
                    }
                    failed @ GenerationEvent::Failed { .. } => {
                        let rest = restorer.finish(&redactions);
                        if !rest.is_empty() {
                            let _ = events.send(GenerationEvent::Delta { text: rest });
                        }
                        failed
                    }
                };
                if events.send(event).is_err() {
                    return; // the caller went away; dropping `inner` cancels it
                }
            }
        })
        .map_err(|e| LlmError::Decode {
            reason: format!(
                "could not start a thread for the answer ({e}); close other programs and try again"
            ),
        })?;
    Ok(Generation::new(receiver, cancel))
}
