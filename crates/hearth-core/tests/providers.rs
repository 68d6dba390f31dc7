//! Remote providers through the facade, against a mock provider on loopback: connect
//! one with its key (kept out of config.toml), chat with `PROVIDER:MODEL` and find the
//! generation audited under the provider's name, offline mode refusing before any
//! connection and surviving a restart, a changed key used at once, and removal
//! forgetting the key.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth_core::{Hearth, Isolation, KeyPlace, OpenOptions, Paths, ProviderConfig};
use hearth_llm::fake::FakeEngine;
use hearth_llm::remote::mock::{MockProvider, Reply};
use hearth_llm::{ApiKey, ChatMessage, GenerationOptions, Protocol};
use hearth_store::AuditRecord;

fn open(dir: &std::path::Path) -> Hearth {
    // Tests must not write to the keyring of the machine they run on.
    std::env::set_var("HEARTH_KEYRING", "off");
    Hearth::open(OpenOptions {
        paths: Paths::under(dir),
        isolation: Some(Isolation::Provided(Arc::new(FakeEngine::new()))),
    })
    .unwrap()
}

fn provider(name: &str, kind: Protocol, mock: &MockProvider) -> ProviderConfig {
    ProviderConfig {
        name: name.into(),
        kind,
        base_url: Some(mock.base_url()),
        models: vec!["model-a".into()],
        context_length: 8192,
        input_cost_per_1k: Some(0.15),
        output_cost_per_1k: Some(0.6),
    }
}

fn ask(hearth: &Hearth, model: &str) -> hearth_core::Result<String> {
    let (generation, _) = hearth.chat(
        Some(model),
        &[ChatMessage::user("What colour is the sky?")],
        GenerationOptions::greedy(),
    )?;
    Ok(generation.wait()?.text)
}

fn records(hearth: &Hearth, count: usize) -> Vec<AuditRecord> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let records = hearth.store().audit_records(None).unwrap();
        if records.len() >= count || Instant::now() > deadline {
            return records;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_connected_provider_answers_and_is_audited_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = open(dir.path());
    let mock = MockProvider::start(vec![
        Reply::anthropic_stream(&["Blue", "."]),
        Reply::anthropic_stream(&["Still blue."]),
    ]);
    let view = hearth
        .save_provider(
            provider("claude", Protocol::Anthropic, &mock),
            Some(ApiKey::new("sk-ant-secret-1")),
        )
        .unwrap();
    assert_eq!(view.key, Some(KeyPlace::SealedFile));
    assert_eq!(view.base_url, mock.base_url());

    assert_eq!(ask(&hearth, "claude:model-b").unwrap(), "Blue.");
    // The provider's name alone means its first listed model.
    assert_eq!(ask(&hearth, "claude").unwrap(), "Still blue.");
    let seen = mock.requests();
    assert_eq!(seen[0].header("x-api-key"), Some("sk-ant-secret-1"));
    assert_eq!(seen[0].body["model"], "model-b");
    assert_eq!(seen[1].body["model"], "model-a");

    let records = records(&hearth, 2);
    assert_eq!(records.len(), 2);
    for (record, model) in records.iter().zip(["model-b", "model-a"]) {
        assert_eq!(
            (record.provider.as_str(), record.model.as_str()),
            ("claude", model)
        );
        assert_eq!(record.error, None);
        assert_eq!(
            record.sent_bytes,
            Some("What colour is the sky?".len() as u64)
        );
        assert!(record.redactions.is_empty());
    }

    // The key is nowhere in the settings file, nor anywhere in clear on disk.
    let config = std::fs::read_to_string(dir.path().join("config/config.toml")).unwrap();
    assert!(
        config.contains("[[providers]]") && config.contains("name = \"claude\""),
        "{config}"
    );
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(10).any(|w| w == b"ant-secret"),
            "{} holds the API key in clear",
            entry.display()
        );
    }
}

#[test]
fn offline_mode_refuses_remote_models_before_connecting_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mock = MockProvider::start(vec![Reply::openai_stream(&["Online again."])]);
    {
        let hearth = open(dir.path());
        hearth
            .save_provider(provider("vllm", Protocol::OpenAi, &mock), None)
            .unwrap();
        hearth.set_offline(true).unwrap();
        let error = ask(&hearth, "vllm:model-a").unwrap_err();
        assert_eq!(error.code(), "OFFLINE");
        // Local models are untouched by offline mode.
        hearth.engine(None).unwrap();
    }
    let hearth = open(dir.path());
    assert!(hearth.is_offline(), "offline mode must survive a restart");
    assert_eq!(ask(&hearth, "vllm:model-a").unwrap_err().code(), "OFFLINE");
    assert_eq!(mock.connections(), 0, "offline mode must not open a socket");
    hearth.set_offline(false).unwrap();
    assert_eq!(ask(&hearth, "vllm:model-a").unwrap(), "Online again.");
    assert_eq!(
        mock.requests()[0].header("authorization"),
        None,
        "no key, no header"
    );
}

#[test]
fn a_new_key_is_used_at_once_and_removal_forgets_it() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = open(dir.path());
    let mock = MockProvider::start(vec![
        Reply::error(
            401,
            serde_json::json!({"error": {"message": "Incorrect API key provided"}}),
        ),
        Reply::openai_stream(&["Hello."]),
    ]);
    hearth
        .save_provider(
            provider("openai", Protocol::OpenAi, &mock),
            Some(ApiKey::new("sk-old")),
        )
        .unwrap();
    let error = ask(&hearth, "openai:model-a").unwrap_err().to_string();
    assert!(error.contains("openai refused the API key"), "{error}");
    assert_eq!(
        hearth
            .set_provider_key("openai", ApiKey::new("sk-new"))
            .unwrap(),
        KeyPlace::SealedFile
    );
    assert_eq!(ask(&hearth, "openai:model-a").unwrap(), "Hello.");
    assert_eq!(
        mock.requests()[1].header("authorization"),
        Some("Bearer sk-new")
    );

    hearth.remove_provider("openai").unwrap();
    assert!(hearth.providers().is_empty());
    // Without the provider the name is no longer a model Hearth knows.
    assert_eq!(
        hearth
            .resolve_model(Some("openai:model-a"))
            .unwrap_err()
            .code(),
        "UNKNOWN_MODEL"
    );
    assert_eq!(
        hearth.remove_provider("openai").unwrap_err().code(),
        "UNKNOWN_PROVIDER"
    );
    let sealed = std::fs::read_to_string(dir.path().join("config/secrets.json")).unwrap();
    assert!(
        !sealed.contains("openai"),
        "the removed provider's key is gone: {sealed}"
    );
}

#[test]
fn personal_data_is_redacted_before_sending_and_restored_in_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = open(dir.path());
    let mock = MockProvider::start(vec![
        // Placeholders cut across the stream's pieces, as a tokenizer would cut them.
        Reply::openai_stream(&[
            "I wrote to [EMA",
            "IL_1] about [NA",
            "ME_1]'s account [IBAN_1].",
        ]),
        Reply::openai_stream(&["Sent as written."]),
    ]);
    hearth
        .save_provider(provider("cloud", Protocol::OpenAi, &mock), None)
        .unwrap();
    hearth
        .update_config(|c| c.redaction.names = vec!["Anna Berg".into()])
        .unwrap();
    let question = "Email anna@corp.example about Anna Berg's IBAN DE89 3704 0044 0532 0130 00.";
    let (generation, _) = hearth
        .chat(
            Some("cloud:model-a"),
            &[ChatMessage::user(question)],
            GenerationOptions::greedy(),
        )
        .unwrap();
    let mut shown = String::new();
    let answer = generation.stream(|delta| shown.push_str(delta)).unwrap();
    let restored =
        "I wrote to anna@corp.example about Anna Berg's account DE89 3704 0044 0532 0130 00.";
    assert_eq!(answer.text, restored);
    assert_eq!(shown, restored, "the streamed pieces are restored too");
    let sent = mock.requests()[0].body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sent, "Email [EMAIL_1] about [NAME_1]'s IBAN [IBAN_1].");
    // The audit log says what left and what was held back, and hashes the answer as
    // the user reads it.
    let record = &records(&hearth, 1)[0];
    assert_eq!(record.sent_bytes, Some(sent.len() as u64));
    let redacted: Vec<(&str, u64)> = record
        .redactions
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    assert_eq!(redacted, [("email", 1), ("iban", 1), ("name", 1)]);
    assert_eq!(
        record.output_sha256,
        hearth_core::audit::sha256_hex(restored.as_bytes())
    );

    // Turned off (and no names), the text goes as written.
    hearth
        .update_config(|c| {
            c.redaction.enabled = false;
            c.redaction.names.clear();
        })
        .unwrap();
    assert_eq!(ask(&hearth, "cloud:model-a").unwrap(), "Sent as written.");
    let sent = mock.requests()[1].body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sent, "What colour is the sky?");
}

#[test]
fn bad_provider_settings_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = open(dir.path());
    let mock = MockProvider::start(vec![]);
    let cases = [
        (
            ProviderConfig {
                name: "My Provider".into(),
                ..provider("x", Protocol::OpenAi, &mock)
            },
            "lowercase letters",
        ),
        (
            ProviderConfig {
                name: "local".into(),
                ..provider("x", Protocol::OpenAi, &mock)
            },
            "reserved",
        ),
        (
            ProviderConfig {
                base_url: Some("api.example.com".into()),
                ..provider("x", Protocol::OpenAi, &mock)
            },
            "http://",
        ),
        (
            ProviderConfig {
                context_length: 10,
                ..provider("x", Protocol::OpenAi, &mock)
            },
            "at least 512",
        ),
        (
            ProviderConfig {
                input_cost_per_1k: Some(-1.0),
                ..provider("x", Protocol::OpenAi, &mock)
            },
            "0 or more",
        ),
    ];
    for (config, reason) in cases {
        let error = hearth.save_provider(config, None).unwrap_err();
        assert_eq!(error.code(), "INVALID_PROVIDER");
        assert!(
            error.to_string().contains(reason),
            "{error} should say {reason}"
        );
    }
    assert!(hearth.providers().is_empty());
    let no_models = ProviderConfig {
        models: vec![],
        ..provider("bare", Protocol::OpenAi, &mock)
    };
    hearth.save_provider(no_models, None).unwrap();
    let error = ask(&hearth, "bare").unwrap_err().to_string();
    assert!(error.contains("bare:MODEL"), "{error}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
