//! The model library: list with header details and the memory verdict, add a file,
//! scan other apps' folders, the catalog, downloads with progress, the default model,
//! removal; and the settings file.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hearth_core::{Config, LoadedModels, ModelDetails, ModelView, PullSource};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::conversations::blocking;
use crate::error::{ApiError, ApiResult};
use crate::events;
use crate::json::{ValidJson, ValidQuery};
use crate::state::AppState;

/// A library model with what the models page shows beside it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelEntry {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub model: ModelView,
    /// The memory estimate and the fits / tight / won't-fit verdict, when the header reads.
    #[schema(value_type = Option<Object>)]
    pub details: Option<ModelDetails>,
}

#[utoipa::path(get, path = "/api/models", tag = "models",
    responses((status = 200, body = Vec<ModelEntry>)), security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<ModelEntry>>> {
    blocking(&state, |hearth| {
        let models = hearth.models()?;
        Ok(models
            .into_iter()
            .map(|model| {
                let details = model
                    .problem
                    .is_none()
                    .then(|| hearth.model_info(Some(&model.id), None).ok())
                    .flatten();
                ModelEntry { model, details }
            })
            .collect())
    })
    .await
    .map(Json)
}

#[utoipa::path(get, path = "/api/models/{id}", tag = "models", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, description = "No such model")),
    security(("bearer" = [])))]
pub async fn info(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ModelDetails>> {
    blocking(&state, move |hearth| hearth.model_info(Some(&id), None))
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddModelBody {
    /// A .gguf file on this machine.
    pub path: String,
    pub id: Option<String>,
    /// Copy the file into Hearth's models folder instead of linking to it.
    #[serde(default)]
    pub copy: bool,
    #[serde(default)]
    pub make_default: bool,
}

#[utoipa::path(post, path = "/api/models", tag = "models", request_body = AddModelBody,
    responses((status = 201, body = Object), (status = 400, description = "Not a usable GGUF file")),
    security(("bearer" = [])))]
pub async fn add(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<AddModelBody>,
) -> ApiResult<Response> {
    if body.path.trim().is_empty() {
        return Err(ApiError::invalid("path", "give the path of a .gguf file"));
    }
    let path = state.gguf_path_input("path", body.path.trim())?;
    let model = blocking(&state, move |hearth| {
        hearth.add_model(&path, body.id.as_deref(), body.copy, body.make_default)
    })
    .await
    .map_err(|mut e| {
        // The file named in the body is wrong: a 400 about `path`, not a missing route.
        if e.code == "INVALID_MODEL_FILE" || e.code == "MODEL_NOT_FOUND" {
            e.status = StatusCode::BAD_REQUEST;
            e.field = Some("path".into());
        }
        e
    })?;
    Ok((StatusCode::CREATED, Json(model)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RemoveParams {
    /// Also delete the file when Hearth copied or downloaded it.
    #[serde(default)]
    pub delete_file: bool,
}

#[utoipa::path(delete, path = "/api/models/{id}", tag = "models",
    params(("id" = String, Path), RemoveParams),
    responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidQuery(params): ValidQuery<RemoveParams>,
) -> ApiResult<Json<ModelView>> {
    blocking(&state, move |hearth| {
        hearth.remove_model(&id, params.delete_file)
    })
    .await
    .map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultModelBody {
    pub id: String,
}

#[utoipa::path(put, path = "/api/models/default", tag = "models", request_body = DefaultModelBody,
    responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn set_default(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<DefaultModelBody>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = body.id.clone();
    blocking(&state, move |hearth| hearth.set_default_model(&id))
        .await
        .map_err(|mut e| {
            e.field = Some("id".into());
            e
        })?;
    Ok(Json(json!({ "default_model": body.id })))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanBody {
    /// Add every usable model found to the library.
    #[serde(default)]
    pub add: bool,
}

#[utoipa::path(post, path = "/api/models/scan", tag = "models", request_body = ScanBody,
    responses((status = 200, description = "What was found, skipped and (with add) added", body = Object)),
    security(("bearer" = [])))]
pub async fn scan(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<ScanBody>,
) -> ApiResult<Json<serde_json::Value>> {
    blocking(&state, move |hearth| {
        let report = hearth.scan_models();
        let added = if body.add {
            hearth.add_scanned_models(&report)?
        } else {
            Vec::new()
        };
        Ok(json!({ "found": report.models, "skipped": report.skipped, "added": added }))
    })
    .await
    .map(Json)
}

/// A model loading in the background, or the last load of it that failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelLoadView {
    /// The file's name.
    pub model: String,
    pub path: String,
    /// 0.0 to 1.0.
    pub progress: f32,
    /// Why it failed to load; absent while it loads.
    pub error: Option<String>,
    /// Loaded models it waits for, busy answering, before the memory budget has room
    /// for it; empty once it is loading.
    pub waiting_for: Vec<String>,
}

/// Models loading now, with how far they are, and loads that failed. Empty when every
/// model asked for is loaded (or none was).
#[utoipa::path(get, path = "/api/models/loading", tag = "models",
    responses((status = 200, body = [ModelLoadView])),
    security(("bearer" = [])))]
pub async fn loading(State(state): State<AppState>) -> Json<Vec<ModelLoadView>> {
    Json(
        state
            .hearth
            .model_loads()
            .into_iter()
            .map(|load| ModelLoadView {
                model: load.model,
                path: load.path.display().to_string(),
                progress: load.progress,
                error: load.error,
                waiting_for: load.waiting_for,
            })
            .collect(),
    )
}

#[utoipa::path(get, path = "/api/models/catalog", tag = "models",
    responses((status = 200, description = "Models `pull` accepts by id", body = Object)),
    security(("bearer" = [])))]
pub async fn catalog(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    blocking(&state, |hearth| Ok(json!(hearth.model_catalog()?)))
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PullBody {
    /// A catalog id (`smollm2-360m`) or a Hugging Face file (`org/repo/file.gguf`).
    pub source: String,
}

#[utoipa::path(post, path = "/api/models/pull", tag = "models", request_body = PullBody,
    responses((status = 200, description = "Server-sent events: started {job_id}, progress {downloaded, total}, done {model} or error", content_type = "text/event-stream")),
    security(("bearer" = [])))]
pub async fn pull(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<PullBody>,
) -> ApiResult<Response> {
    if body.source.trim().is_empty() {
        return Err(ApiError::invalid(
            "source",
            "name a catalog model or a Hugging Face file",
        ));
    }
    let source = PullSource::parse(body.source.trim());
    let (sender, receiver) = events::channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let job_id = format!("pull-{}", uuid::Uuid::new_v4().simple());
    let job = state
        .jobs
        .register(job_id.clone(), move || flag.store(true, Ordering::SeqCst));
    sender.send("started", json!({ "job_id": job_id }));
    let hearth = state.hearth.clone();
    crate::pool::spawn_blocking(move || {
        let progress = sender.clone();
        let mut last_sent = 0u64;
        let result = hearth.pull_model(&source, &cancel, |p| {
            // About one event per megabyte: enough for a smooth bar, few enough to read.
            if p.downloaded >= last_sent + (1 << 20) || Some(p.downloaded) == p.total {
                last_sent = p.downloaded;
                progress.send(
                    "progress",
                    json!({ "downloaded": p.downloaded, "total": p.total }),
                );
            }
        });
        match result {
            Ok(model) => sender.send("done", json!({ "model": model })),
            Err(error) => sender.error(&error.into()),
        }
    });
    Ok(events::respond(receiver, Some(job)).into_response())
}

/// The models loaded now (each with its memory estimate, whether it is answering and
/// how long it has been idle) and the memory budget they share.
#[utoipa::path(get, path = "/api/models/loaded", tag = "models",
    responses((status = 200, body = Object)),
    security(("bearer" = [])))]
pub async fn loaded(State(state): State<AppState>) -> ApiResult<Json<LoadedModels>> {
    blocking(&state, |hearth| hearth.loaded_models())
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnloadBody {
    /// A loaded model's `id`, as `/api/models/loaded` lists it. Only a loaded model can
    /// be named: the id is compared with those, never read as a path.
    pub id: String,
}

/// Unloads a model now, giving its memory back; the next request for it loads it again.
#[utoipa::path(post, path = "/api/models/loaded/unload", tag = "models", request_body = UnloadBody,
    responses((status = 204, description = "Unloaded"),
        (status = 404, description = "No such model is loaded"),
        (status = 409, description = "The model is answering now")),
    security(("bearer" = [])))]
pub async fn unload(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<UnloadBody>,
) -> ApiResult<StatusCode> {
    blocking(&state, move |hearth| hearth.unload_model(&body.id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The settings, less the MCP servers: their environment values and headers often hold
/// tokens, which stay out of every response (`/api/mcp/servers` lists the servers
/// without them).
#[utoipa::path(get, path = "/api/settings", tag = "settings",
    responses((status = 200, description = "The settings file's contents; mcp_servers is always empty here", body = Object)),
    security(("bearer" = [])))]
pub async fn settings(State(state): State<AppState>) -> Json<Config> {
    let mut config = state.hearth.config();
    config.mcp_servers.clear();
    Json(config)
}

/// Remote providers, offline mode and MCP servers are kept as they are: providers and
/// offline mode change through `/api/providers` and `/api/offline`, so a settings page
/// opened before a provider was connected cannot disconnect it by saving; MCP servers
/// change only from the command line or the settings file, since a stdio server is a
/// program Hearth runs and no request may name one.
#[utoipa::path(put, path = "/api/settings", tag = "settings",
    request_body(content = Object, description = "The whole settings object, as GET returns it (its providers, offline flag and MCP servers are ignored)"),
    responses((status = 200, body = Object), (status = 400, description = "A setting is invalid; details.field names it")),
    security(("bearer" = [])))]
pub async fn save_settings(
    State(state): State<AppState>,
    ValidJson(config): ValidJson<Config>,
) -> ApiResult<Json<Config>> {
    check_config(&config)?;
    blocking(&state, move |hearth| {
        hearth.update_config(|c| {
            let providers = std::mem::take(&mut c.providers);
            let offline = c.offline;
            let mcp_servers = std::mem::take(&mut c.mcp_servers);
            *c = config;
            c.providers = providers;
            c.offline = offline;
            c.mcp_servers = mcp_servers;
        })?;
        Ok(hearth.config())
    })
    .await
    .map(Json)
}

fn check_config(config: &Config) -> ApiResult<()> {
    if config.parallel == 0 || config.parallel > 64 {
        return Err(ApiError::invalid(
            "parallel",
            "parallel must be between 1 and 64",
        ));
    }
    if config.context_length != 0 && config.context_length < 256 {
        return Err(ApiError::invalid(
            "context_length",
            "context_length must be 0 (the model's own) or at least 256",
        ));
    }
    if config.threads == Some(0) {
        return Err(ApiError::invalid(
            "threads",
            "threads must be at least 1, or left out",
        ));
    }
    // A draft model is named by library id here: a path in a request would make the
    // loader open a file no one chose (the settings file and the command line may name
    // one).
    if config
        .draft_model
        .as_deref()
        .is_some_and(|d| d.contains(['/', '\\']) || d.ends_with(".gguf"))
    {
        return Err(ApiError::invalid(
            "draft_model",
            "name the draft model by its library id (`hearth models list`), or \"auto\" for the catalog's pair of each model; a path can be set in config.toml",
        ));
    }
    if config.embedding_model.trim().is_empty() {
        return Err(ApiError::invalid(
            "embedding_model",
            "name an embedding model, such as all-MiniLM-L6-v2",
        ));
    }
    let s = &config.sampling;
    let options = hearth_llm::GenerationOptions {
        temperature: s.temperature,
        top_k: s.top_k,
        top_p: s.top_p,
        min_p: s.min_p,
        repeat_penalty: s.repeat_penalty,
        max_tokens: s.max_tokens,
        ..Default::default()
    };
    crate::error::check_options(&options, "sampling.")
}

#[utoipa::path(get, path = "/api/models/choices", tag = "models",
    responses((status = 200, body = Object, description = "Every local and remote model with where it runs, size, memory, measured speed, context, license and cost, and the catalog model recommended for this computer's memory")),
    security(("bearer" = [])))]
pub async fn choices(
    State(state): State<AppState>,
) -> ApiResult<Json<hearth_core::choice::ModelChoices>> {
    super::conversations::blocking(&state, |hearth| hearth.model_choices())
        .await
        .map(Json)
}
