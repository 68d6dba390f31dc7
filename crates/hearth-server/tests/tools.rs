//! Tool calling on `/v1/chat/completions` with the real default model (SmolLM2): the
//! request checks, each a 400 naming its field; `tool_choice: required` and a named
//! function forcing a call through the grammar, in OpenAI's shape whole and streamed;
//! `parallel_tool_calls: false`; `tool_choice: none`; a conversation carrying calls and
//! their results.

use crate::support;

use serde_json::{json, Value};
use support::{parse_events, start, Setup};

fn weather() -> Value {
    json!({
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather now in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "enum": ["Paris", "Lyon", "Nice"]}},
                "required": ["city"],
                "additionalProperties": false
            }
        }
    })
}

fn clock() -> Value {
    json!({
        "type": "function",
        "function": {
            "name": "get_time",
            "parameters": {
                "type": "object",
                "properties": {"zone": {"type": "integer", "minimum": -12, "maximum": 14}},
                "required": ["zone"],
                "additionalProperties": false
            }
        }
    })
}

fn ask(extra: Value) -> Value {
    let mut body = json!({
        "model": "smollm2",
        "messages": [
            {"role": "system", "content": "You can call get_weather(city) and get_time(zone)."},
            {"role": "user", "content": "What is the weather in Nice?"}
        ],
        "tools": [weather(), clock()],
        "max_tokens": 80,
        "temperature": 0
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

/// A call as OpenAI writes it: an id, type `function`, arguments as a JSON string.
fn check_call(call: &Value) -> (String, Value) {
    let id = call["id"].as_str().unwrap();
    assert!(id.starts_with("call_") && id.len() == 29, "{call}");
    assert_eq!(call["type"], "function", "{call}");
    let arguments: Value = serde_json::from_str(call["function"]["arguments"].as_str().unwrap())
        .unwrap_or_else(|e| panic!("arguments are not a JSON string ({e}): {call}"));
    (
        call["function"]["name"].as_str().unwrap().to_owned(),
        arguments,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_tool_requests_are_400s_that_name_the_field() {
    let server = start(Setup::default()).await;
    let broken = json!({"type": "function", "function": {"name": "broken",
        "parameters": {"type": "object", "properties": {"x": {"type": "nonsense"}}}}});
    let assistant_call = |arguments: &str| {
        json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": arguments}}
        ]})
    };
    let cases = [
        (
            ask(json!({"tools": [weather(), broken]})),
            "tools[1].function.parameters",
            "broken",
        ),
        (
            ask(
                json!({"tools": [{"type": "function", "function": {"name": "s", "parameters": {"type": "string"}}}]}),
            ),
            "tools[0].function.parameters",
            "`s`",
        ),
        (
            ask(
                json!({"tools": [{"type": "function", "function": {"name": "r", "parameters": {"$ref": "#/$defs/none"}}}]}),
            ),
            "tools[0].function.parameters",
            "`r`",
        ),
        (
            ask(json!({"tools": [{"type": "retrieval", "function": {"name": "x"}}]})),
            "tools[0].type",
            "function",
        ),
        (
            ask(json!({"tools": [{"type": "function"}]})),
            "tools[0].function",
            "function",
        ),
        (
            ask(json!({"tools": [{"type": "function", "function": {"name": "no spaces"}}]})),
            "tools[0].function.name",
            "no spaces",
        ),
        (
            ask(json!({"tools": [weather(), weather()]})),
            "tools[1].function.name",
            "get_weather",
        ),
        (
            ask(json!({"tool_choice": {"type": "function", "function": {"name": "get_stock"}}})),
            "tool_choice.function.name",
            "get_stock",
        ),
        (
            ask(json!({"tool_choice": "sometimes"})),
            "tool_choice",
            "sometimes",
        ),
        (
            ask(json!({"tools": [], "tool_choice": "required"})),
            "tool_choice",
            "tools",
        ),
        (
            ask(json!({"response_format": {"type": "json_object"}})),
            "response_format",
            "tools",
        ),
        (
            ask(json!({"messages": [
                {"role": "user", "content": "Weather in Paris?"},
                assistant_call("{\"city\": Paris}"),
            ]})),
            "messages[1].tool_calls[0].function.arguments",
            "JSON",
        ),
        (
            ask(json!({"messages": [
                {"role": "user", "content": "Weather in Paris?"},
                assistant_call("{\"city\": \"Paris\"}"),
                {"role": "tool", "tool_call_id": "call_2", "content": "sunny"},
            ]})),
            "messages[2].tool_call_id",
            "call_2",
        ),
        (
            ask(json!({"messages": [
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "tool", "content": "sunny"},
            ]})),
            "messages[1].tool_call_id",
            "tool_call_id",
        ),
    ];
    for (body, param, mentions) in cases {
        let (status, error) = server.post_json("/v1/chat/completions", body.clone()).await;
        assert_eq!(status, 400, "{body} -> {error}");
        assert_eq!(error["error"]["param"], param, "{body} -> {error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(mentions),
            "{message:?} should mention {mentions:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn required_forces_a_call_in_openais_shape() {
    let server = start(Setup::default()).await;
    let (status, body) = server
        .post_json(
            "/v1/chat/completions",
            ask(json!({"tool_choice": "required"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls", "{body}");
    assert_eq!(choice["message"]["role"], "assistant");
    assert!(choice["message"]["content"].is_null(), "only calls: {body}");
    let calls = choice["message"]["tool_calls"].as_array().unwrap();
    assert!(!calls.is_empty(), "{body}");
    for call in calls {
        let (name, arguments) = check_call(call);
        match name.as_str() {
            "get_weather" => {
                assert!(["Paris", "Lyon", "Nice"].contains(&arguments["city"].as_str().unwrap()))
            }
            "get_time" => assert!((-12..=14).contains(&arguments["zone"].as_i64().unwrap())),
            other => panic!("unknown tool {other}"),
        }
        assert_eq!(arguments.as_object().unwrap().len(), 1, "{arguments}");
    }

    // Streamed: the same call, whole in one `tool_calls` delta with its index; the
    // role comes with it and no content.
    let response = server
        .post(
            "/v1/chat/completions",
            ask(json!({"tool_choice": "required", "stream": true})),
        )
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    let events = parse_events(&text);
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| e.json())
        .collect();
    let deltas: Vec<&Value> = chunks.iter().map(|c| &c["choices"][0]["delta"]).collect();
    assert_eq!(deltas[0]["role"], "assistant", "{text}");
    assert!(deltas[0]["content"].is_null(), "{text}");
    let streamed: Vec<&Value> = deltas
        .iter()
        .filter_map(|d| d["tool_calls"].as_array())
        .flatten()
        .collect();
    assert_eq!(streamed.len(), calls.len(), "{text}");
    for (i, call) in streamed.iter().enumerate() {
        assert_eq!(call["index"], i);
        assert_eq!(
            check_call(call),
            check_call(&calls[i]),
            "greedy: the same calls"
        );
    }
    assert!(
        deltas
            .iter()
            .all(|d| d["content"].as_str().is_none_or(str::is_empty)),
        "{text}"
    );
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_function_is_the_one_called_and_parallel_off_means_one_call() {
    let server = start(Setup::default()).await;
    let (status, body) = server
        .post_json(
            "/v1/chat/completions",
            ask(json!({
                "tool_choice": {"type": "function", "function": {"name": "get_time"}},
                "parallel_tool_calls": false
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let calls = body["choices"][0]["message"]["tool_calls"]
        .as_array()
        .unwrap();
    assert_eq!(calls.len(), 1, "{body}");
    let (name, arguments) = check_call(&calls[0]);
    assert_eq!(name, "get_time");
    assert!(arguments["zone"].is_i64(), "{arguments}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_choice_none_answers_in_text_and_results_are_accepted() {
    let server = start(Setup::default()).await;
    let (status, body) = server
        .post_json(
            "/v1/chat/completions",
            ask(json!({"tool_choice": "none", "max_tokens": 20})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let choice = &body["choices"][0];
    assert!(choice["message"].get("tool_calls").is_none(), "{body}");
    assert!(["stop", "length"].contains(&choice["finish_reason"].as_str().unwrap()));
    assert!(choice["message"]["content"].is_string());

    // A conversation with a call and its result (content null on the assistant turn):
    // accepted, and the result is in the prompt.
    let conversation = |with_result: bool| {
        let mut messages = vec![
            json!({"role": "user", "content": "What is the weather in Nice?"}),
            json!({"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_abc", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"city\": \"Nice\"}"}}
            ]}),
        ];
        if with_result {
            messages.push(json!({"role": "tool", "tool_call_id": "call_abc",
                "content": "{\"temperature_c\": 21, \"sky\": \"clear\"}"}));
        }
        ask(json!({"max_tokens": 5, "messages": messages}))
    };
    let (status, without) = server
        .post_json("/v1/chat/completions", conversation(false))
        .await;
    assert_eq!(status, 200, "{without}");
    let (status, with) = server
        .post_json("/v1/chat/completions", conversation(true))
        .await;
    assert_eq!(status, 200, "{with}");
    let prompt = |body: &Value| body["usage"]["prompt_tokens"].as_u64().unwrap();
    assert!(prompt(&with) > prompt(&without) + 8, "{with} vs {without}");
}
