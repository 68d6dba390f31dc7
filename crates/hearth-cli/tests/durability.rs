//! "Never lose a word": `hearth chat` is killed with SIGKILL in the middle of an answer,
//! many times, at different moments. Each time the history database must pass SQLite's
//! integrity check, hold the question in full, and hold the cut answer — text up to its
//! last checkpoint — marked `interrupted` once Hearth starts again.

mod support;

use std::io::{Read, Write};
use std::process::Stdio;
use std::time::Duration;

use hearth_store::{MessageState, Role, Store};
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
