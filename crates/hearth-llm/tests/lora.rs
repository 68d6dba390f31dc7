//! LoRA adapters on the real default model: adapters written here with hearth-gguf's
//! writer, shaped from the model's own tensors, change greedy answers exactly when they
//! should (in process and through the worker protocol), keep saved contexts apart, and
//! every unusable adapter is refused with `BadAdapter` naming the file.

#[path = "support/lora_adapter.rs"]
mod lora_adapter;
mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hearth_llm::worker::protocol::{read_frame, write_frame, FromWorker, ToWorker};
use hearth_llm::{
    prepare_request, Completion, Engine, EngineExt, EngineSettings, GenerationEvent,
    GenerationOptions, LlamaEngine, LlmError, LoraAdapter, ModelInfo, Prompt, WorkerEngine,
    WorkerSettings,
};
use lora_adapter::{adapter_metadata, attn_q_lora, write_gguf, write_test_adapter, Tensor, RANK};

const PROMPT: &str = "<|im_start|>user\nWhat is the capital of France? Answer in one sentence.\
                      <|im_end|>\n<|im_start|>assistant\n";

fn greedy() -> GenerationOptions {
    GenerationOptions {
        max_tokens: Some(24),
        ..GenerationOptions::greedy()
    }
}

fn settings(adapter: Option<LoraAdapter>) -> EngineSettings {
    EngineSettings {
        context_length: 512,
        parallel: 1,
        threads: Some(2),
        adapter,
        ..Default::default()
    }
}

fn load(adapter: Option<LoraAdapter>) -> hearth_llm::Result<LlamaEngine> {
    LlamaEngine::load(&support::smollm2(), &settings(adapter))
}

fn answer(engine: &LlamaEngine) -> String {
    engine
        .complete(PROMPT.into(), greedy())
        .unwrap()
        .wait()
        .unwrap()
        .text
}

/// The base model's greedy answer, computed once.
fn base_answer() -> &'static str {
    static ANSWER: OnceLock<String> = OnceLock::new();
    ANSWER.get_or_init(|| {
        let text = answer(&load(None).expect("the default model loads"));
        assert!(!text.trim().is_empty(), "the base model answered nothing");
        text
    })
}

/// Test adapters, written once into one temporary folder.
struct Adapters {
    _dir: tempfile::TempDir,
    zero_b: PathBuf,
    random: PathBuf,
}

fn adapters() -> &'static Adapters {
    static ADAPTERS: OnceLock<Adapters> = OnceLock::new();
    ADAPTERS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let zero_b = dir.path().join("zero-b.gguf");
        write_test_adapter(&support::smollm2(), &zero_b, 7, true);
        let random = dir.path().join("random.gguf");
        write_test_adapter(&support::smollm2(), &random, 42, false);
        Adapters {
            _dir: dir,
            zero_b,
            random,
        }
    })
}

fn assert_reports(info: &ModelInfo, path: &Path, scale: f32) {
    let adapter = info
        .adapter
        .as_ref()
        .expect("the engine reports its adapter");
    assert_eq!(adapter.path, path);
    assert_eq!(adapter.scale, scale);
    assert_eq!(adapter.name, "test adapter");
}

#[test]
fn an_adapter_whose_b_is_zero_changes_nothing() {
    let path = &adapters().zero_b;
    let engine = load(Some(LoraAdapter::new(path, 1.0))).unwrap();
    assert_reports(&engine.info(), path, 1.0);
    assert_eq!(answer(&engine), base_answer());
}

#[test]
fn a_random_adapter_changes_the_answer_and_scale_zero_turns_it_off() {
    let path = &adapters().random;
    let tuned = load(Some(LoraAdapter::new(path, 1.0))).unwrap();
    assert_reports(&tuned.info(), path, 1.0);
    assert_ne!(answer(&tuned), base_answer(), "the adapter had no effect");
    drop(tuned);

    let off = load(Some(LoraAdapter::new(path, 0.0))).unwrap();
    assert_reports(&off.info(), path, 0.0);
    assert_eq!(answer(&off), base_answer());
}

#[test]
fn the_worker_applies_the_adapter_it_is_sent() {
    let path = &adapters().random;
    let adapter = LoraAdapter::new(path, 1.0);
    let in_process = answer(&load(Some(adapter.clone())).unwrap());

    // The child side of `hearth worker`, served over pipes in this process: the
    // settings cross the same JSON protocol as to a child process.
    let (child_in, mut to_child) = std::io::pipe().unwrap();
    let (mut from_child, child_out) = std::io::pipe().unwrap();
    let server = std::thread::spawn(move || hearth_llm::worker::serve(child_in, child_out));
    write_frame(
        &mut to_child,
        &ToWorker::Load {
            path: support::smollm2(),
            settings: settings(Some(adapter)),
        },
    )
    .unwrap();
    let info = loop {
        match read_frame::<_, FromWorker>(&mut from_child).unwrap() {
            Some(FromWorker::Loading { .. } | FromWorker::Placing { .. }) => continue,
            Some(FromWorker::Ready { info }) => break info,
            other => panic!("expected ready, got {other:?}"),
        }
    };
    assert_reports(&info, path, 1.0);
    let request = prepare_request(Prompt::Text(PROMPT.into()), greedy()).unwrap();
    write_frame(
        &mut to_child,
        &ToWorker::Generate {
            id: 1,
            request: Box::new(request),
        },
    )
    .unwrap();
    let completion: Completion = loop {
        match read_frame::<_, FromWorker>(&mut from_child).unwrap() {
            Some(FromWorker::Event {
                id: 1,
                event: GenerationEvent::Done { completion },
            }) => break completion,
            Some(FromWorker::Event {
                event: GenerationEvent::Failed { error },
                ..
            }) => panic!("the worker failed: {error}"),
            Some(_) => continue,
            None => panic!("the worker closed its output"),
        }
    };
    write_frame(&mut to_child, &ToWorker::Shutdown).unwrap();
    drop(to_child);
    server.join().unwrap().unwrap();

    assert_eq!(completion.text, in_process);
    assert_ne!(completion.text, base_answer());
}

/// A conversation long enough to be saved (saved states start at 64 tokens).
const LONG_PROMPT: &str = "<|im_start|>system\nYou are a patient teacher. Answer in two \
    sentences.<|im_end|>\n<|im_start|>user\nI am preparing a lesson about the water cycle \
    for a class of twelve-year-olds who have never studied it. They like stories, drawings \
    and small experiments they can do at home with paper, water, string and kitchen \
    scales. What is the single most important idea they should leave with?<|im_end|>\n\
    <|im_start|>assistant\n";

/// Without guessing ahead: how long a guess is depends on the step times an engine
/// measures, so batches (and, with this chaotic adapter, the rounding they bring) would
/// differ from one engine to the next; the answers compared here must be evaluated the
/// same way.
fn long_answer(engine: &LlamaEngine) -> Completion {
    let options = GenerationOptions {
        speculative: Some(false),
        ..greedy()
    };
    engine
        .complete(LONG_PROMPT.into(), options)
        .unwrap()
        .wait()
        .unwrap()
}

#[test]
fn saved_contexts_are_restored_only_under_the_same_adapter_and_scale() {
    let dir = tempfile::tempdir().unwrap();
    // Dropping an engine saves what its sequence holds.
    let engine = |adapter: Option<LoraAdapter>| {
        let settings = EngineSettings {
            saved_contexts: Some(dir.path().to_path_buf()),
            ..settings(adapter)
        };
        LlamaEngine::load(&support::smollm2(), &settings).unwrap()
    };
    let random = |scale| Some(LoraAdapter::new(&adapters().random, scale));

    let base = long_answer(&engine(None));
    assert_eq!(base.restored_tokens, 0);

    let tuned = engine(random(1.0));
    let first = long_answer(&tuned);
    assert_eq!(
        first.restored_tokens, 0,
        "restored a state saved without the adapter"
    );
    assert_ne!(first.text, base.text);
    // Asked again, the sequence's cache serves all but the last prompt token. The
    // answer can differ from the first: with F32 adapter tensors, llama.cpp's batched
    // and single-token products round differently, and this adapter makes the model
    // chaotic enough for that to show.
    let cached = long_answer(&tuned);
    assert!(cached.cached_tokens > 0, "{cached:?}");
    drop(tuned);

    // Under the same adapter and scale the saved state is restored and evaluated the
    // same way, so the answer is exactly the cached one.
    let restored = long_answer(&engine(random(1.0)));
    assert!(
        restored.restored_tokens > 0,
        "nothing restored: {restored:?}"
    );
    assert_eq!(restored.text, cached.text);

    let half = long_answer(&engine(random(0.5)));
    assert_eq!(
        half.restored_tokens, 0,
        "restored a state saved at another scale"
    );

    // And the base model still finds its own.
    let base_again = long_answer(&engine(None));
    assert!(
        base_again.restored_tokens > 0,
        "nothing restored: {base_again:?}"
    );
    assert_eq!(base_again.text, base.text);
}

/// Loads the model with `adapter` and returns the `BadAdapter` reason, checking that the
/// error names the file and has its stable code.
fn refusal(adapter: LoraAdapter) -> String {
    match load(Some(adapter.clone())) {
        Err(error @ LlmError::BadAdapter { .. }) => {
            assert_eq!(error.code(), "BAD_ADAPTER");
            let message = error.to_string();
            assert!(
                message.contains(&adapter.path.display().to_string()),
                "{message}"
            );
            let LlmError::BadAdapter { path, reason } = error else {
                unreachable!()
            };
            assert_eq!(path, adapter.path);
            reason
        }
        Err(other) => panic!("expected BadAdapter, got {other:?}"),
        Ok(_) => panic!("{} was accepted", adapter.path.display()),
    }
}

fn assert_mentions(reason: &str, words: &[&str]) {
    for word in words {
        assert!(reason.contains(word), "{word:?} not in {reason:?}");
    }
}

#[test]
fn unusable_adapters_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name);
    let refuse = |path: &Path| refusal(LoraAdapter::new(path, 1.0));
    let good = attn_q_lora(&support::smollm2(), 3, false);

    assert_mentions(&refuse(&file("missing.gguf")), &["does not exist"]);

    std::fs::write(file("notes.gguf"), "these are notes, not a GGUF file").unwrap();
    assert_mentions(&refuse(&file("notes.gguf")), &["not a GGUF"]);

    write_gguf(
        &file("model.gguf"),
        &adapter_metadata(&[("general.type", "model")]),
        &good,
    );
    assert_mentions(
        &refuse(&file("model.gguf")),
        &["not a LoRA adapter", "`model`"],
    );

    write_gguf(
        &file("cvec.gguf"),
        &adapter_metadata(&[("adapter.type", "control_vector")]),
        &good,
    );
    assert_mentions(
        &refuse(&file("cvec.gguf")),
        &["not a LoRA adapter", "`control_vector`"],
    );

    write_gguf(
        &file("gemma.gguf"),
        &adapter_metadata(&[("general.architecture", "gemma3")]),
        &good,
    );
    assert_mentions(&refuse(&file("gemma.gguf")), &["`gemma3`", "`llama`"]);

    let elsewhere: Vec<Tensor> = good
        .iter()
        .map(|t| Tensor {
            name: t.name.replace("attn_q", "attn_nowhere"),
            dims: t.dims.clone(),
            values: t.values.clone(),
        })
        .collect();
    write_gguf(&file("elsewhere.gguf"), &adapter_metadata(&[]), &elsewhere);
    assert_mentions(
        &refuse(&file("elsewhere.gguf")),
        &["attn_nowhere", "does not have"],
    );

    write_gguf(&file("empty.gguf"), &adapter_metadata(&[]), &[]);
    assert_mentions(&refuse(&file("empty.gguf")), &["no LoRA tensors"]);

    // Names and metadata are right but A's rows do not match the model's hidden size:
    // only llama.cpp knows every shape rule, and its refusal is the same error.
    let mut misshapen = attn_q_lora(&support::smollm2(), 5, false);
    misshapen[0].dims[0] = 100;
    misshapen[0].values.truncate((100 * RANK) as usize);
    write_gguf(&file("misshapen.gguf"), &adapter_metadata(&[]), &misshapen);
    assert_mentions(&refuse(&file("misshapen.gguf")), &["llama.cpp refused"]);
}

#[test]
fn a_scale_out_of_range_is_refused_in_process_and_before_a_worker_starts() {
    let path = &adapters().random;
    for scale in [f32::NAN, f32::NEG_INFINITY, 4.5, -100.0] {
        let reason = refusal(LoraAdapter::new(path, scale));
        assert_mentions(&reason, &["scale", "-4 to 4"]);
        // The program does not exist: only the check before spawning can answer.
        let worker = WorkerEngine::start(WorkerSettings {
            program: PathBuf::from("/nonexistent/hearth"),
            args: vec!["worker".into()],
            model: support::smollm2(),
            engine: settings(Some(LoraAdapter::new(path, scale))),
        });
        match worker {
            Err(LlmError::BadAdapter { reason, .. }) => assert_mentions(&reason, &["scale"]),
            Err(other) => panic!("expected BadAdapter, got {other:?}"),
            Ok(_) => panic!("a worker started with scale {scale}"),
        }
    }
}
