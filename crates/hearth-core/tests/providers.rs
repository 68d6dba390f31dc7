//! Remote providers through the facade, against a mock provider on loopback: connect
//! one with its key (kept out of config.toml), chat with `PROVIDER:MODEL` and find the
//! generation audited under the provider's name, offline mode refusing before any
//! connection and surviving a restart, a changed key used at once, and removal
//! forgetting the key. A key goes only to the origin it was set for: a changed address
//! deletes it, a hand-edited config.toml cannot redirect it, plain http:// is refused
//! beyond this computer, and redirects are not followed.

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

/// The "attacker": a second listener on another loopback port, which records every
/// request (and its Authorization and x-api-key headers) it gets.
fn attacker(reply: Reply) -> MockProvider {
    MockProvider::start(vec![reply])
}

fn no_key_reached(attacker: &MockProvider) {
    for request in attacker.requests() {
        assert_eq!(request.header("authorization"), None, "{request:?}");
        assert_eq!(request.header("x-api-key"), None, "{request:?}");
    }
}

#[test]
fn a_changed_address_removes_the_key_so_it_never_reaches_the_new_origin() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = open(dir.path());
    let mock = MockProvider::start(vec![
        Reply::openai_stream(&["Hello."]),
        Reply::openai_stream(&["Same origin."]),
    ]);
    let attacker = attacker(Reply::openai_stream(&["Thanks for the key."]));
    hearth
        .save_provider(
            provider("work", Protocol::OpenAi, &mock),
            Some(ApiKey::new("sk-work-secret")),
        )
        .unwrap();
    assert_eq!(ask(&hearth, "work:model-a").unwrap(), "Hello.");
    assert_eq!(
        mock.requests()[0].header("authorization"),
        Some("Bearer sk-work-secret")
    );

    // Another path at the same origin keeps the key.
    let same_origin = ProviderConfig {
        base_url: Some(mock.base_url().replace("/v1", "/api/v1")),
        ..provider("work", Protocol::OpenAi, &mock)
    };
    let view = hearth.save_provider(same_origin, None).unwrap();
    assert_eq!(
        (view.key, view.key_removed),
        (Some(KeyPlace::SealedFile), false)
    );
    assert_eq!(ask(&hearth, "work:model-a").unwrap(), "Same origin.");
    assert_eq!(
        mock.requests()[1].header("authorization"),
        Some("Bearer sk-work-secret")
    );

    // Another port on the same host is another origin: the key is deleted.
    let moved = ProviderConfig {
        base_url: Some(attacker.base_url()),
        ..provider("work", Protocol::OpenAi, &mock)
    };
    let view = hearth.save_provider(moved.clone(), None).unwrap();
    assert_eq!((view.key, view.key_removed), (None, true));
    assert_eq!(view.problem, None);
    assert_eq!(hearth.providers()[0].key, None);
    let sealed = std::fs::read_to_string(dir.path().join("config/secrets.json")).unwrap();
    assert!(!sealed.contains("\"work\""), "the key is deleted: {sealed}");
    assert_eq!(ask(&hearth, "work:model-a").unwrap(), "Thanks for the key.");
    assert_eq!(attacker.requests().len(), 1);
    no_key_reached(&attacker);

    // Saving again at the new address has nothing left to remove; a key set now is
    // for the new address.
    let view = hearth.save_provider(moved, None).unwrap();
    assert!(!view.key_removed);
    hearth
        .set_provider_key("work", ApiKey::new("sk-for-the-new-one"))
        .unwrap();
    assert!(hearth.providers()[0].problem.is_none());
}

#[test]
fn a_hand_edited_address_never_gets_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let mock = MockProvider::start(vec![]);
    let attacker = attacker(Reply::anthropic_stream(&["Thanks for the key."]));
    {
        let hearth = open(dir.path());
        hearth
            .save_provider(
                provider("claude", Protocol::Anthropic, &mock),
                Some(ApiKey::new("sk-ant-secret-2")),
            )
            .unwrap();
    }
    // Another program rewrites the address in config.toml.
    let path = dir.path().join("config/config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    assert!(config.contains(&mock.base_url()), "{config}");
    std::fs::write(
        &path,
        config.replace(&mock.base_url(), &attacker.base_url()),
    )
    .unwrap();

    let hearth = open(dir.path());
    let listed = &hearth.providers()[0];
    assert_eq!(listed.key, Some(KeyPlace::SealedFile));
    let problem = listed.problem.as_deref().unwrap_or_default();
    assert!(problem.contains("set the key again"), "{problem}");
    let error = ask(&hearth, "claude:model-a").unwrap_err();
    assert_eq!(error.code(), "REMOTE_AUTH", "{error}");
    let message = error.to_string();
    assert!(
        message.contains("was not sent") && message.contains("hearth providers key claude"),
        "{message}"
    );
    assert!(!message.contains("secret"), "{message}");
    assert_eq!(
        attacker.connections(),
        0,
        "nothing is sent to the new address"
    );
    assert_eq!(mock.connections(), 0);

    // Setting the key again binds it to the address in use.
    hearth
        .set_provider_key("claude", ApiKey::new("sk-ant-chosen"))
        .unwrap();
    assert_eq!(
        ask(&hearth, "claude:model-a").unwrap(),
        "Thanks for the key."
    );
    assert_eq!(
        attacker.requests()[0].header("x-api-key"),
        Some("sk-ant-chosen")
    );
}

#[test]
fn plain_http_is_refused_except_to_this_computer() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = open(dir.path());
    let mock = MockProvider::start(vec![]);
    for url in [
        "http://10.0.0.5:8000/v1",
        "http://api.example.com/v1",
        "http://localhost.example.com/v1",
    ] {
        let config = ProviderConfig {
            base_url: Some(url.into()),
            ..provider("lan", Protocol::OpenAi, &mock)
        };
        let error = hearth
            .save_provider(config, Some(ApiKey::new("sk-lan")))
            .unwrap_err();
        assert_eq!(error.code(), "INVALID_PROVIDER");
        assert!(
            error.to_string().contains("only allowed to this computer"),
            "{url}: {error}"
        );
    }
    assert!(hearth.providers().is_empty());
    assert!(
        !dir.path().join("config/secrets.json").exists(),
        "no key is kept for a refused address"
    );
    for url in [
        "https://10.0.0.5:8000/v1",
        "http://localhost:11434/v1",
        "http://127.0.0.2:8000/v1",
        "http://[::1]:8000/v1",
    ] {
        let config = ProviderConfig {
            base_url: Some(url.into()),
            ..provider("lan", Protocol::OpenAi, &mock)
        };
        hearth.save_provider(config, None).unwrap();
    }

    // A config.toml edited by hand to plain http:// elsewhere still opens; the provider
    // is flagged and refused before anything is sent.
    drop(hearth);
    let path = dir.path().join("config/config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        config.replace("http://[::1]:8000/v1", "http://192.0.2.1:8000/v1"),
    )
    .unwrap();
    let hearth = open(dir.path());
    let problem = hearth.providers()[0].problem.clone().unwrap_or_default();
    assert!(
        problem.contains("only allowed to this computer"),
        "{problem}"
    );
    let error = ask(&hearth, "lan:model-a").unwrap_err();
    assert_eq!(error.code(), "INVALID_PROVIDER", "{error}");
    assert!(
        error.to_string().contains("only allowed to this computer"),
        "{error}"
    );
    assert_eq!(
        hearth
            .set_provider_key("lan", ApiKey::new("sk-lan"))
            .unwrap_err()
            .code(),
        "INVALID_PROVIDER"
    );
}

#[test]
fn redirects_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = open(dir.path());
    let attacker = attacker(Reply::openai_stream(&["Thanks for the key."]));
    let to = format!("{}/chat/completions", attacker.base_url());
    let mock = MockProvider::start(vec![
        Reply::error(302, serde_json::json!({})).with_header("location", &to),
        Reply::error(307, serde_json::json!({})).with_header("location", &to),
    ]);
    for (name, kind) in [
        ("openai", Protocol::OpenAi),
        ("claude", Protocol::Anthropic),
    ] {
        hearth
            .save_provider(
                provider(name, kind, &mock),
                Some(ApiKey::new("sk-redirected")),
            )
            .unwrap();
    }
    for (model, status) in [("openai:model-a", "302"), ("claude:model-a", "307")] {
        let error = ask(&hearth, model).unwrap_err();
        assert_eq!(error.code(), "REMOTE_FAILED", "{error}");
        let message = error.to_string();
        assert!(
            message.contains(status) && message.contains("follows no redirects"),
            "{message}"
        );
    }
    assert_eq!(mock.requests().len(), 2);
    assert_eq!(attacker.connections(), 0, "the redirect was followed");
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

#[test]
fn a_remote_judge_gets_redacted_text_and_is_audited_as_the_grounding_check() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = open(dir.path());
    let mock = MockProvider::start(vec![Reply::openai_stream(&[
        r#"{"reason": "Excerpt 1 names [EMA"#,
        r#"IL_1] as the contact.", "verdict": "supported"}"#,
    ])]);
    hearth
        .save_provider(provider("cloud", Protocol::OpenAi, &mock), None)
        .unwrap();
    hearth
        .update_config(|c| {
            c.grounding = hearth_core::grounding::GroundingMode::Thorough;
            c.grounding_judge = Some("cloud:model-a".into());
        })
        .unwrap();
    let source = "Questions about the archive go to anna@corp.example, who keeps the records.";
    let report = hearth.check_against_documents(
        "Write to anna@corp.example about the records.",
        &[source.to_owned()],
        None,
        None,
    );
    // No embedding model in this home: the judge ran on the words shared.
    assert_eq!(
        report.layers,
        [
            hearth_core::grounding::Layer::Facts,
            hearth_core::grounding::Layer::Judge
        ]
    );
    assert_eq!(report.judge.as_deref(), Some("cloud:model-a"));
    assert_eq!(report.not_found, 0, "{report:#?}");
    let seen = mock.requests();
    assert_eq!(seen.len(), 1);
    let sent = seen[0].body.to_string();
    assert!(!sent.contains("anna@corp.example"), "{sent}");
    assert!(sent.contains("[EMAIL_1]"), "{sent}");
    assert!(
        seen[0].body["response_format"]["type"] == "json_schema",
        "the verdict's schema goes along: {sent}"
    );
    let record = &records(&hearth, 1)[0];
    assert_eq!(record.purpose, hearth_store::AuditPurpose::GroundingCheck);
    assert_eq!(record.provider, "cloud");
    assert!(record
        .redactions
        .iter()
        .any(|(kind, n)| kind == "email" && *n >= 1));
}
