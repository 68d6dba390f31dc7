//! Many `hearth` processes changing the same home at once (as a CLI script does next to
//! the desktop app): every provider connected and every model added is kept — none is
//! undone by another process writing its older copy of `config.toml` or
//! `library.json` — every key sealed by them opens (they agreed on one sealing key),
//! and no temporary file is left behind.

mod support;

use std::path::Path;
use std::process::{Child, Stdio};

use hearth_llm::remote::mock::{MockProvider, Reply};
use support::{describe, hearth, text};

const PROVIDERS: usize = 12;
const MODELS: usize = 6;

fn cli(home: &Path) -> std::process::Command {
    let mut command = hearth(home);
    // Never the keyring of the machine running the tests.
    command.env("HEARTH_KEYRING", "off");
    command
}

fn json(home: &Path, args: &[&str]) -> serde_json::Value {
    let output = cli(home).args(args).arg("--json").output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn processes_changing_the_settings_at_once_lose_no_change() {
    let home = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let mock = MockProvider::start(vec![Reply::openai_stream(&["ok"]); PROVIDERS]);
    let model = support::models::smollm2();
    let mut children: Vec<(String, Child)> = Vec::new();
    for i in 0..PROVIDERS {
        let child = cli(home.path())
            .args(["providers", "add", &format!("p{i:02}"), "--kind", "openai"])
            .args(["--url", &mock.base_url(), "--model", "m"])
            .args(["--key-env", "THE_KEY"])
            .env("THE_KEY", format!("sk-key-of-{i:02}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        children.push((format!("providers add p{i:02}"), child));
    }
    for i in 0..MODELS {
        // A hard link is another path to the same file, so another library entry.
        let path = files.path().join(format!("model-{i:02}.gguf"));
        if std::fs::hard_link(&model, &path).is_err() {
            std::fs::copy(&model, &path).unwrap();
        }
        let child = cli(home.path())
            .args(["models", "add"])
            .arg(&path)
            .args(["--id", &format!("m{i:02}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        children.push((format!("models add m{i:02}"), child));
    }
    for (what, child) in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{what}: {}", describe(&output));
    }

    let providers = json(home.path(), &["providers", "list"]);
    let mut names: Vec<String> = providers
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    let expected: Vec<String> = (0..PROVIDERS).map(|i| format!("p{i:02}")).collect();
    assert_eq!(names, expected, "{providers}");

    let models = json(home.path(), &["models", "list"]);
    let mut ids: Vec<String> = models
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    let expected: Vec<String> = (0..MODELS).map(|i| format!("m{i:02}")).collect();
    assert_eq!(ids, expected, "{models}");

    // Every key opens: each process sealed its key under the one sealing key.
    for i in 0..PROVIDERS {
        let ran = cli(home.path())
            .args(["run", "-m", &format!("p{i:02}:m"), "Hello?"])
            .output()
            .unwrap();
        assert!(ran.status.success(), "p{i:02}: {}", describe(&ran));
        assert!(text(&ran.stdout).contains("ok"), "{}", describe(&ran));
    }
    let mut keys: Vec<String> = mock
        .requests()
        .iter()
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    keys.sort();
    let expected: Vec<String> = (0..PROVIDERS)
        .map(|i| format!("Bearer sk-key-of-{i:02}"))
        .collect();
    assert_eq!(keys, expected);

    for dir in ["config", "data"] {
        let left: Vec<String> = std::fs::read_dir(home.path().join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "left in {dir}: {left:?}");
    }
}
