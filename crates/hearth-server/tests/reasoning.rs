//! A reasoning model's thinking through the HTTP server: recorded outputs of Qwen3 and
//! gpt-oss (`hearth_llm::transcripts`) replayed by the scripted fake with the real chat
//! templates, read back as the app's conversation stream (`reasoning` events, the stored
//! message), the conversation's thinking switch and the model's support for it, and the
//! OpenAI-compatible `/v1` (`reasoning_content`, whole and streamed).

use crate::support;

use std::sync::Arc;

use hearth_core::{Hearth, Isolation, OpenOptions, Paths};
use hearth_llm::fake::FakeEngine;
use hearth_llm::transcripts::{self, Transcript};
use hearth_server::{AppState, RouterOptions, Token};
use serde_json::{json, Value};
use support::{read_events, TOKEN};

/// The server on the fake engine, with what the tests call it with.
struct Server {
    base: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn post(&self, path: &str, body: Value) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(path))
            .bearer_auth(TOKEN)
            .json(&body)
    }

    async fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self.post(path, body).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// The server on the fake engine with `transcript`'s template, and a model file whose
/// header carries the same template as the default model (so the app can tell what the
/// model supports without loading anything).
async fn start(transcript: &Transcript) -> (Server, Arc<FakeEngine>) {
    let dir = tempfile::tempdir().unwrap();
    let template = transcript.template_text().unwrap_or_else(|e| panic!("{e}"));
    let model = dir.path().join("thinker.gguf");
    let mut writer = hearth_gguf::GgufWriter::new();
    writer
        .set(
            "general.architecture",
            hearth_gguf::MetadataValue::String("qwen3".into()),
        )
        .unwrap();
    writer
        .set(
            "tokenizer.chat_template",
            hearth_gguf::MetadataValue::String(template.clone()),
        )
        .unwrap();
    writer.write_file(&model).unwrap();
    let paths = Paths::under(dir.path());
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(
        paths.config_file(),
        format!("default_model = {:?}\n", model.display().to_string()),
    )
    .unwrap();
    let fake = Arc::new(
        FakeEngine::new()
            .with_template(template)
            .with_model_path(&model),
    );
    let hearth = Arc::new(
        Hearth::open(OpenOptions {
            paths,
            isolation: Some(Isolation::Provided(fake.clone())),
        })
        .unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(hearth);
    let app =
        hearth_server::app(state, Token::fixed(TOKEN), addr, &RouterOptions::default()).unwrap();
    tokio::spawn(hearth_server::serve(listener, app, std::future::pending()));
    let server = Server {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        _dir: dir,
    };
    (server, fake)
}

async fn new_conversation(server: &Server) -> String {
    let (status, conversation) = server.post_json("/api/conversations", json!({})).await;
    assert_eq!(status, 201, "{conversation}");
    conversation["id"].as_str().unwrap().to_owned()
}

/// Sends a message and returns the thinking and answer as the events streamed them,
/// and the `finished` message.
async fn send(server: &Server, id: &str, content: &str) -> (String, String, Value) {
    let response = server
        .post(
            &format!("/api/conversations/{id}/messages"),
            json!({ "content": content }),
        )
        .send()
        .await
        .unwrap();
    let events = read_events(response).await;
    let (mut thinking, mut answer, mut finished) = (String::new(), String::new(), None);
    for event in &events {
        match event.name.as_deref() {
            Some("reasoning") => {
                assert!(answer.is_empty(), "thinking after the answer began");
                thinking.push_str(event.json()["text"].as_str().unwrap());
            }
            Some("delta") => answer.push_str(event.json()["text"].as_str().unwrap()),
            Some("finished") => finished = Some(event.json()["message"].clone()),
            Some("error") => panic!("{}", event.data),
            _ => {}
        }
    }
    (thinking, answer, finished.expect("a finished event"))
}

#[tokio::test(flavor = "multi_thread")]
async fn reasoning_streams_as_its_own_events_and_is_stored_with_the_answer() {
    for transcript in [transcripts::QWEN3, transcripts::GPT_OSS] {
        let (server, fake) = start(&transcript).await;
        let id = new_conversation(&server).await;
        fake.reply_with(transcript.tokens.iter().copied());
        let (thinking, answer, finished) = send(&server, &id, "How many r's?").await;
        assert_eq!(thinking, transcript.thinking, "{}", transcript.model);
        assert_eq!(answer, transcript.answer, "{}", transcript.model);
        assert_eq!(finished["content"], transcript.answer);
        assert_eq!(finished["reasoning"], transcript.thinking);
        assert!(finished["reasoning_ms"].is_u64(), "{finished}");

        // The conversation as the chat screen opens it.
        let (status, view) = server.get_json(&format!("/api/conversations/{id}")).await;
        assert_eq!(status, 200);
        let stored = &view["messages"][1];
        assert_eq!(stored["reasoning"], transcript.thinking);
        assert_eq!(stored["content"], transcript.answer);
        assert_eq!(view["thinking"]["supports_thinking"], true);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reasoning_switch_is_kept_with_the_conversation_and_reaches_the_engine() {
    let (server, fake) = start(&transcripts::QWEN3).await;
    let id = new_conversation(&server).await;
    let (status, view) = server.get_json(&format!("/api/conversations/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        view["thinking"],
        json!({"supports_thinking": true, "thinking_switch": true})
    );
    let patch = |body: Value| {
        server
            .client
            .patch(server.url(&format!("/api/conversations/{id}")))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    };
    let response = patch(json!({"thinking": "off"})).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let conversation: Value = response.json().await.unwrap();
    assert_eq!(conversation["settings"]["thinking"], false);
    fake.reply_with(["Hi", "!"]);
    let (thinking, answer, _) = send(&server, &id, "Hello").await;
    assert_eq!((thinking.as_str(), answer.as_str()), ("", "Hi!"));
    let request = fake.received().last().cloned().unwrap();
    assert_eq!(request.options.thinking, Some(false));
    let hearth_llm::Prompt::Text(prompt) = &request.prompt else {
        panic!("text prompt")
    };
    // Qwen3's template writes an empty thinking block when told not to think.
    assert!(prompt.ends_with("<think>\n\n</think>\n\n"), "{prompt:?}");

    // Back to the model's default; a bad value names the field.
    let response = patch(json!({"thinking": "default"})).await.unwrap();
    let conversation: Value = response.json().await.unwrap();
    assert!(conversation["settings"].get("thinking").is_none());
    let response = patch(json!({"thinking": "maybe"})).await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["details"]["field"], "thinking", "{error}");

    // A budget for one answer.
    fake.reply_with(transcripts::QWEN3.tokens.iter().copied());
    let response = server
        .post(
            &format!("/api/conversations/{id}/messages"),
            json!({ "content": "How many r's?", "options": {"thinking_budget": 5} }),
        )
        .send()
        .await
        .unwrap();
    let events = read_events(response).await;
    let finished = events
        .iter()
        .find(|e| e.name.as_deref() == Some("finished"))
        .expect("finished")
        .json();
    assert_eq!(finished["message"]["reasoning"], "Okay, the");
    assert_eq!(finished["message"]["content"], transcripts::QWEN3.answer);
}

#[tokio::test(flavor = "multi_thread")]
async fn reasoning_on_v1_is_reasoning_content_whole_and_streamed() {
    let transcript = transcripts::GPT_OSS;
    let (server, fake) = start(&transcript).await;
    let body = json!({
        "model": "thinker",
        "messages": [{"role": "user", "content": "What is 2+2?"}],
    });
    fake.reply_with(transcript.tokens.iter().copied());
    let (status, whole) = server.post_json("/v1/chat/completions", body.clone()).await;
    assert_eq!(status, 200, "{whole}");
    let message = &whole["choices"][0]["message"];
    assert_eq!(message["content"], transcript.answer);
    assert_eq!(message["reasoning_content"], transcript.thinking);

    fake.reply_with(transcript.tokens.iter().copied());
    let mut streamed = body;
    streamed["stream"] = json!(true);
    let response = server
        .post("/v1/chat/completions", streamed)
        .send()
        .await
        .unwrap();
    let events = read_events(response).await;
    let (mut thinking, mut answer) = (String::new(), String::new());
    for event in events.iter().filter(|e| e.data != "[DONE]") {
        let delta = &event.json()["choices"][0]["delta"];
        if let Some(text) = delta["reasoning_content"].as_str() {
            assert!(answer.is_empty(), "thinking after the answer began");
            thinking.push_str(text);
        }
        if let Some(text) = delta["content"].as_str() {
            answer.push_str(text);
        }
    }
    assert_eq!(thinking, transcript.thinking);
    assert_eq!(answer, transcript.answer);
}
