//! Export and import through the public API: exact JSON round trips into a fresh history,
//! the Markdown rendering, and hostile import files that must be refused without writing
//! anything.

use expect_test::expect;
use hearth_store::{
    ConversationId, ConversationSettings, ExportDocument, ExportScope, ImportMode, ImportOptions,
    MessageFinish, MessageKind, MessageState, NewConversation, NewMessage, NewPersona, Role,
    RunState, SavedKind, Store, StoreError, EXPORT_FORMAT, EXPORT_VERSION,
};
use serde_json::{json, Value};

/// A history with every feature: personas, tags, pins, archives, settings, branches,
/// summaries, every message state, and text in several scripts.
fn rich_history() -> Store {
    let store = Store::open_in_memory().unwrap();
    let lawyer = store
        .create_persona(NewPersona {
            name: "Lawyer".into(),
            system_prompt: "You review contracts.".into(),
            settings: json!({"temperature": 0.2}),
        })
        .unwrap();
    store
        .create_persona(NewPersona {
            name: "Editor".into(),
            system_prompt: "You fix prose.".into(),
            settings: Value::Null,
        })
        .unwrap();

    let c = store
        .create_conversation(NewConversation {
            title: Some("Lease review".into()),
            model: Some("qwen2.5-coder-1.5b".into()),
            system_prompt: Some("You review contracts.".into()),
            persona_id: Some(lawyer.id.clone()),
            settings: json!({"temperature": 0.7, "stop": ["\n\n"], "top_p": 0.95}),
        })
        .unwrap();
    store.add_tag(&c.id, "work").unwrap();
    store.add_tag(&c.id, "legal").unwrap();
    store.set_pinned(&c.id, true).unwrap();
    let summary = store
        .add_message(
            &c.id,
            NewMessage {
                role: Role::System,
                kind: MessageKind::Summary,
                ..NewMessage::user(None, "Earlier: the tenant asked about deposits.")
            },
        )
        .unwrap();
    let q1 = store
        .add_message(
            &c.id,
            NewMessage::user(Some(summary.id.clone()), "Is clause 4 fair?"),
        )
        .unwrap();
    store
        .add_context_summary(
            &c.id,
            &q1.id,
            "The tenant asked about deposits and clause 4.",
            Some("smollm2"),
        )
        .unwrap();
    let finish = |id, content: &str, state, error: Option<&str>| {
        store
            .finish_message(
                id,
                &MessageFinish {
                    content: content.into(),
                    state,
                    error: error.map(Into::into),
                    token_count: Some(content.len() as u32),
                    reasoning: None,
                    reasoning_ms: None,
                },
            )
            .unwrap()
    };
    let a1 = store
        .add_message(
            &c.id,
            NewMessage::assistant_streaming(Some(q1.id.clone()), Some("qwen".into())),
        )
        .unwrap();
    finish(&a1.id, "Mostly.", MessageState::Done, None);
    let a1b = store
        .add_message(
            &c.id,
            NewMessage::assistant_streaming(Some(q1.id.clone()), Some("qwen".into())),
        )
        .unwrap();
    finish(&a1b.id, "It depends on", MessageState::Stopped, None);
    let q2 = store
        .add_message(
            &c.id,
            NewMessage::user(Some(a1b.id.clone()), "Go on, with \"quotes\" and \u{0} NUL"),
        )
        .unwrap();
    let a2 = store
        .add_message(
            &c.id,
            NewMessage::assistant_streaming(Some(q2.id.clone()), None),
        )
        .unwrap();
    finish(
        &a2.id,
        "",
        MessageState::Failed,
        Some("the model ran out of memory"),
    );
    let a2b = store
        .add_message(
            &c.id,
            NewMessage::assistant_streaming(Some(q2.id.clone()), None),
        )
        .unwrap();
    store
        .checkpoint_message(&a2b.id, "Partial 日本語 🙂", MessageState::Streaming)
        .unwrap();
    // Cut off, as a crash of its writer leaves it once the next start labels it (this
    // process is alive, so `mark_interrupted` would leave it streaming).
    store
        .finish_message(
            &a2b.id,
            &MessageFinish {
                content: "Partial 日本語 🙂".into(),
                state: MessageState::Interrupted,
                error: None,
                token_count: None,
                reasoning: None,
                reasoning_ms: None,
            },
        )
        .unwrap();
    store.switch_branch(&c.id, &a1.id).unwrap();

    let archived = store
        .create_conversation(NewConversation::default())
        .unwrap();
    store.set_archived(&archived.id, true).unwrap();

    let other = store
        .create_conversation(NewConversation {
            title: Some("Привет 世界".into()),
            ..Default::default()
        })
        .unwrap();
    let q = store
        .add_message(&other.id, NewMessage::user(None, "私は日本語を話します"))
        .unwrap();
    let a = store
        .add_message(
            &other.id,
            NewMessage::assistant_streaming(Some(q.id), Some("smollm2".into())),
        )
        .unwrap();
    store
        .checkpoint_message(&a.id, "Καλημέρα", MessageState::Done)
        .unwrap();

    let triage = json!({"name": "Triage", "steps": [{"task": "classify", "labels": ["a", "b"]}]});
    store
        .save_definition(SavedKind::Workflow, "Triage", &triage)
        .unwrap();
    store
        .save_definition(
            SavedKind::Prompt,
            "Thank-you note",
            &json!({"name": "Thank-you note", "body": "Thank {{name}} for {{gift}}."}),
        )
        .unwrap();
    let run = store
        .start_workflow_run("Triage", &triage, "3 files in ~/mail")
        .unwrap();
    store
        .update_workflow_run(
            &run,
            &[
                json!({"item": "a.txt", "steps": ["b"]}),
                json!({"item": "ü.txt", "error": "unreadable"}),
            ],
            RunState::Done,
            None,
        )
        .unwrap();
    store
}

fn count(store: &Store) -> (usize, usize, usize) {
    let doc = store.export_json(&ExportScope::All).unwrap();
    let messages = doc.conversations.iter().map(|c| c.messages.len()).sum();
    (doc.conversations.len(), messages, doc.personas.len())
}

fn import(store: &Store, doc: &Value) -> Result<hearth_store::ImportReport, StoreError> {
    store.import_json(doc.to_string().as_bytes(), &ImportOptions::default())
}

#[test]
fn json_export_imports_into_a_fresh_store_exactly() {
    let source = rich_history();
    let before = source.export_json(&ExportScope::All).unwrap();
    assert_eq!(before.format, EXPORT_FORMAT);
    assert_eq!(before.version, EXPORT_VERSION);
    assert_eq!(before.conversations.len(), 3);
    assert_eq!(before.personas.len(), 2);
    assert_eq!(
        (
            before.workflows.len(),
            before.prompts.len(),
            before.workflow_runs.len()
        ),
        (1, 1, 1)
    );
    let text = before.to_json().unwrap();

    let target = Store::open_in_memory().unwrap();
    let report = target
        .import_json(text.as_bytes(), &ImportOptions::default())
        .unwrap();
    assert_eq!(report.conversations.len(), 3);
    assert_eq!(report.messages, 9);
    assert_eq!(report.personas_added, 2);
    assert_eq!(
        (
            report.workflows_added,
            report.prompts_added,
            report.workflow_runs_added
        ),
        (1, 1, 1)
    );

    let mut after = target.export_json(&ExportScope::All).unwrap();
    after.exported_at = before.exported_at;
    assert_eq!(after, before);
    assert_eq!(after.to_json().unwrap(), text);

    // The imported history works like the original: branches, search, integrity.
    let id = &before.conversations[0].id;
    assert_eq!(
        target.active_branch(id).unwrap(),
        source.active_branch(id).unwrap()
    );
    let hits = target
        .search(&hearth_store::SearchQuery::text("日本語"))
        .unwrap();
    assert_eq!(hits.len(), 2, "one done message, one interrupted");
    target.check_integrity().unwrap();
}

#[test]
fn single_conversation_export_carries_its_persona_and_new_ids_make_a_copy() {
    let store = rich_history();
    let all = store.export_json(&ExportScope::All).unwrap();
    let lease = all
        .conversations
        .iter()
        .find(|c| c.title == "Lease review")
        .unwrap();
    let doc = store
        .export_json(&ExportScope::Conversation(lease.id.clone()))
        .unwrap();
    assert_eq!(doc.conversations.len(), 1);
    assert_eq!(doc.personas.len(), 1);
    assert_eq!(doc.personas[0].name, "Lawyer");
    // A conversation's export is that conversation, not the user's workflows.
    assert!(doc.workflows.is_empty() && doc.prompts.is_empty() && doc.workflow_runs.is_empty());
    assert!(!doc.to_json().unwrap().contains("workflow"));
    let text = doc.to_json().unwrap();

    // Same ids again: refused, nothing written.
    let before = count(&store);
    match store.import_json(text.as_bytes(), &ImportOptions::default()) {
        Err(StoreError::AlreadyExists { what, id }) => {
            assert_eq!(what, "conversation");
            assert_eq!(id, lease.id.as_str());
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(count(&store), before);

    // New ids: a full copy alongside, same tree, the persona shared.
    let options = ImportOptions {
        mode: ImportMode::NewIds,
        ..Default::default()
    };
    let report = store.import_json(text.as_bytes(), &options).unwrap();
    assert_eq!(report.personas_added, 0);
    let copy_id = &report.conversations[0];
    assert_ne!(copy_id, &lease.id);
    let copy = store
        .export_json(&ExportScope::Conversation(copy_id.clone()))
        .unwrap();
    let (original, copy) = (&doc.conversations[0], &copy.conversations[0]);
    assert_eq!(copy.title, original.title);
    assert_eq!(copy.persona_id, original.persona_id);
    assert_eq!(copy.messages.len(), original.messages.len());
    let contents = |c: &hearth_store::ExportedConversation| -> Vec<String> {
        store
            .active_branch(&c.id)
            .unwrap()
            .into_iter()
            .map(|m| m.content)
            .collect()
    };
    assert_eq!(contents(copy), contents(original));
    for (a, b) in original.messages.iter().zip(&copy.messages) {
        assert_ne!(a.id, b.id);
        assert_eq!(a.content, b.content);
        assert_eq!(a.parent_id.is_some(), b.parent_id.is_some());
    }
    store.check_integrity().unwrap();
}

#[test]
fn a_persona_whose_name_is_taken_is_imported_under_another_name() {
    let source = rich_history();
    let text = source
        .export_json(&ExportScope::All)
        .unwrap()
        .to_json()
        .unwrap();
    let target = Store::open_in_memory().unwrap();
    target
        .create_persona(NewPersona {
            name: "lawyer".into(),
            system_prompt: "Mine.".into(),
            settings: Value::Null,
        })
        .unwrap();
    target
        .import_json(text.as_bytes(), &ImportOptions::default())
        .unwrap();
    let names: Vec<String> = target
        .personas()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Editor", "lawyer", "Lawyer (imported)"]);
}

/// A small valid export to break in various ways.
fn base_doc() -> Value {
    json!({
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": 1_714_572_180_000i64,
        "personas": [],
        "conversations": [
            conversation("c1", &[("m1", None), ("m2", Some("m1"))]),
            conversation("c2", &[("m3", None)]),
        ]
    })
}

fn conversation(id: &str, messages: &[(&str, Option<&str>)]) -> Value {
    let messages: Vec<Value> = messages
        .iter()
        .map(|(id, parent)| {
            json!({
                "id": id, "parent_id": parent, "role": "user", "kind": "message",
                "content": format!("text of {id}"), "state": "done", "error": null,
                "model": null, "token_count": null,
                "created_at": 1_714_572_180_000i64, "updated_at": 1_714_572_180_000i64
            })
        })
        .collect();
    json!({
        "id": id, "title": format!("title {id}"), "title_source": "user", "model": null,
        "system_prompt": null, "persona_id": null, "settings": {}, "pinned": false,
        "archived": false, "created_at": 1_714_572_180_000i64,
        "updated_at": 1_714_572_180_000i64, "active_leaf_id": null, "tags": [],
        "messages": messages
    })
}

fn assert_refused(store: &Store, bytes: &[u8], options: &ImportOptions, expect_in_reason: &str) {
    let before = store.export_json(&ExportScope::All).unwrap();
    match store.import_json(bytes, options) {
        Err(StoreError::InvalidImport { reason }) => assert!(
            reason.contains(expect_in_reason),
            "reason {reason:?} does not mention {expect_in_reason:?}"
        ),
        Err(StoreError::AlreadyExists { id, .. }) => assert!(id.contains(expect_in_reason)),
        other => panic!("expected a refusal mentioning {expect_in_reason:?}, got {other:?}"),
    }
    let mut after = store.export_json(&ExportScope::All).unwrap();
    after.exported_at = before.exported_at;
    assert_eq!(after, before, "a refused import wrote something");
}

#[test]
fn hostile_import_files_are_refused_and_write_nothing() {
    let store = rich_history();
    let options = ImportOptions::default();
    // The base document itself is fine (into another store).
    import(&Store::open_in_memory().unwrap(), &base_doc()).unwrap();

    let refused = |doc: Value, expect_in_reason: &str| {
        assert_refused(
            &store,
            doc.to_string().as_bytes(),
            &options,
            expect_in_reason,
        )
    };
    let with = |pointer: &str, value: Value| {
        let mut doc = base_doc();
        *doc.pointer_mut(pointer).unwrap() = value;
        doc
    };

    assert_refused(&store, b"{not json", &options, "not a Hearth export");
    assert_refused(&store, b"", &options, "not a Hearth export");
    assert_refused(&store, b"[1, 2]", &options, "not a Hearth export");
    refused(with("/format", json!("something-else")), "format");
    refused(with("/version", json!(EXPORT_VERSION + 1)), "newer Hearth");
    refused(with("/version", json!(0)), "unknown format version");
    refused(
        with("/conversations/0/messages/0/role", json!("robot")),
        "robot",
    );
    refused(
        with("/conversations/0/messages/0/state", json!("paused")),
        "paused",
    );
    refused(
        with("/conversations/0/messages/0/kind", json!("poem")),
        "poem",
    );
    refused(
        with("/conversations/0/title_source", json!("magic")),
        "magic",
    );
    refused(
        with("/conversations/0/messages/1/parent_id", json!("m9")),
        "not in the file",
    );
    refused(
        with("/conversations/0/messages/0/parent_id", json!("m2")),
        "loop",
    );
    refused(
        with("/conversations/0/messages/0/parent_id", json!("m1")),
        "loop",
    );
    refused(
        with("/conversations/0/messages/1/parent_id", json!("m3")),
        "another conversation",
    );
    refused(
        with("/conversations/0/active_leaf_id", json!("m3")),
        "not one of its messages",
    );
    refused(
        with("/conversations/1/messages/0/id", json!("m1")),
        "appears twice",
    );
    refused(with("/conversations/1/id", json!("c1")), "appears twice");
    refused(
        with("/conversations/0/id", json!("../../etc")),
        "not a valid id",
    );
    refused(
        with("/conversations/0/messages/0/id", json!("")),
        "not a valid id",
    );
    refused(with("/conversations/0/settings", json!([1])), "settings");
    refused(with("/conversations/0/tags", json!(["a", "a"])), "twice");
    refused(with("/conversations/0/tags", json!(["  "])), "tag");
    refused(
        with("/conversations/0/created_at", json!(-5)),
        "impossible time",
    );
    refused(
        with("/conversations/0/messages/0/token_count", json!(-1)),
        "token_count",
    );
    refused(
        with("/conversations/0/persona_id", json!("ghost")),
        "persona",
    );
    refused(
        with("/conversations/0/messages/0/content", json!(7)),
        "content",
    );
    let mut unknown_field = base_doc();
    unknown_field["conversations"][0]["messages"][0]["surprise"] = json!(1);
    refused(unknown_field, "surprise");
    refused(
        with(
            "/conversations/0/title",
            json!("t".repeat(hearth_store::MAX_TITLE_BYTES + 1)),
        ),
        "title",
    );

    // Ids already in the history: the whole file is refused, even the parts before it.
    let existing = store.export_json(&ExportScope::All).unwrap();
    let taken = existing.conversations[0].messages[0].id.to_string();
    refused(with("/conversations/1/messages/0/id", json!(taken)), &taken);

    // Not UTF-8.
    let mut bytes = base_doc().to_string().into_bytes();
    let at = bytes.windows(9).position(|w| w == b"text of m").unwrap();
    bytes[at] = 0xff;
    assert_refused(&store, &bytes, &options, "not UTF-8");

    // Too large, before parsing: a small limit stands for the default one.
    let small = ImportOptions {
        max_bytes: 100,
        ..Default::default()
    };
    assert_refused(
        &store,
        base_doc().to_string().as_bytes(),
        &small,
        "larger than",
    );
    let endless = std::io::repeat(b' ');
    match store.import_json_reader(endless, &small) {
        Err(StoreError::InvalidImport { reason }) => assert!(reason.contains("larger than")),
        other => panic!("expected a size refusal, got {other:?}"),
    }

    // Absurd nesting: refused by the parser's depth limit, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let nested = base_doc().to_string().replacen(
        "\"settings\":{}",
        &format!("\"settings\":{{\"x\":{deep}}}"),
        1,
    );
    assert!(nested.len() > 200_000);
    assert_refused(&store, nested.as_bytes(), &options, "recursion limit");

    store.check_integrity().unwrap();
}

#[test]
fn a_file_from_an_older_hearth_field_set_is_rejected_by_name() {
    // Missing required fields name the field, so a person can see what is wrong.
    let mut doc = base_doc();
    doc["conversations"][0]
        .as_object_mut()
        .unwrap()
        .remove("title");
    let store = Store::open_in_memory().unwrap();
    assert_refused(
        &store,
        doc.to_string().as_bytes(),
        &ImportOptions::default(),
        "title",
    );
}

/// A fixed document (ids and times chosen by hand) so the Markdown is stable.
const FIXED: &str = r#"{
  "format": "hearth-history",
  "version": 1,
  "exported_at": 1714572180000,
  "personas": [
    {"id": "p1", "name": "Lawyer", "system_prompt": "You review contracts.",
     "settings": {}, "created_at": 1714572000000, "updated_at": 1714572000000}
  ],
  "conversations": [{
    "id": "c1", "title": "Lease review", "title_source": "user", "model": "qwen2.5",
    "system_prompt": "You review contracts.\nBe brief.", "persona_id": "p1",
    "settings": {"temperature": 0.7}, "pinned": true, "archived": false,
    "created_at": 1714572180000, "updated_at": 1714575780000, "active_leaf_id": "m4",
    "tags": ["legal", "work"],
    "messages": [
      {"id": "m0", "parent_id": null, "role": "system", "kind": "summary",
       "content": "Earlier: deposits.", "state": "done", "error": null, "model": null,
       "token_count": null, "created_at": 1714572180000, "updated_at": 1714572180000},
      {"id": "m1", "parent_id": "m0", "role": "user", "kind": "message",
       "content": "Is **clause 4** fair?", "state": "done", "error": null, "model": null,
       "token_count": 6, "created_at": 1714572240000, "updated_at": 1714572240000},
      {"id": "m2", "parent_id": "m1", "role": "assistant", "kind": "message",
       "content": "An older answer.", "state": "done", "error": null, "model": "qwen2.5",
       "token_count": 4, "created_at": 1714572300000, "updated_at": 1714572300000},
      {"id": "m3", "parent_id": "m1", "role": "assistant", "kind": "message",
       "content": "Mostly:\n\n- the deposit is capped\n- notice is 30 days\n", "state": "stopped",
       "error": null, "model": "qwen2.5", "token_count": 14,
       "created_at": 1714572360000, "updated_at": 1714572400000},
      {"id": "m4", "parent_id": "m3", "role": "user", "kind": "message",
       "content": "And clause 5?", "state": "done", "error": null, "model": null,
       "token_count": null, "created_at": 1714575780000, "updated_at": 1714575780000}
    ]
  }]
}"#;

#[test]
fn markdown_shows_the_active_branch_and_says_what_it_leaves_out() {
    let store = Store::open_in_memory().unwrap();
    let report = store
        .import_json(FIXED.as_bytes(), &ImportOptions::default())
        .unwrap();
    let markdown = store
        .export_markdown(&ExportScope::Conversation(report.conversations[0].clone()))
        .unwrap();
    expect![[r##"
        # Lease review

        - Created: 2024-05-01 14:03 UTC
        - Updated: 2024-05-01 15:03 UTC
        - Model: qwen2.5
        - Persona: Lawyer
        - Tags: legal, work
        - Settings: `{"temperature":0.7}`
        - Pinned
        - Conversation id: c1

        > This file shows the branch that was open in Hearth. 1 message on another branch (an earlier version of an edited question or a regenerated answer) is not included; export as JSON to keep every branch.

        ## System prompt

        You review contracts.
        Be brief.

        ## Summary of earlier messages

        *2024-05-01 14:03 UTC*

        Earlier: deposits.

        ## User

        *2024-05-01 14:04 UTC*

        Is **clause 4** fair?

        ## Assistant (qwen2.5)

        *2024-05-01 14:06 UTC*

        Mostly:

        - the deposit is capped
        - notice is 30 days

        > Stopped before the end.

        ## User

        *2024-05-01 15:03 UTC*

        And clause 5?

    "##]].assert_eq(&markdown);

    // Switching branch changes what the file shows.
    store.switch_branch(&"c1".into(), &"m2".into()).unwrap();
    let markdown = store.export_markdown(&ExportScope::All).unwrap();
    assert!(markdown.contains("An older answer."));
    assert!(!markdown.contains("And clause 5?"));
    assert!(markdown.contains("2 messages on other branches"));
}

#[test]
fn markdown_of_everything_separates_conversations() {
    let store = rich_history();
    let markdown = store.export_markdown(&ExportScope::All).unwrap();
    assert_eq!(markdown.matches("\n---\n").count(), 2);
    assert!(markdown.contains("# Lease review"));
    assert!(markdown.contains("# Untitled conversation"));
    assert!(markdown.contains("# Привет 世界"));
    assert!(markdown.contains("## Assistant (smollm2)\n"));
    assert!(markdown.contains("- Archived"));
    assert!(markdown.contains("- Persona: Lawyer"));
}

#[test]
fn settings_changes_survive_the_round_trip() {
    let store = Store::open_in_memory().unwrap();
    let c = store
        .create_conversation(NewConversation::default())
        .unwrap();
    store
        .update_settings(
            &c.id,
            &ConversationSettings {
                model: Some("gemma".into()),
                system_prompt: None,
                persona_id: None,
                settings: json!({"nested": {"a": [1, 2.5, null, "x"]}, "seed": 42}),
            },
        )
        .unwrap();
    let doc: ExportDocument = store.export_json(&ExportScope::All).unwrap();
    let target = Store::open_in_memory().unwrap();
    target
        .import_json(doc.to_json().unwrap().as_bytes(), &ImportOptions::default())
        .unwrap();
    assert_eq!(
        target.conversation(&c.id).unwrap(),
        store.conversation(&c.id).unwrap()
    );
}

#[test]
fn context_summaries_travel_with_their_conversation() {
    let source = rich_history();
    let doc = source.export_json(&ExportScope::All).unwrap();
    let with_summary: Vec<_> = doc
        .conversations
        .iter()
        .filter(|c| !c.context_summaries.is_empty())
        .collect();
    assert_eq!(with_summary.len(), 1);
    let exported = &with_summary[0].context_summaries[0];
    assert_eq!(
        exported.content,
        "The tenant asked about deposits and clause 4."
    );

    // New ids: the copy's summary points at the copy's own message.
    let target = Store::open_in_memory().unwrap();
    let options = ImportOptions {
        mode: hearth_store::ImportMode::NewIds,
        ..ImportOptions::default()
    };
    let report = target
        .import_json(doc.to_json().unwrap().as_bytes(), &options)
        .unwrap();
    let copies: Vec<_> = report
        .conversations
        .iter()
        .map(|id| target.context_summaries(id).unwrap())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(copies.len(), 1);
    let copy = &copies[0][0];
    assert_eq!(copy.content, exported.content);
    assert_ne!(copy.through_message_id, exported.through_message_id);
    let copied_message = target.message(&copy.through_message_id).unwrap();
    assert_eq!(copied_message.content, "Is clause 4 fair?");
}

#[test]
fn version_1_files_without_summaries_still_import_and_bad_summaries_are_refused() {
    let store = Store::open_in_memory().unwrap();
    let mut v1 = base_doc();
    v1["version"] = json!(1);
    import(&store, &v1).unwrap();

    let store = Store::open_in_memory().unwrap();
    let mut doc = base_doc();
    doc["conversations"][0]["context_summaries"] = json!([{
        "id": "s1", "through_message_id": "m3", "content": "x", "model": null,
        "created_at": 1_714_572_180_000i64
    }]);
    assert_refused(
        &store,
        doc.to_string().as_bytes(),
        &ImportOptions::default(),
        "not one of conversation c1's messages",
    );
}

/// An answer's sources (from a conversation attached to a document collection) are part
/// of its record: exported, imported exactly and with new ids; a malformed list is
/// refused.
#[test]
fn answer_sources_travel_with_their_answer() {
    let source = Store::open_in_memory().unwrap();
    let c = source
        .create_conversation(NewConversation::default())
        .unwrap();
    let q = source
        .add_message(&c.id, NewMessage::user(None, "How hot is the oven?"))
        .unwrap();
    let a = source
        .add_message(
            &c.id,
            NewMessage::assistant_streaming(Some(q.id.clone()), None),
        )
        .unwrap();
    source
        .finish_message(
            &a.id,
            &MessageFinish {
                content: "230 degrees [1].".into(),
                state: MessageState::Done,
                error: None,
                token_count: None,
                reasoning: None,
                reasoning_ms: None,
            },
        )
        .unwrap();
    let sources =
        json!([{"number": 1, "label": "bread.md · Baking", "text": "Bake at 230 degrees."}]);
    source.set_message_sources(&a.id, &sources).unwrap();
    let doc = source.export_json(&ExportScope::All).unwrap();
    let text = doc.to_json().unwrap();
    assert!(text.contains("bread.md · Baking"));

    let same = Store::open_in_memory().unwrap();
    same.import_json(text.as_bytes(), &ImportOptions::default())
        .unwrap();
    assert_eq!(
        same.message_sources(&c.id).unwrap(),
        [(a.id.clone(), sources.clone())]
    );
    assert_eq!(
        same.export_json(&ExportScope::All).unwrap().conversations,
        doc.conversations
    );

    let copy = Store::open_in_memory().unwrap();
    let options = ImportOptions {
        mode: ImportMode::NewIds,
        ..ImportOptions::default()
    };
    let report = copy.import_json(text.as_bytes(), &options).unwrap();
    let copied = copy.message_sources(&report.conversations[0]).unwrap();
    assert_eq!(copied.len(), 1);
    assert_ne!(copied[0].0, a.id);
    assert_eq!(copied[0].1, sources);

    let bad = text.replace(r#""sources": ["#, r#""sources": {"not": "a list"}, "x": ["#);
    let fresh = Store::open_in_memory().unwrap();
    assert!(fresh
        .import_json(bad.as_bytes(), &ImportOptions::default())
        .is_err());
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["conversations"][0]["messages"][1]["sources"] = json!("not a list");
    match fresh.import_json(value.to_string().as_bytes(), &ImportOptions::default()) {
        Err(StoreError::InvalidImport { reason }) => {
            assert!(reason.contains("sources"), "{reason}")
        }
        other => panic!("expected InvalidImport, got {other:?}"),
    }
    assert!(fresh
        .list_conversations(&Default::default())
        .unwrap()
        .is_empty());
}

#[test]
fn saved_workflows_and_prompts_never_overwrite_and_runs_keep_their_ids() {
    let source = rich_history();
    let mut doc = source.export_json(&ExportScope::All).unwrap();
    doc.conversations.clear();
    doc.personas.clear();
    doc.workflow_runs[0].state = RunState::Running;
    doc.workflow_runs[0].finished_at = None;
    let text = doc.to_json().unwrap();

    let target = Store::open_in_memory().unwrap();
    // The same workflow under another case: identical, so not added twice.
    let triage = doc.workflows[0].definition.clone();
    target
        .save_definition(SavedKind::Workflow, "triage", &triage)
        .unwrap();
    // A different prompt under the same name: the user's stays, the file's is renamed.
    target
        .save_definition(
            SavedKind::Prompt,
            "Thank-you note",
            &json!({"name": "Thank-you note", "body": "Mine."}),
        )
        .unwrap();
    let report = target
        .import_json(text.as_bytes(), &ImportOptions::default())
        .unwrap();
    assert_eq!(
        (
            report.workflows_added,
            report.prompts_added,
            report.workflow_runs_added
        ),
        (0, 1, 1)
    );
    assert_eq!(target.definitions(SavedKind::Workflow).unwrap().len(), 1);
    let prompts = target.definitions(SavedKind::Prompt).unwrap();
    let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Thank-you note", "Thank-you note (imported)"]);
    assert_eq!(prompts[0].definition["body"], "Mine.");
    assert_eq!(prompts[1].definition["name"], "Thank-you note (imported)");
    assert_eq!(
        prompts[1].definition["body"],
        "Thank {{name}} for {{gift}}."
    );
    // A run still going when it was exported cannot be going here.
    let run = target.workflow_run(&doc.workflow_runs[0].id).unwrap();
    assert_eq!(run.state, RunState::Interrupted);
    assert!(run.finished_at.is_some());
    assert_eq!(run.results, doc.workflow_runs[0].results);

    // Again: the run is already here, refused, nothing written (the renamed prompt is
    // not added a second time either).
    assert_refused(&target, text.as_bytes(), &ImportOptions::default(), &run.id);
    let copy = ImportOptions {
        mode: ImportMode::NewIds,
        ..Default::default()
    };
    let report = target.import_json(text.as_bytes(), &copy).unwrap();
    assert_eq!(
        (
            report.workflows_added,
            report.prompts_added,
            report.workflow_runs_added
        ),
        (0, 1, 1),
        "the second renamed prompt is a new variant; the run is a copy"
    );
    assert_eq!(target.workflow_runs(10).unwrap().len(), 2);
}

#[test]
fn hostile_saved_definitions_and_runs_are_refused_and_write_nothing() {
    let store = rich_history();
    let options = ImportOptions::default();
    let with = |key: &str, value: Value| {
        let mut doc = base_doc();
        doc["conversations"] = json!([]);
        doc[key] = value;
        doc.to_string().into_bytes()
    };
    let saved = |name: &str, definition: Value| json!({"name": name, "definition": definition, "created_at": 1, "updated_at": 1});
    assert_refused(
        &store,
        &with("workflows", json!([saved("w", json!([1, 2]))])),
        &options,
        "not a JSON object",
    );
    assert_refused(
        &store,
        &with(
            "prompts",
            json!([saved("P", json!({})), saved("p", json!({}))]),
        ),
        &options,
        "two saved prompts are named",
    );
    assert_refused(
        &store,
        &with("prompts", json!([saved("line\nbreak", json!({}))])),
        &options,
        "prompts[0]",
    );
    let run = |id: &str, state: &str| {
        json!({"id": id, "workflow": "w", "definition": {}, "input": "x", "state": state,
               "results": [], "error": null, "started_at": 1, "finished_at": null})
    };
    assert_refused(
        &store,
        &with("workflow_runs", json!([run("../etc", "done")])),
        &options,
        "not a valid id",
    );
    assert_refused(
        &store,
        &with("workflow_runs", json!([run("r1", "exploded")])),
        &options,
        "workflow_runs[0].state",
    );
    assert_refused(
        &store,
        &with(
            "workflow_runs",
            json!([run("r1", "done"), run("r1", "done")]),
        ),
        &options,
        "appears twice",
    );
}

/// A reasoning model's thinking and how long it took are part of its answer: exported
/// (JSON fields, a folded Markdown section), imported exactly and into a copy, searchable
/// in the imported history only when asked; a version 3 backup (from before thinking was
/// kept) still imports, and thinking over the size limit is refused.
#[test]
fn reasoning_travels_with_its_answer() {
    let source = Store::open_in_memory().unwrap();
    let (c, a) = answer_streaming(&source, "Strawberries", "How many r's?", "qwen3");
    source
        .checkpoint_answer(&a.id, "", Some("Spelling it out"), MessageState::Streaming)
        .unwrap();
    source
        .finish_message(
            &a.id,
            &MessageFinish {
                content: "Three.".into(),
                state: MessageState::Done,
                error: None,
                token_count: Some(40),
                reasoning: Some("Spelling it out: s-t-r-a-w-b-e-r-r-y.".into()),
                reasoning_ms: Some(4_200),
            },
        )
        .unwrap();
    let (doc, text, value, markdown) = exported(&source, &c.id);
    let answer = &value["conversations"][0]["messages"][1];
    assert_eq!(answer["reasoning"], "Spelling it out: s-t-r-a-w-b-e-r-r-y.");
    assert_eq!(answer["reasoning_ms"], 4200);
    // Messages without thinking carry no empty fields.
    assert!(value["conversations"][0]["messages"][0]
        .get("reasoning")
        .is_none());

    assert!(
        markdown.contains(
            "<details>\n<summary>Thinking (4 s)</summary>\n\nSpelling it out: s-t-r-a-w-b-e-r-r-y.\n\n</details>\n\nThree.\n"
        ),
        "{markdown}"
    );

    let target = Store::open_in_memory().unwrap();
    target
        .import_json(text.as_bytes(), &ImportOptions::default())
        .unwrap();
    let mut back = target.export_json(&ExportScope::All).unwrap();
    back.exported_at = doc.exported_at;
    assert_eq!(back, doc);
    let copy = target
        .import_json(
            text.as_bytes(),
            &ImportOptions {
                mode: ImportMode::NewIds,
                ..ImportOptions::default()
            },
        )
        .unwrap();
    let copied = target.active_branch(&copy.conversations[0]).unwrap();
    assert_eq!(
        (copied[1].reasoning.as_deref(), copied[1].reasoning_ms),
        (Some("Spelling it out: s-t-r-a-w-b-e-r-r-y."), Some(4_200))
    );
    let spelled = |thinking| {
        target
            .search(&hearth_store::SearchQuery {
                thinking,
                ..hearth_store::SearchQuery::text("spelling")
            })
            .unwrap()
            .len()
    };
    assert_eq!((spelled(false), spelled(true)), (0, 2));
    target.check_integrity().unwrap();

    // A backup from before thinking was kept.
    let store = Store::open_in_memory().unwrap();
    let mut v3 = base_doc();
    v3["version"] = json!(3);
    import(&store, &v3).unwrap();
    let messages = store.messages(&"c1".into()).unwrap();
    assert!(messages.iter().all(|m| m.reasoning.is_none()));

    // Thinking larger than any message may be is refused, and nothing is written.
    let store = Store::open_in_memory().unwrap();
    let mut doc = base_doc();
    doc["conversations"][0]["messages"][0]["reasoning"] = json!("x".repeat(17 * 1024 * 1024));
    assert_refused(
        &store,
        doc.to_string().as_bytes(),
        &ImportOptions::default(),
        "thinking",
    );
}

/// The tool calls an answer made (arguments, the user's decision, the result) are part of
/// it: stored while the answer streams, exported in JSON and as folded Markdown, and
/// imported exactly.
#[test]
fn tool_calls_travel_with_their_answer() {
    use hearth_store::{ToolApproval, ToolCallRecord, ToolCallStatus};
    let source = Store::open_in_memory().unwrap();
    let (c, a) = answer_streaming(&source, "Notes", "What do my notes say?", "qwen");
    let call = ToolCallRecord {
        id: "call_0".into(),
        round: 0,
        name: "files__read_text_file".into(),
        server: "files".into(),
        tool: "read_text_file".into(),
        arguments: json!({"path": "/home/me/notes.txt"}),
        status: ToolCallStatus::Done,
        approval: Some(ToolApproval::Once),
        result: Some("Feed the cat at seven.".into()),
        is_error: false,
        preamble: None,
    };
    source
        .set_tool_calls(&a.id, std::slice::from_ref(&call))
        .unwrap();
    source
        .finish_message(
            &a.id,
            &MessageFinish {
                content: "They say to feed the cat at seven.".into(),
                state: MessageState::Done,
                error: None,
                token_count: Some(20),
                reasoning: None,
                reasoning_ms: None,
            },
        )
        .unwrap();
    assert_eq!(
        source.message(&a.id).unwrap().tool_calls,
        Some(vec![call.clone()])
    );
    // A finished answer's calls are not rewritten.
    assert!(source.set_tool_calls(&a.id, &[]).is_err());

    let (doc, text, value, markdown) = exported(&source, &c.id);
    let exported = &value["conversations"][0]["messages"][1]["tool_calls"][0];
    assert_eq!(exported["status"], "done");
    assert_eq!(exported["approval"], "once");
    assert_eq!(exported["arguments"]["path"], "/home/me/notes.txt");
    assert!(value["conversations"][0]["messages"][0]
        .get("tool_calls")
        .is_none());

    assert!(
        markdown.contains("<summary>Tool call: files · read_text_file (done)</summary>"),
        "{markdown}"
    );
    assert!(markdown.contains("Feed the cat at seven."), "{markdown}");

    assert_imports_exactly(&doc, &text);
}

/// A titled conversation with a question and an answer still streaming from `model`.
/// Everything exported as JSON (the document, its text and parsed value), and
/// `conversation` as Markdown.
fn exported(
    source: &Store,
    conversation: &ConversationId,
) -> (ExportDocument, String, Value, String) {
    let doc = source.export_json(&ExportScope::All).unwrap();
    let text = doc.to_json().unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    let markdown = source
        .export_markdown(&ExportScope::Conversation(conversation.clone()))
        .unwrap();
    (doc, text, value, markdown)
}

fn answer_streaming(
    store: &Store,
    title: &str,
    question: &str,
    model: &str,
) -> (hearth_store::Conversation, hearth_store::Message) {
    let c = store
        .create_conversation(NewConversation {
            title: Some(title.into()),
            ..Default::default()
        })
        .unwrap();
    let q = store
        .add_message(&c.id, NewMessage::user(None, question))
        .unwrap();
    let a = store
        .add_message(
            &c.id,
            NewMessage::assistant_streaming(Some(q.id.clone()), Some(model.into())),
        )
        .unwrap();
    (c, a)
}

/// `text` (the JSON of `doc`) imported into an empty history exports as `doc` again.
fn assert_imports_exactly(doc: &ExportDocument, text: &str) {
    let target = Store::open_in_memory().unwrap();
    target
        .import_json(text.as_bytes(), &ImportOptions::default())
        .unwrap();
    let mut back = target.export_json(&ExportScope::All).unwrap();
    back.exported_at = doc.exported_at;
    assert_eq!(&back, doc);
}
