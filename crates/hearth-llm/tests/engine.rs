//! The in-process llama.cpp engine on the real default model.

mod support;

use std::collections::HashSet;
use std::sync::OnceLock;

use hearth_llm::{
    ChatMessage, Engine, EngineExt, EngineSettings, GenerationEvent, GenerationOptions,
    LlamaEngine, LlmError, Prompt, StopReason, TemplateSource,
};

/// A shared engine for tests that do not depend on batch composition.
fn shared() -> &'static LlamaEngine {
    static ENGINE: OnceLock<LlamaEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let settings = EngineSettings {
            context_length: 1024,
            parallel: 4,
            threads: Some(2),
            ..Default::default()
        };
        LlamaEngine::load(&support::smollm2(), &settings).expect("default model loads")
    })
}

/// A private single-sequence engine, for exact-reproducibility tests.
fn solo(context_length: u32) -> LlamaEngine {
    let settings = EngineSettings {
        context_length,
        parallel: 1,
        threads: Some(2),
        ..Default::default()
    };
    LlamaEngine::load(&support::smollm2(), &settings).expect("default model loads")
}

/// A question with a system message of its own: SmolLM2's template adds a long default
/// one to conversations without, which would share most of two short prompts and, with
/// greedy sampling, sends this small model off answering in French.
fn ask(question: &str) -> Vec<ChatMessage> {
    vec![
        ChatMessage::system("You are a helpful assistant."),
        ChatMessage::user(question),
    ]
}

fn greedy(max_tokens: u32) -> GenerationOptions {
    GenerationOptions {
        max_tokens: Some(max_tokens),
        ..GenerationOptions::greedy()
    }
}

#[test]
fn model_info_comes_from_the_file() {
    let info = shared().info();
    assert_eq!(info.architecture, "llama");
    assert!(info
        .chat_template
        .as_deref()
        .is_some_and(|t| t.contains("<|im_start|>")));
    assert_eq!(info.train_context_length, 8192);
    assert_eq!(info.context_length, 1024);
    assert_eq!(info.parallel, 4);
    assert!(
        info.parameters > 100_000_000 && info.parameters < 200_000_000,
        "{}",
        info.parameters
    );
    assert!(!info.cpu_backend.is_empty());
}

#[test]
fn streams_deltas_that_add_up_to_the_completion() {
    let (generation, source) = shared()
        .chat(&ask("What is the capital of France?"), greedy(40))
        .unwrap();
    assert_eq!(source, TemplateSource::Model);
    let mut deltas = Vec::new();
    let completion = generation.stream(|t| deltas.push(t.to_owned())).unwrap();
    assert!(
        deltas.len() > 1,
        "expected a stream of several deltas, got {deltas:?}"
    );
    assert_eq!(deltas.concat(), completion.text);
    assert!(completion.text.contains("Paris"), "{:?}", completion.text);
    assert!(completion.prompt_tokens > 5);
    assert!(completion.completion_tokens > 0 && completion.completion_tokens <= 40);
    assert!(matches!(
        completion.stop_reason,
        StopReason::EndOfGeneration | StopReason::MaxTokens
    ));
    assert!(completion.prompt_ms > 0.0 && completion.generation_ms > 0.0);
}

#[test]
fn max_tokens_is_respected() {
    let options = GenerationOptions {
        ignore_eos: true,
        ..greedy(7)
    };
    let completion = shared()
        .chat(&ask("Count to one hundred."), options)
        .unwrap()
        .0
        .wait()
        .unwrap();
    assert_eq!(completion.stop_reason, StopReason::MaxTokens);
    assert_eq!(completion.completion_tokens, 7);
}

#[test]
fn stop_string_ends_the_answer_before_it() {
    let engine = solo(1024);
    let question = ask("List three fruits, separated by commas.");
    let full = engine
        .chat(&question, greedy(48))
        .unwrap()
        .0
        .wait()
        .unwrap()
        .text;
    // Stop at the second word of the greedy answer: the same greedy run must end right before it.
    let words: Vec<&str> = full.split_whitespace().collect();
    assert!(words.len() >= 3, "answer too short to test stops: {full:?}");
    let stop = words[1].to_owned();
    let cut = engine
        .chat(
            &question,
            GenerationOptions {
                stop: vec![stop.clone()],
                ..greedy(48)
            },
        )
        .unwrap()
        .0
        .wait()
        .unwrap();
    assert_eq!(
        cut.stop_reason,
        StopReason::StopString { stop: stop.clone() }
    );
    assert_eq!(cut.text, full[..full.find(&stop).unwrap()]);
}

#[test]
fn greedy_and_seeded_sampling_are_reproducible() {
    let engine = solo(1024);
    let question = ask("Write one sentence about the sea.");
    let run = |options: GenerationOptions| {
        engine
            .chat(&question, options)
            .unwrap()
            .0
            .wait()
            .unwrap()
            .text
    };
    assert_eq!(run(greedy(24)), run(greedy(24)));
    let seeded = |seed| GenerationOptions {
        temperature: 1.0,
        seed: Some(seed),
        max_tokens: Some(24),
        ..Default::default()
    };
    let first = run(seeded(42));
    assert_eq!(first, run(seeded(42)), "same seed must give the same text");
    let others: HashSet<String> = (1..=4).map(|s| run(seeded(s))).collect();
    assert!(
        others.len() > 1 || !others.contains(&first),
        "different seeds always gave {first:?}"
    );
}

#[test]
fn json_schema_output_parses_and_validates() {
    let schema = serde_json::json!({
        "type": "object",
        "properties": {
            "name": { "type": "string" },
            "age": { "type": "integer", "minimum": 0 },
            "languages": { "type": "array", "items": { "type": "string" }, "maxItems": 3 }
        },
        "required": ["name", "age", "languages"],
        "additionalProperties": false
    });
    let options = GenerationOptions {
        json_schema: Some(schema.clone()),
        ..greedy(120)
    };
    let completion = shared()
        .chat(&ask("Describe a programmer named Ada as JSON."), options)
        .unwrap()
        .0
        .wait()
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&completion.text)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", completion.text));
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(
        validator.is_valid(&value),
        "does not match the schema: {value}"
    );
}

#[test]
fn an_invalid_schema_is_a_clear_error() {
    let options = GenerationOptions {
        json_schema: Some(serde_json::json!("not a schema")),
        ..greedy(8)
    };
    let err = shared().complete("x".into(), options).unwrap_err();
    assert!(matches!(err, LlmError::InvalidSchema { .. }), "{err:?}");
}

#[test]
fn cancel_stops_within_a_decode_step() {
    let options = GenerationOptions {
        ignore_eos: true,
        ..greedy(400)
    };
    let mut generation = shared()
        .chat(&ask("Tell me a very long story."), options)
        .unwrap();
    let mut deltas = 0;
    while deltas < 3 {
        match generation.0.next_event() {
            Some(GenerationEvent::Delta { .. }) => deltas += 1,
            other => panic!("stream ended early: {other:?}"),
        }
    }
    generation.0.cancel();
    let completion = generation.0.wait().unwrap();
    assert_eq!(completion.stop_reason, StopReason::Cancelled);
    // Tokens already in flight may finish: at most one more decode step per sequence.
    assert!(
        completion.completion_tokens <= 3 + 2,
        "{} tokens after cancel",
        completion.completion_tokens
    );
}

#[test]
fn dropping_the_handle_frees_the_sequence() {
    let engine = solo(512);
    let options = GenerationOptions {
        ignore_eos: true,
        ..greedy(400)
    };
    let mut generation = engine
        .chat(&ask("Tell me a long story."), options)
        .unwrap()
        .0;
    assert!(matches!(
        generation.next_event(),
        Some(GenerationEvent::Delta { .. })
    ));
    drop(generation);
    // With one sequence slot, this only completes if the dropped one was released.
    let completion = engine
        .chat(&ask("Say hi."), greedy(8))
        .unwrap()
        .0
        .wait()
        .unwrap();
    assert!(completion.completion_tokens > 0);
}

#[test]
fn concurrent_requests_each_get_their_own_answer() {
    let settings = EngineSettings {
        context_length: 512,
        parallel: 2,
        queue_capacity: 16,
        threads: Some(2),
        ..Default::default()
    };
    let engine = LlamaEngine::load(&support::smollm2(), &settings).unwrap();
    // Six requests, two slots: four wait in the queue. Each asks for a different number
    // of tokens, so a reply delivered to the wrong requester shows in the count.
    let generations: Vec<_> = (1..=6u32)
        .map(|n| {
            let options = GenerationOptions {
                ignore_eos: true,
                ..greedy(3 * n)
            };
            (
                n,
                engine
                    .chat(&ask(&format!("Say the number {n}.")), options)
                    .unwrap()
                    .0,
            )
        })
        .collect();
    let handles: Vec<_> = generations
        .into_iter()
        .map(|(n, g)| std::thread::spawn(move || (n, g.wait())))
        .collect();
    for handle in handles {
        let (n, result) = handle.join().unwrap();
        let completion = result.unwrap();
        assert_eq!(completion.completion_tokens, 3 * n as usize, "request {n}");
        assert_eq!(completion.stop_reason, StopReason::MaxTokens);
    }
}

#[test]
fn tokenize_and_detokenize_round_trip_unicode() {
    let text = "Hello, world! Grüße, 日本語, 🔥🌍";
    let tokens = shared().tokenize(text, false).unwrap();
    assert!(tokens.len() > 5);
    assert_eq!(shared().detokenize(&tokens).unwrap(), text);
    assert_eq!(shared().count_tokens(text).unwrap(), tokens.len());
}

#[test]
fn multibyte_text_streams_without_broken_characters() {
    let options = GenerationOptions { ..greedy(48) };
    let messages = ask("Repeat exactly: 🔥🌍 日本語 中文 한국어");
    let mut deltas = Vec::new();
    let completion = shared()
        .chat(&messages, options)
        .unwrap()
        .0
        .stream(|t| deltas.push(t.to_owned()))
        .unwrap();
    assert_eq!(deltas.concat(), completion.text);
    assert!(
        !completion.text.contains('\u{FFFD}'),
        "broken character in {:?}",
        completion.text
    );
    assert!(
        !completion.text.is_ascii(),
        "expected non-ASCII output: {:?}",
        completion.text
    );
}

#[test]
fn a_prompt_longer_than_the_context_is_refused_with_numbers() {
    let engine = solo(128);
    let long = "word ".repeat(400);
    let err = engine
        .chat(&ask(&long), greedy(4))
        .unwrap()
        .0
        .wait()
        .unwrap_err();
    match err {
        LlmError::PromptTooLarge { tokens, limit } => {
            assert_eq!(limit, 128);
            assert!(tokens > 400, "{tokens}");
        }
        other => panic!("expected PromptTooLarge, got {other:?}"),
    }
    // The engine keeps serving.
    assert!(engine.chat(&ask("Hi"), greedy(4)).unwrap().0.wait().is_ok());
}

#[test]
fn the_answer_stops_when_the_sequence_is_full() {
    let engine = solo(96);
    let options = GenerationOptions {
        ignore_eos: true,
        ..GenerationOptions::greedy()
    };
    let completion = engine
        .chat(&ask("Tell me a story."), options)
        .unwrap()
        .0
        .wait()
        .unwrap();
    assert_eq!(completion.stop_reason, StopReason::ContextFull);
    assert!(completion.prompt_tokens + completion.completion_tokens <= 96);
}

#[test]
fn out_of_vocabulary_tokens_are_rejected_not_fed_to_llama() {
    let request =
        hearth_llm::prepare_request(Prompt::Tokens(vec![1, 2, 999_999]), greedy(4)).unwrap();
    let err = shared().submit(request).unwrap().wait().unwrap_err();
    assert!(matches!(err, LlmError::InvalidOptions { .. }), "{err:?}");
}

#[test]
fn invalid_options_are_rejected_before_the_engine() {
    let options = GenerationOptions {
        top_p: 3.0,
        ..Default::default()
    };
    let err = shared().complete("x".into(), options).unwrap_err();
    assert!(err.to_string().contains("top_p"), "{err}");
}

#[test]
fn missing_and_corrupt_files_are_refused_before_llama_cpp() {
    let settings = EngineSettings::default();
    let missing = LlamaEngine::load(std::path::Path::new("/nonexistent/model.gguf"), &settings)
        .err()
        .unwrap();
    assert!(
        matches!(missing, LlmError::ModelNotFound { .. }),
        "{missing:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("truncated.gguf");
    let bytes = std::fs::read(support::smollm2()).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = LlamaEngine::load(&truncated, &settings).err().unwrap();
    match &err {
        LlmError::InvalidModelFile { path, message } => {
            assert_eq!(path, &truncated);
            assert!(message.contains("truncated.gguf"), "{message}");
        }
        other => panic!("expected InvalidModelFile, got {other:?}"),
    }
}

#[test]
fn a_model_without_a_template_gets_the_architecture_fallback() {
    let settings = EngineSettings {
        context_length: 512,
        parallel: 1,
        threads: Some(2),
        ..Default::default()
    };
    let engine = LlamaEngine::load(&support::gemma3(), &settings).unwrap();
    let info = engine.info();
    assert_eq!(info.architecture, "gemma3");
    assert!(
        info.chat_template.is_none(),
        "the Gemma 3 base GGUF carries no template"
    );
    let messages = vec![
        ChatMessage::system("Answer briefly."),
        ChatMessage::user("What is 2 + 2?"),
    ];
    let (generation, source) = engine.chat(&messages, greedy(12)).unwrap();
    assert!(
        matches!(source, TemplateSource::Fallback { ref name, .. } if name == "gemma"),
        "{source:?}"
    );
    let completion = generation.wait().unwrap();
    assert!(completion.prompt_tokens > 10);
    assert!(completion.completion_tokens > 0);
}

#[test]
fn the_next_turn_of_a_chat_evaluates_only_what_is_new() {
    let engine = solo(2048);
    let first_question = ask("What is the capital of France?");
    let first = engine
        .chat(&first_question, greedy(24))
        .unwrap()
        .0
        .wait()
        .unwrap();
    assert_eq!(
        first.cached_tokens, 0,
        "a fresh sequence has nothing cached"
    );
    let mut second_turn = first_question.clone();
    second_turn.extend([
        ChatMessage::assistant(first.text.clone()),
        ChatMessage::user("And of Germany?"),
    ]);
    let second = engine
        .chat(&second_turn, greedy(24))
        .unwrap()
        .0
        .wait()
        .unwrap();
    assert!(
        second.cached_tokens >= first.prompt_tokens,
        "only {} of {} prompt tokens reused; the first prompt alone had {}",
        second.cached_tokens,
        second.prompt_tokens,
        first.prompt_tokens
    );
    assert!(second.cached_tokens < second.prompt_tokens);
    assert!(!second.text.is_empty());

    // The same prompt again reuses all but the last token, whose logits start the answer.
    let again = engine
        .chat(&second_turn, greedy(4))
        .unwrap()
        .0
        .wait()
        .unwrap();
    assert_eq!(again.cached_tokens, again.prompt_tokens - 1);
    // An unrelated prompt reuses at most the shared template opening.
    let other = engine
        .complete("Once upon a time".into(), greedy(4))
        .unwrap()
        .wait()
        .unwrap();
    assert!(other.cached_tokens < 3, "{}", other.cached_tokens);
}

#[test]
fn requests_go_to_the_sequence_that_already_holds_their_prefix() {
    let settings = EngineSettings {
        context_length: 512,
        parallel: 2,
        threads: Some(2),
        ..Default::default()
    };
    let engine = LlamaEngine::load(&support::smollm2(), &settings).unwrap();
    // Each with its own system message, so the two share only the template's opening.
    let a = vec![
        ChatMessage::system("Answer questions about the sea."),
        ChatMessage::user("Tell me about the ocean and its tides."),
    ];
    let b = vec![
        ChatMessage::system("Explain mechanics simply."),
        ChatMessage::user("Explain how a bicycle stays upright."),
    ];
    engine.chat(&a, greedy(4)).unwrap().0.wait().unwrap();
    engine.chat(&b, greedy(4)).unwrap().0.wait().unwrap();
    // Each conversation finds its own sequence again, whichever is first in line.
    let again_a = engine.chat(&a, greedy(4)).unwrap().0.wait().unwrap();
    let again_b = engine.chat(&b, greedy(4)).unwrap().0.wait().unwrap();
    assert_eq!(again_a.cached_tokens, again_a.prompt_tokens - 1);
    assert_eq!(again_b.cached_tokens, again_b.prompt_tokens - 1);
}

/// A thinking budget on the real engine: once the thinking has spent its tokens, the
/// scheduler writes the closing marker into the output as if sampled (SmolLM2 never
/// writes `</think>` itself) and the model goes on from there.
#[test]
fn reasoning_budget_makes_the_engine_close_the_thinking() {
    let engine = solo(1024);
    let prompt =
        "<|im_start|>user\nCount from one to twenty.<|im_end|>\n<|im_start|>assistant\n<think>\n";
    let request = |max_tokens, budget: Option<u32>| {
        let mut request =
            hearth_llm::prepare_request(Prompt::Text(prompt.into()), greedy(max_tokens)).unwrap();
        request.thinking_budget = budget.map(|tokens| hearth_llm::ThinkingBudget {
            tokens,
            inside: true,
            open: "<think>".into(),
            end: "</think>".into(),
            close: "</think>".into(),
        });
        engine.submit(request).unwrap().wait().unwrap()
    };
    let free = request(24, None);
    assert!(!free.text.contains("</think>"), "{:?}", free.text);
    let first_six = request(6, None);
    let budgeted = request(24, Some(6));
    let (thought, after) = budgeted
        .text
        .split_once("</think>")
        .unwrap_or_else(|| panic!("no closing marker in {:?}", budgeted.text));
    // The same six tokens the model thinks without a budget, then the marker.
    assert_eq!(thought, first_six.text);
    assert!(
        !after.contains("</think>"),
        "closed once: {:?}",
        budgeted.text
    );
    // The written marker's tokens count as generated ones: six thought, the marker,
    // then what the model wrote after it (SmolLM2 may end there: it does not think).
    let marker = engine.count_tokens("</think>").unwrap();
    let after_tokens = engine.count_tokens(after).unwrap();
    assert!(
        budgeted.completion_tokens >= 6 + marker,
        "{} tokens for {:?}",
        budgeted.completion_tokens,
        budgeted.text
    );
    match budgeted.stop_reason {
        StopReason::MaxTokens => assert_eq!(budgeted.completion_tokens, 24),
        StopReason::EndOfGeneration => assert!(
            budgeted.completion_tokens <= 6 + marker + after_tokens + 1,
            "{} tokens for {:?}",
            budgeted.completion_tokens,
            budgeted.text
        ),
        other => panic!("stopped by {other:?}: {:?}", budgeted.text),
    }
}
