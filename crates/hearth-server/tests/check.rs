//! `POST /api/check`: a text checked against pasted text and a real PDF sent as base64;
//! requests without text or sources, or naming a path the server may not read, refused.

use crate::support;

use base64::Engine as _;
use serde_json::json;
use support::{start, Setup};

#[tokio::test(flavor = "multi_thread")]
async fn a_text_is_checked_against_pasted_text_and_a_pdf() {
    let server = start(Setup::default()).await;
    let pdf = std::fs::read(support::repo_root().join(".testdata/r-doc-pdf/R-FAQ.pdf"))
        .expect("the test PDFs are missing: run scripts/fetch-test-docs.sh");
    let text = "Kurt Hornik maintains the R FAQ. The budget was 4.5 million euros. \
        Sales rose 12% in 2031.";
    let (status, report) = server
        .post_json(
            "/api/check",
            json!({
                "text": text,
                "sources": [
                    {"text": "The budget for the year was 4,500,000 euros."},
                    {"name": "R-FAQ.pdf", "data_base64": base64::engine::general_purpose::STANDARD.encode(pdf)},
                ],
            }),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    let marks: Vec<(&str, &str)> = report["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["text"].as_str().unwrap(), s["support"].as_str().unwrap()))
        .collect();
    assert_eq!(
        marks,
        [
            ("Kurt Hornik maintains the R FAQ.", "supported"),
            ("The budget was 4.5 million euros.", "supported"),
            ("Sales rose 12% in 2031.", "not_found"),
        ],
        "{report}"
    );
    let reasons: Vec<&str> = report["sentences"][2]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"the documents have no 2031"), "{report}");
    assert_eq!(
        report["summary"],
        "1 of 3 sentences not found in the documents"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_needs_text_and_sources_and_reads_no_path_unless_allowed() {
    let server = start(Setup::default()).await;
    for (body, field) in [
        (json!({"text": "  ", "sources": [{"text": "x"}]}), "text"),
        (json!({"text": "Hello.", "sources": []}), "sources"),
        (
            json!({"text": "Hello.", "sources": vec![json!({"text": "x"}); 21]}),
            "sources",
        ),
        (
            json!({"text": "1. ".repeat(400_000), "sources": [{"text": "x"}]}),
            "text",
        ),
    ] {
        let (status, error) = server.post_json("/api/check", body).await;
        assert_eq!(status, 400, "{error}");
        assert_eq!(error["details"]["field"], field, "{error}");
    }
    let (status, error) = server
        .post_json(
            "/api/check",
            json!({"text": "Hello.", "sources": [{"path": "/etc/passwd"}]}),
        )
        .await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(error["code"], "PATHS_DISABLED", "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thorough_check_has_the_model_judge_what_the_facts_leave() {
    let server = start(Setup::default()).await;
    let source = "The bridge opened in 1937. It is painted International Orange.";
    let (status, report) = server
        .post_json(
            "/api/check",
            json!({
                "text": "The bridge opened in 1937. The bridge is not painted orange. It opened in 1950.",
                "sources": [{"text": source}],
                "mode": "thorough",
            }),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    // This server's home has no embedding model: the judge (the default model, real)
    // reads the two sentences the facts did not flag, on the words they share.
    assert_eq!(report["layers"], json!(["facts", "judge"]), "{report}");
    assert!(
        report["warnings"][0]
            .as_str()
            .unwrap()
            .contains("similarity check did not run"),
        "{report}"
    );
    assert!(
        report["judge"].as_str().is_some_and(|j| !j.is_empty()),
        "{report}"
    );
    let sentences = report["sentences"].as_array().unwrap();
    assert_eq!(sentences[2]["decided_by"], "facts", "{report}");
    assert_eq!(sentences[2]["support"], "not_found", "{report}");
    for judged in &sentences[..2] {
        // Whatever a 135M model decides, it decided it as the schema allows.
        assert_eq!(judged["decided_by"], "judge", "{report}");
        assert!(
            ["supported", "not_found", "contradicted"]
                .contains(&judged["support"].as_str().unwrap()),
            "{report}"
        );
        assert!(
            !judged["evidence"].as_array().unwrap().is_empty(),
            "{report}"
        );
    }

    let (status, error) = server
        .post_json(
            "/api/check",
            json!({"text": "Hello.", "sources": [{"text": "x"}], "mode": "sometimes"}),
        )
        .await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("mode"),
        "{error}"
    );
}
