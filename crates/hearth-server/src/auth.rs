//! Who may talk to the server. Safe by default, because any program on the machine and
//! any web page in the user's browser can reach a port on 127.0.0.1:
//!
//! - Every `/v1` and `/api` request needs `Authorization: Bearer <token>`. The token is
//!   made on first run and kept in a file only the user can read (mode 0600).
//! - The web UI served by Hearth itself needs no token: its `index.html` carries it in a
//!   `<meta>` tag. Other sites cannot read that page (the same-origin policy), and the
//!   `Host` check below stops DNS rebinding, the trick that would make them same-origin.
//! - Requests whose `Host` header is not this server's own name are refused.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

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
        let (a, b) = (self.value.as_bytes(), given.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// 244 random bits from two UUID v4s, as 64 hex digits with a recognisable prefix.
fn new_token() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    format!("hearth-{a}{b}")
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

/// What the gate checks: the token, and the host names this server answers to.
#[derive(Clone)]
pub struct Gate {
    pub token: Token,
    /// Lowercase `host:port` values accepted in the `Host` header; empty accepts any
    /// (the server was bound to every interface on purpose).
    pub hosts: Arc<Vec<String>>,
}

impl Gate {
    fn host_allowed(&self, request: &Request) -> bool {
        if self.hosts.is_empty() {
            return true;
        }
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()));
        match host {
            Some(host) => self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)),
            None => false,
        }
    }
}

/// Paths that need the token: the APIs. The UI's files and the health check do not.
fn needs_token(path: &str) -> bool {
    let api =
        path == "/v1" || path.starts_with("/v1/") || path == "/api" || path.starts_with("/api/");
    api && path != "/api/health"
}

pub async fn guard(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let openai = request.uri().path().starts_with("/v1");
    let refusal = if !gate.host_allowed(&request) {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "HOST_NOT_ALLOWED",
            "this server answers only to its own address (127.0.0.1 or localhost); open it by that address",
        )
        .into_response()
    } else if request.method() == axum::http::Method::OPTIONS || !needs_token(request.uri().path())
    {
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
            Some(given) if gate.token.matches(given) => return next.run(request).await,
            Some(_) => unauthorized(&gate, "the bearer token is wrong"),
            None => unauthorized(&gate, "this request needs a bearer token"),
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
        format!("{why}; send `Authorization: Bearer <token>` with {place} (`hearth serve --show-token` prints it)"),
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer"),
    );
    response
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
