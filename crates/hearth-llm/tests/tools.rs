//! Tool calls on the real engine: every family's grammar is accepted by llama.cpp with
//! SmolLM2's vocabulary and, forced from the first token, makes even this small model
//! write a call its family's reader parses, arguments within the schema; a lazy grammar
//! leaves an answer without a call exactly as it was; `tool_choice: required` through
//! `chat` gives a call.

mod support;

use std::sync::OnceLock;

use hearth_llm::output::tools::{grammar_for, parser_for};
use hearth_llm::{
    ChatMessage, Engine, EngineRequest, EngineSettings, GenerationEvent, GenerationOptions,
    LlamaEngine, Prompt, ToolChoice, ToolSpec,
};
use serde_json::json;

fn engine() -> &'static LlamaEngine {
    static ENGINE: OnceLock<LlamaEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let settings = EngineSettings {
            context_length: 1024,
            parallel: 2,
            threads: Some(2),
            ..Default::default()
        };
        LlamaEngine::load(&support::smollm2(), &settings).expect("default model loads")
    })
}

fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_weather".into(),
        description: Some("The weather now in a city".into()),
        parameters: json!({
            "type": "object",
            "properties": {"city": {"type": "string", "enum": ["Paris", "Lyon", "Nice"]}},
            "required": ["city"],
            "additionalProperties": false
        }),
    }
}

fn options(choice: ToolChoice, max_tokens: u32) -> GenerationOptions {
    GenerationOptions {
        max_tokens: Some(max_tokens),
        tools: vec![
            weather_tool(),
            ToolSpec {
                name: "get_time".into(),
                description: None,
                parameters: json!({"type": "object", "properties": {"zone": {"type": "integer"}}, "required": ["zone"]}),
            },
        ],
        tool_choice: choice,
        ..GenerationOptions::greedy()
    }
}

fn template(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.testdata/chat-templates")
        .join(format!("{name}.jinja"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run `scripts/fetch-test-templates.sh`",
            path.display()
        )
    })
}

/// Runs a request and returns the raw text.
fn raw_text(request: EngineRequest) -> String {
    let completion = engine().submit(request).unwrap().wait().unwrap();
    completion.text
}

#[test]
fn every_familys_grammar_forces_a_call_its_reader_parses() {
    let prompt =
        "<|im_start|>user\nWhat is the weather in Lyon?<|im_end|>\n<|im_start|>assistant\n";
    for name in [
        "Qwen-Qwen2.5-7B-Instruct",
        "meta-llama-Llama-3.1-8B-Instruct",
        "mistralai-Mistral-Nemo-Instruct-2407",
        "Mistral-Small-3.2-24B-Instruct-2506",
        "unsloth-mistral-Devstral-Small-2507",
        "openai-gpt-oss-120b",
        "meetkai-functionary-medium-v3.2",
        "CohereForAI-c4ai-command-r7b-12-2024-tool_use",
        "ibm-granite-granite-3.3-2B-Instruct",
        "llama-cpp-deepseek-r1",
        "deepseek-ai-DeepSeek-V3.1",
        "google-gemma-2-2b-it",
    ] {
        let template = template(name);
        let options = GenerationOptions {
            parallel_tool_calls: false,
            ..options(
                ToolChoice::Function {
                    name: "get_weather".into(),
                },
                160,
            )
        };
        let grammar = grammar_for(&template, &options).unwrap().unwrap();
        assert!(
            grammar.triggers.is_empty(),
            "{name}: a named function is forced from the start"
        );
        let request = EngineRequest {
            prompt: Prompt::Text(prompt.into()),
            options: options.clone(),
            grammar: Some(grammar.grammar.clone()),
            grammar_triggers: grammar.triggers,
            preserved_tokens: grammar.preserved,
            ..hearth_llm::prepare_request(Prompt::Text(String::new()), GenerationOptions::greedy())
                .unwrap()
        };
        let text = raw_text(request);
        let mut parser = parser_for(&template, &options).unwrap();
        let mut events = parser.push(&text);
        events.extend(parser.finish());
        let calls: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                GenerationEvent::ToolCall { call } => Some(call.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            calls.len(),
            1,
            "{name}: one call in {text:?}\ngrammar:\n{}",
            grammar.grammar
        );
        assert_eq!(calls[0].name, "get_weather", "{name}: {text:?}");
        let city = calls[0].arguments["city"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            ["Paris", "Lyon", "Nice"].contains(&city.as_str()),
            "{name}: {text:?}"
        );
        assert_eq!(
            calls[0].arguments.as_object().unwrap().len(),
            1,
            "{name}: {text:?}"
        );
    }
}

#[test]
fn a_lazy_grammar_leaves_an_answer_without_a_call_as_it_was() {
    let question = vec![ChatMessage::user("What is the capital of France?")];
    let plain = GenerationOptions {
        max_tokens: Some(30),
        ..GenerationOptions::greedy()
    };
    let (without, _) = engine().chat(&question, plain).unwrap();
    let without = without.wait().unwrap();
    let (with, _) = engine()
        .chat(&question, options(ToolChoice::Auto, 30))
        .unwrap();
    let with = with.wait().unwrap();
    assert_eq!(with.text, without.text);
    assert!(with.tool_calls.is_empty());
    assert!(!with.text.is_empty());
}

#[test]
fn tool_choice_required_makes_smollm2_call_a_tool() {
    let question = vec![
        ChatMessage::system("You can call get_weather(city) and get_time(zone)."),
        ChatMessage::user("What is the weather in Nice?"),
    ];
    let (generation, _) = engine()
        .chat(&question, options(ToolChoice::Required, 80))
        .unwrap();
    let mut calls = Vec::new();
    let mut completion = None;
    for event in generation {
        match event {
            GenerationEvent::ToolCall { call } => calls.push(call),
            GenerationEvent::Done { completion: c } => completion = Some(c),
            GenerationEvent::Failed { error } => panic!("{error}"),
            _ => {}
        }
    }
    let completion = completion.unwrap();
    assert_eq!(
        completion.tool_calls, calls,
        "the completion holds the streamed calls"
    );
    assert!(!calls.is_empty(), "no call in {:?}", completion.text);
    for call in &calls {
        match call.name.as_str() {
            "get_weather" => assert!(call.arguments["city"].is_string(), "{call:?}"),
            "get_time" => assert!(call.arguments["zone"].is_i64(), "{call:?}"),
            other => panic!("unknown tool {other}"),
        }
        assert!(call.id.starts_with("call_"));
    }
    assert_eq!(
        completion.text.trim(),
        "",
        "only calls: {:?}",
        completion.text
    );
}

#[test]
fn tool_choice_none_describes_but_never_calls() {
    let options = options(ToolChoice::None, 10);
    let template = template("Qwen-Qwen2.5-7B-Instruct");
    assert!(grammar_for(&template, &options).unwrap().is_none());
    assert!(parser_for(&template, &options).is_none());
}
