//! `hearth workflow`, `hearth prompts`, `hearth generate`, `hearth models compare`,
//! `hearth delete-everything` and `hearth chat --adapter` end to end on the real
//! default model.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use support::{describe, hearth, text};

fn home_with_model() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/config.toml"),
        format!(
            "default_model = {:?}\ncontext_length = 2048\nparallel = 2\n",
            support::models::smollm2().display().to_string()
        ),
    )
    .unwrap();
    home
}

fn cli(home: &Path) -> std::process::Command {
    let mut command = hearth(home);
    command.env("HEARTH_KEYRING", "off");
    command
}

const TRIAGE: &str = r#"
name = "quick-triage"
description = "Mood, then a one-line reply"

[[steps]]
name = "mood"
task = "classify"
labels = ["happy", "unhappy"]

[[steps]]
name = "reply"
task = "prompt"
template = "Reply in one short sentence to this {{input}} customer: {{source}}"
max_tokens = 12
"#;

#[test]
fn a_workflow_file_is_saved_run_on_a_folder_and_its_results_exported() {
    let home = home_with_model();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("triage.toml");
    std::fs::write(&file, TRIAGE).unwrap();
    let inbox = work.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(
        inbox.join("1.txt"),
        "Thank you, the repair was quick and cheap!",
    )
    .unwrap();
    std::fs::write(
        inbox.join("2.txt"),
        "My order never arrived and nobody answers.",
    )
    .unwrap();

    let listed = cli(home.path())
        .args(["workflow", "ls", "--json"])
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", describe(&listed));
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"summarize-then-sentiment"));
    assert!(names.contains(&"translate-then-summarize"));

    let shown = cli(home.path())
        .args(["workflow", "show", "summarize-then-sentiment"])
        .output()
        .unwrap();
    assert!(
        text(&shown.stdout).contains("task = \"classify\""),
        "{}",
        describe(&shown)
    );

    let saved = cli(home.path())
        .args(["workflow", "save"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(saved.status.success(), "{}", describe(&saved));

    let out = work.path().join("results.csv");
    let ran = cli(home.path())
        .args(["workflow", "run", "quick-triage"])
        .arg(&inbox)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", describe(&ran));
    let csv = std::fs::read_to_string(&out).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("item,mood,reply,error"));
    let rows: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter(|l| l.starts_with(['1', '2']))
        .collect();
    assert_eq!(rows.len(), 2, "{csv}");
    for row in rows {
        assert!(
            row.contains(",happy,") || row.contains(",unhappy,"),
            "{row}"
        );
    }

    let runs = cli(home.path())
        .args(["workflow", "runs", "--json"])
        .output()
        .unwrap();
    let runs: serde_json::Value = serde_json::from_slice(&runs.stdout).unwrap();
    assert_eq!(runs[0]["workflow"], "quick-triage");
    assert_eq!(runs[0]["state"], "done");
    let id = runs[0]["id"].as_str().unwrap();
    let jsonl = work.path().join("again.jsonl");
    let exported = cli(home.path())
        .args(["workflow", "runs", id, "-o"])
        .arg(&jsonl)
        .output()
        .unwrap();
    assert!(exported.status.success(), "{}", describe(&exported));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["item"], "1.txt");

    // A mistake in a file names the step; nothing runs.
    std::fs::write(
        &file,
        TRIAGE.replace("[\"happy\", \"unhappy\"]", "[\"happy\"]"),
    )
    .unwrap();
    let bad = cli(home.path())
        .args(["workflow", "run"])
        .arg(&file)
        .args(["--text", "hello"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1), "{}", describe(&bad));
    assert!(
        text(&bad.stderr).contains("step 1 (mood): give at least two different labels"),
        "{}",
        describe(&bad)
    );
}

#[test]
fn prompt_templates_are_saved_filled_and_sent() {
    let home = home_with_model();
    let mut save = cli(home.path())
        .args([
            "prompts",
            "save",
            "thanks",
            "--file",
            "-",
            "--description",
            "A thank-you note",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    save.stdin
        .take()
        .unwrap()
        .write_all(b"Write a thank-you note to {{name}} for {{gift}}.")
        .unwrap();
    let saved = save.wait_with_output().unwrap();
    assert!(saved.status.success(), "{}", describe(&saved));
    assert!(text(&saved.stderr).contains("variables: name, gift"));

    let listed = cli(home.path())
        .args(["prompts", "list", "--json"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "email" && p["builtin"] == true));

    let rendered = cli(home.path())
        .args([
            "prompts",
            "render",
            "thanks",
            "--var",
            "name=Ana",
            "--var",
            "gift=the book",
        ])
        .output()
        .unwrap();
    assert_eq!(
        text(&rendered.stdout).trim(),
        "Write a thank-you note to Ana for the book."
    );
    let missing = cli(home.path())
        .args(["prompts", "render", "thanks", "--var", "name=Ana"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("needs a value for: gift"),
        "{}",
        describe(&missing)
    );

    let ran = cli(home.path())
        .args([
            "run",
            "--template",
            "thanks",
            "--var",
            "name=Ana",
            "--var",
            "gift=tea",
            "-n",
            "8",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", describe(&ran));
    let answer: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
    assert!(answer["completion_tokens"].as_u64().unwrap() > 0);

    let builtin = cli(home.path())
        .args(["prompts", "rm", "email"])
        .output()
        .unwrap();
    assert_eq!(builtin.status.code(), Some(1));
    assert!(text(&builtin.stderr).contains("built in"));
}

#[test]
fn records_are_generated_to_a_schema_as_json_lines_and_csv() {
    let home = home_with_model();
    let work = tempfile::tempdir().unwrap();
    let schema = work.path().join("city.json");
    std::fs::write(
        &schema,
        r#"{"type": "object", "properties": {"city": {"type": "string", "minLength": 2, "maxLength": 40}, "population": {"type": "integer", "minimum": 0}}, "required": ["city", "population"]}"#,
    )
    .unwrap();
    let out = work.path().join("cities.jsonl");
    let made = cli(home.path())
        .args(["generate", "--schema"])
        .arg(&schema)
        .args(["--count", "3", "--seed", "6", "-i", "European cities", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", describe(&made));
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3, "asked for 3 records: {records:?}");
    for record in &records {
        assert!(
            record["city"].is_string() && record["population"].is_u64(),
            "{record}"
        );
    }
    assert!(text(&made.stderr).contains("seed 6"), "{}", describe(&made));

    let csv = work.path().join("cities.csv");
    let made = cli(home.path())
        .args(["generate", "--schema"])
        .arg(&schema)
        .args(["--count", "2", "--seed", "9", "-o"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", describe(&made));
    assert!(std::fs::read_to_string(&csv)
        .unwrap()
        .starts_with("city,population\n"));

    std::fs::write(&schema, r#"{"type": "array"}"#).unwrap();
    let bad = cli(home.path())
        .args(["generate", "--schema"])
        .arg(&schema)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("must describe an object"),
        "{}",
        describe(&bad)
    );
}

#[test]
fn models_compare_deletes_everything_and_adapters_are_checked() {
    let home = home_with_model();
    // Something to delete: a one-off answer (audited) and a saved prompt.
    let ran = cli(home.path())
        .args(["run", "-n", "4", "Hello"])
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", describe(&ran));

    let compared = cli(home.path())
        .args(["models", "compare", "--json"])
        .output()
        .unwrap();
    assert!(compared.status.success(), "{}", describe(&compared));
    let choices: serde_json::Value = serde_json::from_slice(&compared.stdout).unwrap();
    assert!(
        choices["recommendation"]["catalog_id"].is_string(),
        "{choices:#}"
    );
    let table = cli(home.path())
        .args(["models", "compare"])
        .output()
        .unwrap();
    assert!(
        text(&table.stdout).contains("Recommended for this computer"),
        "{}",
        describe(&table)
    );

    let refused = cli(home.path())
        .args(["delete-everything"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("nothing was deleted"),
        "{}",
        describe(&refused)
    );
    let deleted = cli(home.path())
        .args(["delete-everything", "--yes", "--json"])
        .output()
        .unwrap();
    assert!(deleted.status.success(), "{}", describe(&deleted));
    let deleted: serde_json::Value = serde_json::from_slice(&deleted.stdout).unwrap();
    assert!(deleted["history"]["audit_records"].as_u64().unwrap() >= 1);
    let audit = cli(home.path())
        .args(["audit", "list", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&audit.stdout).unwrap(),
        serde_json::json!([])
    );

    let adapter = cli(home.path())
        .args(["chat", "--adapter", "/nowhere/style.gguf"])
        .output()
        .unwrap();
    assert_eq!(adapter.status.code(), Some(4), "{}", describe(&adapter));
    assert!(
        text(&adapter.stderr).contains("/nowhere/style.gguf"),
        "{}",
        describe(&adapter)
    );
}
