//! `hearth bench --task`: document work on passages of a real document, timed with and
//! without speculative decoding; its own test binary, so the other benchmark test does
//! not run beside it and disturb the step costs the engine measures to size its guesses.

mod support;

use support::{describe, hearth};

/// `hearth bench --task`: document work on passages of a real document (the Debian
/// Reference), Hearth with and without guessing ahead. Both evaluate every prompt in
/// full (the bench refuses otherwise), the guesses are made and held on text that is
/// copied, and the report counts how many answers are the same as without guessing.
#[test]
fn document_tasks_are_timed_with_and_without_guessing() {
    let home = tempfile::tempdir().unwrap();
    let document = support::test_doc("debian-reference/debian-reference.en.txt");
    let output = hearth(home.path())
        .args(["--json", "bench", "--model"])
        .arg(support::models::smollm2())
        .args(["--task", "rewrite", "--task", "extract", "--passages", "1"])
        .args(["--max-tokens", "96", "-t", "2", "--document"])
        .arg(&document)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "two tasks, two runners: {report}");
    let mut held = 0;
    for task in ["rewrite", "extract"] {
        let row = |runner: &str| {
            rows.iter()
                .find(|r| r["task"] == task && r["runner"] == runner)
                .unwrap_or_else(|| panic!("no {runner} row for {task}: {report}"))
        };
        let (plain, guessing) = (row("hearth, no guessing"), row("hearth"));
        assert_eq!(plain["answers"], 1);
        assert_eq!(plain["drafted"], 0, "{plain}");
        assert_eq!(plain["same_as_plain"], 1, "{plain}");
        assert!(plain["answer_tokens"].as_f64().unwrap() > 8.0, "{plain}");
        assert!(plain["whole_answer_ms"].as_f64().unwrap() > 0.0, "{plain}");
        // The answer copies the passage: guesses are made and some hold (how many
        // depends on the step costs the engine measures, which tests running beside
        // this one disturb, so only their existence is checked).
        held += guessing["accepted"].as_u64().unwrap();
        assert!(
            guessing["accepted"].as_u64() <= guessing["drafted"].as_u64(),
            "{guessing}"
        );
    }
    assert!(held > 0, "no guess held: {report}");
}

#[test]
fn document_tasks_say_what_is_missing_or_wrong() {
    let home = tempfile::tempdir().unwrap();
    let model = support::models::smollm2();
    let no_document = hearth(home.path())
        .args(["bench", "--model"])
        .arg(&model)
        .args(["--task", "rewrite"])
        .output()
        .unwrap();
    fails_saying(&no_document, "--document");
    let unknown = hearth(home.path())
        .args(["bench", "--task", "poem"])
        .output()
        .unwrap();
    fails_saying(&unknown, "no task named `poem`");
    // A llama-server that stops at once is named with what happened, not waited for.
    let document = support::test_doc("debian-reference/debian-reference.en.txt");
    let stopped = hearth(home.path())
        .args(["bench", "--model"])
        .arg(&model)
        .args(["--task", "extract", "--passages", "1", "--max-tokens", "4"])
        .args(["--llama-server", "/bin/false", "--document"])
        .arg(&document)
        .output()
        .unwrap();
    fails_saying(&stopped, "stopped before it was ready");
}

/// The command failed and its error says `text`.
fn fails_saying(output: &std::process::Output, text: &str) {
    assert!(!output.status.success(), "{}", describe(output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains(text),
        "{}",
        describe(output)
    );
}
