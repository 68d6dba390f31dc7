//! Conversation contexts saved to disk and restored, on the real default model: after an
//! engine restart, after losing the sequence to another conversation, a corrupt file,
//! and forgetting them all. A restored context must give exactly the answer a full
//! evaluation gives.

mod support;

use std::path::{Path, PathBuf};

use hearth_llm::{ChatMessage, Completion, Engine, EngineSettings, GenerationOptions, LlamaEngine};

fn greedy(n: u32) -> GenerationOptions {
    GenerationOptions {
        max_tokens: Some(n),
        ..GenerationOptions::greedy()
    }
}

fn engine(parallel: u32, saved: Option<&Path>) -> LlamaEngine {
    let settings = EngineSettings {
        context_length: 1024,
        parallel,
        threads: Some(2),
        saved_contexts: saved.map(Path::to_path_buf),
        ..Default::default()
    };
    LlamaEngine::load(&support::smollm2(), &settings).unwrap()
}

/// A conversation long enough to be worth saving (well over 64 tokens).
fn conversation(topic: &str) -> Vec<ChatMessage> {
    vec![
        ChatMessage::system("You are a patient teacher. Answer in two sentences."),
        // The topic first, so two conversations share little more than the template.
        ChatMessage::user(format!(
            "{topic}: I am preparing a lesson about {topic} for a class of twelve-year-olds \
             who have never studied it. They like stories, drawings and small experiments \
             they can do at home with paper, water, string and kitchen scales. What is \
             the single most important idea about {topic} they should leave with?"
        )),
    ]
}

fn follow_up(mut history: Vec<ChatMessage>, answer: &str, question: &str) -> Vec<ChatMessage> {
    history.push(ChatMessage::assistant(answer));
    history.push(ChatMessage::user(question));
    history
}

fn answer(engine: &LlamaEngine, messages: &[ChatMessage], tokens: u32) -> Completion {
    engine
        .chat(messages, greedy(tokens))
        .unwrap()
        .0
        .wait()
        .unwrap()
}

fn saved_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(root).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            files.push(file.path());
        }
    }
    files
}

#[test]
fn a_restarted_engine_restores_the_conversation_instead_of_reading_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let first_turn = conversation("the water cycle");
    let first = {
        let engine = engine(2, Some(dir.path()));
        answer(&engine, &first_turn, 24)
        // Dropping the engine saves what its sequences hold.
    };
    let files = saved_files(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].extension().is_some_and(|e| e == "kvstate"));

    let second_turn = follow_up(first_turn, &first.text, "And how do clouds form?");
    let restarted = engine(2, Some(dir.path()));
    let restored = answer(&restarted, &second_turn, 24);
    assert!(
        restored.restored_tokens >= first.prompt_tokens,
        "{} tokens restored; the first prompt had {}",
        restored.restored_tokens,
        first.prompt_tokens
    );
    assert_eq!(restored.cached_tokens, restored.restored_tokens);

    // The restored state is the real one: the answer is exactly what a full evaluation
    // gives.
    let fresh = answer(&engine(2, None), &second_turn, 24);
    assert_eq!(fresh.cached_tokens, 0);
    assert_eq!(restored.text, fresh.text);
}

#[test]
fn a_conversation_that_loses_its_sequence_comes_back_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(1, Some(dir.path()));
    let tides = conversation("ocean tides");
    let tides_answer = answer(&engine, &tides, 16);
    // Another conversation takes the only sequence; the first is saved on its way out.
    let bicycles = conversation("how bicycles stay upright");
    answer(&engine, &bicycles, 16);
    assert_eq!(saved_files(dir.path()).len(), 1);

    let back = follow_up(
        tides,
        &tides_answer.text,
        "Why are there two high tides a day?",
    );
    let resumed = answer(&engine, &back, 16);
    assert!(
        resumed.restored_tokens >= tides_answer.prompt_tokens,
        "{} restored of {}",
        resumed.restored_tokens,
        resumed.prompt_tokens
    );
    // Both are on disk now: the bicycles conversation was saved when it lost the sequence.
    assert_eq!(saved_files(dir.path()).len(), 2);

    // Forgetting leaves nothing on disk and nothing to restore.
    engine.forget_contexts().unwrap();
    assert!(saved_files(dir.path()).is_empty());
    let again = answer(&engine, &back, 4);
    assert_eq!(again.restored_tokens, 0);
    assert_eq!(
        again.cached_tokens, 0,
        "forgetting clears the sequences too"
    );
}

/// Saves a conversation, damages its file, and checks that the next turn evaluates
/// the prompt (the same answer as a fresh engine) and the file is gone.
fn damaged_context_is_dropped(topic: &str, damage: fn(&mut Vec<u8>)) {
    let dir = tempfile::tempdir().unwrap();
    let turn = conversation(topic);
    let first = {
        let engine = engine(1, Some(dir.path()));
        answer(&engine, &turn, 16)
    };
    let files = saved_files(dir.path());
    assert_eq!(files.len(), 1);
    let mut bytes = std::fs::read(&files[0]).unwrap();
    damage(&mut bytes);
    std::fs::write(&files[0], &bytes).unwrap();

    let next = follow_up(turn, &first.text, "Where is the largest one?");
    let engine = engine(1, Some(dir.path()));
    let completion = answer(&engine, &next, 16);
    assert_eq!(completion.restored_tokens, 0);
    assert!(!completion.text.is_empty());
    assert!(!files[0].exists(), "the damaged file is deleted");
    let fresh = answer(&self::engine(1, None), &next, 16);
    assert_eq!(completion.text, fresh.text);
}

#[test]
fn a_cut_short_saved_context_is_dropped_and_the_prompt_evaluated() {
    // The header still names the tokens, the tensors are gone: llama.cpp itself aborts
    // the process on such a file, so the checksum must catch it first.
    damaged_context_is_dropped("volcanoes", |bytes| bytes.truncate(bytes.len() / 2));
}

#[test]
fn a_saved_context_with_a_flipped_byte_is_dropped_and_the_prompt_evaluated() {
    damaged_context_is_dropped("glaciers", |bytes| {
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x40;
    });
}

#[test]
fn short_conversations_are_not_worth_saving() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = engine(1, Some(dir.path()));
        answer(&engine, &[ChatMessage::user("Hi!")], 4);
    }
    assert!(saved_files(dir.path()).is_empty());
}

#[test]
fn a_full_budget_drops_the_oldest_but_never_the_context_coming_back() {
    let dir = tempfile::tempdir().unwrap();
    let settings = EngineSettings {
        context_length: 1024,
        parallel: 1,
        threads: Some(2),
        saved_contexts: Some(dir.path().to_path_buf()),
        // Room for one of these conversations' contexts (about 3 MB each), not two.
        saved_contexts_budget: 4 << 20,
        ..Default::default()
    };
    let engine = LlamaEngine::load(&support::smollm2(), &settings).unwrap();
    let tides = conversation("ocean tides");
    let bikes = conversation("how bicycles stay upright");
    let kites = conversation("why kites fly");
    let tides_answer = answer(&engine, &tides, 8);
    answer(&engine, &bikes, 8); // tides saved
    answer(&engine, &kites, 8); // bikes saved; the budget drops tides
    let files = saved_files(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");

    // Bikes is the only state on disk and the oldest; saving kites to make room must
    // not drop it before it is loaded.
    let resumed = answer(&engine, &bikes, 8);
    assert!(resumed.restored_tokens > 0, "{resumed:?}");

    // Tides was dropped: evaluated again, the same answer as ever.
    let back = follow_up(
        tides,
        &tides_answer.text,
        "Why are there two high tides a day?",
    );
    let again = answer(&engine, &back, 8);
    assert_eq!(again.restored_tokens, 0);
    assert_eq!(again.text, answer(&self::engine(1, None), &back, 8).text);
}
