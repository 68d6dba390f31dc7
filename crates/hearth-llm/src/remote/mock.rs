//! A provider on loopback that speaks either protocol from a script, for tests of
//! remote models anywhere in Hearth (like [`crate::fake`] for local ones): each
//! connection takes the next scripted [`Reply`] — a streamed answer, an error status
//! with its headers, a stream that stops and waits — and every request is kept for the
//! test to inspect. Plain `std::net`, HTTP/1.1 with chunked bodies.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

/// One request the mock received.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl SeenRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the mock answers one request with.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Written one chunk at a time, flushed after each.
    pub chunks: Vec<String>,
    /// A pause before each chunk after the first, as a model's tokens arrive.
    pub pace: Duration,
    /// After the chunks, keep the connection open (sending nothing) until the client
    /// closes it or this long has passed.
    pub hold: Option<Duration>,
}

impl Reply {
    /// An OpenAI-style stream of `pieces` ending in `finish_reason` and usage.
    pub fn openai_stream(pieces: &[&str]) -> Self {
        let mut chunks: Vec<String> = pieces
            .iter()
            .map(|p| {
                sse(&json!({"object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": null}]}))
            })
            .collect();
        chunks.push(sse(&json!({"object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})));
        chunks.push(sse(&json!({"object": "chat.completion.chunk", "choices": [],
            "usage": {"prompt_tokens": 11, "completion_tokens": pieces.len(), "total_tokens": 11 + pieces.len()}})));
        chunks.push("data: [DONE]\n\n".into());
        Self::stream(chunks)
    }

    /// An Anthropic-style stream of `pieces` (text deltas) ending with `end_turn`.
    pub fn anthropic_stream(pieces: &[&str]) -> Self {
        let mut chunks = vec![named(
            "message_start",
            &json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
                "role": "assistant", "content": [], "model": "mock",
                "usage": {"input_tokens": 13, "output_tokens": 1}}}),
        )];
        chunks.push(named(
            "content_block_start",
            &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ));
        chunks.push(named("ping", &json!({"type": "ping"})));
        for piece in pieces {
            chunks.push(named(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}),
            ));
        }
        chunks.push(named(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": 0}),
        ));
        chunks.push(named(
            "message_delta",
            &json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                "usage": {"output_tokens": pieces.len()}}),
        ));
        chunks.push(named("message_stop", &json!({"type": "message_stop"})));
        Self::stream(chunks)
    }

    /// Server-sent events as given.
    pub fn stream(chunks: Vec<String>) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            chunks,
            pace: Duration::ZERO,
            hold: None,
        }
    }

    /// An error status with a JSON body.
    pub fn error(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            chunks: vec![body.to_string()],
            pace: Duration::ZERO,
            hold: None,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Pauses this long before each chunk after the first.
    pub fn paced(mut self, pace: Duration) -> Self {
        self.pace = pace;
        self
    }

    /// Sends the chunks, then waits (up to `hold`) for the client to hang up.
    pub fn then_hold(mut self, hold: Duration) -> Self {
        self.hold = Some(hold);
        self
    }
}

/// `data: {json}` and a blank line.
pub fn sse(data: &Value) -> String {
    format!("data: {data}\n\n")
}

/// An event with a name, as Anthropic sends them.
pub fn named(event: &str, data: &Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

#[derive(Default)]
struct State {
    replies: VecDeque<Reply>,
    seen: Vec<SeenRequest>,
    connections: usize,
    /// Connections the client closed while the mock held them open.
    hung_up: usize,
}

/// The running mock; it stops when dropped (its thread ends with the test process).
pub struct MockProvider {
    address: SocketAddr,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl MockProvider {
    /// Listens on a free loopback port and answers with `replies`, in order.
    pub fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the mock");
        let address = listener.local_addr().expect("the mock's address");
        let state = Arc::new((
            Mutex::new(State {
                replies: replies.into(),
                ..State::default()
            }),
            Condvar::new(),
        ));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Self { address, state }
    }

    /// The base address to configure, ending in `/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    pub fn requests(&self) -> Vec<SeenRequest> {
        self.state.0.lock().unwrap().seen.clone()
    }

    /// TCP connections accepted so far (zero proves nothing was sent).
    pub fn connections(&self) -> usize {
        self.state.0.lock().unwrap().connections
    }

    /// Waits until the client has hung up on `count` held connections; false if that
    /// did not happen within `limit`.
    pub fn wait_for_hang_ups(&self, count: usize, limit: Duration) -> bool {
        let (lock, changed) = &*self.state;
        let state = lock.lock().unwrap();
        let (state, _) = changed
            .wait_timeout_while(state, limit, |s| s.hung_up < count)
            .unwrap();
        state.hung_up >= count
    }
}

fn serve(stream: TcpStream, state: &(Mutex<State>, Condvar)) {
    state.0.lock().unwrap().connections += 1;
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut writer = stream;
    let mut head = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
        head.push_str(&line);
    }
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let reply = {
        let mut s = state.0.lock().unwrap();
        s.seen.push(SeenRequest {
            method,
            path,
            headers,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        s.replies.pop_front()
    };
    let reply = reply.unwrap_or_else(|| {
        Reply::error(
            500,
            json!({"error": {"message": "the mock has no reply left for this request"}}),
        )
    });
    let mut out = format!(
        "HTTP/1.1 {} Mock\r\ntransfer-encoding: chunked\r\n",
        reply.status
    );
    for (name, value) in &reply.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    if writer.write_all(out.as_bytes()).is_err() {
        return;
    }
    for (i, chunk) in reply.chunks.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(reply.pace);
        }
        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        if writer
            .write_all(framed.as_bytes())
            .and_then(|_| writer.flush())
            .is_err()
        {
            return;
        }
    }
    if let Some(hold) = reply.hold {
        // Wait for the client to close its side: a read returns 0 (or fails).
        let _ = reader.get_ref().set_read_timeout(Some(hold));
        let mut byte = [0u8; 1];
        let closed = match reader.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        };
        if closed {
            let (lock, changed) = state;
            lock.lock().unwrap().hung_up += 1;
            changed.notify_all();
        }
        return;
    }
    let _ = writer.write_all(b"0\r\n\r\n");
}
