//! hearth-mcp against real MCP servers from npm (not servers written here):
//! `@modelcontextprotocol/server-everything`, the protocol's reference test server, over
//! stdio and streamable HTTP, and `@modelcontextprotocol/server-filesystem` over stdio.
//! `scripts/fetch-mcp-servers.sh` installs the pinned versions into `.test-tools/mcp/`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hearth_llm::{CancelToken, NetworkSwitch};
use hearth_mcp::{
    McpError, McpHub, McpOptions, McpServerConfig, McpTransport, ServerState, ToolOutcome,
};
use serde_json::{json, Value};

#[path = "support/servers.rs"]
mod servers;
use servers::server_entry;

fn node() -> &'static str {
    let found = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    assert!(
        found,
        "node is not installed or not on PATH: run scripts/install-deps.sh"
    );
    "node"
}

fn everything_stdio(name: &str) -> McpServerConfig {
    let entry = server_entry("server-everything");
    McpServerConfig::stdio(name, node(), [entry.to_str().unwrap(), "stdio"])
}

fn online() -> NetworkSwitch {
    NetworkSwitch::new(false)
}

fn offline() -> NetworkSwitch {
    NetworkSwitch::new(true)
}

fn pid_of(hub: &McpHub, server: &str) -> u32 {
    let status = hub.status();
    let entry = status.iter().find(|s| s.name == server).unwrap();
    match entry.state {
        ServerState::Connected { pid: Some(pid) } => pid,
        ref other => panic!("{server} is not connected: {other:?}"),
    }
}

/// Whether `pid` is a live process (a zombie is not: it has ended and waits to be
/// reaped by whoever inherited it).
#[cfg(target_os = "linux")]
fn is_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next());
            !matches!(state, Some("Z" | "X"))
        }
    }
}

#[cfg(target_os = "linux")]
fn wait_until_gone(pid: u32) {
    while is_running(pid) {
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(outcome: &ToolOutcome) -> &str {
    &outcome.text
}

#[test]
fn stdio_server_lists_and_calls_tools() {
    let hub = McpHub::new(vec![everything_stdio("everything")], online()).unwrap();
    let listing = hub.tools();
    assert!(listing.errors.is_empty(), "{:?}", listing.errors);
    let names: Vec<&str> = listing.tools.iter().map(|t| t.spec.name.as_str()).collect();
    for expected in [
        "everything__echo",
        "everything__get-sum",
        "everything__get-tiny-image",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    for tool in &listing.tools {
        assert!(
            hearth_mcp::names::is_valid_tool_name(&tool.spec.name),
            "{}",
            tool.spec.name
        );
        assert_eq!(tool.server, "everything");
        assert_eq!(tool.spec.parameters["type"], "object", "{}", tool.tool);
    }
    let sum = listing.tools.iter().find(|t| t.tool == "get-sum").unwrap();
    assert_eq!(
        sum.spec.description.as_deref(),
        Some("Returns the sum of two numbers")
    );
    assert_eq!(sum.title.as_deref(), Some("Get Sum Tool"));
    assert!(
        sum.spec.parameters["properties"]["a"].is_object(),
        "{}",
        sum.spec.parameters
    );

    let echo = hub
        .call("everything__echo", json!({"message": "hello from Hearth"}))
        .unwrap();
    assert_eq!(text(&echo), "Echo: hello from Hearth");
    assert!(!echo.is_error && !echo.truncated);
    assert_eq!(
        (echo.server.as_str(), echo.tool.as_str()),
        ("everything", "echo")
    );
    assert_eq!(echo.raw["content"][0]["text"], "Echo: hello from Hearth");

    let sum = hub
        .call("everything__get-sum", json!({"a": 2, "b": 3.5}))
        .unwrap();
    assert_eq!(text(&sum), "The sum of 2 and 3.5 is 5.5.");

    // an image comes back as a line saying what it was; the audit copy drops the bytes
    let image = hub.call("everything__get-tiny-image", Value::Null).unwrap();
    assert!(
        image.text.contains("[image: image/png,") && image.text.contains("bytes, not shown]"),
        "{}",
        image.text
    );
    let raw = image.raw.to_string();
    assert!(raw.contains("bytes of base64 not kept"), "{raw}");
    assert!(
        !raw.contains("iVBORw0KGgo"),
        "the PNG itself must not be in the audit copy"
    );

    // arguments the tool's schema refuses: a failed result in the server's own words,
    // for the model to correct itself
    let bad = hub
        .call("everything__get-sum", json!({"a": "two", "b": 1}))
        .unwrap();
    assert!(bad.is_error, "{bad:?}");
    assert!(
        bad.text.contains("expected number, received string"),
        "{}",
        bad.text
    );
    let error = hub.call("everything__get-sum", json!([1, 2])).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("must be a JSON object, got an array"),
        "{error}"
    );

    let error = hub.call("everything__no-such-tool", json!({})).unwrap_err();
    assert!(matches!(error, McpError::UnknownTool { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("'everything' has no tool 'no-such-tool'"),
        "{error}"
    );
    let error = hub.call("ghost__echo", json!({})).unwrap_err();
    assert!(
        error.to_string().contains("no MCP server is named 'ghost'"),
        "{error}"
    );
    let error = hub.call("echo", json!({})).unwrap_err();
    assert!(matches!(error, McpError::NotAnMcpTool { .. }), "{error}");
}

#[test]
fn stdio_server_gets_only_the_environment_it_needs() {
    let mut config = everything_stdio("everything");
    if let McpTransport::Stdio { env, .. } = &mut config.transport {
        env.insert("HEARTH_MCP_GIVEN".into(), "given-value".into());
    }
    let hub = McpHub::new(vec![config], online()).unwrap();
    let outcome = hub.call("everything__get-env", json!({})).unwrap();
    let seen: serde_json::Map<String, Value> = serde_json::from_str(&outcome.text).unwrap();
    assert_eq!(seen["HEARTH_MCP_GIVEN"], "given-value");
    assert!(
        seen.contains_key("PATH"),
        "PATH must be passed on: {seen:?}"
    );
    // cargo runs tests with CARGO_* variables set; none of them may reach the server
    let ours: Vec<String> = std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("CARGO"))
        .collect();
    assert!(
        !ours.is_empty(),
        "the test expects cargo's variables in its environment"
    );
    for key in &ours {
        assert!(!seen.contains_key(key), "{key} leaked to the server");
    }
}

#[test]
fn filesystem_server_reads_a_file_and_lists_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = dir.path().canonicalize().unwrap();
    std::fs::write(
        allowed.join("notes.txt"),
        "Hearth keeps notes here.\nLine two.\n",
    )
    .unwrap();
    std::fs::create_dir(allowed.join("drafts")).unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "not for tools").unwrap();

    let entry = server_entry("server-filesystem");
    let config = McpServerConfig::stdio(
        "files",
        node(),
        [entry.to_str().unwrap(), allowed.to_str().unwrap()],
    );
    // a local program: offline mode does not stop it
    let hub = McpHub::new(vec![config], offline()).unwrap();
    let tools = hub.tools_of("files").unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.spec.name.as_str()).collect();
    assert!(names.contains(&"files__read_text_file"), "{names:?}");
    assert!(names.contains(&"files__list_directory"), "{names:?}");

    let listing = hub
        .call("files__list_directory", json!({"path": allowed}))
        .unwrap();
    assert!(!listing.is_error, "{}", listing.text);
    assert!(
        listing.text.contains("[FILE] notes.txt"),
        "{}",
        listing.text
    );
    assert!(listing.text.contains("[DIR] drafts"), "{}", listing.text);

    let read = hub
        .call(
            "files__read_text_file",
            json!({"path": allowed.join("notes.txt")}),
        )
        .unwrap();
    assert!(!read.is_error);
    assert_eq!(read.text, "Hearth keeps notes here.\nLine two.\n");

    let denied = hub
        .call(
            "files__read_text_file",
            json!({"path": outside.path().join("secret.txt")}),
        )
        .unwrap();
    assert!(
        denied.is_error,
        "reading outside the allowed folder must fail"
    );
    assert!(!denied.text.contains("not for tools"), "{}", denied.text);
}

/// server-everything's streamable HTTP transport, on a free loopback port.
struct HttpServer {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl HttpServer {
    fn start() -> Self {
        let entry = server_entry("server-everything");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // The server listens on every interface (`app.listen(PORT)`); this preload
        // makes a bare port mean 127.0.0.1, so the test server is never on the network.
        let dir = tempfile::tempdir().unwrap();
        let preload = dir.path().join("loopback.mjs");
        std::fs::write(
            &preload,
            r#"import net from "node:net";
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" || (typeof args[0] === "string" && /^\d+$/.test(args[0]))) {
    args[0] = { port: Number(args[0]), host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};
"#,
        )
        .unwrap();
        let mut child = Command::new(node())
            .arg("--import")
            .arg(format!("file://{}", preload.display()))
            .arg(&entry)
            .arg("streamableHttp")
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut said = String::new();
        loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap() == 0 {
                let _ = child.kill();
                panic!("server-everything (streamableHttp) exited before listening: {said}");
            }
            said.push_str(&line);
            if line.contains("listening on port") {
                break;
            }
        }
        // keep draining its stderr so it never blocks on a full pipe
        std::thread::spawn(move || {
            let mut sink = String::new();
            while stderr.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        });
        Self {
            child,
            url: format!("http://127.0.0.1:{port}/mcp"),
            _dir: dir,
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn streamable_http_server_on_loopback_works_even_offline() {
    let server = HttpServer::start();
    let mut config = McpServerConfig::http("web", &server.url);
    if let McpTransport::Http { headers, .. } = &mut config.transport {
        headers.insert("X-Hearth-Test".into(), "secret-token".into());
    }
    // offline mode only refuses other machines; this server is on loopback
    let hub = McpHub::new(vec![config], offline()).unwrap();
    let listing = hub.tools();
    assert!(listing.errors.is_empty(), "{:?}", listing.errors);
    assert!(
        listing.tools.iter().any(|t| t.spec.name == "web__echo"),
        "{:?}",
        listing.tools
    );
    let echo = hub
        .call("web__echo", json!({"message": "over HTTP"}))
        .unwrap();
    assert_eq!(echo.text, "Echo: over HTTP");
    let sum = hub.call("web__get-sum", json!({"a": 40, "b": 2})).unwrap();
    assert_eq!(sum.text, "The sum of 40 and 2 is 42.");
    assert!(!format!("{hub:?} {:?}", hub.servers()).contains("secret-token"));
    assert!(matches!(
        hub.status()[0].state,
        ServerState::Connected { pid: None }
    ));
}

#[test]
fn offline_mode_refuses_a_server_on_the_network() {
    let network = offline();
    let configs = vec![
        McpServerConfig::http("remote", "https://mcp.example.com/mcp"),
        everything_stdio("local"),
    ];
    assert!(hearth_mcp::is_remote(&configs[0]) && !hearth_mcp::is_remote(&configs[1]));
    let hub = McpHub::new(configs, network.clone()).unwrap();
    let listing = hub.tools();
    // the local server's tools are there; the remote one is refused, not contacted
    assert!(listing.tools.iter().any(|t| t.spec.name == "local__echo"));
    assert_eq!(listing.errors.len(), 1, "{:?}", listing.errors);
    let error = &listing.errors[0];
    assert!(matches!(error, McpError::Offline { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("'remote'"), "{message}");
    assert!(message.contains("https://mcp.example.com:443"), "{message}");
    assert!(message.contains("offline mode"), "{message}");
    let error = hub.call("remote__anything", json!({})).unwrap_err();
    assert!(matches!(error, McpError::Offline { .. }), "{error}");

    // plain http:// to another machine is refused whatever the mode
    let error = McpHub::new(
        vec![McpServerConfig::http("lan", "http://192.168.1.20:3001/mcp")],
        online(),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("only allowed to this computer"),
        "{error}"
    );
}

#[test]
fn an_http_server_that_is_not_running_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let hub = McpHub::new(vec![McpServerConfig::http("gone", &url)], online()).unwrap();
    let error = hub.call("gone__echo", json!({})).unwrap_err();
    assert!(matches!(error, McpError::Connect { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("'gone'"), "{message}");
    assert!(
        message.contains(&format!("check the address http://127.0.0.1:{port}")),
        "{message}"
    );
}

#[test]
fn a_missing_program_is_a_clear_error() {
    let config = McpServerConfig::stdio("ghost", "hearth-no-such-mcp-server", ["--stdio"]);
    let hub = McpHub::new(vec![config], online()).unwrap();
    let error = hub.call("ghost__anything", json!({})).unwrap_err();
    assert!(matches!(error, McpError::Spawn { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("'ghost'"), "{message}");
    assert!(
        message.contains("'hearth-no-such-mcp-server' was not found"),
        "{message}"
    );
    let listing = hub.tools();
    assert_eq!(listing.errors.len(), 1);
    assert_eq!(listing.errors[0].server(), Some("ghost"));
}

#[test]
fn a_program_that_is_not_a_server_is_a_clear_error() {
    let config = McpServerConfig::stdio(
        "broken",
        "sh",
        ["-c", "echo 'cannot find module ./server.js' >&2; exit 3"],
    );
    let hub = McpHub::new(vec![config], online()).unwrap();
    let error = hub.tools_of("broken").unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, McpError::Connect { .. }), "{message}");
    assert!(message.contains("'broken'"), "{message}");
    assert!(
        message.contains("exited with code 3 before the MCP handshake was done"),
        "{message}"
    );
    assert!(
        message.contains("cannot find module ./server.js"),
        "{message}"
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let config = McpServerConfig::stdio("mute", "sh", ["-c", "exec sleep 1000"]);
    let options = McpOptions {
        connect_timeout: Duration::from_secs(2),
        ..McpOptions::default()
    };
    let hub = McpHub::with_options(vec![config], online(), options).unwrap();
    let error = hub.tools_of("mute").unwrap_err();
    assert!(matches!(error, McpError::Timeout { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("'mute' did not start and answer the MCP handshake within 2 seconds"),
        "{error}"
    );
    assert_eq!(hub.status()[0].state, ServerState::Idle);
}

#[test]
fn a_hanging_call_times_out_and_the_server_stays_usable() {
    let options = McpOptions {
        call_timeout: Duration::from_secs(2),
        ..McpOptions::default()
    };
    let hub =
        McpHub::with_options(vec![everything_stdio("everything")], online(), options).unwrap();
    let error = hub
        .call(
            "everything__trigger-long-running-operation",
            json!({"duration": 600, "steps": 2}),
        )
        .unwrap_err();
    assert!(matches!(error, McpError::Timeout { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("did not answer the call to trigger-long-running-operation within 2 seconds"),
        "{error}"
    );
    let echo = hub
        .call("everything__echo", json!({"message": "still here"}))
        .unwrap();
    assert_eq!(echo.text, "Echo: still here");
}

#[test]
fn a_cancelled_call_returns_at_once() {
    let hub = McpHub::new(vec![everything_stdio("everything")], online()).unwrap();
    hub.tools_of("everything").unwrap();
    let cancel = CancelToken::new();
    let canceller = cancel.clone();
    let waiter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        canceller.cancel();
    });
    let error = hub
        .call_with_cancel(
            "everything__trigger-long-running-operation",
            json!({"duration": 600, "steps": 2}),
            &cancel,
        )
        .unwrap_err();
    waiter.join().unwrap();
    assert!(matches!(error, McpError::Cancelled), "{error}");
    let echo = hub
        .call("everything__echo", json!({"message": "after"}))
        .unwrap();
    assert_eq!(echo.text, "Echo: after");
}

#[test]
fn large_results_are_cut_and_say_so() {
    let options = McpOptions {
        max_result_bytes: 4096,
        ..McpOptions::default()
    };
    let hub =
        McpHub::with_options(vec![everything_stdio("everything")], online(), options).unwrap();
    let message = "é".repeat(50_000);
    let echo = hub
        .call("everything__echo", json!({"message": message}))
        .unwrap();
    assert!(echo.truncated);
    let (kept, note) = echo.text.split_once('\n').unwrap();
    assert!(
        kept.starts_with("Echo: éé") && kept.len() <= 4096,
        "{}",
        kept.len()
    );
    assert!(
        note.contains("cut here: it had 100006 bytes, more than the 4096 bytes passed on"),
        "{note}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_server_killed_mid_session_fails_the_next_call_then_restarts() {
    let hub = McpHub::new(vec![everything_stdio("everything")], online()).unwrap();
    hub.call("everything__echo", json!({"message": "one"}))
        .unwrap();
    let pid = pid_of(&hub, "everything");
    assert!(is_running(pid));
    // SAFETY: a plain kill(2) of the server process this test started through the hub
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) }, 0);
    wait_until_gone(pid);

    let error = hub
        .call("everything__echo", json!({"message": "two"}))
        .unwrap_err();
    assert!(matches!(error, McpError::Stopped { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("'everything' stopped"), "{message}");
    assert!(message.contains("killed by signal 9"), "{message}");
    assert!(
        message.contains("the next use starts it again"),
        "{message}"
    );

    let again = hub
        .call("everything__echo", json!({"message": "three"}))
        .unwrap();
    assert_eq!(again.text, "Echo: three");
    assert_ne!(pid_of(&hub, "everything"), pid);
}

#[cfg(target_os = "linux")]
#[test]
fn dropping_the_hub_stops_the_server_and_what_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("helper.pid");
    let entry = server_entry("server-everything");
    // a wrapper that leaves a helper process behind, like npx or a shell script might
    let config = McpServerConfig::stdio(
        "wrapped",
        "sh",
        [
            "-c",
            r#"sleep 1000 & echo $! > "$0"; exec node "$1" stdio"#,
            pid_file.to_str().unwrap(),
            entry.to_str().unwrap(),
        ],
    );
    let hub = McpHub::new(vec![config], online()).unwrap();
    let echo = hub.call("wrapped__echo", json!({"message": "hi"})).unwrap();
    assert_eq!(echo.text, "Echo: hi");
    let server_pid = pid_of(&hub, "wrapped");
    let helper_pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(is_running(server_pid) && is_running(helper_pid));

    drop(hub);
    assert!(!is_running(server_pid), "the server outlived the hub");
    assert!(
        !is_running(helper_pid),
        "the server's helper outlived the hub"
    );
}

#[test]
fn turned_off_servers_are_not_started() {
    let mut config = everything_stdio("everything");
    config.enabled = false;
    let hub = McpHub::new(vec![config], online()).unwrap();
    let listing = hub.tools();
    assert!(listing.tools.is_empty() && listing.errors.is_empty());
    let error = hub.call("everything__echo", json!({})).unwrap_err();
    assert!(matches!(error, McpError::Disabled { .. }), "{error}");
    assert_eq!(hub.status()[0].state, ServerState::Off);

    let error = McpHub::new(
        vec![everything_stdio("same"), everything_stdio("same")],
        online(),
    )
    .unwrap_err();
    assert!(matches!(error, McpError::DuplicateServer { .. }), "{error}");
}

#[test]
fn the_async_api_works_from_tokio() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let hub = McpHub::new(vec![everything_stdio("everything")], online()).unwrap();
    runtime.block_on(async {
        let listing = hub.tools_async().await;
        assert!(listing.errors.is_empty(), "{:?}", listing.errors);
        let echo = hub
            .call_async("everything__echo", json!({"message": "async"}))
            .await
            .unwrap();
        assert_eq!(echo.text, "Echo: async");
        // the blocking API from inside a runtime waits without panicking
        let sum = hub
            .call("everything__get-sum", json!({"a": 1, "b": 1}))
            .unwrap();
        assert_eq!(sum.text, "The sum of 1 and 1 is 2.");
    });
}
