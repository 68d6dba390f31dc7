//! Folding on the real default model (SmolLM2) with a small context: a conversation of
//! long turns outgrows it, older turns are summarized by the model and stored, and every
//! turn is still answered.

use crate::support;

use hearth_core::{Hearth, Isolation, OpenOptions, Paths, TurnEvent};
use hearth_llm::GenerationOptions;
use hearth_store::MessageState;

const TOPICS: [&str; 5] = [
    "lighthouses",
    "bread baking",
    "river otters",
    "glaciers",
    "violins",
];

#[test]
fn a_long_conversation_on_a_small_context_folds_and_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    let model = support::smollm2();
    std::fs::write(
        paths.config_file(),
        format!(
            "default_model = {:?}\ncontext_length = 512\nparallel = 1\n",
            model.display().to_string()
        ),
    )
    .unwrap();
    let hearth = Hearth::open(OpenOptions {
        paths,
        isolation: Some(Isolation::InProcess),
    })
    .unwrap();
    let conversation = hearth
        .new_conversation(None, Some("You are a helpful assistant."))
        .unwrap();
    let options = GenerationOptions {
        max_tokens: Some(48),
        ..GenerationOptions::greedy()
    };
    let mut folds = 0;
    for topic in TOPICS {
        let question = format!(
            "I am writing a long report and I would like your help with one part of it. \
             Please tell me three interesting facts about {topic}, explain why each of \
             them matters to people who have never thought about {topic} before, and \
             suggest one question about {topic} that a curious student could ask next."
        );
        let turn = hearth
            .send_message(&conversation.id, &question, options.clone())
            .unwrap();
        let mut text = String::new();
        let mut finished = None;
        while let Some(event) = turn.next_event() {
            match event {
                TurnEvent::Folded { summary } => {
                    assert!(!summary.content.trim().is_empty());
                    folds += 1;
                }
                TurnEvent::Delta { text: delta } => text.push_str(&delta),
                // SmolLM2 does not think.
                TurnEvent::Reasoning { text } => panic!("unexpected thinking: {text}"),
                // No MCP server is configured here.
                TurnEvent::ToolCall { call } => panic!("unexpected tool call: {call:?}"),
                TurnEvent::Finished { message } => finished = Some(message),
            }
        }
        let answer = finished.expect("the turn finished");
        assert_eq!(answer.state, MessageState::Done, "{:?}", answer.error);
        assert!(
            !answer.content.trim().is_empty(),
            "empty answer about {topic}"
        );
        assert_eq!(answer.content, text);
    }
    let stored = hearth.store().context_summaries(&conversation.id).unwrap();
    assert!(
        folds >= 1,
        "five long turns never folded in a 512-token context"
    );
    assert_eq!(stored.len(), folds, "every fold is stored");
    assert!(stored.iter().all(|s| !s.content.trim().is_empty()));
}
