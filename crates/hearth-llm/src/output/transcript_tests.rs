//! The splitters on llama.cpp's real chat templates and on recorded outputs of reasoning
//! models (`crate::transcripts`), replayed through the fake engine as `chat` runs them.

use std::time::Duration;

use super::reasoning::{family_of, thinking_support, ThinkingFormat};
use crate::engine::Engine;
use crate::fake::FakeEngine;
use crate::request::{ChatMessage, Completion, GenerationEvent, GenerationOptions, Prompt};
use crate::transcripts::{self, Transcript};

/// Every template of llama.cpp's models/templates/ (as llama-cpp-python 0.3.36 vendors
/// it) and the marker that ends its model's thinking: "harmony" for gpt-oss, "" for
/// models that do not think in marked blocks. Read off the templates themselves: each
/// one writes past thinking with these markers, or strips them from past answers.
const EXPECTED: &[(&str, &str)] = &[
    ("Apertus-8B-Instruct.jinja", ""),
    (
        "Apriel-1.6-15b-Thinker-fixed.jinja",
        "[BEGIN FINAL RESPONSE]",
    ),
    ("Bielik-11B-v3.0-Instruct.jinja", "</think>"),
    ("ByteDance-Seed-OSS.jinja", "</seed:think>"),
    ("Cohere2MoE.jinja", "<|END_THINKING|>"),
    ("CohereForAI-c4ai-command-r-plus-tool_use.jinja", ""),
    (
        "CohereForAI-c4ai-command-r7b-12-2024-tool_use.jinja",
        "<|END_THINKING|>",
    ),
    ("GLM-4.6.jinja", "</think>"),
    ("GLM-4.7-Flash.jinja", "</think>"),
    ("GigaChat3-10B-A1.8B.jinja", ""),
    ("GigaChat3.1-10B-A1.8B.jinja", ""),
    ("HuggingFaceTB-SmolLM3-3B.jinja", "</think>"),
    ("Kimi-K2-Instruct.jinja", ""),
    ("Kimi-K2-Thinking.jinja", "</think>"),
    ("Kimi-K3.jinja", ""),
    ("LFM2-8B-A1B.jinja", ""),
    ("LFM2.5-8B-A1B.jinja", "</think>"),
    ("LFM2.5-Instruct.jinja", "</think>"),
    ("MiMo-VL.jinja", ""),
    ("MiniMax-M1.jinja", ""),
    ("MiniMax-M2.jinja", "</think>"),
    ("MiniMax-M3.jinja", "</mm:think>"),
    ("Mistral-Small-3.2-24B-Instruct-2506.jinja", ""),
    ("NVIDIA-Nemotron-3-Nano-30B-A3B-BF16.jinja", "</think>"),
    ("NVIDIA-Nemotron-Nano-v2.jinja", "</think>"),
    ("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja", ""),
    ("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", ""),
    ("Qwen-QwQ-32B.jinja", "</think>"),
    ("Qwen-Qwen2.5-7B-Instruct.jinja", ""),
    ("Qwen-Qwen3-0.6B.jinja", "</think>"),
    ("Qwen3-Coder.jinja", ""),
    ("Qwen3.5-4B.jinja", "</think>"),
    ("Reka-Edge.jinja", "</think>"),
    ("Spark2.5.jinja", "</think>"),
    ("StepFun3.5-Flash.jinja", "</think>"),
    ("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", "</think>"),
    ("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "</think>"),
    ("deepseek-ai-DeepSeek-V3.1.jinja", "</think>"),
    ("deepseek-ai-DeepSeek-V3.2.jinja", "</think>"),
    ("deepseek-ai-DeepSeek-V4-Flash-0731.jinja", "</think>"),
    ("deepseek-ai-DeepSeek-V4.jinja", "</think>"),
    ("fireworks-ai-llama-3-firefunction-v2.jinja", ""),
    ("google-gemma-2-2b-it.jinja", ""),
    ("google-gemma-4-31B-it-interleaved.jinja", "<channel|>"),
    ("google-gemma-4-31B-it.jinja", "<channel|>"),
    ("ibm-granite-granite-3.3-2B-Instruct.jinja", "</think>"),
    ("ibm-granite-granite-4.0.jinja", ""),
    ("ibm-granite-granite-4.1.jinja", ""),
    ("inclusionai-ling-3.0-flash.jinja", "</think>"),
    ("llama-cpp-deepseek-r1.jinja", "</think>"),
    ("llama-cpp-rwkv-world.jinja", "</think>"),
    ("meetkai-functionary-medium-v3.1.jinja", ""),
    ("meetkai-functionary-medium-v3.2.jinja", ""),
    ("meta-llama-Llama-3.1-8B-Instruct.jinja", ""),
    ("meta-llama-Llama-3.2-3B-Instruct.jinja", ""),
    ("meta-llama-Llama-3.3-70B-Instruct.jinja", ""),
    ("microsoft-Phi-3.5-mini-instruct.jinja", ""),
    ("mistralai-Ministral-3-14B-Reasoning-2512.jinja", "[/THINK]"),
    ("mistralai-Mistral-Nemo-Instruct-2407.jinja", ""),
    ("moonshotai-Kimi-K2.jinja", ""),
    ("muse-glimmer.jinja", ""),
    ("openai-gpt-oss-120b.jinja", "harmony"),
    ("openbmb-MiniCPM5-1B.jinja", "</think>"),
    ("poolside-Laguna-S-2.1.jinja", "</think>"),
    ("poolside-Laguna-XS-2.1.jinja", "</think>"),
    ("poolside-Laguna-XS.2.jinja", "</think>"),
    ("tencent-Hy3.jinja", ""),
    ("unsloth-Apriel-1.5.jinja", "[BEGIN FINAL RESPONSE]"),
    ("unsloth-mistral-Devstral-Small-2507.jinja", ""),
    ("upstage-Solar-Open-100B.jinja", ""),
];

fn template(file: &str) -> String {
    transcripts::chat_template(file).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn reasoning_every_real_template_gets_its_family() {
    let found = std::fs::read_dir(transcripts::templates_dir())
        .unwrap_or_else(|e| panic!("{e}: run scripts/fetch-test-templates.sh"))
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".jinja"))
        })
        .count();
    assert_eq!(
        found,
        EXPECTED.len(),
        "a template without an expectation here"
    );
    for (file, close) in EXPECTED {
        let family = family_of(&template(file));
        let got = match family {
            None => "",
            Some(ThinkingFormat::Harmony) => "harmony",
            Some(ThinkingFormat::Tags { close, .. }) => close,
        };
        assert_eq!(got, *close, "{file}");
    }
    // The switch is offered where the template reads `enable_thinking`.
    assert!(thinking_support(Some(&template("Qwen-Qwen3-0.6B.jinja"))).thinking_switch);
    let r1 = thinking_support(Some(&template(
        "deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja",
    )));
    assert!(r1.supports_thinking && !r1.thinking_switch);
    assert!(!thinking_support(Some(&template("Qwen-Qwen2.5-7B-Instruct.jinja"))).supports_thinking);
}

/// What a generation gave: thinking and answer as the events said, and the completion.
fn collect(generation: crate::Generation) -> (String, String, Completion) {
    let (mut thinking, mut answer) = (String::new(), String::new());
    for event in generation {
        match event {
            GenerationEvent::Reasoning { text } => thinking.push_str(&text),
            GenerationEvent::Delta { text } => answer.push_str(&text),
            GenerationEvent::ToolCall { call } => panic!("no call expected: {call:?}"),
            GenerationEvent::Done { completion } => return (thinking, answer, completion),
            GenerationEvent::Failed { error } => panic!("{error}"),
        }
    }
    panic!("the generation ended without a final event")
}

fn replay(
    transcript: &Transcript,
    options: GenerationOptions,
) -> (String, String, Completion, FakeEngine) {
    let fake = FakeEngine::new().with_template(template(transcript.template));
    fake.reply_with(transcript.tokens.iter().copied());
    let (generation, _) = fake
        .chat(
            &[ChatMessage::user("How many r's are in strawberry?")],
            options,
        )
        .unwrap();
    let (thinking, answer, completion) = collect(generation);
    (thinking, answer, completion, fake)
}

#[test]
fn reasoning_transcripts_split_through_the_fake_engine() {
    for transcript in transcripts::ALL {
        let (thinking, answer, completion, fake) = replay(transcript, GenerationOptions::greedy());
        assert_eq!(thinking, transcript.thinking, "{}", transcript.model);
        assert_eq!(answer, transcript.answer, "{}", transcript.model);
        assert_eq!(completion.text, transcript.answer, "{}", transcript.model);
        assert_eq!(completion.reasoning.as_deref(), Some(transcript.thinking));
        // The engine was told to write the family's markers out as text.
        let request = &fake.received()[0];
        let format = family_of(&template(transcript.template)).unwrap();
        let marker = match format {
            ThinkingFormat::Harmony => "<|channel|>",
            ThinkingFormat::Tags { close, .. } => close,
        };
        assert!(
            request.preserved_tokens.iter().any(|m| m == marker),
            "{}: {:?}",
            transcript.model,
            request.preserved_tokens
        );
        assert_eq!(request.thinking_budget, None);
    }
}

#[test]
fn reasoning_prompt_that_opens_thinking_splits_an_output_without_the_opener() {
    // DeepSeek-R1 distills' template ends the prompt with "<think>\n": the output only
    // closes the block.
    let transcript = transcripts::R1_DISTILL_OPENED;
    let options = GenerationOptions::greedy();
    let prompt = "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜><think>\n";
    let mut parser =
        super::parser_for(Some(&template(transcript.template)), prompt, &options).unwrap();
    let mut events = Vec::new();
    for token in transcript.tokens {
        events.extend(parser.push(token));
    }
    let mut completion = Completion {
        text: transcript.raw(),
        reasoning: None,
        tool_calls: Vec::new(),
        stop_reason: crate::StopReason::EndOfGeneration,
        prompt_tokens: 0,
        cached_tokens: 0,
        restored_tokens: 0,
        completion_tokens: transcript.tokens.len(),
        drafted_tokens: 0,
        accepted_tokens: 0,
        accepted_from_draft_model: 0,
        prompt_ms: 0.0,
        generation_ms: 0.0,
        queue_ms: 0.0,
    };
    events.extend(parser.finish(&mut completion));
    assert_eq!(completion.text, transcript.answer);
    assert_eq!(completion.reasoning.as_deref(), Some(transcript.thinking));
    // Without the opened block the same output is all answer: the prompt decides.
    let mut plain = super::parser_for(
        Some(&template(transcript.template)),
        "<｜User｜>Hi<｜Assistant｜>",
        &options,
    )
    .unwrap();
    let text: String = plain
        .push(&transcript.raw())
        .into_iter()
        .map(|e| match e {
            GenerationEvent::Delta { text } => text,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(transcript.raw().starts_with(text.as_str()), "{text}");
}

#[test]
fn reasoning_budget_closes_the_thinking_on_the_fake_engine() {
    let transcript = transcripts::QWEN3;
    let options = GenerationOptions {
        thinking_budget: Some(5),
        ..GenerationOptions::greedy()
    };
    let (thinking, answer, completion, fake) = replay(&transcript, options);
    let budget = fake.received()[0]
        .thinking_budget
        .clone()
        .expect("a budget");
    assert_eq!((budget.tokens, budget.close.as_str()), (5, "</think>"));
    // "<think>" and four more tokens, then the forced close; the model then answers.
    assert_eq!(thinking, "Okay, the");
    assert_eq!(answer, transcript.answer);
    assert_eq!(completion.reasoning.as_deref(), Some("Okay, the"));

    // gpt-oss: its analysis channel is cut and the final channel opened for it.
    let (thinking, answer, _, fake) = replay(
        &transcripts::GPT_OSS,
        GenerationOptions {
            thinking_budget: Some(4),
            ..GenerationOptions::greedy()
        },
    );
    let budget = fake.received()[0]
        .thinking_budget
        .clone()
        .expect("a budget");
    assert!(!budget.inside);
    assert_eq!(thinking, "The user asks");
    assert_eq!(answer, transcripts::GPT_OSS.answer);

    // A budget the thinking stays within changes nothing.
    let (thinking, answer, _, _) = replay(
        &transcript,
        GenerationOptions {
            thinking_budget: Some(500),
            ..GenerationOptions::greedy()
        },
    );
    assert_eq!(
        (thinking.as_str(), answer.as_str()),
        (transcript.thinking, transcript.answer)
    );
}

#[test]
fn reasoning_streams_live_through_a_manual_fake_stream() {
    // The answer's events come as the engine's text does, with markers cut anywhere.
    let fake = FakeEngine::new().with_template(template(transcripts::QWEN3.template));
    let (mut generation, _) = fake
        .chat(&[ChatMessage::user("hi")], GenerationOptions::greedy())
        .unwrap();
    let mut stream = fake.next_request(Duration::from_secs(5)).expect("request");
    let Prompt::Text(prompt) = &stream.request.prompt else {
        panic!("text prompt")
    };
    assert!(prompt.contains("hi"), "{prompt}");
    stream.push("<thi");
    stream.push("nk>\nHmm, a greeting.");
    assert_eq!(
        generation.next_event(),
        Some(GenerationEvent::Reasoning {
            text: "Hmm, a greeting.".into()
        })
    );
    stream.push("\n</th");
    stream.push("ink>\n\nHello!");
    assert_eq!(
        generation.next_event(),
        Some(GenerationEvent::Delta {
            text: "Hello!".into()
        })
    );
    stream.finish(crate::StopReason::EndOfGeneration);
    match generation.next_event() {
        Some(GenerationEvent::Done { completion }) => {
            assert_eq!(completion.text, "Hello!");
            assert_eq!(completion.reasoning.as_deref(), Some("Hmm, a greeting."));
        }
        other => panic!("{other:?}"),
    }
}
