//! The engine wrapper that applies redaction to a remote model: what goes out has its
//! personal data replaced by placeholders ([`crate::redact`]), and what comes back has
//! them restored, delta by delta, so the user reads the real values and the provider
//! never sees them. Local models are never wrapped: nothing of theirs leaves.

use std::sync::Arc;

use hearth_llm::{
    ChatMessage, Engine, EngineRequest, Generation, GenerationEvent, GenerationOptions, LlmError,
    ModelInfo, Prompt, TemplateSource,
};

use crate::redact::{Redactions, Redactor, StreamRestorer};

pub(crate) struct RedactingEngine {
    inner: Arc<dyn Engine>,
    redactor: Redactor,
}

impl RedactingEngine {
    /// `builtin`: emails, phone numbers, IBANs, cards and IP addresses as well as the
    /// listed `names`.
    pub(crate) fn new(inner: Arc<dyn Engine>, names: &[String], builtin: bool) -> Self {
        let redactor = if builtin {
            Redactor::new(names)
        } else {
            Redactor::names_only(names)
        };
        Self { inner, redactor }
    }
}

impl Engine for RedactingEngine {
    fn info(&self) -> ModelInfo {
        self.inner.info()
    }

    fn submit(&self, mut request: EngineRequest) -> hearth_llm::Result<Generation> {
        let mut redactions = Redactions::default();
        if let Prompt::Text(text) = &request.prompt {
            request.prompt = Prompt::Text(self.redactor.redact(text, &mut redactions));
        }
        restoring(self.inner.submit(request)?, redactions)
    }

    fn chat(
        &self,
        messages: &[ChatMessage],
        options: GenerationOptions,
    ) -> hearth_llm::Result<(Generation, TemplateSource)> {
        let mut redactions = Redactions::default();
        let sent: Vec<ChatMessage> = messages
            .iter()
            .map(|m| ChatMessage::new(m.role, self.redactor.redact(&m.content, &mut redactions)))
            .collect();
        if !redactions.is_empty() {
            tracing::info!(
                provider = self.inner.info().provider.as_deref().unwrap_or_default(),
                redacted = ?redactions.counts(),
                "personal data replaced by placeholders before sending"
            );
        }
        let (generation, source) = self.inner.chat(&sent, options)?;
        Ok((restoring(generation, redactions)?, source))
    }

    fn tokenize(&self, text: &str, add_special: bool) -> hearth_llm::Result<Vec<u32>> {
        self.inner.tokenize(text, add_special)
    }

    fn detokenize(&self, tokens: &[u32]) -> hearth_llm::Result<String> {
        self.inner.detokenize(tokens)
    }

    fn count_tokens(&self, text: &str) -> hearth_llm::Result<usize> {
        self.inner.count_tokens(text)
    }

    fn forget_contexts(&self) -> hearth_llm::Result<()> {
        self.inner.forget_contexts()
    }

    fn stop(&self) {
        self.inner.stop()
    }
}

/// The caller's stream: `inner`'s events with the placeholders put back.
fn restoring(mut inner: Generation, redactions: Redactions) -> hearth_llm::Result<Generation> {
    if redactions.is_empty() {
        return Ok(inner);
    }
    let cancel = inner.cancel_token();
    let (events, receiver) = flume::unbounded();
    std::thread::Builder::new()
        .name("hearth-restore".into())
        .spawn(move || {
            let mut restorer = StreamRestorer::default();
            while let Some(event) = inner.next_event() {
                let event = match event {
                    GenerationEvent::Delta { text } => {
                        let shown = restorer.push(&text, &redactions);
                        if shown.is_empty() {
                            continue;
                        }
                        GenerationEvent::Delta { text: shown }
                    }
                    GenerationEvent::Done { mut completion } => {
                        let rest = restorer.finish(&redactions);
                        if !rest.is_empty() {
                            let _ = events.send(GenerationEvent::Delta { text: rest });
                        }
                        completion.text = redactions.restore(&completion.text);
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
