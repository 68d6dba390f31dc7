//! `GET /v1/models` and `POST /v1/embeddings`.

use std::time::UNIX_EPOCH;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::types::{EmbeddingRequest, ModelList, ModelObject};
use crate::error::{ApiError, ApiResult};
use crate::json::ValidJson;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/v1/models",
    tag = "openai",
    responses((status = 200, description = "The models in Hearth's library", body = ModelList)),
    security(("bearer" = []))
)]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<ModelList>> {
    let hearth = state.hearth.clone();
    let models = tokio::task::spawn_blocking(move || hearth.models()).await??;
    let data = models
        .into_iter()
        .filter(|m| m.problem.is_none())
        .map(|m| ModelObject {
            created: std::fs::metadata(&m.path)
                .and_then(|meta| meta.modified())
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs())
                .unwrap_or_default(),
            id: m.id,
            object: "model",
            owned_by: "local".into(),
        })
        .collect();
    Ok(Json(ModelList {
        object: "list",
        data,
    }))
}

#[utoipa::path(
    get,
    path = "/v1/models/{id}",
    tag = "openai",
    params(("id" = String, Path, description = "A model id from /v1/models")),
    responses((status = 200, body = ModelObject), (status = 404, description = "No such model")),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ModelObject>> {
    let Json(list) = list(State(state)).await?;
    list.data
        .into_iter()
        .find(|m| m.id == id)
        .map(Json)
        .ok_or_else(|| {
            let mut error = ApiError::new(
                StatusCode::NOT_FOUND,
                "MODEL_NOT_FOUND",
                format!("no model named `{id}`; GET /v1/models lists the ones there are"),
            );
            error.field = Some("model".into());
            error
        })
}

#[utoipa::path(
    post,
    path = "/v1/embeddings",
    tag = "openai",
    request_body = EmbeddingRequest,
    responses((status = 400, description = "No embedding model is loaded")),
    security(("bearer" = []))
)]
pub async fn embeddings(
    State(_state): State<AppState>,
    ValidJson(request): ValidJson<EmbeddingRequest>,
) -> ApiResult<Json<serde_json::Value>> {
    // Hearth's models are chat models; embeddings arrive with the retrieval feature's
    // embedding model. Until one is loaded the answer says so instead of returning
    // vectors from a chat model that would make poor embeddings.
    let mut error = ApiError::new(
        StatusCode::BAD_REQUEST,
        "EMBEDDINGS_UNAVAILABLE",
        format!(
            "`{}` cannot make embeddings: no embedding model is loaded in Hearth",
            request.model
        ),
    );
    error.field = Some("model".into());
    Err(error)
}
