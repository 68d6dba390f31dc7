//! The app API over IPC. The web view's transport sends the same requests it sends to
//! `hearth serve` in a browser (method, `/api/...` path, JSON body); these commands hand
//! them to the server's own handlers in process ([`hearth_server::in_process_api`]) —
//! no socket, no token — so every screen behaves as it does in the browser and each
//! feature is still one call on the `Hearth` facade. Streams come back through a
//! [`tauri::ipc::Channel`], one `{ event, data }` message per server-sent event; errors
//! reach the UI as `{ code, message, details }`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use serde::Serialize;
use serde_json::Value;
use tauri::ipc::Channel;
use tauri::State;
use tokio::sync::oneshot;
use tower::ServiceExt;

use crate::sse::{SseEvent, SseParser};
use crate::Desktop;

/// An error as the UI's transport expects it, the app API's own error body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommandError {
    pub code: String,
    pub message: String,
    pub details: Value,
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            details: Value::Object(Default::default()),
        }
    }

    fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            details: serde_json::json!({ "field": field }),
            ..Self::new("INVALID_REQUEST", message)
        }
    }
}

/// The server's handlers, reached without a socket, and the streams the UI may stop.
pub struct InProcessApi {
    router: axum::Router,
    jobs: Arc<hearth_server::state::Jobs>,
    streams: Mutex<HashMap<String, oneshot::Sender<()>>>,
}

impl InProcessApi {
    /// The handlers on `hearth`. A request naming a file or folder (a document to read,
    /// a collection's source, a workflow's input) must name it by a handle from
    /// `chosen` — what the dialogs and drops registered ([`crate::native`]); the
    /// handlers swap it for the path, and refuse any other string, such as a path the
    /// page made up, with `PATH_NOT_CHOSEN`.
    pub fn new(hearth: Arc<hearth_core::Hearth>, chosen: Arc<crate::native::ChosenPaths>) -> Self {
        let state = hearth_server::AppState::new(hearth).with_paths(
            hearth_server::state::PathInputs::Chosen(Arc::new(move |handle| chosen.path(handle))),
        );
        let jobs = state.jobs.clone();
        Self {
            router: hearth_server::in_process_api(state),
            jobs,
            streams: Mutex::default(),
        }
    }

    /// Sends one request through the handlers; a non-success status becomes the error
    /// the handler wrote.
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Response<Body>, CommandError> {
        let method = match method.to_ascii_uppercase().as_str() {
            "GET" => Method::GET,
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            other => {
                return Err(CommandError::invalid(
                    "method",
                    format!("`{other}` is not a method the app API takes; use GET, POST, PUT, PATCH or DELETE"),
                ))
            }
        };
        if !path.starts_with("/api/") {
            return Err(CommandError::invalid(
                "path",
                format!("`{path}` is not an app API path; they start with /api/"),
            ));
        }
        let mut request = Request::builder().method(method).uri(path);
        let body = match body {
            // A string is sent as it is (the UI's import sends a file's JSON text).
            Some(Value::String(text)) => Body::from(text),
            Some(value) => Body::from(value.to_string()),
            None => Body::empty(),
        };
        request = request.header(header::CONTENT_TYPE, "application/json");
        let request = request.body(body).map_err(|e| {
            CommandError::invalid("path", format!("`{path}` is not a valid path: {e}"))
        })?;
        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(error_from(response).await)
        }
    }

    /// Cancels every job still running (the window is closing).
    pub fn cancel_all(&self) {
        self.jobs.cancel_all();
    }
}

/// The error body a handler wrote, or one made from the status.
async fn error_from(response: Response<Body>) -> CommandError {
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    #[derive(serde::Deserialize)]
    struct Body {
        code: String,
        message: String,
        #[serde(default)]
        details: Value,
    }
    match serde_json::from_slice::<Body>(&bytes) {
        Ok(body) => CommandError {
            code: body.code,
            message: body.message,
            details: if body.details.is_null() {
                Value::Object(Default::default())
            } else {
                body.details
            },
        },
        Err(_) => CommandError::new(
            &format!("HTTP_{}", status.as_u16()),
            format!(
                "Hearth answered {status}: {}",
                String::from_utf8_lossy(&bytes).trim()
            ),
        ),
    }
}

async fn body_bytes(response: Response<Body>) -> Result<Vec<u8>, CommandError> {
    response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .map_err(|e| CommandError::new("INTERNAL", format!("the answer was cut off: {e}")))
}

/// A JSON request: the handler's JSON answer (null for 204).
#[tauri::command]
pub async fn api_request(
    desktop: State<'_, Desktop>,
    method: String,
    path: String,
    body: Option<Value>,
) -> Result<Value, CommandError> {
    let api = desktop.api()?;
    let response = api.send(&method, &path, body).await?;
    if response.status() == StatusCode::NO_CONTENT {
        return Ok(Value::Null);
    }
    let bytes = body_bytes(response).await?;
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| CommandError::new("INTERNAL", format!("the answer was not JSON: {e}")))
}

/// A download (an export): the body as text.
#[tauri::command]
pub async fn api_text(desktop: State<'_, Desktop>, path: String) -> Result<String, CommandError> {
    let api = desktop.api()?;
    let response = api.send("GET", &path, None).await?;
    String::from_utf8(body_bytes(response).await?)
        .map_err(|_| CommandError::new("INTERNAL", "the download was not UTF-8 text"))
}

/// A streamed request: each server-sent event goes to `on_event`; resolves when the
/// stream ends. `stream` names it for [`api_cancel`]. Stopping it — cancelled, or the
/// page that listened went away — drops the response, which cancels the job, as closing
/// the HTTP stream does.
#[tauri::command]
pub async fn api_stream(
    desktop: State<'_, Desktop>,
    stream: String,
    path: String,
    body: Option<Value>,
    on_event: Channel<SseEvent>,
) -> Result<(), CommandError> {
    let api = desktop.api()?;
    let (cancel, cancelled) = oneshot::channel();
    if let Ok(mut streams) = api.streams.lock() {
        streams.insert(stream.clone(), cancel);
    }
    let result = forward(&api, &path, body, cancelled, |event| {
        on_event.send(event).is_ok()
    })
    .await;
    if let Ok(mut streams) = api.streams.lock() {
        streams.remove(&stream);
    }
    if result.is_ok() {
        // The command's answer may reach the page before the channel's last messages:
        // this one tells the page that every event has arrived.
        let _ = on_event.send(SseEvent {
            event: STREAM_END.into(),
            data: String::new(),
        });
    }
    result
}

/// The event that closes every stream sent to the page.
pub const STREAM_END: &str = "__end__";

/// Reads the stream at `path` into `deliver` until it ends, `cancelled` fires, or
/// `deliver` says nobody listens any more.
pub async fn forward(
    api: &InProcessApi,
    path: &str,
    body: Option<Value>,
    mut cancelled: oneshot::Receiver<()>,
    mut deliver: impl FnMut(SseEvent) -> bool,
) -> Result<(), CommandError> {
    let response = api.send("POST", path, body).await?;
    let mut body = response.into_body();
    let mut parser = SseParser::default();
    loop {
        let frame = tokio::select! {
            _ = &mut cancelled => return Ok(()),
            frame = body.frame() => frame,
        };
        let Some(frame) = frame else {
            return Ok(());
        };
        let frame =
            frame.map_err(|e| CommandError::new("INTERNAL", format!("the stream broke: {e}")))?;
        if let Some(data) = frame.data_ref() {
            for event in parser.push(data) {
                if !deliver(event) {
                    return Ok(());
                }
            }
        }
    }
}

/// Stops a stream started by [`api_stream`]; false when it had already ended.
#[tauri::command]
pub fn api_cancel(desktop: State<'_, Desktop>, stream: String) -> bool {
    let Ok(api) = desktop.api() else {
        return false;
    };
    let cancel = api.streams.lock().ok().and_then(|mut s| s.remove(&stream));
    cancel.is_some_and(|cancel| cancel.send(()).is_ok())
}
