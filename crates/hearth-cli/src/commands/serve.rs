//! `hearth serve`: the HTTP server (web UI, `/api`, OpenAI-compatible `/v1`) until
//! Ctrl-C or SIGTERM. The first line on stdout says where it listens, so scripts and
//! tests can start it with `--port 0` and read the address.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use hearth_core::Hearth;
use hearth_server::{AppState, RouterOptions, Token};

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
    let ui_dir = args.ui.clone().or_else(default_ui_dir);
    if let Some(dir) = &ui_dir {
        if !dir.join("index.html").is_file() {
            tracing::warn!(dir = %dir.display(), "no index.html in the UI folder; / will say how to build the UI");
        }
    }
    let hearth = Arc::new(hearth);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, args.port))
            .await
            .with_context(|| format!("listening on {}:{} (is another server using the port? pick another with --port)", args.host, args.port))?;
        let addr = listener.local_addr()?;
        let options = RouterOptions {
            ui_dir,
            cors_origins: args.cors_origins.clone(),
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
        if json {
            println!("{}", serde_json::json!({ "url": url, "token_file": token.file }));
        } else {
            println!("Hearth is listening on {url}");
            println!("API token: in {} (send it as `Authorization: Bearer <token>`)", token.file.display());
        }
        if !addr.ip().is_loopback() {
            eprintln!("warning: listening on {} — other machines on the network can reach this server (with the token)", addr.ip());
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
