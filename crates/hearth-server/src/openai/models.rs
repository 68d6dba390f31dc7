//! `GET /v1/models` and `POST /v1/embeddings`.

use std::time::UNIX_EPOCH;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use base64::Engine as _;

use super::types::{
    EmbeddingList, EmbeddingObject, EmbeddingRequest, EmbeddingUsage, ModelList, ModelObject,
};
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
    let models = crate::pool::spawn_blocking(move || hearth.models()).await??;
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

/// The most texts one request may embed.
const MAX_INPUTS: usize = 2048;

#[utoipa::path(
    post,
    path = "/v1/embeddings",
    tag = "openai",
    request_body = EmbeddingRequest,
    responses(
        (status = 200, description = "One normalized vector per input, in order", body = EmbeddingList),
        (status = 400, description = "A bad input, or a model that makes no embeddings"),
        (status = 404, description = "No such model")
    ),
    security(("bearer" = []))
)]
pub async fn embeddings(
    State(state): State<AppState>,
    ValidJson(request): ValidJson<EmbeddingRequest>,
) -> ApiResult<Json<EmbeddingList>> {
    let texts = input_texts(&request.input)?;
    let base64 = match request.encoding_format.as_deref() {
        None | Some("float") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "encoding_format",
                format!("`{other}` is not an encoding; use `float` or `base64`"),
            ))
        }
    };
    let hearth = state.hearth.clone();
    let model = request.model.clone();
    let (id, embedder) = crate::pool::spawn_blocking(move || hearth.embedder(Some(&model)))
        .await?
        .map_err(|e| with_field(ApiError::from(e), "model"))?;
    let width = embedder.info().dimensions;
    if let Some(asked) = request.dimensions.filter(|d| *d != width) {
        return Err(ApiError::invalid(
            "dimensions",
            format!("`{id}` makes vectors of {width} numbers, not {asked}; leave `dimensions` out"),
        ));
    }
    let max_tokens = embedder.info().max_tokens;
    let embedded = crate::pool::spawn_blocking(move || embedder.embed(&texts)).await??;
    if let Some(i) = embedded.iter().position(|e| e.truncated) {
        return Err(ApiError::invalid(
            if matches!(request.input, serde_json::Value::String(_)) {
                "input".to_owned()
            } else {
                format!("input[{i}]")
            },
            format!("the text is longer than the {max_tokens} tokens `{id}` reads; split it into shorter texts"),
        ));
    }
    let tokens: usize = embedded.iter().map(|e| e.tokens).sum();
    let data = embedded
        .into_iter()
        .enumerate()
        .map(|(index, e)| EmbeddingObject {
            object: "embedding",
            index,
            embedding: if base64 {
                let bytes: Vec<u8> = e.vector.iter().flat_map(|x| x.to_le_bytes()).collect();
                serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                serde_json::json!(e.vector)
            },
        })
        .collect();
    Ok(Json(EmbeddingList {
        object: "list",
        data,
        model: id,
        usage: EmbeddingUsage {
            prompt_tokens: tokens,
            total_tokens: tokens,
        },
    }))
}

/// The texts of `input`: a string, or a non-empty list of non-empty strings.
fn input_texts(input: &serde_json::Value) -> ApiResult<Vec<String>> {
    use serde_json::Value;
    let texts: Vec<String> = match input {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) if items.is_empty() => {
            return Err(ApiError::invalid(
                "input",
                "the list is empty; send at least one text",
            ))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(text) => Ok(text.clone()),
                Value::Number(_) | Value::Array(_) => Err(ApiError::invalid(
                    format!("input[{i}]"),
                    "token ids are not accepted; send the text itself",
                )),
                _ => Err(ApiError::invalid(
                    format!("input[{i}]"),
                    "expected a string",
                )),
            })
            .collect::<ApiResult<_>>()?,
        _ => {
            return Err(ApiError::invalid(
                "input",
                "expected a string or a list of strings",
            ))
        }
    };
    if texts.len() > MAX_INPUTS {
        return Err(ApiError::invalid(
            "input",
            format!(
                "{} texts in one request; send at most {MAX_INPUTS}",
                texts.len()
            ),
        ));
    }
    if let Some(i) = texts.iter().position(|t| t.trim().is_empty()) {
        let field = if texts.len() == 1 && matches!(input, Value::String(_)) {
            "input".to_owned()
        } else {
            format!("input[{i}]")
        };
        return Err(ApiError::invalid(field, "the text is empty"));
    }
    Ok(texts)
}

/// Marks which request field an error is about, unless it already says.
fn with_field(mut error: ApiError, field: &str) -> ApiError {
    if error.field.is_none() {
        error.field = Some(field.into());
    }
    error
}
