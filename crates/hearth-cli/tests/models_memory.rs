//! Three real models sharing a memory budget that holds two, each in its own `hearth
//! worker` as the app runs them: asking each in turn loads, unloads the least recently
//! used idle one and loads again; a model answering is never unloaded, whatever its
//! age; and a load in progress does not hold up an answer from a loaded model. Order
//! is checked by events (a load held at a gate file the test controls), never by time.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hearth_core::{Hearth, Isolation, OpenOptions, Paths};
use hearth_llm::{GenerationEvent, GenerationOptions};

const MIB: u64 = 1 << 20;

/// Hearth on a new home whose workers start through a script that waits while `gate`
/// exists, then runs `hearth worker`.
fn open(home: &Path, gate: &Path) -> Hearth {
    std::env::set_var("HEARTH_KEYRING", "off");
    let paths = Paths::under(home);
    std::fs::create_dir_all(&paths.config).unwrap();
    // The GPU stays out: CI has a software Vulkan driver, and the budget here is RAM's.
    std::fs::write(
        paths.config_file(),
        "context_length = 512\nparallel = 1\nthreads = 2\ngpu_layers = \"off\"\nunload_idle_minutes = 0\nmemory_budget_mb = 1000000\n",
    )
    .unwrap();
    let script = home.join("gated-worker.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nwhile [ -e '{}' ]; do sleep 0.05; done\nexec '{}' worker \"$@\"\n",
            gate.display(),
            support::hearth_bin().display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
    Hearth::open(OpenOptions {
        paths,
        isolation: Some(Isolation::Worker {
            program: script,
            args: Vec::new(),
        }),
    })
    .unwrap()
}

fn spec(path: &Path) -> String {
    path.display().to_string()
}

fn short() -> GenerationOptions {
    GenerationOptions {
        max_tokens: Some(2),
        ..GenerationOptions::greedy()
    }
}

/// A two-token continuation from `model`, read to its end.
fn ask(hearth: &Hearth, model: &Path) {
    let completion = hearth
        .api_completion(Some(&spec(model)), "The sky is".into(), short())
        .unwrap()
        .wait()
        .unwrap();
    assert!(completion.completion_tokens > 0);
}

/// The loaded models' files, in a stable order.
fn loaded(hearth: &Hearth) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = hearth
        .loaded_models()
        .unwrap()
        .models
        .into_iter()
        .map(|m| m.path)
        .collect();
    paths.sort();
    paths
}

fn sorted(mut paths: Vec<PathBuf>) -> Vec<PathBuf> {
    paths.sort();
    paths
}

#[test]
fn three_models_share_a_budget_for_two() {
    let home = tempfile::tempdir().unwrap();
    let gate = home.path().join("gate");
    let hearth = open(home.path(), &gate);
    let smol = support::models::smollm2();
    let gemma = support::models::gemma3();
    let qwen = support::models::qwen_coder();

    // With room for all three, each loads once and stays: their estimates are known.
    for model in [&smol, &gemma, &qwen] {
        ask(&hearth, model);
    }
    let all = hearth.loaded_models().unwrap();
    assert_eq!(all.models.len(), 3, "{all:?}");
    let cost = |path: &Path| {
        all.models
            .iter()
            .find(|m| m.path == path)
            .map(|m| m.memory.ram)
            .unwrap()
    };
    let mut costs: Vec<u64> = [&smol, &gemma, &qwen].iter().map(|p| cost(p)).collect();
    costs.sort();
    assert!(costs[0] > 0, "{all:?}");

    // A budget that holds the two largest, and any two, but not all three.
    hearth.unload_models();
    let budget_mb = (costs[1] + costs[2] + costs[0] / 2).div_ceil(MIB);
    hearth
        .update_config(|c| c.memory_budget_mb = budget_mb)
        .unwrap();
    assert_eq!(
        hearth.loaded_models().unwrap().budget_bytes,
        budget_mb * MIB
    );
    assert!(costs.iter().sum::<u64>() > budget_mb * MIB);

    ask(&hearth, &smol);
    ask(&hearth, &gemma);
    assert_eq!(loaded(&hearth), sorted(vec![smol.clone(), gemma.clone()]));

    // SmolLM2 starts a long answer, then Gemma is used: SmolLM2 is the least recently
    // used, but it is answering, so Qwen's room comes from Gemma.
    let mut answer = hearth
        .api_completion(
            Some(&spec(&smol)),
            "Once upon a time".into(),
            GenerationOptions {
                max_tokens: Some(48),
                ignore_eos: true,
                ..GenerationOptions::greedy()
            },
        )
        .unwrap();
    assert!(matches!(
        answer.next_event(),
        Some(GenerationEvent::Delta { .. })
    ));
    ask(&hearth, &gemma);
    ask(&hearth, &qwen);
    assert_eq!(loaded(&hearth), sorted(vec![smol.clone(), qwen.clone()]));
    let busy: Vec<bool> = hearth
        .loaded_models()
        .unwrap()
        .models
        .iter()
        .filter(|m| m.path == smol)
        .map(|m| m.busy)
        .collect();
    assert_eq!(busy, [true], "SmolLM2 shows as answering");
    let done = answer.wait().expect("the answer ends as written");
    assert_eq!(done.completion_tokens, 48);
    // Its end counts as a use: Qwen is used after it, so SmolLM2 is the oldest again.
    ask(&hearth, &qwen);

    // Gemma comes back: SmolLM2 (idle, least recently used) makes room. Its worker is
    // held at the gate, and Qwen answers meanwhile.
    std::fs::write(&gate, b"").unwrap();
    let events = Arc::new(Mutex::new(Vec::<&str>::new()));
    std::thread::scope(|scope| {
        let loading = scope.spawn(|| {
            ask(&hearth, &gemma);
            events.lock().unwrap().push("gemma answered");
        });
        while !hearth.model_loads().iter().any(|l| l.path == gemma) {
            assert!(!loading.is_finished(), "the load waited for nothing");
            std::thread::yield_now();
        }
        events.lock().unwrap().push("gemma loading");
        ask(&hearth, &qwen);
        events.lock().unwrap().push("qwen answered");
        assert!(
            hearth.model_loads().iter().any(|l| l.path == gemma),
            "Gemma is still loading"
        );
        std::fs::remove_file(&gate).unwrap();
        loading.join().unwrap();
    });
    assert_eq!(
        *events.lock().unwrap(),
        ["gemma loading", "qwen answered", "gemma answered"]
    );
    assert_eq!(loaded(&hearth), sorted(vec![gemma.clone(), qwen.clone()]));

    // Unloaded by hand, by the id the list gives.
    let id = hearth
        .loaded_models()
        .unwrap()
        .models
        .into_iter()
        .find(|m| m.path == qwen)
        .unwrap()
        .id;
    hearth.unload_model(&id).unwrap();
    assert_eq!(loaded(&hearth), vec![gemma]);
    assert_eq!(hearth.unload_model(&id).unwrap_err().code(), "NOT_LOADED");
}
