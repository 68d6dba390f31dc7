//! The app's `/api` on the real default model: a conversation streamed, stored, found
//! by search, regenerated, edited and switched between branches; export and import;
//! personas; settings validation; models; summarize and translate jobs with progress
//! and cancellation; CORS; the OpenAPI document; the UI page with its token.

use crate::support;

use hearth_server::RouterOptions;
use serde_json::{json, Value};
use support::{read_events, start, Setup, SseEvent, TOKEN};

fn named<'a>(events: &'a [SseEvent], name: &str) -> Vec<&'a SseEvent> {
    events
        .iter()
        .filter(|e| e.name.as_deref() == Some(name))
        .collect()
}

/// A file from `.testdata` as `data_base64` for an upload.
fn test_file_base64(relative: &str) -> String {
    use base64::Engine as _;
    let path = support::repo_root().join(".testdata").join(relative);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run scripts/fetch-test-docs.sh and scripts/fetch-ocr-samples.sh",
            path.display()
        )
    });
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn turn(server: &support::Server, path: &str, body: Value) -> Vec<SseEvent> {
    read_events(server.post(path, body).send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_streams_is_stored_found_regenerated_edited_and_branched() {
    let server = start(Setup::default()).await;
    let (status, conversation) = server
        .post_json("/api/conversations", json!({ "title": "Geography" }))
        .await;
    assert_eq!(status, 201, "{conversation}");
    let id = conversation["id"].as_str().unwrap().to_owned();

    let events = turn(
        &server,
        &format!("/api/conversations/{id}/messages"),
        json!({ "content": "What is the capital of Portugal?", "options": { "max_tokens": 24, "temperature": 0 } }),
    )
    .await;
    let started = named(&events, "started")[0].json();
    assert_eq!(
        started["user_message"]["content"],
        "What is the capital of Portugal?"
    );
    let answer_id = started["answer_id"].as_str().unwrap().to_owned();
    let deltas: String = named(&events, "delta")
        .iter()
        .map(|e| e.json()["text"].as_str().unwrap().to_owned())
        .collect();
    let finished = named(&events, "finished")[0].json();
    assert_eq!(finished["message"]["id"], answer_id.as_str());
    assert_eq!(finished["message"]["state"], "done");
    assert_eq!(finished["message"]["content"], deltas.as_str());

    // Stored: reopening shows the question and the answer.
    let (_, view) = server.get_json(&format!("/api/conversations/{id}")).await;
    let messages = view["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["content"], deltas.as_str());

    // Found by search, with the hit marked.
    let (status, hits) = server.get_json("/api/search?q=Portugal").await;
    assert_eq!(status, 200, "{hits}");
    let hit = &hits[0];
    assert_eq!(hit["conversation_id"], id.as_str());
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>Portugal</mark>"),
        "{hit}"
    );
    let (status, error) = server.get_json("/api/search?q=").await;
    assert_eq!(
        (status, error["details"]["field"].as_str()),
        (400, Some("q"))
    );

    // Regenerating makes a sibling answer; the view lists both for the switcher.
    let events = turn(
        &server,
        &format!("/api/messages/{answer_id}/regenerate"),
        json!({ "options": { "max_tokens": 12, "temperature": 0.9, "seed": 3 } }),
    )
    .await;
    let second = named(&events, "finished")[0].json()["message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, view) = server.get_json(&format!("/api/conversations/{id}")).await;
    assert_eq!(view["messages"][1]["id"], second.as_str());
    assert_eq!(
        view["siblings"][&second],
        json!([answer_id.clone(), second.clone()])
    );

    // Switching back shows the first answer again.
    let (status, view) = server
        .post_json(
            &format!("/api/conversations/{id}/branch"),
            json!({ "message_id": answer_id }),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["messages"][1]["id"], answer_id.as_str());

    // Editing the question starts a new branch from it.
    let question_id = view["messages"][0]["id"].as_str().unwrap().to_owned();
    let events = turn(
        &server,
        &format!("/api/messages/{question_id}/edit"),
        json!({ "content": "What is the capital of Spain?", "options": { "max_tokens": 12 } }),
    )
    .await;
    assert_eq!(named(&events, "finished").len(), 1);
    let (_, view) = server.get_json(&format!("/api/conversations/{id}")).await;
    assert_eq!(
        view["messages"][0]["content"],
        "What is the capital of Spain?"
    );
    assert_eq!(
        view["siblings"][view["messages"][0]["id"].as_str().unwrap()]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Rename, pin; the list shows it.
    let (status, changed) = server
        .client
        .patch(server.url(&format!("/api/conversations/{id}")))
        .bearer_auth(TOKEN)
        .json(&json!({ "title": "Capitals", "pinned": true }))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(status, 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(
        (changed["title"].as_str(), changed["pinned"].as_bool()),
        (Some("Capitals"), Some(true))
    );
    let (_, list) = server.get_json("/api/conversations").await;
    assert_eq!(list[0]["title"], "Capitals");

    // An empty message is refused before anything is stored.
    let (status, error) = server
        .post_json(
            &format!("/api/conversations/{id}/messages"),
            json!({ "content": "  " }),
        )
        .await;
    assert_eq!(
        (status, error["details"]["field"].as_str()),
        (400, Some("content"))
    );
    let (status, error) = server
        .post_json(
            "/api/conversations/nope/messages",
            json!({ "content": "hi" }),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (404, Some("NOT_FOUND")),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn loaded_models_are_listed_and_unloaded_by_id() {
    let server = start(Setup::default()).await;
    let (_, conversation) = server.post_json("/api/conversations", json!({})).await;
    let path = format!(
        "/api/conversations/{}/messages",
        conversation["id"].as_str().unwrap()
    );
    let hi = json!({ "content": "Hi", "options": { "max_tokens": 2, "temperature": 0 } });
    turn(&server, &path, hi.clone()).await;

    let (status, loaded) = server.get_json("/api/models/loaded").await;
    assert_eq!(status, 200, "{loaded}");
    let models = loaded["models"].as_array().unwrap();
    assert_eq!(models.len(), 1, "{loaded}");
    assert!(models[0]["memory"]["ram"].as_u64().unwrap() > 0, "{loaded}");
    assert_eq!(loaded["used_bytes"], models[0]["memory"]["ram"], "{loaded}");
    assert!(loaded["budget_bytes"].as_u64().unwrap() > 0, "{loaded}");
    let id = models[0]["id"].as_str().unwrap().to_owned();

    // An id is compared with the loaded models' ids, never read as a path.
    let (status, error) = server
        .post_json("/api/models/loaded/unload", json!({ "id": "/etc/passwd" }))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (404, Some("NOT_LOADED")),
        "{error}"
    );
    // The title is written in the background after the answer: until it is, the model
    // is busy and unloading it is refused, never done under the running answer.
    loop {
        let (status, body) = server
            .post_json("/api/models/loaded/unload", json!({ "id": id }))
            .await;
        if status == 204 {
            break;
        }
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("MODEL_BUSY")),
            "{body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, loaded) = server.get_json("/api/models/loaded").await;
    assert_eq!(loaded["models"], json!([]), "{loaded}");

    // The next answer loads it again.
    let events = turn(&server, &path, hi).await;
    assert_eq!(named(&events, "finished").len(), 1);
    let (_, loaded) = server.get_json("/api/models/loaded").await;
    assert_eq!(loaded["models"][0]["id"], id.as_str(), "{loaded}");
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_the_stream_stops_the_answer_and_keeps_what_was_written() {
    let server = start(Setup::default()).await;
    let (_, conversation) = server.post_json("/api/conversations", json!({})).await;
    let id = conversation["id"].as_str().unwrap();
    let mut response = server
        .post(
            &format!("/api/conversations/{id}/messages"),
            json!({ "content": "Write a very long story about a lighthouse keeper.", "options": { "max_tokens": 400, "temperature": 0 } }),
        )
        .send()
        .await
        .unwrap();
    let mut seen = String::new();
    while seen.matches("event: delta").count() < 3 {
        let chunk = response.chunk().await.unwrap().expect("stream ended early");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    drop(response);
    // The answer's final state is written when the turn ends; wait for it.
    let answer = loop {
        let (_, view) = server.get_json(&format!("/api/conversations/{id}")).await;
        let answer = view["messages"][1].clone();
        if answer["state"] != "streaming" {
            break answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(answer["state"], "stopped", "{answer}");
    assert!(!answer["content"].as_str().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn export_import_personas_settings_and_models() {
    let server = start(Setup::default()).await;
    let (status, persona) = server
        .post_json(
            "/api/personas",
            json!({ "name": "Pirate", "system_prompt": "You talk like a pirate." }),
        )
        .await;
    assert_eq!(status, 201, "{persona}");
    let (status, _) = server
        .post_json(
            "/api/personas",
            json!({ "name": "pirate", "system_prompt": "again" }),
        )
        .await;
    assert_eq!(status, 409, "persona names are unique");
    let (_, conversation) = server
        .post_json("/api/conversations", json!({ "persona_id": persona["id"] }))
        .await;
    assert_eq!(conversation["system_prompt"], "You talk like a pirate.");

    let exported = server.get("/api/export?format=json").send().await.unwrap();
    assert_eq!(exported.status(), 200);
    assert!(exported.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let export_text = exported.text().await.unwrap();
    let response = server
        .client
        .post(server.url("/api/import?new_ids=true"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(export_text.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, list) = server.get_json("/api/conversations").await;
    assert_eq!(list.as_array().unwrap().len(), 2, "the import made a copy");
    let response = server
        .client
        .post(server.url("/api/import"))
        .bearer_auth(TOKEN)
        .body(export_text)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409, "the same ids again are refused");
    let markdown = server
        .get("/api/export?format=markdown")
        .send()
        .await
        .unwrap();
    assert!(markdown.text().await.unwrap().starts_with('#'));
    let (status, error) = server.get_json("/api/export?format=pdf").await;
    assert_eq!(
        (status, error["details"]["field"].as_str()),
        (400, Some("format"))
    );

    let (status, settings) = server.get_json("/api/settings").await;
    assert_eq!(status, 200);
    assert_eq!(settings["parallel"], 2);
    // Each change is the settings GET returned with one field changed.
    let changed = |field: &[&str], value: Value| {
        let mut changed = settings.clone();
        let mut at = &mut changed;
        for key in &field[..field.len() - 1] {
            at = &mut at[*key];
        }
        at[field[field.len() - 1]] = value;
        changed
    };
    let (status, error) = server
        .put_json("/api/settings", changed(&["sampling", "top_p"], json!(7)))
        .await;
    assert_eq!(status, 400);
    assert_eq!(error["details"]["field"], "sampling.top_p");
    // A draft model is named by library id, never by a path the loader would open.
    for path in ["/home/user/.ssh/id_rsa", "../secret.gguf", "model.gguf"] {
        let (status, error) = server
            .put_json("/api/settings", changed(&["draft_model"], json!(path)))
            .await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(error["details"]["field"], "draft_model", "{path}");
    }
    let (status, _) = server
        .put_json("/api/settings", changed(&["colour"], json!("blue")))
        .await;
    assert_eq!(status, 400);
    let (status, _) = server
        .put_json(
            "/api/settings",
            changed(&["sampling", "temperature"], json!(0.5)),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(server.hearth.config().sampling.temperature, 0.5);
    let (status, _) = server
        .put_json("/api/settings", changed(&["draft_model"], json!("auto")))
        .await;
    assert_eq!(status, 200);
    assert_eq!(server.hearth.config().draft_model.as_deref(), Some("auto"));

    let (status, models) = server.get_json("/api/models").await;
    assert_eq!(status, 200);
    let model = &models[0];
    assert_eq!(model["id"], "smollm2");
    assert_eq!(model["is_default"], true);
    assert_eq!(model["summary"]["architecture"], "llama");
    assert!(model["details"]["memory"].is_object(), "{model}");
    // Paths are off on this server: a model is not added by its path.
    let (status, error) = server
        .post_json("/api/models", json!({ "path": "/nonexistent/model.gguf" }))
        .await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(error["code"], "PATHS_DISABLED", "{error}");
    assert_eq!(error["details"]["field"], "path");
    let (status, error) = server.get_json("/api/models/nope").await;
    assert_eq!(status, 404, "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_is_summarized_with_references_and_text_is_translated() {
    let server = start(Setup::default()).await;
    let data = test_file_base64("pdf-parse/04-valid.pdf");
    let events = turn(
        &server,
        "/api/summarize",
        json!({ "name": "report.pdf", "data_base64": data, "style": "bullets", "length": "short" }),
    )
    .await;
    assert!(named(&events, "error").is_empty(), "{events:?}");
    let document = named(&events, "document")[0].json();
    assert_eq!(document["format"], "pdf");
    assert!(document["pages"].as_u64().unwrap() >= 1);
    assert!(!named(&events, "progress").is_empty());
    let summary = &named(&events, "done")[0].json()["summary"];
    let parts = summary["parts"].as_array().unwrap();
    assert!(!parts.is_empty());
    let points = summary["points"].as_array().unwrap();
    assert!(!points.is_empty());
    assert!(
        points
            .iter()
            .all(|p| !p["parts"].as_array().unwrap().is_empty()),
        "every point has a source"
    );
    let text = summary["text"].as_str().unwrap();
    assert!(
        text.contains("[p. ") || text.contains("[pp. "),
        "page references: {text}"
    );

    let events = turn(
        &server,
        "/api/translate",
        json!({ "text": "# Welcome\n\nThe weather is nice today.", "to": "fr", "from": "en",
                "glossary": [{ "term": "weather", "translation": "temps" }] }),
    )
    .await;
    assert!(named(&events, "error").is_empty(), "{events:?}");
    let translation = &named(&events, "done")[0].json()["translation"];
    assert!(
        translation["text"].as_str().unwrap().starts_with("# "),
        "the heading is kept"
    );
    let units = translation["units"].as_array().unwrap();
    assert!(units
        .iter()
        .any(|u| u["source"].as_str().unwrap().contains("weather")));
    assert_eq!(translation["to"]["code"], "fr");

    for (body, field) in [
        (json!({ "text": "hi", "to": "klingonese" }), "to"),
        (
            json!({ "name": "x.exe", "data_base64": "AAAA", "to": "fr" }),
            "name",
        ),
        (
            json!({ "data_base64": "!!!", "name": "a.pdf", "to": "fr" }),
            "data_base64",
        ),
        (json!({ "to": "fr" }), "text"),
        (
            json!({ "text": "hi", "to": "fr", "glossary": [{ "term": "", "translation": "x" }] }),
            "glossary[0]",
        ),
        (json!({ "text": "hi", "to": "fr", "best_of": 0 }), "best_of"),
        (json!({ "text": "hi", "to": "fr", "best_of": 9 }), "best_of"),
    ] {
        let (status, error) = server.post_json("/api/translate", body.clone()).await;
        assert_eq!(status, 400, "{body} -> {error}");
        assert_eq!(error["details"]["field"], field, "{body} -> {error}");
    }
    let (status, error) = server
        .post_json("/api/summarize", json!({ "text": "hi", "style": "haiku" }))
        .await;
    assert_eq!(
        (status, error["details"]["field"].as_str()),
        (400, Some("style"))
    );
}

/// The default model (SmolLM2, English only) asked for German: the done event marks every
/// unit as not translated and carries the advice of a multilingual model.
#[tokio::test(flavor = "multi_thread")]
async fn a_translation_the_model_could_not_make_is_marked_with_advice() {
    // One sequence at a time: the same answers on every run.
    let server = start(Setup {
        parallel: 1,
        ..Setup::default()
    })
    .await;
    let text = "Upon starting the system, you are presented with the character based login \
                screen if you did not install any graphical environment such as GNOME or KDE.\n\n\
                Midnight Commander takes care of all file operations through its menu, requiring \
                minimal user effort. Just press F1 to get the help screen.";
    let events = turn(
        &server,
        "/api/translate",
        json!({ "text": text, "to": "German", "from": "en" }),
    )
    .await;
    assert!(named(&events, "error").is_empty(), "{events:?}");
    let translation = &named(&events, "done")[0].json()["translation"];
    let units = translation["units"].as_array().unwrap();
    assert_eq!(units.len(), 2);
    for unit in units {
        assert!(unit["not_translated"]["kind"].is_string(), "{unit}");
    }
    assert_eq!(translation["not_translated"], 2);
    let advice = &translation["advice"];
    assert!(
        advice["message"].as_str().unwrap().contains("German"),
        "{advice}"
    );
    assert!(
        advice["model"].is_string() || advice["pull"].is_string(),
        "{advice}"
    );
}

/// What the desktop app's open dialog and drops send: a document by its path, read by
/// Hearth from there (no bytes over the wire), for reading, summarizing and translating.
#[tokio::test(flavor = "multi_thread")]
async fn a_document_given_by_its_path_is_read_summarized_and_translated() {
    let server = start(Setup::with_paths()).await;
    let pdf = support::repo_root().join(".testdata/pdf-parse/04-valid.pdf");
    assert!(pdf.is_file(), "run scripts/fetch-test-docs.sh");
    let (status, read) = server
        .post_json("/api/documents/read", json!({ "path": pdf }))
        .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["format"], "pdf");
    assert!(read["characters"].as_u64().unwrap() > 100);

    // Summarized by its path: a short file (summarizing the PDF itself is
    // `a_document_is_summarized_with_references_and_text_is_translated`'s work).
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "Good morning.\nThe train leaves at nine.\n").unwrap();
    let events = turn(
        &server,
        "/api/summarize",
        json!({ "path": notes, "style": "tldr", "length": "short" }),
    )
    .await;
    assert!(named(&events, "error").is_empty(), "{events:?}");
    assert_eq!(named(&events, "document")[0].json()["format"], "text");
    assert!(!named(&events, "done").is_empty());
    let events = turn(
        &server,
        "/api/translate",
        json!({ "path": notes, "to": "fr", "from": "en" }),
    )
    .await;
    assert!(named(&events, "error").is_empty(), "{events:?}");
    let translation = &named(&events, "done")[0].json()["translation"];
    // A .txt file is translated as written: its two lines stay two lines.
    assert_eq!(
        translation["text"].as_str().unwrap().trim().lines().count(),
        2,
        "{translation}"
    );

    let (status, error) = server
        .post_json(
            "/api/documents/read",
            json!({ "path": notes, "text": "also this" }),
        )
        .await;
    assert_eq!(
        (status, error["details"]["field"].as_str()),
        (400, Some("path")),
        "{error}"
    );
    let missing = dir.path().join("gone.pdf");
    let (status, error) = server
        .post_json("/api/documents/read", json!({ "path": missing }))
        .await;
    assert_eq!(status / 100, 4, "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("gone.pdf"),
        "{error}"
    );
    let (status, error) = server
        .post_json(
            "/api/summarize",
            json!({ "path": notes, "data_base64": "AAAA" }),
        )
        .await;
    assert_eq!(
        (status, error["details"]["field"].as_str()),
        (400, Some("path")),
        "{error}"
    );
}

/// A private key, with the material a leak would show.
const SECRET: &str = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW";

fn private_key() -> String {
    format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}\n-----END OPENSSH PRIVATE KEY-----\n")
}

/// POSTs and returns the status, the body as text (streams whole) and the error code:
/// the body's own, or the `error` event's in a stream.
async fn post_raw(server: &support::Server, path: &str, body: Value) -> (u16, String, String) {
    let response = server.post(path, body).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let code = match serde_json::from_str::<Value>(&text) {
        Ok(error) => error["code"].as_str().unwrap_or_default().to_owned(),
        Err(_) => support::parse_events(&text)
            .iter()
            .find(|e| e.name.as_deref() == Some("error"))
            .map(|e| e.json()["code"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default(),
    };
    (status, text, code)
}

/// Every request that names a path on the server's computer, naming `path`.
fn path_requests(path: &std::path::Path) -> Vec<(&'static str, Value)> {
    vec![
        ("/api/documents/read", json!({ "path": path })),
        ("/api/summarize", json!({ "path": path, "style": "tldr" })),
        ("/api/translate", json!({ "path": path, "to": "fr" })),
        ("/api/collections/Keys/add", json!({ "paths": [path] })),
        (
            "/api/workflows/run",
            json!({ "name": "summarize-then-sentiment", "inputs": [{ "path": path }] }),
        ),
        (
            "/api/generate",
            json!({ "schema": { "type": "object" }, "count": 1, "source": { "path": path } }),
        ),
    ]
}

/// By default the server reads no file by its path, whatever the file: the request is
/// refused before anything is read, and the refusal says what to do instead.
#[tokio::test(flavor = "multi_thread")]
async fn by_default_no_request_reads_a_file_by_its_path() {
    let server = start(Setup::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    std::fs::write(&key, private_key()).unwrap();
    let notes = dir.path().join("notes.md");
    std::fs::write(&notes, "# Notes\n\nThe train leaves at nine.\n").unwrap();
    for file in [&key, &notes] {
        for (endpoint, body) in path_requests(file) {
            let (status, text, code) = post_raw(&server, endpoint, body).await;
            assert_eq!(
                (status, code.as_str()),
                (403, "PATHS_DISABLED"),
                "{endpoint}: {text}"
            );
            assert!(
                !text.contains(SECRET) && !text.contains("train"),
                "{endpoint}: {text}"
            );
            assert!(
                text.contains("--allow-paths") && text.contains("upload"),
                "{text}"
            );
        }
    }
    // Uploads still work.
    let (status, read) = server
        .post_json(
            "/api/documents/read",
            json!({ "name": "notes.md", "text": "# Notes\n\nHi." }),
        )
        .await;
    assert_eq!(status, 200, "{read}");
}

/// With paths allowed, only documents are read: by name and by content, never a secret,
/// never anything in Hearth's own folders, not even through a link or `..`.
#[cfg(unix)] // links
#[tokio::test(flavor = "multi_thread")]
async fn with_paths_allowed_only_documents_outside_hearths_folders_are_read() {
    let server = start(Setup::with_paths()).await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    std::fs::write(&key, private_key()).unwrap();
    let key_txt = dir.path().join("key.txt");
    std::fs::write(&key_txt, private_key()).unwrap();
    let bare = dir.path().join("notes");
    std::fs::write(&bare, "Plain notes with no extension.\n").unwrap();
    let env = dir.path().join("settings.txt");
    std::fs::write(&env, "OPENAI_API_KEY=sk-live-123\nDB_PASSWORD=hunter2\n").unwrap();
    let binary = dir.path().join("photo.txt");
    std::fs::write(&binary, (0..=255u8).cycle().take(4096).collect::<Vec<u8>>()).unwrap();

    // Refused by name, before anything is read, on every request.
    for file in [&key, &bare] {
        for (endpoint, body) in path_requests(file) {
            let (status, text, code) = post_raw(&server, endpoint, body).await;
            assert_eq!(
                (status, code.as_str()),
                (400, "NOT_A_DOCUMENT"),
                "{endpoint}: {text}"
            );
            assert!(!text.contains(SECRET), "{endpoint}: {text}");
        }
    }
    // Named as a document, refused by content.
    for (file, want) in [
        (&key_txt, "NOT_A_DOCUMENT"),
        (&env, "NOT_A_DOCUMENT"),
        (&binary, "NOT_TEXT"),
    ] {
        let (status, text, code) =
            post_raw(&server, "/api/documents/read", json!({ "path": file })).await;
        assert_eq!(
            (status, code.as_str()),
            (400, want),
            "{}: {text}",
            file.display()
        );
        assert!(
            !text.contains(SECRET) && !text.contains("hunter2"),
            "{text}"
        );
    }
    // The model loader opens only *.gguf names: a secret is not probed through it (a
    // bad header's error would quote the file's first bytes).
    let (_, conversation) = server.post_json("/api/conversations", json!({})).await;
    let adapter_url = format!(
        "/api/conversations/{}",
        conversation["id"].as_str().unwrap()
    );
    for file in [&key, &env] {
        let (status, text, code) = post_raw(&server, "/api/models", json!({ "path": file })).await;
        assert_eq!((status, code.as_str()), (400, "NOT_A_GGUF_NAME"), "{text}");
        assert!(
            !text.contains("hunter2") && !text.contains("BEGIN"),
            "{text}"
        );
        let refused = server
            .client
            .patch(server.url(&adapter_url))
            .bearer_auth(TOKEN)
            .json(&json!({ "adapter": { "path": file } }))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status().as_u16(), 400);
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["code"], "NOT_A_GGUF_NAME", "{body}");
        assert_eq!(body["details"]["field"], "adapter.path", "{body}");
    }
    let (status, error) = server
        .post_json("/api/models", json!({ "path": "/nonexistent/model.gguf" }))
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["details"]["field"], "path");

    for (endpoint, body) in [
        (
            "/api/summarize",
            json!({ "path": key_txt, "style": "tldr" }),
        ),
        ("/api/translate", json!({ "path": key_txt, "to": "fr" })),
    ] {
        let (_, text, code) = post_raw(&server, endpoint, body).await;
        assert_eq!(code, "NOT_A_DOCUMENT", "{endpoint}: {text}");
        assert!(!text.contains(SECRET), "{endpoint}: {text}");
    }

    // Real documents are read.
    let notes = dir.path().join("notes.md");
    std::fs::write(&notes, "# Notes\n\nThe train leaves at nine.\n").unwrap();
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, "Good morning.\nThe bus is late.\n").unwrap();
    for (file, text) in [(&notes, "train leaves"), (&plain, "bus is late")] {
        let (status, read) = server
            .post_json("/api/documents/read", json!({ "path": file }))
            .await;
        assert_eq!(status, 200, "{read}");
        assert!(read["markdown"].as_str().unwrap().contains(text), "{read}");
    }

    // Hearth's own folders: the server's token file, and a document put there, directly,
    // through links from elsewhere, and through `..`.
    let paths = server.hearth.paths().clone();
    let token_file = paths.config.join("server-token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let inside = paths.data.join("kept.md");
    std::fs::write(&inside, "# Kept\n\nHearth's own file.\n").unwrap();
    let token_link = dir.path().join("token.txt");
    std::os::unix::fs::symlink(&token_file, &token_link).unwrap();
    let doc_link = dir.path().join("kept.md");
    std::os::unix::fs::symlink(&inside, &doc_link).unwrap();
    let folder_link = dir.path().join("hearth-data");
    std::os::unix::fs::symlink(&paths.data, &folder_link).unwrap();
    let mut dotted = dir.path().to_path_buf();
    for _ in dir.path().components().skip(1) {
        dotted.push("..");
    }
    let dotted = dotted
        .join(paths.data.strip_prefix("/").unwrap())
        .join("kept.md");
    for (file, want) in [
        (&token_file, "NOT_A_DOCUMENT"),
        (&token_link, "NOT_A_DOCUMENT"),
        (&inside, "HEARTH_FOLDER"),
        (&doc_link, "HEARTH_FOLDER"),
        (&folder_link.join("kept.md"), "HEARTH_FOLDER"),
        (&dotted, "HEARTH_FOLDER"),
    ] {
        for (endpoint, body) in path_requests(file) {
            let (status, text, code) = post_raw(&server, endpoint, body).await;
            assert_eq!(code, want, "{endpoint} {}: {text}", file.display());
            assert!(status == 200 || status / 100 == 4, "{endpoint}: {status}");
            assert!(
                !text.contains(TOKEN) && !text.contains("own file"),
                "{endpoint}: {text}"
            );
        }
    }
    // A folder that leads into Hearth's data folder is not indexed or run on either.
    for (endpoint, body) in [
        (
            "/api/collections/Keys/add",
            json!({ "paths": [folder_link] }),
        ),
        (
            "/api/workflows/run",
            json!({ "name": "summarize-then-sentiment", "inputs": [{ "path": folder_link }] }),
        ),
    ] {
        let (_, text, code) = post_raw(&server, endpoint, body).await;
        assert_eq!(code, "HEARTH_FOLDER", "{endpoint}: {text}");
        assert!(!text.contains("own file"), "{endpoint}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_summary_job_can_be_cancelled_by_id() {
    let server = start(Setup::default()).await;
    let text = std::fs::read_to_string(support::repo_root().join("ARCHITECTURE.md")).unwrap();
    let long = text.repeat(4);
    let mut response = server
        .post(
            "/api/summarize",
            json!({ "name": "notes.md", "text": long }),
        )
        .send()
        .await
        .unwrap();
    let mut seen = String::new();
    while !seen.contains("event: started") || !seen.contains("\n\n") {
        let chunk = response.chunk().await.unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let started = support::parse_events(&seen)
        .into_iter()
        .find(|e| e.name.as_deref() == Some("started"))
        .unwrap()
        .json();
    let job = started["job_id"].as_str().unwrap();
    let cancel = server
        .post(&format!("/api/jobs/{job}/cancel"), json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), 202);
    let rest = response.text().await.unwrap();
    let events = support::parse_events(&format!("{seen}{rest}"));
    let error = named(&events, "error");
    assert_eq!(error.len(), 1, "{events:?}");
    assert_eq!(error[0].json()["code"], "CANCELLED");
    assert!(named(&events, "done").is_empty());
    let (status, _) = server
        .post_json(&format!("/api/jobs/{job}/cancel"), json!({}))
        .await;
    assert_eq!(status, 404, "a finished job is gone");
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_is_closed_unless_an_origin_is_configured() {
    let closed = start(Setup::default()).await;
    let preflight = closed
        .client
        .request(reqwest::Method::OPTIONS, closed.url("/api/conversations"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(preflight
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let open = start(Setup {
        options: RouterOptions {
            cors_origins: vec!["http://localhost:5173".into()],
            ..RouterOptions::default()
        },
        ..Setup::default()
    })
    .await;
    let preflight = open
        .client
        .request(reqwest::Method::OPTIONS, open.url("/api/conversations"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let other = open
        .client
        .request(reqwest::Method::OPTIONS, open.url("/api/conversations"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_can_stop_offering_tools() {
    let server = start(Setup::default()).await;
    let (_, conversation) = server.post_json("/api/conversations", json!({})).await;
    let id = conversation["id"].as_str().unwrap().to_owned();
    let (_, view) = server.get_json(&format!("/api/conversations/{id}")).await;
    assert_eq!(view["tool_servers"], 0, "{view}");
    assert!(view["conversation"]["settings"].get("tools").is_none());
    let patch = |body: Value| {
        server
            .client
            .patch(server.url(&format!("/api/conversations/{id}")))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    };
    let changed: Value = patch(json!({ "tools": false }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(changed["settings"]["tools"], false, "{changed}");
    // Back on: the setting goes, the default (offered) stays.
    let changed: Value = patch(json!({ "tools": true }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(changed["settings"].get("tools").is_none(), "{changed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tool_call_decision_needs_a_waiting_call_and_a_known_decision() {
    let server = start(Setup::default()).await;
    let (status, error) = server
        .post_json(
            "/api/messages/nope/tool-calls/call_0",
            json!({ "decision": "once" }),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (404, Some("NO_PENDING_TOOL_CALL")),
        "{error}"
    );
    let (status, error) = server
        .post_json(
            "/api/messages/nope/tool-calls/call_0",
            json!({ "decision": "maybe" }),
        )
        .await;
    assert_eq!(status, 400, "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_lists_every_endpoint() {
    let server = start(Setup::default()).await;
    let (status, doc) = server.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v1/chat/completions",
        "/v1/completions",
        "/v1/models",
        "/v1/embeddings",
        "/api/conversations",
        "/api/conversations/{id}/messages",
        "/api/search",
        "/api/export",
        "/api/import",
        "/api/personas",
        "/api/models",
        "/api/models/pull",
        "/api/summarize",
        "/api/translate",
        "/api/settings",
        "/api/messages/{id}/tool-calls/{call}",
        "/api/workflow-check",
        "/api/workflow-limits",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} is missing from the OpenAPI document"
        );
    }
    // A stdio MCP server is a program Hearth runs: servers are listed and turned on or
    // off over HTTP, never added or changed.
    let mut mcp: Vec<(&str, Vec<&str>)> = paths
        .iter()
        .filter(|(path, _)| path.contains("mcp"))
        .map(|(path, item)| {
            let methods = item.as_object().unwrap().keys().map(String::as_str);
            (path.as_str(), methods.collect())
        })
        .collect();
    mcp.sort();
    assert_eq!(
        mcp,
        vec![
            ("/api/mcp/servers", vec!["get"]),
            ("/api/mcp/servers/{name}/enabled", vec!["put"]),
            ("/api/mcp/tools", vec!["get"]),
        ]
    );
    for path in ["/api/mcp", "/api/mcp/servers"] {
        let (status, _) = server
            .post_json(path, serde_json::json!({"name": "x", "command": "sh"}))
            .await;
        assert!(matches!(status, 404 | 405), "POST {path} answered {status}");
    }
    assert!(doc["components"]["schemas"]["ChatCompletionRequest"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ui_page_needs_no_login_and_carries_no_token() {
    let ui = support::ui_dir();
    let server = start(Setup {
        options: RouterOptions {
            ui_dir: Some(ui.path().to_path_buf()),
            ..RouterOptions::default()
        },
        ..Setup::default()
    })
    .await;
    for path in ["/", "/chat/123", "/index.html"] {
        let page = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        assert_eq!(page.headers()["cache-control"], "no-store");
        let html = page.text().await.unwrap();
        assert!(html.contains("<title>Hearth</title>"), "{html}");
        assert!(
            !html.contains(TOKEN) && !html.contains("hearth-token"),
            "the page hands out the token: {html}"
        );
    }
    let script = server
        .client
        .get(server.url("/assets/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert_eq!(script.text().await.unwrap(), "console.log('hi')");
    let missing = server
        .client
        .get(server.url("/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    for escape in [
        "/..%2f..%2f..%2fetc%2fpasswd.txt",
        "/assets/..%2f..%2f..%2fetc%2fhostname.txt",
    ] {
        let response = server.client.get(server.url(escape)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{escape}");
    }
}

/// A scanned PDF sent to `/api/summarize` is read by OCR page by page (each page a
/// `progress` event of stage `reading`, before the `document` event) and summarized with
/// page references, as a digital one is.
#[tokio::test(flavor = "multi_thread")]
async fn a_scanned_pdf_reports_each_page_read_and_is_summarized_with_references() {
    let server = start(Setup::default()).await;
    let data = test_file_base64("ocr/linn.pdf");
    let events = turn(
        &server,
        "/api/summarize",
        json!({ "name": "scan.pdf", "data_base64": data, "style": "key-points" }),
    )
    .await;
    assert!(named(&events, "error").is_empty(), "{events:?}");
    let document_at = events
        .iter()
        .position(|e| e.name.as_deref() == Some("document"))
        .expect("a document event");
    let reading: Vec<Value> = events[..document_at]
        .iter()
        .filter(|e| e.name.as_deref() == Some("progress"))
        .map(|e| e.json())
        .collect();
    assert!(!reading.is_empty(), "{events:?}");
    assert!(
        reading.iter().all(|p| p["stage"] == "reading"),
        "{reading:?}"
    );
    let last = reading.last().unwrap();
    assert_eq!(last["done"], last["total"], "{reading:?}");
    let document = events[document_at].json();
    assert_eq!(document["format"], "pdf");
    assert!(document["characters"].as_u64().unwrap() > 200, "{document}");
    let summary = &named(&events, "done")[0].json()["summary"];
    let text = summary["text"].as_str().unwrap();
    assert!(
        text.contains("[p. ") || text.contains("[pp. "),
        "page references: {text}"
    );
}
