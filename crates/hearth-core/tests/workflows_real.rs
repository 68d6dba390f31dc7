//! Workflows and data generation on the real default model (SmolLM2-135M), with a fake
//! remote step (a mock OpenAI-compatible provider on loopback): a folder run through
//! local and remote steps, the rows, the failures, the audit and the redaction; a run
//! stopped part way; records generated to a schema and checked against it.

use crate::common;
use crate::support;

use std::collections::BTreeMap;

use hearth_core::documents::Cancellation;
use hearth_core::generate::GenerateRequest;
use hearth_core::tabular::{table_string, TableFormat};
use hearth_core::workflows::{run_table, Step, Task, Workflow, WorkflowInput, WorkflowProgress};
use hearth_core::{Hearth, ProviderConfig};
use hearth_llm::remote::mock::{MockProvider, Reply};
use hearth_llm::{ApiKey, Protocol};
use hearth_store::{AuditPurpose, RunState};
use serde_json::json;

fn hearth(dir: &std::path::Path) -> Hearth {
    common::hearth_on(dir, &support::smollm2(), 2048, 2)
}

/// The mock provider as "cloud", with its model "judge-1".
fn add_cloud(hearth: &Hearth, mock: &MockProvider) {
    hearth
        .save_provider(
            ProviderConfig {
                name: "cloud".into(),
                kind: Protocol::OpenAi,
                base_url: Some(mock.base_url()),
                models: vec!["judge-1".into()],
                context_length: 8192,
                input_cost_per_1k: None,
                output_cost_per_1k: None,
            },
            Some(ApiKey::new("sk-test")),
        )
        .unwrap();
}

fn step(name: &str, task: Task, model: Option<&str>) -> Step {
    Step {
        model: model.map(Into::into),
        ..Step::new(name, task)
    }
}

const REVIEW: &str = "# Review of the Riverside bakery\n\nI ordered a birthday cake for my \
daughter and it arrived two hours late, dry, and with the wrong name on it. When I called, \
the manager was rude and refused a refund. Write to me at ana.lopez@example.org if you \
want the photos. I will not order from them again.";

const NOTE: &str = "# Opening hours\n\nFrom Monday the library opens at 9 in the morning \
and closes at 6 in the evening. On Saturdays it opens at 10 and closes at 2. It is closed \
on Sundays and public holidays.";

#[test]
fn a_folder_runs_through_local_and_remote_steps_into_a_results_table() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = hearth(dir.path());
    let mock = MockProvider::start(vec![
        Reply::openai_stream(&["{\"label\": ", "\"negative\"}"]),
        Reply::openai_stream(&["{\"label\": \"neutral\"}"]),
    ]);
    add_cloud(&hearth, &mock);
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(inbox.join("a-review.md"), REVIEW).unwrap();
    std::fs::write(inbox.join("b-hours.md"), NOTE).unwrap();
    // A PDF that is not one: its row says why, and the batch goes on.
    std::fs::write(inbox.join("c-broken.pdf"), b"%PDF-1.4 this is not a pdf").unwrap();
    std::fs::write(inbox.join(".hidden.md"), "skipped").unwrap();

    let schema = json!({
        "type": "object",
        "properties": {"topic": {"type": "string", "maxLength": 60}},
        "required": ["topic"]
    });
    let workflow = Workflow {
        name: "triage".into(),
        description: String::new(),
        steps: vec![
            step(
                "summary",
                Task::Summarize {
                    style: Default::default(),
                    length: hearth_core::documents::SummaryLength::Short,
                    language: None,
                },
                None,
            ),
            step(
                "sentiment",
                Task::Classify {
                    labels: vec!["positive".into(), "negative".into(), "neutral".into()],
                    instructions: None,
                },
                Some("cloud:judge-1"),
            ),
            step(
                "fields",
                Task::Extract {
                    schema: schema.clone(),
                    instructions: Some("The topic of the original text.".into()),
                },
                None,
            ),
            Step {
                max_tokens: Some(24),
                ..step(
                    "reply",
                    Task::Prompt {
                        template: Some(
                            "Write one sentence replying to {{item}}: {{source}}".into(),
                        ),
                        prompt: None,
                        variables: BTreeMap::new(),
                        system: None,
                    },
                    None,
                )
            },
        ],
    };
    let mut events = Vec::new();
    let run = hearth
        .run_workflow(
            &workflow,
            &[WorkflowInput::Path(inbox.clone())],
            &mut |event| events.push(event),
            &Cancellation::new(),
        )
        .unwrap();
    assert_eq!(run.state, RunState::Done);
    let (columns, rows) = run_table(&run);
    assert_eq!(
        columns,
        ["item", "summary", "sentiment", "fields", "reply", "error"]
    );
    assert_eq!(rows.len(), 3, "{rows:#?}");
    assert_eq!(rows[0]["item"], "a-review.md");
    assert_eq!(rows[0]["sentiment"], "negative");
    assert_eq!(rows[1]["sentiment"], "neutral");
    for row in &rows[..2] {
        assert!(row["error"].is_null(), "{row:#}");
        assert!(
            row["summary"].as_str().unwrap().split_whitespace().count() >= 3,
            "{row:#}"
        );
        // Extract answers stay JSON in the table, and follow the schema.
        assert!(
            jsonschema::is_valid(&schema, &row["fields"]),
            "{}",
            row["fields"]
        );
        assert!(!row["reply"].as_str().unwrap().is_empty());
    }
    let broken = rows[2]["error"].as_str().unwrap();
    assert_eq!(rows[2]["item"], "c-broken.pdf");
    assert!(
        broken.contains("c-broken.pdf") || broken.contains("PDF"),
        "{broken}"
    );

    // Progress: started with the items, every step of the two good items done.
    match &events[0] {
        WorkflowProgress::Started { items, steps, .. } => {
            assert_eq!(items, &["a-review.md", "b-hours.md", "c-broken.pdf"]);
            assert_eq!(steps.len(), 4);
        }
        other => panic!("first event {other:?}"),
    }
    let done = events
        .iter()
        .filter(|e| matches!(e, WorkflowProgress::StepDone { .. }))
        .count();
    assert_eq!(done, 8);

    // The remote step got the summary, not the source, with the email redacted; the
    // local steps never reached it.
    let requests = mock.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body["model"], "judge-1");
    let sent = requests[0].body.to_string();
    assert!(!sent.contains("ana.lopez@example.org"));
    assert!(requests[0].body["response_format"].is_object(), "{sent}");

    // The audit log: every step recorded as a workflow generation, the remote ones with
    // what left the machine.
    let records = hearth.store().audit_records(None).unwrap();
    let workflow_records: Vec<_> = records
        .iter()
        .filter(|r| r.purpose == AuditPurpose::Workflow)
        .collect();
    assert!(workflow_records.len() >= 8, "{}", workflow_records.len());
    let remote: Vec<_> = workflow_records
        .iter()
        .filter(|r| r.provider == "cloud")
        .collect();
    assert_eq!(remote.len(), 2);
    assert!(remote.iter().all(|r| r.sent_bytes.unwrap_or(0) > 0));
    assert!(workflow_records
        .iter()
        .filter(|r| r.provider == "local")
        .all(|r| r.sent_bytes.is_none()));

    // Kept in the database, and exported with the columns in order.
    let again = hearth.workflow_run(&run.id).unwrap();
    assert_eq!(again.results.len(), 3);
    let csv = table_string(&rows, Some(&columns), TableFormat::Csv).unwrap();
    assert!(
        csv.starts_with("item,summary,sentiment,fields,reply,error\n"),
        "{csv}"
    );
    assert!(csv.contains("a-review.md"));
}

#[test]
fn a_stopped_run_keeps_the_items_finished_before() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = hearth(dir.path());
    let workflow = Workflow {
        name: "mood".into(),
        description: String::new(),
        steps: vec![step(
            "mood",
            Task::Classify {
                labels: vec!["happy".into(), "sad".into()],
                instructions: None,
            },
            None,
        )],
    };
    let inputs: Vec<WorkflowInput> = ["A lovely day at the beach.", "We lost the match.", "Rain."]
        .iter()
        .enumerate()
        .map(|(i, text)| WorkflowInput::Text {
            name: format!("text {}", i + 1),
            text: (*text).into(),
        })
        .collect();
    let cancel = Cancellation::new();
    let stopper = cancel.clone();
    let run = hearth
        .run_workflow(
            &workflow,
            &inputs,
            &mut |event| {
                if let WorkflowProgress::ItemDone { item: 0, result } = &event {
                    assert!(["happy", "sad"].contains(&result.outputs[0].text.as_str()));
                    stopper.cancel();
                }
            },
            &cancel,
        )
        .unwrap();
    assert_eq!(run.state, RunState::Stopped);
    assert_eq!(run.results.len(), 1);
    assert_eq!(
        run.input,
        "text \"text 1\", text \"text 2\", text \"text 3\""
    );
    assert_eq!(hearth.workflow_runs(5).unwrap()[0].state, RunState::Stopped);
}

#[test]
fn generated_records_follow_the_schema_and_differ() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = hearth(dir.path());
    let schema = json!({
        "type": "object",
        "properties": {
            "question": {"type": "string", "minLength": 5, "maxLength": 120},
            "answer": {"type": "string", "minLength": 1, "maxLength": 120}
        },
        "required": ["question", "answer"]
    });
    let request = GenerateRequest {
        schema: schema.clone(),
        count: 4,
        instructions: Some("Questions about the text, with short answers.".into()),
        source: Some(NOTE.into()),
        seed: Some(11),
        temperature: Some(1.0),
        max_tokens: Some(96),
    };
    let mut seen = Vec::new();
    let data = hearth
        .generate_records(None, &request, &mut |p| seen.push(p), &Cancellation::new())
        .unwrap();
    assert_eq!(data.records.len(), 4, "asked for 4 records: {data:?}");
    for record in &data.records {
        assert!(jsonschema::is_valid(&schema, record), "{record}");
    }
    let unique: std::collections::BTreeSet<String> = data
        .records
        .iter()
        .map(|r| r.to_string().to_lowercase())
        .collect();
    assert_eq!(unique.len(), data.records.len());
    assert_eq!(
        data.records.len() + data.invalid + data.duplicates,
        data.attempts
    );
    assert_eq!(seen.last().unwrap().kept, data.records.len());
    let audited = hearth.store().audit_records(None).unwrap();
    assert!(audited.iter().all(|r| r.purpose == AuditPurpose::Generate));
    let jsonl = table_string(&data.records, None, TableFormat::Jsonl).unwrap();
    assert_eq!(jsonl.lines().count(), data.records.len());
}

/// A scanned PDF as a workflow's input: its pages are read by OCR first, each page a
/// `Reading` event of its item before the item's first step, and the step gets OCR's text.
#[test]
fn a_scanned_file_reports_its_pages_read_before_its_steps() {
    let dir = tempfile::tempdir().unwrap();
    let hearth = hearth(dir.path());
    let mock = MockProvider::start(vec![Reply::openai_stream(&["{\"label\": \"neutral\"}"])]);
    add_cloud(&hearth, &mock);
    let scan =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.testdata/ocr/linn.pdf");
    assert!(scan.is_file(), "run scripts/fetch-ocr-samples.sh");
    let inbox = dir.path().join("scans");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::copy(&scan, inbox.join("brochure.pdf")).unwrap();
    let workflow = Workflow {
        name: "tone".into(),
        description: String::new(),
        steps: vec![step(
            "tone",
            Task::Classify {
                labels: vec!["positive".into(), "negative".into(), "neutral".into()],
                instructions: None,
            },
            Some("cloud:judge-1"),
        )],
    };
    let mut events = Vec::new();
    let run = hearth
        .run_workflow(
            &workflow,
            &[WorkflowInput::Path(inbox)],
            &mut |event| events.push(event),
            &Cancellation::new(),
        )
        .unwrap();
    assert_eq!(run.state, RunState::Done);
    let reading: Vec<(u32, u32)> = events
        .iter()
        .filter_map(|e| match e {
            WorkflowProgress::Reading {
                item: 0,
                done,
                total,
            } => Some((*done, *total)),
            _ => None,
        })
        .collect();
    assert_eq!(reading, [(1, 1)], "{events:?}");
    let first_step = events
        .iter()
        .position(|e| matches!(e, WorkflowProgress::Step { item: 0, .. }))
        .unwrap();
    let read_at = events
        .iter()
        .position(|e| matches!(e, WorkflowProgress::Reading { .. }))
        .unwrap();
    assert!(read_at < first_step, "{events:?}");
    // What went to the provider is OCR's text of the brochure.
    let sent = mock.requests();
    assert!(
        sent.iter()
            .any(|r| r.body.to_string().contains("LinnSequencer")),
        "{:?}",
        sent.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
}
