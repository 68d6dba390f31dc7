//! `hearth history` end to end: conversations made by `hearth chat` are listed, shown,
//! searched, exported, imported into another home, renamed and deleted.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use support::{describe, hearth, text};

fn with_default_model(home: &Path) {
    std::fs::create_dir_all(home.join("config")).unwrap();
    let model = support::models::smollm2().display().to_string();
    std::fs::write(
        home.join("config/config.toml"),
        format!("default_model = {model:?}\n"),
    )
    .unwrap();
}

fn chat(home: &Path, input: &str) {
    let mut child = hearth(home)
        .args(["chat", "--temperature", "0", "-n", "16"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
}

fn json(home: &Path, args: &[&str]) -> serde_json::Value {
    let output = hearth(home).arg("--json").args(args).output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&output.stdout)))
}

#[test]
fn chats_are_saved_searchable_exportable_and_importable() {
    let home = tempfile::tempdir().unwrap();
    with_default_model(home.path());
    chat(
        home.path(),
        "What is the capital of France?\n/title Geography café\n/exit\n",
    );

    let list = json(home.path(), &["history", "list"]);
    let conversations = list.as_array().unwrap();
    assert_eq!(conversations.len(), 1);
    assert_eq!(conversations[0]["title"], "Geography café");
    let id = conversations[0]["id"].as_str().unwrap().to_owned();

    let shown = json(home.path(), &["history", "show", &id]);
    let messages = shown["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["content"], "What is the capital of France?");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["state"], "done");
    let answer = messages[1]["content"].as_str().unwrap().to_owned();
    assert!(!answer.is_empty());

    // Prefix search, accents folded.
    let hits = json(home.path(), &["history", "search", "capit"]);
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .any(|h| h["snippet"].as_str().unwrap().contains("<mark>")),
        "{hits}"
    );

    // Continue the same conversation.
    chat(home.path(), "Say it again.\n/exit\n");
    assert_eq!(
        json(home.path(), &["history", "list"])
            .as_array()
            .unwrap()
            .len(),
        2,
        "a plain `chat` starts a new one"
    );
    let mut resumed = hearth(home.path())
        .args(["chat", "--continue", &id, "--temperature", "0", "-n", "8"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    resumed
        .stdin
        .take()
        .unwrap()
        .write_all(b"And Germany?\n")
        .unwrap();
    assert!(resumed.wait().unwrap().success());
    let shown = json(home.path(), &["history", "show", &id]);
    assert_eq!(shown["messages"].as_array().unwrap().len(), 4);

    // Markdown export reads well; JSON export round-trips into another home.
    let md = hearth(home.path())
        .args(["history", "export", &id])
        .output()
        .unwrap();
    let md = text(&md.stdout);
    assert!(
        md.starts_with("# Geography café") && md.contains("What is the capital of France?"),
        "{md}"
    );
    let export = home.path().join("all.json");
    let status = hearth(home.path())
        .args(["history", "export", "--format", "json", "-o"])
        .arg(&export)
        .status()
        .unwrap();
    assert!(status.success());
    let other = tempfile::tempdir().unwrap();
    let output = hearth(other.path())
        .args(["history", "import"])
        .arg(&export)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let reexport = other.path().join("again.json");
    assert!(hearth(other.path())
        .args(["history", "export", "--format", "json", "-o"])
        .arg(&reexport)
        .status()
        .unwrap()
        .success());
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&std::fs::read(&reexport).unwrap()).unwrap();
    assert_eq!(a["conversations"], b["conversations"]);

    // Rename and delete.
    assert!(hearth(home.path())
        .args(["history", "rename", &id, "Renamed"])
        .status()
        .unwrap()
        .success());
    assert_eq!(
        json(home.path(), &["history", "show", &id])["conversation"]["title"],
        "Renamed"
    );
    assert!(hearth(home.path())
        .args(["history", "rm", &id])
        .status()
        .unwrap()
        .success());
    let gone = hearth(home.path())
        .args(["history", "show", &id])
        .output()
        .unwrap();
    assert!(!gone.status.success());
    assert!(
        text(&gone.stderr).contains("not found"),
        "{}",
        describe(&gone)
    );
    let hits = json(home.path(), &["history", "search", "Germany"]);
    assert!(
        hits.as_array().unwrap().is_empty(),
        "deleted text is still found: {hits}"
    );
}

#[test]
fn a_malformed_import_is_refused_and_writes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let bad = home.path().join("bad.json");
    std::fs::write(
        &bad,
        br#"{"format": "hearth-history", "version": 1, "conversations": [{"id": 5}]}"#,
    )
    .unwrap();
    let output = hearth(home.path())
        .args(["history", "import"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("nothing was imported"),
        "{}",
        describe(&output)
    );
    assert!(json(home.path(), &["history", "list"])
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn personas_are_saved_and_start_a_chat_with_their_prompt() {
    let home = tempfile::tempdir().unwrap();
    with_default_model(home.path());
    let add = hearth(home.path())
        .args(["persona", "add", "Pirate", "You talk like a pirate."])
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", describe(&add));
    let duplicate = hearth(home.path())
        .args(["persona", "add", "pirate", "Again."])
        .output()
        .unwrap();
    assert!(
        !duplicate.status.success(),
        "names are unique regardless of case"
    );
    let list = json(home.path(), &["persona", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let persona_id = list[0]["id"].as_str().unwrap().to_owned();

    chat(home.path(), "/exit\n");
    let mut child = hearth(home.path())
        .args([
            "chat",
            "--persona",
            "pirate",
            "--temperature",
            "0",
            "-n",
            "8",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"Hello!\n").unwrap();
    assert!(child.wait().unwrap().success());
    let conversations = json(home.path(), &["history", "list"]);
    let with_persona = conversations
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["persona_id"] == persona_id.as_str());
    let with_persona = with_persona.expect("the chat records its persona");
    assert_eq!(with_persona["system_prompt"], "You talk like a pirate.");

    let missing = hearth(home.path())
        .args(["chat", "--persona", "ghost"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(
        text(&missing.stderr).contains("no persona named"),
        "{}",
        describe(&missing)
    );
    assert!(hearth(home.path())
        .args(["persona", "rm", "Pirate"])
        .status()
        .unwrap()
        .success());
    assert!(json(home.path(), &["persona", "list"])
        .as_array()
        .unwrap()
        .is_empty());
}
