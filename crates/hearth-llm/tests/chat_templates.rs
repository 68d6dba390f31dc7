//! Hearth's Jinja chat templates against the reference: llama.cpp's 70 real templates
//! (`scripts/fetch-test-templates.sh` puts them in `.testdata/chat-templates/`), each
//! rendered with every conversation of `tests/templates/conversations.json` by
//! `tests/templates/reference.py` (jinja2, as Hugging Face transformers renders) and by
//! Hearth's `ChatFormatter`. Every rendering must be the same byte for byte, and where
//! the reference raises (a template that refuses a system message, parallel calls, no
//! tools) Hearth must refuse too, which it shows by falling back to its built-in
//! template with the reason.
//!
//! Also: the token texts a loaded model gives its templates, and one BOS however the
//! prompt starts.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hearth_llm::chat_template::Clock;
use hearth_llm::{
    ChatFormatter, ChatMessage, Engine, EngineSettings, LlamaEngine, TemplateOptions,
    TemplateSource, ToolSpec,
};
use serde_json::Value;

/// Renders that differ from the reference for a reason Hearth cannot follow, with the
/// reason; each is still checked against the reference with that difference undone.
struct KnownDifference {
    template: &'static str,
    conversations: &'static [&'static str],
    reason: &'static str,
    /// The reference text as Hearth's rendering should read.
    undo: fn(&str) -> String,
}

const KNOWN_DIFFERENCES: &[KnownDifference] = &[KnownDifference {
    template: "meetkai-functionary-medium-v3.1",
    conversations: &[
        "tools_offered",
        "tool_call_and_result",
        "tool_call_then_answer",
        "parallel_tool_calls",
    ],
    reason: "the template writes `\"...\"|safe + text`; in Python that makes a \
             markupsafe.Markup, whose `+` HTML-escapes the other side even with \
             autoescaping off, so transformers writes the tools' JSON as &#34;name&#34;. \
             minijinja escapes such concatenations only when autoescaping is on, which \
             would escape every other value; Hearth writes the JSON unescaped, as \
             llama.cpp does",
    undo: unescape_markup,
}];

/// markupsafe's escaping, undone.
fn unescape_markup(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_json(path: &Path, what_to_run: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run {what_to_run} first",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

struct Case {
    name: String,
    messages: Vec<ChatMessage>,
    options: TemplateOptions,
}

fn cases(setup: &Value) -> Vec<Case> {
    setup["conversations"]
        .as_array()
        .expect("conversations is a list")
        .iter()
        .map(|c| {
            let tools: Vec<ToolSpec> = match c.get("tools").and_then(Value::as_str) {
                Some(set) => serde_json::from_value(setup["tool_sets"][set].clone())
                    .expect("a tool set in ToolSpec's shape"),
                None => Vec::new(),
            };
            Case {
                name: c["name"].as_str().expect("a name").to_owned(),
                messages: serde_json::from_value(c["messages"].clone())
                    .expect("messages in ChatMessage's shape"),
                options: TemplateOptions {
                    tools,
                    enable_thinking: c.get("enable_thinking").and_then(Value::as_bool),
                    reasoning_effort: c
                        .get("reasoning_effort")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    add_generation_prompt: c["add_generation_prompt"]
                        .as_bool()
                        .expect("add_generation_prompt"),
                },
            }
        })
        .collect()
}

/// Where the first difference is, with some text around it from both sides.
fn first_difference(ours: &str, want: &str) -> String {
    let at = ours
        .char_indices()
        .zip(want.chars())
        .find(|((_, a), b)| a != b)
        .map(|((i, _), _)| i)
        .unwrap_or(ours.len().min(want.len()));
    let window = |s: &str| -> String {
        let start = s[..at.min(s.len())]
            .char_indices()
            .rev()
            .nth(40)
            .map_or(0, |(i, _)| i);
        s[start..].chars().take(120).collect()
    };
    format!(
        "first difference at byte {at}\n      hearth:    {:?}\n      reference: {:?}",
        window(ours),
        window(want)
    )
}

#[test]
fn every_reference_template_renders_as_transformers_does() {
    let templates_dir = root().join(".testdata/chat-templates");
    let fetch = "scripts/fetch-test-templates.sh";
    let reference = "python3 tests/templates/reference.py";
    let mut names: BTreeSet<String> = std::fs::read_dir(&templates_dir)
        .unwrap_or_else(|e| {
            panic!(
                "the reference chat templates are missing ({}: {e}); run {fetch} and then {reference}",
                templates_dir.display()
            )
        })
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "jinja").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    assert!(
        names.len() >= 70,
        "only {} templates in {}; run {fetch}",
        names.len(),
        templates_dir.display()
    );

    let setup = read_json(
        &root().join("tests/templates/conversations.json"),
        "git checkout",
    );
    let expected = read_json(
        &root().join(".testdata/chat-templates.expected.json"),
        reference,
    );
    assert_eq!(
        expected["conversations"], setup,
        "the expected renderings were made from other conversations; run {reference} again"
    );
    let expected_names: BTreeSet<String> = expected["templates"]
        .as_object()
        .expect("templates")
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        expected_names, names,
        "the expected renderings were made from other templates; run {reference} again"
    );

    let now = chrono::NaiveDateTime::parse_from_str(
        setup["now"].as_str().expect("now"),
        "%Y-%m-%dT%H:%M:%S",
    )
    .expect("now is an ISO date and time");
    let bos = setup["bos_token"].as_str().expect("bos_token");
    let eos = setup["eos_token"].as_str().expect("eos_token");
    let cases = cases(&setup);

    let mut failures = Vec::new();
    let (mut matched, mut refused, mut known) = (0, 0, 0);
    let mut known_seen = 0;
    for name in std::mem::take(&mut names) {
        let source = std::fs::read_to_string(templates_dir.join(format!("{name}.jinja")))
            .expect("a readable template");
        let formatter = ChatFormatter::new(Some(&source), "unknown-architecture")
            .with_special_tokens(Some(bos), Some(eos))
            .with_clock(Clock::Fixed(now));
        for case in &cases {
            let want = &expected["templates"][&name]["renders"][&case.name];
            let got = formatter.format(&case.messages, &case.options);
            let known_difference = KNOWN_DIFFERENCES
                .iter()
                .find(|k| k.template == name && k.conversations.contains(&case.name.as_str()));
            let label = format!("{name} × {}", case.name);
            match (got, want.get("text").and_then(Value::as_str)) {
                (Ok((text, TemplateSource::Model)), Some(want_text)) => match known_difference {
                    None if text == want_text => matched += 1,
                    None => {
                        failures.push(format!("{label}: {}", first_difference(&text, want_text)))
                    }
                    Some(k) => {
                        known_seen += 1;
                        if text == want_text {
                            failures.push(format!(
                                    "{label}: listed as a known difference but now matches; remove it from KNOWN_DIFFERENCES"
                                ));
                        } else if text == (k.undo)(want_text) {
                            known += 1;
                        } else {
                            failures.push(format!(
                                "{label} (known difference: {}): differs beyond it: {}",
                                k.reason,
                                first_difference(&text, &(k.undo)(want_text))
                            ));
                        }
                    }
                },
                (Ok((_, TemplateSource::Fallback { why, .. })), None) => {
                    assert!(
                        why.contains("failed on this conversation"),
                        "{label}: fell back for another reason: {why}"
                    );
                    refused += 1;
                }
                (Ok((_, TemplateSource::Fallback { why, .. })), Some(_)) => failures.push(format!(
                    "{label}: Hearth refused ({why}); the reference renders it"
                )),
                (Ok((text, _)), None) => failures.push(format!(
                    "{label}: Hearth rendered {} bytes; the reference raises {}",
                    text.len(),
                    want["error"]
                )),
                (Ok((_, other)), Some(_)) => {
                    failures.push(format!("{label}: unexpected template source {other:?}"))
                }
                (Err(e), _) => failures.push(format!("{label}: error {e}")),
            }
        }
    }
    let expected_known: usize = KNOWN_DIFFERENCES
        .iter()
        .map(|k| k.conversations.len())
        .sum();
    let total = expected_names.len() * cases.len();
    println!(
        "{} templates × {} conversations = {total}: {matched} identical, {refused} refused by both, {known} known differences, {} failures",
        expected_names.len(),
        cases.len(),
        failures.len()
    );
    assert_eq!(
        known_seen, expected_known,
        "a known difference names a template or conversation that is not rendered"
    );
    assert!(
        failures.is_empty(),
        "{} of {total} renderings differ from the reference:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
fn a_loaded_model_gives_templates_its_token_texts() {
    let settings = EngineSettings {
        context_length: 256,
        ..EngineSettings::default()
    };
    let smollm2 = LlamaEngine::load(&support::smollm2(), &settings).unwrap();
    let info = smollm2.info();
    assert_eq!(info.bos_token.as_deref(), Some("<|im_start|>"));
    assert_eq!(info.eos_token.as_deref(), Some("<|im_end|>"));
    // The prompt the engine gets is the template's: its system default and all.
    let (text, source) = ChatFormatter::for_model(&info)
        .format(&[ChatMessage::user("Hi")], &TemplateOptions::default())
        .unwrap();
    assert_eq!(source, TemplateSource::Model);
    assert!(text.starts_with("<|im_start|>system\nYou are a helpful AI assistant named SmolLM"));
    // Special tokens in the text are tokens: `<|im_start|>` is one token, id 1.
    let tokens = smollm2.tokenize(&text, true).unwrap();
    assert_eq!(tokens[0], 1);
    assert_eq!(smollm2.tokenize("<|im_start|>", true).unwrap(), vec![1]);
}

#[test]
fn a_prompt_that_starts_with_bos_text_gets_one_bos() {
    let settings = EngineSettings {
        context_length: 256,
        ..EngineSettings::default()
    };
    // Gemma's vocabulary asks for BOS, and Gemma templates write `{{ bos_token }}`.
    let gemma = LlamaEngine::load(&support::gemma3(), &settings).unwrap();
    let info = gemma.info();
    let bos_text = info.bos_token.clone().expect("Gemma has a BOS token");
    assert_eq!(bos_text, "<bos>");
    assert_eq!(info.eos_token.as_deref(), Some("<eos>"));
    let bos = gemma.tokenize(&bos_text, false).unwrap();
    assert_eq!(bos.len(), 1, "<bos> is one token");

    let plain = gemma.tokenize("<start_of_turn>user\nHi", true).unwrap();
    let with_bos_text = gemma
        .tokenize(&format!("{bos_text}<start_of_turn>user\nHi"), true)
        .unwrap();
    assert_eq!(plain[0], bos[0], "the model adds BOS itself");
    assert_eq!(
        with_bos_text, plain,
        "the template's BOS text and the model's BOS are one token"
    );
    assert_ne!(with_bos_text[1], bos[0]);

    // The same through a template, formatted as the engine formats a chat.
    let template = "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ m.role }}\n{{ m.content }}<end_of_turn>\n{% endfor %}<start_of_turn>model\n";
    let (text, _) = ChatFormatter::new(Some(template), &info.architecture)
        .with_special_tokens(info.bos_token.as_deref(), info.eos_token.as_deref())
        .format(&[ChatMessage::user("Hi")], &TemplateOptions::default())
        .unwrap();
    assert!(text.starts_with("<bos><start_of_turn>user"));
    let tokens = gemma.tokenize(&text, true).unwrap();
    assert_eq!(
        tokens.iter().filter(|&&t| t == bos[0]).count(),
        1,
        "{tokens:?}"
    );
}
