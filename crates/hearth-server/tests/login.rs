//! Who gets in, over real HTTP: the page Hearth serves carries no token; a browser logs
//! in once with a one-time link and then uses an `HttpOnly; SameSite=Strict` session
//! cookie; requests from other web sites cannot change anything with that cookie; and a
//! server bound to every interface still answers only to the names it was given.

use crate::support;

use std::time::Duration;

use hearth_server::{AppState, Logins, RouterOptions, Token};
use serde_json::{json, Value};
use support::{start, ui_dir, Server, Setup, TOKEN};

async fn server_with(logins: &Logins) -> Server {
    start(Setup {
        options: RouterOptions {
            logins: logins.clone(),
            ..RouterOptions::default()
        },
        ..Setup::default()
    })
    .await
}

/// A client that shows redirects instead of following them.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// Opens a login link; returns the response.
async fn open_link(server: &Server, code: &str) -> reqwest::Response {
    browser()
        .get(server.url(&format!("/login?code={code}")))
        .send()
        .await
        .unwrap()
}

/// Logs in with a fresh code and returns the `Cookie` header value to send.
async fn log_in(server: &Server, logins: &Logins) -> String {
    let response = open_link(server, &logins.new_code()).await;
    assert_eq!(response.status(), 303);
    let set = response.headers()["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_page_carries_the_token() {
    let ui = ui_dir();
    let logins = Logins::default();
    let server = start(Setup {
        options: RouterOptions {
            ui_dir: Some(ui.path().to_path_buf()),
            logins: logins.clone(),
            ..RouterOptions::default()
        },
        ..Setup::default()
    })
    .await;
    let code = logins.new_code();
    for path in [
        "/",
        "/index.html",
        "/chat/123",
        "/assets/app.js",
        "/login",
        "/login?code=wrong",
        "/api/health",
    ] {
        let response = browser().get(server.url(path)).send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(
            !body.contains(TOKEN) && !body.contains("hearth-token"),
            "{path} ({status}) hands out the token: {body}"
        );
        assert!(!body.contains(&code), "{path} hands out a login code");
    }
    let page = browser().get(server.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().get("set-cookie").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_link_sets_a_strict_http_only_session_cookie_once() {
    let logins = Logins::default();
    let server = server_with(&logins).await;
    let code = logins.new_code();

    let first = open_link(&server, &code).await;
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()["location"], "/");
    assert_eq!(first.headers()["cache-control"], "no-store");
    let set = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    let name = format!("hearth_session_{}=", server.addr.port());
    assert!(set.starts_with(&name), "{set}");
    let attributes: Vec<&str> = set.split(';').map(str::trim).collect();
    for wanted in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attributes.contains(&wanted), "{wanted} missing: {set}");
    }
    let session = &attributes[0][name.len()..];
    assert_eq!(session.len(), 64, "{set}");
    assert!(!set.contains(&code), "the session is not the code");

    let cookie = attributes[0];
    let (status, _) = get_with_cookie(&server, "/api/conversations", cookie).await;
    assert_eq!(status, 200, "the session opens the API");

    let again = open_link(&server, &code).await;
    assert_eq!(again.status(), 403, "a used link is refused");
    assert!(again.headers().get("set-cookie").is_none());
    let page = again.text().await.unwrap();
    assert!(page.contains("hearth serve --login-link"), "{page}");
    assert!(page.contains("already used"), "{page}");

    for wrong in ["", "nope", &code.to_uppercase()] {
        let response = open_link(&server, wrong).await;
        assert_eq!(response.status(), 403, "{wrong:?}");
        assert!(response.headers().get("set-cookie").is_none());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_login_link_is_refused() {
    let logins = Logins::with_code_lifetime(Duration::ZERO);
    let server = server_with(&logins).await;
    let response = open_link(&server, &logins.new_code()).await;
    assert_eq!(response.status(), 403);
    assert!(response.headers().get("set-cookie").is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains("older than ten minutes"), "{page}");
}

async fn get_with_cookie(server: &Server, path: &str, cookie: &str) -> (u16, Value) {
    let response = server
        .client
        .get(server.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    support::status_and_json(response).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_apis_need_the_token_or_a_session() {
    let logins = Logins::default();
    let server = server_with(&logins).await;
    let cookie = log_in(&server, &logins).await;

    for path in ["/api/conversations", "/v1/models", "/api/settings"] {
        let (status, _) = get_with_cookie(&server, path, &cookie).await;
        assert_eq!(status, 200, "{path} with the session");
        let (status, _) = server.get_json(path).await;
        assert_eq!(status, 200, "{path} with the token");
        let anonymous = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "{path} with nothing");
        let forged = format!("hearth_session_{}=0123456789abcdef", server.addr.port());
        let (status, _) = get_with_cookie(&server, path, &forged).await;
        assert_eq!(status, 401, "{path} with a made-up session");
    }
    let (status, refused) = get_with_cookie(&server, "/api/conversations", "").await;
    assert_eq!(status, 401);
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("login link that `hearth serve` printed")
            && message.contains("hearth serve --login-link"),
        "{message}"
    );

    // Another server's session (another port) opens nothing here.
    let other_logins = Logins::default();
    let other = server_with(&other_logins).await;
    let other_cookie = log_in(&other, &other_logins).await;
    let (_, value) = other_cookie.split_once('=').unwrap();
    let replayed = format!("hearth_session_{}={value}", server.addr.port());
    let (status, _) = get_with_cookie(&server, "/api/conversations", &replayed).await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_from_another_origin_with_the_session_is_refused() {
    let logins = Logins::default();
    let server = server_with(&logins).await;
    let cookie = log_in(&server, &logins).await;
    let count = |server: &Server| {
        let cookie = cookie.clone();
        let url = server.url("/api/conversations");
        let client = server.client.clone();
        async move {
            let list: Value = client
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            list.as_array().unwrap().len()
        }
    };
    let before = count(&server).await;

    for foreign in [
        "http://attacker.example",
        "http://localhost:1",
        "null",
        &format!("https://evil.example:{}", server.addr.port()),
    ] {
        let response = server
            .client
            .post(server.url("/api/conversations"))
            .header("cookie", &cookie)
            .header("origin", foreign)
            .json(&json!({ "title": "planted" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{foreign}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["code"], "ORIGIN_NOT_ALLOWED", "{foreign}");
    }
    assert_eq!(count(&server).await, before, "nothing was created");

    // The page's own requests (same origin, or no Origin at all) go through.
    for origin in [Some(format!("http://{}", server.addr)), None] {
        let mut request = server
            .client
            .post(server.url("/api/conversations"))
            .header("cookie", &cookie)
            .json(&json!({ "title": "mine" }));
        if let Some(origin) = &origin {
            request = request.header("origin", origin);
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{origin:?}: {}",
            response.status()
        );
    }
    assert_eq!(count(&server).await, before + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_login_link_needs_the_token() {
    let logins = Logins::default();
    let server = server_with(&logins).await;
    let (status, made) = server.post_json("/api/login-link", json!({})).await;
    assert_eq!(status, 200, "{made}");
    let url = made["url"].as_str().unwrap();
    let prefix = format!("http://{}/login?code=", server.addr);
    assert!(url.starts_with(&prefix), "{url}");
    assert_eq!(made["expires_in_s"], 600);
    let code = &url[prefix.len()..];
    assert_eq!(open_link(&server, code).await.status(), 303);
    assert_eq!(open_link(&server, code).await.status(), 403);

    let cookie = log_in(&server, &logins).await;
    let by_session = server
        .client
        .post(server.url("/api/login-link"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_session.status(),
        403,
        "a browser session makes no logins"
    );
    let anonymous = server
        .client
        .post(server.url("/api/login-link"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

/// A server on 0.0.0.0 with `--allowed-host hearth.lan --allowed-host 192.168.1.5:9000`.
async fn wildcard_server(server: &Server) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(addr.ip().is_unspecified());
    let options = RouterOptions {
        allowed_hosts: vec!["hearth.lan".into(), "192.168.1.5:9000".into()],
        ..RouterOptions::default()
    };
    let app = hearth_server::app(
        AppState::new(server.hearth.clone()),
        Token::fixed(TOKEN),
        addr,
        &options,
    )
    .unwrap();
    tokio::spawn(hearth_server::serve(listener, app, std::future::pending()));
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_on_every_interface_answers_only_to_its_names() {
    let server = start(Setup::default()).await;
    let addr = wildcard_server(&server).await;
    let port = addr.port();
    let ask = |host: String, path: &'static str| {
        server
            .client
            .get(format!("http://127.0.0.1:{port}{path}"))
            .bearer_auth(TOKEN)
            .header("host", host)
            .send()
    };
    for host in [
        format!("attacker.example:{port}"),
        format!("hearth.lan.attacker.example:{port}"),
        format!("hearth.lan:{}", port.wrapping_add(1)),
        "192.168.1.5".to_owned(),
    ] {
        for path in ["/api/conversations", "/api/health", "/"] {
            let response = ask(host.clone(), path).await.unwrap();
            assert_eq!(response.status(), 403, "{host} {path}");
        }
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        format!("hearth.lan:{port}"),
        format!("HEARTH.LAN:{port}"),
        "192.168.1.5:9000".to_owned(),
    ] {
        let response = ask(host.clone(), "/api/conversations").await.unwrap();
        assert_eq!(response.status(), 200, "{host}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_allowed_host_stops_the_server_from_starting() {
    let server = start(Setup::default()).await;
    for bad in ["http://hearth.lan", "hearth.lan/path", "fe80::1", ""] {
        let options = RouterOptions {
            allowed_hosts: vec![bad.into()],
            ..RouterOptions::default()
        };
        let error = hearth_server::app(
            AppState::new(server.hearth.clone()),
            Token::fixed(TOKEN),
            "0.0.0.0:8765".parse().unwrap(),
            &options,
        )
        .err()
        .unwrap_or_else(|| panic!("{bad:?} was accepted"));
        assert!(
            error.contains(bad) && error.contains("hearth.lan"),
            "{error}"
        );
    }
}
