//! Conversations and their messages: list, open (the shown branch with its siblings for
//! the branch switcher), create, rename, pin, archive, delete, switch branch; and the
//! turns (send, regenerate, edit), streamed as server-sent events.
//!
//! A turn streams `started` (the stored question and the answer's id), `folded` when
//! older turns were summarized to fit the context, a reasoning model's thinking as
//! `reasoning` events (before the answer), `delta`s, then `finished` with the answer as
//! stored (its `reasoning` and `reasoning_ms` too), or `error`. Closing the stream stops
//! the answer, which is kept as `stopped`, like `POST /api/jobs/{answer_id}/cancel`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hearth_core::conversations::StartConversation;
use hearth_core::{ChatTurn, TurnEvent};
use hearth_llm::GenerationOptions;
use hearth_store::{
    ContextSummary, Conversation, ConversationFilter, ConversationId, Message, MessageId,
    PersonaId, ToolApproval,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::json::{ValidJson, ValidQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// `false` hides archived conversations (the default), `true` shows only them.
    pub archived: Option<bool>,
    pub pinned: Option<bool>,
    pub tag: Option<String>,
    pub limit: Option<u32>,
    #[serde(default)]
    pub offset: u32,
}

#[utoipa::path(get, path = "/api/conversations", tag = "conversations",
    params(ListQuery),
    responses((status = 200, description = "Conversations, pinned first, then the most recently updated", body = Vec<Object>)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> ApiResult<Json<Vec<Conversation>>> {
    let filter = ConversationFilter {
        archived: Some(query.archived.unwrap_or(false)),
        pinned: query.pinned,
        tag: query.tag,
        limit: query.limit,
        offset: query.offset,
    };
    blocking(&state, move |hearth| {
        hearth.history().conversations(&filter)
    })
    .await
    .map(Json)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversationBody {
    pub title: Option<String>,
    /// A model id; the default model when left out.
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    /// Starts from a persona's system prompt.
    pub persona_id: Option<String>,
}

#[utoipa::path(post, path = "/api/conversations", tag = "conversations",
    request_body = NewConversationBody,
    responses((status = 201, description = "The new conversation", body = Object)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<NewConversationBody>,
) -> ApiResult<Response> {
    let conversation = blocking(&state, move |hearth| {
        hearth.start_conversation(StartConversation {
            title: body.title,
            model: body.model,
            system_prompt: body.system_prompt,
            persona: body.persona_id.map(PersonaId::from),
        })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(conversation)).into_response())
}

/// A conversation as the chat screen shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationView {
    #[schema(value_type = Object)]
    pub conversation: Conversation,
    /// The branch being shown, first message first.
    #[schema(value_type = Vec<Object>)]
    pub messages: Vec<Message>,
    /// For each shown message that has siblings (edits, regenerations): every sibling's
    /// id, oldest first.
    pub siblings: HashMap<String, Vec<String>>,
    /// Running summaries that stand in for turns folded out of the model's context.
    #[schema(value_type = Vec<Object>)]
    pub summaries: Vec<ContextSummary>,
    /// For answers in a conversation attached to a collection: the numbered passages
    /// each was given, by message id.
    #[schema(value_type = Object)]
    pub sources: HashMap<String, serde_json::Value>,
    /// For those answers: the grounding check against their passages (each sentence
    /// supported, not_found with reasons, or unchecked), by message id.
    #[schema(value_type = Object)]
    pub grounding: HashMap<String, hearth_core::grounding::GroundingReport>,
    /// Whether the conversation's model thinks in marked blocks (`supports_thinking`)
    /// and its template can turn that on and off (`thinking_switch`); the switch's
    /// setting is `conversation.settings.thinking`.
    #[schema(value_type = Object)]
    pub thinking: hearth_llm::ThinkingSupport,
    /// How many MCP tool servers are on: their tools are offered to models that can
    /// call them unless `conversation.settings.tools` is false.
    pub tool_servers: usize,
}

#[utoipa::path(get, path = "/api/conversations/{id}", tag = "conversations",
    params(("id" = String, Path)),
    responses((status = 200, body = ConversationView), (status = 404, description = "No such conversation")),
    security(("bearer" = [])))]
pub async fn open(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationView>> {
    blocking(&state, move |hearth| {
        let view = hearth.conversation_view(&ConversationId::from(id))?;
        let thinking = hearth.thinking_support(view.conversation.model.as_deref());
        let tool_servers = hearth.mcp_servers().iter().filter(|s| s.enabled).count();
        Ok(ConversationView {
            conversation: view.conversation,
            messages: view.messages,
            siblings: view.siblings,
            summaries: view.summaries,
            sources: view.sources,
            grounding: view.grounding,
            thinking,
            tool_servers,
        })
    })
    .await
    .map(Json)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationChange {
    pub title: Option<String>,
    pub pinned: Option<bool>,
    pub archived: Option<bool>,
    /// Replaces the model (null keeps it; "" clears it back to the default).
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    /// Attaches the conversation to a document collection by name ("" detaches it): its
    /// answers then come from the collection's passages, with sources.
    pub collection: Option<String>,
    /// Answers through a LoRA adapter file made for the conversation's local model
    /// (`{"path": "/…/style.gguf", "scale": 0.8}`); a `path` of "" detaches it.
    pub adapter: Option<AdapterChange>,
    /// A reasoning model's thinking for this conversation's answers: "on", "off", or
    /// "default" (the model's own; templates without a switch always do their default).
    pub thinking: Option<String>,
    /// Offers the MCP servers' tools to this conversation's model (true, the default)
    /// or not (false). Each call still needs the user's approval.
    pub tools: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdapterChange {
    pub path: String,
    /// 1 applies it as trained (the default), 0 not at all.
    pub scale: Option<f32>,
}

#[utoipa::path(patch, path = "/api/conversations/{id}", tag = "conversations",
    params(("id" = String, Path)), request_body = ConversationChange,
    responses((status = 200, description = "The conversation after the change", body = Object)),
    security(("bearer" = [])))]
pub async fn change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidJson(change): ValidJson<ConversationChange>,
) -> ApiResult<Json<Conversation>> {
    if change.title.as_ref().is_some_and(|t| t.trim().is_empty()) {
        return Err(ApiError::invalid(
            "title",
            "the title is empty; type a title",
        ));
    }
    let thinking = match change.thinking.as_deref().map(str::trim) {
        None => None,
        Some("on") => Some(Some(true)),
        Some("off") => Some(Some(false)),
        Some("default") => Some(None),
        Some(other) => {
            return Err(ApiError::invalid(
                "thinking",
                format!("thinking is \"on\", \"off\" or \"default\", not {other:?}"),
            ))
        }
    };
    // An empty path detaches; any other is checked like every file a request names.
    let adapter = match &change.adapter {
        Some(adapter) if adapter.path.trim().is_empty() => Some((None, 1.0)),
        Some(adapter) => Some((
            Some(state.gguf_path_input("adapter.path", adapter.path.trim())?),
            adapter.scale.unwrap_or(1.0),
        )),
        None => None,
    };
    blocking(&state, move |hearth| {
        let history = hearth.history();
        let id = ConversationId::from(id);
        if let Some(title) = &change.title {
            history.rename(&id, title.trim())?;
        }
        if let Some(pinned) = change.pinned {
            history.set_pinned(&id, pinned)?;
        }
        if let Some(archived) = change.archived {
            history.set_archived(&id, archived)?;
        }
        hearth.change_conversation(
            &id,
            hearth_core::conversations::ConversationChange {
                model: change.model.map(Some),
                system_prompt: change.system_prompt.map(Some),
            },
        )?;
        if let Some(collection) = &change.collection {
            let name = collection.trim();
            hearth.attach_collection(&id, (!name.is_empty()).then_some(name))?;
        }
        if let Some((path, scale)) = adapter {
            let adapter = path.map(|path| hearth_llm::LoraAdapter::new(path, scale));
            hearth.set_conversation_adapter(&id, adapter)?;
        }
        if let Some(thinking) = thinking {
            hearth.set_conversation_thinking(&id, thinking)?;
        }
        if let Some(tools) = change.tools {
            hearth.set_conversation_tools(&id, tools)?;
        }
        history.conversation(&id)
    })
    .await
    .map(Json)
}

#[utoipa::path(delete, path = "/api/conversations/{id}", tag = "conversations",
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted, with its messages (overwritten on disk)")),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    blocking(&state, move |hearth| {
        hearth.delete_conversation(&ConversationId::from(id))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BranchBody {
    /// The message to show: the branch through it, down to its latest answer.
    pub message_id: String,
}

#[utoipa::path(post, path = "/api/conversations/{id}/branch", tag = "conversations",
    params(("id" = String, Path)), request_body = BranchBody,
    responses((status = 200, body = ConversationView)),
    security(("bearer" = [])))]
pub async fn switch_branch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<BranchBody>,
) -> ApiResult<Json<ConversationView>> {
    let conversation = id.clone();
    blocking(&state, move |hearth| {
        hearth.history().switch_branch(
            &ConversationId::from(conversation),
            &MessageId::from(body.message_id),
        )
    })
    .await?;
    open(State(state), Path(id)).await
}

/// Sampling for one answer; what is left out comes from the settings.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerOptions {
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub top_k: Option<i32>,
    pub max_tokens: Option<u32>,
    pub seed: Option<u32>,
    /// Thinking on or off for this answer, over the conversation's setting.
    pub thinking: Option<bool>,
    /// The most tokens the model may think before it is made to answer, over the
    /// settings' `sampling.thinking_budget`.
    pub thinking_budget: Option<u32>,
}

impl AnswerOptions {
    pub(crate) fn apply(&self, mut options: GenerationOptions) -> ApiResult<GenerationOptions> {
        if let Some(v) = self.temperature {
            options.temperature = v;
        }
        if let Some(v) = self.top_p {
            options.top_p = v;
        }
        if let Some(v) = self.top_k {
            options.top_k = v;
        }
        if let Some(v) = self.max_tokens {
            options.max_tokens = Some(v);
        }
        if let Some(v) = self.seed {
            options.seed = Some(v);
        }
        if let Some(v) = self.thinking {
            options.thinking = Some(v);
        }
        if let Some(v) = self.thinking_budget {
            options.thinking_budget = Some(v);
        }
        crate::error::check_options(&options, "options.")?;
        Ok(options)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    pub content: String,
    #[serde(default)]
    pub options: AnswerOptions,
}

#[utoipa::path(post, path = "/api/conversations/{id}/messages", tag = "conversations",
    params(("id" = String, Path)), request_body = SendBody,
    responses((status = 200, description = "Server-sent events: started, folded, reasoning... (a reasoning model's thinking), delta..., finished (or error)", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub async fn send(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<SendBody>,
) -> ApiResult<Response> {
    let content = body.content()?;
    start_turn(&state, &body.options, move |hearth, options| {
        hearth.send_message(&ConversationId::from(id), &content, options)
    })
    .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegenerateBody {
    #[serde(default)]
    pub options: AnswerOptions,
}

#[utoipa::path(post, path = "/api/messages/{id}/regenerate", tag = "conversations",
    params(("id" = String, Path, description = "The answer to write again")), request_body = RegenerateBody,
    responses((status = 200, description = "Server-sent events, as for sending a message", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub async fn regenerate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<RegenerateBody>,
) -> ApiResult<Response> {
    start_turn(&state, &body.options, move |hearth, options| {
        hearth.regenerate(&MessageId::from(id), options)
    })
    .await
}

#[utoipa::path(post, path = "/api/messages/{id}/edit", tag = "conversations",
    params(("id" = String, Path, description = "The question to replace")), request_body = SendBody,
    responses((status = 200, description = "Server-sent events, as for sending a message", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<SendBody>,
) -> ApiResult<Response> {
    let content = body.content()?;
    start_turn(&state, &body.options, move |hearth, options| {
        hearth.edit_message(&MessageId::from(id), &content, options)
    })
    .await
}

/// The user's decision on a tool call an answer waits on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolDecisionBody {
    /// `once` runs this call; `always` runs it and later calls of the tool in this
    /// conversation without asking; `never` refuses it now and later.
    #[schema(value_type = String, example = "once")]
    pub decision: ToolApproval,
}

#[utoipa::path(post, path = "/api/messages/{id}/tool-calls/{call}", tag = "conversations",
    params(("id" = String, Path, description = "The answer that waits"),
           ("call" = String, Path, description = "The call's id, from its tool_call event")),
    request_body = ToolDecisionBody,
    responses((status = 204, description = "Decided; the answer goes on"),
              (status = 404, description = "No such call waits (NO_PENDING_TOOL_CALL)")),
    security(("bearer" = [])))]
pub async fn decide_tool_call(
    State(state): State<AppState>,
    Path((id, call)): Path<(String, String)>,
    ValidJson(body): ValidJson<ToolDecisionBody>,
) -> ApiResult<StatusCode> {
    blocking(&state, move |hearth| {
        hearth.decide_tool_call(&MessageId::from(id), &call, body.decision)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

impl SendBody {
    /// The message, refused when there is nothing in it.
    fn content(&self) -> ApiResult<String> {
        if self.content.trim().is_empty() {
            return Err(ApiError::invalid(
                "content",
                "the message is empty; type something to send",
            ));
        }
        Ok(self.content.clone())
    }
}

/// Starts a turn (send, regenerate or edit) with the request's options over the
/// settings, off the async workers, and streams it.
async fn start_turn(
    state: &AppState,
    options: &AnswerOptions,
    begin: impl FnOnce(&hearth_core::Hearth, GenerationOptions) -> hearth_core::Result<ChatTurn>
        + Send
        + 'static,
) -> ApiResult<Response> {
    let options = options.apply(state.hearth.default_options())?;
    let turn = blocking(state, move |hearth| begin(hearth, options)).await?;
    Ok(stream_turn(state, turn))
}

/// Streams a turn's events; the stream owns the turn, so closing it stops the answer.
fn stream_turn(state: &AppState, turn: ChatTurn) -> Response {
    let (sender, receiver) = events::channel();
    let answer_id = turn.answer_id.to_string();
    let token = turn.cancel_token();
    let job = state
        .jobs
        .register(answer_id.clone(), move || token.cancel());
    sender.send(
        "started",
        json!({ "user_message": turn.user_message, "answer_id": answer_id, "ran_on": turn.ran_on }),
    );
    let forward = sender.clone();
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                _ = forward.closed() => break,
                event = turn.next_event_async() => event,
            };
            let Some(event) = event else { break };
            let (name, done) = match &event {
                TurnEvent::Folded { .. } => ("folded", false),
                TurnEvent::Delta { .. } => ("delta", false),
                TurnEvent::Reasoning { .. } => ("reasoning", false),
                TurnEvent::ToolCall { .. } => ("tool_call", false),
                TurnEvent::Finished { .. } => ("finished", true),
            };
            forward.send(name, &event);
            if done {
                break;
            }
        }
        // `turn` is dropped here; when the client left early that stops the answer.
    });
    events::respond(receiver, Some(job)).into_response()
}

/// Runs store and engine calls off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&hearth_core::Hearth) -> hearth_core::Result<T> + Send + 'static,
) -> ApiResult<T> {
    let hearth = state.hearth.clone();
    Ok(crate::pool::spawn_blocking(move || work(&hearth)).await??)
}
