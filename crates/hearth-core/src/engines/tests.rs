//! The registry's rules on scripted engines: one load per key, room made least recently
//! used first, busy models kept, a load that does not hold up other models, idle models
//! unloaded. The same rules on real models are in hearth-cli's `models_memory` test.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use hearth_llm::fake::FakeEngine;
use hearth_llm::{EngineExt, EngineRequest, Generation, GenerationOptions, ModelInfo};

use super::*;

/// A fake engine that remembers being stopped.
struct Probe {
    fake: FakeEngine,
    stopped: AtomicBool,
}

impl Engine for Probe {
    fn info(&self) -> ModelInfo {
        self.fake.info()
    }
    fn submit(&self, request: EngineRequest) -> hearth_llm::Result<Generation> {
        self.fake.submit(request)
    }
    fn tokenize(&self, text: &str, add_special: bool) -> hearth_llm::Result<Vec<u32>> {
        self.fake.tokenize(text, add_special)
    }
    fn detokenize(&self, tokens: &[u32]) -> hearth_llm::Result<String> {
        self.fake.detokenize(tokens)
    }
    fn forget_contexts(&self) -> hearth_llm::Result<()> {
        Ok(())
    }
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
}

/// Models of `cost` bytes each, loaded as probes; remembers every one made.
struct Lab {
    engines: Engines,
    budget: u64,
    loads: AtomicUsize,
    made: Mutex<HashMap<String, Arc<Probe>>>,
    /// The busy models each load was told it waits for.
    waits: Mutex<Vec<Vec<EngineKey>>>,
}

impl Lab {
    fn new(budget: u64) -> Self {
        Self {
            engines: Engines::new(Some(Duration::from_secs(60))),
            budget,
            loads: AtomicUsize::new(0),
            made: Mutex::default(),
            waits: Mutex::default(),
        }
    }

    fn key(name: &str) -> EngineKey {
        EngineKey::local(Path::new(name), None)
    }

    fn get(&self, name: &str, cost: u64) -> Result<LoadedModel> {
        self.get_with(name, cost, || {})
    }

    /// As `get`, running `during_load` inside the load (to hold it there).
    fn get_with(&self, name: &str, cost: u64, during_load: impl FnOnce()) -> Result<LoadedModel> {
        let key = Self::key(name);
        self.engines.get_or_load(
            &key,
            LoadPlan {
                cost: Box::new(move || MemoryCost {
                    ram: cost,
                    ..MemoryCost::default()
                }),
                budget: Box::new(|| Budget {
                    ram: self.budget,
                    vram: HashMap::new(),
                }),
                waiting: Box::new(|busy| self.waits.lock().unwrap().push(busy.to_vec())),
                load: Box::new(|| {
                    during_load();
                    self.loads.fetch_add(1, Ordering::SeqCst);
                    let probe = Arc::new(Probe {
                        fake: FakeEngine::new().with_model_path(name),
                        stopped: AtomicBool::new(false),
                    });
                    self.made
                        .lock()
                        .unwrap()
                        .insert(name.to_owned(), probe.clone());
                    Ok((probe as Arc<dyn Engine>, Arc::default()))
                }),
            },
        )
    }

    fn loaded(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .engines
            .views()
            .unwrap()
            .into_iter()
            .map(|v| v.id)
            .collect();
        names.sort();
        names
    }

    fn stopped(&self, name: &str) -> bool {
        self.made.lock().unwrap()[name]
            .stopped
            .load(Ordering::SeqCst)
    }
}

#[test]
fn a_model_loads_once_and_every_request_shares_it() {
    let lab = Lab::new(100);
    let first = lab.get("a", 10).unwrap();
    let second = lab.get("a", 10).unwrap();
    assert_eq!(lab.loads.load(Ordering::SeqCst), 1);
    let path = |loaded: LoadedModel| loaded.engine_with(|engine, _| engine).info().path;
    assert_eq!(path(first), path(second));
    assert_eq!(lab.loaded(), ["a"]);
}

#[test]
fn requests_for_a_model_that_is_loading_wait_for_that_load() {
    let lab = Lab::new(100);
    let (entered, in_load) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let lab = &lab;
        let first = scope.spawn(move || {
            lab.get_with("a", 10, || {
                entered.send(()).unwrap();
                released.recv().unwrap();
            })
        });
        in_load.recv().unwrap();
        let second = scope.spawn(|| lab.get("a", 10));
        release.send(()).unwrap();
        first.join().unwrap().unwrap();
        second.join().unwrap().unwrap();
    });
    assert_eq!(lab.loads.load(Ordering::SeqCst), 1);
}

#[test]
fn a_load_in_progress_does_not_hold_up_a_loaded_model() {
    let lab = Lab::new(100);
    lab.get("a", 10).unwrap();
    let (entered, in_load) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let lab = &lab;
        let loading = scope.spawn(move || {
            lab.get_with("b", 10, || {
                entered.send(()).unwrap();
                released.recv().unwrap();
            })
        });
        in_load.recv().unwrap();
        // "b" is inside its load, held there by this test: "a" answers meanwhile.
        let a = lab.get("a", 10).unwrap();
        lab.made.lock().unwrap()["a"]
            .fake
            .reply_with(["still here"]);
        let text = a
            .engine_with(|engine, _| engine)
            .complete("hi".into(), GenerationOptions::default())
            .unwrap()
            .wait()
            .unwrap()
            .text;
        assert_eq!(text, "still here");
        assert!(!loading.is_finished());
        release.send(()).unwrap();
        loading.join().unwrap().unwrap();
    });
    assert_eq!(lab.loaded(), ["a", "b"]);
}

#[test]
fn room_is_made_least_recently_used_first_and_the_unloaded_engine_is_stopped() {
    let lab = Lab::new(100);
    drop(lab.get("a", 40).unwrap());
    drop(lab.get("b", 40).unwrap());
    drop(lab.get("a", 40).unwrap()); // "b" is now the least recently used
    drop(lab.get("c", 40).unwrap());
    assert_eq!(lab.loaded(), ["a", "c"]);
    assert!(lab.stopped("b"));
    assert!(!lab.stopped("a"));
}

#[test]
fn a_model_held_or_answering_is_never_unloaded_to_make_room() {
    let lab = Lab::new(100);
    let a = lab.get("a", 40).unwrap();
    // An answer running on "a", which is the least recently used from here on.
    let answer = a
        .engine_with(|engine, _| engine)
        .complete("long".into(), GenerationOptions::default())
        .unwrap();
    drop(lab.get("b", 40).unwrap());
    drop(lab.get("c", 40).unwrap());
    assert_eq!(lab.loaded(), ["a", "c"]);
    assert!(!lab.stopped("a"));
    assert!(lab.stopped("b"));

    // The answer ends as written, from the engine that was kept.
    let stream = lab.made.lock().unwrap()["a"]
        .fake
        .next_request(Duration::from_secs(60))
        .unwrap();
    stream.finish(hearth_llm::StopReason::EndOfGeneration);
    answer.wait().unwrap();
}

#[test]
fn a_model_that_needs_a_busy_ones_room_waits_for_its_answer_to_end() {
    let lab = Lab::new(100);
    let a = lab.get("a", 60).unwrap();
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| lab.get("b", 60));
        // "b" cannot load while "a" is held; it waits for "a" rather than failing.
        while lab.waits.lock().unwrap().is_empty() {
            std::thread::yield_now();
        }
        assert_eq!(*lab.waits.lock().unwrap(), [vec![Lab::key("a")]]);
        assert!(!waiting.is_finished());
        assert_eq!(lab.loaded(), ["a"]);
        assert!(!lab.stopped("a"));
        drop(a);
        waiting.join().unwrap().unwrap();
    });
    assert_eq!(lab.loaded(), ["b"]);
    assert!(lab.stopped("a"));
}

#[test]
fn a_model_bigger_than_the_budget_still_loads_alone() {
    let lab = Lab::new(100);
    drop(lab.get("small", 10).unwrap());
    drop(lab.get("huge", 500).unwrap());
    assert_eq!(lab.loaded(), ["huge"]);
}

#[test]
fn idle_models_unload_after_the_timeout_and_busy_ones_stay() {
    let lab = Lab::new(1000);
    drop(lab.get("idle", 10).unwrap());
    let held = lab.get("held", 10).unwrap();
    let now = Instant::now();
    assert!(
        lab.engines.unload_idle(now).is_empty(),
        "not idle long enough"
    );
    let later = now + Duration::from_secs(61);
    assert_eq!(lab.engines.unload_idle(later), [Lab::key("idle")]);
    assert_eq!(lab.loaded(), ["held"]);
    assert!(lab.stopped("idle"));
    drop(held);
    lab.engines.set_idle_after(None);
    assert!(
        lab.engines
            .unload_idle(later + Duration::from_secs(3600))
            .is_empty(),
        "0 keeps models loaded"
    );
}

#[test]
fn unloading_by_hand_refuses_a_busy_model_and_names_an_unknown_one() {
    let lab = Lab::new(1000);
    let held = lab.get("a", 10).unwrap();
    drop(lab.get("b", 10).unwrap());
    assert_eq!(lab.engines.unload("a").unwrap_err().code(), "MODEL_BUSY");
    assert_eq!(
        lab.engines.unload("/etc/passwd").unwrap_err().code(),
        "NOT_LOADED"
    );
    lab.engines.unload("b").unwrap();
    assert!(lab.stopped("b"));
    drop(held);
    lab.engines.unload("a").unwrap();
    assert!(lab.loaded().is_empty());
}

#[test]
fn a_failed_load_leaves_no_trace_and_the_next_request_tries_again() {
    let lab = Lab::new(100);
    let key = Lab::key("broken");
    let failed = lab.engines.get_or_load(
        &key,
        LoadPlan {
            cost: Box::new(|| MemoryCost {
                ram: 90,
                ..MemoryCost::default()
            }),
            budget: Box::new(|| Budget {
                ram: 100,
                vram: HashMap::new(),
            }),
            waiting: Box::new(|_| {}),
            load: Box::new(|| Err(CoreError::NoDefaultModel)),
        },
    );
    assert!(failed.is_err());
    // Its room was given back: a model of 90 loads beside nothing.
    drop(lab.get("other", 90).unwrap());
    assert_eq!(lab.loaded(), ["other"]);
    drop(lab.get("broken", 10).unwrap());
    assert_eq!(lab.loaded(), ["broken", "other"]);
}

#[test]
fn a_job_holding_the_busy_model_itself_gets_the_next_one_over_the_budget() {
    let lab = Lab::new(100);
    // A workflow keeps each step's model for its whole run, on its own thread: waiting
    // for its own first model to be released would wait for ever.
    let first_step = lab.get("a", 60).unwrap();
    let second_step = lab.get("b", 60).unwrap();
    assert_eq!(lab.loaded(), ["a", "b"]);
    assert!(lab.waits.lock().unwrap().is_empty());
    assert!(!lab.stopped("a"));
    drop((first_step, second_step));
    // Over the budget only while held: the next model makes room as usual.
    drop(lab.get("c", 60).unwrap());
    assert_eq!(lab.loaded(), ["c"]);
}
