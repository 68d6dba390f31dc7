//! A local stand-in for the Hugging Face hub and its CDN, on two loopback ports, with
//! hand-written HTTP/1.1 so tests control every header and can misbehave on purpose:
//! drop connections mid-file, ignore `Range`, serve corrupt bytes, demand a token.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use sha2::{Digest, Sha256};

/// How the fake hub behaves; `Behaviour::default()` is a well-behaved hub.
#[derive(Clone, Default)]
pub struct Behaviour {
    /// Answer HEAD with a 302 to the CDN carrying `X-Linked-Etag`/`X-Linked-Size`, as
    /// the hub does for LFS files. When false the hub serves the bytes itself with a
    /// git-style SHA-1 ETag, as for small files kept in git.
    pub no_lfs_headers: bool,
    /// Serve `/api/models/{repo}/tree/{rev}` listing the file with its LFS hash.
    pub tree_api: bool,
    /// Require `Authorization: Bearer <token>` on the hub (not on the CDN).
    pub token: Option<String>,
    /// Each CDN GET sends at most this many body bytes, then closes the connection.
    pub drop_after: Option<usize>,
    /// Serve bytes that differ from the announced hash (same length).
    pub corrupt: bool,
    /// Answer ranged requests with 200 and the whole file.
    pub ignore_range: bool,
    /// Answer every hub request with this status.
    pub hub_status: Option<u16>,
    /// A former name of the repo that the hub redirects (relative 307) to the current one.
    pub renamed_from: Option<String>,
}

/// One request the fake servers received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub server: &'static str,
    pub method: String,
    pub path: String,
    pub range: Option<String>,
    pub authorization: Option<String>,
}

struct Shared {
    repo: String,
    file: String,
    content: Vec<u8>,
    sha256: String,
    behaviour: Behaviour,
    hub_url: String,
    cdn_url: String,
    log: Mutex<Vec<Recorded>>,
}

pub struct FakeHub {
    shared: Arc<Shared>,
}

impl FakeHub {
    /// Starts a hub that holds `file` in `repo` at revision `main`.
    pub fn start(repo: &str, file: &str, content: Vec<u8>, behaviour: Behaviour) -> FakeHub {
        let hub = TcpListener::bind("127.0.0.1:0").unwrap();
        let cdn = TcpListener::bind("127.0.0.1:0").unwrap();
        let shared = Arc::new(Shared {
            repo: repo.to_string(),
            file: file.to_string(),
            sha256: hex_sha256(&content),
            content,
            behaviour,
            hub_url: format!("http://{}", hub.local_addr().unwrap()),
            cdn_url: format!("http://{}", cdn.local_addr().unwrap()),
            log: Mutex::new(Vec::new()),
        });
        serve(hub, "hub", Arc::clone(&shared));
        serve(cdn, "cdn", Arc::clone(&shared));
        FakeHub { shared }
    }

    pub fn url(&self) -> &str {
        &self.shared.hub_url
    }

    pub fn sha256(&self) -> &str {
        &self.shared.sha256
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().unwrap().clone()
    }

    /// The GETs that transferred file bytes (from the CDN, or the hub for non-LFS files).
    pub fn body_gets(&self) -> Vec<Recorded> {
        let hub_serves_bytes = self.shared.behaviour.no_lfs_headers;
        self.requests()
            .into_iter()
            .filter(|r| r.method == "GET")
            .filter(|r| r.server == "cdn" || (hub_serves_bytes && r.path.contains("/resolve/")))
            .collect()
    }
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Deterministic pseudo-random bytes (xorshift64), so no test depends on a real model.
pub fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.max(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn serve(listener: TcpListener, server: &'static str, shared: Arc<Shared>) {
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                // Errors here are the client hanging up (a cancelled download): fine.
                let _ = handle(stream, server, &shared);
            });
        }
    });
}

struct Request {
    method: String,
    path: String,
    range_from: Option<usize>,
    authorization: Option<String>,
}

fn read_request(
    stream: &TcpStream,
    server: &'static str,
    shared: &Shared,
) -> std::io::Result<Request> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let (mut range, mut authorization) = (None, None);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "range" => range = Some(value.trim().to_string()),
                "authorization" => authorization = Some(value.trim().to_string()),
                _ => {}
            }
        }
    }
    shared.log.lock().unwrap().push(Recorded {
        server,
        method: method.clone(),
        path: path.clone(),
        range: range.clone(),
        authorization: authorization.clone(),
    });
    let range_from = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse().ok());
    Ok(Request {
        method,
        path,
        range_from,
        authorization,
    })
}

fn handle(mut stream: TcpStream, server: &'static str, shared: &Shared) -> std::io::Result<()> {
    let request = read_request(&stream, server, shared)?;
    let result = if server == "cdn" {
        handle_cdn(&mut stream, &request, shared)
    } else {
        handle_hub(&mut stream, &request, shared)
    };
    let _ = stream.shutdown(Shutdown::Both);
    result
}

fn handle_hub(stream: &mut TcpStream, request: &Request, shared: &Shared) -> std::io::Result<()> {
    let behaviour = &shared.behaviour;
    if let Some(status) = behaviour.hub_status {
        return respond(stream, request, status, &[], b"server trouble");
    }
    if let Some(token) = &behaviour.token {
        if request.authorization.as_deref() != Some(&format!("Bearer {token}")) {
            let code = if request.authorization.is_some() {
                403
            } else {
                401
            };
            return respond(
                stream,
                request,
                code,
                &[("X-Error-Code", "GatedRepo")],
                b"denied",
            );
        }
    }
    if let Some(rest) = request.path.strip_prefix("/api/models/") {
        let listing = format!("{}/tree/main", shared.repo);
        let dir = shared.file.rsplit_once('/').map(|(dir, _)| dir);
        let expected = match dir {
            Some(dir) => format!("{listing}/{dir}"),
            None => listing,
        };
        if !behaviour.tree_api || rest != expected {
            return respond(stream, request, 404, &[], b"not found");
        }
        let body = format!(
            r#"[{{"type":"file","oid":"{}","size":{},"path":"{}","lfs":{{"oid":"{}","size":{},"pointerSize":134}}}}]"#,
            "1".repeat(40),
            shared.content.len(),
            shared.file,
            shared.sha256,
            shared.content.len()
        );
        return respond(
            stream,
            request,
            200,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
    }

    let resolve = |repo: &str| format!("/{repo}/resolve/main/");
    if let Some(old) = &behaviour.renamed_from {
        if let Some(file) = request.path.strip_prefix(&resolve(old)) {
            let location = format!("{}{file}", resolve(&shared.repo));
            return respond(stream, request, 307, &[("Location", &location)], b"moved");
        }
    }
    let Some(file) = request.path.strip_prefix(&resolve(&shared.repo)) else {
        return respond(
            stream,
            request,
            404,
            &[("X-Error-Code", "RepoNotFound")],
            b"no repo",
        );
    };
    if file != shared.file {
        return respond(
            stream,
            request,
            404,
            &[("X-Error-Code", "EntryNotFound")],
            b"no file",
        );
    }
    if behaviour.no_lfs_headers {
        let etag = format!("\"{}\"", "1".repeat(40));
        return send_content(
            stream,
            request,
            shared,
            &[("ETag", &etag), ("X-Repo-Commit", "abc123")],
        );
    }
    let location = format!("{}/blobs/{}", shared.cdn_url, shared.sha256);
    let etag = format!("\"{}\"", shared.sha256);
    let size = shared.content.len().to_string();
    let headers = [
        ("Location", location.as_str()),
        ("X-Linked-Etag", etag.as_str()),
        ("ETag", etag.as_str()),
        ("X-Linked-Size", size.as_str()),
        ("X-Repo-Commit", "abc123"),
    ];
    respond(stream, request, 302, &headers, b"Found. Redirecting")
}

fn handle_cdn(stream: &mut TcpStream, request: &Request, shared: &Shared) -> std::io::Result<()> {
    if request.path != format!("/blobs/{}", shared.sha256) {
        return respond(stream, request, 404, &[], b"no blob");
    }
    let etag = format!("\"cdn-{}\"", &shared.sha256[..8]);
    send_content(stream, request, shared, &[("ETag", &etag)])
}

/// Sends the file (or the requested tail of it), misbehaving as configured.
fn send_content(
    stream: &mut TcpStream,
    request: &Request,
    shared: &Shared,
    extra: &[(&str, &str)],
) -> std::io::Result<()> {
    let behaviour = &shared.behaviour;
    let mut content = shared.content.clone();
    if behaviour.corrupt {
        let middle = content.len() / 2;
        content[middle] ^= 0xff;
    }
    let total = content.len();
    let from = request.range_from.filter(|_| !behaviour.ignore_range);
    let (status, body, range_header) = match from {
        Some(from) if from >= total => (416, Vec::new(), format!("bytes */{total}")),
        Some(from) => (
            206,
            content[from..].to_vec(),
            format!("bytes {from}-{}/{total}", total - 1),
        ),
        None => (200, content, String::new()),
    };
    let length = body.len().to_string();
    let mut headers: Vec<(&str, &str)> = extra.to_vec();
    headers.push(("Content-Length", &length));
    headers.push(("Accept-Ranges", "bytes"));
    if !range_header.is_empty() {
        headers.push(("Content-Range", &range_header));
    }
    write_head(stream, status, &headers)?;
    if request.method == "HEAD" {
        return Ok(());
    }
    let limit = behaviour.drop_after.unwrap_or(usize::MAX).min(body.len());
    stream.write_all(&body[..limit])?;
    stream.flush()
}

fn respond(
    stream: &mut TcpStream,
    request: &Request,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let length = body.len().to_string();
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.push(("Content-Length", &length));
    write_head(stream, status, &all)?;
    if request.method != "HEAD" {
        stream.write_all(body)?;
    }
    stream.flush()
}

fn write_head(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&str, &str)],
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {status} {reason}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())
}
