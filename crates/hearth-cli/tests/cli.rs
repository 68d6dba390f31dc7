//! End-to-end tests of the `hearth` binary on the real default model.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;

use support::{describe, hearth, text};

fn model() -> String {
    support::models::smollm2().display().to_string()
}

#[test]
fn help_lists_the_commands() {
    let home = tempfile::tempdir().unwrap();
    let output = hearth(home.path()).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = text(&output.stdout);
    for word in ["run", "chat", "bench", "HEARTH_HOME", "Exit codes"] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
    assert!(
        !help.contains("worker"),
        "the internal worker command should be hidden"
    );
}

/// Output piped into a reader that stopped reading (`hearth … | head`) ends the command
/// quietly with SIGPIPE's shell status, not a panic and a backtrace.
#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let home = tempfile::tempdir().unwrap();
    // The reading end is closed before Hearth starts, so its first print meets EPIPE.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = hearth(home.path())
        .args(["--json", "history", "list"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
        .wait_with_output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(141), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

// SmolLM2's own template puts in a system prompt of its own when a chat has none ("You
// are a helpful AI assistant named SmolLM…", as transformers and llama-server render
// it), and with that one the 135M model derails on facts; the fact checks here give a
// plain system prompt, as a user's persona would.
const HELPFUL: &str = "You are a helpful assistant.";

#[test]
fn run_streams_an_answer_to_stdout() {
    let home = tempfile::tempdir().unwrap();
    let output = hearth(home.path())
        .args([
            "run",
            "--model",
            &model(),
            "--temperature",
            "0",
            "-n",
            "24",
            "--system",
            HELPFUL,
            "What is the capital of France?",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        text(&output.stdout).contains("Paris"),
        "{}",
        describe(&output)
    );
}

#[test]
fn run_reads_the_prompt_from_stdin() {
    let home = tempfile::tempdir().unwrap();
    let mut child = hearth(home.path())
        .args([
            "run",
            "--model",
            &model(),
            "--temperature",
            "0",
            "-n",
            "16",
            "--system",
            HELPFUL,
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"What is the capital of France?")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        text(&output.stdout).contains("Paris"),
        "{}",
        describe(&output)
    );
}

#[test]
fn json_output_is_one_parseable_object() {
    let home = tempfile::tempdir().unwrap();
    let output = hearth(home.path())
        .args([
            "--json",
            "run",
            "--model",
            &model(),
            "--temperature",
            "0",
            "-n",
            "5",
            "Say hello",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(value["completion_tokens"], 5);
    assert_eq!(value["stop_reason"]["reason"], "max_tokens");
    assert!(value["text"].as_str().is_some_and(|t| !t.is_empty()));
}

#[test]
fn schema_constrained_output_is_valid_json() {
    let home = tempfile::tempdir().unwrap();
    let schema = home.path().join("schema.json");
    std::fs::write(
        &schema,
        r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#,
    )
    .unwrap();
    let output = hearth(home.path())
        .args([
            "run",
            "--model",
            &model(),
            "--temperature",
            "0",
            "-n",
            "40",
            "--schema",
        ])
        .arg(&schema)
        .arg("Which city is the capital of France? Answer in JSON.")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let value: serde_json::Value =
        serde_json::from_str(text(&output.stdout).trim()).expect("answer is JSON");
    assert!(value["city"].is_string(), "{value}");
}

#[test]
fn the_configured_default_model_is_used() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/config.toml"),
        format!("default_model = {:?}\n", model()),
    )
    .unwrap();
    let run = |model: Option<&str>| {
        let mut command = hearth(home.path());
        command.args(["--json", "run", "--temperature", "0", "-n", "12"]);
        command.args(["--system", HELPFUL]);
        if let Some(model) = model {
            command.args(["--model", model]);
        }
        let output = command
            .arg("What is the capital of France?")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", describe(&output));
        let value: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("stdout is JSON");
        value
    };
    // Named nowhere on the command line, the configured model answers: the same words
    // as naming it, and the reply says which model wrote them.
    let configured = run(None);
    let named = run(Some(&model()));
    assert_eq!(configured["model_path"], model().as_str(), "{configured}");
    assert_eq!(configured["model"], named["model"]);
    assert_eq!(configured["text"], named["text"]);
    assert!(
        configured["text"]
            .as_str()
            .is_some_and(|t| t.contains("Paris")),
        "{configured}"
    );
}

#[test]
fn no_model_exits_3_with_advice() {
    let home = tempfile::tempdir().unwrap();
    let output = hearth(home.path()).args(["run", "Hi"]).output().unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    assert!(
        text(&output.stderr).contains("setup"),
        "{}",
        describe(&output)
    );

    let output = hearth(home.path())
        .args(["run", "--model", "/no/such/model.gguf", "Hi"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    assert!(
        text(&output.stderr).contains("/no/such/model.gguf"),
        "{}",
        describe(&output)
    );
}

#[test]
fn json_errors_have_a_code_and_message() {
    let home = tempfile::tempdir().unwrap();
    let output = hearth(home.path())
        .args(["--json", "run", "--model", "nonexistent-model", "Hi"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let value: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("JSON error on stdout");
    assert_eq!(value["error"]["code"], "UNKNOWN_MODEL");
    assert!(value["error"]["message"]
        .as_str()
        .unwrap()
        .contains("nonexistent-model"));
}

#[test]
fn a_corrupt_model_exits_4_naming_the_file() {
    let home = tempfile::tempdir().unwrap();
    let bad = home.path().join("half.gguf");
    let bytes = std::fs::read(support::models::smollm2()).unwrap();
    std::fs::write(&bad, &bytes[..4096]).unwrap();
    let output = hearth(home.path())
        .args(["run", "--model"])
        .arg(&bad)
        .arg("Hi")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("half.gguf") && stderr.contains("download it again"),
        "{stderr}"
    );
}

#[test]
fn an_empty_prompt_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let output = hearth(home.path())
        .args(["run", "--model", &model(), "  "])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("prompt is empty"));
}

#[test]
fn chat_over_piped_stdin_handles_commands_and_turns() {
    let home = tempfile::tempdir().unwrap();
    let mut child = hearth(home.path())
        .args([
            "chat",
            "--model",
            &model(),
            "--temperature",
            "0",
            "-n",
            "24",
            "--system",
            HELPFUL,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"/help\nWhat is the capital of France?\n/system You are terse.\n/system\n/bogus\n/clear\nSay hello.\n/exit\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let stderr = text(&output.stderr);
    for expected in [
        "Commands:",
        "system prompt set",
        "system prompt: You are terse.",
        "unknown command /bogus",
        "new conversation",
    ] {
        assert!(
            stderr.contains(expected),
            "stderr lacks {expected:?}:\n{stderr}"
        );
    }
    let stdout = text(&output.stdout);
    assert!(stdout.contains("Paris"), "{stdout}");
    assert!(
        stdout.lines().filter(|l| !l.trim().is_empty()).count() >= 2,
        "two answers expected:\n{stdout}"
    );
}

#[test]
fn ctrl_c_stops_the_answer_but_not_the_chat() {
    let home = tempfile::tempdir().unwrap();
    let mut child = hearth(home.path())
        .args([
            "chat",
            "--model",
            &model(),
            "--temperature",
            "0",
            "-n",
            "300",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdin
        .write_all(b"Write a very long essay about the history of Europe.\n")
        .unwrap();
    stdin.flush().unwrap();
    // Wait until the answer is streaming, then press Ctrl-C.
    let mut first = Vec::new();
    stdout.read_until(b' ', &mut first).unwrap();
    assert!(!first.is_empty());
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    stdin.write_all(b"Say hello.\n/exit\n").unwrap();
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "chat died on Ctrl-C: {status:?}\n{stderr}"
    );
    assert!(stderr.contains("(stopped)"), "{stderr}");
}
