//! The conversation engine on the scripted fake model: commit-before-generate,
//! checkpoints while streaming, stop, regenerate, edit, titles, failure states.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth_core::{ChatTurn, Hearth, Isolation, OpenOptions, Paths, TurnEvent};
use hearth_llm::fake::FakeEngine;
use hearth_llm::{GenerationOptions, LlmError, Prompt, StopReason};
use hearth_store::{MessageState, Role};

struct Fixture {
    _dir: tempfile::TempDir,
    fake: Arc<FakeEngine>,
    hearth: Hearth,
}

fn fixture() -> Fixture {
    fixture_with(FakeEngine::new())
}

fn fixture_with(fake: FakeEngine) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(fake);
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

const WAIT: Duration = Duration::from_secs(10);

fn options() -> GenerationOptions {
    GenerationOptions::greedy()
}

/// Waits until `check` holds, for effects of the background title writer.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The first turn of a conversation answered with `answer`, once its title (written in
/// the background from the next scripted reply, "A title") is in.
fn first_answer(
    f: &Fixture,
    conversation: &hearth_store::ConversationId,
    question: &str,
    answer: &str,
) -> hearth_store::Message {
    answer_then_title(f, conversation, question, answer, "A title", "A title")
}

/// Sends `question`, answered with `answer`; the model's next reply, `model_title`, is
/// the title it writes in the background. Returns once the stored title is `stored`.
fn answer_then_title(
    f: &Fixture,
    conversation: &hearth_store::ConversationId,
    question: &str,
    answer: &str,
    model_title: &str,
    stored: &str,
) -> hearth_store::Message {
    f.fake.reply_with([answer]);
    f.fake.reply_with([model_title]);
    let (_, message) = collect(
        f.hearth
            .send_message(conversation, question, options())
            .unwrap(),
    );
    eventually("the title", || {
        f.hearth.store().conversation(conversation).unwrap().title == stored
    });
    message
}

fn collect(turn: ChatTurn) -> (String, hearth_store::Message) {
    let mut text = String::new();
    let message = turn.stream(|t| text.push_str(t)).unwrap();
    (text, message)
}

#[test]
fn the_question_is_committed_before_the_answer_starts() {
    let f = fixture();
    let conversation = f.hearth.new_conversation(None, Some("Be brief.")).unwrap();
    let turn = f
        .hearth
        .send_message(&conversation.id, "What is Rust?", options())
        .unwrap();
    // The model has not said a word yet, and the question is already in the database.
    let stream = f
        .fake
        .next_request(WAIT)
        .expect("the engine got the request");
    let branch = f.hearth.store().active_branch(&conversation.id).unwrap();
    assert_eq!(branch.len(), 2);
    assert_eq!(
        (branch[0].role, branch[0].content.as_str(), branch[0].state),
        (Role::User, "What is Rust?", MessageState::Done)
    );
    assert_eq!(
        (branch[1].role, branch[1].state),
        (Role::Assistant, MessageState::Streaming)
    );
    let Prompt::Text(prompt) = &stream.request.prompt else {
        panic!("text prompt")
    };
    assert!(
        prompt.contains("Be brief.") && prompt.contains("What is Rust?"),
        "{prompt}"
    );
    let mut stream = stream;
    stream.push("A language.");
    stream.finish(StopReason::EndOfGeneration);
    let (text, answer) = collect(turn);
    assert_eq!(text, "A language.");
    assert_eq!(
        (answer.content.as_str(), answer.state),
        ("A language.", MessageState::Done)
    );
}

#[test]
fn a_streaming_answer_is_checkpointed() {
    let f = fixture();
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    let turn = f
        .hearth
        .send_message(&conversation.id, "Tell me a story", options())
        .unwrap();
    let mut stream = f.fake.next_request(WAIT).unwrap();
    stream.push("Once upon");
    assert_eq!(
        turn.next_event(),
        Some(TurnEvent::Delta {
            text: "Once upon".into()
        })
    );
    std::thread::sleep(hearth_core::chat::CHECKPOINT_INTERVAL + Duration::from_millis(50));
    stream.push(" a time");
    assert_eq!(
        turn.next_event(),
        Some(TurnEvent::Delta {
            text: " a time".into()
        })
    );
    eventually("a checkpoint", || {
        let answer = f.hearth.store().message(&turn.answer_id).unwrap();
        answer.state == MessageState::Streaming && answer.content.starts_with("Once upon")
    });
    stream.finish(StopReason::EndOfGeneration);
    let (_, answer) = collect(turn);
    assert_eq!(answer.content, "Once upon a time");
}

#[test]
fn stopping_keeps_the_partial_answer_as_stopped() {
    let f = fixture();
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    let turn = f
        .hearth
        .send_message(&conversation.id, "Count", options())
        .unwrap();
    let mut stream = f.fake.next_request(WAIT).unwrap();
    stream.push("1 2 3");
    assert!(matches!(turn.next_event(), Some(TurnEvent::Delta { .. })));
    turn.stop();
    assert!(stream.is_cancelled());
    stream.finish(StopReason::Cancelled);
    let (_, answer) = collect(turn);
    assert_eq!(
        (answer.content.as_str(), answer.state),
        ("1 2 3", MessageState::Stopped)
    );
}

#[test]
fn a_failed_answer_is_stored_with_its_error_and_left_out_of_the_next_prompt() {
    let f = fixture();
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    let turn = f
        .hearth
        .send_message(&conversation.id, "First", options())
        .unwrap();
    let stream = f.fake.next_request(WAIT).unwrap();
    stream.fail(LlmError::Decode {
        reason: "boom".into(),
    });
    let (_, answer) = collect(turn);
    assert_eq!(answer.state, MessageState::Failed);
    assert!(answer.error.as_deref().unwrap().contains("boom"));

    f.fake.reply_with(["ok"]);
    let (_, second) = collect(
        f.hearth
            .send_message(&conversation.id, "Second", options())
            .unwrap(),
    );
    assert_eq!(second.content, "ok");
    // The answer's request; the conversation's title may be asked for after it, in the
    // background, and be the last one received.
    let received = f.fake.received();
    let prompt = received
        .iter()
        .rev()
        .find_map(|request| match &request.prompt {
            Prompt::Text(prompt) if !prompt.contains("You write titles") => Some(prompt),
            _ => None,
        })
        .expect("the answer's request");
    assert!(
        prompt.contains("First") && prompt.contains("Second") && !prompt.contains("boom"),
        "{prompt}"
    );
}

#[test]
fn regenerating_makes_a_sibling_answer_and_branches_can_be_switched() {
    let f = fixture();
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    let first = first_answer(&f, &conversation.id, "Question", "first answer");
    f.fake.reply_with(["second answer"]);
    let (_, second) = collect(f.hearth.regenerate(&first.id, options()).unwrap());
    assert_eq!(second.parent_id, first.parent_id);
    let siblings = f.hearth.store().siblings(&second.id).unwrap();
    assert_eq!(siblings.messages.len(), 2);
    assert_eq!(siblings.index, 1);
    let active = f.hearth.store().active_branch(&conversation.id).unwrap();
    assert_eq!(active.last().unwrap().content, "second answer");
    f.hearth
        .store()
        .switch_branch(&conversation.id, &first.id)
        .unwrap();
    let active = f.hearth.store().active_branch(&conversation.id).unwrap();
    assert_eq!(active.last().unwrap().content, "first answer");
}

#[test]
fn the_view_lists_siblings_in_the_stores_order_even_when_made_in_one_millisecond() {
    let f = fixture();
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    let first = first_answer(&f, &conversation.id, "Hello", "answer 0");
    // Regenerations from the fake come faster than the clock's millisecond: the order
    // must come from the store (time, then the order written), not from the ids.
    let mut last = first.clone();
    for i in 1..6 {
        f.fake.reply_with([format!("answer {i}")]);
        last = collect(f.hearth.regenerate(&first.id, options()).unwrap()).1;
    }
    let view = f.hearth.conversation_view(&conversation.id).unwrap();
    let stored: Vec<String> = f
        .hearth
        .store()
        .siblings(&last.id)
        .unwrap()
        .messages
        .iter()
        .map(|m| m.id.to_string())
        .collect();
    assert_eq!(stored.len(), 6);
    assert_eq!(view.siblings[&last.id.to_string()], stored);
    let contents: Vec<String> = stored
        .iter()
        .map(|id| {
            view.messages
                .iter()
                .find(|m| m.id.to_string() == *id)
                .map_or_else(|| "(not shown)".to_owned(), |m| m.content.clone())
        })
        .collect();
    assert_eq!(contents.last().unwrap(), "answer 5", "{contents:?}");
}

#[test]
fn editing_a_question_branches_and_answers_the_new_text() {
    let f = fixture();
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    f.fake.reply_with(["about cats"]);
    f.fake.reply_with(["Cats"]);
    let turn = f
        .hearth
        .send_message(&conversation.id, "Tell me about cats", options())
        .unwrap();
    let question = turn.user_message.clone().unwrap();
    collect(turn);
    eventually("the title", || {
        f.hearth
            .store()
            .conversation(&conversation.id)
            .unwrap()
            .title
            == "Cats"
    });
    f.fake.reply_with(["about dogs"]);
    let turn = f
        .hearth
        .edit_message(&question.id, "Tell me about dogs", options())
        .unwrap();
    let edited = turn.user_message.clone().unwrap();
    let (_, answer) = collect(turn);
    assert_eq!(edited.parent_id, question.parent_id);
    assert_eq!(answer.content, "about dogs");
    let branch = f.hearth.store().active_branch(&conversation.id).unwrap();
    let texts: Vec<&str> = branch.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, ["Tell me about dogs", "about dogs"]);
    assert!(
        f.hearth.edit_message(&answer.id, "x", options()).is_err(),
        "answers cannot be edited"
    );
}

#[test]
fn the_first_exchange_gets_a_title_written_by_the_model() {
    let f = fixture();
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    answer_then_title(
        &f,
        &conversation.id,
        "Why is the sky blue?",
        "The sky scatters blue light.",
        "\"Why the Sky Is Blue.\"",
        "Why the Sky Is Blue",
    );
    // A title the user chose is never overwritten.
    f.hearth.store().rename(&conversation.id, "Mine").unwrap();
    assert_eq!(
        f.hearth
            .store()
            .conversation(&conversation.id)
            .unwrap()
            .title,
        "Mine"
    );
}

#[test]
fn an_empty_message_is_refused_and_nothing_is_written() {
    let f = fixture();
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    assert!(f
        .hearth
        .send_message(&conversation.id, "   ", options())
        .is_err());
    assert!(f
        .hearth
        .store()
        .active_branch(&conversation.id)
        .unwrap()
        .is_empty());
}

/// Set in the child of the crash test below: the Hearth home it writes to until it
/// ends in the middle of an answer.
const CRASH_CHILD_HOME: &str = "HEARTH_CHAT_CRASH_CHILD_HOME";
/// Its full name in the tests' program (tests/integration.rs): this file's module, then the test.
const CRASH_CHILD_TEST: &str =
    "chat::answers_cut_off_by_a_crash_are_marked_interrupted_at_the_next_start";
const ANSWER_LINE: &str = "HEARTH-ANSWER";

/// A real crash: a child process (this test binary again) starts an answer and ends
/// without finishing it or running any destructor. Its answer is labelled at the next
/// start, because its writer is gone.
#[test]
fn answers_cut_off_by_a_crash_are_marked_interrupted_at_the_next_start() {
    let open = |home: &std::path::Path, fake: Arc<FakeEngine>| {
        Hearth::open(OpenOptions {
            paths: Paths::under(home),
            isolation: Some(Isolation::Provided(fake)),
        })
        .unwrap()
    };
    if let Some(home) = std::env::var_os(CRASH_CHILD_HOME) {
        let fake = Arc::new(FakeEngine::new());
        let hearth = open(std::path::Path::new(&home), fake.clone());
        let conversation = hearth.new_conversation(None, None).unwrap();
        let turn = hearth
            .send_message(&conversation.id, "Hello", options())
            .unwrap();
        let _unfinished = fake.next_request(WAIT).unwrap();
        println!("{ANSWER_LINE} {}", turn.answer_id);
        std::io::Write::flush(&mut std::io::stdout()).unwrap();
        // The process "dies" here: nothing finishes the answer.
        std::process::exit(0);
    }
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            CRASH_CHILD_TEST,
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_CHILD_HOME, dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let answer_id = stdout
        .lines()
        // The harness may print the test's name on the same line first.
        .find_map(|line| line.split_once(ANSWER_LINE).map(|(_, id)| id))
        .unwrap_or_else(|| {
            panic!(
                "the child started no answer: {output:?}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
        .trim()
        .to_owned();
    let reopened = open(dir.path(), Arc::new(FakeEngine::new()));
    let answer = reopened
        .store()
        .message(&hearth_store::MessageId::from(answer_id.as_str()))
        .unwrap();
    assert_eq!(answer.state, MessageState::Interrupted);
}

/// Opening the history again while an answer streams (here in the same process; the
/// CLI's durability test does it from other processes) leaves the answer streaming, and
/// every word of it reaches the database.
#[test]
fn opening_hearth_again_leaves_a_live_answer_streaming() {
    let f = fixture();
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    let turn = f
        .hearth
        .send_message(&conversation.id, "Hello", options())
        .unwrap();
    let answer_id = turn.answer_id.clone();
    let reader = std::thread::spawn(move || collect(turn));
    let mut stream = f.fake.next_request(WAIT).unwrap();
    let mut sent = String::new();
    for word in ["One ", "more ", "word ", "each ", "time."] {
        assert!(stream.push(word));
        sent.push_str(word);
        let again = Hearth::open(OpenOptions {
            paths: f.hearth.paths().clone(),
            isolation: Some(Isolation::Provided(f.fake.clone())),
        })
        .unwrap();
        assert_eq!(
            again.store().message(&answer_id).unwrap().state,
            MessageState::Streaming
        );
    }
    stream.finish(StopReason::EndOfGeneration);
    let (text, message) = reader.join().unwrap();
    assert_eq!(text, sent);
    assert_eq!(
        (message.content.as_str(), message.state),
        (sent.as_str(), MessageState::Done)
    );
}

/// What one exchange looked like from the fake model's side.
struct Exchange {
    summary_prompts: Vec<String>,
    answer_prompt: String,
    events: Vec<TurnEvent>,
}

fn prompt_text(request: &hearth_llm::EngineRequest) -> String {
    match &request.prompt {
        Prompt::Text(text) => text.clone(),
        Prompt::Tokens(_) => panic!("text prompt expected"),
    }
}

/// Sends `text` on another thread while this one plays the model: summaries are
/// answered with "SUMMARY-n" (n counting every summary so far), titles with a title,
/// and the answer with `answer`.
fn exchange(
    f: &Fixture,
    conversation: &hearth_store::ConversationId,
    text: &str,
    answer: &str,
    summaries_so_far: &mut usize,
) -> Exchange {
    std::thread::scope(|scope| {
        let sending = scope.spawn(|| f.hearth.send_message(conversation, text, options()));
        let mut summary_prompts = Vec::new();
        loop {
            let mut stream = f.fake.next_request(WAIT).expect("the model got a request");
            let prompt = prompt_text(&stream.request);
            if prompt.contains("running summary") {
                *summaries_so_far += 1;
                stream.push(&format!("SUMMARY-{summaries_so_far}"));
                stream.finish(StopReason::EndOfGeneration);
                summary_prompts.push(prompt);
                continue;
            }
            if prompt.contains("You write titles") {
                stream.push("A title");
                stream.finish(StopReason::EndOfGeneration);
                continue;
            }
            stream.push(answer);
            stream.finish(StopReason::EndOfGeneration);
            let turn = sending.join().unwrap().unwrap();
            let mut events = Vec::new();
            while let Some(event) = turn.next_event() {
                events.push(event);
            }
            return Exchange {
                summary_prompts,
                answer_prompt: prompt,
                events,
            };
        }
    })
}

fn question(i: usize) -> String {
    format!("question {i}: {}", "q".repeat(40))
}

fn answer_text(i: usize) -> String {
    format!("answer {i}: {}", "a".repeat(40))
}

#[test]
fn a_branch_that_outgrows_the_context_is_folded_into_a_stored_running_summary() {
    let f = fixture_with(FakeEngine::new().with_context_length(1000));
    let conversation = f.hearth.new_conversation(None, Some("Be brief.")).unwrap();
    let store = f.hearth.store();
    let mut summaries = 0;
    let mut first_fold = None;
    let mut second_fold = None;
    for i in 1..=14 {
        let ex = exchange(
            &f,
            &conversation.id,
            &question(i),
            &answer_text(i),
            &mut summaries,
        );
        // The newest question and the system prompt are always there, verbatim.
        assert!(
            ex.answer_prompt.contains(&question(i)),
            "turn {i}: {}",
            ex.answer_prompt
        );
        assert!(ex.answer_prompt.contains("Be brief."), "turn {i}");
        assert!(
            ex.summary_prompts.len() <= 1,
            "turn {i}: one summary at a time"
        );
        let folded: Vec<_> = ex
            .events
            .iter()
            .filter_map(|e| match e {
                TurnEvent::Folded { summary } => Some(summary.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            folded.len(),
            ex.summary_prompts.len(),
            "turn {i}: the fold is announced"
        );
        if let Some(summary) = folded.first() {
            assert!(
                matches!(ex.events.first(), Some(TurnEvent::Folded { .. })),
                "turn {i}: the fold comes before the answer"
            );
            assert!(ex.answer_prompt.contains(&summary.content), "turn {i}");
        }
        match (&ex.summary_prompts[..], first_fold, second_fold) {
            ([], None, _) => {
                // Before the first fold, everything is sent verbatim.
                assert!(ex.answer_prompt.contains(&question(1)), "turn {i}");
            }
            ([], Some(_), None) => {
                // Between folds, the stored summary is reused without asking the model.
                assert!(ex.answer_prompt.contains("SUMMARY-1"), "turn {i}");
                assert!(!ex.answer_prompt.contains(&question(1)), "turn {i}");
            }
            ([prompt], None, _) => {
                assert!(i > 2, "folded too early, at turn {i}");
                assert!(prompt.contains(&question(1)) && prompt.contains(&answer_text(1)));
                assert!(
                    !prompt.contains(&question(i)),
                    "the newest question is never folded"
                );
                assert!(ex.answer_prompt.contains("SUMMARY-1"));
                assert!(!ex.answer_prompt.contains(&question(1)));
                let stored = store.context_summaries(&conversation.id).unwrap();
                assert_eq!(stored, folded, "the summary is stored as announced");
                assert_eq!(stored[0].model.as_deref(), Some("Fake"));
                first_fold = Some(i);
            }
            ([prompt], Some(_), None) => {
                // A running summary: the second one builds on the first.
                assert!(prompt.contains("SUMMARY-1"), "{prompt}");
                assert!(ex.answer_prompt.contains("SUMMARY-2"));
                assert!(!ex.answer_prompt.contains("SUMMARY-1"));
                second_fold = Some(i);
            }
            _ => {}
        }
    }
    let (Some(first), Some(second)) = (first_fold, second_fold) else {
        panic!("expected two folds in 14 turns, got {first_fold:?} and {second_fold:?}")
    };
    assert!(
        second > first + 1,
        "the first summary was reused at least once"
    );
    assert!(store.context_summaries(&conversation.id).unwrap().len() >= 2);
    // The full text is still in the history: folding changes what the model sees only.
    let branch = store.active_branch(&conversation.id).unwrap();
    assert_eq!(branch[0].content, question(1));
    assert_eq!(branch.len(), 28);
}

#[test]
fn a_message_too_long_for_the_context_is_refused_with_the_overflow_and_not_stored() {
    let f = fixture_with(FakeEngine::new().with_context_length(1000));
    let conversation = f.hearth.new_conversation(None, Some("Be brief.")).unwrap();
    let long = "x".repeat(1200);
    let Err(error) = f.hearth.send_message(&conversation.id, &long, options()) else {
        panic!("a message longer than the context was accepted")
    };
    match &error {
        hearth_core::CoreError::MessageTooLong {
            tokens,
            limit,
            over,
        } => {
            assert_eq!(*limit, 1000);
            // At least the message itself and the answer's room (a quarter of 1000).
            assert!(*tokens >= 1200 + 250, "{tokens}");
            assert_eq!(*over, tokens - limit);
            let text = error.to_string();
            assert!(text.contains(&format!("{over} tokens too long")), "{text}");
        }
        other => panic!("expected MessageTooLong, got {other:?}"),
    }
    assert_eq!(error.code(), "MESSAGE_TOO_LONG");
    assert!(
        f.fake.received().is_empty(),
        "nothing was sent to the model"
    );
    assert!(
        f.hearth
            .store()
            .active_branch(&conversation.id)
            .unwrap()
            .is_empty(),
        "nothing was stored"
    );

    // A message that fits is still answered in full.
    f.fake.reply_with(["ok"]);
    let turn = f
        .hearth
        .send_message(&conversation.id, &"y".repeat(600), options())
        .unwrap();
    let (text, _) = collect(turn);
    assert_eq!(text, "ok");
    let prompt = prompt_text(&f.fake.received()[0]);
    assert!(prompt.contains(&"y".repeat(600)), "the message was not cut");
}

#[test]
fn a_first_answer_that_fails_is_titled_with_the_question_without_asking_the_model() {
    let f = fixture();
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    let turn = f
        .hearth
        .send_message(
            &conversation.id,
            "How do I fix a flat bicycle tyre quickly?",
            options(),
        )
        .unwrap();
    f.fake.next_request(WAIT).unwrap().fail(LlmError::Decode {
        reason: "boom".into(),
    });
    let (_, answer) = collect(turn);
    assert_eq!(answer.state, MessageState::Failed);
    eventually("the fallback title", || {
        f.hearth
            .store()
            .conversation(&conversation.id)
            .unwrap()
            .title
            == "How do I fix a flat"
    });
    // The one request the model had was the answer: no title was asked of a model that
    // just failed.
    assert_eq!(f.fake.received().len(), 1);
}

#[test]
fn a_conversation_left_untitled_by_an_earlier_exchange_is_titled_by_the_next_answer() {
    let f = fixture();
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    // An exchange that left no title (imported, or written before titles were).
    let store = f.hearth.store();
    let question = store
        .add_message(
            &conversation.id,
            hearth_store::NewMessage::user(None, "Earlier question"),
        )
        .unwrap();
    let answer = store
        .add_message(
            &conversation.id,
            hearth_store::NewMessage::assistant_streaming(Some(question.id.clone()), None),
        )
        .unwrap();
    store
        .finish_message(
            &answer.id,
            &hearth_store::MessageFinish {
                content: "Earlier answer".into(),
                state: MessageState::Done,
                error: None,
                token_count: Some(2),
                reasoning: None,
                reasoning_ms: None,
            },
        )
        .unwrap();
    assert_eq!(store.conversation(&conversation.id).unwrap().title, "");

    answer_then_title(
        &f,
        &conversation.id,
        "Later question",
        "Later answer",
        "Later title",
        "Later title",
    );
}

#[test]
fn each_answer_records_how_much_of_the_context_its_prompt_takes() {
    let f = fixture_with(FakeEngine::new().with_context_length(2048));
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    first_answer(&f, &conversation.id, "Hello there", "Hi");
    let settings = f
        .hearth
        .store()
        .conversation(&conversation.id)
        .unwrap()
        .settings;
    let used = &settings[hearth_core::chat::CONTEXT_USE_KEY];
    assert_eq!(used["context_tokens"], 2048, "{settings}");
    // The fake's tokens are bytes: the prompt as the template writes it, question included.
    let Prompt::Text(prompt) = &f.fake.received()[0].prompt else {
        panic!()
    };
    assert_eq!(used["prompt_tokens"], prompt.len(), "{settings}");
}
