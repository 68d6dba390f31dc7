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
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeEngine::new());
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
    let received = f.fake.received();
    let Prompt::Text(prompt) = &received.last().unwrap().prompt else {
        panic!()
    };
    assert!(
        prompt.contains("First") && prompt.contains("Second") && !prompt.contains("boom"),
        "{prompt}"
    );
}

#[test]
fn regenerating_makes_a_sibling_answer_and_branches_can_be_switched() {
    let f = fixture();
    let conversation = f.hearth.new_conversation(None, None).unwrap();
    f.fake.reply_with(["first answer"]);
    f.fake.reply_with(["A title"]);
    let (_, first) = collect(
        f.hearth
            .send_message(&conversation.id, "Question", options())
            .unwrap(),
    );
    // The title is written in the background; let it take its scripted reply first.
    eventually("the title", || {
        f.hearth
            .store()
            .conversation(&conversation.id)
            .unwrap()
            .title
            == "A title"
    });
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
    f.fake.reply_with(["The sky scatters blue light."]);
    f.fake.reply_with(["\"Why the Sky Is Blue.\""]);
    collect(
        f.hearth
            .send_message(&conversation.id, "Why is the sky blue?", options())
            .unwrap(),
    );
    eventually("the title", || {
        f.hearth
            .store()
            .conversation(&conversation.id)
            .unwrap()
            .title
            == "Why the Sky Is Blue"
    });
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

#[test]
fn answers_cut_off_by_a_crash_are_marked_interrupted_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let fake = Arc::new(FakeEngine::new());
    let open = || {
        Hearth::open(OpenOptions {
            paths: paths.clone(),
            isolation: Some(Isolation::Provided(fake.clone())),
        })
        .unwrap()
    };
    let hearth = open();
    let conversation = hearth.new_conversation(None, None).unwrap();
    let turn = hearth
        .send_message(&conversation.id, "Hello", options())
        .unwrap();
    let answer_id = turn.answer_id.clone();
    let _unfinished = fake.next_request(WAIT).unwrap();
    // The process "dies" here: the answer never finishes. The next start cleans up.
    std::mem::forget(turn);
    let reopened = open();
    let answer = reopened.store().message(&answer_id).unwrap();
    assert_eq!(answer.state, MessageState::Interrupted);
}
