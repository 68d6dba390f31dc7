//! History search, export and import, and personas.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hearth_store::{
    ConversationId, ExportScope, ImportMode, ImportOptions, NewPersona, Persona, PersonaId,
    SearchHit, SearchQuery,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::conversations::blocking;
use crate::error::{ApiError, ApiResult};
use crate::json::{ValidJson, ValidQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Words to find; `"exact phrase"`, `-word` to leave out.
    pub q: String,
    pub conversation_id: Option<String>,
    pub model: Option<String>,
    pub tag: Option<String>,
    /// Milliseconds since the epoch.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: Option<u32>,
    #[serde(default)]
    pub offset: u32,
    /// Look into reasoning models' thinking too (always, when the `search_thinking`
    /// setting is on).
    #[serde(default)]
    pub thinking: bool,
}

#[utoipa::path(get, path = "/api/search", tag = "history", params(SearchParams),
    responses((status = 200, description = "Hits, best first; `snippet` marks each hit with <mark>", body = Vec<Object>)),
    security(("bearer" = [])))]
pub async fn search(
    State(state): State<AppState>,
    ValidQuery(params): ValidQuery<SearchParams>,
) -> ApiResult<Json<Vec<SearchHit>>> {
    if params.q.trim().is_empty() {
        return Err(ApiError::invalid("q", "type something to search for"));
    }
    let query = SearchQuery {
        text: params.q,
        from: params.from,
        to: params.to,
        model: params.model,
        tag: params.tag,
        conversation_id: params.conversation_id.map(ConversationId::from),
        archived: None,
        limit: params.limit,
        offset: params.offset,
        thinking: params.thinking,
    };
    blocking(&state, move |hearth| hearth.search(query))
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportParams {
    /// `json` (the default; can be imported again) or `markdown`.
    pub format: Option<String>,
    /// One conversation; all of them when left out.
    pub conversation_id: Option<String>,
}

#[utoipa::path(get, path = "/api/export", tag = "history", params(ExportParams),
    responses((status = 200, description = "The export, as a download")),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    ValidQuery(params): ValidQuery<ExportParams>,
) -> ApiResult<Response> {
    let markdown = match params.format.as_deref() {
        None | Some("json") => false,
        Some("markdown" | "md") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "format",
                format!("unknown export format `{other}`; use json or markdown"),
            ))
        }
    };
    let scope = match params.conversation_id {
        Some(id) => ExportScope::Conversation(ConversationId::from(id)),
        None => ExportScope::All,
    };
    let text = blocking(&state, move |hearth| {
        let history = hearth.history();
        Ok(if markdown {
            history.export_markdown(&scope)?
        } else {
            history.export_json(&scope)?.to_json()?
        })
    })
    .await?;
    let (kind, name) = if markdown {
        ("text/markdown; charset=utf-8", "hearth-export.md")
    } else {
        ("application/json", "hearth-export.json")
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        text,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportParams {
    /// Give imported items new ids, so a second copy can sit beside the first.
    #[serde(default)]
    pub new_ids: bool,
}

#[utoipa::path(post, path = "/api/import", tag = "history", params(ImportParams),
    request_body(content = Object, description = "A Hearth JSON export", content_type = "application/json"),
    responses((status = 200, description = "What was imported; on any error nothing is", body = Object)),
    security(("bearer" = [])))]
pub async fn import(
    State(state): State<AppState>,
    ValidQuery(params): ValidQuery<ImportParams>,
    body: Bytes,
) -> ApiResult<Json<hearth_store::ImportReport>> {
    let options = ImportOptions {
        mode: if params.new_ids {
            ImportMode::NewIds
        } else {
            ImportMode::KeepIds
        },
        ..ImportOptions::default()
    };
    blocking(&state, move |hearth| {
        hearth.history().import_json(&body, &options)
    })
    .await
    .map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonaBody {
    pub name: String,
    pub system_prompt: String,
    /// Default sampling settings for conversations with this persona.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
}

impl PersonaBody {
    fn checked(self) -> ApiResult<NewPersona> {
        if self.name.trim().is_empty() {
            return Err(ApiError::invalid("name", "the persona needs a name"));
        }
        if !(self.settings.is_null() || self.settings.is_object()) {
            return Err(ApiError::invalid(
                "settings",
                "settings must be a JSON object",
            ));
        }
        Ok(NewPersona {
            name: self.name.trim().to_owned(),
            system_prompt: self.system_prompt,
            settings: self.settings,
        })
    }
}

#[utoipa::path(get, path = "/api/personas", tag = "personas",
    responses((status = 200, body = Vec<Object>)), security(("bearer" = [])))]
pub async fn personas(State(state): State<AppState>) -> ApiResult<Json<Vec<Persona>>> {
    blocking(&state, |hearth| hearth.history().personas())
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/api/personas", tag = "personas", request_body = PersonaBody,
    responses((status = 201, body = Object), (status = 409, description = "The name is taken")),
    security(("bearer" = [])))]
pub async fn create_persona(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<PersonaBody>,
) -> ApiResult<Response> {
    let new = body.checked()?;
    let persona = blocking(&state, move |hearth| hearth.history().create_persona(new)).await?;
    Ok((StatusCode::CREATED, Json(persona)).into_response())
}

#[utoipa::path(put, path = "/api/personas/{id}", tag = "personas", params(("id" = String, Path)),
    request_body = PersonaBody, responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn update_persona(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<PersonaBody>,
) -> ApiResult<Json<Persona>> {
    let new = body.checked()?;
    blocking(&state, move |hearth| {
        hearth.history().update_persona(&PersonaId::from(id), new)
    })
    .await
    .map(Json)
}

#[utoipa::path(delete, path = "/api/personas/{id}", tag = "personas", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted")), security(("bearer" = [])))]
pub async fn delete_persona(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    blocking(&state, move |hearth| {
        hearth.history().delete_persona(&PersonaId::from(id))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which audit records to list (all when nothing is given).
#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditParams {
    /// Only records made at or after this time (milliseconds since the Unix epoch).
    pub since: Option<i64>,
    /// Only this provider's (`local` for this computer).
    pub provider: Option<String>,
    /// Only generations whose text was sent to a remote provider.
    #[serde(default)]
    pub remote: bool,
    /// Only generations made for this purpose (`answer`, `title`, `summary`...).
    pub purpose: Option<String>,
}

/// The audit log: one record per generation — model, file hash, provider, parameters,
/// counts, timings, what was redacted and how many bytes were sent, hashes of prompt
/// and output (never their text). Oldest first.
#[utoipa::path(get, path = "/api/audit", tag = "history", params(AuditParams),
    responses((status = 200, body = [Object]), (status = 400, description = "An unknown purpose")),
    security(("bearer" = [])))]
pub async fn audit(
    State(state): State<AppState>,
    ValidQuery(params): ValidQuery<AuditParams>,
) -> ApiResult<Json<Vec<hearth_store::AuditRecord>>> {
    let purpose = match params.purpose.as_deref() {
        None | Some("") => None,
        Some(name) => {
            let purpose = hearth_store::AuditPurpose::parse(name);
            if purpose.as_str() != name {
                return Err(ApiError::invalid(
                    "purpose",
                    format!("unknown purpose `{name}`"),
                ));
            }
            Some(purpose)
        }
    };
    let filter = hearth_store::AuditFilter {
        since: params.since,
        provider: params.provider.filter(|p| !p.is_empty()),
        remote_only: params.remote,
        purpose,
    };
    blocking(&state, move |hearth| {
        hearth.history().audit_records(&filter)
    })
    .await
    .map(Json)
}
