//! "Delete everything" leaves no user text on disk: a home used for real (a chat on the
//! default model, a document collection with its vectors, a workflow run, a saved
//! prompt, names to redact, a provider's key, a log line, saved conversation contexts)
//! holds a marker word in many places; after the deletion no byte sequence of it is
//! found in any file under the home, and Hearth works again at once.

use crate::common;
use crate::support;

use std::path::{Path, PathBuf};

use hearth_core::documents::Cancellation;
use hearth_core::prompts::PromptTemplate;
use hearth_core::workflows::{Workflow, WorkflowInput};
use hearth_core::Hearth;
use hearth_llm::{ApiKey, GenerationOptions};

const MARKER: &str = "quokkamarmalade";

fn open(root: &Path) -> Hearth {
    std::env::set_var("HEARTH_KEYRING", "off");
    let hearth = common::hearth_with_minilm(root, &support::minilm_dir());
    let chat = support::smollm2();
    hearth
        .update_config(|c| {
            c.default_model = Some(chat.to_string_lossy().into_owned());
            c.context_length = 2048;
            c.parallel = 1;
        })
        .unwrap();
    hearth
}

/// Every file under `root` (not following links: the models folder links to the
/// MiniLM folder, which is not Hearth's to delete) whose bytes contain the marker in
/// any case.
fn files_with_marker(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(root).follow_links(false) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap().to_ascii_lowercase();
        if bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()) {
            found.push(entry.into_path());
        }
    }
    found
}

fn greedy() -> GenerationOptions {
    GenerationOptions {
        max_tokens: Some(16),
        ..GenerationOptions::greedy()
    }
}

#[test]
fn deleting_everything_leaves_no_user_text_in_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let hearth = open(&home);

    // A conversation.
    let conversation = hearth.new_conversation(None, None).unwrap();
    hearth
        .send_message(
            &conversation.id,
            &format!("My dog is called {MARKER}. What is a good name for a cat?"),
            greedy(),
        )
        .unwrap()
        .stream(|_| {})
        .unwrap();
    // A document collection: passages, word index and vectors.
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(
        docs.join("pets.md"),
        format!("# Pets\n\nThe {MARKER} is a small marsupial that eats oranges every morning."),
    )
    .unwrap();
    hearth
        .add_to_collection(
            "pets",
            std::slice::from_ref(&docs),
            &mut |_| {},
            &Cancellation::new(),
        )
        .unwrap();
    // A workflow run, a saved prompt, names to redact, a provider's key, a log line.
    let workflow = Workflow::parse(
        "name = \"echo\"\n[[steps]]\ntask = \"prompt\"\ntemplate = \"Repeat: {{input}}\"\nmax_tokens = 8\n",
        false,
    )
    .unwrap();
    hearth
        .run_workflow(
            &workflow,
            &[WorkflowInput::Text {
                name: format!("{MARKER}.txt"),
                text: format!("{MARKER} {MARKER}"),
            }],
            &mut |_| {},
            &Cancellation::new(),
        )
        .unwrap();
    hearth
        .save_prompt(&PromptTemplate {
            name: "pet".into(),
            description: String::new(),
            body: format!("Write about {MARKER} and {{{{topic}}}}"),
            system: None,
        })
        .unwrap();
    hearth
        .update_config(|c| c.redaction.names.push(MARKER.to_uppercase()))
        .unwrap();
    hearth
        .save_provider(
            common::loopback_provider("cloud"),
            Some(ApiKey::new(format!("sk-{MARKER}"))),
        )
        .unwrap();
    let log = hearth.paths().logs.join("hearth.log.2026-11-29");
    std::fs::write(&log, format!("INFO a request about {MARKER}\n")).unwrap();
    // A logger that still holds its file open.
    let _held = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    // The model saves its conversation contexts when it stops.
    hearth.unload_models();
    assert!(hearth
        .paths()
        .contexts_dir()
        .read_dir()
        .is_ok_and(|mut d| d.next().is_some()));

    // The scan finds the marker before: in the history, the config and the log at least.
    let before = files_with_marker(&home);
    assert!(
        before
            .iter()
            .any(|p| p.ends_with("hearth.db") || p.to_string_lossy().contains("hearth.db-wal")),
        "{before:?}"
    );
    assert!(
        before.iter().any(|p| p.ends_with("config.toml")),
        "{before:?}"
    );
    assert!(before.contains(&log), "{before:?}");

    let deleted = hearth.delete_everything().unwrap();
    assert_eq!(deleted.history.conversations, 1);
    assert_eq!(deleted.history.collections, 1);
    assert_eq!(deleted.history.workflow_runs, 1);
    assert!(deleted.history.audit_records > 0);
    assert!(deleted.files >= 2, "{deleted:?}");
    assert_eq!(deleted.keys, 1);

    assert_eq!(files_with_marker(&home), Vec::<PathBuf>::new());
    let paths = hearth.paths();
    assert_eq!(std::fs::read_dir(&paths.cache).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(&paths.logs).unwrap().count(), 0);
    assert!(!paths.config.join("secrets.json").exists());
    assert!(!paths.data.join("secrets.key").exists());
    // Models stay: the chat model is still the default and answers.
    let after = hearth.new_conversation(None, None).unwrap();
    let answer = hearth
        .send_message(&after.id, "Say hello.", greedy())
        .unwrap()
        .stream(|_| {})
        .unwrap();
    assert!(!answer.content.is_empty());
    assert_eq!(
        hearth
            .store()
            .list_conversations(&Default::default())
            .unwrap()
            .len(),
        1
    );
    assert!(hearth.store().collections().unwrap().is_empty());
    assert_eq!(
        hearth
            .prompts()
            .unwrap()
            .iter()
            .filter(|p| !p.builtin)
            .count(),
        0
    );
    assert!(hearth.workflow_runs(10).unwrap().is_empty());
    assert!(hearth.config().redaction.names.is_empty());
    assert_eq!(
        hearth.providers().len(),
        1,
        "the provider's settings stay, without a key"
    );
}
