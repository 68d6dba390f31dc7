//! Hearth's HTTP server, behind `hearth serve`: the OpenAI-compatible API under `/v1`
//! (for scripts and other tools), the app's API under `/api` (for the web UI and the
//! desktop app), the OpenAPI document at `/api/openapi.json`, and the web UI itself.
//!
//! Every handler is a thin call on the [`hearth_core::Hearth`] facade; the wire types
//! (requests, responses, errors) live here and nowhere else. Blocking work (model
//! loading, SQLite, document reading) runs on tokio's blocking threads; generation runs
//! in the engine's own thread and streams back through channels.
//!
//! Safe by default (see [`auth`]): bound to 127.0.0.1, a bearer token (or a browser
//! session from a one-time login link) on every API request, `Host` checked, CORS
//! closed unless origins are configured, bodies capped.

pub mod api;
pub mod auth;
pub mod error;
mod events;
mod json;
pub mod openai;
pub mod openapi;
mod pool;
pub mod state;
mod ui;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use auth::{Logins, Token};
pub use error::ApiError;
pub use state::AppState;

/// How the router is put together.
#[derive(Clone, Default)]
pub struct RouterOptions {
    /// The built web UI (`ui/dist`); without it `/` explains how to build it.
    pub ui_dir: Option<PathBuf>,
    /// Web origins allowed to call the APIs from a browser (`http://localhost:5173`).
    /// Empty keeps CORS closed.
    pub cors_origins: Vec<String>,
    /// More names the server answers to in `Host` (`NAME[:PORT]`, from
    /// `hearth serve --allowed-host`), beyond its own address and the loopback names.
    pub allowed_hosts: Vec<String>,
    /// One-time login codes and browser sessions; keep a clone to make login links.
    pub logins: Logins,
    /// Whether requests may name documents on this computer by path
    /// (`hearth serve --allow-paths`); off, documents come as uploads.
    pub allow_paths: bool,
}

/// The whole application for a server listening on `addr`.
pub fn app(
    state: AppState,
    token: Token,
    addr: SocketAddr,
    options: &RouterOptions,
) -> Result<Router, String> {
    let state = state.with_paths(if options.allow_paths {
        state::PathInputs::Allowed
    } else {
        state::PathInputs::Disabled
    });
    let gate = auth::Gate::new(
        token,
        auth::allowed_hosts(addr, &options.allowed_hosts)?,
        options.logins.clone(),
        addr.port(),
    );
    let v1 = openai::routes().layer(axum::middleware::map_response(error::openai_shape));
    let router = Router::new()
        .merge(v1)
        .merge(api::routes())
        .merge(openapi::routes())
        .merge(auth::routes(gate.clone()))
        .merge(ui::routes(options.ui_dir.clone()))
        .fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(gate, auth::guard));
    Ok(match cors(&options.cors_origins)? {
        Some(cors) => router.layer(cors),
        None => router,
    })
}

/// The app API (`/api`, with its OpenAPI document) for a caller in the same process —
/// the desktop app, which passes requests from its web view over IPC. No socket, so no
/// token, `Host` or CORS check: only code in this process can reach it.
pub fn in_process_api(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(openapi::routes())
        .fallback(not_found)
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves; streams in flight are cut
/// (their generations cancelled and answers saved as stopped) when it does.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

fn cors(origins: &[String]) -> Result<Option<CorsLayer>, String> {
    if origins.is_empty() {
        return Ok(None);
    }
    let origins = origins
        .iter()
        .map(|o| {
            let origin = o.trim_end_matches('/');
            let bad =
                || format!("`{o}` is not a valid origin; write it like http://localhost:5173");
            let uri: axum::http::Uri = origin.parse().map_err(|_| bad())?;
            let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
            if !scheme_ok || uri.authority().is_none() || !matches!(uri.path(), "" | "/") {
                return Err(bad());
            }
            HeaderValue::from_str(origin).map_err(|_| bad())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
    ))
}

pub(crate) async fn not_found(request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let error = ApiError::not_found(format!(
        "there is no {} {path}; see /api/openapi.json for the endpoints",
        request.method()
    ));
    if path.starts_with("/v1") {
        error::openai_shape(error.into_response()).await
    } else {
        error.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_cors_origin_is_refused_with_an_example() {
        for bad in [
            "http://exa mple",
            "localhost:5173",
            "http://host/path",
            "ftp://host",
        ] {
            let error = cors(&[bad.into()]).unwrap_err();
            assert!(error.contains("http://localhost:5173"), "{error}");
        }
        assert!(cors(&["http://localhost:5173/".into()]).unwrap().is_some());
        assert!(cors(&[]).unwrap().is_none());
    }
}
