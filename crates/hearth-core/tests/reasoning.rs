//! A reasoning model's thinking through the conversation engine, on the scripted fake
//! with real chat templates and recorded outputs (`hearth_llm::transcripts`): streamed
//! as its own events, checkpointed while it streams, stored beside the answer with how
//! long it took, kept out of later prompts' answer text and of default searches, and the
//! conversation's thinking switch and the thinking budget reaching the engine.

use std::sync::Arc;
use std::time::Duration;

use hearth_core::chat::{CHECKPOINT_INTERVAL, THINKING_KEY};
use hearth_core::{ChatTurn, Hearth, Isolation, OpenOptions, Paths, TurnEvent};
use hearth_llm::fake::FakeEngine;
use hearth_llm::transcripts::{self, Transcript};
use hearth_llm::{GenerationOptions, Prompt, StopReason};
use hearth_store::{Message, MessageState, SearchQuery};

struct Fixture {
    _dir: tempfile::TempDir,
    fake: Arc<FakeEngine>,
    hearth: Hearth,
}

fn fixture(template: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let template = transcripts::chat_template(template).unwrap_or_else(|e| panic!("{e}"));
    let fake = Arc::new(FakeEngine::new().with_template(template));
    let hearth = Hearth::open(OpenOptions {
        paths: Paths::under(dir.path()),
        isolation: Some(Isolation::Provided(fake.clone())),
    })
    .unwrap();
    Fixture {
        _dir: dir,
        fake,
        hearth,
    }
}

/// A conversation with a title, so no title is asked of the fake after the first
/// answer: that request would take the reply scripted for the next question.
fn titled(f: &Fixture) -> hearth_store::Conversation {
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    f.hearth
        .store()
        .rename(&conversation.id, "Reasoning")
        .unwrap();
    conversation
}

const WAIT: Duration = Duration::from_secs(10);

/// Thinking and answer as the turn's events gave them, and the stored answer.
fn collect(turn: ChatTurn) -> (String, String, Message) {
    let (mut thinking, mut answer) = (String::new(), String::new());
    while let Some(event) = turn.next_event() {
        match event {
            TurnEvent::Reasoning { text } => {
                assert!(answer.is_empty(), "thinking after the answer began");
                thinking.push_str(&text);
            }
            TurnEvent::Delta { text } => answer.push_str(&text),
            TurnEvent::Folded { .. } => {}
            TurnEvent::ToolCall { call } => panic!("no tools are offered here: {call:?}"),
            TurnEvent::Finished { message } => return (thinking, answer, message),
        }
    }
    panic!("the turn ended without its final state")
}

fn replay(f: &Fixture, transcript: &Transcript, question: &str) -> (String, String, Message) {
    let conversation = titled(f);
    f.fake.reply_with(transcript.tokens.iter().copied());
    let turn = f
        .hearth
        .send_message(&conversation.id, question, GenerationOptions::greedy())
        .unwrap();
    collect(turn)
}

#[test]
fn reasoning_transcripts_are_split_streamed_and_stored() {
    for transcript in [transcripts::QWEN3, transcripts::GPT_OSS] {
        let f = fixture(transcript.template);
        let (thinking, answer, stored) = replay(&f, &transcript, "How many r's?");
        assert_eq!(thinking, transcript.thinking, "{}", transcript.model);
        assert_eq!(answer, transcript.answer, "{}", transcript.model);
        assert_eq!(stored.content, transcript.answer);
        assert_eq!(stored.reasoning.as_deref(), Some(transcript.thinking));
        assert!(stored.reasoning_ms.is_some(), "{}", transcript.model);
        assert_eq!(stored.state, MessageState::Done);
        // Read back from the database, not only from the turn.
        let again = f.hearth.store().message(&stored.id).unwrap();
        assert_eq!(again, stored);
    }
}

#[test]
fn reasoning_is_checkpointed_while_it_streams_and_kept_when_stopped() {
    let f = fixture(transcripts::QWEN3.template);
    let conversation = titled(&f);
    let turn = f
        .hearth
        .send_message(&conversation.id, "Plan a trip", GenerationOptions::greedy())
        .unwrap();
    let mut stream = f.fake.next_request(WAIT).expect("request");
    stream.push("<think>");
    stream.push("\nFirst, the dates");
    assert_eq!(
        turn.next_event(),
        Some(TurnEvent::Reasoning {
            text: "First, the dates".into()
        })
    );
    // Checkpoints come at most every CHECKPOINT_INTERVAL, with the next piece after it.
    std::thread::sleep(CHECKPOINT_INTERVAL + Duration::from_millis(100));
    stream.push(", then the trains.");
    assert_eq!(
        turn.next_event(),
        Some(TurnEvent::Reasoning {
            text: ", then the trains.".into()
        })
    );
    let mut checkpointed = None;
    for _ in 0..200 {
        let message = f.hearth.store().message(&turn.answer_id).unwrap();
        if message.reasoning.is_some() {
            checkpointed = Some(message);
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let checkpointed = checkpointed.expect("the thinking was checkpointed");
    assert_eq!(checkpointed.state, MessageState::Streaming);
    assert_eq!(
        checkpointed.reasoning.as_deref(),
        Some("First, the dates, then the trains.")
    );
    assert_eq!(checkpointed.content, "");

    // Stopped while thinking: the thinking stays, the answer is empty.
    turn.stop();
    assert!(stream.is_cancelled());
    stream.finish(StopReason::Cancelled);
    let (_, answer, stored) = collect(turn);
    assert_eq!(answer, "");
    assert_eq!(stored.state, MessageState::Stopped);
    assert_eq!(
        stored
            .reasoning
            .as_deref()
            .map(|t| t.starts_with("First, the dates, then the trains.")),
        Some(true)
    );
}

#[test]
fn reasoning_of_earlier_turns_is_no_answer_text_and_not_searched_by_default() {
    let f = fixture(transcripts::QWEN3.template);
    let conversation = titled(&f);
    f.fake.reply_with(transcripts::QWEN3.tokens.iter().copied());
    let first = f
        .hearth
        .send_message(
            &conversation.id,
            "How many r's?",
            GenerationOptions::greedy(),
        )
        .unwrap();
    collect(first);
    f.fake.reply_with(["Yes", "."]);
    let second = f
        .hearth
        .send_message(&conversation.id, "Sure?", GenerationOptions::greedy())
        .unwrap();
    let (thinking, answer, _) = collect(second);
    assert_eq!((thinking.as_str(), answer.as_str()), ("", "Yes."));
    // The second prompt holds the first answer, and not the first thinking as its text
    // (Qwen3's template drops thinking of turns before the last question).
    let requests = f.fake.received();
    let Prompt::Text(prompt) = &requests[1].prompt else {
        panic!("text prompt")
    };
    assert!(prompt.contains(transcripts::QWEN3.answer), "{prompt}");
    assert!(!prompt.contains("Let me spell it"), "{prompt}");

    // Search: the answer's words by default, the thinking's only when asked (the
    // setting, or the query).
    let hits = |q: SearchQuery| f.hearth.search(q).unwrap().len();
    assert_eq!(hits(SearchQuery::text("spell")), 0);
    assert_eq!(
        hits(SearchQuery {
            thinking: true,
            ..SearchQuery::text("spell")
        }),
        1
    );
    f.hearth
        .update_config(|c| c.search_thinking = true)
        .unwrap();
    assert_eq!(hits(SearchQuery::text("spell")), 1);
}

#[test]
fn reasoning_switch_and_budget_reach_the_engine() {
    let f = fixture(transcripts::QWEN3.template);
    let conversation = titled(&f);
    let ask = |options: GenerationOptions| {
        f.fake.reply_with(["Ok"]);
        let turn = f
            .hearth
            .send_message(&conversation.id, "Hi", options)
            .unwrap();
        collect(turn);
        f.fake.received().last().cloned().expect("a request")
    };
    // The model's default: no switch sent.
    assert_eq!(ask(GenerationOptions::greedy()).options.thinking, None);
    // Off for this conversation: every answer asks the template to skip thinking.
    let updated = f
        .hearth
        .set_conversation_thinking(&conversation.id, Some(false))
        .unwrap();
    assert_eq!(updated.settings[THINKING_KEY], false);
    assert_eq!(
        ask(GenerationOptions::greedy()).options.thinking,
        Some(false)
    );
    // An answer's own options win over the conversation's.
    let on = GenerationOptions {
        thinking: Some(true),
        ..GenerationOptions::greedy()
    };
    assert_eq!(ask(on).options.thinking, Some(true));
    f.hearth
        .set_conversation_thinking(&conversation.id, None)
        .unwrap();
    assert_eq!(ask(GenerationOptions::greedy()).options.thinking, None);

    // The budget from the settings becomes the engine's budget for this template.
    f.hearth
        .update_config(|c| c.sampling.thinking_budget = Some(5))
        .unwrap();
    let request = ask(f.hearth.default_options());
    let budget = request.thinking_budget.expect("a thinking budget");
    assert_eq!((budget.tokens, budget.close.as_str()), (5, "</think>"));
    // And the fake keeps it: the transcript's thinking is cut after five tokens.
    f.fake.reply_with(transcripts::QWEN3.tokens.iter().copied());
    let turn = f
        .hearth
        .send_message(
            &conversation.id,
            "How many r's?",
            f.hearth.default_options(),
        )
        .unwrap();
    let (thinking, answer, stored) = collect(turn);
    assert_eq!(thinking, "Okay, the");
    assert_eq!(answer, transcripts::QWEN3.answer);
    assert_eq!(stored.reasoning.as_deref(), Some("Okay, the"));
}

#[test]
fn reasoning_support_is_read_from_the_model_file() {
    let f = fixture(transcripts::QWEN3.template);
    let dir = tempfile::tempdir().unwrap();
    // A GGUF header with a real template, as the model page and the chat read it
    // (no weights: nothing is loaded to answer).
    let write = |name: &str, template: Option<&str>| {
        let mut writer = hearth_gguf::GgufWriter::new();
        writer
            .set(
                "general.architecture",
                hearth_gguf::MetadataValue::String("qwen3".into()),
            )
            .unwrap();
        if let Some(template) = template {
            writer
                .set(
                    "tokenizer.chat_template",
                    hearth_gguf::MetadataValue::String(template.into()),
                )
                .unwrap();
        }
        let path = dir.path().join(name);
        writer.write_file(&path).unwrap();
        path.to_string_lossy().into_owned()
    };
    let qwen3 = transcripts::chat_template(transcripts::QWEN3.template).unwrap();
    let r1 = transcripts::chat_template("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja").unwrap();
    let support = |path: &str| f.hearth.thinking_support(Some(path));
    let both = support(&write("qwen3.gguf", Some(&qwen3)));
    assert!(both.supports_thinking && both.thinking_switch);
    let always = support(&write("r1.gguf", Some(&r1)));
    assert!(always.supports_thinking && !always.thinking_switch);
    assert_eq!(
        support(&write("base.gguf", None)),
        hearth_llm::ThinkingSupport::default()
    );
    // A model that cannot be read claims nothing.
    assert_eq!(
        support("no-such-model"),
        hearth_llm::ThinkingSupport::default()
    );
}
