//! `hearth serve` as users run it: the real binary (models in the isolated worker)
//! driven by real clients — the official `openai` Python package (streaming and not)
//! and curl — plus the token file's permissions and a clean stop on SIGTERM.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use support::hub::FakeHub;
use support::{hearth, models, text};

struct Served {
    child: Child,
    url: String,
    login_url: String,
    token: String,
    token_file: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(home: &Path) -> Served {
    serve_with(home, &[])
}

fn serve_with(home: &Path, env: &[(&str, &str)]) -> Served {
    serve_model(home, &models::smollm2(), "smollm2", 2, env)
}

/// `hearth serve` with `model` as the default, in the library as `id`.
fn serve_model(home: &Path, model: &Path, id: &str, parallel: u32, env: &[(&str, &str)]) -> Served {
    std::fs::create_dir_all(home.join("config")).unwrap();
    std::fs::write(
        home.join("config/config.toml"),
        format!(
            "default_model = {:?}\ncontext_length = 2048\nparallel = {parallel}\n",
            model.display().to_string()
        ),
    )
    .unwrap();
    let add = hearth(home)
        .args(["models", "add"])
        .arg(model)
        .args(["--id", id])
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", support::describe(&add));
    let mut child = hearth(home)
        .envs(env.iter().copied())
        .args(["--json", "serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let started: Value = serde_json::from_str(&first)
        .unwrap_or_else(|e| panic!("`hearth serve` did not print its address ({e}): {first:?}"));
    let token_file = PathBuf::from(started["token_file"].as_str().unwrap());
    let token = std::fs::read_to_string(&token_file)
        .unwrap()
        .trim()
        .to_owned();
    Served {
        child,
        url: started["url"].as_str().unwrap().to_owned(),
        login_url: started["login_url"].as_str().unwrap_or_default().to_owned(),
        token,
        token_file,
    }
}

fn client_python() -> PathBuf {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv-clients/bin/python");
    assert!(
        python.is_file(),
        "the openai package for the HTTP tests is missing: run `scripts/fetch-test-clients.sh`"
    );
    python
}

fn curl(args: &[&str]) -> (String, String) {
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--no-buffer"])
        .args(args)
        .output()
        .expect("curl is missing: run scripts/install-deps.sh");
    (text(&output.stdout), text(&output.stderr))
}

#[test]
fn the_openai_python_package_and_curl_talk_to_hearth_serve() {
    let home = tempfile::tempdir().unwrap();
    let served = serve(home.path());

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&served.token_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the token file is for its owner only");
    }

    let output = Command::new(client_python())
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/http/openai_client.py"))
        .env("HEARTH_URL", &served.url)
        .env("HEARTH_TOKEN", &served.token)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", support::describe(&output));
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seen["models"][0], "smollm2");
    assert_eq!(seen["whole"], seen["streamed"]);

    let auth = format!("Authorization: Bearer {}", served.token);
    let body = r#"{"model":"smollm2","messages":[{"role":"user","content":"Say hello."}],"max_tokens":12,"temperature":0}"#;
    let (whole, stderr) = curl(&[
        "-H",
        &auth,
        "-H",
        "Content-Type: application/json",
        "-d",
        body,
        &format!("{}/v1/chat/completions", served.url),
    ]);
    let whole: Value =
        serde_json::from_str(&whole).unwrap_or_else(|e| panic!("{e}: {whole} {stderr}"));
    let answer = whole["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!answer.is_empty());

    let streaming = body.replacen('{', r#"{"stream":true,"#, 1);
    let (stream, _) = curl(&[
        "-H",
        &auth,
        "-H",
        "Content-Type: application/json",
        "-d",
        &streaming,
        &format!("{}/v1/chat/completions", served.url),
    ]);
    let data: Vec<&str> = stream
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    assert_eq!(data.last(), Some(&"[DONE]"));
    let streamed: String = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str::<Value>(d).unwrap())
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(streamed, answer, "curl's stream and whole answer agree");

    let (refused, _) = curl(&[&format!("{}/v1/models", served.url)]);
    let refused: Value = serde_json::from_str(&refused).unwrap();
    assert_eq!(refused["error"]["type"], "authentication_error");
}

/// The issue's "done when": the official `openai` package calls a tool on a model whose
/// template describes tools (Qwen2.5-Coder-1.5B), whole and streamed, then answers from
/// the tool's result; a malformed schema is a 400 naming the tool.
#[test]
fn the_openai_python_package_calls_tools_on_qwen() {
    let home = tempfile::tempdir().unwrap();
    let served = serve_model(home.path(), &models::qwen_coder(), "qwen-coder", 1, &[]);
    let output = Command::new(client_python())
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/http/openai_tools.py"))
        .env("HEARTH_URL", &served.url)
        .env("HEARTH_TOKEN", &served.token)
        .env("HEARTH_MODEL", "qwen-coder")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", support::describe(&output));
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
    // What the model did, for the test log.
    eprintln!("{}", serde_json::to_string_pretty(&seen).unwrap());
    assert_eq!(
        seen["whole"]["tool_calls"][0]["function"]["name"],
        "get_weather"
    );
    assert!(seen["answer"].as_str().unwrap().contains("23"));
}

#[test]
fn serve_stops_cleanly_on_sigterm_and_keeps_the_token() {
    let home = tempfile::tempdir().unwrap();
    let mut served = serve(home.path());
    let first_token = served.token.clone();
    let (health, _) = curl(&[&format!("{}/api/health", served.url)]);
    assert!(health.contains("\"ok\""), "{health}");

    #[cfg(unix)]
    {
        let pid = served.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
        let exit = served.child.wait().unwrap();
        assert!(
            exit.success(),
            "hearth serve exited with {exit:?} on SIGTERM"
        );
    }

    let shown = hearth(home.path())
        .args(["serve", "--show-token"])
        .output()
        .unwrap();
    assert!(shown.status.success());
    assert_eq!(
        text(&shown.stdout).trim(),
        first_token,
        "the token survives restarts"
    );
}

/// The browser's way in: the page carries no token; the login link `hearth serve`
/// printed sets a session cookie once; `hearth serve --login-link` asks the running
/// server for another.
#[test]
fn the_web_ui_logs_in_with_a_one_time_link() {
    let home = tempfile::tempdir().unwrap();
    let served = serve(home.path());
    let (page, _) = curl(&[&format!("{}/", served.url)]);
    assert!(
        !page.contains(&served.token),
        "the page hands out the token"
    );

    assert!(
        served
            .login_url
            .starts_with(&format!("{}/login?code=", served.url)),
        "{:?}",
        served.login_url
    );
    let headers = |url: &str| curl(&["--output", "/dev/null", "--dump-header", "-", url]).0;
    let first = headers(&served.login_url);
    assert!(first.starts_with("HTTP/1.1 303"), "{first}");
    let cookie = first
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .unwrap_or_else(|| panic!("no cookie: {first}"));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap();
    let (listed, _) = curl(&[
        "-H",
        &format!("Cookie: {session}"),
        &format!("{}/api/conversations", served.url),
    ]);
    assert_eq!(listed.trim(), "[]");
    assert!(
        headers(&served.login_url).starts_with("HTTP/1.1 403"),
        "used once"
    );

    let port = served.url.rsplit(':').next().unwrap();
    let asked = hearth(home.path())
        .args(["serve", "--login-link", "--port", port])
        .output()
        .unwrap();
    assert!(asked.status.success(), "{}", support::describe(&asked));
    let link = text(&asked.stdout).trim().to_owned();
    assert!(
        link.starts_with(&format!("{}/login?code=", served.url)),
        "{link}"
    );
    assert_ne!(link, served.login_url);
    assert!(headers(&link).starts_with("HTTP/1.1 303"));
    assert!(headers(&link).starts_with("HTTP/1.1 403"));

    let nobody = hearth(home.path())
        .args(["serve", "--login-link", "--port", "9"])
        .output()
        .unwrap();
    assert!(!nobody.status.success());
    assert!(
        text(&nobody.stderr).contains("no Hearth server answers"),
        "{}",
        support::describe(&nobody)
    );
}

/// `POST /api/models/pull` downloads from a stand-in for the Hugging Face hub on a
/// loopback port, streaming progress, and the model lands in the library.
#[test]
fn a_model_pull_streams_progress_and_adds_the_model() {
    let bytes = std::fs::read(models::smollm2()).unwrap();
    let sha256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
    let hub = FakeHub::start("org/smol-GGUF", "smol.gguf", bytes, sha256);
    let home = tempfile::tempdir().unwrap();
    let served = serve_with(home.path(), &[("HEARTH_HF_ENDPOINT", hub.url())]);
    let auth = format!("Authorization: Bearer {}", served.token);

    let (events, stderr) = curl(&[
        "-X",
        "POST",
        "-H",
        &auth,
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"source":"org/smol-GGUF/smol.gguf"}"#,
        &format!("{}/api/models/pull", served.url),
    ]);
    assert!(events.contains("event: started"), "{events} {stderr}");
    assert!(events.contains("event: progress"), "{events}");
    let done = events
        .split("\n\n")
        .find(|e| e.starts_with("event: done"))
        .unwrap_or_else(|| panic!("no done event: {events}"));
    let data: Value =
        serde_json::from_str(done.lines().nth(1).unwrap().trim_start_matches("data: ")).unwrap();
    let id = data["model"]["id"].as_str().unwrap().to_owned();
    assert_eq!(data["model"]["source"]["sha256"], sha256, "{data}");

    let (listed, _) = curl(&["-H", &auth, &format!("{}/api/models", served.url)]);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&id.as_str()), "{ids:?}");
    assert_eq!(hub.blob_gets().len(), 1, "the file was downloaded once");
}
