//! Conversations that are never lost: the user's message is committed before the
//! answer starts, the answer is checkpointed while it streams (at least every second)
//! and finished with its state (done, stopped, failed), and a conversation gets a short
//! title from the model in the background after its first exchange.
//!
//! Each answer is written by a "turn" thread that reads the engine's events, forwards
//! them to the caller and writes checkpoints, so a slow reader never delays the
//! database and a crash loses at most the last second of an answer.
//!
//! A reasoning model's thinking (split from its answer by `hearth-llm`'s output parser)
//! streams as its own events, is checkpointed with the answer and stored beside it with
//! how long the model thought. Later turns hand it back to the template on
//! `ChatMessage::reasoning`, which decides whether the model sees it (most templates
//! drop past thinking); nothing else here reads it as answer text.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth_llm::{
    CancelToken, ChatMessage, Engine, GenerationEvent, GenerationOptions, LoraAdapter, StopReason,
};
use hearth_store::{
    AuditPurpose, ContextSummary, Conversation, ConversationId, Message, MessageFinish, MessageId,
    MessageKind, MessageState, NewMessage, Role, SearchHit, SearchQuery, Store, ToolApproval,
    ToolCallRecord, ToolCallStatus,
};
use serde::{Deserialize, Serialize};

use crate::ask::answer::Grounded;
use crate::audit::AuditContext;
use crate::chat_tools::{PendingCalls, RoundEnd, ToolLoop};
use crate::error::{CoreError, Result};
use crate::fold::{fit_prompt, Budget};
use crate::hearth::{Hearth, ModelHandle};

/// How often a streaming answer is written to the database.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// What a conversation turn streams to its caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TurnEvent {
    /// Older turns were folded into this summary (now stored) so the conversation fits
    /// the model's context; sent before the first delta.
    Folded {
        summary: ContextSummary,
    },
    Delta {
        text: String,
    },
    /// New text of the model's thinking, before the answer.
    Reasoning {
        text: String,
    },
    /// A tool call the model asked for, each time it changes: `pending` while it waits
    /// for the user ([`Hearth::decide_tool_call`]), `running`, then `done`, `failed`
    /// or `declined`. The text after it (more `Delta`s) is the model's next pass, which
    /// has the results.
    ToolCall {
        call: ToolCallRecord,
    },
    /// The final state of the answer, as stored.
    Finished {
        message: Message,
    },
}

/// An answer being written. Read events with [`ChatTurn::next_event`]; dropping the
/// turn or calling [`ChatTurn::stop`] stops the answer, which is kept as `stopped`.
pub struct ChatTurn {
    /// The user's message, already committed (absent when regenerating).
    pub user_message: Option<Message>,
    /// The answer's id; the message exists from the start, in state `streaming`.
    pub answer_id: MessageId,
    /// Where the answer is written: "CPU", the GPU and its layers, or `None` for a
    /// remote model (or an answer not written by a model).
    pub ran_on: Option<String>,
    events: flume::Receiver<TurnEvent>,
    cancel: CancelToken,
    pending: Arc<PendingCalls>,
}

impl ChatTurn {
    /// The next event; `None` after `Finished`.
    pub fn next_event(&self) -> Option<TurnEvent> {
        self.events.recv().ok()
    }

    pub async fn next_event_async(&self) -> Option<TurnEvent> {
        self.events.recv_async().await.ok()
    }

    pub fn stop(&self) {
        self.cancel.cancel();
    }

    pub fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Streams the answer's text to `on_text` and returns the stored answer. Tool calls
    /// the model asks for are declined (nothing here can ask the user); callers that
    /// can ask read [`ChatTurn::next_event`] and decide with [`Hearth::decide_tool_call`].
    pub fn stream(self, mut on_text: impl FnMut(&str)) -> Result<Message> {
        while let Some(event) = self.next_event() {
            match event {
                TurnEvent::Delta { text } => on_text(&text),
                TurnEvent::Folded { .. } | TurnEvent::Reasoning { .. } => {}
                // No one here can approve a call: it is declined, and the model
                // answers without it.
                TurnEvent::ToolCall { call } if call.status == ToolCallStatus::Pending => {
                    self.pending
                        .decide(&self.answer_id, &call.id, ToolApproval::Never);
                }
                TurnEvent::ToolCall { .. } => {}
                TurnEvent::Finished { message } => return Ok(message),
            }
        }
        Err(CoreError::TurnLost {
            id: self.answer_id.to_string(),
        })
    }
}

impl Drop for ChatTurn {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl Hearth {
    /// The store itself, for hearth-core's own tests and tools. Front ends use
    /// [`Hearth::history`] and the facade's other calls (`tests/one_door.rs`).
    #[doc(hidden)]
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Deletes a conversation with its messages (overwritten in the database), and every
    /// saved model context, since one may hold its tokens: delete means gone.
    pub fn delete_conversation(&self, id: &ConversationId) -> Result<()> {
        self.store.delete_conversation(id)?;
        self.forget_contexts()
    }

    /// Adds the user's message at the end of the active branch and starts the answer.
    pub fn send_message(
        &self,
        conversation: &ConversationId,
        text: &str,
        options: GenerationOptions,
    ) -> Result<ChatTurn> {
        if text.trim().is_empty() {
            return Err(CoreError::EmptyMessage);
        }
        let model = self.check_question_fits(conversation, text, &options)?;
        let parent = self
            .store
            .active_branch(conversation)?
            .last()
            .map(|m| m.id.clone());
        let user = self
            .store
            .add_message(conversation, NewMessage::user(parent, text))?;
        let mut turn = self.answer(conversation, &user.id, options, model)?;
        turn.user_message = Some(user);
        Ok(turn)
    }

    /// Writes a new answer to the same question, as a sibling of `answer`.
    pub fn regenerate(&self, answer: &MessageId, options: GenerationOptions) -> Result<ChatTurn> {
        let old = self.store.message(answer)?;
        let question = old.parent_id.ok_or_else(|| CoreError::NotAnAnswer {
            id: answer.to_string(),
        })?;
        self.answer(&old.conversation_id, &question, options, None)
    }

    /// Replaces a question with new text as a sibling branch and answers it.
    pub fn edit_message(
        &self,
        message: &MessageId,
        text: &str,
        options: GenerationOptions,
    ) -> Result<ChatTurn> {
        let old = self.store.message(message)?;
        if old.role != Role::User {
            return Err(CoreError::NotAQuestion {
                id: message.to_string(),
            });
        }
        let model = self.check_question_fits(&old.conversation_id, text, &options)?;
        let user = self.store.add_message(
            &old.conversation_id,
            NewMessage::user(old.parent_id.clone(), text),
        )?;
        let mut turn = self.answer(&old.conversation_id, &user.id, options, model)?;
        turn.user_message = Some(user);
        Ok(turn)
    }

    /// Refuses a question that could never fit the model's context, or that would go to
    /// a remote provider while offline mode is on, before it is stored, so a refused
    /// message leaves nothing behind. The model it checked with (the conversation's, with
    /// its adapter) is handed on to the answer, so a turn looks its model up once. When
    /// the model cannot be loaded the check is skipped: the answer then reports that
    /// error itself.
    fn check_question_fits(
        &self,
        conversation: &ConversationId,
        text: &str,
        options: &GenerationOptions,
    ) -> Result<Option<ModelHandle>> {
        let details = self.store.conversation(conversation)?;
        let Ok(model) = self.conversation_model(&details) else {
            return Ok(None);
        };
        let engine = model.audited(AuditContext::new(
            AuditPurpose::Answer,
            Some(conversation.as_str()),
        ));
        if let Some(provider) = engine.info().provider.filter(|_| self.is_offline()) {
            return Err(hearth_llm::LlmError::Offline { provider }.into());
        }
        Budget::new(engine.as_ref(), options)
            .check_question(details.system_prompt.as_deref(), text)?;
        Ok(Some(model))
    }

    /// A conversation's model, with its adapter when one is attached.
    fn conversation_model(&self, details: &Conversation) -> Result<ModelHandle> {
        self.model_for(details.model.as_deref(), attached_adapter(details).as_ref())
    }

    /// Answers the branch that ends at `question`, with `model` when the caller has
    /// looked the conversation's model up already.
    fn answer(
        &self,
        conversation: &ConversationId,
        question: &MessageId,
        options: GenerationOptions,
        model: Option<ModelHandle>,
    ) -> Result<ChatTurn> {
        let details = self.store.conversation(conversation)?;
        let model = match model {
            Some(model) => model,
            None => self.conversation_model(&details)?,
        };
        // The conversation's thinking switch, unless this answer's options set one.
        let mut options = options;
        if options.thinking.is_none() {
            options.thinking = conversation_thinking(&details);
        }
        self.store.switch_branch(conversation, question)?;
        let mut branch = self.store.active_branch(conversation)?;
        // The shown branch continues past the question when it was answered before
        // (regenerating); the model must see the conversation only up to the question.
        if let Some(end) = branch.iter().position(|m| &m.id == question) {
            branch.truncate(end + 1);
        }
        // One engine per purpose, so the audit log tells answers, summaries and titles
        // apart; they share the one lookup of the model.
        let audited =
            |purpose| model.audited(AuditContext::new(purpose, Some(conversation.as_str())));
        let engine = audited(AuditPurpose::Answer);
        let info = engine.info();
        // MCP tools, for a model that can call them, offered before the prompt is fitted:
        // the template writes their descriptions into it. A server that cannot be used is
        // reported in the log and leaves the answer without tools, not without an answer.
        let offered = match self.conversation_tools(&details, &info, &options) {
            Ok(offered) => offered,
            Err(e) => {
                tracing::warn!(error = %e, "the answer is offered no tools");
                None
            }
        };
        if let Some(tools) = &offered {
            tools.offer(&mut options);
        }
        let fitted = fit_prompt(
            &self.store,
            audited(AuditPurpose::Summary).as_ref(),
            conversation,
            details.system_prompt.as_deref(),
            &branch,
            &options,
        )?;
        let mut prompt = fitted.messages;
        let mut sources = None;
        if let Some(collection) = attached_collection(&details) {
            let budget = crate::fold::Budget::new(engine.as_ref(), &options);
            let room = budget.limit().saturating_sub(budget.measure(&prompt)?);
            match self.ground(
                details.model.as_deref(),
                &collection,
                prompt,
                room,
                engine.as_ref(),
            )? {
                Grounded::Sources {
                    messages,
                    sources: found,
                } => {
                    prompt = messages;
                    sources = Some(found);
                }
                Grounded::NothingRelevant { message } => {
                    return self.answer_without_model(conversation, question, message);
                }
            }
        }
        self.record_context_use(conversation, engine.as_ref(), &prompt, &options);
        let answer = self.store.add_message(
            conversation,
            NewMessage::assistant_streaming(Some(question.clone()), Some(info.name))
                .by_provider(info.provider),
        )?;
        if let Some(sources) = &sources {
            let json = serde_json::to_value(sources).unwrap_or_default();
            self.store.set_message_sources(&answer.id, &json)?;
        }
        let generation = match engine.chat(&prompt, options.clone()) {
            Ok((generation, _template)) => generation,
            Err(error) => {
                self.store.finish_message(
                    &answer.id,
                    &finish(
                        String::new(),
                        MessageState::Failed,
                        Some(error.to_string()),
                        None,
                    ),
                )?;
                return Err(error.into());
            }
        };
        let (cancel, tool_loop) = match offered {
            None => (generation.cancel_token(), None),
            Some(tools) => {
                // The turn outlives its first generation: its token stops whichever
                // pass runs now, and a wait for approval or a running tool.
                let current = Arc::new(std::sync::Mutex::new(generation.cancel_token()));
                let running = current.clone();
                let cancel = CancelToken::with_notify(move || {
                    if let Ok(running) = running.lock() {
                        running.cancel();
                    }
                });
                let tool_loop = ToolLoop {
                    tools,
                    engine: engine.clone(),
                    prompt,
                    options,
                    store: self.store.clone(),
                    conversation: conversation.clone(),
                    answer: answer.id.clone(),
                    cancel: cancel.clone(),
                    current,
                    calls: Vec::new(),
                    round: 0,
                };
                (cancel, Some(tool_loop))
            }
        };
        let (events, receiver) = flume::unbounded();
        if let Some(summary) = fitted.folded {
            // The receiver is still held here, so this cannot fail.
            let _ = events.send(TurnEvent::Folded { summary });
        }
        let store = self.store.clone();
        let answer_id = answer.id.clone();
        // Every conversation still without a title gets one after this answer: not only
        // after the first exchange, so a chat whose first answer failed or was stopped is
        // titled by the next one instead of staying untitled for good.
        let title_engine = match details.title.is_empty() {
            true => Some(audited(AuditPurpose::Title)),
            false => None,
        };
        let title_job = title_engine.map(|engine| TitleJob {
            engine,
            conversation: conversation.clone(),
            question: branch.last().map(|m| m.content.clone()).unwrap_or_default(),
        });
        std::thread::Builder::new()
            .name("hearth-turn".into())
            .spawn(move || write_answer(store, answer_id, generation, events, title_job, tool_loop))
            .map_err(|source| CoreError::Io {
                what: "starting the answer writer".into(),
                source,
            })?;
        Ok(ChatTurn {
            user_message: None,
            answer_id: answer.id,
            // With the reason when the GPU took fewer layers than asked, so the user
            // who finds answers slower than yesterday reads why.
            ran_on: info.placement.as_ref().map(|p| match &p.note {
                Some(note) => format!("{} ({note})", p.summary()),
                None => p.summary(),
            }),
            events: receiver,
            cancel,
            pending: self.pending_calls.clone(),
        })
    }
}

impl Hearth {
    /// Attaches a conversation to a document collection (its answers then come from the
    /// collection's passages, with sources), or detaches it with `None`.
    pub fn attach_collection(
        &self,
        conversation: &ConversationId,
        collection: Option<&str>,
    ) -> Result<Conversation> {
        let name = match collection {
            Some(name) => Some(self.store.collection(name)?.name),
            None => None,
        };
        self.set_conversation_setting(conversation, COLLECTION_KEY, name.map(Into::into))
    }

    /// Attaches a LoRA adapter to a conversation's local model (its answers then come
    /// from the model with the adapter at `scale`), or detaches it with `None`. The
    /// model is loaded with the adapter at once, so a file that does not fit the model
    /// is refused here rather than at the next answer.
    pub fn set_conversation_adapter(
        &self,
        conversation: &ConversationId,
        adapter: Option<LoraAdapter>,
    ) -> Result<Conversation> {
        let current = self.store.conversation(conversation)?;
        if let Some(adapter) = &adapter {
            self.audited_engine_with(
                current.model.as_deref(),
                Some(adapter),
                AuditContext::new(AuditPurpose::Answer, Some(conversation.as_str())),
            )?;
        }
        let value = adapter
            .map(|a| serde_json::to_value(a).unwrap_or_default())
            .filter(|v| !v.is_null());
        self.set_conversation_setting(conversation, ADAPTER_KEY, value)
    }

    /// Turns a reasoning model's thinking on (`Some(true)`) or off for a conversation's
    /// answers, or back to the model's default (`None`). Only templates with a switch
    /// (`enable_thinking`) act on it; see [`Hearth::thinking_support`].
    pub fn set_conversation_thinking(
        &self,
        conversation: &ConversationId,
        thinking: Option<bool>,
    ) -> Result<Conversation> {
        self.set_conversation_setting(conversation, THINKING_KEY, thinking.map(Into::into))
    }

    /// Searches the history; the model's thinking is searched too when the
    /// `search_thinking` setting (or the query) says so.
    pub fn search(&self, mut query: SearchQuery) -> Result<Vec<SearchHit>> {
        query.thinking |= self.config().search_thinking;
        Ok(self.store.search(&query)?)
    }

    /// Sets (or with `None` removes) one key of a conversation's settings object.
    pub(crate) fn set_conversation_setting(
        &self,
        conversation: &ConversationId,
        key: &str,
        value: Option<serde_json::Value>,
    ) -> Result<Conversation> {
        let current = self.store.conversation(conversation)?;
        let mut settings = match current.settings {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        match value {
            Some(value) => settings.insert(key.into(), value),
            None => settings.remove(key),
        };
        Ok(self.store.update_settings(
            conversation,
            &hearth_store::ConversationSettings {
                model: current.model,
                system_prompt: current.system_prompt,
                persona_id: current.persona_id,
                settings: serde_json::Value::Object(settings),
            },
        )?)
    }

    /// Keeps how much of the model's context this answer's prompt takes, for the chat's
    /// context meter. Measured as the engine sees the prompt (its template and tokenizer,
    /// tools and passages included), so the meter agrees with the folding. A failure
    /// only leaves the meter as it was.
    fn record_context_use(
        &self,
        conversation: &ConversationId,
        engine: &dyn Engine,
        prompt: &[ChatMessage],
        options: &GenerationOptions,
    ) {
        let measured = Budget::new(engine, options).measure(prompt);
        let recorded = measured.and_then(|prompt_tokens| {
            let value = serde_json::json!({
                "prompt_tokens": prompt_tokens,
                "context_tokens": engine.info().context_length,
            });
            self.set_conversation_setting(conversation, CONTEXT_USE_KEY, Some(value))
        });
        if let Err(e) = recorded {
            tracing::warn!(error = %e, "could not record the context the prompt uses");
        }
    }

    /// Stores `text` as the answer to `question` without asking a model (nothing in the
    /// attached collection is about it), as a turn that has already finished.
    fn answer_without_model(
        &self,
        conversation: &ConversationId,
        question: &MessageId,
        text: String,
    ) -> Result<ChatTurn> {
        let answer = self.store.add_message(
            conversation,
            NewMessage::assistant_streaming(Some(question.clone()), None),
        )?;
        let stored = self.store.finish_message(
            &answer.id,
            &finish(text.clone(), MessageState::Done, None, None),
        )?;
        self.store
            .set_message_sources(&answer.id, &serde_json::json!([]))?;
        let (events, receiver) = flume::unbounded();
        let _ = events.send(TurnEvent::Delta { text });
        let _ = events.send(TurnEvent::Finished { message: stored });
        Ok(ChatTurn {
            user_message: None,
            answer_id: answer.id,
            ran_on: None,
            events: receiver,
            cancel: CancelToken::new(),
            pending: self.pending_calls.clone(),
        })
    }
}

/// Where a conversation's attachment to a collection is kept in its settings.
pub const COLLECTION_KEY: &str = "collection";

/// Where a conversation's LoRA adapter (`{path, scale}`) is kept in its settings.
pub const ADAPTER_KEY: &str = "adapter";

/// Where a conversation's settings keep how much of the model's context the latest
/// answer's prompt took: `{"prompt_tokens": N, "context_tokens": M}`. Written by each
/// turn, never by the user (the API's change request has no such field).
pub const CONTEXT_USE_KEY: &str = "context_use";

/// Where a conversation's thinking switch is kept in its settings: `true`, `false`, or
/// absent for the model's default.
pub const THINKING_KEY: &str = "thinking";

/// Whether a conversation's answers think: `None` leaves it to the model's template.
pub fn conversation_thinking(conversation: &Conversation) -> Option<bool> {
    conversation.settings.get(THINKING_KEY)?.as_bool()
}

/// The LoRA adapter a conversation's answers use, if any.
pub fn attached_adapter(conversation: &Conversation) -> Option<LoraAdapter> {
    serde_json::from_value(conversation.settings.get(ADAPTER_KEY)?.clone()).ok()
}

/// The collection a conversation is attached to, if any.
pub fn attached_collection(conversation: &Conversation) -> Option<String> {
    conversation
        .settings
        .get(COLLECTION_KEY)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// The model's view of a branch: the system prompt, then every finished or partial
/// turn. Failed answers are left out: they hold an error, not something the model said;
/// but the tool calls of an answer are kept even when it failed or wrote no text after
/// them, since they ran (or were declined) and the model should know.
pub(crate) fn prompt_messages(system_prompt: Option<&str>, branch: &[Message]) -> Vec<ChatMessage> {
    let mut messages = Vec::with_capacity(branch.len() + 1);
    if let Some(system) = system_prompt.filter(|s| !s.trim().is_empty()) {
        messages.push(ChatMessage::system(system));
    }
    for message in branch {
        if message.state == MessageState::Failed || message.content.is_empty() {
            if let Some(calls) = message
                .tool_calls
                .as_deref()
                .filter(|_| message.role == Role::Assistant)
            {
                crate::chat_tools::replay_tool_rounds(calls, &mut messages);
            }
            continue;
        }
        let chat = match (message.kind, message.role) {
            (MessageKind::Summary, _) => ChatMessage::system(format!(
                "Summary of the earlier conversation: {}",
                message.content
            )),
            (_, Role::System) => ChatMessage::system(message.content.clone()),
            (_, Role::User) => ChatMessage::user(message.content.clone()),
            (_, Role::Assistant) => {
                // The calls it made and their results come before its answer, as the
                // model saw them when it wrote it.
                if let Some(calls) = message.tool_calls.as_deref() {
                    crate::chat_tools::replay_tool_rounds(calls, &mut messages);
                }
                ChatMessage {
                    reasoning: message.reasoning.clone().filter(|r| !r.is_empty()),
                    ..ChatMessage::assistant(message.content.clone())
                }
            }
        };
        messages.push(chat);
    }
    messages
}

fn finish(
    content: String,
    state: MessageState,
    error: Option<String>,
    tokens: Option<usize>,
) -> MessageFinish {
    MessageFinish {
        content,
        state,
        error,
        token_count: tokens.and_then(|t| u32::try_from(t).ok()),
        reasoning: None,
        reasoning_ms: None,
    }
}

/// The thinking of an answer as it streams: its text, and when its first and last
/// pieces came, for "thought for N seconds".
#[derive(Default)]
struct Thinking {
    text: String,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Thinking {
    fn push(&mut self, text: &str) {
        let now = Instant::now();
        self.first.get_or_insert(now);
        self.last = Some(now);
        self.text.push_str(text);
    }

    /// What a checkpoint writes: nothing before the model thought.
    fn so_far(&self) -> Option<&str> {
        (!self.text.is_empty()).then_some(self.text.as_str())
    }

    /// Milliseconds from the first thinking piece to the last.
    fn millis(&self) -> Option<u32> {
        let (first, last) = (self.first?, self.last?);
        u32::try_from(last.duration_since(first).as_millis()).ok()
    }

    /// The final state's thinking: the completion's (the parser's whole split, which
    /// equals what streamed), or what streamed when the answer ended without one.
    fn into_finish(self, completion: Option<String>, finish: &mut MessageFinish) {
        let millis = self.millis();
        let text = completion
            .filter(|t| !t.is_empty())
            .or_else(|| (!self.text.is_empty()).then_some(self.text));
        if text.is_some() {
            finish.reasoning_ms = millis;
        }
        finish.reasoning = text;
    }
}

/// The turn thread: forwards deltas and thinking, checkpoints both, and stores the final
/// state.
fn write_answer(
    store: Arc<Store>,
    answer: MessageId,
    mut generation: hearth_llm::Generation,
    events: flume::Sender<TurnEvent>,
    title_job: Option<TitleJob>,
    mut tool_loop: Option<ToolLoop>,
) {
    let mut text = String::new();
    // Over every pass of the model (one per round of tool calls).
    let mut tokens = 0usize;
    let mut reasonings: Vec<String> = Vec::new();
    let mut thinking = Thinking::default();
    let mut last_checkpoint = Instant::now();
    let mut checkpoint = |text: &str, thinking: &Thinking| {
        if last_checkpoint.elapsed() < CHECKPOINT_INTERVAL {
            return;
        }
        if let Err(e) =
            store.checkpoint_answer(&answer, text, thinking.so_far(), MessageState::Streaming)
        {
            tracing::error!(error = %e, "could not checkpoint the answer");
        }
        last_checkpoint = Instant::now();
    };
    let (mut outcome, reasoning) = loop {
        match generation.next_event() {
            Some(GenerationEvent::Delta { text: delta }) => {
                text.push_str(&delta);
                // A caller that went away does not stop the answer being saved; dropping
                // the turn cancels it through the token instead.
                let _ = events.send(TurnEvent::Delta { text: delta });
                checkpoint(&text, &thinking);
            }
            Some(GenerationEvent::Reasoning { text: piece }) => {
                thinking.push(&piece);
                let _ = events.send(TurnEvent::Reasoning { text: piece });
                checkpoint(&text, &thinking);
            }
            // Calls are shown and decided once the pass is over, with all of them.
            Some(GenerationEvent::ToolCall { .. }) => {}
            Some(GenerationEvent::Done { completion }) => {
                tokens += completion.completion_tokens;
                if let Some(r) = completion.reasoning.as_ref().filter(|r| !r.is_empty()) {
                    reasonings.push(r.clone());
                }
                let joined = (!reasonings.is_empty()).then(|| reasonings.join("\n\n"));
                let cancelled = completion.stop_reason == StopReason::Cancelled;
                if let Some(tools) = tool_loop
                    .as_mut()
                    .filter(|_| !cancelled && !completion.tool_calls.is_empty())
                {
                    match tools.run_round(&completion, &events) {
                        RoundEnd::Next(next) => {
                            // The next pass's text is the answer; this one's is kept
                            // on its calls.
                            generation = next;
                            text.clear();
                            continue;
                        }
                        RoundEnd::Stopped => {
                            break (
                                finish(completion.text, MessageState::Stopped, None, Some(tokens)),
                                joined,
                            )
                        }
                        RoundEnd::Failed(error) => {
                            break (
                                finish(
                                    completion.text,
                                    MessageState::Failed,
                                    Some(error),
                                    Some(tokens),
                                ),
                                joined,
                            )
                        }
                    }
                }
                let state = if cancelled {
                    MessageState::Stopped
                } else {
                    MessageState::Done
                };
                break (finish(completion.text, state, None, Some(tokens)), joined);
            }
            Some(GenerationEvent::Failed { error }) => {
                break (
                    finish(
                        text.clone(),
                        MessageState::Failed,
                        Some(error.to_string()),
                        None,
                    ),
                    None,
                )
            }
            None => {
                break (
                    finish(
                        text.clone(),
                        MessageState::Failed,
                        Some("the engine stopped".into()),
                        None,
                    ),
                    None,
                )
            }
        }
    };
    thinking.into_finish(reasoning, &mut outcome);
    let finished_ok = outcome.state == MessageState::Done;
    match store.finish_message(&answer, &outcome) {
        Ok(message) => {
            let _ = events.send(TurnEvent::Finished { message });
        }
        Err(e) => {
            tracing::error!(error = %e, "could not store the finished answer");
            if let Ok(message) = store.message(&answer) {
                let _ = events.send(TurnEvent::Finished { message });
            }
        }
    }
    drop(events);
    match (title_job, finished_ok) {
        (Some(job), true) => job.run(&store, &outcome.content),
        // No answer to title from: the question's first words stand in, so the history
        // never shows a nameless conversation; a later answer does not replace them.
        (Some(job), false) => job.store(&store, fallback_title(&job.question)),
        (None, _) => {}
    }
}

/// Asks the model for a short title after the first exchange.
struct TitleJob {
    engine: Arc<dyn Engine>,
    conversation: ConversationId,
    question: String,
}

impl TitleJob {
    fn run(self, store: &Store, answer: &str) {
        let excerpt: String = answer.chars().take(400).collect();
        let messages = [
            ChatMessage::system("You write titles. Reply with a title of at most six words for the conversation, and nothing else."),
            ChatMessage::user(format!("Question: {}\nAnswer: {}\n\nTitle:", self.question, excerpt)),
        ];
        let options = GenerationOptions {
            max_tokens: Some(16),
            stop: vec!["\n".into()],
            // Sixteen tokens are for the title; a reasoning model with a switch answers
            // without thinking first.
            thinking: Some(false),
            ..GenerationOptions::greedy()
        };
        let title = match self
            .engine
            .chat(&messages, options)
            .and_then(|(g, _)| g.wait())
        {
            Ok(completion) => clean_title(&completion.text),
            Err(e) => {
                tracing::warn!(error = %e, "could not generate a title");
                None
            }
        };
        let title = title.unwrap_or_else(|| fallback_title(&self.question));
        self.store(store, title);
    }

    fn store(&self, store: &Store, title: String) {
        if let Err(e) = store.set_auto_title(&self.conversation, &title) {
            tracing::warn!(error = %e, "could not store the generated title");
        }
    }
}

/// Strips quotes, a "Title:" prefix and trailing punctuation; `None` when nothing is left.
pub fn clean_title(raw: &str) -> Option<String> {
    let mut title = raw.trim().trim_start_matches("Title:").trim();
    title = title
        .trim_matches(|c: char| c == '"' || c == '\'' || c == '*' || c == '#' || c.is_whitespace());
    let title = title.trim_end_matches(['.', ':', ';', ',']).trim();
    let title: String = title.chars().take(80).collect();
    (!title.is_empty()).then_some(title)
}

/// The first words of the question, when the model gives no usable title.
fn fallback_title(question: &str) -> String {
    let words: Vec<&str> = question.split_whitespace().take(6).collect();
    let title = words.join(" ");
    if title.is_empty() {
        "New conversation".into()
    } else {
        title
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_cleaned() {
        assert_eq!(
            clean_title("  \"Why the sky is blue.\"  "),
            Some("Why the sky is blue".into())
        );
        assert_eq!(
            clean_title("Title: **Rust errors**"),
            Some("Rust errors".into())
        );
        assert_eq!(clean_title(" \"\" "), None);
        assert_eq!(
            fallback_title("what is the capital of france and why"),
            "what is the capital of france"
        );
    }
}
