//! Table tests per family, with model outputs taken from llama.cpp's own tests
//! (`tests/test-chat.cpp` of the llama.cpp that llama-cpp-python 0.3.36 vendors, and of
//! the version before its parsers were generated), and property tests: however the
//! output is cut into pieces, the events add up to the same answer and calls.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::{CallStream, Family};
use crate::output::ToolCallParser;
use crate::request::GenerationEvent;

const TOOLS: &[&str] = &[
    "special_function",
    "special_function_with_opt",
    "python",
    "code_interpreter",
    "get_time",
];
const HELLO: &str = "Hello, world!\nWhat's up?";

#[derive(Debug, Clone, PartialEq)]
struct Parsed {
    text: String,
    calls: Vec<(String, Value)>,
    ids: Vec<String>,
}

fn run(family: Family, chunks: &[&str], parallel: bool) -> (Parsed, Vec<GenerationEvent>) {
    let tools = TOOLS.iter().map(|t| t.to_string()).collect();
    let mut stream = CallStream::new(family, tools, (!parallel).then_some(1));
    let mut events = Vec::new();
    for chunk in chunks {
        events.extend(stream.push(chunk));
    }
    events.extend(stream.finish());
    let mut parsed = Parsed {
        text: String::new(),
        calls: Vec::new(),
        ids: Vec::new(),
    };
    for event in &events {
        match event {
            GenerationEvent::Delta { text } => parsed.text.push_str(text),
            GenerationEvent::ToolCall { call } => {
                parsed
                    .calls
                    .push((call.name.clone(), call.arguments.clone()));
                parsed.ids.push(call.id.clone());
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    (parsed, events)
}

fn parse(family: Family, output: &str) -> Parsed {
    run(family, &[output], true).0
}

fn call(name: &str, arguments: Value) -> (String, Value) {
    (name.to_owned(), arguments)
}

fn arg1() -> (String, Value) {
    call("special_function", json!({"arg1": 1}))
}

/// One row of a family's table: model output, expected answer text, expected calls.
type Row<'a> = (&'a str, &'a str, Vec<(String, Value)>);

fn check(family: Family, table: &[Row<'_>]) {
    for (output, text, calls) in table {
        let parsed = parse(family, output);
        assert_eq!(&parsed.text, text, "{family:?}: answer text of {output:?}");
        assert_eq!(&parsed.calls, calls, "{family:?}: calls in {output:?}");
        // Every piece cut: the same result, and every call whole in one event.
        let chars: Vec<String> = output.chars().map(String::from).collect();
        let pieces: Vec<&str> = chars.iter().map(String::as_str).collect();
        let (by_char, _) = run(family, &pieces, true);
        assert_eq!(
            by_char.text, parsed.text,
            "{family:?}: char by char, {output:?}"
        );
        assert_eq!(
            by_char.calls, parsed.calls,
            "{family:?}: char by char, {output:?}"
        );
    }
}

#[test]
fn hermes_and_qwen() {
    check(
        Family::Hermes,
        &[
            (HELLO, HELLO, vec![]),
            (
                "<tool_call>\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}\n</tool_call>",
                "",
                vec![arg1()],
            ),
            (
                "<tool_call>\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}</tool_call>",
                "",
                vec![arg1()],
            ),
            (
                "Hello, world!\nWhat's up?<tool_call>\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}</tool_call>",
                HELLO,
                vec![arg1()],
            ),
            ("<function=special_function>{\"arg1\": 1}</function>", "", vec![arg1()]),
            (
                "<function name=\"special_function\">\n{\"arg1\": 1}\n</function>",
                "",
                vec![arg1()],
            ),
            (
                "{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}",
                "",
                vec![arg1()],
            ),
            (
                "{\n  \"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}",
                "",
                vec![arg1()],
            ),
            (
                "<tool_call>\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}\n</tool_call>\n<tool_call>\n{\"name\": \"python\", \"arguments\": {\"code\":\"print('hello')\"}}\n</tool_call>",
                "",
                vec![arg1(), call("python", json!({"code": "print('hello')"}))],
            ),
            (
                "<function=special_function>{\"arg1\": 1}</function>\n<function=python>{\"code\":\"print('hello')\"}</function>",
                "",
                vec![arg1(), call("python", json!({"code": "print('hello')"}))],
            ),
            // Arguments written as a JSON string are read as the object inside.
            (
                "<tool_call>{\"name\": \"special_function\", \"arguments\": \"{\\\"arg1\\\": 1}\"}</tool_call>",
                "",
                vec![arg1()],
            ),
            // Looked like a call, was not: released as text.
            ("<tool_call>nah uhg</tool_call>", "<tool_call>nah uhg</tool_call>", vec![]),
            (
                "Let me see <tool_call>{\"name\": \"special_fun",
                "Let me see <tool_call>{\"name\": \"special_fun",
                vec![],
            ),
            // A tool nobody offered is not called.
            (
                "<tool_call>{\"name\": \"rm_rf\", \"arguments\": {}}</tool_call>",
                "<tool_call>{\"name\": \"rm_rf\", \"arguments\": {}}</tool_call>",
                vec![],
            ),
            // JSON in the middle of an answer is text; only the start may be a bare call.
            (
                "Use {\"name\": \"special_function\", \"arguments\": {}} like this.",
                "Use {\"name\": \"special_function\", \"arguments\": {}} like this.",
                vec![],
            ),
            ("{\"city\": \"Paris\"}", "{\"city\": \"Paris\"}", vec![]),
            (
                "Sure.\n\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n",
                "Sure.",
                vec![call("get_time", json!({"city": "Paris"}))],
            ),
            ("a < b, and <tool is a word", "a < b, and <tool is a word", vec![]),
            // Fenced calls (llama.cpp's Hermes parser reads them; Qwen2.5-Coder writes them).
            (
                "```json\n  {\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}\n```",
                "",
                vec![arg1()],
            ),
            (
                "```xml\n  {\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}\n```",
                "",
                vec![arg1()],
            ),
            (
                "```\n{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}\n```",
                "",
                vec![arg1()],
            ),
            (
                "Calling it.\n```json\n{\n  \"name\": \"get_time\",\n  \"arguments\": {\n    \"city\": \"Paris\"\n  }\n}\n```",
                "Calling it.",
                vec![call("get_time", json!({"city": "Paris"}))],
            ),
            (
                "Run:\n```python\nprint(1)\n```\nor ```json\n{\"a\": 1}\n```",
                "Run:\n```python\nprint(1)\n```\nor ```json\n{\"a\": 1}\n```",
                vec![],
            ),
        ],
    );
}

#[test]
fn llama_3() {
    check(
        Family::Llama3,
        &[
            (HELLO, HELLO, vec![]),
            (
                "{\"name\": \"special_function\", \"parameters\": {\"arg1\": 1}}",
                "",
                vec![arg1()],
            ),
            (
                "{\"type\": \"function\", \"name\": \"special_function\", \"parameters\": {\"arg1\": 1}}",
                "",
                vec![arg1()],
            ),
            (
                "<|python_tag|>python.call(code=\"print('hey')\")",
                "",
                vec![call("python", json!({"code": "print('hey')"}))],
            ),
            (
                "<|python_tag|>code_interpreter.call(code=\"print('hey')\")",
                "",
                vec![call("code_interpreter", json!({"code": "print('hey')"}))],
            ),
            (
                "<|python_tag|>{\"name\": \"special_function\", \"parameters\": {\"arg1\": 1}}",
                "",
                vec![arg1()],
            ),
            (
                "<|python_tag|>print('hey')",
                "",
                vec![call("python", json!({"code": "print('hey')"}))],
            ),
            ("{\"foo\": 1}", "{\"foo\": 1}", vec![]),
        ],
    );
}

#[test]
fn mistral() {
    check(
        Family::MistralNemo,
        &[
            (HELLO, HELLO, vec![]),
            (
                "[TOOL_CALLS][{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}, \"id\": \"123456789\"}]",
                "",
                vec![arg1()],
            ),
        ],
    );
    check(
        Family::MistralArgs { call_id: true },
        &[
            (
                "[TOOL_CALLS]special_function[CALL_ID]123456789[ARGS]{\"arg1\": 1}",
                "",
                vec![arg1()],
            ),
            (
                "[TOOL_CALLS]special_function[CALL_ID]000000001[ARGS]{\"arg1\": 1}[TOOL_CALLS]special_function_with_opt[CALL_ID]000000002[ARGS]{\"arg1\": 1, \"arg2\": 2}",
                "",
                vec![arg1(), call("special_function_with_opt", json!({"arg1": 1, "arg2": 2}))],
            ),
        ],
    );
    check(
        Family::MistralArgs { call_id: false },
        &[
            (
                "[TOOL_CALLS]special_function[ARGS]{\"arg1\": 1}",
                "",
                vec![arg1()],
            ),
            (
                "Hello, world!\nWhat's up?[TOOL_CALLS]special_function[ARGS]{\"arg1\": 1}",
                HELLO,
                vec![arg1()],
            ),
            ("[TOOL_CALLS]", "[TOOL_CALLS]", vec![]),
        ],
    );
    // The model's own ids are kept: Mistral's template checks them on the next turn.
    let parsed = parse(
        Family::MistralArgs { call_id: true },
        "[TOOL_CALLS]special_function[CALL_ID]123456789[ARGS]{\"arg1\": 1}",
    );
    assert_eq!(parsed.ids, vec!["123456789".to_owned()]);
    let parsed = parse(
        Family::MistralArgs { call_id: false },
        "[TOOL_CALLS]special_function[ARGS]{}",
    );
    assert!(parsed.ids[0].len() == 9 && parsed.ids[0].chars().all(|c| c.is_ascii_alphanumeric()));
}

#[test]
fn gpt_oss() {
    check(
        Family::GptOss,
        &[
            (
                "<|channel|>commentary to=functions.special_function <|constrain|>json<|message|>{\"arg1\": 1}",
                "",
                vec![arg1()],
            ),
            (
                "<|channel|>commentary to=functions.special_function<|message|>{\"arg1\": 1}<|call|>",
                "",
                vec![arg1()],
            ),
            (
                "<|start|>assistant<|channel|>commentary<|message|>Hello, world!\nWhat's up?<|end|><|start|>assistant<|channel|>commentary to=functions.special_function <|constrain|>json<|message|>{\"arg1\": 1}",
                HELLO,
                vec![arg1()],
            ),
            (
                " to=functions.special_function<|channel|>commentary <|constrain|>json<|message|>{\"arg1\": 1}",
                "",
                vec![arg1()],
            ),
            ("<|channel|>final<|message|>Hello, world!\nWhat's up?", HELLO, vec![]),
            ("<|channel|>commentary<|message|>Hello, world!\nWhat's up?", HELLO, vec![]),
        ],
    );
}

#[test]
fn functionary_v3_2() {
    check(
        Family::FunctionaryV32,
        &[
            ("all\nHello, world!\nWhat's up?", HELLO, vec![]),
            ("special_function\n{\"arg1\": 1}", "", vec![arg1()]),
            (
                "special_function\n{\"arg1\": 1} \n                    ",
                "",
                vec![arg1()],
            ),
            (
                "all\nHello, world!\nnono\nWhat's up?>>>special_function\n{\"arg1\": 1}\n",
                "Hello, world!\nnono\nWhat's up?",
                vec![arg1()],
            ),
            (
                "python\n# This is a program:\nprint('hey')",
                "",
                vec![call(
                    "python",
                    json!({"code": "# This is a program:\nprint('hey')"}),
                )],
            ),
            ("Hi there", "Hi there", vec![]),
        ],
    );
}

#[test]
fn command_r7b() {
    check(
        Family::CommandR7b,
        &[
            (HELLO, HELLO, vec![]),
            ("<|START_RESPONSE|>Hello, world!\nWhat's up?<|END_RESPONSE|>", HELLO, vec![]),
            (
                "<|START_ACTION|>[\n    {\"tool_call_id\": \"0\", \"tool_name\": \"special_function\", \"parameters\": {\"arg1\": 1}}\n]<|END_ACTION|>",
                "",
                vec![arg1()],
            ),
            (
                "<|START_ACTION|>[\n    {\"tool_call_id\": \"0\", \"tool_name\": \"special_function\", \"parameters\": {\"arg1\": 1}},\n    {\"tool_call_id\": \"1\", \"tool_name\": \"python\", \"parameters\": {\"code\": \"print('hey')\"}}\n]<|END_ACTION|>",
                "",
                vec![arg1(), call("python", json!({"code": "print('hey')"}))],
            ),
        ],
    );
}

#[test]
fn granite() {
    check(
        Family::Granite,
        &[
            (HELLO, HELLO, vec![]),
            (
                "<|tool_call|>[{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}]",
                "",
                vec![arg1()],
            ),
            (
                "<|tool_call|>[{\"name\": \"special_function\", \"arguments\": {\"arg",
                "<|tool_call|>[{\"name\": \"special_function\", \"arguments\": {\"arg",
                vec![],
            ),
        ],
    );
}

#[test]
fn deepseek() {
    let r1 = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>special_function\n```json\n{\"arg1\": 1}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
    for family in [Family::DeepSeekR1, Family::DeepSeekV31] {
        check(
            family,
            &[
                (HELLO, HELLO, vec![]),
                (r1, "", vec![arg1()]),
                (
                    "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>special_function\n```json\n{\"arg1\": 1}```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
                    "",
                    vec![arg1()],
                ),
                (
                    "<｜tool▁calls｜>function<｜tool▁sep｜>special_function\n```json\n{\"arg1\": 1}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
                    "",
                    vec![arg1()],
                ),
                (
                    "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{\"city\": \"XYZCITY\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
                    "",
                    vec![call("get_time", json!({"city": "XYZCITY"}))],
                ),
                (
                    "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{\"city\": \"A\"}<｜tool▁call▁end｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{\"city\": \"B\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
                    "",
                    vec![call("get_time", json!({"city": "A"})), call("get_time", json!({"city": "B"}))],
                ),
            ],
        );
    }
}

#[test]
fn generic_json() {
    check(
        Family::Generic,
        &[
            (HELLO, HELLO, vec![]),
            (
                "{\"tool_call\": {\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}}",
                "",
                vec![arg1()],
            ),
            ("{\n  \"response\": \"Hello, world!\\nWhat's up?\"\n}", HELLO, vec![]),
            (
                "{\"tool_calls\": [{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}, {\"name\": \"get_time\", \"arguments\": {\"city\": \"Rome\"}}]}",
                "",
                vec![arg1(), call("get_time", json!({"city": "Rome"}))],
            ),
            (
                "{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}",
                "",
                vec![arg1()],
            ),
            (
                "{ \"tool_call\" : { \"name\" : \"t",
                "{ \"tool_call\" : { \"name\" : \"t",
                vec![],
            ),
            ("{\"a\": [1, 2]}", "{\"a\": [1, 2]}", vec![]),
        ],
    );
}

#[test]
fn answer_text_streams_before_a_call_and_the_call_comes_whole() {
    let (_, events) = run(
        Family::Hermes,
        &[
            "Let me ",
            "check.",
            "\n<tool",
            "_call>\n{\"name\": \"get_time\", ",
            "\"arguments\": {\"city\": \"Paris\"}}",
            "\n</tool_call>",
        ],
        true,
    );
    let kinds: Vec<String> = events
        .iter()
        .map(|e| match e {
            GenerationEvent::Delta { text } => format!("text {text:?}"),
            GenerationEvent::ToolCall { call } => format!("call {}", call.name),
            _ => "other".into(),
        })
        .collect();
    // Trailing whitespace waits for what follows it (it is dropped before a call).
    assert_eq!(
        kinds,
        ["text \"Let me\"", "text \" check.\"", "call get_time"]
    );
}

#[test]
fn parallel_calls_off_keeps_the_first() {
    let output = "<tool_call>{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}}</tool_call><tool_call>{\"name\": \"python\", \"arguments\": {}}</tool_call>";
    let (parsed, _) = run(Family::Hermes, &[output], false);
    assert_eq!(parsed.calls, vec![arg1()]);
    assert_eq!(parsed.text, "");
}

#[test]
fn ids_are_unique_and_shaped_like_openai_ones() {
    let output = "<tool_call>{\"name\": \"python\", \"arguments\": {}}</tool_call><tool_call>{\"name\": \"python\", \"arguments\": {}}</tool_call>";
    let parsed = parse(Family::Hermes, output);
    assert_eq!(parsed.ids.len(), 2);
    assert_ne!(parsed.ids[0], parsed.ids[1]);
    for id in &parsed.ids {
        let rest = id.strip_prefix("call_").expect("call_ prefix");
        assert!(
            rest.len() == 24 && rest.chars().all(|c| c.is_ascii_alphanumeric()),
            "{id}"
        );
    }
}

/// Real templates (llama.cpp's collection, fetched by scripts/fetch-test-templates.sh)
/// are told apart as llama.cpp tells them.
#[test]
fn families_are_told_from_real_templates() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.testdata/chat-templates");
    assert!(
        dir.join("Qwen-Qwen2.5-7B-Instruct.jinja").is_file(),
        "{} is missing: run `scripts/fetch-test-templates.sh`",
        dir.display()
    );
    let cases = [
        ("Qwen-Qwen2.5-7B-Instruct", Family::Hermes),
        ("Qwen-Qwen3-0.6B", Family::Hermes),
        (
            "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use",
            Family::Hermes,
        ),
        (
            "NousResearch-Hermes-3-Llama-3.1-8B-tool_use",
            Family::Hermes,
        ),
        ("ibm-granite-granite-4.0", Family::Hermes),
        ("meta-llama-Llama-3.1-8B-Instruct", Family::Llama3),
        ("meta-llama-Llama-3.2-3B-Instruct", Family::Llama3),
        ("meta-llama-Llama-3.3-70B-Instruct", Family::Llama3),
        ("mistralai-Mistral-Nemo-Instruct-2407", Family::MistralNemo),
        (
            "Mistral-Small-3.2-24B-Instruct-2506",
            Family::MistralArgs { call_id: true },
        ),
        (
            "unsloth-mistral-Devstral-Small-2507",
            Family::MistralArgs { call_id: false },
        ),
        ("openai-gpt-oss-120b", Family::GptOss),
        ("meetkai-functionary-medium-v3.2", Family::FunctionaryV32),
        (
            "CohereForAI-c4ai-command-r7b-12-2024-tool_use",
            Family::CommandR7b,
        ),
        ("ibm-granite-granite-3.3-2B-Instruct", Family::Granite),
        (
            "deepseek-ai-DeepSeek-R1-Distill-Llama-8B",
            Family::DeepSeekR1,
        ),
        ("llama-cpp-deepseek-r1", Family::DeepSeekR1),
        ("deepseek-ai-DeepSeek-V3.1", Family::DeepSeekV31),
        ("google-gemma-2-2b-it", Family::Generic),
        ("microsoft-Phi-3.5-mini-instruct", Family::Generic),
    ];
    for (name, family) in cases {
        let text = std::fs::read_to_string(dir.join(format!("{name}.jinja"))).unwrap();
        assert_eq!(Family::of_template(&text), family, "{name}");
    }
}

/// Every family's output, for the property tests.
fn samples() -> Vec<(Family, &'static str)> {
    vec![
        (Family::Hermes, "```json\n{\"name\": \"get_time\", \"arguments\": {\"city\": \"Oslo\"}}\n``` and ```py\nx\n```"),
        (Family::Hermes, "Sure.\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>{\"name\": \"python\", \"arguments\": {\"code\": \"1 < 2\"}}</tool_call> Done <tool nope"),
        (Family::Llama3, "{\"name\": \"special_function\", \"parameters\": {\"arg1\": 1}}"),
        (Family::Llama3, "I'll run <|python_tag|>python.call(code=\"print('hey')\")"),
        (Family::MistralArgs { call_id: true }, "Ok[TOOL_CALLS]special_function[CALL_ID]000000001[ARGS]{\"arg1\": 1}[TOOL_CALLS]get_time[CALL_ID]000000002[ARGS]{\"city\": \"Oslo\"}"),
        (Family::MistralNemo, "[TOOL_CALLS][{\"name\": \"special_function\", \"arguments\": {\"arg1\": 1}, \"id\": \"123456789\"}]"),
        (Family::GptOss, "<|start|>assistant<|channel|>commentary<|message|>Wait.<|end|><|start|>assistant<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{\"city\": \"Lima\"}<|call|>"),
        (Family::FunctionaryV32, "all\nLet me look >> here>>>get_time\n{\"city\": \"Kyiv\"}>>>python\nprint(1)"),
        (Family::CommandR7b, "<|START_RESPONSE|>Hi<|END_RESPONSE|><|START_ACTION|>[{\"tool_call_id\": \"0\", \"tool_name\": \"get_time\", \"parameters\": {\"city\": \"Rome\"}}]<|END_ACTION|>"),
        (Family::Granite, "Text <|tool_call|>[{\"name\": \"get_time\", \"arguments\": {\"city\": \"Bern\"}}]"),
        (Family::DeepSeekR1, "x<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_time\n```json\n{\"city\": \"Baku\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>"),
        (Family::Generic, "{\"tool_calls\": [{\"name\": \"get_time\", \"arguments\": {\"city\": \"Riga\"}}]}"),
        (Family::Generic, "{\"response\": \"é 🔥\"}"),
    ]
}

/// `text` cut at the given places (rounded to character boundaries).
fn cut(text: &str, cuts: &[usize]) -> Vec<String> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|c| {
            let mut p = c % (text.len() + 1);
            while !text.is_char_boundary(p) {
                p -= 1;
            }
            p
        })
        .collect();
    points.push(0);
    points.push(text.len());
    points.sort_unstable();
    points.dedup();
    points
        .windows(2)
        .map(|w| text[w[0]..w[1]].to_owned())
        .collect()
}

proptest! {
    #[test]
    fn any_chunking_gives_the_same_answer_and_calls(
        sample in 0usize..13,
        cuts in proptest::collection::vec(0usize..400, 0..40),
    ) {
        let samples = samples();
        let (family, output) = samples[sample % samples.len()];
        let whole = parse(family, output);
        let pieces = cut(output, &cuts);
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        let (chunked, events) = run(family, &refs, true);
        prop_assert_eq!(&chunked.text, &whole.text);
        prop_assert_eq!(&chunked.calls, &whole.calls);
        // Text is never handed out empty, and calls come whole.
        for event in events {
            if let GenerationEvent::Delta { text } = event {
                prop_assert!(!text.is_empty());
            }
        }
    }
}
