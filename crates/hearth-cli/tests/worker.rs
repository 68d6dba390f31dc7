//! Crash isolation: the engine in a `hearth worker` child process, on the real model.

mod support;

use hearth_llm::{
    ChatMessage, Engine, EngineSettings, GenerationEvent, GenerationOptions, LlamaEngine, LlmError,
    StopReason, WorkerEngine, WorkerSettings,
};

fn settings() -> EngineSettings {
    EngineSettings {
        context_length: 512,
        parallel: 1,
        threads: Some(2),
        ..Default::default()
    }
}

/// `hearth worker` on the default model.
fn worker_settings() -> WorkerSettings {
    WorkerSettings {
        program: support::hearth_bin(),
        args: vec!["worker".into()],
        model: support::models::smollm2(),
        engine: settings(),
    }
}

fn start_worker() -> WorkerEngine {
    WorkerEngine::start(worker_settings()).expect("worker starts and loads the default model")
}

fn greedy(n: u32) -> GenerationOptions {
    GenerationOptions {
        max_tokens: Some(n),
        ..GenerationOptions::greedy()
    }
}

fn ask(q: &str) -> Vec<ChatMessage> {
    vec![ChatMessage::user(q)]
}

#[test]
fn the_worker_answers_exactly_like_the_in_process_engine() {
    let worker = start_worker();
    let local = LlamaEngine::load(&support::models::smollm2(), &settings()).unwrap();
    let question = ask("Name three colours of the rainbow.");
    let remote = worker
        .chat(&question, greedy(32))
        .unwrap()
        .0
        .wait()
        .unwrap();
    let here = local.chat(&question, greedy(32)).unwrap().0.wait().unwrap();
    assert_eq!(remote.text, here.text);
    assert_eq!(remote.completion_tokens, here.completion_tokens);
    assert_eq!(worker.info().name, local.info().name);
    let text = "Grüße 🔥 日本語";
    assert_eq!(
        worker.tokenize(text, false).unwrap(),
        local.tokenize(text, false).unwrap()
    );
    assert_eq!(
        worker
            .detokenize(&worker.tokenize(text, false).unwrap())
            .unwrap(),
        text
    );
}

#[test]
fn killing_the_worker_mid_answer_is_an_error_and_the_next_request_restarts_it() {
    let worker = start_worker();
    let first_pid = worker.worker_pid().expect("worker running");
    let options = GenerationOptions {
        ignore_eos: true,
        ..greedy(400)
    };
    let mut generation = worker
        .chat(&ask("Tell me a long story."), options)
        .unwrap()
        .0;
    assert!(matches!(
        generation.next_event(),
        Some(GenerationEvent::Delta { .. })
    ));

    let status = std::process::Command::new("kill")
        .args(["-9", &first_pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let error = generation.wait().unwrap_err();
    match &error {
        LlmError::WorkerCrashed { reason } => assert!(reason.contains("signal 9"), "{reason}"),
        other => panic!("expected WorkerCrashed, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("next request starts a fresh one"),
        "{error}"
    );

    // This process is fine, and the next request brings up a new worker.
    let completion = worker
        .chat(&ask("Say hello."), greedy(8))
        .unwrap()
        .0
        .wait()
        .unwrap();
    assert!(completion.completion_tokens > 0);
    let second_pid = worker.worker_pid().expect("worker running again");
    assert_ne!(first_pid, second_pid);
    assert_eq!(worker.restarts(), 1);
}

#[test]
fn an_aborting_worker_is_reported_as_such() {
    let worker = start_worker();
    let pid = worker.worker_pid().unwrap();
    let options = GenerationOptions {
        ignore_eos: true,
        ..greedy(400)
    };
    let mut generation = worker
        .chat(&ask("Tell me a long story."), options)
        .unwrap()
        .0;
    assert!(matches!(
        generation.next_event(),
        Some(GenerationEvent::Delta { .. })
    ));
    // SIGABRT is what a GGML_ASSERT raises.
    std::process::Command::new("kill")
        .args(["-ABRT", &pid.to_string()])
        .status()
        .unwrap();
    match generation.wait() {
        Err(LlmError::WorkerCrashed { reason }) => assert!(reason.contains("SIGABRT"), "{reason}"),
        other => panic!("expected WorkerCrashed, got {other:?}"),
    }
    assert!(worker.chat(&ask("Hi"), greedy(4)).unwrap().0.wait().is_ok());
}

#[test]
fn cancelling_through_the_worker_stops_the_answer() {
    let worker = start_worker();
    let options = GenerationOptions {
        ignore_eos: true,
        ..greedy(400)
    };
    let mut generation = worker
        .chat(&ask("Tell me a long story."), options)
        .unwrap()
        .0;
    for _ in 0..3 {
        assert!(matches!(
            generation.next_event(),
            Some(GenerationEvent::Delta { .. })
        ));
    }
    generation.cancel();
    let completion = generation.wait().unwrap();
    assert_eq!(completion.stop_reason, StopReason::Cancelled);
    assert!(completion.completion_tokens < 400);
}

#[test]
fn a_bad_model_file_fails_to_start_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("junk.gguf");
    std::fs::write(&bad, b"this is not a model").unwrap();
    let err = WorkerEngine::start(WorkerSettings {
        program: support::hearth_bin(),
        args: vec!["worker".into()],
        model: bad.clone(),
        engine: settings(),
    })
    .err()
    .expect("a junk file must not load");
    match err {
        LlmError::InvalidModelFile { path, message } => {
            assert_eq!(path, bad);
            assert!(message.contains("GGUF"), "{message}");
        }
        other => panic!("expected InvalidModelFile, got {other:?}"),
    }
}

#[test]
fn a_missing_worker_program_is_a_spawn_error() {
    let err = WorkerEngine::start(WorkerSettings {
        program: "/nonexistent/hearth".into(),
        args: vec!["worker".into()],
        model: support::models::smollm2(),
        engine: settings(),
    })
    .err()
    .unwrap();
    assert!(matches!(err, LlmError::WorkerSpawn { .. }), "{err:?}");
}

#[test]
fn a_worker_saves_its_contexts_when_stopped_and_the_next_one_restores_them() {
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        WorkerEngine::start(WorkerSettings {
            program: support::hearth_bin(),
            args: vec!["worker".into()],
            model: support::models::smollm2(),
            engine: EngineSettings {
                saved_contexts: Some(dir.path().to_path_buf()),
                ..settings()
            },
        })
        .unwrap()
    };
    let mut messages = vec![
        ChatMessage::system("You are a concise travel guide."),
        ChatMessage::user(
            "I have three days in Lisbon in November, I like walking, old trams, \
             bookshops and fish, and I do not want to spend much. Plan the first day \
             for me, from breakfast to a late dinner, in a few sentences.",
        ),
    ];
    let first = {
        let worker = start();
        worker
            .chat(&messages, greedy(24))
            .unwrap()
            .0
            .wait()
            .unwrap()
        // Dropping the engine asks the worker to shut down, which saves its contexts.
    };
    messages.push(ChatMessage::assistant(first.text.clone()));
    messages.push(ChatMessage::user("And the second day?"));
    let worker = start();
    let second = worker.chat(&messages, greedy(8)).unwrap().0.wait().unwrap();
    assert!(
        second.restored_tokens >= first.prompt_tokens,
        "{} restored; the first prompt had {}",
        second.restored_tokens,
        first.prompt_tokens
    );
    worker.forget_contexts().unwrap();
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "forgetting through the worker empties the folder"
    );
}

/// A worker engine stopped on purpose (the app quits, or a model is unloaded to make
/// room) stays stopped: a request from a holder that outlived it, as a title written in
/// the background, fails instead of starting a worker no one manages.
#[test]
fn a_stopped_worker_engine_refuses_requests_instead_of_starting_another_worker() {
    let worker = start_worker();
    assert!(worker.worker_pid().is_some());
    worker.stop();
    assert_eq!(worker.worker_pid(), None);
    let err = worker
        .chat(&ask("Name a colour."), greedy(4))
        .expect_err("a stopped engine refuses the request");
    assert!(matches!(err, LlmError::EngineStopped), "{err:?}");
    assert_eq!(worker.worker_pid(), None);
    assert_eq!(worker.restarts(), 0);
}

/// Load progress, in process and from a worker: rising from the start to 1.0, which
/// comes only once the model can answer.
#[test]
fn loading_reports_progress_in_process_and_from_a_worker() {
    use std::sync::{Arc, Mutex};

    fn collector() -> (hearth_llm::LoadProgress, Arc<Mutex<Vec<f32>>>) {
        let seen: Arc<Mutex<Vec<f32>>> = Arc::default();
        let sink = seen.clone();
        (
            hearth_llm::LoadProgress::new(move |p| sink.lock().unwrap().push(p)),
            seen,
        )
    }
    fn check(what: &str, seen: &[f32]) {
        assert!(seen.len() >= 3, "{what}: too few reports {seen:?}");
        assert!(
            seen.windows(2).all(|w| w[0] <= w[1]),
            "{what}: progress went back {seen:?}"
        );
        assert_eq!(seen.last(), Some(&1.0), "{what}: {seen:?}");
        assert_eq!(
            seen.iter().filter(|p| **p == 1.0).count(),
            1,
            "{what}: 1.0 comes once, at the end: {seen:?}"
        );
    }

    let (progress, seen) = collector();
    let engine =
        LlamaEngine::load_with_progress(&support::models::smollm2(), &settings(), Some(progress))
            .unwrap();
    check("in process", &seen.lock().unwrap());
    drop(engine);

    let (progress, seen) = collector();
    let worker = WorkerEngine::start_with_progress(worker_settings(), Some(progress)).unwrap();
    check("worker", &seen.lock().unwrap());
    let answer = worker
        .chat(&ask("Hi"), greedy(4))
        .unwrap()
        .0
        .wait()
        .unwrap();
    assert!(answer.completion_tokens > 0);
}
