//! `McpHub`: the configured servers behind one API — the tools they offer, as the
//! model sees them, and calls by those names.
//!
//! rmcp is async; hearth-core is synchronous code on threads, and the server and the
//! desktop app run tokio. So the hub owns its own small runtime on a thread of its own
//! ("hearth-mcp", a current-thread runtime) and every operation runs there:
//!
//! - the blocking methods ([`McpHub::tools`], [`McpHub::call`]) suit the core: they
//!   wait on a channel, so they work from any thread, even one inside another runtime;
//! - the `_async` methods suit tokio code: they await the same work without blocking a
//!   worker thread, and dropping one cancels the call (the server is told);
//! - the servers' processes are started from that one thread, which lives exactly as
//!   long as the hub: on Linux a server gets SIGKILL when that thread ends, even when
//!   Hearth itself is killed, and dropping the hub stops every server (and what each
//!   started) before the thread ends.
//!
//! Servers are started or reached lazily, on the first use that needs them, and each
//! at most once at a time. A server that died is reported once ([`McpError::Stopped`])
//! and started again on the next use.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hearth_llm::{CancelToken, NetworkSwitch, ToolSpec};
use serde_json::Value;
use tokio::sync::{watch, Mutex};

use crate::config::{McpServerConfig, McpTransport};
use crate::connection::{self, Connection};
use crate::error::McpError;
use crate::names;
use crate::outcome::ToolOutcome;

/// Limits and waits; the defaults suit servers on a laptop.
#[derive(Debug, Clone, PartialEq)]
pub struct McpOptions {
    /// Starting a stdio program (`npx` may install packages first) or reaching an
    /// HTTP server, and the MCP handshake.
    pub connect_timeout: Duration,
    /// Listing a server's tools.
    pub list_timeout: Duration,
    /// One tool call; a tool that runs longer is cancelled.
    pub call_timeout: Duration,
    /// The most bytes of a result's text passed on (the model reads it all; results
    /// are untrusted text and a context window is small).
    pub max_result_bytes: usize,
    /// The most bytes of a result kept for the audit log.
    pub max_raw_bytes: usize,
    /// The most bytes of a tool's description (it goes into every prompt).
    pub max_description_bytes: usize,
    /// A tool whose argument schema is larger than this is left out.
    pub max_schema_bytes: usize,
    /// How long a server is given to exit after its session is closed, and again
    /// after SIGTERM, before it is killed.
    pub stop_grace: Duration,
}

impl Default for McpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(30),
            list_timeout: Duration::from_secs(30),
            call_timeout: Duration::from_secs(120),
            max_result_bytes: 64 * 1024,
            max_raw_bytes: 1024 * 1024,
            max_description_bytes: 4 * 1024,
            max_schema_bytes: 64 * 1024,
            stop_grace: Duration::from_secs(1),
        }
    }
}

/// A tool a server offers, ready to give a model.
#[derive(Debug, Clone, PartialEq)]
pub struct McpTool {
    /// What the model sees: `spec.name` is `server__tool`, within
    /// `^[a-zA-Z0-9_-]{1,64}$`; the description is the server's own words (cleaned of
    /// control characters and capped), which a hostile server can use to steer the
    /// model, so show it to the user before enabling a server.
    pub spec: ToolSpec,
    /// The server's name.
    pub server: String,
    /// The tool's name on the server.
    pub tool: String,
    /// A display title, if the server gave one.
    pub title: Option<String>,
}

/// Every tool of every server on, and why a server's tools are missing.
#[derive(Debug, Clone, Default)]
pub struct ToolListing {
    pub tools: Vec<McpTool>,
    /// One error per server that could not be started, reached or listed; its tools
    /// are missing from `tools`, the others' are there.
    pub errors: Vec<McpError>,
}

/// Where a server stands, for a settings page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerStatus {
    pub name: String,
    pub enabled: bool,
    pub state: ServerState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerState {
    /// Turned off in the settings.
    Off,
    /// Not started or reached yet (or stopped and not needed since).
    Idle,
    /// Being started or connected right now.
    Connecting,
    /// Connected; `pid` is the program's process id for a stdio server.
    Connected { pid: Option<u32> },
}

struct Server {
    config: McpServerConfig,
    slot: Mutex<Option<Arc<Connection>>>,
}

struct Inner {
    /// In the order configured.
    servers: Vec<Server>,
    options: McpOptions,
    network: NetworkSwitch,
    /// Set when the hub is dropped: connection attempts give up.
    closing: watch::Sender<bool>,
}

/// The configured MCP servers. See the module documentation for how it runs.
pub struct McpHub {
    inner: Arc<Inner>,
    runtime: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl McpHub {
    /// Checks the configurations and starts the hub's thread; contacts no server.
    pub fn new(configs: Vec<McpServerConfig>, network: NetworkSwitch) -> Result<Self, McpError> {
        Self::with_options(configs, network, McpOptions::default())
    }

    pub fn with_options(
        configs: Vec<McpServerConfig>,
        network: NetworkSwitch,
        options: McpOptions,
    ) -> Result<Self, McpError> {
        let mut seen = std::collections::HashSet::new();
        for config in &configs {
            config.validate()?;
            if !seen.insert(config.name.clone()) {
                return Err(McpError::DuplicateServer {
                    server: config.name.clone(),
                });
            }
        }
        let inner = Arc::new(Inner {
            servers: configs
                .into_iter()
                .map(|config| Server {
                    config,
                    slot: Mutex::new(None),
                })
                .collect(),
            options,
            network,
            closing: watch::channel(false).0,
        });
        let (handle_tx, handle_rx) = std::sync::mpsc::sync_channel(1);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread_inner = inner.clone();
        let thread = std::thread::Builder::new()
            .name("hearth-mcp".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = handle_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = handle_tx.send(Ok(runtime.handle().clone()));
                runtime.block_on(async move {
                    // runs the hub's tasks until the hub is dropped
                    let _ = stopped.await;
                    thread_inner.shutdown().await;
                });
            })
            .map_err(|e| McpError::Transport {
                server: "(all)".into(),
                reason: format!("could not start the MCP thread: {e}"),
            })?;
        let runtime = match handle_rx.recv() {
            Ok(Ok(handle)) => handle,
            Ok(Err(reason)) => {
                return Err(McpError::Transport {
                    server: "(all)".into(),
                    reason: format!("could not start the MCP runtime: {reason}"),
                })
            }
            Err(_) => return Err(McpError::HubStopped),
        };
        Ok(Self {
            inner,
            runtime,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The servers as configured, in order.
    pub fn servers(&self) -> Vec<McpServerConfig> {
        self.inner
            .servers
            .iter()
            .map(|s| s.config.clone())
            .collect()
    }

    /// Lists the tools of every server that is on, starting or reaching each as needed
    /// (all at once). Waits at most about `connect_timeout + list_timeout`.
    pub fn tools(&self) -> ToolListing {
        let inner = self.inner.clone();
        self.block(async move { Ok(inner.list_all().await) })
            .unwrap_or_else(|error| ToolListing {
                tools: Vec::new(),
                errors: vec![error],
            })
    }

    pub async fn tools_async(&self) -> ToolListing {
        let inner = self.inner.clone();
        self.spawned(async move { Ok(inner.list_all().await) })
            .await
            .unwrap_or_else(|error| ToolListing {
                tools: Vec::new(),
                errors: vec![error],
            })
    }

    /// The tools of one server.
    pub fn tools_of(&self, server: &str) -> Result<Vec<McpTool>, McpError> {
        let inner = self.inner.clone();
        let server = server.to_string();
        self.block(async move { inner.list_one(&server).await })
    }

    /// Calls the tool the model knows as `name` (`server__tool`) with `arguments` (a
    /// JSON object; `null` for none). A result the tool marks as failed is an `Ok`
    /// with `is_error`; an `Err` means no result came back (the server refused the
    /// call, stopped, timed out, or is offline), and its message names the server.
    pub fn call(&self, name: &str, arguments: Value) -> Result<ToolOutcome, McpError> {
        let inner = self.inner.clone();
        let name = name.to_string();
        self.block(async move { inner.call(&name, arguments).await })
    }

    /// [`McpHub::call`] that gives up with [`McpError::Cancelled`] soon after `cancel`
    /// is cancelled; the server is told the call was cancelled.
    pub fn call_with_cancel(
        &self,
        name: &str,
        arguments: Value,
        cancel: &CancelToken,
    ) -> Result<ToolOutcome, McpError> {
        let inner = self.inner.clone();
        let name = name.to_string();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let task = self.runtime.spawn(async move {
            let _ = tx.send(inner.call(&name, arguments).await);
        });
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(result) => return result,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if cancel.is_cancelled() => {
                    // dropping the call makes rmcp send notifications/cancelled
                    task.abort();
                    return Err(McpError::Cancelled);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(McpError::HubStopped)
                }
            }
        }
    }

    /// [`McpHub::call`] for async code; dropping the future cancels the call.
    pub async fn call_async(&self, name: &str, arguments: Value) -> Result<ToolOutcome, McpError> {
        let inner = self.inner.clone();
        let name = name.to_string();
        self.spawned(async move { inner.call(&name, arguments).await })
            .await
    }

    /// Where each server stands; starts nothing.
    pub fn status(&self) -> Vec<ServerStatus> {
        self.inner
            .servers
            .iter()
            .map(|server| {
                let state = if !server.config.enabled {
                    ServerState::Off
                } else {
                    match server.slot.try_lock() {
                        Err(_) => ServerState::Connecting,
                        Ok(slot) => match slot.as_ref() {
                            Some(connection) if connection.is_alive() => ServerState::Connected {
                                pid: connection.pid(),
                            },
                            _ => ServerState::Idle,
                        },
                    }
                };
                ServerStatus {
                    name: server.config.name.clone(),
                    enabled: server.config.enabled,
                    state,
                }
            })
            .collect()
    }

    /// Closes the connection to `server` (and stops its program); the next use
    /// starts it again. Unknown names are an error; an idle server is left as is.
    pub fn disconnect(&self, server: &str) -> Result<(), McpError> {
        let inner = self.inner.clone();
        let server = server.to_string();
        self.block(async move {
            let entry = inner.server(&server)?;
            let taken = entry.slot.lock().await.take();
            if let Some(connection) = taken {
                connection.close(inner.options.stop_grace).await;
            }
            Ok(())
        })
    }

    /// Runs `work` on the hub's runtime and waits for it on this thread.
    fn block<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, McpError>> + Send + 'static,
    ) -> Result<T, McpError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let _ = tx.send(work.await);
        });
        rx.recv().unwrap_or(Err(McpError::HubStopped))
    }

    /// Runs `work` on the hub's runtime and awaits it; dropping the returned future
    /// aborts the work.
    async fn spawned<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, McpError>> + Send + 'static,
    ) -> Result<T, McpError> {
        struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);
        impl<T> Drop for AbortOnDrop<T> {
            fn drop(&mut self) {
                self.0.abort();
            }
        }
        let mut task = AbortOnDrop(self.runtime.spawn(work));
        (&mut task.0).await.unwrap_or(Err(McpError::HubStopped))
    }
}

impl Drop for McpHub {
    /// Stops every server (session closed, then SIGTERM and SIGKILL after
    /// `stop_grace` each) and waits for that; a few seconds at worst.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for McpHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpHub")
            .field(
                "servers",
                &self
                    .inner
                    .servers
                    .iter()
                    .map(|s| &s.config.name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Inner {
    fn server(&self, name: &str) -> Result<&Server, McpError> {
        self.servers
            .iter()
            .find(|s| s.config.name == name)
            .ok_or_else(|| McpError::UnknownServer {
                server: name.to_string(),
            })
    }

    /// The live connection to `server`, made if there is none.
    async fn connection(&self, server: &Server) -> Result<Arc<Connection>, McpError> {
        let name = &server.config.name;
        if !server.config.enabled {
            return Err(McpError::Disabled {
                server: name.clone(),
            });
        }
        let mut slot = server.slot.lock().await;
        if let Some(connection) = slot.as_ref() {
            if let Err(offline) = connection.check_network(&self.network) {
                // offline mode came on: hang up on the remote server now
                if let Some(connection) = slot.take() {
                    tokio::spawn(async move { connection.close(Duration::ZERO).await });
                }
                return Err(offline);
            }
            if connection.is_alive() {
                return Ok(connection.clone());
            }
            // it died since the last use: say so once; the next use starts it again
            if let Some(dead) = slot.take() {
                let reason = dead.describe_end().await;
                dead.close(self.options.stop_grace).await;
                return Err(McpError::Stopped {
                    server: name.clone(),
                    reason,
                });
            }
        }
        let connection = Arc::new(
            connection::connect(
                &server.config,
                &self.options,
                &self.network,
                self.closing.subscribe(),
            )
            .await?,
        );
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// Forgets `connection` if it is still `server`'s, so the next use reconnects.
    async fn forget(&self, server: &Server, connection: &Arc<Connection>) {
        let mut slot = server.slot.lock().await;
        if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, connection)) {
            slot.take();
            drop(slot);
            connection.close(self.options.stop_grace).await;
        }
    }

    async fn list_one(&self, name: &str) -> Result<Vec<McpTool>, McpError> {
        let server = self.server(name)?;
        let connection = self.connection(server).await?;
        match connection.tool_table(&self.options).await {
            Ok(table) => Ok(table.tools.clone()),
            Err(error) => {
                if matches!(error, McpError::Stopped { .. }) {
                    self.forget(server, &connection).await;
                }
                Err(error)
            }
        }
    }

    async fn list_all(self: Arc<Self>) -> ToolListing {
        let mut tasks = tokio::task::JoinSet::new();
        for (index, server) in self.servers.iter().enumerate() {
            if !server.config.enabled {
                continue;
            }
            let inner = self.clone();
            let name = server.config.name.clone();
            tasks.spawn(async move { (index, inner.list_one(&name).await) });
        }
        let mut results = BTreeMap::new();
        while let Some(joined) = tasks.join_next().await {
            if let Ok((index, result)) = joined {
                results.insert(index, result);
            }
        }
        let mut listing = ToolListing::default();
        for (_, result) in results {
            match result {
                Ok(tools) => listing.tools.extend(tools),
                Err(error) => listing.errors.push(error),
            }
        }
        listing
    }

    async fn call(&self, name: &str, arguments: Value) -> Result<ToolOutcome, McpError> {
        let server_name = names::server_of(name).ok_or_else(|| McpError::NotAnMcpTool {
            name: name.to_string(),
        })?;
        let server = self.server(server_name)?;
        let connection = self.connection(server).await?;
        let result = connection
            .call(name, arguments, &self.options, &self.network)
            .await;
        if let Err(McpError::Stopped { .. }) = &result {
            self.forget(server, &connection).await;
        }
        result
    }

    /// Stops every server, all at once.
    async fn shutdown(&self) {
        let _ = self.closing.send(true);
        let mut closing = Vec::new();
        for server in &self.servers {
            if let Some(connection) = server.slot.lock().await.take() {
                closing.push(connection);
            }
        }
        let grace = self.options.stop_grace;
        let mut tasks = tokio::task::JoinSet::new();
        for connection in closing {
            tasks.spawn(async move { connection.close(grace).await });
        }
        while tasks.join_next().await.is_some() {}
    }
}

/// Whether `config` reaches a server on another machine (an HTTP server whose host is
/// not this computer): those are the ones offline mode refuses.
pub fn is_remote(config: &McpServerConfig) -> bool {
    match &config.transport {
        McpTransport::Stdio { .. } => false,
        McpTransport::Http { url, .. } => hearth_llm::remote::Origin::of(url)
            .map(|origin| !origin.is_loopback())
            .unwrap_or(true),
    }
}
