//! Document collections and questions about them: list, add files and folders (a job
//! streaming progress), rescan, remove, delete, watch on or off (and what the folder
//! watcher is doing, `GET /api/indexing`); find passages; ask with citations.
//!
//! Paths are paths on this computer, and the app indexes the user's files where they
//! are, without copying them; so `hearth serve` takes them only with `--allow-paths`
//! (the desktop app only for folders and files its dialogs and drops gave), indexes only
//! documents, and never goes into Hearth's own folders.
//!
//! `POST /api/ask` streams `started` (the standalone query and the numbered sources the
//! model reads), `delta`s, then `done` (the completion, the sources the answer cites and
//! the sentences Hearth matched to sources) — or `nothing_relevant` with a message when
//! no passage is about the question, in which case no model is asked.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hearth_core::ask::{
    cited, label, AskOptions, AskReply, IngestReport, RetrievalMode, RetrievalOptions,
    RetrievedPassage, WatchStatus, DEFAULT_MIN_SIMILARITY,
};
use hearth_core::documents::Cancellation;
use hearth_core::grounding::GroundingMode;
use hearth_core::Hearth;
use hearth_llm::{ChatMessage, GenerationEvent, Role};
use hearth_store::{Collection, CollectionFile, Passage};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::conversations::{blocking, AnswerOptions};
use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::json::ValidJson;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/collections", tag = "collections",
    responses((status = 200, description = "Every collection with its sources and counts", body = Object)),
    security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<Collection>>> {
    Ok(Json(blocking(&state, |h| h.collections()).await?))
}

#[utoipa::path(get, path = "/api/collections/{name}/files", tag = "collections",
    params(("name" = String, Path, description = "Collection name or id")),
    responses((status = 200, description = "The collection's files: indexed, or failed with the reason", body = Object),
        (status = 404, description = "No such collection")),
    security(("bearer" = [])))]
pub async fn files(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<CollectionFile>>> {
    Ok(Json(
        blocking(&state, move |h| h.collection_files(&name)).await?,
    ))
}

#[utoipa::path(delete, path = "/api/collections/{name}", tag = "collections",
    params(("name" = String, Path, description = "Collection name or id")),
    responses((status = 204, description = "Deleted; the files on disk are untouched"), (status = 404, description = "No such collection")),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    blocking(&state, move |h| h.delete_collection(&name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// Watch the collection's folders while Hearth runs, indexing new, changed,
    /// renamed and deleted files as they happen; turning it on rescans the collection.
    pub watch: bool,
}

#[utoipa::path(patch, path = "/api/collections/{name}", tag = "collections",
    params(("name" = String, Path, description = "Collection name or id")), request_body = UpdateBody,
    responses((status = 200, description = "The collection with its new setting", body = Object), (status = 404, description = "No such collection")),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ValidJson(body): ValidJson<UpdateBody>,
) -> ApiResult<Json<Collection>> {
    Ok(Json(
        blocking(&state, move |h| h.set_collection_watch(&name, body.watch)).await?,
    ))
}

#[utoipa::path(get, path = "/api/indexing", tag = "collections",
    responses((status = 200, description = "What the folder watcher does: the watched collections and their folders (or why one cannot be watched), the collection being indexed and how far, changed paths waiting, and the latest changes indexed", body = Object)),
    security(("bearer" = [])))]
pub async fn indexing(State(state): State<AppState>) -> Json<WatchStatus> {
    Json(state.hearth.watch_status())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    /// Files and folders on this computer; refused with `PATHS_DISABLED` unless the
    /// server was started with `--allow-paths`. A file must be a document Hearth reads
    /// (.txt, .md, .html, .pdf, .docx, .epub, .odt, .rtf, .pptx, .xlsx, .ods, .csv, .eml,
    /// .mbox); Hearth's own folders are never indexed.
    pub paths: Vec<String>,
}

#[utoipa::path(post, path = "/api/collections/{name}/add", tag = "collections",
    params(("name" = String, Path, description = "Collection name (made if new)")), request_body = AddBody,
    responses((status = 200, description = "Server-sent events: started {job_id}, progress (scanned, embedding, file, removed), done {report} or error", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub async fn add(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ValidJson(body): ValidJson<AddBody>,
) -> ApiResult<Response> {
    if body.paths.is_empty() {
        return Err(ApiError::invalid(
            "paths",
            "the list is empty; give at least one file or folder",
        ));
    }
    if name.trim().is_empty() {
        return Err(ApiError::invalid("name", "the collection needs a name"));
    }
    // Refuse paths this server does not take, and a missing path, before the stream
    // starts, so the client gets a plain error.
    let mut paths = Vec::with_capacity(body.paths.len());
    for (i, given) in body.paths.iter().enumerate() {
        let field = format!("paths[{i}]");
        let path = match state.path_input(&field, given) {
            Err(error) if error.code == "SOURCE_NOT_FOUND" => {
                return Err(ApiError::invalid(
                    field,
                    format!("{given} does not exist on this computer; check the path"),
                ))
            }
            other => other?,
        };
        paths.push(path);
    }
    Ok(ingestion(&state, move |hearth, progress, cancel| {
        hearth.add_to_collection(&name, &paths, progress, cancel)
    }))
}

#[utoipa::path(post, path = "/api/collections/{name}/reindex", tag = "collections",
    params(("name" = String, Path, description = "Collection name or id")),
    responses((status = 200, description = "Server-sent events, as for adding", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub async fn reindex(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    // A missing collection is a plain 404, not an error event.
    let check = name.clone();
    blocking(&state, move |h| h.collection(&check)).await?;
    Ok(ingestion(&state, move |hearth, progress, cancel| {
        hearth.reindex_collection(&name, progress, cancel)
    }))
}

/// Runs an ingestion as a job whose progress streams as events.
fn ingestion(
    state: &AppState,
    job: impl FnOnce(
            &Hearth,
            &mut dyn FnMut(hearth_core::ask::IngestEvent),
            &Cancellation,
        ) -> hearth_core::Result<IngestReport>
        + Send
        + 'static,
) -> Response {
    let (sender, receiver) = events::channel();
    let cancel = Cancellation::new();
    let job_id = format!("ingest-{}", uuid::Uuid::new_v4().simple());
    let token = cancel.clone();
    let entry = state.jobs.register(job_id.clone(), move || token.cancel());
    sender.send("started", json!({ "job_id": job_id }));
    let hearth = state.hearth.clone();
    crate::pool::spawn_blocking(move || {
        let progress = sender.clone();
        match job(
            &hearth,
            &mut |event| progress.send("progress", &event),
            &cancel,
        ) {
            Ok(report) => sender.send("done", json!({ "report": report })),
            Err(error) => sender.error(&ApiError::from(error)),
        }
    });
    events::respond(receiver, Some(entry)).into_response()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveBody {
    /// A file or folder of the collection.
    pub path: String,
}

#[utoipa::path(post, path = "/api/collections/{name}/remove", tag = "collections",
    params(("name" = String, Path, description = "Collection name or id")), request_body = RemoveBody,
    responses((status = 200, description = "How many files left the index", body = Object), (status = 404, description = "Not in the collection")),
    security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ValidJson(body): ValidJson<RemoveBody>,
) -> ApiResult<Json<serde_json::Value>> {
    let removed = blocking(&state, move |h| {
        h.remove_from_collection(&name, std::path::Path::new(&body.path))
    })
    .await?;
    Ok(Json(json!({ "removed_files": removed })))
}

/// A passage with a label for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct PassageView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub passage: Passage,
    pub label: String,
}

#[utoipa::path(get, path = "/api/passages/{id}", tag = "collections",
    params(("id" = i64, Path, description = "A passage id from a source")),
    responses((status = 200, body = PassageView), (status = 404, description = "No such passage (its file may have changed since)")),
    security(("bearer" = [])))]
pub async fn passage(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<PassageView>> {
    let found = blocking(&state, move |h| h.history().passages(&[id])).await?;
    let passage = found.into_iter().next().ok_or_else(|| {
        ApiError::not_found(format!(
            "no passage {id}; its file may have changed and been read again — ask again"
        ))
    })?;
    Ok(Json(PassageView {
        label: label(&passage),
        passage,
    }))
}

/// Where to look.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeBody {
    /// Collection names; empty or absent means all.
    #[serde(default)]
    pub collections: Vec<String>,
    /// One file of those collections (path or file name).
    #[serde(default)]
    pub file: Option<String>,
    /// Passages at most (1 to 50; default 6).
    #[serde(default)]
    pub limit: Option<usize>,
}

impl ScopeBody {
    fn options(&self, mode: RetrievalMode) -> ApiResult<RetrievalOptions> {
        let limit = self.limit.unwrap_or(6);
        if !(1..=50).contains(&limit) {
            return Err(ApiError::invalid("limit", "use a number from 1 to 50"));
        }
        Ok(RetrievalOptions {
            collections: self.collections.clone(),
            file: self.file.clone(),
            limit,
            mode,
            min_similarity: DEFAULT_MIN_SIMILARITY,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrieveBody {
    pub question: String,
    #[serde(flatten)]
    pub scope: ScopeBody,
    /// `hybrid` (default), `vector` or `keyword`.
    #[serde(default)]
    #[schema(value_type = String)]
    pub mode: RetrievalMode,
}

#[utoipa::path(post, path = "/api/retrieve", tag = "collections", request_body = RetrieveBody,
    responses((status = 200, description = "The passages found, best first, with similarity and ranks", body = Object)),
    security(("bearer" = [])))]
pub async fn retrieve(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<RetrieveBody>,
) -> ApiResult<Json<Vec<RetrievedPassage>>> {
    if body.question.trim().is_empty() {
        return Err(ApiError::invalid("question", "the question is empty"));
    }
    let options = body.scope.options(body.mode)?;
    Ok(Json(
        blocking(&state, move |h| h.retrieve(&body.question, &options)).await?,
    ))
}

/// An earlier turn of the conversation a question follows.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    /// `user` or `assistant`.
    pub role: String,
    pub content: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskBody {
    pub question: String,
    #[serde(flatten)]
    pub scope: ScopeBody,
    /// The chat model (default: the default model).
    #[serde(default)]
    pub model: Option<String>,
    /// Earlier turns, oldest first; a follow-up question is rewritten to stand alone.
    #[serde(default)]
    pub history: Vec<Turn>,
    #[serde(default)]
    pub options: AnswerOptions,
}

#[utoipa::path(post, path = "/api/ask", tag = "collections", request_body = AskBody,
    responses((status = 200, description = "Server-sent events: started {query, sources}, delta {text}, checking {mode} (thorough grounding check only), done {completion, cited, matched, grounding}; or nothing_relevant {query, message}; or error", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub async fn ask(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<AskBody>,
) -> ApiResult<Response> {
    if body.question.trim().is_empty() {
        return Err(ApiError::invalid(
            "question",
            "the question is empty; type a question",
        ));
    }
    let mut history = Vec::with_capacity(body.history.len());
    for (i, turn) in body.history.iter().enumerate() {
        let role = match turn.role.as_str() {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            other => {
                return Err(ApiError::invalid(
                    format!("history[{i}].role"),
                    format!("`{other}` is not a role here; use `user` or `assistant`"),
                ))
            }
        };
        history.push(ChatMessage::new(role, turn.content.clone()));
    }
    let options = AskOptions {
        retrieval: body.scope.options(RetrievalMode::Hybrid)?,
        model: body.model.clone(),
        generation: body.options.apply(state.hearth.default_options())?,
        history,
    };
    let question = body.question.clone();
    let writer = body.model.clone();
    let reply = blocking(&state, move |h| h.ask_documents(&question, &options)).await?;
    let (sender, receiver) = events::channel();
    let (query, sources, mut generation) = match reply {
        AskReply::NothingRelevant { query, message } => {
            sender.send(
                "nothing_relevant",
                json!({ "query": query, "message": message }),
            );
            drop(sender);
            return Ok(events::respond(receiver, None).into_response());
        }
        AskReply::Answering {
            query,
            sources,
            generation,
        } => (query, sources, generation),
    };
    let job_id = format!("ask-{}", uuid::Uuid::new_v4().simple());
    let token = generation.cancel_token();
    let entry = state.jobs.register(job_id.clone(), move || token.cancel());
    sender.send(
        "started",
        json!({ "job_id": job_id, "query": query, "sources": sources }),
    );
    let hearth = state.hearth.clone();
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                _ = sender.closed() => break,
                event = generation.next_event_async() => event,
            };
            match event {
                Some(GenerationEvent::Delta { text }) => {
                    sender.send("delta", json!({ "text": text }))
                }
                Some(GenerationEvent::Reasoning { text }) => {
                    sender.send("reasoning", json!({ "text": text }))
                }
                Some(GenerationEvent::ToolCall { .. }) => {}
                Some(GenerationEvent::Done { completion }) => {
                    let text = completion.text.clone();
                    let numbers = cited(&text, sources.len());
                    // A thorough check has a model judge each sentence: say so, as the
                    // answer is written but `done` is seconds away.
                    if hearth.config().grounding == GroundingMode::Thorough {
                        sender.send("checking", json!({ "mode": "thorough" }));
                    }
                    let (matched, grounding) = crate::pool::spawn_blocking(move || {
                        let grounding = hearth.check_new_answer(&text, &sources, writer.as_deref());
                        (
                            hearth.attribute(&text, &sources).unwrap_or_default(),
                            grounding,
                        )
                    })
                    .await
                    .unwrap_or_default();
                    sender.send(
                        "done",
                        json!({ "completion": completion, "cited": numbers, "matched": matched, "grounding": grounding }),
                    );
                    break;
                }
                Some(GenerationEvent::Failed { error }) => {
                    sender.error(&ApiError::from(error));
                    break;
                }
                None => break,
            }
        }
        // `generation` drops here; when the client left early that stops the answer.
    });
    Ok(events::respond(receiver, Some(entry)).into_response())
}
