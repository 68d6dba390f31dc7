//! `hearth docs` and `hearth ask` end to end on the real binary: a collection built from a
//! folder (the embedding model converted from the fetched folder first), listed, asked
//! with the default model (sources printed, JSON with cited and matched sources), a
//! search without a model, a failed file reported with exit code 1, and removal.

mod support;

use support::{describe, json, run, test_doc, text};

#[test]
fn a_folder_becomes_a_collection_that_answers_with_sources() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    support::add_default_smollm2(home);

    let docs = tempfile::tempdir().unwrap();
    std::fs::write(
        docs.path().join("bread.md"),
        "# Sourdough bread\n\nKnead the dough for ten minutes.\n\n## Baking\n\nBake the loaf at 230 degrees Celsius for forty minutes.",
    )
    .unwrap();
    std::fs::copy(
        test_doc("mammoth/tables.docx"),
        docs.path().join("tables.docx"),
    )
    .unwrap();
    let folder = docs.path().to_str().unwrap();

    // No embedding model yet: the error says how to get one.
    let missing = run(home, &["docs", "add", "Kitchen", folder]);
    assert_eq!(missing.status.code(), Some(3), "{}", describe(&missing));
    assert!(
        text(&missing.stderr).contains("hearth models convert"),
        "{}",
        describe(&missing)
    );

    support::convert_minilm(home);
    let added = run(home, &["--json", "docs", "add", "Kitchen", folder]);
    assert!(added.status.success(), "{}", describe(&added));
    let report = json(&added);
    assert_eq!(report["added"], 2, "{report}");
    assert_eq!(report["collection"]["name"], "Kitchen");

    let listed = run(home, &["docs", "ls"]);
    assert!(
        text(&listed.stdout).contains("Kitchen\t2 files"),
        "{}",
        describe(&listed)
    );
    let files = run(home, &["--json", "docs", "ls", "Kitchen"]);
    assert_eq!(json(&files).as_array().unwrap().len(), 2);

    // The same greedy question, as text and as JSON.
    let ask_bread = |json: bool| {
        let question = [
            "ask",
            "At what temperature do I bake the sourdough loaf?",
            "--temperature",
            "0",
            "-n",
            "60",
        ];
        let mut args: Vec<&str> = if json { vec!["--json"] } else { Vec::new() };
        args.extend(question);
        run(home, &args)
    };
    let asked = ask_bread(false);
    assert!(asked.status.success(), "{}", describe(&asked));
    let out = text(&asked.stdout);
    assert!(
        out.contains("Sources (the passages the model read"),
        "{out}"
    );
    assert!(out.contains("[1] bread.md"), "{out}");

    let answer = ask_bread(true);
    let answer = json(&answer);
    assert_eq!(answer["nothing_relevant"], false);
    assert!(
        answer["sources"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("bread.md"),
        "{answer}"
    );
    assert!(
        answer["cited"].is_array() && answer["matched"].is_array(),
        "{answer}"
    );
    assert!(
        answer["grounding"]["summary"]
            .as_str()
            .unwrap()
            .ends_with("not found in the passages"),
        "{answer}"
    );
    assert!(!answer["answer"].as_str().unwrap().trim().is_empty());

    let search = run(
        home,
        &[
            "--json",
            "ask",
            "kneading time",
            "--search-only",
            "-c",
            "kitchen",
        ],
    );
    let found = json(&search);
    assert!(
        found[0]["text"].as_str().unwrap().contains("Knead"),
        "{found}"
    );
    assert!(found[0]["similarity"].as_f64().unwrap() > 0.25, "{found}");

    let nothing = run(
        home,
        &["--json", "ask", "Who won the football world cup in 1998?"],
    );
    assert_eq!(
        json(&nothing)["nothing_relevant"],
        true,
        "{}",
        describe(&nothing)
    );

    // A broken file is reported, the rest indexed, and the exit code says so.
    std::fs::copy(
        test_doc("pdf-parse/03-invalid.pdf"),
        docs.path().join("broken.pdf"),
    )
    .unwrap();
    let rescan = run(home, &["docs", "reindex", "Kitchen"]);
    assert_eq!(rescan.status.code(), Some(1), "{}", describe(&rescan));
    assert!(
        text(&rescan.stderr).contains("broken.pdf"),
        "{}",
        describe(&rescan)
    );
    assert!(
        text(&rescan.stdout).contains("2 unchanged"),
        "{}",
        describe(&rescan)
    );

    let removed = run(home, &["docs", "rm", "Kitchen", folder]);
    assert!(removed.status.success(), "{}", describe(&removed));
    let deleted = run(home, &["docs", "rm", "Kitchen"]);
    assert!(deleted.status.success(), "{}", describe(&deleted));
    let none = run(home, &["ask", "anything"]);
    assert!(!none.status.success());
    assert!(
        text(&none.stderr).contains("hearth docs add"),
        "{}",
        describe(&none)
    );
}

/// `hearth docs watch` in the foreground prints each change as it is indexed (JSON lines
/// with --json) and stops cleanly on Ctrl-C; `--off` takes a collection out of watching.
#[test]
fn docs_watch_indexes_a_new_file_and_can_be_turned_off() {
    use std::io::BufRead;
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    support::convert_minilm(home);
    let docs = tempfile::tempdir().unwrap();
    let folder = docs.path().canonicalize().unwrap();
    std::fs::write(folder.join("bread.md"), "# Bread\n\nKnead the dough.").unwrap();
    let added = run(home, &["docs", "add", "Kitchen", folder.to_str().unwrap()]);
    assert!(added.status.success(), "{}", describe(&added));
    assert!(text(&run(home, &["docs", "ls"]).stdout).contains("\twatched"));

    let mut child = support::hearth(home)
        .args(["--json", "docs", "watch"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_until = |wanted: &dyn Fn(&serde_json::Value) -> bool| -> serde_json::Value {
        let mut seen = Vec::new();
        for line in lines.by_ref() {
            let event: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            if wanted(&event) {
                return event;
            }
            seen.push(event);
        }
        panic!("the watcher ended before the event; seen: {seen:#?}");
    };
    // The start-up rescan ends before any change is made.
    next_until(&|e| e["event"] == "synced" && e["rescan"] == true);
    let kiln = folder.join("kiln.md");
    std::fs::write(&kiln, "# Kiln\n\nFire the bisque slowly before glazing.").unwrap();
    let added = next_until(&|e| {
        e["event"] == "progress"
            && e["progress"]["event"] == "file"
            && e["progress"]["path"] == kiln.to_str().unwrap()
    });
    assert_eq!(added["collection"], "Kitchen");
    assert_eq!(added["progress"]["outcome"], "added", "{added}");
    next_until(&|e| e["event"] == "synced");
    let found = run(home, &["--json", "ask", "bisque glazing", "--search-only"]);
    assert!(
        text(&found.stdout).contains("kiln.md"),
        "{}",
        describe(&found)
    );

    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "Ctrl-C stops the watcher cleanly: {status:?}"
    );

    let off = run(home, &["docs", "watch", "Kitchen", "--off"]);
    assert!(off.status.success(), "{}", describe(&off));
    assert!(text(&run(home, &["docs", "ls"]).stdout).contains("\tnot watched"));
    let neither = run(home, &["docs", "watch", "Kitchen"]);
    assert!(!neither.status.success());
    assert!(
        text(&neither.stderr).contains("--on or --off"),
        "{}",
        describe(&neither)
    );
}
