//! The desktop app's commands on Tauri's mock runtime: requests and errors through the
//! IPC layer exactly as the web view sends them (`get_ipc_response`), streams through a
//! `Channel` on the real default model (SmolLM2) and on the scripted fake (to stop one
//! mid-answer), and the app's lock-down as configured (capabilities, CSP).

#[path = "../../crates/hearth-llm/tests/support/mod.rs"]
#[allow(dead_code)]
mod models;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_core::{Hearth, Isolation, OpenOptions, Paths};
use hearth_desktop::api::{api_cancel, api_stream, STREAM_END};
use hearth_desktop::sse::SseEvent;
use hearth_desktop::Desktop;
use hearth_llm::fake::FakeEngine;
use hearth_llm::StopReason;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, Channel, InvokeBody, InvokeResponseBody};
use tauri::test::{mock_builder, MockRuntime, INVOKE_KEY};
use tauri::{Manager, WebviewWindow, WebviewWindowBuilder};

struct MockApp {
    app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    _home: tempfile::TempDir,
}

/// The app on the mock runtime, on a new home with SmolLM2 as the default model.
fn open(isolation: Isolation) -> MockApp {
    let config = format!(
        "default_model = {:?}\ncontext_length = 2048\n",
        models::smollm2().display().to_string()
    );
    open_with_config(&config, isolation)
}

/// The app on the mock runtime, its window open, on a new home with `config` as its
/// settings file, under the app's real configuration and capabilities.
fn open_with_config(config: &str, isolation: Isolation) -> MockApp {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    std::fs::create_dir_all(&paths.config).unwrap();
    std::fs::write(paths.config_file(), config).unwrap();
    let hearth = Hearth::open(OpenOptions {
        paths,
        isolation: Some(isolation),
    });
    let app = hearth_desktop::app(mock_builder(), Desktop::new(hearth))
        .build(hearth_desktop::context())
        .unwrap();
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    MockApp {
        app,
        window,
        _home: home,
    }
}

impl MockApp {
    /// A command sent the way the web view's `invoke` sends it.
    fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        tauri::test::get_ipc_response(
            &self.window,
            tauri::webview::InvokeRequest {
                cmd: command.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                // The app's own pages, where the capability applies (tauri://localhost on Linux).
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }

    fn request(&self, method: &str, path: &str, body: Value) -> Result<Value, Value> {
        self.invoke(
            "api_request",
            json!({ "method": method, "path": path, "body": body }),
        )
    }

    /// The conversation's (first) answer, as the history has it now.
    fn answer(&self, conversation: &str) -> Value {
        let view = self
            .request(
                "GET",
                &format!("/api/conversations/{conversation}"),
                Value::Null,
            )
            .unwrap();
        view["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["role"] == "assistant")
            .unwrap()
            .clone()
    }

    /// Runs `api_stream` with a channel that collects what the page would receive.
    fn stream(&self, id: &str, path: &str, body: Value) -> (Result<(), Value>, Vec<SseEvent>) {
        let (channel, received) = collecting_channel();
        let result = tauri::async_runtime::block_on(api_stream(
            self.app.state::<Desktop>(),
            id.into(),
            path.into(),
            Some(body),
            channel,
        ));
        let events = received.lock().unwrap().clone();
        (result.map_err(|e| serde_json::to_value(e).unwrap()), events)
    }
}

impl Drop for MockApp {
    /// Tauri keeps managed state until the process ends; stop the models now, as the app
    /// does on exit, so no engine thread is still running while the process tears down.
    fn drop(&mut self) {
        self.app.state::<Desktop>().shut_down();
    }
}

fn collecting_channel() -> (Channel<SseEvent>, Arc<Mutex<Vec<SseEvent>>>) {
    let received: Arc<Mutex<Vec<SseEvent>>> = Arc::default();
    let sink = received.clone();
    let channel = Channel::new(move |body| {
        let InvokeResponseBody::Json(json) = body else {
            panic!("events travel as JSON");
        };
        let event: Value = serde_json::from_str(&json).unwrap();
        sink.lock().unwrap().push(SseEvent {
            event: event["event"].as_str().unwrap().into(),
            data: event["data"].as_str().unwrap().into(),
        });
        Ok(())
    });
    (channel, received)
}

fn data(event: &SseEvent) -> Value {
    serde_json::from_str(&event.data).unwrap()
}

#[test]
fn requests_reach_the_app_api_and_errors_keep_their_shape() {
    let app = open(Isolation::InProcess);
    assert_eq!(
        app.request("GET", "/api/health", Value::Null).unwrap()["status"],
        "ok"
    );

    let created = app
        .request(
            "POST",
            "/api/conversations",
            json!({ "title": "From the desktop" }),
        )
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let listed = app
        .request("GET", "/api/conversations", Value::Null)
        .unwrap();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == id && c["title"] == "From the desktop"));
    // 204 answers come back as null.
    assert_eq!(
        app.request("DELETE", &format!("/api/conversations/{id}"), Value::Null)
            .unwrap(),
        Value::Null
    );

    let missing = app
        .request("GET", "/api/conversations/no-such-id", Value::Null)
        .unwrap_err();
    assert_eq!(missing["code"], "NOT_FOUND", "{missing}");
    assert!(missing["message"].as_str().unwrap().contains("no-such-id"));
    assert!(missing["details"].is_object());

    let invalid = app
        .request("POST", "/api/conversations", json!({ "title": 42 }))
        .unwrap_err();
    assert_eq!(invalid["code"], "INVALID_REQUEST", "{invalid}");
    assert_eq!(invalid["details"]["field"], "title");

    let method = app
        .request("TRACE", "/api/health", Value::Null)
        .unwrap_err();
    assert_eq!(method["details"]["field"], "method", "{method}");
    let outside = app.request("GET", "/v1/models", Value::Null).unwrap_err();
    assert_eq!(outside["details"]["field"], "path", "{outside}");
    assert!(outside["message"].as_str().unwrap().contains("/api/"));

    // Downloads come back as text.
    let export = app
        .invoke("api_text", json!({ "path": "/api/export?format=json" }))
        .unwrap();
    assert!(
        export.as_str().unwrap().contains("conversations"),
        "{export}"
    );
}

#[test]
fn a_chat_answer_streams_from_the_real_model_through_a_channel() {
    let app = open(Isolation::InProcess);
    let created = app
        .request("POST", "/api/conversations", json!({}))
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let (result, events) = app.stream(
        "s1",
        &format!("/api/conversations/{id}/messages"),
        json!({
            "content": "Name a colour of the sky.",
            "options": { "max_tokens": 12, "temperature": 0 }
        }),
    );
    result.unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names.first(), Some(&"started"), "{names:?}");
    assert!(names.contains(&"delta"), "{names:?}");
    assert_eq!(names[names.len() - 2], "finished", "{names:?}");
    assert_eq!(names.last(), Some(&STREAM_END), "{names:?}");
    let streamed: String = events
        .iter()
        .filter(|e| e.event == "delta")
        .map(|e| data(e)["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(!streamed.trim().is_empty());

    // The answer is in the history, as streamed.
    let answer = app.answer(&id);
    assert_eq!(answer["state"], "done");
    assert_eq!(answer["content"].as_str().unwrap(), streamed);
}

#[test]
fn a_stream_the_page_stops_stops_the_answer_and_keeps_what_was_written() {
    let fake = Arc::new(FakeEngine::new());
    let app = open(Isolation::Provided(fake.clone()));
    let id = app
        .request("POST", "/api/conversations", json!({}))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let model = std::thread::spawn(move || {
        let mut stream = fake.next_request(Duration::from_secs(60)).unwrap();
        stream.push("Half an ans");
        // The answer goes on until the page stops it; then it ends as an engine's does.
        while !stream.is_cancelled() {
            std::thread::sleep(Duration::from_millis(10));
        }
        stream.finish(StopReason::Cancelled);
    });
    let (channel, received) = collecting_channel();
    let stopper = {
        let window = app.window.clone();
        let received = received.clone();
        std::thread::spawn(move || {
            // Stop once the first words have reached the page.
            for _ in 0..6000 {
                if received.lock().unwrap().iter().any(|e| e.event == "delta") {
                    return api_cancel(window.state::<Desktop>(), "s2".into());
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            false
        })
    };
    tauri::async_runtime::block_on(api_stream(
        app.app.state::<Desktop>(),
        "s2".into(),
        format!("/api/conversations/{id}/messages"),
        Some(json!({ "content": "Tell me a long story." })),
        channel,
    ))
    .unwrap();
    let events = received.lock().unwrap().clone();
    assert!(stopper.join().unwrap(), "the stream was not stopped");
    model.join().unwrap();
    assert_eq!(events.first().unwrap().event, "started");
    assert_eq!(events.last().unwrap().event, STREAM_END);
    // Stopping a stream that has ended is a no-op.
    assert_eq!(
        app.invoke("api_cancel", json!({ "stream": "s2" })).unwrap(),
        false
    );

    // The answer is written as stopped once the turn has taken the engine's last event.
    let mut answer = app.answer(&id);
    for _ in 0..600 {
        if answer["state"] != "streaming" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        answer = app.answer(&id);
    }
    assert_eq!(answer["state"], "stopped", "{answer}");
    assert_eq!(answer["content"], "Half an ans");
}

#[test]
fn a_data_folder_that_cannot_open_is_reported_on_every_request() {
    let mock = open_with_config("context_length = \"lots\"\n", Isolation::InProcess);
    let error = mock
        .request("GET", "/api/conversations", Value::Null)
        .unwrap_err();
    assert_eq!(error["code"], "STARTUP_FAILED", "{error}");
    // The message names the file to fix.
    assert!(
        error["message"].as_str().unwrap().contains("config.toml"),
        "{error}"
    );
}

/// The page names files only by the handles the app gave for what the user chose (the
/// dialogs and drops register them through `native::choose`); a path the page made up
/// is refused, and even a chosen file is read only if it is a document outside Hearth's
/// own folders.
#[test]
fn only_files_the_user_chose_are_read_and_a_path_from_the_page_is_refused() {
    let mock = open_with_config("", Isolation::InProcess);
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.md");
    std::fs::write(&notes, "# Notes\n\nThe train leaves at nine.\n").unwrap();
    let key = dir.path().join("key.txt");
    std::fs::write(
        &key,
        "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END OPENSSH PRIVATE KEY-----\n",
    )
    .unwrap();

    // A path string from the page, even of a real document: refused, on every request
    // that takes a path, before anything is read.
    for (path, body) in [
        ("/api/documents/read", json!({ "path": notes })),
        ("/api/collections/Notes/add", json!({ "paths": [notes] })),
        (
            "/api/workflows/run",
            json!({ "name": "summarize-then-sentiment", "inputs": [{ "path": notes }] }),
        ),
    ] {
        let error = mock.request("POST", path, body).unwrap_err();
        assert_eq!(error["code"], "PATH_NOT_CHOSEN", "{path}: {error}");
        assert!(!error.to_string().contains("train"), "{error}");
    }
    let (result, _) = mock.stream("s1", "/api/summarize", json!({ "path": notes }));
    assert_eq!(result.unwrap_err()["code"], "PATH_NOT_CHOSEN");
    // A made-up handle is no better.
    let error = mock
        .request(
            "POST",
            "/api/documents/read",
            json!({ "path": "hearth-chosen:0000000000000000" }),
        )
        .unwrap_err();
    assert_eq!(error["code"], "PATH_NOT_CHOSEN", "{error}");

    // A file the user chose: the page holds its handle and name, never its path.
    let chosen = hearth_desktop::native::choose(mock.app.handle(), [notes.clone(), key.clone()]);
    assert_eq!(chosen[0].name, "notes.md");
    assert!(chosen[0]
        .handle
        .starts_with(hearth_desktop::native::HANDLE_PREFIX));
    assert!(!chosen[0].handle.contains("notes"), "{}", chosen[0].handle);
    assert_ne!(chosen[0].handle, chosen[1].handle);
    let read = mock
        .request(
            "POST",
            "/api/documents/read",
            json!({ "path": chosen[0].handle }),
        )
        .unwrap();
    assert!(
        read["markdown"].as_str().unwrap().contains("train leaves"),
        "{read}"
    );
    // Chosen, but a key: not a document.
    let error = mock
        .request(
            "POST",
            "/api/documents/read",
            json!({ "path": chosen[1].handle }),
        )
        .unwrap_err();
    assert_eq!(error["code"], "NOT_A_DOCUMENT", "{error}");
    assert!(!error.to_string().contains("c2VjcmV0"), "{error}");

    // Chosen, but in Hearth's own folders (through a link): never read.
    #[cfg(unix)]
    {
        let paths = mock
            .app
            .state::<Desktop>()
            .hearth()
            .unwrap()
            .paths()
            .clone();
        std::fs::create_dir_all(&paths.data).unwrap();
        std::fs::write(paths.data.join("kept.md"), "# Kept").unwrap();
        let link = dir.path().join("kept.md");
        std::os::unix::fs::symlink(paths.data.join("kept.md"), &link).unwrap();
        let chosen = hearth_desktop::native::choose(mock.app.handle(), [link]);
        let error = mock
            .request(
                "POST",
                "/api/documents/read",
                json!({ "path": chosen[0].handle }),
            )
            .unwrap_err();
        assert_eq!(error["code"], "HEARTH_FOLDER", "{error}");
    }
}

#[test]
fn the_web_view_may_call_only_the_commands_the_ui_uses() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let capability: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("capabilities/main-window.json")).unwrap(),
    )
    .unwrap();
    let permissions: Vec<&str> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let ui = std::fs::read_to_string(root.join("../ui/src/desktop.ts")).unwrap();
    for permission in &permissions {
        if let Some(command) = permission.strip_prefix("allow-") {
            let command = command.replace('-', "_");
            assert!(
                ui.contains(&format!("\"{command}\"")),
                "{permission} is granted but the UI never calls {command}"
            );
        } else {
            assert!(
                permission.starts_with("core:event:allow-"),
                "{permission} is more than the UI needs"
            );
        }
    }
    for forbidden in ["shell", "fs:", "http:", "process", "core:default", "opener"] {
        assert!(
            !permissions.iter().any(|p| p.contains(forbidden)),
            "{forbidden} must not be granted"
        );
    }

    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("tauri.conf.json")).unwrap())
            .unwrap();
    let csp = &config["app"]["security"]["csp"];
    assert_eq!(csp["script-src"], "'self'");
    assert_eq!(csp["frame-src"], "'none'");
    assert_eq!(csp["object-src"], "'none'");
    // Network only to Hearth itself, which inside the app is IPC.
    assert_eq!(csp["connect-src"], "ipc: http://ipc.localhost");
    for (directive, value) in csp.as_object().unwrap() {
        let value = value.as_str().unwrap();
        assert!(
            !value.contains("https:") && !value.contains('*') && !value.contains("unsafe-eval"),
            "{directive} allows {value}"
        );
    }
}

#[test]
fn a_command_outside_the_capability_is_refused() {
    let app = open(Isolation::InProcess);
    for command in [
        "plugin:dialog|open",
        "plugin:notification|notify",
        "plugin:window|close",
    ] {
        let refused = app.invoke(command, json!({})).unwrap_err();
        assert!(
            refused.as_str().unwrap_or_default().contains("not allowed"),
            "{command}: {refused}"
        );
    }
    // Granted ones pass the same gate.
    assert!(app.request("GET", "/api/health", Value::Null).is_ok());
}
