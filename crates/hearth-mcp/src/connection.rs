//! One live connection to one server: starting or reaching it, the MCP handshake, its
//! tools, calls, and closing it. The hub (`hub.rs`) decides when; this module does it.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hearth_llm::remote::Origin;
use hearth_llm::{NetworkSwitch, ToolSpec};
use rmcp::model::{CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation};
use rmcp::service::{ClientInitializeError, NotificationContext, RunningService};
use rmcp::transport::streamable_http_client::{
    StreamableHttpClientTransportConfig, StreamableHttpError,
};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, Peer, RoleClient, ServiceError, ServiceExt};
use serde_json::Value;
use tokio::sync::watch;

use crate::config::{McpServerConfig, McpTransport};
use crate::error::McpError;
use crate::http::{GuardedClient, OFFLINE_REFUSAL};
use crate::hub::{McpOptions, McpTool};
use crate::names;
use crate::outcome::{cap_text, clean_text, raw_for_audit, text_of, ToolOutcome};
use crate::stdio::{self, ServerProcess};

/// What Hearth answers to the server's requests and notifications. Hearth declares no
/// client capabilities (no sampling, roots or elicitation), so a server has nothing to
/// ask of it; rmcp's defaults refuse anything that arrives anyway.
struct Handler {
    server: String,
    info: ClientConfig,
    tools_changed: Arc<AtomicBool>,
}

impl ClientHandler for Handler {
    fn get_info(&self) -> ClientConfig {
        self.info.clone()
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        tracing::debug!(server = %self.server, "MCP server changed its tools");
        self.tools_changed.store(true, Ordering::SeqCst);
    }
}

/// The tools a server offers, as the model sees them and back.
pub(crate) struct ToolTable {
    pub tools: Vec<McpTool>,
    /// Exposed name → the tool's name on the server.
    by_exposed: HashMap<String, String>,
}

pub(crate) struct Connection {
    server: String,
    peer: Peer<RoleClient>,
    service: tokio::sync::Mutex<Option<RunningService<RoleClient, Handler>>>,
    /// The program, for a stdio server.
    process: Option<ServerProcess>,
    /// An HTTP server on another machine: refused while offline.
    remote: Option<Origin>,
    tools: tokio::sync::Mutex<Option<Arc<ToolTable>>>,
    tools_changed: Arc<AtomicBool>,
}

fn client_info() -> ClientConfig {
    ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("hearth", env!("CARGO_PKG_VERSION")),
    )
}

/// Starts or reaches the server and completes the MCP handshake, within
/// `options.connect_timeout`.
///
/// Gives up with [`McpError::HubStopped`] (stopping what it started) once `closing`
/// turns true.
pub(crate) async fn connect(
    config: &McpServerConfig,
    options: &McpOptions,
    network: &NetworkSwitch,
    mut closing: watch::Receiver<bool>,
) -> Result<Connection, McpError> {
    let server = config.name.clone();
    let tools_changed = Arc::new(AtomicBool::new(false));
    let handler = Handler {
        server: server.clone(),
        info: client_info(),
        tools_changed: tools_changed.clone(),
    };
    let timeout = |what: &str| McpError::Timeout {
        server: server.clone(),
        what: what.to_string(),
        after: options.connect_timeout,
    };
    match &config.transport {
        McpTransport::Stdio {
            command,
            args,
            env,
            cwd,
        } => {
            let started = stdio::spawn(&server, command, args, env, cwd.as_ref())?;
            let process = started.process;
            let handshake = tokio::select! {
                handshake = tokio::time::timeout(
                    options.connect_timeout,
                    handler.serve((started.stdout, started.stdin)),
                ) => handshake,
                () = until_closing(&mut closing) => {
                    process.stop(options.stop_grace).await;
                    return Err(McpError::HubStopped);
                }
            };
            let service = match handshake {
                Ok(Ok(service)) => service,
                Ok(Err(error)) => {
                    // a program that is not an MCP server usually exits at once: wait
                    // a moment so the message can say how it ended and what it said
                    let reason = if process.wait(Duration::from_millis(500)).await {
                        process.settle().await;
                        format!(
                            "{} before the MCP handshake was done{}",
                            process.how_it_ended(),
                            process.last_words()
                        )
                    } else {
                        format!(
                            "the MCP handshake failed ({}); is it an MCP server that speaks over stdin and stdout?{}",
                            root_cause(&error),
                            process.last_words()
                        )
                    };
                    process.stop(options.stop_grace).await;
                    return Err(McpError::Connect { server, reason });
                }
                Err(_) => {
                    process.stop(options.stop_grace).await;
                    return Err(timeout("start and answer the MCP handshake"));
                }
            };
            Ok(Connection {
                server,
                peer: service.peer().clone(),
                service: tokio::sync::Mutex::new(Some(service)),
                process: Some(process),
                remote: None,
                tools: tokio::sync::Mutex::new(None),
                tools_changed,
            })
        }
        McpTransport::Http { url, headers } => {
            let origin = Origin::of(url).map_err(|reason| McpError::InvalidConfig {
                server: server.clone(),
                reason,
            })?;
            let loopback = origin.is_loopback();
            if !loopback && network.is_offline() {
                return Err(McpError::Offline {
                    server,
                    origin: origin.to_string(),
                });
            }
            let client = GuardedClient::new(&server, loopback, network.clone())?;
            let mut custom = HashMap::new();
            for (name, value) in headers {
                let invalid = |reason: String| McpError::InvalidConfig {
                    server: server.clone(),
                    reason,
                };
                let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| invalid(format!("'{name}' is not a valid header name")))?;
                let mut value = reqwest::header::HeaderValue::from_str(value.expose())
                    .map_err(|_| invalid(format!("the value of header {name} is not valid")))?;
                // keeps the value out of reqwest's and hyper's Debug output
                value.set_sensitive(true);
                custom.insert(name, value);
            }
            let transport = StreamableHttpClientTransport::with_client(
                client,
                StreamableHttpClientTransportConfig::with_uri(url.trim()).custom_headers(custom),
            );
            let handshake = tokio::select! {
                handshake = tokio::time::timeout(options.connect_timeout, handler.serve(transport)) => handshake,
                () = until_closing(&mut closing) => return Err(McpError::HubStopped),
            };
            let service = match handshake {
                Ok(Ok(service)) => service,
                Ok(Err(error)) => {
                    if root_cause(&error).contains(OFFLINE_REFUSAL) {
                        return Err(McpError::Offline {
                            server,
                            origin: origin.to_string(),
                        });
                    }
                    let reason = if error.is_authorization_required() {
                        format!("{origin} asks for authorization; set its Authorization header (for example `Bearer <token>`) in the server's settings")
                    } else {
                        format!(
                            "{}; check the address {origin} and that the server is running",
                            root_cause(&error)
                        )
                    };
                    return Err(McpError::Connect { server, reason });
                }
                Err(_) => return Err(timeout("answer the MCP handshake")),
            };
            Ok(Connection {
                server,
                peer: service.peer().clone(),
                service: tokio::sync::Mutex::new(Some(service)),
                process: None,
                remote: (!loopback).then_some(origin),
                tools: tokio::sync::Mutex::new(None),
                tools_changed,
            })
        }
    }
}

impl Connection {
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(ServerProcess::pid)
    }

    /// Whether the connection can still carry a request.
    pub fn is_alive(&self) -> bool {
        let exited = self
            .process
            .as_ref()
            .is_some_and(|p| p.exit_status().is_some());
        !exited && !self.peer.is_transport_closed()
    }

    /// Why the connection ended, for [`McpError::Stopped`].
    pub async fn describe_end(&self) -> String {
        match &self.process {
            Some(process) => {
                // the pipe usually closes a moment before the exit is reaped
                process.wait(Duration::from_millis(500)).await;
                process.settle().await;
                process.describe_end()
            }
            None => "the server closed the connection".into(),
        }
    }

    /// Refuses a remote server while offline (the HTTP client checks again).
    pub fn check_network(&self, network: &NetworkSwitch) -> Result<(), McpError> {
        match &self.remote {
            Some(origin) if network.is_offline() => Err(McpError::Offline {
                server: self.server.clone(),
                origin: origin.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// The server's tools, listed once and again after it says they changed.
    pub async fn tool_table(&self, options: &McpOptions) -> Result<Arc<ToolTable>, McpError> {
        let mut cached = self.tools.lock().await;
        let changed = self.tools_changed.swap(false, Ordering::SeqCst);
        if let (false, Some(table)) = (changed, cached.as_ref()) {
            return Ok(table.clone());
        }
        let listed = tokio::time::timeout(options.list_timeout, self.peer.list_all_tools()).await;
        let tools = match listed {
            Ok(Ok(tools)) => tools,
            Ok(Err(error)) => return Err(self.service_error(error, None).await),
            Err(_) => {
                return Err(McpError::Timeout {
                    server: self.server.clone(),
                    what: "list its tools".into(),
                    after: options.list_timeout,
                })
            }
        };
        let table = Arc::new(self.build_table(tools, options));
        *cached = Some(table.clone());
        Ok(table)
    }

    fn build_table(&self, tools: Vec<rmcp::model::Tool>, options: &McpOptions) -> ToolTable {
        let mut table = ToolTable {
            tools: Vec::new(),
            by_exposed: HashMap::new(),
        };
        let mut taken = HashSet::new();
        for tool in tools {
            let original = tool.name.to_string();
            // MCP names are 1 to 128 of [A-Za-z0-9_.-]; be lenient with other printable
            // characters, but a name with control characters would end up in messages
            // and logs (terminal escapes), so such a tool is left out
            if original.is_empty() || original.len() > 128 || original.chars().any(char::is_control)
            {
                tracing::warn!(server = %self.server, "MCP tool left out: its name is empty, too long or holds control characters");
                continue;
            }
            let schema = Value::Object((*tool.input_schema).clone());
            let schema_size = schema.to_string().len();
            if schema_size > options.max_schema_bytes {
                tracing::warn!(server = %self.server, tool = %original, schema_size, "MCP tool left out: its argument schema is too large");
                continue;
            }
            let mut exposed = names::exposed_name(&self.server, &original);
            let mut attempt = 0u32;
            while taken.contains(&exposed) {
                attempt += 1;
                let stem = exposed[self.server.len() + names::SEPARATOR.len()..].to_string();
                exposed = names::with_hash(&self.server, &stem, &format!("{attempt}:{original}"));
            }
            taken.insert(exposed.clone());
            let description = tool.description.as_deref().map(|d| {
                let (text, _) = cap_text(clean_text(d), options.max_description_bytes);
                text
            });
            let title = tool
                .title
                .clone()
                .or_else(|| tool.annotations.as_ref().and_then(|a| a.title.clone()))
                .map(|t| clean_text(&t));
            table.by_exposed.insert(exposed.clone(), original.clone());
            table.tools.push(McpTool {
                spec: ToolSpec {
                    name: exposed,
                    description,
                    parameters: schema,
                },
                server: self.server.clone(),
                tool: original,
                title,
            });
        }
        table
    }

    /// Calls the tool the model knows as `exposed`, within `options.call_timeout`.
    pub async fn call(
        &self,
        exposed: &str,
        arguments: Value,
        options: &McpOptions,
        network: &NetworkSwitch,
    ) -> Result<ToolOutcome, McpError> {
        let table = self.tool_table(options).await?;
        let Some(tool) = table.by_exposed.get(exposed).cloned() else {
            return Err(McpError::UnknownTool {
                server: self.server.clone(),
                tool: exposed[self.server.len() + names::SEPARATOR.len()..].to_string(),
            });
        };
        let arguments = match arguments {
            Value::Object(map) => map,
            Value::Null => serde_json::Map::new(),
            other => {
                return Err(McpError::InvalidArguments {
                    server: self.server.clone(),
                    tool,
                    got: json_kind(&other).into(),
                })
            }
        };
        self.check_network(network)?;
        let params = CallToolRequestParams::new(tool.clone()).with_arguments(arguments);
        // dropping the call on timeout makes rmcp tell the server it was cancelled
        let called = tokio::time::timeout(options.call_timeout, self.peer.call_tool(params)).await;
        let result = match called {
            Ok(Ok(result)) => result,
            Ok(Err(error)) => return Err(self.service_error(error, Some(&tool)).await),
            Err(_) => {
                return Err(McpError::Timeout {
                    server: self.server.clone(),
                    what: format!("answer the call to {tool}"),
                    after: options.call_timeout,
                })
            }
        };
        let is_error = result.is_error.unwrap_or(false);
        let json = serde_json::to_value(&result).unwrap_or(Value::Null);
        let (text, truncated) = cap_text(text_of(&json), options.max_result_bytes);
        Ok(ToolOutcome {
            server: self.server.clone(),
            tool,
            name: exposed.to_string(),
            text,
            is_error,
            truncated,
            raw: raw_for_audit(json, options.max_raw_bytes),
        })
    }

    async fn service_error(&self, error: ServiceError, tool: Option<&str>) -> McpError {
        let server = self.server.clone();
        match error {
            ServiceError::McpError(data) => {
                let message = cap_text(clean_text(&data.message), 2000).0;
                match tool {
                    Some(tool) => McpError::ToolRefused {
                        server,
                        tool: tool.to_string(),
                        message,
                    },
                    None => McpError::Transport {
                        server,
                        reason: format!("it answered with an error: {message}"),
                    },
                }
            }
            ServiceError::TransportClosed => McpError::Stopped {
                server,
                reason: self.describe_end().await,
            },
            other => {
                if root_cause(&other).contains(OFFLINE_REFUSAL) {
                    if let Some(origin) = &self.remote {
                        return McpError::Offline {
                            server,
                            origin: origin.to_string(),
                        };
                    }
                }
                let ended = match &self.process {
                    // a write to a dead pipe can fail before the exit is reaped
                    Some(process) => process.wait(Duration::from_millis(200)).await,
                    None => false,
                };
                if ended || self.peer.is_transport_closed() {
                    return McpError::Stopped {
                        server,
                        reason: self.describe_end().await,
                    };
                }
                McpError::Transport {
                    server,
                    reason: root_cause(&other),
                }
            }
        }
    }

    /// Ends the session (stdin closed, or the HTTP session deleted) and, for a stdio
    /// server, its program (see [`ServerProcess::stop`]).
    pub async fn close(&self, grace: Duration) {
        if let Some(mut service) = self.service.lock().await.take() {
            let _ = service.close_with_timeout(grace).await;
        }
        if let Some(process) = &self.process {
            process.stop(grace).await;
        }
    }
}

/// Returns once the hub is closing (or gone).
async fn until_closing(closing: &mut watch::Receiver<bool>) {
    // the guard `wait_for` returns is not Send: drop it here, not across an await
    let _ = closing.wait_for(|closing| *closing).await.is_ok();
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What actually went wrong under rmcp's layers ("Send message error Transport
/// [rmcp::…] error: Client error: error sending request"): the innermost cause,
/// looking inside reqwest's error too (rmcp does not expose it as a source), e.g.
/// "Connection refused (os error 111)" or the TLS library's complaint.
pub(crate) fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = error;
    let mut current = Some(error);
    while let Some(cause) = current {
        innermost = cause;
        // rmcp keeps some causes in fields it does not report as sources
        current = if let Some(ClientInitializeError::TransportError { error, .. }) =
            cause.downcast_ref::<ClientInitializeError>()
        {
            Some(error as _)
        } else if let Some(ServiceError::TransportSend(error)) =
            cause.downcast_ref::<ServiceError>()
        {
            Some(error as _)
        } else if let Some(StreamableHttpError::Client(inner)) =
            cause.downcast_ref::<StreamableHttpError<reqwest::Error>>()
        {
            Some(inner as _)
        } else {
            cause.source()
        };
    }
    clean_text(&innermost.to_string())
}
