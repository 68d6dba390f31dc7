//! The OpenAPI document at `/api/openapi.json`, generated from the handlers' and wire
//! types' annotations (utoipa), so it cannot drift from the code.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::state::AppState;
use crate::{api, openai};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hearth",
        description = "Hearth's local API: OpenAI-compatible endpoints under /v1 and the app's own under /api. Every request but /api/health needs `Authorization: Bearer <token>` (the token is in the file `hearth serve --show-token` names), or, from Hearth's own page, the session cookie its one-time login link set (`POST /api/login-link` with the token makes a link).",
    ),
    paths(
        openai::chat::chat_completions,
        openai::chat::completions,
        openai::models::list,
        openai::models::get,
        openai::models::embeddings,
        api::health,
        api::about,
        api::delete_everything,
        api::conversations::list,
        api::conversations::create,
        api::conversations::open,
        api::conversations::change,
        api::conversations::delete,
        api::conversations::switch_branch,
        api::conversations::send,
        api::conversations::regenerate,
        api::conversations::decide_tool_call,
        api::conversations::edit,
        api::history::search,
        api::history::export,
        api::history::audit,
        api::history::import,
        api::history::personas,
        api::history::create_persona,
        api::history::update_persona,
        api::history::delete_persona,
        api::models::list,
        api::models::info,
        api::models::add,
        api::models::remove,
        api::models::set_default,
        api::models::scan,
        api::models::catalog,
        api::models::choices,
        api::models::loading,
        api::models::loaded,
        api::models::unload,
        api::models::pull,
        api::models::settings,
        api::models::save_settings,
        api::providers::list,
        api::providers::save,
        api::providers::set_key,
        api::providers::remove,
        api::providers::set_offline,
        api::mcp::servers,
        api::mcp::tools,
        api::mcp::set_enabled,
        api::documents::read,
        api::documents::summarize,
        api::documents::translate,
        api::documents::cancel,
        api::workflows::list,
        api::workflows::show,
        api::workflows::parse,
        api::workflows::check,
        api::check::check,
        api::workflows::limits,
        api::workflows::save,
        api::workflows::delete,
        api::workflows::run,
        api::workflows::runs,
        api::workflows::show_run,
        api::workflows::export_run,
        api::workflows::delete_run,
        api::workflows::prompts,
        api::workflows::save_prompt,
        api::workflows::delete_prompt,
        api::workflows::render_prompt,
        api::workflows::generate,
        api::collections::list,
        api::collections::files,
        api::collections::delete,
        api::collections::update,
        api::collections::indexing,
        api::collections::add,
        api::collections::reindex,
        api::collections::remove,
        api::collections::passage,
        api::collections::retrieve,
        api::collections::ask,
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&BearerToken),
    tags(
        (name = "openai", description = "OpenAI-compatible; errors in OpenAI's shape"),
        (name = "conversations"), (name = "history"), (name = "personas"),
        (name = "models"), (name = "settings"), (name = "providers"), (name = "mcp"), (name = "documents"), (name = "collections"),
        (name = "app"),
    )
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/openapi.json",
        get(|| async { Json(ApiDoc::openapi()) }),
    )
}
