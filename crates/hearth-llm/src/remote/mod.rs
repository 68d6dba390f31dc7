//! Models that run on someone else's server, behind the same [`Engine`] trait as the
//! local ones: any OpenAI-compatible endpoint ([`openai`]: hosted services and
//! self-hosted servers such as vLLM, llama-server, Ollama, LM Studio) and Anthropic's
//! Messages API ([`anthropic`]).
//!
//! Each answer runs on two threads. One speaks HTTP (blocking ureq) and reads the
//! server-sent events; the other relays what it reads to the caller and watches the
//! cancel flag, so a stopped answer ends at once for the caller even while the server
//! has not sent a byte. The HTTP thread hangs up when the next piece arrives and finds
//! nobody listening, which stops the provider generating (and charging for) the rest;
//! a server that stays silent keeps the connection until it speaks or times out.
//!
//! Nothing here opens a socket while the shared [`NetworkSwitch`] says offline: the
//! switch is checked before every connection, including retries. Nor over plain
//! http:// to another machine ([`Origin::check_transport`]), and no redirect is
//! followed: a 3xx is reported, so the key only ever goes to the address configured.

mod anthropic;
pub mod mock;
mod openai;
mod origin;
mod sse;
mod wire;

use std::fmt;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ureq::http::{HeaderMap, Request, Response};
use ureq::{Agent, Body};

use crate::chat_template::TemplateSource;
use crate::engine::{CancelToken, Engine, Generation, ModelInfo};
use crate::error::{LlmError, Result};
use crate::request::{
    ChatMessage, Completion, EngineRequest, GenerationEvent, GenerationOptions, Prompt, StopReason,
    ToolCall,
};
pub use origin::Origin;
use sse::SseReader;
use wire::{Piece, StreamFailure};

/// The protocol a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Protocol {
    #[serde(rename = "openai")]
    OpenAi,
    #[serde(rename = "anthropic")]
    Anthropic,
}

impl Protocol {
    /// Where the provider's API lives when the user gives no address.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Protocol::OpenAi => "https://api.openai.com/v1",
            Protocol::Anthropic => "https://api.anthropic.com/v1",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::OpenAi => "openai",
            Protocol::Anthropic => "anthropic",
        }
    }
}

impl std::str::FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "openai" | "openai-compatible" => Ok(Protocol::OpenAi),
            "anthropic" => Ok(Protocol::Anthropic),
            other => Err(format!(
                "unknown provider kind '{other}'; use openai (any OpenAI-compatible server) or anthropic"
            )),
        }
    }
}

/// An API key. It prints as `ApiKey(…)`, so it cannot reach a log or an error by
/// accident; only the request header sees the value.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(…)")
    }
}

/// Whether Hearth may reach remote providers. One switch is shared by every remote
/// engine; turning it on fails the next request before it connects.
#[derive(Debug, Clone, Default)]
pub struct NetworkSwitch {
    offline: Arc<AtomicBool>,
}

impl NetworkSwitch {
    pub fn new(offline: bool) -> Self {
        let switch = Self::default();
        switch.set_offline(offline);
        switch
    }
    pub fn set_offline(&self, offline: bool) {
        self.offline.store(offline, Ordering::SeqCst);
    }
    pub fn is_offline(&self) -> bool {
        self.offline.load(Ordering::SeqCst)
    }
}

/// How long to wait out rate limits and an overloaded server before giving up.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Tries after the first one.
    pub retries: u32,
    /// A server asking for a longer wait than this is reported instead of waited for.
    pub longest_wait: Duration,
    /// The wait before the first retry when the server names none; doubled each time.
    pub backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            retries: 2,
            longest_wait: Duration::from_secs(20),
            backoff: Duration::from_secs(1),
        }
    }
}

/// One model at one provider.
#[derive(Debug, Clone)]
pub struct RemoteSettings {
    /// The name the user gave the provider ("openai", "work-vllm"); shown on every
    /// answer it writes.
    pub provider: String,
    pub protocol: Protocol,
    /// The API's base address, such as `https://api.openai.com/v1` or
    /// `http://localhost:11434/v1`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<ApiKey>,
    /// Tokens the model takes (prompt and answer), for Hearth's own budgets.
    pub context_length: u32,
    pub retry: RetryPolicy,
    /// How long to wait for the server to accept a connection.
    pub connect_timeout: Duration,
}

/// A model served by a remote provider.
pub struct RemoteEngine {
    settings: Arc<RemoteSettings>,
    agent: Agent,
    network: NetworkSwitch,
}

impl RemoteEngine {
    /// Checks the settings; connects to nothing (the first request does).
    pub fn new(settings: RemoteSettings, network: NetworkSwitch) -> Result<Self> {
        let url = settings.base_url.trim();
        if let Err(reason) = Origin::of(url).and_then(|origin| origin.check_transport()) {
            return Err(LlmError::InvalidOptions {
                reason: format!("the address of provider {}: {reason}", settings.provider),
            });
        }
        if settings.model.trim().is_empty() {
            return Err(LlmError::InvalidOptions {
                reason: format!("provider {} needs a model name", settings.provider),
            });
        }
        let agent = Agent::config_builder()
            // Error statuses carry the provider's explanation in their bodies.
            .http_status_as_error(false)
            // A redirect could take the key to another server; it is reported instead.
            .max_redirects(0)
            .user_agent(format!("hearth/{}", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(settings.connect_timeout))
            // A long prompt can take a while before the first byte; a stream that then
            // goes quiet for minutes is dead.
            .timeout_recv_response(Some(Duration::from_secs(300)))
            .timeout_per_read(Some(Duration::from_secs(300)))
            .build()
            .into();
        Ok(Self {
            settings: Arc::new(settings),
            agent,
            network,
        })
    }

    fn offline_check(&self) -> Result<()> {
        if self.network.is_offline() {
            return Err(LlmError::Offline {
                provider: self.settings.provider.clone(),
            });
        }
        Ok(())
    }

    fn start(&self, call: Call) -> Result<Generation> {
        self.offline_check()?;
        let cancel = CancelToken::new();
        let (pieces_in, pieces_out) = flume::unbounded();
        let (events_in, events_out) = flume::unbounded();
        let http = HttpCall {
            settings: self.settings.clone(),
            agent: self.agent.clone(),
            network: self.network.clone(),
            cancel: cancel.clone(),
            call,
            out: pieces_in,
        };
        let spawn_failed = |e: std::io::Error| {
            LlmError::Decode {
            reason: format!("could not start a thread for the request ({e}); close other programs and try again"),
        }
        };
        std::thread::Builder::new()
            .name("hearth-remote-http".into())
            .spawn(move || http.run())
            .map_err(spawn_failed)?;
        let relay_cancel = cancel.clone();
        let provider = self.settings.provider.clone();
        std::thread::Builder::new()
            .name("hearth-remote-relay".into())
            .spawn(move || relay(pieces_out, events_in, relay_cancel, provider))
            .map_err(spawn_failed)?;
        Ok(Generation::new(events_out, cancel))
    }
}

/// A tokenizer is not part of either API; budgets use an estimate that errs high
/// (three bytes of UTF-8 per token, where English averages about four characters).
fn estimate_tokens(text: &str) -> usize {
    text.len().div_ceil(3)
}

impl Engine for RemoteEngine {
    fn info(&self) -> ModelInfo {
        let s = &self.settings;
        ModelInfo {
            path: PathBuf::from(format!("{}:{}", s.provider, s.model)),
            name: s.model.clone(),
            architecture: format!("remote-{}", s.protocol.as_str()),
            chat_template: None,
            bos_token: None,
            eos_token: None,
            context_length: s.context_length,
            train_context_length: s.context_length,
            parallel: 4,
            parameters: 0,
            size_bytes: 0,
            vocab_size: 0,
            threads: 0,
            cpu_backend: String::new(),
            load_ms: 0.0,
            provider: Some(s.provider.clone()),
            adapter: None,
            placement: None,
            draft_model: None,
        }
    }

    /// Raw text: the OpenAI-compatible `/completions`; Anthropic has no such call.
    fn submit(&self, request: EngineRequest) -> Result<Generation> {
        let Prompt::Text(prompt) = &request.prompt else {
            return Err(self.unsupported("a prompt of token ids"));
        };
        match self.settings.protocol {
            Protocol::OpenAi => {
                request.options.validate()?;
                self.start(Call {
                    path: "/completions",
                    body: openai::completion_body(&self.settings.model, prompt, &request.options),
                })
            }
            Protocol::Anthropic => Err(self.unsupported("raw text completion (no chat)")),
        }
    }

    fn chat(
        &self,
        messages: &[ChatMessage],
        options: GenerationOptions,
    ) -> Result<(Generation, TemplateSource)> {
        options.validate()?;
        let model = &self.settings.model;
        let call = match self.settings.protocol {
            Protocol::OpenAi => Call {
                path: "/chat/completions",
                body: openai::chat_body(model, messages, &options),
            },
            Protocol::Anthropic => Call {
                path: "/messages",
                body: anthropic::messages_body(model, messages, &options)?,
            },
        };
        Ok((self.start(call)?, TemplateSource::Remote))
    }

    fn tokenize(&self, _text: &str, _add_special: bool) -> Result<Vec<u32>> {
        Err(self.unsupported("tokenizing"))
    }

    fn detokenize(&self, _tokens: &[u32]) -> Result<String> {
        Err(self.unsupported("detokenizing"))
    }

    fn count_tokens(&self, text: &str) -> Result<usize> {
        Ok(estimate_tokens(text))
    }

    fn forget_contexts(&self) -> Result<()> {
        Ok(()) // the provider keeps no context between requests that Hearth controls
    }
}

impl RemoteEngine {
    fn unsupported(&self, what: &str) -> LlmError {
        LlmError::Unsupported {
            provider: self.settings.provider.clone(),
            what: what.into(),
        }
    }
}

/// What to send: a path under the base address and a JSON body.
struct Call {
    path: &'static str,
    body: Value,
}

/// The HTTP side of one answer.
struct HttpCall {
    settings: Arc<RemoteSettings>,
    agent: Agent,
    network: NetworkSwitch,
    cancel: CancelToken,
    call: Call,
    out: flume::Sender<std::result::Result<Piece, LlmError>>,
}

impl HttpCall {
    fn run(self) {
        if let Err(error) = self.answer() {
            let _ = self.out.send(Err(error));
        }
    }

    fn url(&self) -> String {
        format!(
            "{}{}",
            self.settings.base_url.trim().trim_end_matches('/'),
            self.call.path
        )
    }

    fn answer(&self) -> Result<()> {
        let url = self.url();
        let body = serde_json::to_vec(&self.call.body).map_err(|e| LlmError::InvalidOptions {
            reason: format!("the request cannot be written as JSON ({e})"),
        })?;
        let mut attempt = 0;
        loop {
            if self.cancel.is_cancelled() {
                return Ok(());
            }
            // Checked before each connection: offline mode turned on during a wait
            // stops the retry too.
            if self.network.is_offline() {
                return Err(LlmError::Offline {
                    provider: self.settings.provider.clone(),
                });
            }
            let response = self
                .agent
                .run(self.request(&url, body.clone())?)
                .map_err(|e| self.unreachable(&url, &e))?;
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                return self.read_stream(response);
            }
            if (300..400).contains(&status) {
                return Err(self.redirected(status, response.headers()));
            }
            let wait = retry_after(response.headers());
            let text = read_error_body(response);
            let failure = StreamFailure::Provider {
                status,
                kind: wire::error_kind(&text),
                message: wire::error_message(&text),
            };
            let pause = wait.unwrap_or(self.settings.retry.backoff * 2u32.pow(attempt));
            if wire::is_retryable(status)
                && attempt < self.settings.retry.retries
                && pause <= self.settings.retry.longest_wait
            {
                attempt += 1;
                tracing::info!(
                    provider = %self.settings.provider,
                    status,
                    wait_ms = pause.as_millis() as u64,
                    attempt,
                    "the provider asked to wait; trying again"
                );
                if !self.sleep(pause) {
                    return Ok(());
                }
                continue;
            }
            return Err(self.failure(failure, wait));
        }
    }

    fn request(&self, url: &str, body: Vec<u8>) -> Result<Request<Vec<u8>>> {
        // Checked again where the key is put on the wire, whatever built the settings.
        if let Err(reason) = Origin::of(url).and_then(|origin| origin.check_transport()) {
            return Err(LlmError::InvalidOptions {
                reason: format!(
                    "the address of provider {}: {reason}",
                    self.settings.provider
                ),
            });
        }
        let mut builder = Request::post(url)
            .header("content-type", "application/json")
            .header("accept", "text/event-stream");
        let key = self.settings.api_key.as_ref().map(ApiKey::expose);
        match self.settings.protocol {
            Protocol::OpenAi => {
                if let Some(key) = key {
                    builder = builder.header("authorization", format!("Bearer {key}"));
                }
            }
            Protocol::Anthropic => {
                builder = builder.header("anthropic-version", anthropic::API_VERSION);
                if let Some(key) = key {
                    builder = builder.header("x-api-key", key);
                }
            }
        }
        builder.body(body).map_err(|e| LlmError::InvalidOptions {
            reason: format!(
                "cannot build a request for {url} ({e}); check provider {}'s address",
                self.settings.provider
            ),
        })
    }

    /// Streams the answer out as pieces until the provider says it is complete.
    fn read_stream(&self, response: Response<Body>) -> Result<()> {
        let is_json = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json"));
        let mut body = response.into_body();
        if is_json {
            // A server that ignored `stream` answered in one piece.
            let text = body
                .with_config()
                .limit(64 << 20)
                .read_to_string()
                .map_err(|e| self.broken(&e.to_string()))?;
            for piece in self.read_event(None, &text)? {
                self.send(piece)?;
            }
            return self.send(Piece::Finished);
        }
        let mut events = SseReader::new(BufReader::new(body.into_reader()));
        loop {
            let event = events
                .next_event()
                .map_err(|e| self.broken(&e.to_string()))?;
            let Some(event) = event else {
                return Err(self.broken("the stream ended before the answer was complete"));
            };
            for piece in self.read_event(event.event.as_deref(), &event.data)? {
                let finished = piece == Piece::Finished;
                self.send(piece)?;
                if finished {
                    return Ok(());
                }
            }
        }
    }

    fn read_event(&self, name: Option<&str>, data: &str) -> Result<Vec<Piece>> {
        let read = match self.settings.protocol {
            Protocol::OpenAi => openai::read_event(data),
            Protocol::Anthropic => anthropic::read_event(name, data),
        };
        read.map_err(|failure| self.failure(failure, None))
    }

    /// Hands a piece to the relay; an error (quietly ending the call) when the caller
    /// has gone, which drops the connection.
    fn send(&self, piece: Piece) -> Result<()> {
        self.out.send(Ok(piece)).map_err(|_| LlmError::Cancelled)
    }

    /// Sleeps in short steps so a cancel ends the wait; false when cancelled.
    fn sleep(&self, pause: Duration) -> bool {
        let until = Instant::now() + pause;
        while Instant::now() < until {
            if self.cancel.is_cancelled() || self.out.is_disconnected() {
                return false;
            }
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
        }
        true
    }

    fn unreachable(&self, url: &str, error: &ureq::Error) -> LlmError {
        let reason = match error {
            ureq::Error::HostNotFound => "the host name does not resolve".to_owned(),
            ureq::Error::ConnectionFailed => "the connection was refused".to_owned(),
            ureq::Error::Timeout(_) => "no answer in time".to_owned(),
            ureq::Error::Io(io) => io.to_string(),
            other => other.to_string(),
        };
        LlmError::RemoteUnreachable {
            provider: self.settings.provider.clone(),
            url: url.to_owned(),
            reason,
        }
    }

    /// A 3xx: never followed, since the next server would get the key and the text.
    fn redirected(&self, status: u16, headers: &HeaderMap) -> LlmError {
        let to = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(|l| {
                let l: String = l.chars().take(200).collect();
                format!(" to {l}")
            })
            .unwrap_or_default();
        LlmError::RemoteFailed {
            provider: self.settings.provider.clone(),
            status,
            message: format!(
                "it redirected the request{to}, and Hearth follows no redirects (one could carry the API key to another server); if you trust the new address, put it in the provider's settings"
            ),
        }
    }

    fn broken(&self, reason: &str) -> LlmError {
        LlmError::RemoteProtocol {
            provider: self.settings.provider.clone(),
            reason: reason.to_owned(),
        }
    }

    /// The user-facing error for what the provider said.
    fn failure(&self, failure: StreamFailure, wait: Option<Duration>) -> LlmError {
        let provider = self.settings.provider.clone();
        match failure {
            StreamFailure::Malformed(reason) => LlmError::RemoteProtocol { provider, reason },
            StreamFailure::Provider {
                status,
                kind,
                message,
            } => match status {
                401 | 403 => LlmError::RemoteAuth { provider, message },
                429 if kind.as_deref() != Some("insufficient_quota") => LlmError::RateLimited {
                    provider,
                    retry_after_secs: wait.map(|w| w.as_secs_f64().ceil() as u64),
                    message,
                },
                _ => LlmError::RemoteFailed {
                    provider,
                    status,
                    message,
                },
            },
        }
    }
}

/// How long the server asked us to wait: `retry-after-ms` (OpenAI) or `retry-after`
/// in seconds (both providers; an HTTP date is rare enough to fall back to backoff).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    if let Some(ms) = value("retry-after-ms").filter(|ms| *ms >= 0.0) {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    value("retry-after")
        .filter(|s| *s >= 0.0 && s.is_finite())
        .map(Duration::from_secs_f64)
}

fn read_error_body(response: Response<Body>) -> String {
    response
        .into_body()
        .with_config()
        .limit(64 << 10)
        .read_to_string()
        .unwrap_or_default()
}

/// The answer as the relay has assembled it so far.
struct Assembled {
    started: Instant,
    first_text: Option<Instant>,
    text: String,
    deltas: usize,
    prompt_tokens: Option<usize>,
    completion_tokens: Option<usize>,
    reasoning: String,
    /// Tool calls by index, as their parts arrive: id, name, arguments text.
    calls: Vec<(String, String, String)>,
}

impl Assembled {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            first_text: None,
            text: String::new(),
            deltas: 0,
            prompt_tokens: None,
            completion_tokens: None,
            reasoning: String::new(),
            calls: Vec::new(),
        }
    }

    fn call_part(
        &mut self,
        index: usize,
        id: Option<String>,
        name: Option<String>,
        arguments: &str,
    ) {
        // A provider's index is small; one far past the calls so far is not trusted.
        let index = index.min(self.calls.len());
        if index == self.calls.len() {
            self.calls.push(Default::default());
        }
        let call = &mut self.calls[index];
        if let Some(id) = id {
            call.0 = id;
        }
        if let Some(name) = name {
            call.1.push_str(&name);
        }
        call.2.push_str(arguments);
    }

    /// The calls, whole: arguments parsed (text that is not JSON is kept as a string),
    /// and an id made where the provider sent none.
    fn tool_calls(&self) -> Vec<ToolCall> {
        self.calls
            .iter()
            .enumerate()
            .map(|(i, (id, name, arguments))| ToolCall {
                id: if id.is_empty() {
                    format!("call_{i}")
                } else {
                    id.clone()
                },
                name: name.clone(),
                arguments: if arguments.trim().is_empty() {
                    serde_json::json!({})
                } else {
                    serde_json::from_str(arguments)
                        .unwrap_or_else(|_| serde_json::Value::String(arguments.clone()))
                },
            })
            .collect()
    }

    /// The final event: the provider's counts when it gave them, else the deltas seen.
    fn done(self, stop_reason: StopReason) -> GenerationEvent {
        let end = Instant::now();
        let first = self.first_text.unwrap_or(end);
        GenerationEvent::Done {
            completion: Completion {
                tool_calls: self.tool_calls(),
                reasoning: (!self.reasoning.is_empty()).then_some(self.reasoning),
                text: self.text,
                stop_reason,
                prompt_tokens: self.prompt_tokens.unwrap_or(0),
                cached_tokens: 0,
                restored_tokens: 0,
                completion_tokens: self.completion_tokens.unwrap_or(self.deltas),
                drafted_tokens: 0,
                accepted_tokens: 0,
                accepted_from_draft_model: 0,
                prompt_ms: (first - self.started).as_secs_f64() * 1000.0,
                generation_ms: (end - first).as_secs_f64() * 1000.0,
                queue_ms: 0.0,
            },
        }
    }
}

/// Assembles the caller's events from the HTTP thread's pieces, and ends the answer as
/// soon as it is cancelled.
fn relay(
    pieces: flume::Receiver<std::result::Result<Piece, LlmError>>,
    events: flume::Sender<GenerationEvent>,
    cancel: CancelToken,
    provider: String,
) {
    let mut answer = Assembled::new();
    let mut stop = StopReason::EndOfGeneration;
    loop {
        if cancel.is_cancelled() {
            let _ = events.send(answer.done(StopReason::Cancelled));
            return;
        }
        match pieces.recv_timeout(Duration::from_millis(50)) {
            Ok(Ok(Piece::Text(delta))) => {
                answer.first_text.get_or_insert_with(Instant::now);
                answer.deltas += 1;
                answer.text.push_str(&delta);
                if events.send(GenerationEvent::Delta { text: delta }).is_err() {
                    return; // the caller went away; dropping `pieces` stops the HTTP side
                }
            }
            Ok(Ok(Piece::Reasoning(text))) => {
                answer.first_text.get_or_insert_with(Instant::now);
                answer.reasoning.push_str(&text);
                if events.send(GenerationEvent::Reasoning { text }).is_err() {
                    return;
                }
            }
            Ok(Ok(Piece::ToolCall {
                index,
                id,
                name,
                arguments,
            })) => {
                answer.first_text.get_or_insert_with(Instant::now);
                answer.call_part(index, id, name, &arguments);
            }
            Ok(Ok(Piece::Usage { prompt, completion })) => {
                answer.prompt_tokens = prompt.or(answer.prompt_tokens);
                answer.completion_tokens = completion.or(answer.completion_tokens);
            }
            Ok(Ok(Piece::Stop(reason))) => stop = reason,
            Ok(Ok(Piece::Finished)) => {
                // A call is whole once the answer is: its arguments come in fragments.
                for call in answer.tool_calls() {
                    let _ = events.send(GenerationEvent::ToolCall { call });
                }
                let _ = events.send(answer.done(stop));
                return;
            }
            Ok(Err(error)) => {
                let _ = events.send(GenerationEvent::Failed { error });
                return;
            }
            Err(flume::RecvTimeoutError::Timeout) => {}
            Err(flume::RecvTimeoutError::Disconnected) => {
                // The HTTP side ends without a word only when it saw the cancel first.
                if cancel.is_cancelled() {
                    continue;
                }
                let error = LlmError::RemoteProtocol {
                    provider,
                    reason: "the request ended without an answer".into(),
                };
                let _ = events.send(GenerationEvent::Failed { error });
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_print() {
        let key = ApiKey::new("sk-secret-123");
        assert_eq!(format!("{key:?}"), "ApiKey(…)");
        let settings = format!("{:?}", Some(key));
        assert!(!settings.contains("secret"), "{settings}");
    }

    #[test]
    fn retry_after_reads_seconds_and_milliseconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert("retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        headers.insert("retry-after-ms", "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
    }

    #[test]
    fn token_estimates_err_high() {
        assert_eq!(estimate_tokens(""), 0);
        // "The quick brown fox jumps over the lazy dog." is 10 tokens for GPT-style
        // tokenizers; the estimate must not be below.
        assert!(estimate_tokens("The quick brown fox jumps over the lazy dog.") >= 10);
    }

    #[test]
    fn addresses_must_be_http_and_plain_http_only_to_this_computer() {
        let settings = |base_url: &str| RemoteSettings {
            provider: "p".into(),
            protocol: Protocol::OpenAi,
            base_url: base_url.into(),
            model: "m".into(),
            api_key: Some(ApiKey::new("sk-secret")),
            context_length: 8192,
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(5),
        };
        let refused = |base_url: &str| {
            RemoteEngine::new(settings(base_url), NetworkSwitch::default())
                .err()
                .unwrap()
                .to_string()
        };
        let error = refused("ftp://example");
        assert!(error.contains("http:// or https://"), "{error}");
        let error = refused("http://10.0.0.5:8000/v1");
        assert!(error.contains("only allowed to this computer"), "{error}");
        for url in ["http://localhost:8000/v1", "https://10.0.0.5/v1"] {
            RemoteEngine::new(settings(url), NetworkSwitch::default()).unwrap();
        }
    }
}
