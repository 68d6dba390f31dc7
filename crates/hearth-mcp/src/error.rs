//! What can go wrong with an MCP server, in words a user can act on. Every variant
//! names the server, so a message in a chat of several servers says which one failed.

use std::time::Duration;

/// Everything that can go wrong while configuring, starting or using an MCP server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum McpError {
    #[error("MCP server '{server}' is misconfigured: {reason}")]
    InvalidConfig { server: String, reason: String },
    #[error("two MCP servers are named '{server}'; give each a name of its own")]
    DuplicateServer { server: String },
    #[error("no MCP server is named '{server}'; add it in the settings or check the name")]
    UnknownServer { server: String },
    #[error("MCP server '{server}' is turned off; turn it on in the settings to use its tools")]
    Disabled { server: String },
    #[error("MCP server '{server}' has no tool '{tool}'; the tools it offers may have changed, so list them again")]
    UnknownTool { server: String, tool: String },
    #[error("'{name}' is not the name of an MCP tool (they are named server__tool)")]
    NotAnMcpTool { name: String },
    #[error("the arguments for {tool} on MCP server '{server}' must be a JSON object, got {got}")]
    InvalidArguments {
        server: String,
        tool: String,
        got: String,
    },
    #[error("MCP server '{server}' is at {origin}, on the network, and Hearth is in offline mode, so it was not contacted; turn offline mode off in the settings to use it")]
    Offline { server: String, origin: String },
    #[error("could not start MCP server '{server}' ({command}): {reason}")]
    Spawn {
        server: String,
        command: String,
        reason: String,
    },
    #[error("could not connect to MCP server '{server}': {reason}")]
    Connect { server: String, reason: String },
    #[error("MCP server '{server}' did not {what} within {} seconds; check that it works on its own, or raise the timeout", .after.as_secs_f32())]
    Timeout {
        server: String,
        what: String,
        after: Duration,
    },
    #[error("MCP server '{server}' stopped ({reason}); the next use starts it again")]
    Stopped { server: String, reason: String },
    #[error("MCP server '{server}' refused the call to {tool}: {message}")]
    ToolRefused {
        server: String,
        tool: String,
        message: String,
    },
    #[error("talking to MCP server '{server}' failed: {reason}")]
    Transport { server: String, reason: String },
    #[error("the tool call was cancelled")]
    Cancelled,
    #[error("the MCP client has shut down")]
    HubStopped,
}

impl McpError {
    /// The server the error is about, if it is about one.
    pub fn server(&self) -> Option<&str> {
        match self {
            McpError::InvalidConfig { server, .. }
            | McpError::DuplicateServer { server }
            | McpError::UnknownServer { server }
            | McpError::Disabled { server }
            | McpError::UnknownTool { server, .. }
            | McpError::InvalidArguments { server, .. }
            | McpError::Offline { server, .. }
            | McpError::Spawn { server, .. }
            | McpError::Connect { server, .. }
            | McpError::Timeout { server, .. }
            | McpError::Stopped { server, .. }
            | McpError::ToolRefused { server, .. }
            | McpError::Transport { server, .. } => Some(server),
            McpError::NotAnMcpTool { .. } | McpError::Cancelled | McpError::HubStopped => None,
        }
    }
}

pub type Result<T, E = McpError> = std::result::Result<T, E>;
