//! MCP tool servers for the settings screen: the servers configured, where each stands,
//! the tools they offer (with the descriptions the model will read), and turning one
//! on or off.
//!
//! Servers are added or changed only from the command line or the settings file: a stdio
//! server is a program Hearth runs, so no request may name one. Turning a configured
//! server on or off runs nothing new. Environment values and headers, which often hold
//! tokens, are never sent.

use axum::extract::{Path, State};
use axum::Json;
use hearth_mcp::{is_remote, ServerState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::conversations::blocking;
use crate::error::{ApiError, ApiResult};
use crate::json::ValidJson;
use crate::state::AppState;

/// One configured server, without its secrets.
#[derive(Debug, Serialize, ToSchema)]
pub struct McpServerView {
    pub name: String,
    /// `stdio` (a program Hearth starts) or `http` (a streamable HTTP address).
    pub transport: &'static str,
    /// The program and its arguments, or the address.
    pub reach: String,
    pub enabled: bool,
    /// `off`, `idle` (not started yet), `connecting` or `connected`.
    pub state: &'static str,
    /// The program's process id, for a running stdio server.
    pub pid: Option<u32>,
    /// On another machine: offline mode does not contact it.
    pub remote: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct McpServersView {
    pub servers: Vec<McpServerView>,
    pub offline: bool,
}

/// The configured servers and where each stands; starts nothing.
#[utoipa::path(get, path = "/api/mcp/servers", tag = "mcp",
    responses((status = 200, body = McpServersView)), security(("bearer" = [])))]
pub async fn servers(State(state): State<AppState>) -> ApiResult<Json<McpServersView>> {
    blocking(&state, |hearth| {
        let configs = hearth.mcp_servers();
        let statuses = hearth.mcp_status()?;
        let servers = configs
            .iter()
            .map(|config| {
                let status = statuses.iter().find(|s| s.name == config.name);
                let (state, pid) = match status.map(|s| &s.state) {
                    Some(ServerState::Off) | None if !config.enabled => ("off", None),
                    Some(ServerState::Connecting) => ("connecting", None),
                    Some(ServerState::Connected { pid }) => ("connected", *pid),
                    _ => ("idle", None),
                };
                McpServerView {
                    name: config.name.clone(),
                    transport: config.transport_kind(),
                    reach: config.reach(),
                    enabled: config.enabled,
                    state,
                    pid,
                    remote: is_remote(config),
                }
            })
            .collect();
        Ok(McpServersView {
            servers,
            offline: hearth.is_offline(),
        })
    })
    .await
    .map(Json)
}

/// A tool as the model will see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct McpToolView {
    /// `server__tool`, the name the model calls.
    pub name: String,
    pub server: String,
    pub tool: String,
    pub title: Option<String>,
    /// The server's own words, which the model reads: worth a look before trusting a
    /// server, since a hostile one can use them to steer the model.
    pub description: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct McpToolProblem {
    pub server: Option<String>,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct McpToolsView {
    pub tools: Vec<McpToolView>,
    /// One per server that could not be started, reached or listed.
    pub errors: Vec<McpToolProblem>,
}

/// Every tool of every server that is on, starting the servers to ask them.
#[utoipa::path(get, path = "/api/mcp/tools", tag = "mcp",
    responses((status = 200, body = McpToolsView)), security(("bearer" = [])))]
pub async fn tools(State(state): State<AppState>) -> ApiResult<Json<McpToolsView>> {
    blocking(&state, |hearth| {
        let listing = hearth.mcp_tools()?;
        Ok(McpToolsView {
            tools: listing
                .tools
                .into_iter()
                .map(|t| McpToolView {
                    name: t.spec.name,
                    server: t.server,
                    tool: t.tool,
                    title: t.title,
                    description: t.spec.description,
                })
                .collect(),
            errors: listing
                .errors
                .iter()
                .map(|e| McpToolProblem {
                    server: e.server().map(str::to_owned),
                    message: e.to_string(),
                })
                .collect(),
        })
    })
    .await
    .map(Json)
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnabledBody {
    pub enabled: bool,
}

/// Turns a configured server on or off.
#[utoipa::path(put, path = "/api/mcp/servers/{name}/enabled", tag = "mcp",
    params(("name" = String, Path)), request_body = EnabledBody,
    responses((status = 200, body = EnabledBody), (status = 404, description = "No such server")),
    security(("bearer" = [])))]
pub async fn set_enabled(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ValidJson(body): ValidJson<EnabledBody>,
) -> ApiResult<Json<EnabledBody>> {
    let enabled = body.enabled;
    let found = blocking(&state, move |hearth| {
        hearth.set_mcp_server_enabled(&name, enabled)
    })
    .await?;
    if !found {
        return Err(ApiError::not_found(
            "no MCP server has that name; add servers with `hearth mcp add`",
        ));
    }
    Ok(Json(EnabledBody { enabled }))
}
