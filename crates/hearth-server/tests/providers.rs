//! Remote providers through the app API, against a mock provider on loopback: connect
//! one (its key kept, never sent back), chat with `PROVIDER:MODEL` through `/api` and
//! `/v1` with each answer saying where it was generated, offline mode refusing before
//! any connection, bad settings refused with the field, disconnection; a changed
//! address removing the key, so it never reaches the new one.

use crate::support;

use hearth_llm::remote::mock::{MockProvider, Reply};
use serde_json::{json, Value};
use support::{read_events, start, Setup, SseEvent, TOKEN};

fn event<'a>(events: &'a [SseEvent], name: &str) -> Option<&'a SseEvent> {
    events.iter().find(|e| e.name.as_deref() == Some(name))
}

async fn send(server: &support::Server, conversation: &str, text: &str) -> Vec<SseEvent> {
    let path = format!("/api/conversations/{conversation}/messages");
    let body = json!({ "content": text, "options": { "max_tokens": 8, "temperature": 0 } });
    read_events(server.post(&path, body).send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_provider_through_the_app_api() {
    std::env::set_var("HEARTH_KEYRING", "off");
    let server = start(Setup::default()).await;
    let mock = MockProvider::start(vec![
        Reply::openai_stream(&["Remote", " answer."]),
        // The conversation's title, written by the same model after the first answer.
        Reply::openai_stream(&["Greeting"]),
        Reply::openai_stream(&["Through v1."]),
    ]);
    let (status, saved) = server.put_json("/api/providers/mock",
        json!({ "kind": "openai", "base_url": mock.base_url(), "models": ["m1"], "api_key": "sk-app-secret" }),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["key"], "sealed_file");
    assert!(
        !saved.to_string().contains("sk-app-secret"),
        "the key is never sent back"
    );
    let (_, listed) = server.get_json("/api/providers").await;
    assert_eq!(
        (
            listed["providers"][0]["name"].as_str(),
            listed["offline"].as_bool()
        ),
        (Some("mock"), Some(false))
    );

    // A conversation on the remote model: the answer says where it was written.
    let (_, remote) = server
        .post_json("/api/conversations", json!({ "model": "mock:m1" }))
        .await;
    let remote = remote["id"].as_str().unwrap().to_owned();
    let events = send(&server, &remote, "Hello?").await;
    let finished = event(&events, "finished")
        .expect("a finished answer")
        .json();
    assert_eq!(finished["message"]["content"], "Remote answer.");
    assert_eq!(
        (
            finished["message"]["provider"].as_str(),
            finished["message"]["model"].as_str()
        ),
        (Some("mock"), Some("m1"))
    );
    let mut view = Value::Null;
    for _ in 0..500 {
        view = server
            .get_json(&format!("/api/conversations/{remote}"))
            .await
            .1;
        if view["conversation"]["title"] == "Greeting" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(view["conversation"]["title"], "Greeting", "{view}");
    assert_eq!(view["messages"][1]["provider"], "mock");
    assert_eq!(
        mock.requests()[0].header("authorization"),
        Some("Bearer sk-app-secret")
    );

    // A local answer says it was not sent anywhere.
    let (_, local) = server.post_json("/api/conversations", json!({})).await;
    let events = send(&server, local["id"].as_str().unwrap(), "Hi").await;
    let finished = event(&events, "finished").expect("a local answer").json();
    assert_eq!(finished["message"]["provider"], Value::Null);

    // The OpenAI-compatible API reaches the same provider by the same name.
    let (status, completion) = server
        .post_json(
            "/v1/chat/completions",
            json!({ "model": "mock:m1", "messages": [{ "role": "user", "content": "Hi" }] }),
        )
        .await;
    assert_eq!(status, 200, "{completion}");
    assert_eq!(
        completion["choices"][0]["message"]["content"],
        "Through v1."
    );

    // Offline: refused before any connection, with a message that says what to do.
    let (status, offline) = server
        .put_json("/api/offline", json!({ "offline": true }))
        .await;
    assert_eq!((status, offline["offline"].as_bool()), (200, Some(true)));
    let connections = mock.connections();
    let (status, error) = server
        .post_json(
            &format!("/api/conversations/{remote}/messages"),
            json!({ "content": "Still there?" }),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (503, Some("OFFLINE")),
        "{error}"
    );
    assert!(
        error["message"].as_str().unwrap().contains("offline mode"),
        "{error}"
    );
    let (_, view) = server
        .get_json(&format!("/api/conversations/{remote}"))
        .await;
    assert_eq!(
        view["messages"].as_array().unwrap().len(),
        2,
        "a refused question is not stored"
    );
    let (status, refused) = server
        .post_json(
            "/v1/chat/completions",
            json!({ "model": "mock:m1", "messages": [{ "role": "user", "content": "Hi" }] }),
        )
        .await;
    assert_eq!(status, 503, "{refused}");
    assert_eq!(
        mock.connections(),
        connections,
        "offline mode must not connect"
    );
    let (_, mut settings) = server.get_json("/api/settings").await;
    assert_eq!(settings["offline"], true);
    // Saving the settings page as it was loaded changes neither offline mode nor the
    // providers (they have their own endpoints).
    settings["offline"] = json!(false);
    settings["providers"] = json!([]);
    let (status, saved) = server.put_json("/api/settings", settings).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        (
            saved["offline"].as_bool(),
            saved["providers"][0]["name"].as_str()
        ),
        (Some(true), Some("mock"))
    );
    server
        .put_json("/api/offline", json!({ "offline": false }))
        .await;

    // The audit log through the API: what left the machine, by provider.
    let (status, sent) = server.get_json("/api/audit?remote=true").await;
    assert_eq!(status, 200, "{sent}");
    let sent = sent.as_array().unwrap();
    assert!(
        sent.len() >= 3,
        "the answer, its title and the /v1 call: {sent:?}"
    );
    assert!(sent
        .iter()
        .all(|r| r["provider"] == "mock" && r["sent_bytes"].as_u64().unwrap() > 0));
    let (_, local) = server.get_json("/api/audit?provider=local").await;
    assert!(local
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["sent_bytes"].is_null()));
    let (status, error) = server.get_json("/api/audit?purpose=gossip").await;
    assert_eq!(
        (status, error["details"]["field"].as_str()),
        (400, Some("purpose")),
        "{error}"
    );

    // Bad settings name the field; unknown providers are 404; removal is 204.
    let (status, error) = server
        .put_json("/api/providers/Bad Name", json!({ "kind": "openai" }))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("INVALID_PROVIDER")),
        "{error}"
    );
    let (status, error) = server
        .put_json("/api/providers/mock", json!({ "kind": "gemini" }))
        .await;
    assert_eq!(status, 400, "{error}");
    let (status, error) = server
        .put_json("/api/providers/nobody/key", json!({ "api_key": "k" }))
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (404, Some("UNKNOWN_PROVIDER")),
        "{error}"
    );
    let (status, error) = server
        .put_json("/api/providers/mock/key", json!({ "api_key": " " }))
        .await;
    assert_eq!(
        (status, error["details"]["field"].as_str()),
        (400, Some("api_key")),
        "{error}"
    );
    let removed = reqwest::Client::new()
        .delete(server.url("/api/providers/mock"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status().as_u16(), 204);
    let (_, listed) = server.get_json("/api/providers").await;
    assert_eq!(listed["providers"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_address_removes_the_key() {
    std::env::set_var("HEARTH_KEYRING", "off");
    let server = start(Setup::default()).await;
    let mock = MockProvider::start(vec![]);
    // Another loopback port: another origin, recording what it receives.
    let attacker = MockProvider::start(vec![Reply::openai_stream(&["Got it."])]);
    let (status, saved) = server.put_json("/api/providers/x",
        json!({ "kind": "openai", "base_url": mock.base_url(), "models": ["m1"], "api_key": "sk-x-secret" }),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["key"], "sealed_file");
    assert_eq!(saved.get("key_removed"), None, "{saved}");

    let (status, moved) = server
        .put_json(
            "/api/providers/x",
            json!({ "kind": "openai", "base_url": attacker.base_url(), "models": ["m1"] }),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        (moved["key_removed"].as_bool(), &moved["key"]),
        (Some(true), &Value::Null),
        "{moved}"
    );
    let (_, listed) = server.get_json("/api/providers").await;
    assert_eq!(listed["providers"][0]["key"], Value::Null, "{listed}");

    let (status, completion) = server
        .post_json(
            "/v1/chat/completions",
            json!({ "model": "x:m1", "messages": [{ "role": "user", "content": "Hi" }] }),
        )
        .await;
    assert_eq!(status, 200, "{completion}");
    assert_eq!(attacker.requests().len(), 1);
    for request in attacker.requests() {
        assert_eq!(request.header("authorization"), None, "{request:?}");
    }
    assert_eq!(mock.connections(), 0);

    // Plain http:// is for this computer only.
    let (status, error) = server.put_json("/api/providers/x",
        json!({ "kind": "openai", "base_url": "http://api.example.com/v1", "api_key": "sk-x-secret" }),
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("INVALID_PROVIDER")),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("only allowed to this computer"),
        "{error}"
    );
}
