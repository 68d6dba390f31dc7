//! The app's own API under `/api`, which the web UI and the desktop app call: every
//! screen's data and actions, each a thin call on the `Hearth` facade. Errors are
//! `{ "code", "message", "details" }`.

pub mod check;
pub mod collections;
pub mod conversations;
pub mod documents;
pub mod history;
pub mod mcp;
pub mod models;
pub mod providers;
pub mod workflows;

use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// Bodies larger than these are refused with 413 before they are read.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Documents travel as base64 (4/3 of the file), under the reader's own size cap.
pub const DOCUMENT_BODY_LIMIT: usize = 128 * 1024 * 1024;
pub const IMPORT_BODY_LIMIT: usize = 256 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    use conversations as c;
    let documents = Router::new()
        .route("/api/documents/read", post(documents::read))
        .route("/api/check", post(check::check))
        .route("/api/summarize", post(documents::summarize))
        .route("/api/workflows/run", post(workflows::run))
        .route("/api/generate", post(workflows::generate))
        .route("/api/translate", post(documents::translate))
        .layer(DefaultBodyLimit::max(DOCUMENT_BODY_LIMIT));
    let import = Router::new()
        .route("/api/import", post(history::import))
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT));
    Router::new()
        .route("/api/health", get(health))
        .route("/api/about", get(about))
        .route("/api/delete-everything", post(delete_everything))
        .route("/api/conversations", get(c::list).post(c::create))
        .route(
            "/api/conversations/{id}",
            get(c::open).patch(c::change).delete(c::delete),
        )
        .route("/api/conversations/{id}/messages", post(c::send))
        .route("/api/conversations/{id}/branch", post(c::switch_branch))
        .route("/api/messages/{id}/regenerate", post(c::regenerate))
        .route("/api/messages/{id}/edit", post(c::edit))
        .route(
            "/api/messages/{id}/tool-calls/{call}",
            post(c::decide_tool_call),
        )
        .route("/api/search", get(history::search))
        .route("/api/audit", get(history::audit))
        .route("/api/export", get(history::export))
        .route(
            "/api/personas",
            get(history::personas).post(history::create_persona),
        )
        .route(
            "/api/personas/{id}",
            put(history::update_persona).delete(history::delete_persona),
        )
        .route("/api/models", get(models::list).post(models::add))
        .route("/api/models/scan", post(models::scan))
        .route("/api/models/catalog", get(models::catalog))
        .route("/api/models/choices", get(models::choices))
        .route("/api/models/loading", get(models::loading))
        .route("/api/models/loaded", get(models::loaded))
        .route("/api/models/loaded/unload", post(models::unload))
        .route("/api/models/pull", post(models::pull))
        .route("/api/models/default", put(models::set_default))
        .route("/api/models/{id}", get(models::info).delete(models::remove))
        .route(
            "/api/settings",
            get(models::settings).put(models::save_settings),
        )
        .route("/api/providers", get(providers::list))
        .route(
            "/api/providers/{name}",
            put(providers::save).delete(providers::remove),
        )
        .route("/api/providers/{name}/key", put(providers::set_key))
        .route("/api/offline", put(providers::set_offline))
        .route("/api/mcp/servers", get(mcp::servers))
        .route("/api/mcp/servers/{name}/enabled", put(mcp::set_enabled))
        .route("/api/mcp/tools", get(mcp::tools))
        .route("/api/jobs/{id}/cancel", post(documents::cancel))
        .route("/api/workflows", get(workflows::list))
        .route("/api/workflows/parse", post(workflows::parse))
        .route("/api/workflow-check", post(workflows::check))
        .route("/api/workflow-limits", get(workflows::limits))
        .route(
            "/api/workflows/{name}",
            get(workflows::show)
                .put(workflows::save)
                .delete(workflows::delete),
        )
        .route("/api/workflow-runs", get(workflows::runs))
        .route(
            "/api/workflow-runs/{id}",
            get(workflows::show_run).delete(workflows::delete_run),
        )
        .route("/api/workflow-runs/{id}/export", get(workflows::export_run))
        .route("/api/prompts", get(workflows::prompts))
        .route(
            "/api/prompts/{name}",
            put(workflows::save_prompt).delete(workflows::delete_prompt),
        )
        .route("/api/prompts/{name}/render", post(workflows::render_prompt))
        .route("/api/collections", get(collections::list))
        .route(
            "/api/collections/{name}",
            axum::routing::delete(collections::delete).patch(collections::update),
        )
        .route("/api/indexing", get(collections::indexing))
        .route("/api/collections/{name}/files", get(collections::files))
        .route("/api/collections/{name}/add", post(collections::add))
        .route(
            "/api/collections/{name}/reindex",
            post(collections::reindex),
        )
        .route("/api/collections/{name}/remove", post(collections::remove))
        .route("/api/passages/{id}", get(collections::passage))
        .route("/api/retrieve", post(collections::retrieve))
        .route("/api/ask", post(collections::ask))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(documents)
        .merge(import)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
    pub version: &'static str,
}

/// Whether the server is up; needs no token.
#[utoipa::path(get, path = "/api/health", tag = "app",
    responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct About {
    pub version: &'static str,
    /// History, models, the model library and the audit log.
    pub data_folder: String,
    pub config_file: String,
    pub logs_folder: String,
}

/// Where Hearth keeps things, for the settings page.
#[utoipa::path(get, path = "/api/about", tag = "app",
    responses((status = 200, body = About)), security(("bearer" = [])))]
pub async fn about(State(state): State<AppState>) -> Json<About> {
    let paths = state.hearth.paths();
    Json(About {
        version: env!("CARGO_PKG_VERSION"),
        data_folder: paths.data.display().to_string(),
        config_file: paths.config_file().display().to_string(),
        logs_folder: paths.logs.display().to_string(),
    })
}

/// The words that confirm deleting everything, so no stray request does it.
pub const DELETE_EVERYTHING_CONFIRMATION: &str = "delete everything";

#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteEverythingBody {
    /// Must be "delete everything".
    pub confirm: String,
}

/// Deletes every conversation, document collection, workflow run, saved prompt, the
/// audit log, caches, logs and API keys; models and settings stay. Running jobs are
/// stopped first.
#[utoipa::path(post, path = "/api/delete-everything", tag = "app",
    request_body = DeleteEverythingBody,
    responses((status = 200, body = Object, description = "What was deleted"), (status = 400, description = "The confirmation is missing")),
    security(("bearer" = [])))]
pub async fn delete_everything(
    State(state): State<AppState>,
    crate::json::ValidJson(body): crate::json::ValidJson<DeleteEverythingBody>,
) -> crate::error::ApiResult<Json<hearth_core::erase::DeletedEverything>> {
    if body.confirm != DELETE_EVERYTHING_CONFIRMATION {
        return Err(crate::error::ApiError::invalid(
            "confirm",
            format!("send \"{DELETE_EVERYTHING_CONFIRMATION}\" to confirm; nothing was deleted"),
        ));
    }
    state.jobs.cancel_all();
    conversations::blocking(&state, |hearth| hearth.delete_everything())
        .await
        .map(Json)
}
