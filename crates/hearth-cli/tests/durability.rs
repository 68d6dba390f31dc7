//! "Never lose a word": `hearth chat` is killed with SIGKILL in the middle of an answer,
//! many times, at different moments. Each time the history database must pass SQLite's
//! integrity check, hold the question in full, and hold the cut answer — text up to its
//! last checkpoint — marked `interrupted` once Hearth starts again. And the other way
//! round: other Hearth processes starting while an answer streams never cut it off.

mod support;

use std::io::{Read, Write};
use std::process::Stdio;
use std::time::Duration;

use std::sync::Arc;

use hearth_core::{Hearth, Isolation, OpenOptions, Paths};
use hearth_llm::fake::FakeEngine;
use hearth_llm::{GenerationOptions, StopReason};
use hearth_store::{MessageState, Role, RunState, Store};
use support::hearth;

const QUESTION: &str = "Write a long essay about the history of Europe, century by century.";

/// Starts a chat, waits `delay` after the answer starts streaming, kills the process
/// and returns what it had printed.
fn chat_and_kill(home: &std::path::Path, delay: Duration) -> String {
    let mut child = hearth(home)
        .args(["chat", "--temperature", "0", "-n", "1500"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{QUESTION}\n").as_bytes()).unwrap();
    stdin.flush().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // The first byte of the answer: generation is under way.
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    std::thread::sleep(delay);
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap()
        .success());
    child.wait().unwrap();
    drop(stdin);
    let mut printed = first.to_vec();
    stdout.read_to_end(&mut printed).unwrap();
    String::from_utf8_lossy(&printed).into_owned()
}

#[test]
fn killing_chat_mid_answer_never_loses_committed_text() {
    let model = support::models::smollm2();
    let mut checkpointed_answers = 0;
    for iteration in 0..12u64 {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join("config")).unwrap();
        let config = format!("default_model = {:?}\n", model.display().to_string());
        std::fs::write(home.path().join("config/config.toml"), config).unwrap();
        // From "right away" to well past a checkpoint interval.
        let delay = Duration::from_millis(iteration * 150);
        let printed = chat_and_kill(home.path(), delay);

        let store = Store::open(home.path().join("data/hearth.db")).unwrap();
        store
            .check_integrity()
            .unwrap_or_else(|e| panic!("iteration {iteration}: {e}"));
        let conversations = store.list_conversations(&Default::default()).unwrap();
        assert_eq!(conversations.len(), 1, "iteration {iteration}");
        let messages = store.messages(&conversations[0].id).unwrap();
        let question = messages
            .iter()
            .find(|m| m.role == Role::User)
            .expect("the question was committed");
        assert_eq!(question.content, QUESTION);
        let answer = messages
            .iter()
            .find(|m| m.role == Role::Assistant)
            .expect("the answer row exists");
        // The stored and the printed text grow from the same stream, so one is a prefix
        // of the other: the printer may lag a checkpoint by a token, or lead it by up to
        // a checkpoint interval.
        let (stored, shown) = (answer.content.trim_end(), printed.trim_end());
        assert!(
            shown.starts_with(stored) || stored.starts_with(shown),
            "iteration {iteration}: stored {stored:?} vs printed {shown:?}"
        );
        if answer.state == MessageState::Streaming {
            assert_eq!(store.mark_interrupted().unwrap(), 1);
            assert_eq!(
                store.message(&answer.id).unwrap().state,
                MessageState::Interrupted
            );
            if !stored.is_empty() {
                checkpointed_answers += 1;
            }
        } else {
            assert_eq!(answer.state, MessageState::Done, "iteration {iteration}");
        }
        drop(store);

        // Hearth marks a cut answer itself when it next starts.
        let id = conversations[0].id.as_str().to_owned();
        let output = hearth(home.path())
            .args(["--json", "history", "show", &id])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", support::describe(&output));
        let shown: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let states: Vec<&str> = shown["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["state"].as_str().unwrap())
            .collect();
        assert!(
            !states.contains(&"streaming"),
            "iteration {iteration}: {states:?}"
        );
    }
    assert!(
        checkpointed_answers >= 3,
        "only {checkpointed_answers} kills landed after a checkpoint; the test proves too little"
    );
}

/// Every start of Hearth labels the answers a crash left streaming. It must not take an
/// answer that another process is still writing for one: here the answer streams in
/// this test process (the facade on the scripted fake model, as in `hearth serve` or the
/// app), a workflow run goes on beside it, and 20 `hearth history list` processes open
/// the same history meanwhile. The answer stays streaming, its checkpoints keep working,
/// and in the end the database holds every character streamed, finished.
#[test]
fn other_processes_starting_never_cut_off_a_live_answer() {
    let home = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeEngine::new());
    let app = Hearth::open(OpenOptions {
        paths: Paths::under(home.path()),
        isolation: Some(Isolation::Provided(fake.clone())),
    })
    .unwrap();
    let conversation = app.new_conversation(None, None).unwrap();
    let turn = app
        .send_message(&conversation.id, QUESTION, GenerationOptions::greedy())
        .unwrap();
    let answer_id = turn.answer_id.clone();
    let run = app
        .store()
        .start_workflow_run("triage", &serde_json::json!({"steps": []}), "pasted text")
        .unwrap();
    let reader = std::thread::spawn(move || {
        let mut shown = String::new();
        let finished = turn.stream(|text| shown.push_str(text));
        (shown, finished)
    });
    let mut stream = fake
        .next_request(Duration::from_secs(60))
        .expect("the engine got the request");

    let mut sent = String::new();
    let mut results = Vec::new();
    for i in 0..20 {
        let piece = format!("Part {i}: café 日本語 κόσμε 🙂\n");
        assert!(
            stream.push(&piece),
            "the answer stopped listening at part {i}"
        );
        sent.push_str(&piece);
        let output = hearth(home.path())
            .args(["--json", "history", "list"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", support::describe(&output));
        assert!(
            support::text(&output.stdout).contains(conversation.id.as_str()),
            "{}",
            support::describe(&output)
        );
        let answer = app.store().message(&answer_id).unwrap();
        assert_eq!(
            answer.state,
            MessageState::Streaming,
            "`hearth history list` number {} cut off the live answer",
            i + 1
        );
        assert_eq!(
            app.store().workflow_run(&run).unwrap().state,
            RunState::Running,
            "`hearth history list` number {} cut off the live workflow run",
            i + 1
        );
        results.push(serde_json::json!({ "item": i }));
        app.store()
            .update_workflow_run(&run, &results, RunState::Running, None)
            .unwrap();
    }
    // The answer's own checkpoints still land after all those starts: more text until
    // one does (they come every `CHECKPOINT_INTERVAL`, half a second).
    let mut pieces = 0;
    while !app
        .store()
        .message(&answer_id)
        .unwrap()
        .content
        .contains("Part 19")
    {
        pieces += 1;
        assert!(
            pieces <= 200,
            "no checkpoint of the answer landed after the starts"
        );
        let piece = format!("More {pieces}. ");
        assert!(stream.push(&piece), "the answer stopped listening");
        sent.push_str(&piece);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        app.store().message(&answer_id).unwrap().state,
        MessageState::Streaming
    );
    stream.finish(StopReason::EndOfGeneration);
    let (shown, finished) = reader.join().unwrap();
    let finished = finished.expect("the answer finished without losing its row");
    assert_eq!(shown, sent);
    assert_eq!(
        (finished.content.as_str(), finished.state),
        (sent.as_str(), MessageState::Done)
    );
    app.store()
        .update_workflow_run(&run, &results, RunState::Done, None)
        .unwrap();

    // Another process reads the same answer back.
    let output = hearth(home.path())
        .args(["--json", "history", "show", conversation.id.as_str()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", support::describe(&output));
    let shown: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let answer = shown["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "assistant")
        .expect("the answer is listed");
    assert_eq!(answer["content"], sent.as_str());
    assert_eq!(answer["state"], "done");
    let run = app.store().workflow_run(&run).unwrap();
    assert_eq!((run.state, run.results.len()), (RunState::Done, 20));
}
