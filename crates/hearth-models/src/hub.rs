//! Talking to a Hugging Face hub: where it is, who we are, how its URLs are built, how
//! its answers map to errors, and what it says about a file before we download it.
//!
//! The behaviour follows `huggingface_hub`: a HEAD on `{endpoint}/{repo}/resolve/{rev}/{file}`
//! answers, for files stored in LFS, with a redirect to a CDN that carries the file's
//! SHA-256 in `X-Linked-Etag` and its size in `X-Linked-Size`. Redirects are followed by
//! hand so a `Range` header survives them and the token never leaves the hub's origin.

use std::time::Duration;

use serde::Deserialize;
use ureq::http::{HeaderMap, Response, StatusCode, Uri};
use ureq::{Agent, Body};

use crate::error::ModelsError;

/// The public hub, used when nothing else is configured.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// Environment variable that points Hearth at another hub (a mirror, or a test server),
/// like `HF_ENDPOINT` for `huggingface_hub`.
pub const ENDPOINT_ENV: &str = "HEARTH_HF_ENDPOINT";
/// Environment variable holding a Hugging Face access token for gated or private repos.
pub const TOKEN_ENV: &str = "HF_TOKEN";

/// Redirect hops followed before giving up; the hub needs one or two.
const MAX_REDIRECTS: usize = 10;

/// Which file to fetch from which repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRequest {
    /// `owner/name`, e.g. `bartowski/SmolLM2-135M-Instruct-GGUF`.
    pub repo: String,
    /// Path of the file inside the repository; may contain `/`.
    pub file: String,
    /// Branch, tag or commit; `main` unless set.
    pub revision: String,
}

impl DownloadRequest {
    /// A request for `file` in `repo` at revision `main`.
    pub fn new(repo: impl Into<String>, file: impl Into<String>) -> Self {
        DownloadRequest {
            repo: repo.into(),
            file: file.into(),
            revision: "main".to_string(),
        }
    }

    /// The same request at another branch, tag or commit.
    pub fn with_revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = revision.into();
        self
    }

    /// Rejects names that could not come from the hub or that would escape the
    /// destination folder once joined to it.
    pub fn validate(&self) -> Result<(), ModelsError> {
        validate_repo(&self.repo)?;
        validate_file(&self.file)?;
        if self.revision.is_empty() || self.revision.chars().any(char::is_control) {
            return Err(invalid(
                "revision",
                &self.revision,
                "it must be a branch, tag or commit",
            ));
        }
        Ok(())
    }
}

/// How hard to try again after a dropped connection or a server error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Failed tries in a row before giving up (a try that made progress resets the count).
    pub attempts: u32,
    /// Wait after the first failure; doubled after each further one.
    pub first_backoff: Duration,
    /// Longest wait between two tries.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The wait after the `failures`-th failure in a row (1-based).
    pub fn backoff(&self, failures: u32) -> Duration {
        let factor = 1u32 << failures.saturating_sub(1).min(16);
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// What the hub says about a file before it is downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMetadata {
    /// Size in bytes, when the hub told it.
    pub size: Option<u64>,
    /// Lowercase hex SHA-256, known for files stored in LFS (every GGUF on the hub).
    pub sha256: Option<String>,
    /// The commit the revision resolved to (`X-Repo-Commit`).
    pub commit: Option<String>,
}

/// A blocking client for one hub: endpoint, optional token, retry policy.
///
/// Cheap to clone (the connection pool is shared). Blocking by design: the CLI calls it
/// directly and async front ends run it under `spawn_blocking`.
#[derive(Clone)]
pub struct HubClient {
    endpoint: String,
    token: Option<String>,
    pub(crate) retry: RetryPolicy,
    agent: Agent,
}

impl std::fmt::Debug for HubClient {
    // Hand-written so a token never ends up in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient")
            .field("endpoint", &self.endpoint)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("retry", &self.retry)
            .finish()
    }
}

impl HubClient {
    /// A client for `endpoint` (e.g. `https://huggingface.co`) without a token.
    pub fn new(endpoint: impl Into<String>) -> Self {
        let endpoint = endpoint.into().trim_end_matches('/').to_string();
        HubClient {
            endpoint,
            token: None,
            retry: RetryPolicy::default(),
            agent: agent(None),
        }
    }

    /// The client the environment asks for: [`ENDPOINT_ENV`] and [`TOKEN_ENV`].
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Like [`HubClient::from_env`], reading variables through `var` (tests pass a map).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let endpoint = set(ENDPOINT_ENV).unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        Self::new(endpoint).with_token(set(TOKEN_ENV))
    }

    /// Sends `token` as `Authorization: Bearer` to the hub (never to the CDN it redirects to).
    pub fn with_token(mut self, token: Option<String>) -> Self {
        self.token = token;
        self
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The hub's base URL, without a trailing slash.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Whether a token will be sent.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// `{endpoint}/{repo}/resolve/{revision}/{file}`, escaped like `huggingface_hub` does.
    pub fn resolve_url(&self, request: &DownloadRequest) -> String {
        format!(
            "{}/{}/resolve/{}/{}",
            self.endpoint,
            request.repo,
            percent_encode(&request.revision, false),
            percent_encode(&request.file, true)
        )
    }

    /// Asks the hub for the size and SHA-256 of a file without downloading it.
    ///
    /// Retries dropped connections and server errors like a download does.
    pub fn file_metadata(&self, request: &DownloadRequest) -> Result<FileMetadata, ModelsError> {
        request.validate()?;
        let never = std::sync::atomic::AtomicBool::new(false);
        self.with_retries(&request.file, &never, || self.file_metadata_once(request))
    }

    /// Whether the hub answers for this file within `timeout`: one try at
    /// [`HubClient::file_metadata`], no retries, every step of every request (name
    /// lookup, connection, each answer) limited to `timeout`. For deciding quickly
    /// whether a download is worth starting on a machine that may be offline, where
    /// the download's own patient timeouts and retries would keep a person waiting.
    pub fn probe(
        &self,
        request: &DownloadRequest,
        timeout: Duration,
    ) -> Result<FileMetadata, ModelsError> {
        request.validate()?;
        let quick = HubClient {
            agent: agent(Some(timeout)),
            ..self.clone()
        };
        quick
            .file_metadata_once(request)
            .map_err(Failure::into_error)
    }

    /// One try at [`HubClient::file_metadata`], for callers that run their own retries.
    pub(crate) fn file_metadata_once(
        &self,
        request: &DownloadRequest,
    ) -> Result<FileMetadata, Failure> {
        let url = self.resolve_url(request);
        // Stop at the hub's redirect to the CDN: that response carries the LFS headers,
        // while the CDN's own ETag is not the file's hash.
        let (response, final_url) = self.request("HEAD", &url, None, |headers| {
            headers.contains_key("x-linked-etag") || headers.contains_key("x-linked-size")
        })?;
        let status = response.status();
        let headers = response.headers();
        let mut metadata = FileMetadata {
            size: None,
            sha256: None,
            commit: header(headers, "x-repo-commit").map(str::to_string),
        };
        if status.is_success() || status.is_redirection() {
            metadata.sha256 = header(headers, "x-linked-etag")
                .or_else(|| header(headers, "etag"))
                .and_then(sha256_from_etag);
            metadata.size = header(headers, "x-linked-size").and_then(|v| v.parse().ok());
            if metadata.size.is_none() && status.is_success() {
                metadata.size = header(headers, "content-length").and_then(|v| v.parse().ok());
            }
        } else if status != StatusCode::METHOD_NOT_ALLOWED && status != StatusCode::NOT_IMPLEMENTED
        {
            // A server without HEAD still serves the GET; anything else is an answer.
            return Err(self.status_failure(status, headers, request, &final_url));
        }
        if metadata.sha256.is_none() {
            // Mirrors that drop the X-Linked headers still serve the tree API, which
            // knows the LFS hash. Best effort: without it the size alone is checked.
            match self.tree_entry(request) {
                Ok(Some(entry)) => {
                    let lfs = entry.lfs.as_ref();
                    metadata.sha256 = lfs
                        .and_then(|l| l.sha256.as_deref().or(l.oid.as_deref()))
                        .and_then(sha256_from_etag);
                    if metadata.size.is_none() {
                        metadata.size = lfs.and_then(|l| l.size).or(entry.size);
                    }
                }
                Ok(None) => {}
                Err(error) => tracing::debug!(%error, "tree api gave no hash"),
            }
        }
        Ok(metadata)
    }

    fn tree_entry(&self, request: &DownloadRequest) -> Result<Option<TreeEntry>, ModelsError> {
        let mut url = format!(
            "{}/api/models/{}/tree/{}",
            self.endpoint,
            request.repo,
            percent_encode(&request.revision, false)
        );
        if let Some((dir, _)) = request.file.rsplit_once('/') {
            url.push('/');
            url.push_str(&percent_encode(dir, true));
        }
        let (mut response, final_url) = self
            .request("GET", &url, None, |_| false)
            .map_err(Failure::into_error)?;
        if !response.status().is_success() {
            return Ok(None);
        }
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| network(&final_url, &e))?;
        let entries: Vec<TreeEntry> =
            serde_json::from_str(&text).map_err(|e| ModelsError::BadResponse {
                url: final_url,
                reason: format!("the tree listing is not valid json ({e})"),
            })?;
        Ok(entries.into_iter().find(|entry| entry.path == request.file))
    }

    /// Sends one request, following redirects by hand.
    ///
    /// `Range` is kept on every hop, the token is only sent to the hub's own origin, and
    /// a redirect whose headers satisfy `stop_at` is returned instead of followed.
    pub(crate) fn request(
        &self,
        method: &str,
        url: &str,
        range_from: Option<u64>,
        stop_at: impl Fn(&HeaderMap) -> bool,
    ) -> Result<(Response<Body>, String), Failure> {
        let endpoint_origin = origin(&self.endpoint);
        let mut url = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let mut builder = ureq::http::Request::builder()
                .method(method)
                .uri(url.as_str());
            if let Some(from) = range_from {
                builder = builder.header("Range", format!("bytes={from}-"));
            }
            if let Some(token) = &self.token {
                if endpoint_origin.is_some() && origin(&url) == endpoint_origin {
                    builder = builder.header("Authorization", format!("Bearer {token}"));
                }
            }
            let request = builder.body(()).map_err(|e| {
                Failure::Fatal(ModelsError::BadResponse {
                    url: url.clone(),
                    reason: format!("cannot build a request for this url ({e})"),
                })
            })?;
            let response = self
                .agent
                .run(request)
                .map_err(|e| classify_transport(&url, e))?;
            let status = response.status();
            if !status.is_redirection() || stop_at(response.headers()) {
                return Ok((response, url));
            }
            let Some(location) = header(response.headers(), "location") else {
                return Ok((response, url));
            };
            url = resolve_location(&url, location).ok_or_else(|| {
                Failure::Fatal(ModelsError::BadResponse {
                    url: url.clone(),
                    reason: format!("redirect to an unusable location '{location}'"),
                })
            })?;
        }
        Err(Failure::Fatal(ModelsError::BadResponse {
            url,
            reason: format!("more than {MAX_REDIRECTS} redirects"),
        }))
    }

    /// Maps a non-success status to a domain error, retryable or not.
    pub(crate) fn status_failure(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        request: &DownloadRequest,
        url: &str,
    ) -> Failure {
        let repo = request.repo.clone();
        match status.as_u16() {
            401 | 403 if self.has_token() => Failure::Fatal(ModelsError::TokenRejected { repo }),
            401 | 403 => Failure::Fatal(ModelsError::TokenRequired { repo }),
            404 => Failure::Fatal(match header(headers, "x-error-code") {
                Some("RepoNotFound") => ModelsError::RepoNotFound { repo },
                Some("RevisionNotFound") => ModelsError::RevisionNotFound {
                    repo,
                    revision: request.revision.clone(),
                },
                _ => ModelsError::FileNotFound {
                    repo,
                    file: request.file.clone(),
                    revision: request.revision.clone(),
                },
            }),
            code @ (408 | 429 | 500..=599) => Failure::Retry(ModelsError::Http {
                url: url.to_string(),
                status: code,
            }),
            code => Failure::Fatal(ModelsError::Http {
                url: url.to_string(),
                status: code,
            }),
        }
    }

    /// Runs `once` until it succeeds, fails for good, or fails `retry.attempts` times
    /// in a row, waiting with exponential backoff in between.
    pub(crate) fn with_retries<T>(
        &self,
        file: &str,
        cancel: &std::sync::atomic::AtomicBool,
        mut once: impl FnMut() -> Result<T, Failure>,
    ) -> Result<T, ModelsError> {
        let mut failures = 0;
        loop {
            match once() {
                Ok(value) => return Ok(value),
                Err(Failure::Fatal(error)) => return Err(error),
                Err(Failure::Retry(error)) => {
                    failures += 1;
                    if failures >= self.retry.attempts.max(1) {
                        return Err(error);
                    }
                    tracing::warn!(%error, failures, "retrying");
                    sleep_unless_cancelled(self.retry.backoff(failures), cancel, file)?;
                }
            }
        }
    }
}

/// The HTTP agent of a client: patient for downloads, or limited to `quick` per request.
fn agent(quick: Option<Duration>) -> Agent {
    let patient = |seconds| quick.or(Some(Duration::from_secs(seconds)));
    Agent::config_builder()
        // Statuses are mapped to domain errors here, and redirects are followed by
        // hand (see `request`), so ureq must hand both back untouched.
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(format!("hearth/{}", env!("CARGO_PKG_VERSION")))
        .timeout_connect(patient(30))
        .timeout_recv_response(patient(60))
        // A stalled transfer must fail (and be resumed) instead of hanging forever;
        // there is deliberately no limit on the whole body of a download, which can be
        // many GB, while a probe is bounded as a whole (name lookup included).
        .timeout_per_read(patient(60))
        .timeout_global(quick)
        .build()
        .into()
}

/// Waits `duration`, returning early with `Cancelled` when the flag is raised.
pub(crate) fn sleep_unless_cancelled(
    duration: Duration,
    cancel: &std::sync::atomic::AtomicBool,
    file: &str,
) -> Result<(), ModelsError> {
    let slice = Duration::from_millis(50);
    let mut left = duration;
    loop {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(ModelsError::Cancelled {
                file: file.to_string(),
            });
        }
        if left.is_zero() {
            return Ok(());
        }
        let step = left.min(slice);
        std::thread::sleep(step);
        left -= step;
    }
}

/// Whether a failed step may be tried again.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A dropped connection or a server error: worth another try.
    Retry(ModelsError),
    /// An answer that another try would not change.
    Fatal(ModelsError),
}

impl Failure {
    pub(crate) fn into_error(self) -> ModelsError {
        match self {
            Failure::Retry(error) | Failure::Fatal(error) => error,
        }
    }
}

/// One entry of `/api/models/{repo}/tree/{revision}`.
#[derive(Debug, Deserialize)]
struct TreeEntry {
    path: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    lfs: Option<LfsInfo>,
}

#[derive(Debug, Deserialize)]
struct LfsInfo {
    #[serde(default)]
    oid: Option<String>,
    #[serde(default)]
    sha256: Option<String>,
    #[serde(default)]
    size: Option<u64>,
}

pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

pub(crate) fn network(url: &str, error: &dyn std::fmt::Display) -> ModelsError {
    ModelsError::Network {
        url: url.to_string(),
        reason: error.to_string(),
    }
}

fn classify_transport(url: &str, error: ureq::Error) -> Failure {
    match error {
        ureq::Error::Io(_)
        | ureq::Error::Timeout(_)
        | ureq::Error::ConnectionFailed
        | ureq::Error::Protocol(_)
        | ureq::Error::BodyStalled => Failure::Retry(network(url, &error)),
        other => Failure::Fatal(network(url, &other)),
    }
}

/// The hex SHA-256 inside an ETag such as `"abc…"` or `W/"abc…"`, if it is one: git
/// blobs (small, non-LFS files) have 40-hex SHA-1 ETags, which cannot be checked here.
pub(crate) fn sha256_from_etag(etag: &str) -> Option<String> {
    let value = etag.trim().trim_start_matches("W/").trim_matches('"');
    let is_sha256 = value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit());
    is_sha256.then(|| value.to_ascii_lowercase())
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `/` when asked).
pub(crate) fn percent_encode(value: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && byte == b'/');
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `scheme://authority` of a URL, lowercased, for same-origin checks.
fn origin(url: &str) -> Option<String> {
    let uri: Uri = url.parse().ok()?;
    Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?).to_ascii_lowercase())
}

/// Resolves a `Location` header against the URL that answered with it.
pub(crate) fn resolve_location(base: &str, location: &str) -> Option<String> {
    let location = location.trim();
    if location.starts_with("http://") || location.starts_with("https://") {
        return Some(location.to_string());
    }
    let uri: Uri = base.parse().ok()?;
    let scheme = uri.scheme_str()?;
    let authority = uri.authority()?;
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    if location.starts_with('/') {
        return Some(format!("{scheme}://{authority}{location}"));
    }
    let path = uri.path();
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let dir = if dir.is_empty() { "/" } else { dir };
    Some(format!("{scheme}://{authority}{dir}{location}"))
}

/// Why `name` cannot be one file or folder name inside the models folder on every
/// system Hearth runs on, or `None` when it can. Checked on every OS, not only Windows,
/// so a name is refused the same way everywhere (and the check is tested on Linux):
/// on Windows `C:evil.gguf` is relative to drive C's current folder, `model.gguf:x`
/// writes an alternate data stream, `CON` or `nul.gguf` is a device, and a trailing dot
/// or space is dropped, so the file written would not be the one named.
pub fn file_name_problem(name: &str) -> Option<&'static str> {
    const DEVICES: [&str; 6] = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"];
    if name.is_empty() {
        return Some("the name is empty");
    }
    if name == "." || name == ".." {
        return Some("'.' and '..' are not file names");
    }
    if name.contains(['/', '\\']) {
        return Some("a file name cannot contain '/' or '\\'");
    }
    if name.contains(':') {
        return Some(
            "a file name cannot contain ':' (a drive or an alternate data stream on Windows)",
        );
    }
    if name.chars().any(char::is_control) {
        return Some("a file name cannot contain control characters");
    }
    if name.contains(['<', '>', '"', '|', '?', '*']) {
        return Some("a file name cannot contain < > \" | ? or *");
    }
    if name.ends_with(['.', ' ']) {
        return Some("a file name cannot end with a dot or a space (Windows drops them)");
    }
    if name.len() > 255 {
        return Some("a file name can have at most 255 bytes");
    }
    // The device names stay devices with any extension and trailing spaces ("nul .txt").
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    let numbered = |prefix: &str| {
        stem.get(..3)
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
            && stem.get(3..).is_some_and(|n| {
                matches!(n, "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9")
                    || matches!(n, "\u{b9}" | "\u{b2}" | "\u{b3}")
            })
    };
    if DEVICES.iter().any(|d| stem.eq_ignore_ascii_case(d)) || numbered("COM") || numbered("LPT") {
        return Some(
            "CON, PRN, AUX, NUL, COM1 to COM9 and LPT1 to LPT9 are device names on Windows",
        );
    }
    None
}

fn invalid(what: &'static str, value: &str, reason: &'static str) -> ModelsError {
    ModelsError::InvalidName {
        what,
        value: value.to_string(),
        reason,
    }
}

fn name_part_ok(part: &str) -> bool {
    !part.is_empty()
        && part != "."
        && part != ".."
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn validate_repo(repo: &str) -> Result<(), ModelsError> {
    let parts: Vec<&str> = repo.split('/').collect();
    if parts.len() > 2 || !parts.iter().all(|part| name_part_ok(part)) {
        return Err(invalid(
            "repository",
            repo,
            "use owner/name with letters, digits, '-', '_' and '.'",
        ));
    }
    Ok(())
}

fn validate_file(file: &str) -> Result<(), ModelsError> {
    let bad_segment =
        |s: &str| s.is_empty() || s == "." || s == ".." || s.chars().any(char::is_control);
    if file.contains('\\') || file.split('/').any(bad_segment) {
        return Err(invalid(
            "file name",
            file,
            "use the path shown in the repository's file list, without '..' or a leading '/'",
        ));
    }
    // Each folder and the file itself must be a plain name on every system.
    if let Some(reason) = file.split('/').find_map(file_name_problem) {
        return Err(invalid("file name", file, reason));
    }
    // Downloads are staged in DEST/.partial; a file of that name would collide with it.
    if file.split('/').next() == Some(".partial") {
        return Err(invalid(
            "file name",
            file,
            "'.partial' is reserved for unfinished downloads",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn resolve_url_escapes_revision_and_file() {
        let client = HubClient::new("https://hub.example/");
        let request =
            DownloadRequest::new("org/repo", "sub dir/model+1.gguf").with_revision("refs/pr/1");
        assert_eq!(
            client.resolve_url(&request),
            "https://hub.example/org/repo/resolve/refs%2Fpr%2F1/sub%20dir/model%2B1.gguf"
        );
    }

    #[test]
    fn env_selects_endpoint_and_token() {
        let vars: HashMap<&str, &str> =
            [(ENDPOINT_ENV, "http://127.0.0.1:9/"), (TOKEN_ENV, " hf_x ")].into();
        let client = HubClient::from_vars(|k| vars.get(k).map(|v| v.to_string()));
        assert_eq!(client.endpoint(), "http://127.0.0.1:9");
        assert!(client.has_token());

        let client = HubClient::from_vars(|k| (k == TOKEN_ENV).then(String::new));
        assert_eq!(client.endpoint(), DEFAULT_ENDPOINT);
        assert!(!client.has_token());
    }

    #[test]
    fn debug_output_hides_the_token() {
        let client = HubClient::new(DEFAULT_ENDPOINT).with_token(Some("hf_secret".into()));
        let shown = format!("{client:?}");
        assert!(!shown.contains("hf_secret"), "{shown}");
        assert!(shown.contains("<set>"), "{shown}");
    }

    #[test]
    fn etags_yield_sha256_only() {
        let sha = "A".repeat(64);
        assert_eq!(
            sha256_from_etag(&format!("\"{sha}\"")),
            Some("a".repeat(64))
        );
        assert_eq!(
            sha256_from_etag(&format!("W/\"{}\"", "b".repeat(64))),
            Some("b".repeat(64))
        );
        assert_eq!(sha256_from_etag(&format!("\"{}\"", "c".repeat(40))), None);
        assert_eq!(sha256_from_etag("\"not-hex\""), None);
    }

    #[test]
    fn locations_resolve_like_a_browser() {
        let base = "http://127.0.0.1:8080/org/repo/resolve/main/a.gguf";
        assert_eq!(
            resolve_location(base, "https://cdn.example/x").as_deref(),
            Some("https://cdn.example/x")
        );
        assert_eq!(
            resolve_location(base, "/api/x").as_deref(),
            Some("http://127.0.0.1:8080/api/x")
        );
        assert_eq!(
            resolve_location(base, "//cdn.example/y").as_deref(),
            Some("http://cdn.example/y")
        );
        assert_eq!(
            resolve_location(base, "b.gguf").as_deref(),
            Some("http://127.0.0.1:8080/org/repo/resolve/main/b.gguf")
        );
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert_eq!(
            origin("https://HF.co/a/b"),
            Some("https://hf.co".to_string())
        );
        assert_ne!(
            origin("http://127.0.0.1:1/a"),
            origin("http://127.0.0.1:2/a")
        );
    }

    #[test]
    fn names_that_escape_the_destination_are_rejected() {
        for file in [
            "../x.gguf",
            "/etc/passwd",
            "a//b.gguf",
            "a\\b.gguf",
            ".partial/x",
            "",
            // Windows: a drive-relative path, an alternate data stream, device names,
            // trailing dots and spaces; refused on every system.
            "C:evil.gguf",
            "sub/x.gguf:stream",
            "CON/x.gguf",
            "sub./x.gguf",
            "nul.gguf",
            "x.gguf ",
        ] {
            let error = DownloadRequest::new("org/repo", file).validate();
            assert!(
                matches!(
                    error,
                    Err(ModelsError::InvalidName {
                        what: "file name",
                        ..
                    })
                ),
                "{file}"
            );
        }
        for repo in ["", "a/b/c", "../b", "org/re po"] {
            let error = DownloadRequest::new(repo, "x.gguf").validate();
            assert!(
                matches!(
                    error,
                    Err(ModelsError::InvalidName {
                        what: "repository",
                        ..
                    })
                ),
                "{repo}"
            );
        }
        assert!(DownloadRequest::new("gpt2", "sub/model.Q4_K_M.gguf")
            .validate()
            .is_ok());
    }

    /// Names that would land outside the models folder, in a stream or on a device on
    /// Windows, or under another name there, are refused on every system.
    #[test]
    fn file_names_unsafe_on_any_system_are_refused() {
        let table: &[(&str, bool)] = &[
            ("model.Q4_K_M.gguf", true),
            ("Llama-3.2-1B-Instruct-Q4_K_M.gguf", true),
            ("console.gguf", true),
            ("com10.gguf", true),
            ("nullable.gguf", true),
            (".hidden.gguf", true),
            ("C:evil.gguf", false),
            ("model.gguf:stream", false),
            ("foo:stream", false),
            ("C:", false),
            ("a\\b.gguf", false),
            ("a/b.gguf", false),
            ("..", false),
            (".", false),
            ("", false),
            ("model.gguf.", false),
            ("model.gguf ", false),
            ("model\u{0}.gguf", false),
            ("model\n.gguf", false),
            ("model\u{7f}.gguf", false),
            ("what?.gguf", false),
            ("a*b.gguf", false),
            ("<x>.gguf", false),
            ("CON", false),
            ("con.gguf", false),
            ("Nul.tar.gz", false),
            ("aux .gguf", false),
            ("COM1.gguf", false),
            ("lpt9", false),
            ("COM\u{b9}.gguf", false),
            ("CONIN$", false),
            ("éé.gguf", true),
        ];
        for (name, ok) in table {
            assert_eq!(file_name_problem(name).is_none(), *ok, "{name:?}");
        }
        let long = "a".repeat(256);
        assert!(file_name_problem(&long).is_some());
    }

    /// A hub that accepts the connection and never answers (a black-holing firewall, a
    /// captive portal) ends the probe with a network error instead of a hang: the
    /// download's own limits (30 s to connect, 60 s per answer, retries) do not apply.
    #[test]
    fn a_probe_of_a_hub_that_never_answers_ends_with_a_network_error() {
        // The kernel completes the handshake for a listening socket nobody reads from.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = HubClient::new(format!("http://{}", silent.local_addr().unwrap()));
        let request = DownloadRequest::new("org/repo", "model.gguf");
        let error = client
            .probe(&request, Duration::from_millis(300))
            .unwrap_err();
        assert!(
            matches!(error, ModelsError::Network { .. }),
            "{error:?} ({error})"
        );
        assert!(error.to_string().contains("timeout"), "{error}");
        let invalid = DownloadRequest::new("org/repo", "../model.gguf");
        assert!(matches!(
            client.probe(&invalid, Duration::from_millis(300)),
            Err(ModelsError::InvalidName { .. })
        ));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            attempts: 5,
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
        };
        assert_eq!(policy.backoff(1), Duration::from_millis(100));
        assert_eq!(policy.backoff(2), Duration::from_millis(200));
        assert_eq!(policy.backoff(3), Duration::from_millis(350));
        assert_eq!(policy.backoff(40), Duration::from_millis(350));
    }
}
