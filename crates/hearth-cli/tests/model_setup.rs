//! `hearth models setup` end to end on the real binary: the catalog model recommended
//! for this machine's memory is downloaded from a loopback stand-in for the Hugging Face
//! hub (resuming a partial file, SHA-256 checked) and made the default; with the hub
//! unreachable or a corrupted download, SmolLM2 stays the default, the command says why
//! and how to try again, and still exits 0 so `scripts/setup.sh` goes on to its answer.
//!
//! The fake hub serves SmolLM2's bytes under the recommended model's repository and
//! file name, so the installed default really answers. Each test has its own
//! HEARTH_HOME and an empty HOME; nothing reaches the network.

mod support;

use std::ffi::OsStr;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use support::files_under;
use support::hub::{sha256_hex, smollm2_bytes, FakeHub};
use support::{describe, text};

/// A hub address where nothing listens.
const NO_HUB: &str = "http://127.0.0.1:9";
/// The library id scripts/setup.sh gives SmolLM2.
const SMOL: &str = "smollm2-135m";
/// Exit code for "no model" (`hearth --help`).
const MODEL_MISSING: i32 = 3;

struct Sandbox {
    root: tempfile::TempDir,
    hub: String,
}

impl Sandbox {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        for dir in ["hearth", "home"] {
            fs::create_dir_all(root.path().join(dir)).unwrap();
        }
        Sandbox {
            root,
            hub: NO_HUB.to_owned(),
        }
    }

    /// Like scripts/setup.sh before it runs `models setup`: SmolLM2 is the default.
    fn with_smollm2_default() -> Self {
        let sandbox = Sandbox::new();
        let smol = support::models::smollm2();
        sandbox.ok(&[
            "models",
            "add",
            smol.to_str().unwrap(),
            "--id",
            SMOL,
            "--default",
        ]);
        sandbox
    }

    fn models_dir(&self) -> PathBuf {
        self.root.path().join("hearth/data/models")
    }

    fn output<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        let mut command: Command = support::hearth(&self.root.path().join("hearth"));
        command
            .args(args)
            .env("HOME", self.root.path().join("home"))
            .env("HEARTH_HF_ENDPOINT", &self.hub)
            .env_remove("HF_TOKEN");
        for var in ["HF_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"] {
            command.env_remove(var);
        }
        command.output().unwrap()
    }

    fn ok<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        let output = self.output(args);
        assert!(output.status.success(), "{}", describe(&output));
        output
    }

    fn json<S: AsRef<OsStr>>(&self, args: &[S]) -> Value {
        let mut all: Vec<&OsStr> = vec![OsStr::new("--json")];
        all.extend(args.iter().map(AsRef::as_ref));
        let output = self.ok(&all);
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", describe(&output)))
    }

    /// `models setup`, which must exit with `code`; returns its stdout (the paragraph).
    fn setup(&self, code: i32) -> String {
        let output = self.output(&["models", "setup"]);
        assert_eq!(output.status.code(), Some(code), "{}", describe(&output));
        text(&output.stdout)
    }

    fn default_id(&self) -> Value {
        self.json(&["models", "default"])
            .get("id")
            .cloned()
            .unwrap_or(Value::Null)
    }

    fn ids(&self) -> Vec<String> {
        let models = self.json(&["models", "list"]);
        let mut ids: Vec<String> = models
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    }
}

/// The model `models compare` recommends for this machine, with its catalog entry: the
/// one the command under test must install.
struct Recommended {
    catalog: Value,
    reason: String,
}

impl Recommended {
    fn of(sandbox: &Sandbox) -> Self {
        let choices = sandbox.json(&["models", "compare"]);
        let id = choices["recommendation"]["catalog_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no model is recommended for this machine: {choices:#}"))
            .to_owned();
        let reason = choices["recommendation"]["reason"]
            .as_str()
            .unwrap()
            .to_owned();
        let catalog = sandbox.json(&["models", "pull", "--catalog"]);
        let catalog = catalog
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} is not in the catalog"))
            .clone();
        Recommended { catalog, reason }
    }

    fn field(&self, name: &str) -> &str {
        self.catalog[name].as_str().unwrap()
    }
}

fn assert_contains(haystack: &str, needles: &[&str]) {
    for needle in needles {
        assert!(haystack.contains(needle), "no {needle:?} in:\n{haystack}");
    }
}

#[test]
fn the_recommended_model_is_downloaded_checked_resumed_and_made_the_default() {
    let mut sandbox = Sandbox::with_smollm2_default();
    let recommended = Recommended::of(&sandbox);
    let (id, name, file) = (
        recommended.field("id"),
        recommended.field("name"),
        recommended.field("file"),
    );
    let (bytes, sha) = smollm2_bytes();
    let hub = FakeHub::start(recommended.field("repo"), file, bytes.clone(), sha);
    sandbox.hub = hub.url().to_owned();

    // A download stopped halfway (Ctrl-C) left its partial file; setup resumes it.
    let half = bytes.len() / 2;
    let partial = sandbox
        .models_dir()
        .join(".partial")
        .join(format!("{file}.part"));
    fs::create_dir_all(partial.parent().unwrap()).unwrap();
    fs::write(&partial, &bytes[..half]).unwrap();

    let paragraph = sandbox.setup(0);
    let installed = sandbox.models_dir().join(file);
    assert_contains(
        &paragraph,
        &[
            &format!("Your default model is now {name} ({id})"),
            "SHA-256 checked",
            &recommended.reason,
            recommended.field("description"),
            &installed.canonicalize().unwrap().display().to_string(),
            &format!("models default {SMOL}"),
        ],
    );
    let blobs = hub.blob_gets();
    assert_eq!(blobs.len(), 1, "{:#?}", hub.requests());
    assert_eq!(blobs[0].range, Some(format!("bytes={half}-")));
    assert_eq!(files_under(&sandbox.models_dir()), vec![installed.clone()]);
    assert_eq!(&sha256_hex(&fs::read(&installed).unwrap()), sha);

    assert_eq!(sandbox.default_id(), id);
    let mut expected = vec![id.to_owned(), SMOL.to_owned()];
    expected.sort();
    assert_eq!(sandbox.ids(), expected, "SmolLM2 stays for offline use");
    let model = sandbox.json(&["models", "default"]);
    assert_eq!(
        model["source"],
        serde_json::json!({
            "kind": "downloaded",
            "repo": recommended.field("repo"),
            "file": file,
            "sha256": sha,
        })
    );

    // Switching back as the paragraph says, then setup again with the hub gone: the
    // model downloaded earlier is the default again, and nothing is asked of the hub.
    sandbox.ok(&["models", "default", SMOL]);
    let seen = hub.requests().len();
    sandbox.hub = NO_HUB.to_owned();
    let again = sandbox.setup(0);
    assert_contains(
        &again,
        &[
            &format!("Your default model is {name} ({id}), downloaded earlier"),
            &format!("models default {SMOL}"),
        ],
    );
    assert_eq!(sandbox.default_id(), id);
    assert_eq!(hub.requests().len(), seen);

    // Last, since a measured speed can change the recommendation: the default answers.
    let answer = sandbox.json(&["run", "--temperature", "0", "-n", "4", "hi"]);
    assert!(
        answer["text"]
            .as_str()
            .is_some_and(|t| !t.trim().is_empty()),
        "{answer:#}"
    );
}

#[test]
fn with_the_hub_unreachable_smollm2_stays_the_default_and_the_way_to_try_again_is_told() {
    let sandbox = Sandbox::with_smollm2_default();
    let recommended = Recommended::of(&sandbox);

    let paragraph = sandbox.setup(0);
    assert_contains(
        &paragraph,
        &[
            "A better model was not reachable",
            NO_HUB,
            &format!(
                "{} ({})",
                recommended.field("name"),
                recommended.field("id")
            ),
            "tiny model for trying Hearth out",
            "To get the recommended model later, run: ",
            "models setup",
        ],
    );
    assert_eq!(sandbox.default_id(), SMOL);
    assert_eq!(sandbox.ids(), [SMOL]);
    assert!(files_under(&sandbox.models_dir()).is_empty());

    let setup = sandbox.json(&["models", "setup"]);
    assert_eq!(setup["outcome"]["kind"], "hub_unreachable", "{setup:#}");
    assert_eq!(setup["outcome"]["code"], "NETWORK", "{setup:#}");
    assert_eq!(setup["default"]["id"], SMOL, "{setup:#}");
    assert_eq!(
        setup["recommendation"]["catalog_id"],
        recommended.field("id")
    );
}

#[test]
fn a_download_that_fails_its_hash_is_refused_and_nothing_of_it_becomes_the_default() {
    let mut sandbox = Sandbox::with_smollm2_default();
    let recommended = Recommended::of(&sandbox);
    let (bytes, sha) = smollm2_bytes();
    let mut corrupted = bytes.clone();
    let middle = corrupted.len() / 2;
    corrupted[middle] ^= 0xff;
    let hub = FakeHub::start(
        recommended.field("repo"),
        recommended.field("file"),
        corrupted,
        sha,
    );
    sandbox.hub = hub.url().to_owned();

    let paragraph = sandbox.setup(0);
    assert_contains(
        &paragraph,
        &[
            "was not installed",
            "HASH_MISMATCH",
            "nothing of it was made the default",
            "tiny model for trying Hearth out",
            "models setup",
            sha,
        ],
    );
    assert_eq!(hub.blob_gets().len(), 1);
    assert_eq!(sandbox.default_id(), SMOL);
    assert_eq!(sandbox.ids(), [SMOL]);
    assert!(
        files_under(&sandbox.models_dir()).is_empty(),
        "{:?}",
        files_under(&sandbox.models_dir())
    );
}

#[test]
fn without_any_model_and_without_the_hub_it_says_how_to_get_one_and_fails() {
    let sandbox = Sandbox::new();
    let paragraph = sandbox.setup(MODEL_MISSING);
    assert_contains(
        &paragraph,
        &[
            "A better model was not reachable",
            "There is no default model yet",
            "models add FILE --default",
            "models setup",
        ],
    );
    assert_eq!(sandbox.default_id(), Value::Null);
}
