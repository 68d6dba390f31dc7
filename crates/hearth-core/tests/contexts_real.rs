//! Saved conversation contexts through the facade, on the real default model: a chat's
//! context is on disk after the app closes, the next turn after reopening is answered,
//! and deleting the conversation deletes every saved context.

use crate::support;

use std::path::Path;

use hearth_core::{Hearth, Isolation, OpenOptions, Paths, TurnEvent};
use hearth_llm::GenerationOptions;
use hearth_store::{ConversationId, MessageState};

fn open(root: &Path) -> Hearth {
    Hearth::open(OpenOptions {
        paths: Paths::under(root),
        isolation: Some(Isolation::InProcess),
    })
    .unwrap()
}

fn turn(hearth: &Hearth, id: &ConversationId, question: &str) {
    let options = GenerationOptions {
        max_tokens: Some(24),
        ..GenerationOptions::greedy()
    };
    let turn = hearth.send_message(id, question, options).unwrap();
    let mut finished = None;
    while let Some(event) = turn.next_event() {
        if let TurnEvent::Finished { message } = event {
            finished = Some(message);
        }
    }
    let answer = finished.expect("the turn finished");
    assert_eq!(answer.state, MessageState::Done, "{:?}", answer.error);
}

fn saved_contexts(paths: &Paths) -> usize {
    walk(&paths.contexts_dir())
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                walk(&path)
            } else {
                usize::from(path.extension().is_some_and(|e| e == "kvstate"))
            }
        })
        .sum()
}

#[test]
fn contexts_outlive_the_app_and_die_with_their_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    std::fs::create_dir_all(&paths.config).unwrap();
    std::fs::write(
        paths.config_file(),
        format!(
            "default_model = {:?}\ncontext_length = 1024\nparallel = 2\n",
            support::smollm2().display().to_string()
        ),
    )
    .unwrap();
    let question = "I keep bees on a city balcony and the hive is getting crowded. \
                    What should I check before the summer to keep the colony healthy, \
                    and how do I know whether it is about to swarm?";
    let id = {
        let hearth = open(dir.path());
        let conversation = hearth
            .new_conversation(None, Some("You are a careful beekeeping mentor."))
            .unwrap();
        turn(&hearth, &conversation.id, question);
        conversation.id
    };
    // The engine stops (and saves) when its last user lets go: the title written in the
    // background after the first exchange may still hold it for a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while saved_contexts(&paths) == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        saved_contexts(&paths) >= 1,
        "closing the app saves the conversation's context"
    );

    let hearth = open(dir.path());
    turn(&hearth, &id, "And what if it swarms anyway?");
    hearth.delete_conversation(&id).unwrap();
    assert_eq!(saved_contexts(&paths), 0);
    assert!(!paths.contexts_dir().exists());
    drop(hearth);
    // The loaded engine forgot its sequences too: closing saves nothing of them.
    assert_eq!(saved_contexts(&paths), 0);
}
