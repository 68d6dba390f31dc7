//! `hearth audit export` end to end on the real SmolLM2 model: every generation leaves
//! one JSON line with the model's name and the file's SHA-256, and none of the words.
//!
//! The model file is hashed in the background so no answer waits for it. `hearth run`
//! exits right after its answer, usually before the hash is ready, so its record may
//! have no `model_sha256`; a `hearth chat` session lives long enough, and its records
//! are filled in once the hash arrives. The test waits for that within a `chat`.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{describe, hearth, text};

/// The published SHA-256 of SmolLM2-135M-Instruct.Q4_1.gguf.
const SMOLLM2_SHA256: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";

fn export(home: &Path) -> Vec<serde_json::Value> {
    let output = hearth(home).args(["audit", "export"]).output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn generations_are_exported_as_json_lines_with_the_model_file_hash() {
    let home = tempfile::tempdir().unwrap();
    let model = support::models::smollm2();
    let model_arg = model.display().to_string();

    let output = hearth(home.path())
        .args([
            "run",
            "-m",
            &model_arg,
            "--temperature",
            "0",
            "-n",
            "4",
            "hi",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let records = export(home.path());
    assert_eq!(records.len(), 1, "{records:?}");
    let run = &records[0];
    assert_eq!(run["purpose"], "run");
    assert_eq!(run["provider"], "local");
    assert_eq!(run["parameters"]["max_tokens"], 4);
    assert_eq!(run["completion_tokens"], 4);
    assert!(run["prompt_tokens"].as_i64().unwrap() > 0);
    let model_name = run["model"].as_str().unwrap().to_owned();
    assert!(!model_name.is_empty());
    let answer = text(&output.stdout);
    let answer = answer.trim();
    let hex = |v: &serde_json::Value| {
        v.as_str()
            .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    assert!(
        hex(&run["prompt_sha256"]) && hex(&run["output_sha256"]),
        "{run}"
    );
    assert!(
        answer.len() < 8 || !records_text(&records).contains(answer),
        "the answer's text is in the log"
    );

    // A chat session outlives the background hash; its records get it.
    let mut chat = hearth(home.path())
        .args(["chat", "-m", &model_arg, "--temperature", "0", "-n", "8"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = chat.stdin.take().unwrap();
    stdin.write_all(b"Say hello to the auditor\n").unwrap();
    stdin.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let answer_record = loop {
        let records = export(home.path());
        let hashed = records
            .iter()
            .find(|r| r["purpose"] == "answer" && !r["model_sha256"].is_null())
            .cloned();
        if let Some(record) = hashed {
            break record;
        }
        assert!(
            Instant::now() < deadline,
            "no chat record with a model hash: {records:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    stdin.write_all(b"/exit\n").unwrap();
    drop(stdin);
    let output = chat.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));

    assert_eq!(answer_record["model_sha256"], SMOLLM2_SHA256);
    assert_eq!(answer_record["model"], model_name.as_str());
    assert!(answer_record["conversation_id"].is_string());
    let records = export(home.path());
    assert!(records.len() >= 2, "{records:?}");
    assert!(
        !records_text(&records).contains("auditor"),
        "the question's text is in the log"
    );
    for record in &records {
        let hash = &record["model_sha256"];
        assert!(hash.is_null() || *hash == SMOLLM2_SHA256, "{record}");
    }

    // --since and -o: nothing after the end of time, all of it into a file.
    let output = hearth(home.path())
        .args(["audit", "export", "--since", &i64::MAX.to_string()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    assert!(output.stdout.is_empty(), "{}", describe(&output));
    let file = home.path().join("audit.jsonl");
    let output = hearth(home.path())
        .args(["audit", "export", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written.lines().count(), records.len());
}

fn records_text(records: &[serde_json::Value]) -> String {
    records
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
