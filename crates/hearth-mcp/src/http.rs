//! The HTTP side of streamable HTTP servers: a reqwest client that asks the offline
//! switch before every request, follows no redirect, and trusts the same roots as the
//! rest of Hearth.
//!
//! - Offline mode is checked on every request (the first POST, each call, the event
//!   stream's reconnections, the session's DELETE), not only when connecting, so a
//!   switch turned on mid-session stops the traffic at the next request.
//! - No redirects: a server on this computer could otherwise send the request, its
//!   headers (tokens) and tool arguments on to another machine, even while offline.
//! - TLS is rustls with ring and the Mozilla roots (webpki-roots), as ureq does for
//!   remote models: no second TLS library, no OpenSSL, the same trust on every OS.
//! - A server on this computer is reached directly; one elsewhere goes through the
//!   system's proxy settings like any other HTTPS request.

use std::collections::HashMap;
use std::sync::Arc;

use futures::stream::BoxStream;
use hearth_llm::NetworkSwitch;
use reqwest::header::{HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};

use crate::error::McpError;

/// A reqwest client for one server that refuses to send anything while Hearth is
/// offline, unless the server is on this computer.
#[derive(Clone)]
pub(crate) struct GuardedClient {
    inner: reqwest::Client,
    network: NetworkSwitch,
    /// Loopback servers are allowed offline: nothing leaves the machine.
    loopback: bool,
    server: Arc<str>,
}

impl GuardedClient {
    pub fn new(server: &str, loopback: bool, network: NetworkSwitch) -> Result<Self, McpError> {
        let fail = |reason: String| McpError::Connect {
            server: server.to_string(),
            reason,
        };
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(15));
        if loopback {
            builder = builder.no_proxy();
        }
        let inner = builder
            .build()
            .map_err(|e| fail(format!("the HTTP client could not be built: {e}")))?;
        Ok(Self {
            inner,
            network,
            loopback,
            server: server.into(),
        })
    }

    fn check_network(&self) -> Result<(), StreamableHttpError<reqwest::Error>> {
        if self.loopback || !self.network.is_offline() {
            return Ok(());
        }
        tracing::debug!(server = %self.server, "offline: MCP request not sent");
        Err(StreamableHttpError::Io(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            OFFLINE_REFUSAL,
        )))
    }
}

/// The text of the refusal above, recognised again when the error comes back up.
pub(crate) const OFFLINE_REFUSAL: &str = "Hearth is in offline mode";

impl StreamableHttpClient for GuardedClient {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        self.check_network()?;
        self.inner
            .post_message(uri, message, session_id, auth_header, custom_headers)
            .await
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        self.check_network()?;
        self.inner
            .post_message_with_max_sse_event_size(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        self.check_network()?;
        self.inner
            .post_message_with_response_limits(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                limits,
            )
            .await
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), StreamableHttpError<Self::Error>> {
        self.check_network()?;
        self.inner
            .delete_session(uri, session_id, auth_header, custom_headers)
            .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<
        BoxStream<'static, Result<sse_stream::Sse, SseError>>,
        StreamableHttpError<Self::Error>,
    > {
        self.check_network()?;
        self.inner
            .get_stream(uri, session_id, last_event_id, auth_header, custom_headers)
            .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<
        BoxStream<'static, Result<sse_stream::Sse, SseError>>,
        StreamableHttpError<Self::Error>,
    > {
        self.check_network()?;
        self.inner
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of request the transport makes is refused while offline, before any
    /// connection (or DNS lookup) to the remote server; a loopback one is not.
    #[test]
    fn offline_refuses_every_request_to_a_remote_server() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let network = NetworkSwitch::new(true);
        let client = GuardedClient::new("remote", false, network.clone()).unwrap();
        let uri: Arc<str> = "https://mcp.example.com/mcp".into();
        let ping: ClientJsonRpcMessage = serde_json::from_value(
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        )
        .unwrap();
        let refused = |error: StreamableHttpError<reqwest::Error>| {
            let text = error.to_string();
            assert!(text.contains(OFFLINE_REFUSAL), "{text}");
        };
        runtime.block_on(async {
            refused(
                client
                    .post_message(uri.clone(), ping.clone(), None, None, HashMap::new())
                    .await
                    .unwrap_err(),
            );
            refused(
                client
                    .post_message_with_response_limits(
                        uri.clone(),
                        ping.clone(),
                        None,
                        None,
                        HashMap::new(),
                        StreamableHttpResponseLimits::default(),
                    )
                    .await
                    .unwrap_err(),
            );
            refused(
                client
                    .get_stream(uri.clone(), Some("s".into()), None, None, HashMap::new())
                    .await
                    .err()
                    .unwrap(),
            );
            refused(
                client
                    .delete_session(uri.clone(), "s".into(), None, HashMap::new())
                    .await
                    .unwrap_err(),
            );
            // a loopback server is asked even offline: the refusal is not what comes back
            let local = GuardedClient::new("local", true, network.clone()).unwrap();
            let error = local
                .post_message(
                    "http://127.0.0.1:9/mcp".into(),
                    ping,
                    None,
                    None,
                    HashMap::new(),
                )
                .await
                .unwrap_err()
                .to_string();
            assert!(!error.contains(OFFLINE_REFUSAL), "{error}");
        });
    }
}
