//! A stand-in for the Hugging Face hub on a loopback port, with hand-written HTTP/1.1,
//! so `hearth models pull` can be tested end to end without the network.
//!
//! It behaves like the hub does for a file stored in LFS: a HEAD or GET on
//! `/{repo}/resolve/main/{file}` answers `302 Found` to the blob, carrying the file's
//! SHA-256 in `X-Linked-Etag` and its size in `X-Linked-Size`; the blob itself is
//! served from `/blobs/{sha256}` with `Range: bytes=N-` support. What it announces and
//! what it sends are given separately, so a test can serve corrupted bytes.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use sha2::{Digest, Sha256};

/// One request the fake hub received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub range: Option<String>,
}

struct Repo {
    repo: String,
    file: String,
    /// The bytes sent for the blob.
    body: Vec<u8>,
    /// The SHA-256 announced for the file (lowercase hex).
    sha256: String,
    log: Mutex<Vec<Seen>>,
}

pub struct FakeHub {
    url: String,
    repo: Arc<Repo>,
}

impl FakeHub {
    /// Serves `body` as `file` in `repo` at revision `main`, announcing `sha256` and
    /// the body's length.
    pub fn start(repo: &str, file: &str, body: Vec<u8>, sha256: &str) -> FakeHub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let repo = Arc::new(Repo {
            repo: repo.to_owned(),
            file: file.to_owned(),
            body,
            sha256: sha256.to_owned(),
            log: Mutex::new(Vec::new()),
        });
        let shared = Arc::clone(&repo);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&shared);
                // An error here is the client hanging up; nothing to do about it.
                thread::spawn(move || {
                    let _ = handle(stream, &shared);
                });
            }
        });
        FakeHub { url, repo }
    }

    /// The endpoint to put in `HEARTH_HF_ENDPOINT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.repo.log.lock().unwrap().clone()
    }

    /// The GETs that transferred the file's bytes.
    pub fn blob_gets(&self) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "GET" && r.path.starts_with("/blobs/"))
            .collect()
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn handle(mut stream: TcpStream, repo: &Repo) -> std::io::Result<()> {
    let seen = read_request(&stream)?;
    repo.log.lock().unwrap().push(seen.clone());
    let resolve = format!("/{}/resolve/main/", repo.repo);
    let blob = format!("/blobs/{}", repo.sha256);
    let head_only = seen.method == "HEAD";
    let result = if let Some(file) = seen.path.strip_prefix(&resolve) {
        if file == repo.file {
            let etag = format!("\"{}\"", repo.sha256);
            let size = repo.body.len().to_string();
            let headers = [
                ("Location", blob.as_str()),
                ("X-Linked-Etag", etag.as_str()),
                ("X-Linked-Size", size.as_str()),
                ("X-Repo-Commit", "0123456789abcdef0123456789abcdef01234567"),
            ];
            respond(&mut stream, 302, &headers, b"", head_only)
        } else {
            let headers = [("X-Error-Code", "EntryNotFound")];
            respond(&mut stream, 404, &headers, b"Entry not found", head_only)
        }
    } else if seen.path == blob {
        send_blob(&mut stream, repo, seen.range.as_deref(), head_only)
    } else {
        let headers = [("X-Error-Code", "RepoNotFound")];
        respond(
            &mut stream,
            404,
            &headers,
            b"Repository not found",
            head_only,
        )
    };
    let _ = stream.shutdown(Shutdown::Both);
    result
}

fn read_request(stream: &TcpStream) -> std::io::Result<Seen> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut range = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("range") {
                range = Some(value.trim().to_owned());
            }
        }
    }
    Ok(Seen {
        method,
        path,
        range,
    })
}

/// The blob, or its tail from `Range: bytes=N-`.
fn send_blob(
    stream: &mut TcpStream,
    repo: &Repo,
    range: Option<&str>,
    head_only: bool,
) -> std::io::Result<()> {
    let total = repo.body.len();
    let from: Option<usize> = range
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse().ok());
    match from {
        Some(from) if from >= total => {
            let range = format!("bytes */{total}");
            respond(stream, 416, &[("Content-Range", &range)], b"", head_only)
        }
        Some(from) => {
            let range = format!("bytes {from}-{}/{total}", total - 1);
            let headers = [
                ("Content-Range", range.as_str()),
                ("Accept-Ranges", "bytes"),
            ];
            respond(stream, 206, &headers, &repo.body[from..], head_only)
        }
        None => respond(
            stream,
            200,
            &[("Accept-Ranges", "bytes")],
            &repo.body,
            head_only,
        ),
    }
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}

/// The SmolLM2 file's bytes and SHA-256 (what the fake hub serves), read once per test
/// binary.
pub fn smollm2_bytes() -> &'static (Vec<u8>, String) {
    static BYTES: std::sync::OnceLock<(Vec<u8>, String)> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        let bytes = std::fs::read(super::models::smollm2()).unwrap();
        let sha = sha256_hex(&bytes);
        (bytes, sha)
    })
}
