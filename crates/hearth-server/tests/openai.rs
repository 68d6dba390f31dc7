//! The OpenAI-compatible API on the real default model (SmolLM2-135M): whole and
//! streamed answers, sampling fields, JSON schemas, OpenAI-shaped errors naming the
//! field, the token gate, disconnects cancelling generation, and 32 concurrent streams.

use crate::support;

use serde_json::{json, Value};
use support::{parse_events, start, Setup, TOKEN};

fn ask(content: &str) -> Value {
    json!({ "model": "smollm2", "messages": [{ "role": "user", "content": content }] })
}

fn with(mut body: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chat_completion_answers_with_usage_and_timings() {
    let server = start(Setup::default()).await;
    let ask_capital = || {
        server.post_json(
            "/v1/chat/completions",
            with(
                ask("What is the capital of France?"),
                json!({ "max_tokens": 24, "temperature": 0 }),
            ),
        )
    };
    let (status, body) = ask_capital().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "chat.completion");
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(body["model"], "smollm2");
    let choice = &body["choices"][0];
    assert_eq!(choice["message"]["role"], "assistant");
    let text = choice["message"]["content"].as_str().unwrap();
    assert!(!text.trim().is_empty());
    assert!(["stop", "length"].contains(&choice["finish_reason"].as_str().unwrap()));
    let usage = &body["usage"];
    let completion_tokens = usage["completion_tokens"].as_u64().unwrap();
    assert!(usage["prompt_tokens"].as_u64().unwrap() > 5);
    assert!((1..=24).contains(&completion_tokens));
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + completion_tokens
    );
    assert_eq!(
        body["timings"]["predicted_n"].as_u64().unwrap(),
        completion_tokens
    );

    // Asked again, the prompt is found in the cache: as llama-server reports it,
    // prompt_n counts only the tokens evaluated and cache_n the ones reused.
    let (_, again) = ask_capital().await;
    let prompt_tokens = again["usage"]["prompt_tokens"].as_u64().unwrap();
    let timings = &again["timings"];
    let (evaluated, cached) = (
        timings["prompt_n"].as_u64().unwrap(),
        timings["cache_n"].as_u64().unwrap(),
    );
    assert!(cached > 0, "the second ask found nothing cached: {again}");
    assert!(evaluated < prompt_tokens, "{again}");
    assert_eq!(evaluated + cached, prompt_tokens, "{again}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_streamed_answer_is_the_same_text_as_a_whole_one() {
    let server = start(Setup::default()).await;
    let request = with(
        ask("Name three colours."),
        json!({ "max_tokens": 20, "temperature": 0, "seed": 7 }),
    );
    let (_, whole) = server
        .post_json("/v1/chat/completions", request.clone())
        .await;
    let whole_text = whole["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = server
        .post(
            "/v1/chat/completions",
            with(
                request,
                json!({ "stream": true, "stream_options": { "include_usage": true } }),
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let events = parse_events(&response.text().await.unwrap());
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| e.json())
        .collect();
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    let id = chunks[0]["id"].as_str().unwrap();
    assert!(
        chunks.iter().all(|c| c["id"] == id),
        "every chunk has the reply's id"
    );
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let streamed: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(streamed, whole_text);
    let finish: Vec<&Value> = chunks
        .iter()
        .filter(|c| {
            !c["choices"][0]["finish_reason"].is_null()
                && c["choices"].as_array().unwrap().len() == 1
        })
        .collect();
    assert_eq!(finish.len(), 1, "one chunk carries the finish reason");
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"].as_array().unwrap().len(), 0);
    assert_eq!(
        usage["usage"]["completion_tokens"],
        whole["usage"]["completion_tokens"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_stop_and_max_tokens_are_honoured() {
    let server = start(Setup::default()).await;
    let sampled = with(
        ask("Write a sentence about the sea."),
        json!({ "max_tokens": 16, "temperature": 0.9, "top_p": 0.9, "seed": 1234 }),
    );
    let (_, a) = server
        .post_json("/v1/chat/completions", sampled.clone())
        .await;
    let (_, b) = server.post_json("/v1/chat/completions", sampled).await;
    assert_eq!(
        a["choices"][0]["message"]["content"], b["choices"][0]["message"]["content"],
        "the same seed gives the same answer"
    );

    let (_, capped) = server
        .post_json(
            "/v1/chat/completions",
            with(
                ask("Tell me a long story about a dragon."),
                json!({ "max_tokens": 5, "temperature": 0 }),
            ),
        )
        .await;
    assert_eq!(capped["choices"][0]["finish_reason"], "length");
    assert_eq!(capped["usage"]["completion_tokens"], 5);

    // Stop at the first space the greedy answer contains.
    let (_, free) = server
        .post_json(
            "/v1/chat/completions",
            with(
                ask("Count from 1 to 10."),
                json!({ "max_tokens": 30, "temperature": 0 }),
            ),
        )
        .await;
    let free_text = free["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    let cut = free_text
        .trim_start()
        .find(' ')
        .expect("a multi-word answer");
    let (_, stopped) = server
        .post_json(
            "/v1/chat/completions",
            with(
                ask("Count from 1 to 10."),
                json!({ "max_tokens": 30, "temperature": 0, "stop": [" "] }),
            ),
        )
        .await;
    let stopped_text = stopped["choices"][0]["message"]["content"]
        .as_str()
        .unwrap();
    assert_eq!(stopped["choices"][0]["finish_reason"], "stop");
    assert!(!stopped_text.trim_start().contains(' '), "{stopped_text:?}");
    assert_eq!(stopped_text.trim_start(), &free_text.trim_start()[..cut]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_json_schema_response_format_gives_json_that_fits_it() {
    let server = start(Setup::default()).await;
    let schema = json!({
        "type": "object",
        "properties": {
            "city": { "type": "string" },
            "population": { "type": "integer" }
        },
        "required": ["city", "population"],
        "additionalProperties": false
    });
    let (status, body) = server
        .post_json(
            "/v1/chat/completions",
            with(
                ask("Give a city and its population as JSON."),
                json!({
                    "max_tokens": 60,
                    "temperature": 0,
                    "response_format": { "type": "json_schema", "json_schema": { "name": "city", "schema": schema } }
                }),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let text = body["choices"][0]["message"]["content"].as_str().unwrap();
    let value: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    assert!(value["city"].is_string(), "{value}");
    assert!(
        value["population"].is_i64() || value["population"].is_u64(),
        "{value}"
    );
    assert_eq!(value.as_object().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn text_completions_and_the_model_list_work() {
    let server = start(Setup::default()).await;
    let (status, body) = server
        .post_json(
            "/v1/completions",
            json!({ "model": "smollm2", "prompt": "The capital of France is", "max_tokens": 8, "temperature": 0 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "text_completion");
    assert!(!body["choices"][0]["text"].as_str().unwrap().is_empty());
    assert!((1..=8).contains(&body["usage"]["completion_tokens"].as_u64().unwrap()));

    let response = server
        .post(
            "/v1/completions",
            json!({ "model": "default", "prompt": "One, two,", "max_tokens": 6, "temperature": 0, "stream": true }),
        )
        .send()
        .await
        .unwrap();
    let events = parse_events(&response.text().await.unwrap());
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let text: String = events[..events.len() - 1]
        .iter()
        .map(|e| e.json()["choices"][0]["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(!text.is_empty());

    let (status, models) = server.get_json("/v1/models").await;
    assert_eq!(status, 200);
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0]["id"], "smollm2");
    assert_eq!(models["data"][0]["object"], "model");
    let (status, one) = server.get_json("/v1/models/smollm2").await;
    assert_eq!((status, one["id"].as_str()), (200, Some("smollm2")));
}

/// Errors come in OpenAI's shape with `param` naming the field, and say what to do.
#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_are_openai_errors_that_name_the_field() {
    let server = start(Setup::default()).await;
    let cases = [
        (
            json!({ "model": "smollm2", "messages": [{ "role": "wizard", "content": "hi" }] }),
            400,
            "messages[0].role",
        ),
        (
            json!({ "model": "smollm2", "messages": [{ "role": "user", "content": 42 }] }),
            400,
            "messages[0].content",
        ),
        (json!({ "model": "smollm2" }), 400, "messages"),
        (
            json!({ "model": "smollm2", "messages": [] }),
            400,
            "messages",
        ),
        (
            with(ask("hi"), json!({ "temperature": -1 })),
            400,
            "temperature",
        ),
        (with(ask("hi"), json!({ "top_p": 3 })), 400, "top_p"),
        (with(ask("hi"), json!({ "n": 2 })), 400, "n"),
        (with(ask("hi"), json!({ "seed": -5 })), 400, "seed"),
        (
            with(ask("hi"), json!({ "max_tokens": "many" })),
            400,
            "max_tokens",
        ),
        (
            with(ask("hi"), json!({ "tools": [{ "type": "function" }] })),
            400,
            "tools[0].function",
        ),
        (
            with(
                ask("hi"),
                json!({ "response_format": { "type": "json_schema", "json_schema": { "name": "x" } } }),
            ),
            400,
            "response_format.json_schema.schema",
        ),
        (with(ask("hi"), json!({ "model": "gpt-4o" })), 404, "model"),
    ];
    for (body, status, param) in cases {
        let (got, error) = server.post_json("/v1/chat/completions", body.clone()).await;
        assert_eq!(got, status, "{body} -> {error}");
        assert_eq!(error["error"]["param"], param, "{body} -> {error}");
        assert!(error["error"]["type"].is_string());
        assert!(error["error"]["message"].as_str().unwrap().len() > 10);
    }

    let response = server
        .client
        .post(server.url("/v1/chat/completions"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{error}"
    );

    let huge = "x".repeat(3 * 1024 * 1024);
    let (status, error) = server.post_json("/v1/chat/completions", ask(&huge)).await;
    assert_eq!(status, 413, "{error}");
    assert_eq!(error["error"]["code"], "body_too_large");

    let (status, error) = server
        .post_json(
            "/v1/embeddings",
            json!({ "model": "smollm2", "input": "hello" }),
        )
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"]["code"], "not_an_embedding_model");
    assert_eq!(error["error"]["param"], "model");

    let (status, error) = server.get_json("/v1/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(error["error"]["type"], "not_found_error");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_apis_need_the_token_and_the_servers_own_host_name() {
    let server = start(Setup::default()).await;
    let anonymous = server
        .client
        .get(server.url("/v1/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let error: Value = anonymous.json().await.unwrap();
    assert_eq!(error["error"]["type"], "authentication_error");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Authorization: Bearer"));

    let wrong = server
        .client
        .get(server.url("/api/conversations"))
        .bearer_auth("hearth-not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let error: Value = wrong.json().await.unwrap();
    assert_eq!(error["code"], "UNAUTHORIZED");

    let health = server
        .client
        .get(server.url("/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "the health check needs no token");

    // A page on another domain that resolves to 127.0.0.1 (DNS rebinding) is refused.
    let rebound = server
        .get("/api/conversations")
        .header("host", format!("evil.example:{}", server.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    let localhost = server
        .get("/api/conversations")
        .header("host", format!("localhost:{}", server.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(localhost.status(), 200);
}

/// A client that goes away mid-answer cancels the generation: the audit log records
/// it as cancelled, well short of its token limit.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_disconnects_cancels_its_generation() {
    let server = start(Setup::default()).await;
    let mut response = server
        .post(
            "/v1/chat/completions",
            with(
                ask("Write a very long essay about the history of Europe."),
                json!({ "max_tokens": 400, "temperature": 0, "stream": true }),
            ),
        )
        .send()
        .await
        .unwrap();
    // Read until the first piece of text has arrived, then hang up.
    let mut seen = String::new();
    while !seen.contains("\"content\":\"") || seen.matches("data:").count() < 3 {
        let chunk = response
            .chunk()
            .await
            .unwrap()
            .expect("the stream ended early");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    drop(response);

    // The generation ends either way (cancelled, or at its 400-token limit), so this
    // waits for its audit record and then checks how it ended.
    let record = loop {
        let records = server.hearth.store().audit_records(None).unwrap();
        if let Some(record) = records.into_iter().last() {
            break record;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        record.stop_reason.as_deref(),
        Some("cancelled"),
        "{record:?}"
    );
    assert!(record.completion_tokens.unwrap_or(0) < 400, "{record:?}");
}

/// 32 clients streaming at once on an engine with 2 sequences: every one is queued,
/// served in turn and finished; none is dropped or fails.
#[tokio::test(flavor = "multi_thread")]
async fn thirty_two_concurrent_streams_all_complete() {
    let server = std::sync::Arc::new(start(Setup::default()).await);
    let mut tasks = Vec::new();
    for i in 0..32 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let response = server
                .post(
                    "/v1/chat/completions",
                    with(
                        ask(&format!("Say the number {i}.")),
                        json!({ "max_tokens": 6, "temperature": 0, "stream": true }),
                    ),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let events = parse_events(&response.text().await.unwrap());
            assert_eq!(
                events.last().unwrap().data,
                "[DONE]",
                "stream {i} ended properly"
            );
            let chunks: Vec<Value> = events[..events.len() - 1]
                .iter()
                .map(|e| e.json())
                .collect();
            assert!(
                chunks.iter().all(|c| c.get("error").is_none()),
                "stream {i}: {chunks:?}"
            );
            let last = chunks.last().unwrap();
            assert!(
                !last["choices"][0]["finish_reason"].is_null(),
                "stream {i} finished"
            );
            let text: String = chunks
                .iter()
                .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
                .collect();
            (i, text, last["timings"]["queue_ms"].as_f64().unwrap())
        }));
    }
    let mut finished = Vec::new();
    for task in tasks {
        finished.push(task.await.unwrap());
    }
    assert_eq!(finished.len(), 32);
    assert!(finished.iter().all(|(_, text, _)| !text.is_empty()));
    // With 2 sequences for 32 requests, most of them waited in the queue.
    let queued = finished
        .iter()
        .filter(|(_, _, queue_ms)| *queue_ms > 0.0)
        .count();
    assert!(queued >= 16, "only {queued} of 32 requests were queued");
}
