//! `hearth serve`: the HTTP server (web UI, `/api`, OpenAI-compatible `/v1`) until
//! Ctrl-C or SIGTERM. The first line on stdout says where it listens and gives a
//! one-time login link for a browser, so scripts and tests can start it with `--port 0`
//! and read both. `hearth serve --login-link` asks a running server for another link.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use hearth_core::Hearth;
use hearth_server::{AppState, Logins, RouterOptions, Token};

use crate::args::ServeArgs;
use crate::exit;

pub fn run(args: ServeArgs, json: bool) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    let token_file = hearth.paths().config.join("server-token");
    let token = Token::load_or_create(&token_file)
        .with_context(|| format!("reading or making the API token {}", token_file.display()))?;
    if args.show_token {
        if json {
            println!(
                "{}",
                serde_json::json!({ "token": &*token.value, "file": token_file })
            );
        } else {
            println!("{}", token.value);
            eprintln!("(kept in {})", token_file.display());
        }
        return Ok(exit::OK);
    }
    let ip: IpAddr = args.host.parse().with_context(|| {
        format!(
            "`{}` is not an IP address; use 127.0.0.1 (this computer only) or 0.0.0.0",
            args.host
        )
    })?;
    if args.login_link {
        let link = ask_for_login_link(ip, args.port, &token)?;
        if json {
            println!("{}", serde_json::json!({ "login_url": link }));
        } else {
            println!("{link}");
            eprintln!("(open it in your browser within 10 minutes; it works once)");
        }
        return Ok(exit::OK);
    }
    let ui_dir = args.ui.clone().or_else(default_ui_dir);
    if let Some(dir) = &ui_dir {
        if !dir.join("index.html").is_file() {
            tracing::warn!(dir = %dir.display(), "no index.html in the UI folder; / will say how to build the UI");
        }
    }
    let hearth = Arc::new(hearth);
    // Watched collections stay indexed while the server runs; without it (a system that
    // refuses to watch folders) they are rescanned by hand, as before.
    let _watching = hearth
        .watch_collections()
        .map_err(|error| tracing::warn!(%error, "collections' folders are not watched"))
        .ok();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, args.port))
            .await
            .with_context(|| format!("listening on {}:{} (is another server using the port? pick another with --port)", args.host, args.port))?;
        let addr = listener.local_addr()?;
        let logins = Logins::default();
        let options = RouterOptions {
            ui_dir,
            cors_origins: args.cors_origins.clone(),
            allowed_hosts: args.allowed_hosts.clone(),
            logins: logins.clone(),
            allow_paths: args.allow_paths,
        };
        let state = AppState::new(hearth.clone());
        let jobs = state.jobs.clone();
        let app = hearth_server::app(state, token.clone(), addr, &options)
            .map_err(anyhow::Error::msg)?;
        let url = match addr.ip() {
            ip if ip.is_unspecified() => format!("http://127.0.0.1:{}", addr.port()),
            IpAddr::V6(v6) => format!("http://[{v6}]:{}", addr.port()),
            IpAddr::V4(v4) => format!("http://{v4}:{}", addr.port()),
        };
        let login_url = format!("{url}/login?code={}", logins.new_code());
        if json {
            println!("{}", serde_json::json!({ "url": url, "token_file": token.file, "login_url": login_url }));
        } else {
            println!("Hearth is listening on {url}");
            println!("Open the web UI with this one-time link (it works once, for 10 minutes; `hearth serve --login-link` makes another): {login_url}");
            println!("API token: in {} (send it as `Authorization: Bearer <token>`)", token.file.display());
        }
        if !addr.ip().is_loopback() {
            eprintln!("warning: listening on {} — other machines on the network can reach this server (with the token or a login link)", addr.ip());
        }
        if addr.ip().is_unspecified() && args.allowed_hosts.is_empty() {
            eprintln!("note: it answers only to localhost, 127.0.0.1 and [::1]; to reach it by this machine's name or LAN address, start it with --allowed-host NAME");
        }
        if args.preload {
            let hearth = hearth.clone();
            tokio::task::spawn_blocking(move || {
                if let Err(error) = hearth.engine(None) {
                    tracing::warn!("could not preload the default model: {error}");
                }
            });
        }
        let shutdown = async move {
            shutdown_signal().await;
            // Open streams end once their jobs are cancelled; answers are kept as stopped.
            jobs.cancel_all();
        };
        hearth_server::serve(listener, app, shutdown)
            .await
            .context("serving HTTP")?;
        anyhow::Ok(())
    })?;
    Ok(exit::OK)
}

/// A new login link from the server running on `ip`:`port`, asked with the token.
fn ask_for_login_link(ip: IpAddr, port: u16, token: &Token) -> anyhow::Result<String> {
    use std::io::{Read, Write};
    anyhow::ensure!(
        port != 0,
        "give the port the running server listens on with --port (it printed it at start)"
    );
    let ip = match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let addr = SocketAddr::new(ip, port);
    let mut stream = std::net::TcpStream::connect(addr).with_context(|| {
        format!("no Hearth server answers on {addr}; start `hearth serve` (its login link is printed at start), or give the --host/--port it runs on")
    })?;
    write!(
        stream,
        "POST /api/login-link HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        token.value
    )
    .with_context(|| format!("asking the server on {addr} for a login link"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .with_context(|| format!("reading the login link from the server on {addr}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).unwrap_or_default();
    let body: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    if status != "200" {
        let why = body["message"].as_str().unwrap_or("no reason given");
        anyhow::bail!("the server on {addr} did not make a login link ({status}): {why}; is it a Hearth server started with this HEARTH_HOME?");
    }
    body["url"].as_str().map(str::to_owned).with_context(|| {
        format!("the server on {addr} answered without a login link; is it a current Hearth?")
    })
}

/// `ui/dist` from `$HEARTH_UI_DIR`, beside the program, or in the source tree the
/// program was built in (target/release/hearth → ui/dist).
fn default_ui_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("HEARTH_UI_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?;
    [
        bin.join("ui"),
        bin.join("../../ui/dist"),
        bin.join("../share/hearth/ui"),
    ]
    .into_iter()
    .find(|dir| dir.join("index.html").is_file())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    eprintln!("stopping: answers in progress are saved as stopped");
}
