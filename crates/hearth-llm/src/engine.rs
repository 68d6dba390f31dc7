//! The one interface every model runtime implements — the in-process llama.cpp engine,
//! the supervised worker process, and the scripted fake — and the handle a caller
//! holds while a generation streams.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::chat_template::{ChatFormatter, TemplateOptions, TemplateSource};
use crate::error::{LlmError, Result};
use crate::output::OutputParser;
use crate::request::AdapterInfo;
use crate::request::{
    ChatMessage, Completion, EngineRequest, GenerationEvent, GenerationOptions, Prompt,
};

/// What a loaded model is, as reported once it is ready.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub path: PathBuf,
    pub name: String,
    pub architecture: String,
    pub chat_template: Option<String>,
    /// The text of the model's BOS token, which chat templates write as `bos_token`.
    #[serde(default)]
    pub bos_token: Option<String>,
    /// The text of the model's EOS token (`eos_token` in chat templates).
    #[serde(default)]
    pub eos_token: Option<String>,
    /// Tokens each sequence can hold (prompt + answer).
    pub context_length: u32,
    /// The context length the model was trained with.
    pub train_context_length: u32,
    /// Sequences the engine decodes together.
    pub parallel: u32,
    pub parameters: u64,
    pub size_bytes: u64,
    pub vocab_size: u32,
    pub threads: u32,
    /// The ggml CPU variant in use, such as "haswell" or "zen4".
    pub cpu_backend: String,
    pub load_ms: f64,
    /// The remote provider that runs the model (the name the user gave it); `None` for
    /// a model running on this machine.
    #[serde(default)]
    pub provider: Option<String>,
    /// The LoRA adapter applied to every answer of this engine; `None` for the model
    /// as it is.
    #[serde(default)]
    pub adapter: Option<AdapterInfo>,
    /// Where the model's layers are: how many on which GPU, or all on the CPU; `None`
    /// for a remote model.
    #[serde(default)]
    pub placement: Option<crate::gpu::Placement>,
    /// The draft model guessing for this one (speculative decoding), by file; `None`
    /// when it guesses from the text alone or not at all.
    #[serde(default)]
    pub draft_model: Option<std::path::PathBuf>,
}

/// A loaded model that takes requests. Implementations own their threads or
/// processes; the trait object is shared between callers.
pub trait Engine: Send + Sync {
    fn info(&self) -> ModelInfo;
    /// Queues a prepared request; events stream back through the returned handle.
    fn submit(&self, request: EngineRequest) -> Result<Generation>;
    fn tokenize(&self, text: &str, add_special: bool) -> Result<Vec<u32>>;
    fn detokenize(&self, tokens: &[u32]) -> Result<String>;
    /// Drops every conversation context this engine keeps, in memory and on disk, so no
    /// trace of a deleted conversation outlives it. A request running now keeps its own
    /// until it ends.
    fn forget_contexts(&self) -> Result<()>;

    /// Stops the engine now, as when the app quits: answers in flight end with
    /// `EngineStopped`, cached conversation contexts are saved. For engines that hold
    /// nothing that must outlive the process, nothing to do.
    fn stop(&self) {}

    /// Answers a conversation. Local engines format it with the model's template here,
    /// on the caller's thread, and submit the text; a remote provider takes the messages
    /// as they are (its server applies the template).
    fn chat(
        &self,
        messages: &[ChatMessage],
        options: GenerationOptions,
    ) -> Result<(Generation, TemplateSource)> {
        format_and_submit(self, messages, options)
    }

    /// Tokens `text` takes in this model's context: exact for local models, a
    /// deliberately high estimate for remote ones, whose tokenizer Hearth does not have.
    fn count_tokens(&self, text: &str) -> Result<usize> {
        Ok(self.tokenize(text, false)?.len())
    }
}

/// Convenience calls every engine gets: schema-to-grammar conversion on the caller's
/// thread, then `submit`.
pub trait EngineExt: Engine {
    /// Continues raw text with no template.
    fn complete(&self, prompt: String, options: GenerationOptions) -> Result<Generation> {
        self.submit(prepare_request(Prompt::Text(prompt), options)?)
    }
}

impl<E: Engine + ?Sized> EngineExt for E {}

/// What a local model's `chat` does: the conversation formatted with the model's own
/// template (or llama.cpp's fallback for its architecture), then `submit`. Public so a
/// wrapper engine (the audit log's) can keep this path while overriding `chat`.
pub fn format_and_submit<E: Engine + ?Sized>(
    engine: &E,
    messages: &[ChatMessage],
    options: GenerationOptions,
) -> Result<(Generation, TemplateSource)> {
    let info = engine.info();
    let (prompt, source) =
        ChatFormatter::for_model(&info).format(messages, &TemplateOptions::from(&options))?;
    // The parser follows the template the prompt was really made with: a fallback's
    // output has none of the model template's markers.
    let template = match source {
        TemplateSource::Model => info.chat_template.as_deref(),
        _ => None,
    };
    let parser = crate::output::parser_for(template, &prompt, &options);
    let mut request = prepare_request(Prompt::Text(String::new()), options)?;
    if let Some(template) = template {
        // The thinking markers written out as text, and the thinking budget.
        crate::output::reasoning::prepare_request(template, &prompt, &mut request);
        // The tools' schemas as a grammar that wakes at the family's call opener.
        if let Some(tools) = crate::output::tools::grammar_for(template, &request.options)? {
            if request.grammar.is_some() {
                return Err(LlmError::InvalidOptions {
                    reason: "a JSON-schema answer and tool calls cannot be combined; leave out the schema (response_format) or the tools".into(),
                });
            }
            request.grammar = Some(tools.grammar);
            request.grammar_triggers = tools.triggers;
            for marker in tools.preserved {
                if !request.preserved_tokens.contains(&marker) {
                    request.preserved_tokens.push(marker);
                }
            }
        }
    }
    request.prompt = Prompt::Text(prompt);
    let generation = engine.submit(request)?;
    let generation = match parser {
        Some(parser) => generation.with_parser(parser),
        None => generation,
    };
    Ok((generation, source))
}

/// Validates options and turns a JSON schema into the GBNF grammar llama.cpp samples with.
pub fn prepare_request(prompt: Prompt, options: GenerationOptions) -> Result<EngineRequest> {
    options.validate()?;
    let grammar = match &options.json_schema {
        Some(schema) => Some(schema_to_grammar(schema)?),
        None => None,
    };
    Ok(EngineRequest {
        prompt,
        options,
        grammar,
        grammar_triggers: Vec::new(),
        preserved_tokens: Vec::new(),
        thinking_budget: None,
    })
}

fn schema_to_grammar(schema: &serde_json::Value) -> Result<String> {
    if !schema.is_object() && !schema.is_boolean() {
        return Err(LlmError::InvalidSchema {
            reason: "a JSON schema must be an object".into(),
        });
    }
    let text = serde_json::to_string(schema).map_err(|e| LlmError::InvalidSchema {
        reason: e.to_string(),
    })?;
    // llama.cpp's converter throws C++ exceptions on schemas it cannot express; the
    // binding turns them into errors, so a bad schema never aborts the process.
    llama_cpp_2::json_schema_to_grammar(&text).map_err(|e| LlmError::InvalidSchema {
        reason: e.to_string(),
    })
}

/// Cancels a generation. Setting the flag is enough for the in-process engine; the
/// worker handle also forwards it to the child process through `notify`.
#[derive(Clone, Default)]
pub struct CancelToken {
    flag: Arc<AtomicBool>,
    notify: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with_notify(notify: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            flag: Arc::default(),
            notify: Some(Arc::new(notify)),
        }
    }
    pub fn cancel(&self) {
        if !self.flag.swap(true, Ordering::SeqCst) {
            if let Some(notify) = &self.notify {
                notify();
            }
        }
    }
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
    /// The shared flag, for an engine loop that polls it.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.flag.clone()
    }
}

/// A running generation. Read events with [`Generation::next_event`] or iterate;
/// dropping the handle cancels the request.
///
/// A generation from `chat` may carry an [`OutputParser`] for the model's output format:
/// the engine's raw text goes through it on the caller's thread, which turns it into
/// answer deltas, thinking and tool calls before the caller sees any event.
pub struct Generation {
    events: flume::Receiver<GenerationEvent>,
    cancel: CancelToken,
    /// The final event has been handed to the caller.
    finished: bool,
    parser: Option<Box<dyn OutputParser>>,
    /// Events made from what the engine sent, not yet handed out.
    pending: VecDeque<GenerationEvent>,
    /// What the caller asked to keep alive while the answer runs (see [`Generation::holding`]).
    guards: Vec<Box<dyn Send>>,
    /// Rewrites of each event, in the order added (see [`Generation::map_events`]).
    transforms: Vec<EventTransform>,
    /// Watchers of each event handed out (see [`Generation::observe`]).
    observers: Vec<EventObserver>,
}

/// Turns one event into the events the caller gets in its place (none, or several).
type EventTransform = Box<dyn FnMut(GenerationEvent, &mut Vec<GenerationEvent>) + Send>;
/// Sees every event as it is handed out.
type EventObserver = Box<dyn FnMut(&GenerationEvent) + Send>;

impl std::fmt::Debug for Generation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generation")
            .field("cancel", &self.cancel)
            .field("finished", &self.finished)
            .field("parsed", &self.parser.is_some())
            .finish()
    }
}

impl Generation {
    pub fn new(events: flume::Receiver<GenerationEvent>, cancel: CancelToken) -> Self {
        Self {
            events,
            cancel,
            finished: false,
            parser: None,
            pending: VecDeque::new(),
            guards: Vec::new(),
            transforms: Vec::new(),
            observers: Vec::new(),
        }
    }

    /// Rewrites the stream from now on: each event (after the output parser) goes
    /// through `transform`, which pushes what the caller gets instead. A stream adapter
    /// on the caller's thread, where a relay thread per answer would otherwise sit.
    pub fn map_events(
        mut self,
        transform: impl FnMut(GenerationEvent, &mut Vec<GenerationEvent>) + Send + 'static,
    ) -> Self {
        self.transforms.push(Box::new(transform));
        self
    }

    /// Shows `observer` every event as it is handed out, final event included, and sees
    /// to it that it gets the final event even when the caller stops reading early: the
    /// generation is cancelled and what is left is read to its end on a thread of its
    /// own, so a record of the answer (the audit log's) is never lost.
    pub fn observe(mut self, observer: impl FnMut(&GenerationEvent) + Send + 'static) -> Self {
        self.observers.push(Box::new(observer));
        self
    }

    /// Keeps `guard` alive until the final event has been read or the generation is
    /// dropped, whichever comes first: a claim on what the answer runs on (the model
    /// registry counts a model with such a claim as answering, and never unloads it).
    pub fn holding(mut self, guard: impl Send + 'static) -> Self {
        self.guards.push(Box::new(guard));
        self
    }

    /// Reads the engine's text through `parser` from now on.
    pub fn with_parser(mut self, parser: Box<dyn OutputParser>) -> Self {
        self.parser = Some(parser);
        self
    }

    /// Blocks for the next event; `None` once the final event has been read.
    pub fn next_event(&mut self) -> Option<GenerationEvent> {
        loop {
            if let Some(event) = self.take_pending() {
                return Some(event);
            }
            if self.finished {
                return None;
            }
            let received = self.events.recv().ok();
            self.accept(received);
        }
    }

    /// The async form of [`Generation::next_event`], for tokio front ends.
    pub async fn next_event_async(&mut self) -> Option<GenerationEvent> {
        loop {
            if let Some(event) = self.take_pending() {
                return Some(event);
            }
            if self.finished {
                return None;
            }
            let received = self.events.recv_async().await.ok();
            self.accept(received);
        }
    }

    fn take_pending(&mut self) -> Option<GenerationEvent> {
        let event = self.pending.pop_front()?;
        for observer in &mut self.observers {
            observer(&event);
        }
        if event.is_final() {
            self.finished = true;
            self.guards.clear();
        }
        Some(event)
    }

    /// A closed channel means the engine went away before a final event. With a
    /// parser, raw text becomes the parsed events, and the completion is rewritten to
    /// hold the answer alone, the thinking and the calls.
    fn accept(&mut self, received: Option<GenerationEvent>) {
        let event = received.unwrap_or(GenerationEvent::Failed {
            error: LlmError::EngineStopped,
        });
        let mut parsed = Vec::new();
        match (self.parser.as_mut(), event) {
            (Some(parser), GenerationEvent::Delta { text }) => {
                parsed.extend(parser.push(&text));
            }
            (Some(parser), GenerationEvent::Done { mut completion }) => {
                parsed.extend(parser.finish(&mut completion));
                parsed.push(GenerationEvent::Done { completion });
            }
            (_, event) => parsed.push(event),
        }
        for transform in &mut self.transforms {
            let mut out = Vec::with_capacity(parsed.len());
            for event in parsed {
                transform(event, &mut out);
            }
            parsed = out;
        }
        self.pending.extend(parsed);
    }

    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    pub fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Streams every answer delta to `on_text` and returns the completion (which
    /// holds the thinking and tool calls, if any).
    pub fn stream(mut self, mut on_text: impl FnMut(&str)) -> Result<Completion> {
        while let Some(event) = self.next_event() {
            match event {
                GenerationEvent::Delta { text } => on_text(&text),
                GenerationEvent::Reasoning { .. } | GenerationEvent::ToolCall { .. } => {}
                GenerationEvent::Done { completion } => return Ok(completion),
                GenerationEvent::Failed { error } => return Err(error),
            }
        }
        Err(LlmError::EngineStopped)
    }

    /// Waits for the whole answer.
    pub fn wait(self) -> Result<Completion> {
        self.stream(|_| {})
    }
}

impl Iterator for Generation {
    type Item = GenerationEvent;
    fn next(&mut self) -> Option<GenerationEvent> {
        self.next_event()
    }
}

impl Drop for Generation {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.cancel.cancel();
        if self.observers.is_empty() {
            return;
        }
        // Observers are owed the end: the engine stops at its next step, and the rest
        // is read off this thread (a dropping caller may be an async task).
        let rest = Generation {
            events: self.events.clone(),
            cancel: self.cancel.clone(),
            finished: false,
            parser: self.parser.take(),
            pending: std::mem::take(&mut self.pending),
            guards: std::mem::take(&mut self.guards),
            transforms: std::mem::take(&mut self.transforms),
            observers: std::mem::take(&mut self.observers),
        };
        let rest = Arc::new(Mutex::new(Some(rest)));
        let for_thread = rest.clone();
        let spawned = std::thread::Builder::new()
            .name("hearth-finish".into())
            .spawn(move || read_to_end(&for_thread));
        if let Err(error) = spawned {
            // Rare (no threads left): finish here rather than lose the record.
            tracing::warn!(%error, "no thread to finish a dropped answer; finishing it here");
            read_to_end(&rest);
        }
    }
}

/// Reads a generation left in `slot` to its final event, once.
fn read_to_end(slot: &Mutex<Option<Generation>>) {
    let taken = slot.lock().ok().and_then(|mut slot| slot.take());
    if let Some(mut generation) = taken {
        while generation.next_event().is_some() {}
    }
}
