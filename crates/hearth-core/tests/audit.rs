//! The audit log on the scripted fake model: every generation of a chat turn (the
//! answer and its background title) is recorded with hashes that match what the model
//! saw and said, and with none of the text itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth_core::audit::{prompt_sha256, sha256_hex};
use hearth_core::{Hearth, Isolation, OpenOptions, Paths};
use hearth_llm::fake::FakeEngine;
use hearth_llm::{EngineExt, GenerationOptions, LlmError};
use hearth_store::{AuditPurpose, AuditRecord};

const WAIT: Duration = Duration::from_secs(10);

fn open(dir: &std::path::Path, fake: &Arc<FakeEngine>) -> Hearth {
    Hearth::open(OpenOptions {
        paths: Paths::under(dir),
        isolation: Some(Isolation::Provided(fake.clone())),
    })
    .unwrap()
}

/// Waits until the log holds `count` records (the title is written in the background).
fn records(hearth: &Hearth, count: usize) -> Vec<AuditRecord> {
    let deadline = Instant::now() + WAIT;
    loop {
        let records = hearth.store().audit_records(None).unwrap();
        if records.len() >= count {
            return records;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {count} audit records, have {records:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_chat_turn_and_its_title_are_recorded_by_hash_only() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeEngine::new());
    let hearth = open(dir.path(), &fake);
    let conversation = hearth.new_conversation(None, None).unwrap();
    fake.reply_with(["Paris is ", "the capital."]);
    fake.reply_with(["French capital"]);
    let question = "Which city is the capital of France?";
    let answer = hearth
        .send_message(&conversation.id, question, GenerationOptions::greedy())
        .unwrap()
        .stream(|_| {})
        .unwrap();
    assert_eq!(answer.content, "Paris is the capital.");

    let records = records(&hearth, 2);
    assert_eq!(records.len(), 2, "{records:?}");
    let received = fake.received();
    assert_eq!(received.len(), 2);
    let outputs = ["Paris is the capital.", "French capital"];
    let purposes = [AuditPurpose::Answer, AuditPurpose::Title];
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record.prompt_sha256, prompt_sha256(&received[i].prompt));
        assert_eq!(record.output_sha256, sha256_hex(outputs[i].as_bytes()));
        assert_eq!(record.purpose, purposes[i]);
        assert_eq!(record.provider, "local");
        assert_eq!(record.model, hearth.engine(None).unwrap().info().name);
        assert_eq!(
            record.conversation_id.as_deref(),
            Some(conversation.id.as_str())
        );
        assert!(record.prompt_tokens.unwrap() > 0);
        assert_eq!(record.completion_tokens, Some(2 - i as i64));
        assert!(record.prompt_ms.is_some() && record.generation_ms.is_some());
        assert!(record.error.is_none());
        assert_eq!(
            record.parameters["max_tokens"],
            serde_json::to_value(received[i].options.max_tokens).unwrap()
        );
        // The fake's file does not exist, so there is nothing to hash.
        assert_eq!(record.model_sha256, None);
        let json = serde_json::to_string(record).unwrap();
        for text in [question, "capital of France", outputs[i]] {
            assert!(!json.contains(text), "plaintext {text:?} in {json}");
        }
    }
    assert_eq!(records[0].stop_reason.as_deref(), Some("end_of_generation"));
}

#[test]
fn failed_and_direct_generations_are_recorded_too() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(FakeEngine::new());
    let hearth = open(dir.path(), &fake);
    let engine = hearth.engine(None).unwrap();
    let generation = engine
        .complete("raw prompt".into(), GenerationOptions::greedy())
        .unwrap();
    let mut stream = fake.next_request(WAIT).unwrap();
    stream.push("half");
    stream.fail(LlmError::Decode {
        reason: "boom".into(),
    });
    assert!(generation.wait().is_err());

    let records = hearth.store().audit_records(None).unwrap();
    assert_eq!(
        records.len(),
        1,
        "the record is written before the failure is passed on"
    );
    let record = &records[0];
    assert_eq!(record.purpose, AuditPurpose::Other);
    assert_eq!(record.conversation_id, None);
    assert_eq!(record.prompt_sha256, sha256_hex(b"raw prompt"));
    assert_eq!(record.output_sha256, sha256_hex(b"half"));
    assert!(record.error.as_deref().unwrap().contains("boom"));
    assert_eq!(record.stop_reason, None);
}

#[test]
fn a_model_file_is_hashed_and_late_records_are_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    std::fs::write(&model, b"not a real model, only bytes to hash").unwrap();
    let fake = Arc::new(FakeEngine::new().with_model_path(&model));
    let hearth = open(dir.path(), &fake);
    fake.reply_with(["one"]);
    let (generation, _) = hearth
        .ask_once(None, None, "q", GenerationOptions::greedy())
        .unwrap();
    generation.wait().unwrap();
    let expected = sha256_hex(b"not a real model, only bytes to hash");
    // Whether the hash was ready at the time or not, the record ends up with it.
    let deadline = Instant::now() + WAIT;
    loop {
        let records = hearth.store().audit_records(None).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].purpose, AuditPurpose::Run);
        if records[0].model_sha256.as_deref() == Some(expected.as_str()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "model hash never arrived: {records:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the store remembers `path`'s hash (written by the hashing thread).
fn wait_for_hash(hearth: &Hearth, expected: &str) {
    let deadline = Instant::now() + WAIT;
    while hearth.store().audit_records(None).unwrap()[0]
        .model_sha256
        .as_deref()
        != Some(expected)
    {
        assert!(Instant::now() < deadline, "model hash never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_linked_model_is_hashed_once_and_again_only_when_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("linked.gguf");
    std::fs::write(&model, b"first contents of the model").unwrap();
    let modified = std::fs::metadata(&model).unwrap().modified().unwrap();
    let first = sha256_hex(b"first contents of the model");
    let ask = |hearth: &Hearth, fake: &FakeEngine| {
        fake.reply_with(["ok"]);
        let (generation, _) = hearth
            .ask_once(None, None, "q", GenerationOptions::greedy())
            .unwrap();
        generation.wait().unwrap();
    };
    {
        let fake = Arc::new(FakeEngine::new().with_model_path(&model));
        let hearth = open(dir.path(), &fake);
        ask(&hearth, &fake);
        wait_for_hash(&hearth, &first);
    }

    // Same size and time, other bytes: a later process trusts the cache and never reads
    // the file, which the stale hash proves.
    std::fs::write(&model, b"other contents of the model").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&model)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    {
        let fake = Arc::new(FakeEngine::new().with_model_path(&model));
        let hearth = open(dir.path(), &fake);
        ask(&hearth, &fake);
        let records = hearth.store().audit_records(None).unwrap();
        let last = records.last().unwrap();
        assert_eq!(
            last.model_sha256.as_deref(),
            Some(first.as_str()),
            "hash was recomputed"
        );
    }

    // A new modification time means new contents: hashed again.
    std::fs::File::options()
        .write(true)
        .open(&model)
        .unwrap()
        .set_modified(modified + Duration::from_secs(60))
        .unwrap();
    let second = sha256_hex(b"other contents of the model");
    let fake = Arc::new(FakeEngine::new().with_model_path(&model));
    let hearth = open(dir.path(), &fake);
    ask(&hearth, &fake);
    let deadline = Instant::now() + WAIT;
    while hearth
        .store()
        .audit_records(None)
        .unwrap()
        .last()
        .unwrap()
        .model_sha256
        .as_deref()
        != Some(second.as_str())
    {
        assert!(
            Instant::now() < deadline,
            "changed model was not hashed again"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
