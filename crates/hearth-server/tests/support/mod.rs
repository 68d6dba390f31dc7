#![allow(dead_code)] // each test file uses a different part
//! A real server for tests: Hearth on a temporary folder with SmolLM2 (in process),
//! listening on a free loopback port, plus small helpers for JSON and SSE requests.

#[path = "../../../hearth-llm/tests/support/mod.rs"]
#[allow(dead_code)]
mod models;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use hearth_core::{Hearth, Isolation, OpenOptions, Paths};
use hearth_server::{AppState, RouterOptions, Token};
use serde_json::Value;

pub const TOKEN: &str = "hearth-test-token";

pub struct Server {
    pub base: String,
    pub addr: SocketAddr,
    pub hearth: Arc<Hearth>,
    pub client: reqwest::Client,
    pub jobs: Arc<hearth_server::state::Jobs>,
    _dir: tempfile::TempDir,
}

pub struct Setup {
    pub parallel: u32,
    pub options: RouterOptions,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            parallel: 2,
            options: RouterOptions::default(),
        }
    }
}

impl Setup {
    /// The default setup, with requests allowed to name documents by path
    /// (`hearth serve --allow-paths`).
    pub fn with_paths() -> Self {
        let mut setup = Setup::default();
        setup.options.allow_paths = true;
        setup
    }
}

/// Starts a server on the default model (SmolLM2) with `parallel` sequences.
pub async fn start(setup: Setup) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(
        paths.config_file(),
        format!(
            "default_model = {:?}\ncontext_length = 2048\nparallel = {}\n",
            models::smollm2().display().to_string(),
            setup.parallel
        ),
    )
    .unwrap();
    let hearth = Arc::new(
        Hearth::open(OpenOptions {
            paths,
            isolation: Some(Isolation::InProcess),
        })
        .unwrap(),
    );
    // The default model in the library, as `hearth models add` would leave it.
    hearth
        .add_model(&models::smollm2(), Some("smollm2"), false, true)
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(hearth.clone());
    let jobs = state.jobs.clone();
    let app = hearth_server::app(state, Token::fixed(TOKEN), addr, &setup.options).unwrap();
    tokio::spawn(hearth_server::serve(listener, app, std::future::pending()));
    Server {
        base: format!("http://{addr}"),
        addr,
        hearth,
        // A fresh connection per request: after a refused body (413, a malformed
        // upload) the server closes the connection without reading the rest, and a
        // pooled client could send the next request into that closing socket.
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap(),
        jobs,
        _dir: dir,
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn post(&self, path: &str, body: Value) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(path))
            .bearer_auth(TOKEN)
            .json(&body)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(TOKEN)
    }

    /// POSTs and returns the status and the JSON body.
    pub async fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        status_and_json(self.post(path, body).send().await.unwrap()).await
    }

    /// PUTs and returns the status and the JSON body.
    pub async fn put_json(&self, path: &str, body: Value) -> (u16, Value) {
        self.send_json(reqwest::Method::PUT, path, body).await
    }

    /// PATCHes and returns the status and the JSON body.
    pub async fn patch_json(&self, path: &str, body: Value) -> (u16, Value) {
        self.send_json(reqwest::Method::PATCH, path, body).await
    }

    async fn send_json(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(TOKEN)
            .json(&body);
        status_and_json(request.send().await.unwrap()).await
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        status_and_json(self.get(path).send().await.unwrap()).await
    }
}

/// A response's status and its JSON body (`null` when it has none).
pub async fn status_and_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub name: Option<String>,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {}", self.data))
    }
}

/// Reads a whole event stream.
pub async fn read_events(response: reqwest::Response) -> Vec<SseEvent> {
    assert_eq!(response.status().as_u16(), 200, "expected an event stream");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    parse_events(&text)
}

pub fn parse_events(text: &str) -> Vec<SseEvent> {
    let mut events = Vec::new();
    for block in text.split("\n\n") {
        let mut name = None;
        let mut data = Vec::new();
        for line in block.lines() {
            if let Some(value) = line.strip_prefix("event:") {
                name = Some(value.trim().to_owned());
            } else if let Some(value) = line.strip_prefix("data:") {
                data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
            }
        }
        if !data.is_empty() {
            events.push(SseEvent {
                name,
                data: data.join("\n"),
            });
        }
    }
    events
}

#[allow(dead_code)]
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A built UI of one page and one script.
pub fn ui_dir() -> tempfile::TempDir {
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(
        ui.path().join("index.html"),
        "<!doctype html><html><head><title>Hearth</title></head><body></body></html>",
    )
    .unwrap();
    std::fs::create_dir(ui.path().join("assets")).unwrap();
    std::fs::write(ui.path().join("assets/app.js"), "console.log('hi')").unwrap();
    ui
}
