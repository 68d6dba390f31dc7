//! The Workflows page's API on the real default model: workflows listed, parsed,
//! saved and refused with the step at fault; a run streamed over texts and an upload
//! with its results kept and exported; prompts saved and filled; records generated;
//! model choices; conversation adapters refused when they cannot apply; and "delete
//! everything" behind its confirmation.

use crate::support;

use serde_json::{json, Value};
use support::{read_events, start, Setup, SseEvent};

fn named<'a>(events: &'a [SseEvent], name: &str) -> Vec<&'a SseEvent> {
    events
        .iter()
        .filter(|e| e.name.as_deref() == Some(name))
        .collect()
}

async fn stream(server: &support::Server, path: &str, body: Value) -> Vec<SseEvent> {
    read_events(server.post(path, body).send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn workflows_are_built_run_kept_and_exported_over_the_api() {
    let server = start(Setup::default()).await;
    let (status, list) = server.get_json("/api/workflows").await;
    assert_eq!(status, 200);
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["name"] == "summarize-then-sentiment" && w["builtin"] == true));

    let (status, parsed) = server
        .post_json(
            "/api/workflows/parse",
            json!({"text": "name = \"mood\"\n[[steps]]\ntask = \"classify\"\nlabels = [\"calm\", \"angry\"]\n"}),
        )
        .await;
    assert_eq!(status, 200, "{parsed}");
    assert!(parsed["toml"].as_str().unwrap().contains("labels"));
    let (status, bad) = server
        .post_json(
            "/api/workflows/parse",
            json!({"text": "name = \"mood\"\n[[steps]]\ntask = \"translate\"\nto = \"Klingon\"\n"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(bad["code"], "INVALID_WORKFLOW");
    assert!(
        bad["message"]
            .as_str()
            .unwrap()
            .contains("step 1 (translate)"),
        "{bad}"
    );

    // The editor's check: the same rules, all of them the server's, without saving.
    let (status, limits) = server.get_json("/api/workflow-limits").await;
    assert_eq!(status, 200);
    assert_eq!(
        limits,
        json!({
            "max_steps": hearth_core::workflows::MAX_STEPS,
            "max_items": hearth_core::workflows::MAX_ITEMS,
            "max_records": hearth_core::generate::MAX_RECORDS,
        })
    );
    let step = json!({"task": "classify", "labels": ["calm", "angry"]});
    let (status, checked) = server
        .post_json(
            "/api/workflow-check",
            json!({"name": "mood", "steps": [step]}),
        )
        .await;
    assert_eq!((status, checked), (200, json!({ "problems": [] })));
    let (_, checked) = server
        .post_json(
            "/api/workflow-check",
            json!({"name": "mood", "steps": [step, step]}),
        )
        .await;
    assert!(
        checked["problems"][0]
            .as_str()
            .unwrap()
            .contains("step 2 (classify): another step has the same name"),
        "{checked}"
    );
    let too_many = vec![step.clone(); hearth_core::workflows::MAX_STEPS + 1];
    let (_, checked) = server
        .post_json(
            "/api/workflow-check",
            json!({"name": "mood", "steps": too_many}),
        )
        .await;
    assert!(
        checked["problems"][0].as_str().unwrap().contains("at most"),
        "{checked}"
    );

    let saved = server
        .client
        .put(server.url("/api/workflows/mood"))
        .bearer_auth(support::TOKEN)
        .json(&parsed["workflow"])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status().as_u16(), 200);
    let builtin = server
        .client
        .delete(server.url("/api/workflows/summarize-then-sentiment"))
        .bearer_auth(support::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(builtin.status().as_u16(), 400);

    use base64::Engine as _;
    let upload =
        base64::engine::general_purpose::STANDARD.encode("# Note\n\nWhat a calm, sunny morning.");
    let events = stream(
        &server,
        "/api/workflows/run",
        json!({"name": "mood", "inputs": [
            {"text": "I am furious about the noise!", "name": "complaint"},
            {"name": "note.md", "data_base64": upload}
        ]}),
    )
    .await;
    assert!(named(&events, "error").is_empty(), "{events:?}");
    let progress: Vec<Value> = named(&events, "progress")
        .iter()
        .map(|e| e.json())
        .collect();
    assert_eq!(progress[0]["event"], "started");
    assert_eq!(progress[0]["items"], json!(["complaint", "note.md"]));
    assert_eq!(
        progress
            .iter()
            .filter(|p| p["event"] == "item_done")
            .count(),
        2
    );
    let done = named(&events, "done")[0].json();
    // The step has no name of its own: its column is its task's.
    assert_eq!(done["columns"], json!(["item", "classify", "error"]));
    let rows = done["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        assert!(
            ["calm", "angry"].contains(&row["classify"].as_str().unwrap()),
            "{row}"
        );
    }
    let id = done["run"]["id"].as_str().unwrap().to_owned();

    let (status, runs) = server.get_json("/api/workflow-runs").await;
    assert_eq!(status, 200);
    assert_eq!(runs[0]["id"], id.as_str());
    let csv = server
        .get(&format!("/api/workflow-runs/{id}/export?format=csv"))
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".csv"));
    assert!(csv
        .text()
        .await
        .unwrap()
        .starts_with("item,classify,error\ncomplaint,"));
    let (status, _) = server.get_json("/api/workflow-runs/nope").await;
    assert_eq!(status, 404);

    // A draft workflow runs without being saved; no input is a 400 before any stream.
    let (status, empty) = server
        .post_json("/api/workflows/run", json!({"name": "mood", "inputs": []}))
        .await;
    assert_eq!(
        (status, empty["code"].as_str()),
        (400, Some("INVALID_REQUEST"))
    );
    let (status, unknown) = server
        .post_json(
            "/api/workflows/run",
            json!({"name": "nope", "inputs": [{"text": "x"}]}),
        )
        .await;
    assert_eq!(
        (status, unknown["code"].as_str()),
        (404, Some("UNKNOWN_WORKFLOW"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn prompts_generation_choices_adapters_and_deleting_everything() {
    // Paths allowed: an adapter is a file named by its path.
    let server = start(Setup::with_paths()).await;
    let saved = server
        .client
        .put(server.url("/api/prompts/welcome"))
        .bearer_auth(support::TOKEN)
        .json(&json!({"description": "Greet a guest", "body": "Welcome {{guest}} to {{place}}."}))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status().as_u16(), 200);
    let (status, filled) = server
        .post_json(
            "/api/prompts/welcome/render",
            json!({"variables": {"guest": "Ana", "place": "Lyon"}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(filled["text"], "Welcome Ana to Lyon.");
    let (status, missing) = server
        .post_json("/api/prompts/welcome/render", json!({"variables": {}}))
        .await;
    assert_eq!(
        (status, missing["code"].as_str()),
        (400, Some("MISSING_VARIABLES"))
    );
    let (_, prompts) = server.get_json("/api/prompts").await;
    let welcome = prompts
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "welcome")
        .unwrap();
    assert_eq!(welcome["variables"], json!(["guest", "place"]));

    let schema = json!({"type": "object", "properties": {"colour": {"type": "string", "maxLength": 20}}, "required": ["colour"]});
    let events = stream(
        &server,
        "/api/generate",
        json!({"schema": schema, "count": 2, "seed": 3, "instructions": "colours"}),
    )
    .await;
    assert!(named(&events, "error").is_empty(), "{events:?}");
    let done = named(&events, "done")[0].json();
    let records = done["data"]["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "asked for 2 records: {records:?}");
    assert!(records.iter().all(|r| r["colour"].is_string()));
    assert!(done["csv"].as_str().unwrap().starts_with("colour\n"));
    let (status, bad) = server
        .post_json(
            "/api/generate",
            json!({"schema": {"type": "string"}, "count": 2}),
        )
        .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (400, Some("GENERATE_FAILED"))
    );

    let (status, choices) = server.get_json("/api/models/choices").await;
    assert_eq!(status, 200);
    let local = &choices["models"][0];
    assert_eq!(local["id"], "smollm2");
    assert_eq!(local["private"], true);
    assert!(local["memory_bytes"].as_u64().unwrap() > 0);
    // The generations above were measured.
    assert!(
        local["speed"]["generation_tokens_per_second"]
            .as_f64()
            .unwrap()
            > 0.0,
        "{choices:#}"
    );
    assert!(choices["recommendation"]["name"].is_string());

    let (_, conversation) = server.post_json("/api/conversations", json!({})).await;
    let id = conversation["id"].as_str().unwrap();
    let refused = server
        .client
        .patch(server.url(&format!("/api/conversations/{id}")))
        .bearer_auth(support::TOKEN)
        .json(&json!({"adapter": {"path": "/nowhere/style.gguf", "scale": 0.5}}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "BAD_ADAPTER");

    let (status, unconfirmed) = server
        .post_json("/api/delete-everything", json!({"confirm": "yes"}))
        .await;
    assert_eq!(status, 400, "{unconfirmed}");
    assert_eq!(
        server
            .get_json("/api/conversations")
            .await
            .1
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let (status, deleted) = server
        .post_json(
            "/api/delete-everything",
            json!({"confirm": "delete everything"}),
        )
        .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["history"]["conversations"], 1);
    assert_eq!(server.get_json("/api/conversations").await.1, json!([]));
    let (_, prompts) = server.get_json("/api/prompts").await;
    assert!(prompts
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["builtin"] == true));
}
