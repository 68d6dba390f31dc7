//! Who may talk to the server. Safe by default, because any program on the machine and
//! any web page in the user's browser can reach a port on 127.0.0.1:
//!
//! - Every `/v1` and `/api` request needs `Authorization: Bearer <token>` (programs) or a
//!   browser session cookie (the web UI). The token is made on first run and kept in a
//!   file only the user can read (mode 0600); no page ever carries it.
//! - A browser logs in with a one-time link: `hearth serve` prints `/login?code=…` (and
//!   `POST /api/login-link`, with the token, makes another one). The code works once,
//!   for ten minutes, and becomes a random session id in an `HttpOnly; SameSite=Strict`
//!   cookie, known only to this process's memory. Requests that change something with
//!   that cookie must not come from another origin (`Origin`, when sent, must be ours).
//! - Requests whose `Host` header is not one of this server's names are refused, also
//!   when it listens on every interface (then the loopback names and each
//!   `--allowed-host`), which stops DNS rebinding.

use std::collections::VecDeque;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::error::ApiError;

/// The bearer token and where it is kept.
#[derive(Clone)]
pub struct Token {
    pub value: Arc<str>,
    pub file: PathBuf,
}

impl Token {
    /// Reads the token from `file`, making a new one on first run. A file others can
    /// read is narrowed to the owner before it is trusted.
    pub fn load_or_create(file: &Path) -> std::io::Result<Token> {
        match std::fs::read_to_string(file) {
            Ok(text) if !text.trim().is_empty() => {
                restrict_to_owner(file)?;
                return Ok(Token {
                    value: Arc::from(text.trim()),
                    file: file.to_path_buf(),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let value = new_token();
        // Written under a temporary name with owner-only permissions from the start,
        // then renamed, so the token is never readable by others even for a moment.
        let temporary = file.with_extension("tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut out = options.open(&temporary)?;
        out.write_all(value.as_bytes())?;
        out.sync_all()?;
        drop(out);
        std::fs::rename(&temporary, file)?;
        Ok(Token {
            value: Arc::from(value.as_str()),
            file: file.to_path_buf(),
        })
    }

    /// A token given on the command line or by a test.
    pub fn fixed(value: &str) -> Token {
        Token {
            value: Arc::from(value),
            file: PathBuf::new(),
        }
    }

    fn matches(&self, given: &str) -> bool {
        // Same time whatever the first differing byte, so the token cannot be guessed
        // a character at a time from response times.
        same_secret(&self.value, given)
    }
}

/// 244 random bits from two UUID v4s, as 64 hex digits with a recognisable prefix.
fn new_token() -> String {
    format!("hearth-{}", random_secret())
}

#[cfg(unix)]
fn restrict_to_owner(file: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file)?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(file = %file.display(), "the server token was readable by others; narrowing it to the owner");
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_to_owner(_file: &Path) -> std::io::Result<()> {
    Ok(())
}

/// How long a login code works after it is made.
pub const LOGIN_CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Codes not yet used, and browser sessions, kept at most; the oldest go first.
const MOST_CODES: usize = 16;
const MOST_SESSIONS: usize = 64;

/// One-time login codes and the browser sessions they became, in memory only: a
/// restart logs every browser out.
#[derive(Clone)]
pub struct Logins {
    inner: Arc<Mutex<LoginBook>>,
    code_lifetime: Duration,
}

#[derive(Default)]
struct LoginBook {
    codes: VecDeque<(String, Instant)>,
    sessions: VecDeque<String>,
}

impl Default for Logins {
    fn default() -> Self {
        Self::with_code_lifetime(LOGIN_CODE_LIFETIME)
    }
}

impl Logins {
    /// Codes that expire `lifetime` after they are made (tests use zero).
    pub fn with_code_lifetime(lifetime: Duration) -> Self {
        Logins {
            inner: Arc::default(),
            code_lifetime: lifetime,
        }
    }

    /// A new one-time login code, for `/login?code=…`.
    pub fn new_code(&self) -> String {
        let code = random_secret();
        if let Ok(mut book) = self.inner.lock() {
            if book.codes.len() >= MOST_CODES {
                book.codes.pop_front();
            }
            book.codes.push_back((code.clone(), Instant::now()));
        }
        code
    }

    /// Trades a code for a new session id, spending the code; `None` when the code is
    /// wrong, used or expired.
    pub fn redeem(&self, code: &str) -> Option<String> {
        let Ok(mut book) = self.inner.lock() else {
            return None;
        };
        let now = Instant::now();
        let lifetime = self.code_lifetime;
        book.codes
            .retain(|(_, made)| now.saturating_duration_since(*made) < lifetime);
        // Every code is compared, so the time taken says nothing about which one matched.
        let mut found = None;
        for (at, (known, _)) in book.codes.iter().enumerate() {
            if same_secret(known, code) {
                found = Some(at);
            }
        }
        book.codes.remove(found?);
        let session = random_secret();
        if book.sessions.len() >= MOST_SESSIONS {
            book.sessions.pop_front();
        }
        book.sessions.push_back(session.clone());
        Some(session)
    }

    /// Whether `session` is one this server gave out.
    pub fn is_session(&self, session: &str) -> bool {
        let Ok(book) = self.inner.lock() else {
            return false;
        };
        book.sessions
            .iter()
            .fold(false, |found, known| found | same_secret(known, session))
    }
}

/// 244 random bits (two UUID v4s, from the operating system's CSPRNG) as hex.
fn random_secret() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    format!("{a}{b}")
}

/// Compares secrets in time that does not depend on where they first differ.
fn same_secret(known: &str, given: &str) -> bool {
    let (a, b) = (known.as_bytes(), given.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `Host` values a server on `addr` answers to: its own address, the loopback names
/// when it listens on loopback or on every interface, and each of `extra`
/// (`NAME[:PORT]`, the port defaulting to the server's). Never empty: a server bound to
/// every interface still refuses names it was not told about (DNS rebinding).
pub fn allowed_hosts(addr: SocketAddr, extra: &[String]) -> Result<Vec<String>, String> {
    let ip = addr.ip();
    let port = addr.port();
    let mut hosts = Vec::new();
    if !ip.is_unspecified() {
        hosts.push(match ip {
            IpAddr::V4(v4) => format!("{v4}:{port}"),
            IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        });
    }
    if ip.is_loopback() || ip.is_unspecified() {
        hosts.extend([
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ]);
    }
    for name in extra {
        hosts.push(host_entry(name, port)?);
    }
    // Browsers leave the port out of `Host` when it is the scheme's default.
    if port == 80 {
        let bare: Vec<String> = hosts
            .iter()
            .filter_map(|h| h.strip_suffix(":80").map(str::to_owned))
            .collect();
        hosts.extend(bare);
    }
    let mut seen = std::collections::HashSet::new();
    hosts.retain(|h| seen.insert(h.clone()));
    Ok(hosts)
}

/// `NAME[:PORT]` as a lowercase `host:port`, or why it is not one.
fn host_entry(given: &str, port: u16) -> Result<String, String> {
    let bad = || {
        format!(
            "`{given}` is not a host name; write it like hearth.lan, 192.168.1.5 or [fe80::1], optionally with :PORT"
        )
    };
    let name = given.trim().to_ascii_lowercase();
    let (host, port_text) = if let Some(rest) = name.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or_else(bad)?;
        if inside.is_empty()
            || !inside
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(bad());
        }
        match after {
            "" => (format!("[{inside}]"), None),
            _ => (
                format!("[{inside}]"),
                Some(after.strip_prefix(':').ok_or_else(bad)?),
            ),
        }
    } else {
        let (host, port_text) = match name.split_once(':') {
            Some((host, port_text)) => (host, Some(port_text)),
            None => (name.as_str(), None),
        };
        let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
        if host.is_empty() || !host.chars().all(fine) {
            return Err(bad());
        }
        (host.to_owned(), port_text)
    };
    let port = match port_text {
        None => port,
        Some(text) => text.parse::<u16>().map_err(|_| bad())?,
    };
    Ok(format!("{host}:{port}"))
}

/// What the gate checks: the token, the browser sessions, and the host names this
/// server answers to.
#[derive(Clone)]
pub struct Gate {
    pub token: Token,
    /// Lowercase `host:port` values accepted in the `Host` header (never empty).
    pub hosts: Arc<Vec<String>>,
    pub logins: Logins,
    /// The session cookie's name; it carries the port, so servers on other ports of the
    /// same machine do not overwrite each other's sessions.
    pub cookie: Arc<str>,
}

/// How a request that reached a handler proved itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    Token,
    Session,
}

impl Gate {
    pub fn new(token: Token, hosts: Vec<String>, logins: Logins, port: u16) -> Gate {
        Gate {
            token,
            hosts: Arc::new(hosts),
            logins,
            cookie: Arc::from(format!("hearth_session_{port}")),
        }
    }

    fn host_allowed(&self, request: &Request) -> bool {
        match request_host(request) {
            Some(host) => self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)),
            None => false,
        }
    }

    /// The session id in the request's cookie, if it is one of ours.
    fn has_session(&self, request: &Request) -> bool {
        request
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| name == &*self.cookie && self.logins.is_session(value.trim()))
    }
}

fn request_host(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
}

/// Whether a request from a browser comes from the page this server served: `Origin`,
/// when present, names the same host the request was sent to.
fn same_origin(request: &Request) -> bool {
    let Some(origin) = request.headers().get(header::ORIGIN) else {
        return true;
    };
    let Some(host) = request_host(request) else {
        return false;
    };
    let origin = origin.to_str().unwrap_or_default();
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    authority.is_some_and(|a| a.eq_ignore_ascii_case(host))
}

/// Paths that need the token or a session: the APIs. The UI's files, the login link and
/// the health check do not.
fn needs_token(path: &str) -> bool {
    let api =
        path == "/v1" || path.starts_with("/v1/") || path == "/api" || path.starts_with("/api/");
    api && path != "/api/health"
}

pub async fn guard(State(gate): State<Gate>, mut request: Request, next: Next) -> Response {
    let openai = request.uri().path().starts_with("/v1");
    let refusal = if !gate.host_allowed(&request) {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "HOST_NOT_ALLOWED",
            "this server answers only to its own names (127.0.0.1, localhost, and those given with `hearth serve --allowed-host`); open it by one of them",
        )
        .into_response()
    } else if request.method() == Method::OPTIONS || !needs_token(request.uri().path()) {
        // CORS preflights carry no credentials by design; the CORS layer answers them.
        return next.run(request).await;
    } else {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim);
        match given {
            Some(given) if gate.token.matches(given) => {
                request.extensions_mut().insert(Caller::Token);
                return next.run(request).await;
            }
            Some(_) => unauthorized(&gate, "the bearer token is wrong"),
            None if gate.has_session(&request) => {
                let reads = matches!(*request.method(), Method::GET | Method::HEAD);
                if reads || same_origin(&request) {
                    request.extensions_mut().insert(Caller::Session);
                    return next.run(request).await;
                }
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    "ORIGIN_NOT_ALLOWED",
                    "this request came from another web site; only Hearth's own page may change things with your login",
                )
                .into_response()
            }
            None => unauthorized(
                &gate,
                "this request needs a bearer token or a browser login",
            ),
        }
    };
    if openai {
        crate::error::openai_shape(refusal).await
    } else {
        refusal
    }
}

fn unauthorized(gate: &Gate, why: &str) -> Response {
    let place = if gate.token.file.as_os_str().is_empty() {
        "the token `hearth serve` was started with".to_owned()
    } else {
        format!("the token in {}", gate.token.file.display())
    };
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        format!("{why}; programs send `Authorization: Bearer <token>` with {place} (`hearth serve --show-token` prints it); in a browser, open the login link that `hearth serve` printed (or run `hearth serve --login-link`)"),
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer"),
    );
    response
}

/// `GET /login?code=…` (the link `hearth serve` prints) and `POST /api/login-link`.
pub fn routes<S: Clone + Send + Sync + 'static>(gate: Gate) -> Router<S> {
    Router::new()
        .route("/login", get(login))
        .route("/api/login-link", post(login_link))
        .with_state(gate)
}

#[derive(Deserialize)]
struct LoginQuery {
    code: Option<String>,
}

async fn login(State(gate): State<Gate>, Query(query): Query<LoginQuery>) -> Response {
    let session = query
        .code
        .as_deref()
        .and_then(|code| gate.logins.redeem(code.trim()));
    let Some(session) = session else {
        return (
            StatusCode::FORBIDDEN,
            private_page(),
            Html(
                "<!doctype html><html lang=en><meta charset=utf-8><title>Hearth: login link not valid</title>\
                 <h1>This login link does not work</h1>\
                 <p>It was already used, it is older than ten minutes, or it is not one \
                 this server made. Use the link <code>hearth serve</code> printed when it \
                 started, or get a new one with <code>hearth serve --login-link</code> \
                 (run it with the same <code>--port</code>), then open that link here.</p>",
            ),
        )
            .into_response();
    };
    let cookie = format!(
        "{}={session}; HttpOnly; SameSite=Strict; Path=/",
        gate.cookie
    );
    let mut response = (
        StatusCode::SEE_OTHER,
        private_page(),
        [(header::LOCATION, "/")],
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn private_page() -> [(header::HeaderName, &'static str); 2] {
    [
        (header::CACHE_CONTROL, "no-store"),
        // The code is in the address; it must not leave in a Referer.
        (header::REFERRER_POLICY, "no-referrer"),
    ]
}

/// A fresh login link, for `hearth serve --login-link`: only with the token, so a
/// browser session cannot hand out logins.
async fn login_link(State(gate): State<Gate>, request: Request) -> Response {
    if request.extensions().get::<Caller>() != Some(&Caller::Token) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "TOKEN_REQUIRED",
            "a login link is made only for a request with the bearer token; run `hearth serve --login-link`",
        )
        .into_response();
    }
    let host = request_host(&request).unwrap_or("127.0.0.1").to_owned();
    let code = gate.logins.new_code();
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({
            "url": format!("http://{host}/login?code={code}"),
            "expires_in_s": gate.logins.code_lifetime.as_secs(),
        })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_is_owner_only_and_reread_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config/server-token");
        let first = Token::load_or_create(&file).unwrap();
        assert!(first.value.starts_with("hearth-"));
        assert_eq!(first.value.len(), "hearth-".len() + 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = Token::load_or_create(&file).unwrap();
        assert_eq!(first.value, again.value);
        let other = Token::load_or_create(&dir.path().join("other")).unwrap();
        assert_ne!(first.value, other.value);
    }

    #[cfg(unix)]
    #[test]
    fn a_token_file_readable_by_others_is_narrowed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("server-token");
        std::fs::write(&file, "hearth-abc\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let token = Token::load_or_create(&file).unwrap();
        assert_eq!(&*token.value, "hearth-abc");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn token_comparison_needs_the_exact_token() {
        let token = Token::fixed("hearth-secret");
        assert!(token.matches("hearth-secret"));
        assert!(!token.matches("hearth-secreT"));
        assert!(!token.matches("hearth-secret "));
        assert!(!token.matches(""));
    }

    #[test]
    fn a_login_code_works_once() {
        let logins = Logins::default();
        let code = logins.new_code();
        assert_eq!(code.len(), 64);
        assert_ne!(code, logins.new_code());
        let session = logins.redeem(&code).expect("a fresh code logs in");
        assert!(logins.is_session(&session));
        assert_eq!(logins.redeem(&code), None, "a used code is spent");
        assert!(logins.is_session(&session), "the session outlives its code");
    }

    #[test]
    fn wrong_and_expired_codes_log_nobody_in() {
        let logins = Logins::default();
        let code = logins.new_code();
        assert_eq!(logins.redeem(""), None);
        assert_eq!(logins.redeem(&code[..63]), None);
        assert_eq!(logins.redeem(&format!("{code}0")), None);
        let expired = Logins::with_code_lifetime(Duration::ZERO);
        let code = expired.new_code();
        assert_eq!(expired.redeem(&code), None);
    }

    #[test]
    fn only_sessions_given_out_are_sessions() {
        let logins = Logins::default();
        assert!(!logins.is_session(""));
        assert!(!logins.is_session(&random_secret()));
        let code = logins.new_code();
        assert!(!logins.is_session(&code), "a code is not a session");
        let session = logins.redeem(&code).unwrap();
        let other = Logins::default();
        assert!(!other.is_session(&session), "sessions belong to one server");
    }

    #[test]
    fn old_codes_make_room_for_new_ones() {
        let logins = Logins::default();
        let first = logins.new_code();
        for _ in 0..MOST_CODES {
            logins.new_code();
        }
        assert_eq!(logins.redeem(&first), None);
        assert!(logins.redeem(&logins.new_code()).is_some());
    }

    fn request(headers: &[(header::HeaderName, &str)]) -> Request {
        let mut builder = Request::builder().method(Method::POST).uri("/api/x");
        for (name, value) in headers {
            builder = builder.header(name, *value);
        }
        builder.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let logins = Logins::default();
        let session = logins.redeem(&logins.new_code()).unwrap();
        let gate = Gate::new(Token::fixed("t"), Vec::new(), logins, 8765);
        assert_eq!(&*gate.cookie, "hearth_session_8765");
        let with = format!("theme=dark; hearth_session_8765={session}; x=y");
        assert!(gate.has_session(&request(&[(header::COOKIE, with.as_str())])));
        let other_port = format!("hearth_session_9999={session}");
        assert!(!gate.has_session(&request(&[(header::COOKIE, other_port.as_str())])));
        assert!(!gate.has_session(&request(&[(header::COOKIE, "hearth_session_8765=forged")])));
        assert!(!gate.has_session(&request(&[])));
    }

    #[test]
    fn origin_must_name_the_host_asked() {
        let host = (header::HOST, "127.0.0.1:8765");
        assert!(
            same_origin(&request(std::slice::from_ref(&host))),
            "no Origin: not a cross-site browser request"
        );
        assert!(same_origin(&request(&[
            host.clone(),
            (header::ORIGIN, "http://127.0.0.1:8765")
        ])));
        for foreign in [
            "http://evil.example",
            "http://127.0.0.1:9999",
            "null",
            "127.0.0.1:8765",
        ] {
            assert!(
                !same_origin(&request(&[host.clone(), (header::ORIGIN, foreign)])),
                "{foreign}"
            );
        }
    }

    #[test]
    fn loopback_servers_answer_to_loopback_names_only() {
        let hosts = allowed_hosts("127.0.0.1:8080".parse().unwrap(), &[]).unwrap();
        assert!(hosts.contains(&"localhost:8080".to_owned()));
        assert!(hosts.contains(&"127.0.0.1:8080".to_owned()));
        assert!(!hosts.iter().any(|h| h.contains("evil")));
        assert_eq!(
            allowed_hosts("192.168.1.5:81".parse().unwrap(), &[]).unwrap(),
            vec!["192.168.1.5:81".to_owned()]
        );
    }

    #[test]
    fn servers_on_every_interface_answer_to_loopback_and_the_names_given() {
        for any in ["0.0.0.0:8765", "[::]:8765"] {
            let hosts = allowed_hosts(any.parse().unwrap(), &[]).unwrap();
            assert_eq!(
                hosts,
                ["localhost:8765", "127.0.0.1:8765", "[::1]:8765"].map(str::to_owned)
            );
        }
        let named = allowed_hosts(
            "0.0.0.0:8765".parse().unwrap(),
            &[
                "Hearth.LAN".into(),
                "192.168.1.5:9000".into(),
                "[FE80::1]".into(),
            ],
        )
        .unwrap();
        for host in [
            "hearth.lan:8765",
            "192.168.1.5:9000",
            "[fe80::1]:8765",
            "localhost:8765",
        ] {
            assert!(named.contains(&host.to_owned()), "{host} in {named:?}");
        }
        assert!(!named.contains(&"attacker.example:8765".to_owned()));
        let port80 = allowed_hosts("0.0.0.0:80".parse().unwrap(), &["hearth.lan".into()]).unwrap();
        assert!(port80.contains(&"hearth.lan".to_owned()));
    }

    #[test]
    fn a_bad_allowed_host_is_refused_with_an_example() {
        for bad in [
            "",
            "http://hearth.lan",
            "hearth.lan/x",
            "fe80::1",
            "a b",
            "host:port",
            "[fe80::1",
            "[x]",
        ] {
            let error = allowed_hosts("0.0.0.0:8765".parse().unwrap(), &[bad.into()]).unwrap_err();
            assert!(error.contains("hearth.lan"), "{bad}: {error}");
        }
    }

    #[test]
    fn only_the_apis_need_the_token() {
        assert!(needs_token("/v1/chat/completions"));
        assert!(needs_token("/api/conversations"));
        assert!(needs_token("/api/openapi.json"));
        assert!(!needs_token("/api/health"));
        assert!(!needs_token("/"));
        assert!(!needs_token("/assets/index.js"));
        assert!(!needs_token("/v1x"));
    }
}
