//! Remote providers and offline mode for the settings screen: list, connect or change
//! (with the API key, which is kept in the keyring and never sent back), set a key,
//! disconnect, and the offline switch.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_core::{KeyPlace, ProviderConfig, ProviderView};
use hearth_llm::{ApiKey, Protocol};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::conversations::blocking;
use crate::error::{ApiError, ApiResult};
use crate::json::ValidJson;
use crate::state::AppState;

/// Connected providers and whether Hearth may reach them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvidersView {
    #[schema(value_type = Vec<Object>)]
    pub providers: Vec<ProviderView>,
    pub offline: bool,
}

#[utoipa::path(get, path = "/api/providers", tag = "providers",
    responses((status = 200, body = ProvidersView)), security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<ProvidersView>> {
    blocking(&state, |hearth| {
        Ok(ProvidersView {
            providers: hearth.providers(),
            offline: hearth.is_offline(),
        })
    })
    .await
    .map(Json)
}

/// A provider's settings; the name is in the path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderBody {
    /// `openai` (any OpenAI-compatible server) or `anthropic`.
    #[schema(value_type = String)]
    pub kind: Protocol,
    pub base_url: Option<String>,
    #[serde(default)]
    pub models: Vec<String>,
    pub context_length: Option<u32>,
    pub input_cost_per_1k: Option<f64>,
    pub output_cost_per_1k: Option<f64>,
    /// Kept in the keyring; leave out to keep the key already set.
    pub api_key: Option<String>,
}

#[utoipa::path(put, path = "/api/providers/{name}", tag = "providers",
    params(("name" = String, Path)), request_body = ProviderBody,
    responses((status = 200, body = Object), (status = 400, description = "A setting is invalid")),
    security(("bearer" = [])))]
pub async fn save(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ValidJson(body): ValidJson<ProviderBody>,
) -> ApiResult<Json<ProviderView>> {
    let key = match body.api_key.as_deref().map(str::trim) {
        Some("") => return Err(ApiError::invalid("api_key", "the API key is empty")),
        Some(key) => Some(ApiKey::new(key)),
        None => None,
    };
    let config = ProviderConfig {
        name,
        kind: body.kind,
        base_url: body.base_url.filter(|u| !u.trim().is_empty()),
        models: body.models,
        context_length: body.context_length.unwrap_or(32_768),
        input_cost_per_1k: body.input_cost_per_1k,
        output_cost_per_1k: body.output_cost_per_1k,
    };
    blocking(&state, move |hearth| hearth.save_provider(config, key))
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyBody {
    pub api_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeySaved {
    /// Where it is kept: `keyring` or `sealed_file`.
    #[schema(value_type = String)]
    pub key: KeyPlace,
}

#[utoipa::path(put, path = "/api/providers/{name}/key", tag = "providers",
    params(("name" = String, Path)), request_body = KeyBody,
    responses((status = 200, body = KeySaved), (status = 404, description = "No such provider")),
    security(("bearer" = [])))]
pub async fn set_key(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ValidJson(body): ValidJson<KeyBody>,
) -> ApiResult<Json<KeySaved>> {
    if body.api_key.trim().is_empty() {
        return Err(ApiError::invalid("api_key", "the API key is empty"));
    }
    let key = ApiKey::new(body.api_key.trim());
    blocking(&state, move |hearth| hearth.set_provider_key(&name, key))
        .await
        .map(|key| Json(KeySaved { key }))
}

#[utoipa::path(delete, path = "/api/providers/{name}", tag = "providers",
    params(("name" = String, Path)),
    responses((status = 204), (status = 404, description = "No such provider")),
    security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    blocking(&state, move |hearth| hearth.remove_provider(&name))
        .await
        .map(|()| StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineBody {
    pub offline: bool,
}

#[utoipa::path(put, path = "/api/offline", tag = "providers", request_body = OfflineBody,
    responses((status = 200, body = OfflineBody)), security(("bearer" = [])))]
pub async fn set_offline(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<OfflineBody>,
) -> ApiResult<Json<OfflineBody>> {
    blocking(&state, move |hearth| {
        hearth.set_offline(body.offline)?;
        Ok(OfflineBody {
            offline: hearth.is_offline(),
        })
    })
    .await
    .map(Json)
}
