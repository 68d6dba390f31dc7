//! MCP tool servers in the assistant: the servers the user configured (`mcp_servers` in
//! the settings), one [`McpHub`] for them that follows the settings and offline mode,
//! and each tool call written to the audit log.
//!
//! Servers are added from the command line or the settings file only, never through the
//! HTTP API: a stdio server is a program Hearth runs, and a request that could name one
//! could run anything as the user.

use std::sync::{Arc, Mutex};

use hearth_llm::CancelToken;
use hearth_mcp::{McpHub, McpServerConfig, ServerStatus, ToolListing, ToolOutcome};
use hearth_store::{AuditPurpose, NewAuditRecord, Store};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::hearth::poisoned;
use crate::Hearth;

/// The hub for the servers in the settings now; made again when they change.
#[derive(Default)]
pub(crate) struct McpState {
    current: Mutex<Option<(Vec<McpServerConfig>, Arc<McpHub>)>>,
}

impl Hearth {
    /// The configured MCP servers.
    pub fn mcp_servers(&self) -> Vec<McpServerConfig> {
        self.config().mcp_servers
    }

    /// Adds a server, or replaces the one with its name. Checked first (name, command
    /// or address), so a server that cannot work is refused with the reason and the
    /// settings are left as they were.
    pub fn save_mcp_server(&self, server: McpServerConfig) -> Result<()> {
        let mut servers = self.mcp_servers();
        servers.retain(|s| s.name != server.name);
        servers.push(server);
        // The hub checks every config when it is made; nothing is started here.
        McpHub::new(servers.clone(), self.network.clone())?;
        self.update_config(|config| config.mcp_servers = servers)
    }

    /// Removes a server (stopping it if it runs); false when none had that name.
    pub fn remove_mcp_server(&self, name: &str) -> Result<bool> {
        let before = self.mcp_servers();
        if !before.iter().any(|s| s.name == name) {
            return Ok(false);
        }
        self.update_config(|config| config.mcp_servers.retain(|s| s.name != name))?;
        Ok(true)
    }

    /// Turns a configured server on or off; false when none had that name. An off
    /// server stays in the settings but is never started or contacted (the hub made
    /// for the new settings stops it if it ran).
    pub fn set_mcp_server_enabled(&self, name: &str, enabled: bool) -> Result<bool> {
        if !self.mcp_servers().iter().any(|s| s.name == name) {
            return Ok(false);
        }
        self.update_config(|config| {
            for server in config.mcp_servers.iter_mut().filter(|s| s.name == name) {
                server.enabled = enabled;
            }
        })?;
        Ok(true)
    }

    /// The hub for the configured servers. It starts nothing until a tool list or a
    /// call needs a server; settings changed since the last call give a new hub (the
    /// old one stops its servers when the last call using it ends).
    pub fn mcp_hub(&self) -> Result<Arc<McpHub>> {
        let servers = self.mcp_servers();
        let mut current = self.mcp.current.lock().map_err(|_| poisoned())?;
        if let Some((configs, hub)) = current.as_ref() {
            if *configs == servers {
                return Ok(hub.clone());
            }
        }
        let hub = Arc::new(McpHub::new(servers.clone(), self.network.clone())?);
        *current = Some((servers, hub.clone()));
        Ok(hub)
    }

    /// Every tool of every server that is on; servers that could not be reached are
    /// in `errors`, with the reason.
    pub fn mcp_tools(&self) -> Result<ToolListing> {
        Ok(self.mcp_hub()?.tools())
    }

    /// Each server: on or off, running, and the last problem.
    pub fn mcp_status(&self) -> Result<Vec<ServerStatus>> {
        Ok(self.mcp_hub()?.status())
    }

    /// Calls a tool (`server__tool`) with JSON arguments and writes the call and its
    /// result to the audit log: the server and tool, hashes of the arguments and the
    /// result (their text stays out of the log, as prompts and answers do), whether the
    /// tool failed, and for a server on the network the bytes sent to it.
    pub fn call_mcp_tool(
        &self,
        name: &str,
        arguments: serde_json::Value,
        conversation_id: Option<&str>,
    ) -> Result<ToolOutcome> {
        call_tool_audited(
            &self.store,
            self.mcp_hub()?.as_ref(),
            name,
            arguments,
            conversation_id,
            None,
        )
    }
}

/// Calls a tool and writes the audit record (see [`Hearth::call_mcp_tool`]); a chat's
/// turn calls it with the turn's token, so stopping the answer stops the call.
pub(crate) fn call_tool_audited(
    store: &Store,
    hub: &McpHub,
    name: &str,
    arguments: serde_json::Value,
    conversation_id: Option<&str>,
    cancel: Option<&CancelToken>,
) -> Result<ToolOutcome> {
    let started = std::time::Instant::now();
    let result = match cancel {
        Some(cancel) => hub.call_with_cancel(name, arguments.clone(), cancel),
        None => hub.call(name, arguments.clone()),
    };
    let (server, tool) = name.split_once("__").unwrap_or((name, ""));
    let remote = hub
        .servers()
        .iter()
        .find(|s| s.name == server)
        .is_some_and(hearth_mcp::is_remote);
    let arguments_text = arguments.to_string();
    let (output, error, is_error) = match &result {
        Ok(outcome) => (outcome.raw.to_string(), None, outcome.is_error),
        Err(e) => (String::new(), Some(e.to_string()), true),
    };
    let record = NewAuditRecord {
        model: format!("{server}/{tool}"),
        model_sha256: None,
        provider: format!("mcp:{server}"),
        parameters: serde_json::json!({
            "kind": "tool_call",
            "server": server,
            "tool": tool,
            "is_error": is_error,
            "truncated": result.as_ref().is_ok_and(|o| o.truncated),
        }),
        prompt_tokens: None,
        completion_tokens: None,
        prompt_ms: None,
        generation_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
        stop_reason: None,
        error,
        prompt_sha256: sha256_hex(&arguments_text),
        output_sha256: sha256_hex(&output),
        conversation_id: conversation_id.map(str::to_owned),
        purpose: AuditPurpose::ToolCall,
        redactions: Default::default(),
        sent_bytes: remote.then_some(arguments_text.len() as u64),
        adapter: None,
    };
    if let Err(e) = store.add_audit_record(&record) {
        tracing::error!(error = %e, "could not write the tool call to the audit log");
    }
    Ok(result?)
}

fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}
