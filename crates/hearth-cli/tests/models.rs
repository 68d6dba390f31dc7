//! End-to-end tests of `hearth models ...` on the real binary and the real test models:
//! add (linked and copied), list, default, info, rm, scan of other apps' folders, and
//! pull from a loopback stand-in for the Hugging Face hub. Each test has its own
//! HEARTH_HOME, and every command is pointed away from the real home folder and the
//! real hub, so nothing here reads the user's files or reaches the network.

mod support;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::files_under;
use support::hub::{sha256_hex, smollm2_bytes, FakeHub};
use support::{describe, text};

/// Exit codes from `hearth --help`.
const MODEL_MISSING: i32 = 3;
const MODEL_INVALID: i32 = 4;

/// A hub address where nothing listens: a command that tried to download without a
/// test's fake hub would fail here instead of reaching huggingface.co.
const NO_HUB: &str = "http://127.0.0.1:9";

/// A scratch area: `hearth/` is HEARTH_HOME, `files/` holds model files the tests
/// make, `home/` is an empty HOME so no other app's folders are found.
struct Sandbox {
    root: tempfile::TempDir,
    env: Vec<(String, PathBuf)>,
    hub: String,
}

impl Sandbox {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        for dir in ["hearth", "files", "home"] {
            fs::create_dir_all(root.path().join(dir)).unwrap();
        }
        Sandbox {
            root,
            env: Vec::new(),
            hub: NO_HUB.to_owned(),
        }
    }

    fn hearth_home(&self) -> PathBuf {
        self.root.path().join("hearth")
    }

    fn models_dir(&self) -> PathBuf {
        self.hearth_home().join("data/models")
    }

    /// A path under `files/`, its folder created.
    fn file(&self, name: &str) -> PathBuf {
        let path = self.root.path().join("files").join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        path
    }

    /// A copy of SmolLM2 under `files/` (a hard link where possible), for tests where
    /// a bug could delete it: the real test model must survive any outcome.
    fn smollm2_copy(&self, name: &str) -> PathBuf {
        let path = self.file(name);
        link_or_copy(&support::models::smollm2(), &path);
        path
    }

    fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut command = support::hearth(&self.hearth_home());
        command
            .args(args)
            .env("HOME", self.root.path().join("home"))
            .env("HEARTH_HF_ENDPOINT", &self.hub)
            .env_remove("HF_TOKEN");
        for var in [
            "HF_HUB_CACHE",
            "HF_HOME",
            "XDG_CACHE_HOME",
            "XDG_DATA_HOME",
            "OLLAMA_MODELS",
        ] {
            command.env_remove(var);
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    fn output<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs a command that must succeed.
    fn ok<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        let output = self.output(args);
        assert!(
            output.status.success(),
            "hearth {:?} failed:\n{}",
            os(args),
            describe(&output)
        );
        output
    }

    /// Runs a command with `--json` that must succeed, and parses its stdout.
    fn json<S: AsRef<OsStr>>(&self, args: &[S]) -> Value {
        let mut all: Vec<&OsStr> = vec![OsStr::new("--json")];
        all.extend(args.iter().map(AsRef::as_ref));
        let output = self.ok(&all);
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout of hearth {:?} is not JSON ({e}):\n{}",
                os(&all),
                describe(&output)
            )
        })
    }

    /// Runs a command that must fail with `code`; returns its stderr.
    fn fails<S: AsRef<OsStr>>(&self, args: &[S], code: i32) -> String {
        let output = self.output(args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "hearth {:?}:\n{}",
            os(args),
            describe(&output)
        );
        text(&output.stderr)
    }

    /// `models list --json`.
    fn list(&self) -> Vec<Value> {
        match self.json(&["models", "list"]) {
            Value::Array(models) => models,
            other => panic!("models list --json is not an array: {other}"),
        }
    }

    fn ids(&self) -> Vec<String> {
        self.list()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn os<S: AsRef<OsStr>>(args: &[S]) -> Vec<&OsStr> {
    args.iter().map(AsRef::as_ref).collect()
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

fn canonical(path: &Path) -> String {
    path_str(&path.canonicalize().unwrap()).to_owned()
}

fn link_or_copy(from: &Path, to: &Path) {
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    if fs::hard_link(from, to).is_err() {
        fs::copy(from, to).unwrap();
    }
}

/// The entry with `id` in a `models list --json` array.
fn entry<'a>(models: &'a [Value], id: &str) -> &'a Value {
    models
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no model {id} in {models:#?}"))
}

fn assert_is_smollm2(model: &Value) {
    assert_eq!(model["summary"]["architecture"], "llama", "{model:#}");
    assert_eq!(model["summary"]["quantization"], "Q4_1", "{model:#}");
    assert!(model["problem"].is_null(), "{model:#}");
}

/// `hearth run -n 4 hi` with no `-m`: it must answer with the default model.
fn assert_runs_with_the_default_model(sandbox: &Sandbox) {
    let answer = sandbox.json(&["run", "--temperature", "0", "-n", "4", "hi"]);
    let tokens = answer["completion_tokens"].as_u64().unwrap();
    assert!((1..=4).contains(&tokens), "{answer:#}");
    assert!(
        answer["text"]
            .as_str()
            .is_some_and(|t| !t.trim().is_empty()),
        "{answer:#}"
    );
}

// ---- add, list, default, info, rm ------------------------------------------------------

#[test]
fn add_links_or_copies_a_model_and_list_shows_what_its_header_says() {
    let sandbox = Sandbox::new();
    let original = support::models::smollm2();
    let linked = sandbox.smollm2_copy("linked/smol.gguf");

    let added = sandbox.json(&[
        "models",
        "add",
        path_str(&linked),
        "--id",
        "smol",
        "--default",
    ]);
    assert_eq!(added["id"], "smol");
    assert_eq!(added["is_default"], true);
    assert_eq!(added["source"]["kind"], "linked");
    assert_eq!(added["path"], canonical(&linked));
    assert_is_smollm2(&added);
    assert!(
        files_under(&sandbox.models_dir()).is_empty(),
        "a linked model must not be copied"
    );

    let copied = sandbox.json(&[
        "models",
        "add",
        path_str(&original),
        "--copy",
        "--id",
        "smol-copy",
    ]);
    let copy_path = sandbox.models_dir().join(original.file_name().unwrap());
    assert_eq!(copied["id"], "smol-copy");
    assert_eq!(copied["is_default"], false, "--default was not asked for");
    assert_eq!(copied["source"]["kind"], "copied");
    assert_eq!(copied["source"]["from"], path_str(&original));
    assert_eq!(copied["path"], canonical(&copy_path));
    assert_eq!(
        fs::read(&copy_path).unwrap().len(),
        fs::metadata(&original).unwrap().len() as usize
    );
    assert_eq!(
        files_under(&sandbox.models_dir()),
        vec![copy_path],
        "only the copy, no temporary file"
    );

    let models = sandbox.list();
    assert_eq!(sandbox.ids(), ["smol", "smol-copy"]);
    for model in &models {
        assert_is_smollm2(model);
    }
    assert_eq!(entry(&models, "smol")["is_default"], true);
    assert_eq!(entry(&models, "smol-copy")["is_default"], false);

    // The human list: one line per model, the default marked with `*`.
    let listing = text(&sandbox.ok(&["models", "list"]).stdout);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 2, "{listing}");
    assert!(lines[0].starts_with("* smol "), "{listing}");
    assert!(lines[1].starts_with("  smol-copy "), "{listing}");
    for line in lines {
        assert!(
            line.contains("llama") && line.contains("Q4_1") && line.contains("135M params"),
            "{line}"
        );
    }

    // Adding the same file again is the same entry, not a second one.
    let again = sandbox.json(&["models", "add", path_str(&linked)]);
    assert_eq!(again["id"], "smol");
    assert_eq!(sandbox.ids(), ["smol", "smol-copy"]);
}

#[test]
fn the_default_model_can_be_shown_and_changed() {
    let sandbox = Sandbox::new();
    let stderr = text(&sandbox.ok(&["models", "default"]).stderr);
    assert!(stderr.contains("No default model"), "{stderr}");
    assert_eq!(sandbox.json(&["models", "default"]), Value::Null);

    let first = sandbox.smollm2_copy("a/first.gguf");
    let second = sandbox.smollm2_copy("b/second.gguf");
    sandbox.ok(&["models", "add", path_str(&first)]);
    sandbox.ok(&["models", "add", path_str(&second)]);
    assert_eq!(sandbox.ids(), ["first", "second"]);
    assert_eq!(
        sandbox.json(&["models", "default"]),
        Value::Null,
        "adding does not make a default"
    );

    let set = sandbox.json(&["models", "default", "second"]);
    assert_eq!(
        (&set["id"], &set["is_default"]),
        (&Value::from("second"), &Value::from(true))
    );
    let shown = text(&sandbox.ok(&["models", "default"]).stdout);
    assert!(shown.starts_with("* second "), "{shown}");
    let defaults: Vec<bool> = sandbox
        .list()
        .iter()
        .map(|m| m["is_default"].as_bool().unwrap())
        .collect();
    assert_eq!(defaults, [false, true]);

    // By path too.
    assert_eq!(
        sandbox.json(&["models", "default", path_str(&first)])["id"],
        "first"
    );
    assert_eq!(sandbox.json(&["models", "default"])["id"], "first");

    let stderr = sandbox.fails(&["models", "default", "nope"], MODEL_MISSING);
    assert!(
        stderr.contains("nope") && stderr.contains("hearth models list"),
        "{stderr}"
    );
    assert_eq!(
        sandbox.json(&["models", "default"])["id"],
        "first",
        "a failed change keeps the default"
    );
}

#[test]
fn info_gives_the_summary_and_a_memory_estimate() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "models",
        "add",
        path_str(&support::models::smollm2()),
        "--id",
        "smol",
        "--default",
    ]);

    // Without --ctx-size: the configured 4096 tokens times 2 parallel sequences.
    let info = sandbox.json(&["models", "info"]);
    assert_eq!(info["model"]["id"], "smol");
    assert_is_smollm2(&info["model"]);
    let memory = &info["memory"];
    let part = |name: &str| {
        memory[name]
            .as_u64()
            .unwrap_or_else(|| panic!("memory.{name} in {info:#}"))
    };
    assert_eq!(part("n_ctx"), 8192);
    assert!(part("weights") > 50_000_000, "{memory:#}");
    assert!(
        part("kv_cache") > 0 && part("compute") > 0 && part("overhead") > 0,
        "{memory:#}"
    );
    assert!(part("total") > part("weights"), "{memory:#}");
    let sum = [
        "weights",
        "repacked_weights",
        "kv_cache",
        "compute",
        "overhead",
    ]
    .map(part)
    .iter()
    .sum::<u64>();
    assert_eq!(part("total"), sum, "{memory:#}");
    assert!(
        info["available_memory"].as_u64().is_some_and(|a| a > 0),
        "{info:#}"
    );
    assert!(
        ["Fits", "Tight", "WillNotFit"].contains(&info["verdict"].as_str().unwrap_or("none")),
        "{info:#}"
    );

    // A smaller context needs less memory for the same weights.
    let small = sandbox.json(&["models", "info", "smol", "--ctx-size", "1024"]);
    assert_eq!(small["memory"]["n_ctx"], 1024);
    assert_eq!(small["memory"]["weights"], memory["weights"]);
    assert!(
        small["memory"]["total"].as_u64().unwrap() < part("total"),
        "{small:#}"
    );

    let human = text(&sandbox.ok(&["models", "info"]).stdout);
    for expected in [
        "id:            smol",
        "architecture:  llama",
        "quantization:  Q4_1",
        "chat template: yes",
        "memory at 8192 tokens of context:",
        "available now:",
    ] {
        assert!(
            human.contains(expected),
            "`{expected}` missing from:\n{human}"
        );
    }
    assert!(
        ["Fits", "Tight", "WillNotFit"]
            .iter()
            .any(|v| human.contains(v)),
        "{human}"
    );
}

#[test]
fn rm_deletes_a_copied_file_only_when_asked_and_a_linked_file_never() {
    let sandbox = Sandbox::new();
    let linked = sandbox.smollm2_copy("linked.gguf");
    let source = sandbox.smollm2_copy("to-copy/smol.gguf");
    let copy = sandbox.models_dir().join("smol.gguf");
    sandbox.ok(&[
        "models",
        "add",
        path_str(&linked),
        "--id",
        "linked",
        "--default",
    ]);
    sandbox.ok(&[
        "models",
        "add",
        path_str(&source),
        "--copy",
        "--id",
        "copied",
    ]);
    assert!(copy.is_file());

    // Without --delete the copy stays on disk.
    let removed = sandbox.ok(&["models", "rm", "copied"]);
    assert!(
        text(&removed.stdout).contains("copied"),
        "{}",
        describe(&removed)
    );
    assert_eq!(sandbox.ids(), ["linked"]);
    assert!(copy.is_file(), "rm without --delete must keep the file");

    // With --delete it goes.
    sandbox.ok(&[
        "models",
        "add",
        path_str(&source),
        "--copy",
        "--id",
        "copied",
    ]);
    let removed = sandbox.json(&["models", "rm", "copied", "--delete"]);
    assert_eq!(removed["id"], "copied");
    assert!(!copy.exists(), "rm --delete must delete a copy Hearth made");
    assert!(
        source.is_file(),
        "the file it was copied from is not Hearth's"
    );
    assert!(files_under(&sandbox.models_dir()).is_empty());

    // A linked file is never deleted, and removing the default clears it.
    sandbox.ok(&["models", "rm", "linked", "--delete"]);
    assert!(
        linked.is_file(),
        "rm --delete must never delete a linked file"
    );
    assert!(
        !sandbox.models_dir().join(".partial").exists(),
        "an empty .partial folder was left behind"
    );
    assert!(sandbox.ids().is_empty());
    assert_eq!(sandbox.json(&["models", "default"]), Value::Null);
}

#[test]
fn run_without_a_model_uses_the_default_once_one_is_added() {
    let sandbox = Sandbox::new();
    let stderr = sandbox.fails(&["run", "-n", "4", "hi"], MODEL_MISSING);
    assert!(stderr.contains("hearth models add"), "{stderr}");

    sandbox.ok(&[
        "models",
        "add",
        path_str(&support::models::smollm2()),
        "--default",
    ]);
    assert_runs_with_the_default_model(&sandbox);
    let plain = sandbox.ok(&["run", "-n", "4", "hi"]);
    assert!(
        !text(&plain.stdout).trim().is_empty(),
        "{}",
        describe(&plain)
    );
}

// ---- bad input -------------------------------------------------------------------------

#[test]
fn adding_a_file_that_is_not_a_valid_model_exits_4_and_names_it() {
    let sandbox = Sandbox::new();
    let truncated = sandbox.file("truncated.gguf");
    fs::write(&truncated, &smollm2_bytes().0[..4096]).unwrap();
    let notes = sandbox.file("notes.gguf");
    fs::write(&notes, "These are my notes from Tuesday, not a model.\n").unwrap();

    for bad in [&truncated, &notes] {
        let stderr = sandbox.fails(&["models", "add", path_str(bad)], MODEL_INVALID);
        assert!(
            stderr.contains(path_str(bad)),
            "the message must name the file:\n{stderr}"
        );
        let stderr = sandbox.fails(&["models", "add", path_str(bad), "--copy"], MODEL_INVALID);
        assert!(stderr.contains(path_str(bad)), "{stderr}");
    }

    let output = sandbox.output(&["--json", "models", "add", path_str(&truncated)]);
    assert_eq!(output.status.code(), Some(MODEL_INVALID));
    let error: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(error["error"]["code"], "INVALID_MODEL_FILE", "{error:#}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains(path_str(&truncated)),
        "{error:#}"
    );

    assert!(
        sandbox.ids().is_empty(),
        "nothing invalid may enter the library"
    );
    assert!(
        files_under(&sandbox.models_dir()).is_empty(),
        "an invalid file must not be copied"
    );
}

#[test]
fn missing_models_exit_3_with_a_hint() {
    let sandbox = Sandbox::new();
    let missing = sandbox.file("no-such-model.gguf");
    let stderr = sandbox.fails(&["models", "add", path_str(&missing)], MODEL_MISSING);
    assert!(stderr.contains(path_str(&missing)), "{stderr}");

    let stderr = sandbox.fails(&["models", "rm", "nope"], MODEL_MISSING);
    assert!(
        stderr.contains("nope") && stderr.contains("hearth models list"),
        "{stderr}"
    );

    let stderr = sandbox.fails(&["models", "info"], MODEL_MISSING);
    assert!(stderr.contains("hearth models add"), "{stderr}");

    let stderr = sandbox.fails(&["models", "pull", "no-such-catalog-model"], MODEL_MISSING);
    assert!(
        stderr.contains("no-such-catalog-model") && stderr.contains("smollm2-135m"),
        "{stderr}"
    );
    assert!(sandbox.ids().is_empty());
}

// ---- scan ------------------------------------------------------------------------------

/// Other apps' folders holding SmolLM2: a Hugging Face cache (snapshot symlink into
/// `blobs/`) and an Ollama store (manifest naming `blobs/sha256-<hex>`), plus an Ollama
/// manifest whose blob is gone.
struct OtherApps {
    hf_cache: PathBuf,
    hf_blob: PathBuf,
    ollama: PathBuf,
    ollama_blob: PathBuf,
}

fn other_apps(sandbox: &Sandbox) -> OtherApps {
    let model = support::models::smollm2();
    let sha = &smollm2_bytes().1;

    let hf_cache = sandbox.file("hf-cache/hub");
    let repo = hf_cache.join("models--org--smol-GGUF");
    let hf_blob = repo.join("blobs").join(sha);
    link_or_copy(&model, &hf_blob);
    let revision = "0123456789abcdef0123456789abcdef01234567";
    let snapshot = repo.join("snapshots").join(revision);
    fs::create_dir_all(&snapshot).unwrap();
    std::os::unix::fs::symlink(
        Path::new("../../blobs").join(sha),
        snapshot.join("smol.gguf"),
    )
    .unwrap();
    fs::create_dir_all(repo.join("refs")).unwrap();
    fs::write(repo.join("refs/main"), revision).unwrap();

    let ollama = sandbox.file("ollama/models");
    let ollama_blob = ollama.join("blobs").join(format!("sha256-{sha}"));
    link_or_copy(&model, &ollama_blob);
    let manifest = |digest: &str| {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": { "mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:00", "size": 2 },
            "layers": [
                { "mediaType": "application/vnd.ollama.image.model", "digest": digest, "size": 98362432 },
                { "mediaType": "application/vnd.ollama.image.template", "digest": "sha256:11", "size": 10 }
            ]
        })
        .to_string()
    };
    let library = ollama.join("manifests/registry.ollama.ai/library");
    fs::create_dir_all(library.join("smol")).unwrap();
    fs::write(
        library.join("smol/latest"),
        manifest(&format!("sha256:{sha}")),
    )
    .unwrap();
    fs::create_dir_all(library.join("gone")).unwrap();
    fs::write(
        library.join("gone/latest"),
        manifest(&format!("sha256:{}", "ab".repeat(32))),
    )
    .unwrap();

    OtherApps {
        hf_cache,
        hf_blob,
        ollama,
        ollama_blob,
    }
}

#[test]
fn scan_finds_hugging_face_and_ollama_models_and_adds_them_in_place() {
    let mut sandbox = Sandbox::new();
    let apps = other_apps(&sandbox);
    sandbox.env = vec![
        ("HF_HUB_CACHE".into(), apps.hf_cache.clone()),
        ("OLLAMA_MODELS".into(), apps.ollama.clone()),
    ];

    let report = sandbox.json(&["models", "scan"]);
    let found = report["found"].as_array().unwrap();
    let summary: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f["source"].as_str().unwrap(), f["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("HuggingFace", "org/smol-GGUF/smol.gguf"),
            ("Ollama", "smol:latest")
        ],
        "{report:#}"
    );
    assert_eq!(found[0]["real_path"], canonical(&apps.hf_blob));
    assert_eq!(found[1]["real_path"], canonical(&apps.ollama_blob));
    for model in found {
        assert_eq!(model["size"], smollm2_bytes().0.len());
    }
    let skipped = report["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{report:#}");
    assert!(
        skipped[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("gone/latest"),
        "{report:#}"
    );
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("ollama pull gone:latest"),
        "{report:#}"
    );
    assert_eq!(report["added"], serde_json::json!([]));
    assert!(
        sandbox.ids().is_empty(),
        "a scan without --add changes nothing"
    );

    let human = sandbox.ok(&["models", "scan"]);
    let (stdout, stderr) = (text(&human.stdout), text(&human.stderr));
    assert!(
        stdout.contains("Hugging Face cache") && stdout.contains("org/smol-GGUF/smol.gguf"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Ollama") && stdout.contains("smol:latest"),
        "{stdout}"
    );
    assert!(
        stderr.contains("skipped") && stderr.contains("hearth models scan --add"),
        "{stderr}"
    );

    let report = sandbox.json(&["models", "scan", "--add"]);
    assert_eq!(report["added"].as_array().unwrap().len(), 2, "{report:#}");
    let models = sandbox.list();
    assert_eq!(sandbox.ids(), ["org-smol-gguf-smol.gguf", "smol-latest"]);
    let hf = entry(&models, "org-smol-gguf-smol.gguf");
    assert_eq!(
        hf["source"],
        serde_json::json!({ "kind": "found", "app": "Hugging Face cache" })
    );
    assert_eq!(hf["path"], canonical(&apps.hf_blob));
    let ollama = entry(&models, "smol-latest");
    assert_eq!(
        ollama["source"],
        serde_json::json!({ "kind": "found", "app": "Ollama" })
    );
    assert_eq!(ollama["path"], canonical(&apps.ollama_blob));
    for model in &models {
        assert_is_smollm2(model);
    }
    assert!(
        files_under(&sandbox.models_dir()).is_empty(),
        "scanned models are used in place, never copied"
    );

    // Scanning again adds nothing twice, and a found model runs.
    sandbox.ok(&["models", "scan", "--add"]);
    assert_eq!(sandbox.ids().len(), 2);
    sandbox.ok(&["models", "default", "smol-latest"]);
    assert_runs_with_the_default_model(&sandbox);
}

// ---- pull ------------------------------------------------------------------------------

const REPO: &str = "org/smol-GGUF";
const FILE: &str = "smol.gguf";

fn pull_spec() -> String {
    format!("{REPO}/{FILE}")
}

#[test]
fn pull_downloads_checks_and_adds_the_model_then_run_uses_it() {
    let (bytes, sha) = smollm2_bytes();
    let hub = FakeHub::start(REPO, FILE, bytes.clone(), sha);
    let mut sandbox = Sandbox::new();
    sandbox.hub = hub.url().to_owned();

    let pulled = sandbox.ok(&["models", "pull", &pull_spec(), "--default"]);
    assert!(
        text(&pulled.stdout).contains("smol"),
        "{}",
        describe(&pulled)
    );
    let downloaded = sandbox.models_dir().join(FILE);
    assert_eq!(
        files_under(&sandbox.models_dir()),
        vec![downloaded.clone()],
        "no partial file may be left"
    );
    assert_eq!(&sha256_hex(&fs::read(&downloaded).unwrap()), sha);

    let models = sandbox.list();
    assert_eq!(models.len(), 1, "{models:#?}");
    let model = &models[0];
    assert_eq!(model["id"], "smol");
    assert_eq!(model["is_default"], true);
    assert_eq!(model["path"], canonical(&downloaded));
    assert_eq!(
        model["source"],
        serde_json::json!({ "kind": "downloaded", "repo": REPO, "file": FILE, "sha256": sha })
    );
    assert_is_smollm2(model);

    let seen = hub.requests();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("HEAD", "/org/smol-GGUF/resolve/main/smol.gguf")
    );
    assert_eq!(hub.blob_gets().len(), 1, "{seen:#?}");

    assert_runs_with_the_default_model(&sandbox);

    // Pulling again finds the complete file and transfers nothing.
    let again = sandbox.json(&["models", "pull", &pull_spec()]);
    assert_eq!(again["id"], "smol");
    assert_eq!(
        hub.blob_gets().len(),
        1,
        "the file must not be downloaded twice"
    );
    assert_eq!(sandbox.ids(), ["smol"]);
}

#[test]
fn pull_of_corrupted_bytes_fails_on_the_hash_and_leaves_no_file() {
    let (bytes, sha) = smollm2_bytes();
    let mut corrupted = bytes.clone();
    let middle = corrupted.len() / 2;
    corrupted[middle] ^= 0xff;
    let hub = FakeHub::start(REPO, FILE, corrupted, sha);
    let mut sandbox = Sandbox::new();
    sandbox.hub = hub.url().to_owned();

    let output = sandbox.output(&["models", "pull", &pull_spec(), "--default"]);
    assert!(!output.status.success(), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("corrupted") && stderr.contains("sha256") && stderr.contains(sha),
        "{stderr}"
    );
    assert_eq!(hub.blob_gets().len(), 1);
    assert!(
        files_under(&sandbox.models_dir()).is_empty(),
        "{:?}",
        files_under(&sandbox.models_dir())
    );
    assert!(sandbox.ids().is_empty());
    assert_eq!(sandbox.json(&["models", "default"]), Value::Null);
}

#[test]
fn pull_with_the_hub_unreachable_fails_with_a_plain_network_error() {
    let sandbox = Sandbox::new();
    let output = sandbox.output(&["models", "pull", &pull_spec()]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(NO_HUB) && stderr.contains("check the network connection"),
        "{stderr}"
    );
    assert!(
        stderr.contains("retrying"),
        "the retries are logged: {stderr}"
    );
    assert!(
        !stderr.contains('\x1b'),
        "no terminal colour codes when stderr is not a terminal: {stderr:?}"
    );
    assert!(files_under(&sandbox.models_dir()).is_empty());
    assert!(sandbox.ids().is_empty());
}

#[test]
fn pull_catalog_lists_the_well_known_models() {
    let sandbox = Sandbox::new();
    let catalog = sandbox.json(&["models", "pull", "--catalog"]);
    let entries = catalog.as_array().unwrap();
    assert!(entries.len() >= 10, "{catalog:#}");
    for entry in entries {
        for field in ["id", "name", "repo", "file", "license"] {
            assert!(
                entry[field].as_str().is_some_and(|v| !v.is_empty()),
                "{field} in {entry:#}"
            );
        }
        assert!(
            entry["file"].as_str().unwrap().ends_with(".gguf"),
            "{entry:#}"
        );
    }
    assert!(
        entries.iter().any(|e| e["id"] == "smollm2-135m"),
        "{catalog:#}"
    );

    let human = text(&sandbox.ok(&["models", "pull", "--catalog"]).stdout);
    assert_eq!(human.lines().count(), entries.len(), "{human}");
    assert!(
        human.lines().any(|l| l.starts_with("smollm2-135m ")),
        "{human}"
    );
}

#[test]
fn convert_makes_a_gguf_embedding_model_from_a_sentence_transformers_folder() {
    let sandbox = Sandbox::new();
    let minilm = support::models::minilm_dir();
    let model = sandbox.json(&["models", "convert", path_str(&minilm), "--id", "minilm"]);
    assert_eq!(model["id"], "minilm");
    assert_eq!(model["summary"]["architecture"], "bert");
    let file = sandbox.models_dir().join("minilm.gguf");
    assert!(file.is_file());
    assert_eq!(sandbox.ids(), ["minilm"]);

    // The same name again is refused, and the file is left alone.
    let again = sandbox.output(&["models", "convert", path_str(&minilm), "--id", "minilm"]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("minilm"),
        "{}",
        describe(&again)
    );
    assert!(file.is_file());

    // A folder that is not a BERT model says what it is and writes nothing.
    let other = sandbox.file("llama-folder/config.json");
    fs::write(
        &other,
        r#"{"model_type": "llama", "hidden_size": 8, "num_hidden_layers": 1,
            "num_attention_heads": 2, "intermediate_size": 16,
            "max_position_embeddings": 8, "vocab_size": 4}"#,
    )
    .unwrap();
    let stderr = sandbox.fails(
        &["models", "convert", path_str(other.parent().unwrap())],
        MODEL_INVALID,
    );
    assert!(stderr.contains("model_type"), "{stderr}");
    assert!(!sandbox.models_dir().join("llama-folder.gguf").exists());
}
