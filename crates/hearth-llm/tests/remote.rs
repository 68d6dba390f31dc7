//! Remote providers against mock servers on loopback that speak each protocol: streamed
//! answers, the key and headers each protocol wants, error statuses mapped to clear
//! messages, waiting out rate limits, a stopped answer hanging up, offline mode
//! connecting to nothing, and a network that is down.

use std::time::Duration;

use hearth_llm::remote::mock::{named, sse, MockProvider, Reply};
use hearth_llm::{
    ApiKey, ChatMessage, Engine, EngineExt, GenerationEvent, GenerationOptions, LlmError,
    NetworkSwitch, Protocol, RemoteEngine, RemoteSettings, RetryPolicy, StopReason, TemplateSource,
};
use serde_json::json;

fn settings(protocol: Protocol, base_url: String) -> RemoteSettings {
    RemoteSettings {
        provider: "mock".into(),
        protocol,
        base_url,
        model: "mock-model".into(),
        api_key: Some(ApiKey::new("sk-test-key")),
        context_length: 8192,
        retry: RetryPolicy {
            retries: 2,
            longest_wait: Duration::from_secs(5),
            backoff: Duration::from_millis(20),
        },
        connect_timeout: Duration::from_secs(5),
    }
}

fn engine(protocol: Protocol, mock: &MockProvider) -> RemoteEngine {
    RemoteEngine::new(
        settings(protocol, mock.base_url()),
        NetworkSwitch::default(),
    )
    .unwrap()
}

fn conversation() -> Vec<ChatMessage> {
    vec![
        ChatMessage::system("Answer briefly."),
        ChatMessage::user("What colour is the sky?"),
    ]
}

/// Every delta and the final event.
fn collect(engine: &RemoteEngine) -> (Vec<String>, Result<hearth_llm::Completion, LlmError>) {
    let (generation, source) = engine
        .chat(&conversation(), GenerationOptions::greedy())
        .unwrap();
    assert_eq!(source, TemplateSource::Remote);
    let mut deltas = Vec::new();
    for event in generation {
        match event {
            GenerationEvent::Delta { text } => deltas.push(text),
            other @ (GenerationEvent::Reasoning { .. } | GenerationEvent::ToolCall { .. }) => {
                panic!("a plain remote answer has no thinking or calls: {other:?}")
            }
            GenerationEvent::Done { completion } => return (deltas, Ok(completion)),
            GenerationEvent::Failed { error } => return (deltas, Err(error)),
        }
    }
    panic!("the generation ended without a final event");
}

#[test]
fn openai_compatible_chat_streams_with_a_bearer_key() {
    let mock = MockProvider::start(vec![Reply::openai_stream(&["The sky", " is", " blue."])]);
    let (deltas, done) = collect(&engine(Protocol::OpenAi, &mock));
    let completion = done.unwrap();
    assert_eq!(deltas, ["The sky", " is", " blue."]);
    assert_eq!(completion.text, "The sky is blue.");
    assert_eq!(completion.stop_reason, StopReason::EndOfGeneration);
    assert_eq!(
        (completion.prompt_tokens, completion.completion_tokens),
        (11, 3)
    );

    let seen = &mock.requests()[0];
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(seen.header("authorization"), Some("Bearer sk-test-key"));
    assert_eq!(seen.body["model"], "mock-model");
    assert_eq!(seen.body["stream"], true);
    assert_eq!(
        seen.body["messages"][0],
        json!({"role": "system", "content": "Answer briefly."})
    );
    assert_eq!(
        seen.body["messages"][1]["content"],
        "What colour is the sky?"
    );
}

#[test]
fn anthropic_messages_stream_with_its_own_headers() {
    let mock = MockProvider::start(vec![Reply::anthropic_stream(&["Blue", ", mostly."])]);
    let (deltas, done) = collect(&engine(Protocol::Anthropic, &mock));
    let completion = done.unwrap();
    assert_eq!(deltas, ["Blue", ", mostly."]);
    assert_eq!(completion.text, "Blue, mostly.");
    assert_eq!(
        (completion.prompt_tokens, completion.completion_tokens),
        (13, 2)
    );

    let seen = &mock.requests()[0];
    assert_eq!(seen.path, "/v1/messages");
    assert_eq!(seen.header("x-api-key"), Some("sk-test-key"));
    assert_eq!(seen.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        seen.header("authorization"),
        None,
        "the key goes in x-api-key only"
    );
    assert_eq!(seen.body["system"], "Answer briefly.");
    assert_eq!(
        seen.body["messages"],
        json!([{"role": "user", "content": "What colour is the sky?"}])
    );
    assert_eq!(seen.body["max_tokens"], 4096);
}

#[test]
fn a_rejected_key_says_so_for_both_protocols() {
    let mock = MockProvider::start(vec![
        Reply::error(
            401,
            json!({"error": {"message": "Incorrect API key provided: sk-tes***key", "type": "invalid_request_error", "code": "invalid_api_key"}}),
        ),
        Reply::error(
            401,
            json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
        ),
    ]);
    for protocol in [Protocol::OpenAi, Protocol::Anthropic] {
        let (deltas, done) = collect(&engine(protocol, &mock));
        let error = done.unwrap_err();
        assert!(deltas.is_empty());
        assert_eq!(error.code(), "REMOTE_AUTH", "{error}");
        let message = error.to_string();
        assert!(message.contains("mock refused the API key"), "{message}");
        assert!(message.contains("hearth providers key mock"), "{message}");
        assert!(
            !message.contains("sk-test-key"),
            "the key itself must never be shown: {message}"
        );
    }
    assert_eq!(mock.connections(), 2, "an auth error is not retried");
}

#[test]
fn a_rate_limit_is_waited_out_when_short_and_reported_when_long() {
    let mock = MockProvider::start(vec![
        Reply::error(429, json!({"error": {"message": "Rate limit reached", "type": "requests"}}))
            .with_header("retry-after-ms", "30"),
        Reply::openai_stream(&["After the wait."]),
        Reply::error(429, json!({"type": "error", "error": {"type": "rate_limit_error", "message": "Number of requests has exceeded your rate limit"}}))
            .with_header("retry-after", "120"),
    ]);
    let (_, done) = collect(&engine(Protocol::OpenAi, &mock));
    assert_eq!(done.unwrap().text, "After the wait.");
    assert_eq!(mock.connections(), 2, "one retry after the server's wait");

    let (_, done) = collect(&engine(Protocol::Anthropic, &mock));
    match done.unwrap_err() {
        error @ LlmError::RateLimited {
            retry_after_secs: Some(120),
            ..
        } => {
            let message = error.to_string();
            assert!(message.contains("try again in 120 seconds"), "{message}");
            assert!(message.contains("exceeded your rate limit"), "{message}");
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
    assert_eq!(
        mock.connections(),
        3,
        "a wait longer than allowed is reported, not slept"
    );
}

#[test]
fn an_overloaded_server_is_retried_with_backoff_then_reported() {
    let overloaded = || {
        Reply::error(
            529,
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        )
    };
    let mock = MockProvider::start(vec![
        overloaded(),
        overloaded(),
        Reply::anthropic_stream(&["Third time."]),
        overloaded(),
        overloaded(),
        overloaded(),
    ]);
    let (_, done) = collect(&engine(Protocol::Anthropic, &mock));
    assert_eq!(done.unwrap().text, "Third time.");
    assert_eq!(mock.connections(), 3);
    let (_, done) = collect(&engine(Protocol::Anthropic, &mock));
    let error = done.unwrap_err();
    assert!(
        matches!(error, LlmError::RemoteFailed { status: 529, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("Overloaded"), "{error}");
    assert_eq!(mock.connections(), 6, "the first try and two retries");
}

#[test]
fn an_error_event_in_the_middle_of_a_stream_fails_the_answer() {
    let mock = MockProvider::start(vec![Reply::stream(vec![
        named(
            "message_start",
            &json!({"type": "message_start", "message": {"usage": {"input_tokens": 3}}}),
        ),
        named(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Half"}}),
        ),
        named(
            "error",
            &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ),
    ])]);
    let (deltas, done) = collect(&engine(Protocol::Anthropic, &mock));
    assert_eq!(deltas, ["Half"]);
    assert!(
        matches!(done, Err(LlmError::RemoteFailed { status: 529, .. })),
        "{done:?}"
    );
}

#[test]
fn a_stream_cut_short_or_not_an_api_is_a_protocol_error() {
    let mock = MockProvider::start(vec![
        Reply::stream(vec![sse(
            &json!({"choices": [{"index": 0, "delta": {"content": "Cut"}}]}),
        )]),
        Reply {
            status: 200,
            headers: vec![("content-type".into(), "text/html".into())],
            chunks: vec!["<html><body>Welcome to nginx!</body></html>".into()],
            pace: Duration::ZERO,
            hold: None,
        },
    ]);
    let (_, done) = collect(&engine(Protocol::OpenAi, &mock));
    let error = done.unwrap_err();
    assert_eq!(error.code(), "REMOTE_PROTOCOL");
    assert!(
        error
            .to_string()
            .contains("ended before the answer was complete"),
        "{error}"
    );
    let (_, done) = collect(&engine(Protocol::OpenAi, &mock));
    assert_eq!(done.unwrap_err().code(), "REMOTE_PROTOCOL");
}

#[test]
fn a_stopped_answer_ends_at_once_and_hangs_up() {
    // Pieces arrive slowly and the stream never ends by itself.
    let piece = |text: &str| sse(&json!({"choices": [{"index": 0, "delta": {"content": text}}]}));
    let mock = MockProvider::start(vec![Reply::stream(vec![
        piece("Once upon"),
        piece(" a"),
        piece(" time"),
    ])
    .paced(Duration::from_millis(300))
    .then_hold(Duration::from_secs(60))]);
    let engine = engine(Protocol::OpenAi, &mock);
    let (mut generation, _) = engine
        .chat(&conversation(), GenerationOptions::greedy())
        .unwrap();
    assert_eq!(
        generation.next_event(),
        Some(GenerationEvent::Delta {
            text: "Once upon".into()
        })
    );
    generation.cancel();
    match generation.next_event() {
        Some(GenerationEvent::Done { completion }) => {
            assert_eq!(completion.stop_reason, StopReason::Cancelled);
            assert_eq!(completion.text, "Once upon");
        }
        other => panic!("expected the stopped answer, got {other:?}"),
    }
    // The next piece finds nobody listening and the connection is closed, so the
    // provider stops generating.
    assert!(
        mock.wait_for_hang_ups(1, Duration::from_secs(30)),
        "the connection should be closed once the answer is stopped"
    );
}

#[test]
fn offline_mode_fails_before_any_connection() {
    let mock = MockProvider::start(vec![Reply::openai_stream(&["never"])]);
    let switch = NetworkSwitch::new(true);
    let engine =
        RemoteEngine::new(settings(Protocol::OpenAi, mock.base_url()), switch.clone()).unwrap();
    let error = engine
        .chat(&conversation(), GenerationOptions::greedy())
        .err()
        .unwrap();
    assert_eq!(error.code(), "OFFLINE");
    assert!(error.to_string().contains("offline mode"), "{error}");
    assert!(engine
        .complete("Once".into(), GenerationOptions::greedy())
        .is_err());
    assert_eq!(mock.connections(), 0, "offline mode must not open a socket");
    // Turning it off lets the same engine through.
    switch.set_offline(false);
    let (_, done) = collect(&engine);
    assert_eq!(done.unwrap().text, "never");
}

#[test]
fn offline_mode_turned_on_during_a_retry_wait_stops_the_retry() {
    let mock = MockProvider::start(vec![
        Reply::error(503, json!({"error": {"message": "restarting"}}))
            .with_header("retry-after", "1"),
        Reply::openai_stream(&["too late"]),
    ]);
    let switch = NetworkSwitch::default();
    let engine =
        RemoteEngine::new(settings(Protocol::OpenAi, mock.base_url()), switch.clone()).unwrap();
    let (generation, _) = engine
        .chat(&conversation(), GenerationOptions::greedy())
        .unwrap();
    // The first try is answered 503 and the engine waits a second before the next.
    while mock.connections() == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    switch.set_offline(true);
    let error = generation.wait().unwrap_err();
    assert_eq!(error.code(), "OFFLINE");
    assert_eq!(mock.connections(), 1);
}

#[test]
fn a_network_that_is_down_is_named_with_the_address() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let engine = RemoteEngine::new(
        settings(Protocol::OpenAi, format!("http://127.0.0.1:{port}/v1")),
        NetworkSwitch::default(),
    )
    .unwrap();
    let (_, done) = collect(&engine);
    let error = done.unwrap_err();
    assert_eq!(error.code(), "REMOTE_UNREACHABLE");
    let message = error.to_string();
    assert!(
        message.contains(&format!("127.0.0.1:{port}/v1/chat/completions")),
        "{message}"
    );
    assert!(
        message.contains("check the network connection"),
        "{message}"
    );
}

#[test]
fn structured_output_works_with_both_protocols() {
    let schema = json!({"type": "object", "properties": {"colour": {"type": "string"}}, "required": ["colour"]});
    let mock = MockProvider::start(vec![
        Reply::openai_stream(&["{\"colour\":", " \"blue\"}"]),
        Reply::stream(vec![
            named(
                "message_start",
                &json!({"type": "message_start", "message": {"usage": {"input_tokens": 9}}}),
            ),
            named(
                "content_block_start",
                &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t", "name": "answer", "input": {}}}),
            ),
            named(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{\"colour\": "}}),
            ),
            named(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "\"blue\"}"}}),
            ),
            named(
                "message_delta",
                &json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 8}}),
            ),
            named("message_stop", &json!({"type": "message_stop"})),
        ]),
    ]);
    let options = GenerationOptions {
        json_schema: Some(schema.clone()),
        ..GenerationOptions::greedy()
    };
    for protocol in [Protocol::OpenAi, Protocol::Anthropic] {
        let engine = engine(protocol, &mock);
        let (generation, _) = engine.chat(&conversation(), options.clone()).unwrap();
        let answer: serde_json::Value =
            serde_json::from_str(&generation.wait().unwrap().text).unwrap();
        assert_eq!(answer, json!({"colour": "blue"}));
    }
    let seen = mock.requests();
    assert_eq!(
        seen[0].body["response_format"]["json_schema"]["schema"],
        schema
    );
    assert_eq!(seen[1].body["tools"][0]["input_schema"], schema);
    assert_eq!(seen[1].body["tool_choice"]["name"], "answer");
}

#[test]
fn raw_completion_and_a_whole_json_answer() {
    let mock = MockProvider::start(vec![
        Reply::stream(vec![
            sse(&json!({"object": "text_completion", "choices": [{"index": 0, "text": " upon a time", "finish_reason": "length"}]})),
            "data: [DONE]\n\n".into(),
        ]),
        Reply {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            chunks: vec![json!({"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Blue."}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 4, "completion_tokens": 2}}).to_string()],
            pace: Duration::ZERO,
            hold: None,
        },
    ]);
    let engine = engine(Protocol::OpenAi, &mock);
    let done = engine
        .complete("Once".into(), GenerationOptions::greedy())
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(
        (done.text.as_str(), done.stop_reason),
        (" upon a time", StopReason::MaxTokens)
    );
    assert_eq!(mock.requests()[0].path, "/v1/completions");
    assert_eq!(mock.requests()[0].body["prompt"], "Once");
    let (_, done) = collect(&engine);
    assert_eq!(done.unwrap().text, "Blue.");
}

#[test]
fn what_anthropic_cannot_do_is_said_plainly() {
    let mock = MockProvider::start(vec![]);
    let engine = engine(Protocol::Anthropic, &mock);
    let error = engine
        .complete("Once".into(), GenerationOptions::greedy())
        .err()
        .unwrap();
    assert_eq!(error.code(), "UNSUPPORTED");
    assert!(
        error.to_string().contains("choose a local model"),
        "{error}"
    );
    assert!(engine.tokenize("x", false).is_err());
    assert!(engine.count_tokens("some words here").unwrap() > 0);
    let info = engine.info();
    assert_eq!(info.provider.as_deref(), Some("mock"));
    assert_eq!(info.name, "mock-model");
    assert_eq!(mock.connections(), 0);
}

/// An OpenAI-compatible provider is sent the tools, the choice and a conversation with
/// a call and its result, and its streamed call (arguments in fragments) and thinking
/// come back as the same events a local model gives.
#[test]
fn openai_compatible_tools_go_out_and_calls_come_back_whole() {
    let chunk = |delta: serde_json::Value| {
        sse(&json!({"object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": null}]}))
    };
    let mock = MockProvider::start(vec![Reply::stream(vec![
        chunk(json!({"role": "assistant", "reasoning_content": "Need the weather."})),
        chunk(
            json!({"content": null, "tool_calls": [{"index": 0, "id": "call_x1", "type": "function",
            "function": {"name": "get_weather", "arguments": ""}}]}),
        ),
        chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\": "}}]})),
        chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Oslo\"}"}}]})),
        sse(&json!({"object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})),
        "data: [DONE]\n\n".into(),
    ])]);
    let options = GenerationOptions {
        tools: vec![hearth_llm::ToolSpec {
            name: "get_weather".into(),
            description: None,
            parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        }],
        tool_choice: hearth_llm::ToolChoice::Required,
        ..GenerationOptions::greedy()
    };
    let mut earlier = ChatMessage::assistant("");
    earlier.tool_calls.push(hearth_llm::ToolCall {
        id: "call_a".into(),
        name: "get_weather".into(),
        arguments: json!({"city": "Bergen"}),
    });
    let messages = vec![
        ChatMessage::user("Weather in Bergen, then Oslo?"),
        earlier,
        ChatMessage::tool_result("call_a", "get_weather", "rain"),
    ];
    let (generation, _) = engine(Protocol::OpenAi, &mock)
        .chat(&messages, options)
        .unwrap();
    let events: Vec<GenerationEvent> = generation.collect();
    let calls: Vec<&hearth_llm::ToolCall> = events
        .iter()
        .filter_map(|e| match e {
            GenerationEvent::ToolCall { call } => Some(call),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 1, "{events:?}");
    assert_eq!(calls[0].id, "call_x1");
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(calls[0].arguments, json!({"city": "Oslo"}));
    assert!(events.contains(&GenerationEvent::Reasoning {
        text: "Need the weather.".into()
    }));
    let Some(GenerationEvent::Done { completion }) = events.last() else {
        panic!("{events:?}");
    };
    assert_eq!(completion.tool_calls.len(), 1);
    assert_eq!(completion.reasoning.as_deref(), Some("Need the weather."));
    assert_eq!(completion.text, "");

    let body = &mock.requests()[0].body;
    assert_eq!(body["tool_choice"], "required");
    assert_eq!(body["tools"][0]["function"]["name"], "get_weather");
    assert_eq!(body["messages"][1]["content"], serde_json::Value::Null);
    assert_eq!(
        body["messages"][1]["tool_calls"][0]["function"]["arguments"],
        "{\"city\":\"Bergen\"}"
    );
    assert_eq!(
        body["messages"][2],
        json!({"role": "tool", "content": "rain", "tool_call_id": "call_a"})
    );
}
