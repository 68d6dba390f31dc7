//! `hearth providers` and `hearth offline` end to end, against a mock provider on
//! loopback: connect one with a key from the environment or stdin, answer with
//! `hearth run -m NAME:MODEL`, refuse in offline mode before connecting, disconnect.

mod support;

use std::io::Write;
use std::process::Stdio;

use hearth_llm::remote::mock::{MockProvider, Reply};
use support::{describe, hearth, text};

fn cli(home: &std::path::Path) -> std::process::Command {
    let mut command = hearth(home);
    // Never the keyring of the machine running the tests.
    command.env("HEARTH_KEYRING", "off");
    command
}

#[test]
fn a_provider_connected_from_the_command_line_answers_and_offline_mode_stops_it() {
    let home = tempfile::tempdir().unwrap();
    let mock = MockProvider::start(vec![
        Reply::openai_stream(&["Hi from", " the mock."]),
        Reply::openai_stream(&["Second key works."]),
    ]);
    let added = cli(home.path())
        .args([
            "providers",
            "add",
            "work",
            "--kind",
            "openai",
            "--url",
            &mock.base_url(),
        ])
        .args(["--model", "m1", "--key-env", "WORK_KEY"])
        .env("WORK_KEY", "sk-from-env")
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", describe(&added));
    assert!(
        text(&added.stdout).contains("sealed file"),
        "{}",
        describe(&added)
    );

    let listed = cli(home.path())
        .args(["providers", "list", "--json"])
        .output()
        .unwrap();
    let providers: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(providers[0]["name"], "work");
    assert_eq!(providers[0]["kind"], "openai");
    assert_eq!(providers[0]["key"], "sealed_file");
    assert!(!text(&listed.stdout).contains("sk-from-env"));

    let ran = cli(home.path())
        .args(["run", "-m", "work:m1", "Hello?"])
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", describe(&ran));
    assert_eq!(text(&ran.stdout).trim(), "Hi from the mock.");
    assert_eq!(
        mock.requests()[0].header("authorization"),
        Some("Bearer sk-from-env")
    );

    // A new key piped on stdin.
    let mut key = cli(home.path())
        .args(["providers", "key", "work"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    key.stdin
        .take()
        .unwrap()
        .write_all(b"sk-from-stdin\n")
        .unwrap();
    let key = key.wait_with_output().unwrap();
    assert!(key.status.success(), "{}", describe(&key));

    let offline = cli(home.path()).args(["offline", "on"]).output().unwrap();
    assert!(
        text(&offline.stdout).contains("never contacted"),
        "{}",
        describe(&offline)
    );
    let refused = cli(home.path())
        .args(["run", "-m", "work:m1", "Hello?"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let message = text(&refused.stderr);
    assert!(
        message.contains("offline mode") && message.contains("work was not contacted"),
        "{message}"
    );
    assert_eq!(mock.connections(), 1, "offline mode must not connect");

    cli(home.path()).args(["offline", "off"]).output().unwrap();
    let ran = cli(home.path())
        .args(["run", "-m", "work", "Again?"])
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", describe(&ran));
    assert_eq!(text(&ran.stdout).trim(), "Second key works.");
    assert_eq!(
        mock.requests()[1].header("authorization"),
        Some("Bearer sk-from-stdin")
    );

    // The audit log lists what left the machine, and only that with --remote.
    let audit = cli(home.path())
        .args(["audit", "list", "--remote"])
        .output()
        .unwrap();
    assert!(audit.status.success(), "{}", describe(&audit));
    let listed = text(&audit.stdout);
    assert_eq!(listed.lines().count(), 2, "only what was sent: {listed}");
    assert!(
        listed.contains("sent 6 bytes to work; nothing redacted"),
        "{listed}"
    );
    let all = cli(home.path())
        .args(["audit", "list", "--provider", "work"])
        .output()
        .unwrap();
    let all = text(&all.stdout);
    assert!(
        all.contains("nothing sent to work [failed: Hearth is in offline mode"),
        "the refused call sent nothing: {all}"
    );
    let bad = cli(home.path())
        .args(["audit", "list", "--purpose", "gossip"])
        .output()
        .unwrap();
    assert!(
        text(&bad.stderr).contains("unknown purpose"),
        "{}",
        describe(&bad)
    );

    let removed = cli(home.path())
        .args(["providers", "rm", "work"])
        .output()
        .unwrap();
    assert!(removed.status.success(), "{}", describe(&removed));
    let listed = cli(home.path())
        .args(["providers", "list"])
        .output()
        .unwrap();
    assert!(
        text(&listed.stderr).contains("No remote providers"),
        "{}",
        describe(&listed)
    );
}

#[test]
fn a_key_is_never_taken_empty() {
    let home = tempfile::tempdir().unwrap();
    let output = cli(home.path())
        .args(["providers", "add", "x", "--kind", "anthropic"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("no API key given"),
        "{}",
        describe(&output)
    );
    let bad = cli(home.path())
        .args(["providers", "add", "x", "--kind", "gemini", "--no-key"])
        .output()
        .unwrap();
    assert!(
        text(&bad.stderr).contains("use openai"),
        "{}",
        describe(&bad)
    );
}
