//! MCP (Model Context Protocol) tool servers for Hearth: the client side.
//!
//! The user configures servers ([`McpServerConfig`]): local programs Hearth starts and
//! talks to over stdin/stdout, or streamable HTTP addresses. [`McpHub`] starts or
//! reaches them when first needed, lists their tools as [`hearth_llm::ToolSpec`]s named
//! `server__tool` for a model that calls tools, and calls them, giving back a
//! [`ToolOutcome`] (the text for the model, whether the tool failed, the raw result for
//! the audit log).
//!
//! What it guards against:
//! - offline mode ([`hearth_llm::NetworkSwitch`]): an HTTP server on another machine is
//!   not contacted while offline; servers on this computer (stdio programs, loopback
//!   HTTP) still work. A local program may of course use the network itself; offline
//!   mode cannot stop that, so the settings should say so.
//! - secrets: header and environment values never appear in `Debug` output or logs,
//!   plain `http://` is refused except to this computer, and redirects are not
//!   followed; a stdio server gets only the environment it needs plus its own.
//! - untrusted results: a tool's text is capped, cleaned of terminal control
//!   sequences, and binary parts are summarised; the caller decides what the model may
//!   do with it (approval, framing as untrusted).
//! - processes: a server that exits or hangs gives an error naming it, never a hang
//!   (timeouts on connect, list and call); dropping the hub stops every server and
//!   what it started.
//!
//! Built on rmcp, the official Rust SDK.

pub mod config;
mod connection;
pub mod error;
mod http;
mod hub;
pub mod names;
mod outcome;
mod stdio;

pub use config::{McpServerConfig, McpTransport, Secret};
pub use error::{McpError, Result};
pub use hub::{is_remote, McpHub, McpOptions, McpTool, ServerState, ServerStatus, ToolListing};
pub use outcome::ToolOutcome;
