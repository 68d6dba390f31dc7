//! Embeddings and documents over HTTP on the real models: `/v1/embeddings` in OpenAI's
//! shape (floats and base64, errors naming the field), and `/api` collections: ingestion
//! as a job streaming progress, listing, retrieval, a streamed cited answer whose sources
//! open as passages, "nothing relevant", removal.

use crate::support;

use serde_json::{json, Value};
use support::{read_events, start, Setup};

fn minilm() -> std::path::PathBuf {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.models/all-MiniLM-L6-v2");
    assert!(
        dir.join("model.safetensors").is_file(),
        "run scripts/fetch-models.sh minilm"
    );
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn embeddings_and_questions_about_documents_over_http() {
    let server = start(Setup::with_paths()).await;
    server
        .hearth
        .convert_model(&minilm(), Some("all-MiniLM-L6-v2"))
        .unwrap();

    // /v1/embeddings: one vector per input, normalized, in order.
    let (status, reply) = server
        .post_json(
            "/v1/embeddings",
            json!({ "model": "all-MiniLM-L6-v2", "input": ["The cat sat on the mat.", "A kitten rested on the rug."] }),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["object"], "list");
    assert_eq!(reply["model"], "all-MiniLM-L6-v2");
    let vectors: Vec<Vec<f64>> = reply["data"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            assert_eq!(d["index"], i);
            assert_eq!(d["object"], "embedding");
            d["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(vectors.len(), 2);
    assert_eq!(vectors[0].len(), 384);
    let norm: f64 = vectors[0].iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!((norm - 1.0).abs() < 1e-3, "{norm}");
    let cosine: f64 = vectors[0].iter().zip(&vectors[1]).map(|(a, b)| a * b).sum();
    assert!(cosine > 0.5, "paraphrases are close: {cosine}");
    assert!(reply["usage"]["prompt_tokens"].as_u64().unwrap() > 10);

    let (status, encoded) = server
        .post_json(
            "/v1/embeddings",
            json!({ "model": "all-MiniLM-L6-v2", "input": "The cat sat on the mat.", "encoding_format": "base64" }),
        )
        .await;
    assert_eq!(status, 200, "{encoded}");
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    let decoded: Vec<f64> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
        .collect();
    assert!(decoded
        .iter()
        .zip(&vectors[0])
        .all(|(a, b)| (a - b).abs() < 1e-4));

    for (body, param) in [
        (json!({ "model": "all-MiniLM-L6-v2", "input": [] }), "input"),
        (
            json!({ "model": "all-MiniLM-L6-v2", "input": [[1, 2, 3]] }),
            "input[0]",
        ),
        (
            json!({ "model": "all-MiniLM-L6-v2", "input": ["ok", ""] }),
            "input[1]",
        ),
        (
            json!({ "model": "all-MiniLM-L6-v2", "input": "x", "dimensions": 128 }),
            "dimensions",
        ),
        (
            json!({ "model": "all-MiniLM-L6-v2", "input": "x", "encoding_format": "hex" }),
            "encoding_format",
        ),
        (
            json!({ "model": "all-MiniLM-L6-v2", "input": "word ".repeat(800) }),
            "input",
        ),
        (json!({ "model": "no-such-model", "input": "x" }), "model"),
    ] {
        let (status, error) = server.post_json("/v1/embeddings", body.clone()).await;
        assert!(status == 400 || status == 404, "{body}: {status} {error}");
        assert_eq!(error["error"]["param"], param, "{body}: {error}");
    }

    // A collection from a folder, ingested as a job.
    let docs = tempfile::tempdir().unwrap();
    std::fs::write(
        docs.path().join("bread.md"),
        "# Sourdough bread\n\nKnead the dough for ten minutes.\n\n## Baking\n\nBake the loaf at 230 degrees Celsius for forty minutes.",
    )
    .unwrap();
    std::fs::write(
        docs.path().join("bike.txt"),
        "Fix a flat bicycle tyre by patching the inner tube.",
    )
    .unwrap();
    let folder = docs.path().to_str().unwrap().to_owned();
    let (status, error) = server
        .post_json(
            "/api/collections/Kitchen/add",
            json!({ "paths": ["/no/such/folder"] }),
        )
        .await;
    assert_eq!(
        (status, error["details"]["field"].clone()),
        (400, json!("paths[0]")),
        "{error}"
    );
    let events = read_events(
        server
            .post("/api/collections/Kitchen/add", json!({ "paths": [folder] }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let names: Vec<&str> = events
        .iter()
        .map(|e| e.name.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(names.first(), Some(&"started"), "{names:?}");
    assert!(names.contains(&"progress"), "{names:?}");
    let done = events
        .iter()
        .find(|e| e.name.as_deref() == Some("done"))
        .expect("done");
    assert_eq!(done.json()["report"]["added"], 2);

    let (status, list) = server.get_json("/api/collections").await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["name"], "Kitchen");
    assert_eq!(list[0]["files"], 2);
    let (_, files) = server.get_json("/api/collections/Kitchen/files").await;
    assert_eq!(files.as_array().unwrap().len(), 2);

    // Watching: on for a new collection, turned off and on by PATCH; the watcher's
    // status says it does not run in this server (tests start none).
    assert_eq!(list[0]["watch"], true);
    let (status, kitchen) = server
        .patch_json("/api/collections/kitchen", json!({ "watch": false }))
        .await;
    assert_eq!(
        (status, kitchen["watch"].clone()),
        (200, json!(false)),
        "{kitchen}"
    );
    let (_, list) = server.get_json("/api/collections").await;
    assert_eq!(list[0]["watch"], false);
    let (status, error) = server
        .patch_json("/api/collections/Kitchen", json!({ "watch": "yes" }))
        .await;
    assert_eq!(status, 400, "{error}");
    let (status, error) = server
        .patch_json("/api/collections/Kitchen", json!({ "name": "Pantry" }))
        .await;
    assert_eq!(status, 400, "unknown fields are refused: {error}");
    let (status, _) = server
        .patch_json("/api/collections/Nowhere", json!({ "watch": true }))
        .await;
    assert_eq!(status, 404);
    let (status, indexing) = server.get_json("/api/indexing").await;
    assert_eq!(status, 200, "{indexing}");
    assert_eq!(indexing["running"], false, "{indexing}");
    assert_eq!(indexing["recent"], json!([]));

    let (status, found) = server
        .post_json(
            "/api/retrieve",
            json!({ "question": "How do I repair a punctured bike tyre?", "limit": 1 }),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert!(
        found[0]["path"].as_str().unwrap().ends_with("bike.txt"),
        "{found}"
    );

    // A cited answer, streamed.
    let events = ask_loaf(&server).await;
    let started = events
        .iter()
        .find(|e| e.name.as_deref() == Some("started"))
        .expect("started")
        .json();
    let sources = started["sources"].as_array().unwrap();
    assert_eq!(sources[0]["number"], 1);
    assert!(
        sources[0]["label"]
            .as_str()
            .unwrap()
            .starts_with("bread.md"),
        "{started}"
    );
    let deltas: String = events
        .iter()
        .filter(|e| e.name.as_deref() == Some("delta"))
        .map(|e| e.json()["text"].as_str().unwrap().to_owned())
        .collect();
    let done = events
        .iter()
        .find(|e| e.name.as_deref() == Some("done"))
        .expect("done")
        .json();
    assert_eq!(done["completion"]["text"].as_str().unwrap(), deltas);
    assert!(
        done["cited"].is_array() && done["matched"].is_array(),
        "{done}"
    );
    // The grounding check, against the passages: every sentence of the answer marked.
    let marked = done["grounding"]["sentences"]
        .as_array()
        .expect("a grounding report");
    assert!(!marked.is_empty(), "{done}");
    assert!(
        marked
            .iter()
            .all(|s| ["supported", "not_found", "unchecked"]
                .contains(&s["support"].as_str().unwrap())),
        "{done}"
    );

    assert!(
        !events.iter().any(|e| e.name.as_deref() == Some("checking")),
        "the fast check needs no notice"
    );

    // Thorough: the answer is written, then a `checking` notice, then the report with
    // the similarity and the judge's marks.
    server
        .hearth
        .update_config(|c| c.grounding = hearth_core::grounding::GroundingMode::Thorough)
        .unwrap();
    let events = ask_loaf(&server).await;
    let names: Vec<&str> = events.iter().filter_map(|e| e.name.as_deref()).collect();
    let checking = names
        .iter()
        .position(|n| *n == "checking")
        .expect("checking");
    assert_eq!(names[checking + 1], "done", "{names:?}");
    assert!(names[..checking].iter().all(|n| *n != "done"), "{names:?}");
    let done = events.last().unwrap().json();
    assert_eq!(done["grounding"]["layers"][0], "facts", "{done}");
    assert!(
        done["grounding"]["layers"]
            .as_array()
            .unwrap()
            .contains(&json!("similarity")),
        "{done}"
    );
    server
        .hearth
        .update_config(|c| c.grounding = hearth_core::grounding::GroundingMode::Fast)
        .unwrap();

    let passage_id = sources[0]["id"].as_i64().unwrap();
    let (status, passage) = server
        .get_json(&format!("/api/passages/{passage_id}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        passage["text"].as_str().unwrap().contains("230 degrees"),
        "{passage}"
    );
    let (status, _) = server.get_json("/api/passages/999999").await;
    assert_eq!(status, 404);

    let events = read_events(
        server
            .post(
                "/api/ask",
                json!({ "question": "Who won the football world cup in 1998?" }),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    let nothing: Vec<Value> = events
        .iter()
        .filter(|e| e.name.as_deref() == Some("nothing_relevant"))
        .map(|e| e.json())
        .collect();
    assert_eq!(nothing.len(), 1, "{events:?}");
    assert!(nothing[0]["message"]
        .as_str()
        .unwrap()
        .contains("found nothing"));

    let (status, error) = server
        .post_json(
            "/api/ask",
            json!({ "question": "x", "history": [{ "role": "system", "content": "y" }] }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(error["details"]["field"], "history[0].role", "{error}");

    // A saved conversation attached to the collection keeps each answer's sources.
    let (status, conversation) = server.post_json("/api/conversations", json!({})).await;
    assert_eq!(status, 201, "{conversation}");
    let id = conversation["id"].as_str().unwrap().to_owned();
    let patch = |body: Value| {
        server
            .client
            .patch(server.url(&format!("/api/conversations/{id}")))
            .bearer_auth(support::TOKEN)
            .json(&body)
            .send()
    };
    let missing = patch(json!({ "collection": "Nope" })).await.unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    let attached: Value = patch(json!({ "collection": "kitchen" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(attached["settings"]["collection"], "Kitchen", "{attached}");
    let events = read_events(
        server
            .post(
                &format!("/api/conversations/{id}/messages"),
                json!({ "content": "At what temperature do I bake the loaf?", "options": { "temperature": 0.0, "max_tokens": 32 } }),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    let finished = events
        .iter()
        .find(|e| e.name.as_deref() == Some("finished"))
        .expect("finished")
        .json();
    let answer_id = finished["message"]["id"].as_str().unwrap().to_owned();
    let (_, view) = server.get_json(&format!("/api/conversations/{id}")).await;
    let stored = &view["sources"][&answer_id];
    assert!(
        stored[0]["label"].as_str().unwrap().starts_with("bread.md"),
        "{view}"
    );
    let detached: Value = patch(json!({ "collection": "" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        detached["settings"].get("collection").is_none(),
        "{detached}"
    );

    let (status, removed) = server
        .post_json(
            "/api/collections/Kitchen/remove",
            json!({ "path": docs.path().join("bike.txt").to_str().unwrap() }),
        )
        .await;
    assert_eq!(
        (status, removed["removed_files"].clone()),
        (200, json!(1)),
        "{removed}"
    );
    let response = server
        .client
        .delete(server.url("/api/collections/Kitchen"))
        .bearer_auth(support::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    let (status, _) = server.get_json("/api/collections/Kitchen/files").await;
    assert_eq!(status, 404);
}

/// Asks the Kitchen collection the loaf question, greedily, and reads every event.
async fn ask_loaf(server: &support::Server) -> Vec<support::SseEvent> {
    read_events(
        server
            .post(
                "/api/ask",
                json!({ "question": "At what temperature do I bake the loaf?", "collections": ["Kitchen"], "options": { "temperature": 0.0, "max_tokens": 48 } }),
            )
            .send()
            .await
            .unwrap(),
    )
    .await
}
