//! LoRA adapters through the facade on the real default model: a conversation with an
//! adapter answers differently from one without (and its generations are audited with
//! the adapter) and loads no plain copy of the model beside it, a zero adapter in a
//! workflow step changes nothing, and adapters that cannot apply are refused when
//! attached, before any answer.

use crate::common;
use crate::lora_adapter;
use crate::support;

use std::collections::BTreeMap;

use hearth_core::documents::Cancellation;
use hearth_core::workflows::{Step, Task, Workflow, WorkflowInput};
use hearth_core::Hearth;
use hearth_llm::{GenerationOptions, LoraAdapter};
use hearth_store::AuditPurpose;

fn hearth(dir: &std::path::Path) -> Hearth {
    common::hearth_on(dir, &support::smollm2(), 1024, 1)
}

fn greedy() -> GenerationOptions {
    GenerationOptions {
        max_tokens: Some(20),
        ..GenerationOptions::greedy()
    }
}

fn answer(hearth: &Hearth, adapter: Option<LoraAdapter>) -> (String, String) {
    let conversation = hearth.new_conversation(None, None).unwrap();
    hearth
        .set_conversation_adapter(&conversation.id, adapter)
        .unwrap();
    let message = hearth
        .send_message(&conversation.id, "What is the capital of France?", greedy())
        .unwrap()
        .stream(|_| {})
        .unwrap();
    (conversation.id.to_string(), message.content)
}

#[test]
fn a_conversation_answers_through_its_adapter_and_the_audit_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = hearth(dir.path());
    let random = dir.path().join("random.gguf");
    lora_adapter::write_test_adapter(&support::smollm2(), &random, 42, false);

    let (_, plain) = answer(&hearth, None);
    let (tuned_id, tuned) = answer(&hearth, Some(LoraAdapter::new(&random, 1.0)));
    assert_ne!(plain, tuned, "the adapter changed nothing");
    // Scale 0 is the model without it.
    let (_, off) = answer(&hearth, Some(LoraAdapter::new(&random, 0.0)));
    assert_eq!(off, plain);

    let records = hearth.store().audit_records(None).unwrap();
    let tuned_answers: Vec<_> = records
        .iter()
        .filter(|r| r.conversation_id.as_deref() == Some(tuned_id.as_str()))
        .filter(|r| r.purpose == AuditPurpose::Answer)
        .collect();
    assert_eq!(tuned_answers.len(), 1);
    assert_eq!(tuned_answers[0].adapter.as_deref(), Some("random.gguf@1"));
    assert!(records
        .iter()
        .filter(|r| r.adapter.is_none())
        .any(|r| r.purpose == AuditPurpose::Answer));
}

#[test]
fn a_turn_with_an_adapter_loads_only_the_model_with_it() {
    // The question's size check and the answer share one lookup of the conversation's
    // model, adapter included: the plain model is never loaded beside it.
    let dir = tempfile::tempdir().unwrap();
    let hearth = hearth(dir.path());
    let random = dir.path().join("random.gguf");
    lora_adapter::write_test_adapter(&support::smollm2(), &random, 42, false);
    answer(&hearth, Some(LoraAdapter::new(&random, 1.0)));
    let loaded = hearth.loaded_models().unwrap().models;
    let adapters: Vec<_> = loaded.iter().map(|m| m.adapter.clone()).collect();
    assert_eq!(adapters, [Some(random)], "{loaded:?}");
}

#[test]
fn a_zero_adapter_on_a_workflow_step_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = hearth(dir.path());
    let zero = dir.path().join("zero.gguf");
    lora_adapter::write_test_adapter(&support::smollm2(), &zero, 7, true);
    let step = |adapter: Option<LoraAdapter>| Step {
        adapter,
        temperature: Some(0.0),
        max_tokens: Some(12),
        ..Step::new(
            "reply",
            Task::Prompt {
                template: Some("Say hello to {{input}}.".into()),
                prompt: None,
                variables: BTreeMap::new(),
                system: None,
            },
        )
    };
    let run = |adapter| {
        let workflow = Workflow {
            name: "hello".into(),
            description: String::new(),
            steps: vec![step(adapter)],
        };
        let input = WorkflowInput::Text {
            name: "who".into(),
            text: "Ana".into(),
        };
        let run = hearth
            .run_workflow(&workflow, &[input], &mut |_| {}, &Cancellation::new())
            .unwrap();
        run.results[0]["outputs"][0]["text"].clone()
    };
    let with = run(Some(LoraAdapter::new(&zero, 1.0)));
    let without = run(None);
    assert_eq!(with, without);
    assert!(with.as_str().is_some_and(|t| !t.is_empty()));
    let adapters: Vec<Option<String>> = hearth
        .store()
        .audit_records(None)
        .unwrap()
        .into_iter()
        .map(|r| r.adapter.clone())
        .collect();
    assert_eq!(adapters, [Some("zero.gguf@1".to_owned()), None]);
}

#[test]
fn adapters_that_cannot_apply_are_refused_when_attached() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = hearth(dir.path());
    let conversation = hearth.new_conversation(None, None).unwrap();
    let missing = dir.path().join("missing.gguf");
    let error = hearth
        .set_conversation_adapter(&conversation.id, Some(LoraAdapter::new(&missing, 1.0)))
        .unwrap_err();
    assert_eq!(error.code(), "BAD_ADAPTER");
    assert!(error.to_string().contains("missing.gguf"), "{error}");
    // Nothing was attached, and the model is not shown as failing to load.
    let details = hearth.store().conversation(&conversation.id).unwrap();
    assert!(hearth_core::chat::attached_adapter(&details).is_none());
    assert_eq!(hearth.model_loads(), []);

    hearth
        .save_provider(common::loopback_provider("cloud"), None)
        .unwrap();
    let remote = hearth.new_conversation(Some("cloud:m"), None).unwrap();
    let zero = dir.path().join("zero.gguf");
    lora_adapter::write_test_adapter(&support::smollm2(), &zero, 7, true);
    let error = hearth
        .set_conversation_adapter(&remote.id, Some(LoraAdapter::new(&zero, 1.0)))
        .unwrap_err();
    assert_eq!(error.code(), "BAD_ADAPTER");
    assert!(
        error.to_string().contains("models on this computer"),
        "{error}"
    );
}
