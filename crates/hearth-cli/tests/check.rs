//! `hearth check`: a text checked against a real PDF (the R FAQ), with what the PDF does
//! not have named per sentence, the JSON the API gives, stdin, and exit code 6 when a
//! sentence is not found; `--mode thorough` with the real embedding model and a real
//! judge.

mod support;

use support::{describe, hearth, test_doc, text};

/// The reasons given for one checked sentence of a `--json` report.
fn reasons(sentence: &serde_json::Value) -> Vec<&str> {
    sentence["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reason"].as_str().unwrap())
        .collect()
}

#[test]
fn a_text_is_checked_against_a_real_pdf_and_what_it_lacks_is_named() {
    let home = tempfile::tempdir().unwrap();
    let faq = test_doc("r-doc-pdf/R-FAQ.pdf");
    let faq = faq.to_str().unwrap();

    let grounded = "The R FAQ is maintained by Kurt Hornik.";
    let output = hearth(home.path())
        .args(["check", "--source", faq, grounded])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(
        text(&output.stdout).starts_with("0 of 1 sentence not found in the document"),
        "{}",
        describe(&output)
    );

    let invented =
        "The R FAQ is maintained by Kurt Hornik. It was first written by Hans Weber in 2031.";
    let output = hearth(home.path())
        .args(["--json", "check", "--source", faq, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(invented.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(output.status.code(), Some(6), "{}", describe(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["not_found"], 1, "{report}");
    assert_eq!(report["sentences"][0]["support"], "supported", "{report}");
    let flagged = &report["sentences"][1];
    assert_eq!(flagged["support"], "not_found", "{report}");
    assert_eq!(
        reasons(flagged),
        [
            "the document never mentions Hans Weber",
            "the document has no 2031"
        ],
        "{report}"
    );
    // Offsets are the text's own, for a front end to mark.
    let (start, end) = (
        flagged["start"].as_u64().unwrap() as usize,
        flagged["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(
        &invented[start..end],
        "It was first written by Hans Weber in 2031."
    );
}

#[test]
fn a_check_without_a_readable_source_says_which_file() {
    let home = tempfile::tempdir().unwrap();
    let output = hearth(home.path())
        .args(["check", "--source", "/nonexistent/report.pdf", "Some text."])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        text(&output.stderr).contains("reading the source /nonexistent/report.pdf"),
        "{}",
        describe(&output)
    );
}

#[test]
fn a_translation_is_compared_with_its_original_both_ways() {
    let home = tempfile::tempdir().unwrap();
    let original = home.path().join("original.md");
    std::fs::write(
        &original,
        "Install 3 packages with `apt install`; the EU pays 1,234.5 euros.",
    )
    .unwrap();
    let run = |text: &str| {
        hearth(home.path())
            .args(["--json", "check", "--translation", "--source"])
            .arg(&original)
            .arg(text)
            .output()
            .unwrap()
    };
    let faithful = run("Installiere 3 Pakete mit `apt install`; die EU zahlt 1.234,5 Euro.");
    assert_eq!(faithful.status.code(), Some(0), "{}", describe(&faithful));
    let changed = run("Installiere 4 Pakete mit `apt install`; die EU zahlt Geld.");
    assert_eq!(changed.status.code(), Some(6), "{}", describe(&changed));
    let report: serde_json::Value = serde_json::from_slice(&changed.stdout).unwrap();
    assert_eq!(
        reasons(&report["sentences"][0]),
        [
            "the source has no 4",
            "the translation leaves out 3",
            "the translation leaves out 1,234.5"
        ],
        "{report}"
    );
    // Two sources are refused: a translation has one original.
    let two = hearth(home.path())
        .args(["check", "--translation", "--source"])
        .arg(&original)
        .arg("--source")
        .arg(&original)
        .arg("x")
        .output()
        .unwrap();
    assert_eq!(two.status.code(), Some(1), "{}", describe(&two));
    assert!(
        text(&two.stderr).contains("give one --source"),
        "{}",
        describe(&two)
    );
}

#[test]
fn thorough_mode_adds_the_embedding_model_and_the_judge() {
    let home = tempfile::tempdir().unwrap();
    support::convert_minilm(home.path());
    let faq = test_doc("r-doc-pdf/R-FAQ.pdf");
    let smollm2 = support::models::smollm2();
    let output = hearth(home.path())
        .args(["--json", "check", "--mode", "thorough", "--judge"])
        .arg(&smollm2)
        .arg("--source")
        .arg(&faq)
        .arg(
            "The R FAQ is maintained by Kurt Hornik. Cats prefer sleeping in warm cardboard boxes.",
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(6), "{}", describe(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["layers"],
        serde_json::json!(["facts", "similarity", "judge"]),
        "{report}"
    );
    assert!(
        report["judge"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("smollm2"),
        "{report}"
    );
    // Nothing in the FAQ is about cats: the embedding model says so, with no model judge.
    let cats = &report["sentences"][1];
    assert_eq!(
        (cats["support"].as_str(), cats["decided_by"].as_str()),
        (Some("not_found"), Some("similarity")),
        "{report}"
    );
    assert_eq!(reasons(cats), ["nothing in the document is close to this"]);
    // The FAQ's maintainer went to the judge with the FAQ's closest sentences.
    let hornik = &report["sentences"][0];
    assert_eq!(hornik["decided_by"], "judge", "{report}");
    assert!(hornik["similarity"].as_f64().unwrap() > 0.45, "{report}");
    assert!(
        hornik["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("Hornik")),
        "{report}"
    );

    // The check's judge is in the audit log under its own purpose.
    let audit = hearth(home.path())
        .args(["--json", "audit", "list", "--purpose", "grounding_check"])
        .output()
        .unwrap();
    assert!(audit.status.success(), "{}", describe(&audit));
    assert!(
        text(&audit.stdout).to_lowercase().contains("smollm2"),
        "{}",
        describe(&audit)
    );

    // A mode means nothing for a translation, which is compared both ways.
    let refused = hearth(home.path())
        .args(["check", "--translation", "--mode", "thorough", "--source"])
        .arg(&faq)
        .arg("x")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", describe(&refused));
}
