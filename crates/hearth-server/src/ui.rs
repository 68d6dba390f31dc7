//! The web UI's files (`ui/dist`), served to anyone: they hold no secret. The UI calls
//! the APIs with the browser session that the one-time login link set (see
//! [`crate::auth`]); the page never carries the token. Any other path that is not a
//! file gets `index.html` too, for the UI's own routes.

use std::path::{Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::state::AppState;

#[derive(Clone)]
struct Ui {
    dir: Option<PathBuf>,
}

pub fn routes(dir: Option<PathBuf>) -> Router<AppState> {
    let ui = Ui { dir };
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/{*path}", get(file))
        .with_state(ui)
}

async fn index(State(ui): State<Ui>) -> Response {
    let Some(dir) = &ui.dir else {
        return not_built();
    };
    match tokio::fs::read_to_string(dir.join("index.html")).await {
        Ok(html) => {
            (
                // Always the current build; never framed by another site.
                [
                    (header::CACHE_CONTROL, "no-store"),
                    (header::X_FRAME_OPTIONS, "DENY"),
                    (header::REFERRER_POLICY, "no-referrer"),
                ],
                Html(html),
            )
                .into_response()
        }
        Err(_) => not_built(),
    }
}

async fn file(State(ui): State<Ui>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/api/") || path.starts_with("/v1/") {
        return crate::not_found(request).await;
    }
    let Some(dir) = ui.dir.clone() else {
        return not_built();
    };
    // Paths with an extension are files (a missing one is a 404); others are the UI's
    // own routes and get the app.
    let is_file = Path::new(&path).extension().is_some();
    if !is_file {
        return index(State(ui)).await;
    }
    match ServeDir::new(dir).oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

fn not_built() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!doctype html><html lang=en><title>Hearth</title><h1>The web UI is not built</h1>\
             <p>Run <code>npm --prefix ui ci &amp;&amp; npm --prefix ui run build</code>, \
             then start <code>hearth serve</code> again. The APIs under /v1 and /api work \
             without it.</p>",
        ),
    )
        .into_response()
}
