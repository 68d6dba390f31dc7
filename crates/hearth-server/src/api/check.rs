//! `POST /api/check`: any text checked against documents the caller gives (files as
//! base64, pasted text, or paths where the server allows them), each sentence marked
//! supported, not found (with what is missing), contradicted (thorough mode's judge) or
//! unchecked.

use axum::extract::State;
use axum::Json;
use hearth_core::grounding::{GroundingMode, GroundingReport};
use serde::Deserialize;
use utoipa::ToSchema;

use super::documents::Source;
use crate::error::{ApiError, ApiResult};
use crate::json::ValidJson;
use crate::state::AppState;

/// The most documents one check takes.
pub const MAX_SOURCES: usize = 20;
/// The longest text one check takes, in bytes (about 250 pages).
pub const MAX_TEXT_BYTES: usize = 1_000_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// The text to check.
    pub text: String,
    /// The documents it should rest on (1 to 20).
    pub sources: Vec<Source>,
    /// `fast` (facts only) or `thorough` (then the embedding model's similarity and a
    /// model judge); the `grounding` setting when absent, fast when that is off.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub mode: Option<GroundingMode>,
    /// The judge's model in thorough mode; the `grounding_judge` setting, else the
    /// default model, when absent.
    #[serde(default)]
    pub judge: Option<String>,
}

#[utoipa::path(post, path = "/api/check", tag = "documents", request_body = CheckBody,
    responses((status = 200, body = Object, description = "Each sentence marked supported, not_found (with findings) or unchecked, and a summary"),
        (status = 400, description = "No text, no sources, too many, or a source that cannot be read")),
    security(("bearer" = [])))]
pub async fn check(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<CheckBody>,
) -> ApiResult<Json<GroundingReport>> {
    if body.text.trim().is_empty() {
        return Err(ApiError::invalid(
            "text",
            "there is no text to check; give `text`",
        ));
    }
    if body.text.len() > MAX_TEXT_BYTES {
        return Err(ApiError::invalid(
            "text",
            format!(
                "the text is {} bytes; a check takes at most {MAX_TEXT_BYTES}: check it in parts",
                body.text.len()
            ),
        ));
    }
    if body.sources.is_empty() || body.sources.len() > MAX_SOURCES {
        return Err(ApiError::invalid(
            "sources",
            format!(
                "give 1 to {MAX_SOURCES} documents in `sources` to check against ({} given)",
                body.sources.len()
            ),
        ));
    }
    // Paths are checked against the server's rules before anything is read.
    let files = body
        .sources
        .iter()
        .map(|source| source.check(&state))
        .collect::<ApiResult<Vec<_>>>()?;
    let hearth = state.hearth.clone();
    let report = crate::pool::spawn_blocking(move || {
        let mut documents = Vec::with_capacity(body.sources.len());
        for (source, file) in body.sources.iter().zip(&files) {
            documents.push(source.read(file.as_deref(), &hearth)?.to_markdown());
        }
        Ok::<_, ApiError>(hearth.check_against_documents(
            &body.text,
            &documents,
            body.mode,
            body.judge.as_deref(),
        ))
    })
    .await??;
    Ok(Json(report))
}
