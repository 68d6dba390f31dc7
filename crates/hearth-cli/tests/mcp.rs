//! `hearth mcp` against a real MCP server from npm (the protocol's reference test
//! server, installed by `scripts/fetch-mcp-servers.sh`): added from the command line,
//! its tools listed, a tool called, and the call in the audit log; and `hearth chat` on
//! a real model that calls one of its tools, allowed on the line after the question.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use support::{describe, hearth, text};

fn json_of(home: &Path, args: &[&str]) -> serde_json::Value {
    let output = hearth(home).arg("--json").args(args).output().unwrap();
    assert!(output.status.success(), "{args:?}: {}", describe(&output));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", text(&output.stdout)))
}

/// Runs `hearth ARGS`, which must fail with `words` in its error.
fn refused(home: &Path, args: &[&str], words: &str) {
    let output = hearth(home).args(args).output().unwrap();
    assert!(!output.status.success(), "{args:?}: {}", describe(&output));
    assert!(
        text(&output.stderr).contains(words),
        "{args:?}: {}",
        describe(&output)
    );
}

#[test]
fn a_server_is_added_its_tools_listed_and_a_call_audited() {
    let home = tempfile::tempdir().unwrap();
    let entry = support::mcp_servers::everything_entry();
    let entry = entry.to_str().unwrap();
    json_of(
        home.path(),
        &["mcp", "add", "everything", "--", "node", entry, "stdio"],
    );

    let listed = json_of(home.path(), &["mcp", "list"]);
    assert_eq!(listed[0]["name"], "everything", "{listed}");
    assert_eq!(listed[0]["enabled"], true, "{listed}");
    // The settings file keeps it, private like the rest.
    let config = std::fs::read_to_string(home.path().join("config/config.toml")).unwrap();
    assert!(config.contains("[[mcp_servers]]"), "{config}");

    let tools = json_of(home.path(), &["mcp", "tools"]);
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"everything__echo"), "{tools}");
    assert_eq!(tools["errors"].as_array().map(Vec::len), Some(0), "{tools}");

    // Turned off, its tools are gone and a call is refused with how to turn it on.
    json_of(home.path(), &["mcp", "off", "everything"]);
    assert_eq!(json_of(home.path(), &["mcp", "list"])[0]["enabled"], false);
    refused(
        home.path(),
        &["mcp", "call", "everything__echo", r#"{"message":"x"}"#],
        "turned off",
    );
    json_of(home.path(), &["mcp", "on", "everything"]);

    let called = json_of(
        home.path(),
        &[
            "mcp",
            "call",
            "everything__echo",
            r#"{"message":"hearth says hi"}"#,
        ],
    );
    assert_eq!(called["is_error"], false, "{called}");
    assert!(
        called["text"].as_str().unwrap().contains("hearth says hi"),
        "{called}"
    );

    // The call is in the audit log as a tool call, its text kept out of it.
    let audit = hearth(home.path())
        .args(["--json", "audit", "list", "--purpose", "tool_call"])
        .output()
        .unwrap();
    assert!(audit.status.success(), "{}", describe(&audit));
    let records = text(&audit.stdout);
    assert!(records.contains("mcp:everything"), "{records}");
    assert!(records.contains("\"echo\""), "{records}");
    assert!(!records.contains("hearth says hi"), "{records}");

    // A tool that does not exist is an error naming it, and removing the server works.
    refused(home.path(), &["mcp", "call", "everything__nope"], "nope");
    json_of(home.path(), &["mcp", "rm", "everything"]);
    assert_eq!(
        json_of(home.path(), &["mcp", "list"]),
        serde_json::json!([])
    );
}

#[test]
fn a_server_without_a_program_or_with_a_bad_name_is_refused() {
    let home = tempfile::tempdir().unwrap();
    refused(home.path(), &["mcp", "add", "empty"], "--");

    refused(
        home.path(),
        &["mcp", "add", "Bad__Name", "--", "node", "x.js"],
        "Bad__Name",
    );
    // Nothing was saved.
    let config = home.path().join("config/config.toml");
    let saved = std::fs::read_to_string(config).unwrap_or_default();
    assert!(!saved.contains("mcp_servers"), "{saved}");
}

#[test]
fn offline_mode_refuses_a_server_on_the_network() {
    let home = tempfile::tempdir().unwrap();
    let offline = hearth(home.path())
        .args(["offline", "on"])
        .output()
        .unwrap();
    assert!(offline.status.success(), "{}", describe(&offline));
    json_of(
        home.path(),
        &["mcp", "add", "far", "--url", "https://mcp.example.com/mcp"],
    );
    refused(home.path(), &["mcp", "tools"], "offline");
}

#[test]
fn chat_asks_before_the_model_calls_a_tool_and_keeps_the_call() {
    let home = tempfile::tempdir().unwrap();
    let entry = support::mcp_servers::everything_entry();
    json_of(
        home.path(),
        &[
            "mcp",
            "add",
            "everything",
            "--",
            "node",
            entry.to_str().unwrap(),
            "stdio",
        ],
    );
    // Qwen2.5-Coder's template describes tools and it writes Hermes-style calls.
    let model = support::models::qwen_coder().display().to_string();
    let mut chat = hearth(home.path())
        .args(["chat", "--model", &model, "--temperature", "0", "-n", "96"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The question, then the decision on the line after it: once. Then the end of
    // input, which ends the chat (and refuses any further call: nothing answers it).
    let mut stdin = chat.stdin.take().unwrap();
    stdin
        .write_all(b"Use the echo tool to echo the message: hello hearth\no\n")
        .unwrap();
    drop(stdin);
    let output = chat.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("The model asks to call everything · echo with:"),
        "the model did not ask for the echo tool:\n{}",
        describe(&output)
    );
    assert!(
        stderr.contains("\"message\": \"hello hearth\""),
        "{}",
        describe(&output)
    );
    assert!(stderr.contains("Allow it? [o]nce"), "{}", describe(&output));
    assert!(
        stderr.contains("(everything · echo answered"),
        "{}",
        describe(&output)
    );

    // The history keeps the call: allowed once, done, with the tool's text.
    let list = json_of(home.path(), &["history", "list"]);
    let id = list[0]["id"].as_str().expect("a conversation").to_owned();
    let shown = json_of(home.path(), &["history", "show", &id]);
    let messages = shown["messages"].as_array().unwrap();
    let answer = messages
        .iter()
        .find(|m| m["role"] == "assistant")
        .unwrap_or_else(|| panic!("no answer in {shown}"));
    assert_eq!(answer["state"], "done", "{shown}");
    let call = &answer["tool_calls"][0];
    assert_eq!(call["name"], "everything__echo", "{shown}");
    assert_eq!(call["status"], "done", "{shown}");
    assert_eq!(call["approval"], "once", "{shown}");
    assert_eq!(call["arguments"]["message"], "hello hearth", "{shown}");
    assert!(
        call["result"]
            .as_str()
            .unwrap_or("")
            .contains("hello hearth"),
        "{shown}"
    );
    // And the audit log has the call, for this conversation.
    let audit = json_of(home.path(), &["audit", "list", "--purpose", "tool_call"]);
    let records = audit.as_array().expect("a list of records");
    assert_eq!(records.len(), 1, "{audit}");
    assert_eq!(records[0]["conversation_id"], id.as_str(), "{audit}");

    // And the model answered after the call.
    let stdout = text(&output.stdout);
    assert!(
        !stdout.trim().is_empty(),
        "the model wrote no answer after the call:\n{}\nstored: {shown}",
        describe(&output)
    );
}
