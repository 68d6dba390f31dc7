//! A scripted fake engine for tests of everything above the runtime (chat, server,
//! UI): tests decide what the "model" says and when, with no model loaded.
//!
//! Two modes: queue whole answers with [`FakeEngine::reply_with`] and they stream at
//! once, or take each request with [`FakeEngine::next_request`] and push its chunks
//! by hand, ending the stream when the test chooses (as Zed's fake provider does).
//!
//! Given a real chat template ([`FakeEngine::with_template`]), the fake formats and
//! parses as a model with that template does: scripted chunks are the raw output (a
//! recorded transcript, token by token), and `chat` splits thinking and tool calls out
//! of them. A scripted chunk counts as one token, so a thinking budget is kept as the
//! real engine keeps it: once spent, the closing marker is written into the output and
//! the script resumes after its own end of thinking, as a model made to answer would.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::engine::{CancelToken, Engine, Generation, ModelInfo};
use crate::error::{LlmError, Result};
use crate::output::budget::BudgetWatch;
use crate::request::{Completion, EngineRequest, GenerationEvent, Prompt, StopReason};

/// One request the fake received, for the test to answer.
pub struct FakeStream {
    pub request: EngineRequest,
    events: flume::Sender<GenerationEvent>,
    cancel: CancelToken,
    text: String,
    chunks: usize,
}

impl FakeStream {
    /// Sends a delta; false once the caller has gone away.
    pub fn push(&mut self, text: &str) -> bool {
        self.text.push_str(text);
        self.chunks += 1;
        self.events
            .send(GenerationEvent::Delta {
                text: text.to_owned(),
            })
            .is_ok()
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled() || self.events.is_disconnected()
    }

    pub fn finish(self, stop_reason: StopReason) {
        let prompt_tokens = match &self.request.prompt {
            Prompt::Text(t) => t.len(),
            Prompt::Tokens(t) => t.len(),
        };
        let completion = Completion {
            text: self.text,
            reasoning: None,
            tool_calls: Vec::new(),
            stop_reason,
            prompt_tokens,
            cached_tokens: 0,
            restored_tokens: 0,
            completion_tokens: self.chunks,
            drafted_tokens: 0,
            accepted_tokens: 0,
            accepted_from_draft_model: 0,
            prompt_ms: 0.0,
            generation_ms: 0.0,
            queue_ms: 0.0,
        };
        let _ = self.events.send(GenerationEvent::Done { completion });
    }

    pub fn fail(self, error: LlmError) {
        let _ = self.events.send(GenerationEvent::Failed { error });
    }
}

#[derive(Default)]
struct State {
    scripted: VecDeque<Vec<String>>,
    waiting: VecDeque<FakeStream>,
    received: Vec<EngineRequest>,
}

/// An [`Engine`] whose answers come from the test.
pub struct FakeEngine {
    info: ModelInfo,
    state: Mutex<State>,
    arrived: Condvar,
}

impl Default for FakeEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeEngine {
    pub fn new() -> Self {
        let info = ModelInfo {
            path: "fake.gguf".into(),
            name: "Fake".into(),
            architecture: "llama".into(),
            chat_template: None,
            bos_token: None,
            eos_token: None,
            context_length: 4096,
            train_context_length: 4096,
            parallel: 4,
            parameters: 0,
            size_bytes: 0,
            vocab_size: 256,
            threads: 1,
            cpu_backend: "none".into(),
            load_ms: 0.0,
            provider: None,
            adapter: None,
            placement: None,
            draft_model: None,
        };
        Self {
            info,
            state: Mutex::default(),
            arrived: Condvar::new(),
        }
    }

    /// The same fake with a context of `tokens` (bytes, since a byte is a token here),
    /// for tests of what happens when a conversation outgrows it.
    pub fn with_context_length(mut self, tokens: u32) -> Self {
        self.info.context_length = tokens;
        self
    }

    /// The same fake reporting `path` as its model file, for tests of what is done with
    /// the file (hashing it for the audit log).
    pub fn with_model_path(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.info.path = path.into();
        self
    }

    /// The same fake with `template` as its model's chat template (a GGUF's
    /// `tokenizer.chat_template`), so `chat` formats with it and reads the output as
    /// that model family writes it.
    pub fn with_template(mut self, template: impl Into<String>) -> Self {
        self.info.chat_template = Some(template.into());
        self
    }

    /// Queues an answer, streamed as the given chunks to the next request.
    pub fn reply_with<S: Into<String>>(&self, chunks: impl IntoIterator<Item = S>) {
        if let Ok(mut state) = self.state.lock() {
            state
                .scripted
                .push_back(chunks.into_iter().map(Into::into).collect());
        }
    }

    /// Waits up to `timeout` for an unscripted request and hands it to the test.
    pub fn next_request(&self, timeout: Duration) -> Option<FakeStream> {
        let state = self.state.lock().ok()?;
        let (mut state, _) = self
            .arrived
            .wait_timeout_while(state, timeout, |s| s.waiting.is_empty())
            .ok()?;
        state.waiting.pop_front()
    }

    /// Every request received so far, in order.
    pub fn received(&self) -> Vec<EngineRequest> {
        self.state
            .lock()
            .map(|s| s.received.clone())
            .unwrap_or_default()
    }
}

impl Engine for FakeEngine {
    fn info(&self) -> ModelInfo {
        self.info.clone()
    }

    /// The fake keeps no contexts.
    fn forget_contexts(&self) -> Result<()> {
        Ok(())
    }

    fn submit(&self, request: EngineRequest) -> Result<Generation> {
        let (events, receiver) = flume::unbounded();
        let cancel = CancelToken::new();
        let mut state = self.state.lock().map_err(|_| LlmError::EngineStopped)?;
        state.received.push(request.clone());
        let mut stream = FakeStream {
            request,
            events,
            cancel: cancel.clone(),
            text: String::new(),
            chunks: 0,
        };
        match state.scripted.pop_front() {
            Some(chunks) => {
                let budget = stream.request.thinking_budget.clone();
                for chunk in within_budget(chunks, budget) {
                    stream.push(&chunk);
                }
                stream.finish(StopReason::EndOfGeneration);
            }
            None => {
                state.waiting.push_back(stream);
                self.arrived.notify_all();
            }
        }
        Ok(Generation::new(receiver, cancel))
    }

    /// One token per byte: deterministic and reversible.
    fn tokenize(&self, text: &str, _add_special: bool) -> Result<Vec<u32>> {
        Ok(text.bytes().map(u32::from).collect())
    }

    fn detokenize(&self, tokens: &[u32]) -> Result<String> {
        let bytes: Vec<u8> = tokens.iter().map(|&t| t as u8).collect();
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The chunks a script streams under a thinking budget: when a chunk spends it, the
/// closing text follows, and the script goes on after its own end of thinking (after
/// the first `close` in what is left, else after the first `end`).
fn within_budget(
    chunks: Vec<String>,
    budget: Option<crate::request::ThinkingBudget>,
) -> Vec<String> {
    let Some(budget) = budget else {
        return chunks;
    };
    let mut watch = BudgetWatch::new(budget.clone());
    let mut out = Vec::new();
    let mut rest = chunks.into_iter();
    let mut spent = false;
    for chunk in rest.by_ref() {
        let forced = watch.token(&chunk);
        out.push(chunk);
        if let Some(close) = forced {
            out.push(close);
            spent = true;
            break;
        }
    }
    let left: Vec<String> = rest.collect();
    if !spent {
        return out;
    }
    let text: String = left.concat();
    let skip = [&budget.close, &budget.end]
        .iter()
        .find_map(|marker| text.find(marker.as_str()).map(|at| at + marker.len()))
        .unwrap_or(text.len());
    // Keep the script's chunking after the cut.
    let mut offset = 0;
    for chunk in left {
        let end = offset + chunk.len();
        if end > skip {
            let from = skip.saturating_sub(offset);
            out.push(chunk[from..].to_owned());
        }
        offset = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineExt;
    use crate::request::{ChatMessage, GenerationOptions};

    #[test]
    fn scripted_reply_streams_in_order() {
        let fake = FakeEngine::new();
        fake.reply_with(["Hel", "lo"]);
        let (generation, _) = fake
            .chat(&[ChatMessage::user("hi")], GenerationOptions::greedy())
            .unwrap();
        let mut seen = Vec::new();
        let completion = generation.stream(|t| seen.push(t.to_owned())).unwrap();
        assert_eq!(seen, ["Hel", "lo"]);
        assert_eq!(completion.text, "Hello");
        assert_eq!(completion.stop_reason, StopReason::EndOfGeneration);
        let Prompt::Text(prompt) = &fake.received()[0].prompt else {
            panic!("text prompt expected")
        };
        assert!(prompt.contains("<|im_start|>user\nhi"), "{prompt}");
    }

    #[test]
    fn manual_stream_sees_cancellation_when_caller_drops() {
        let fake = FakeEngine::new();
        let generation = fake
            .complete("x".into(), GenerationOptions::default())
            .unwrap();
        let mut stream = fake
            .next_request(Duration::from_secs(5))
            .expect("request arrives");
        assert!(stream.push("a"));
        assert!(!stream.is_cancelled());
        drop(generation);
        assert!(stream.is_cancelled());
        assert!(!stream.push("b"));
    }

    #[test]
    fn failure_reaches_the_caller() {
        let fake = FakeEngine::new();
        let generation = fake
            .complete("x".into(), GenerationOptions::default())
            .unwrap();
        let stream = fake
            .next_request(Duration::from_secs(5))
            .expect("request arrives");
        stream.fail(LlmError::Decode {
            reason: "boom".into(),
        });
        assert_eq!(
            generation.wait().unwrap_err(),
            LlmError::Decode {
                reason: "boom".into()
            }
        );
    }
}
