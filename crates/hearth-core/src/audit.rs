//! Records every generation made through the facade in the history's audit log.
//!
//! [`AuditedEngine`] wraps the engine a model runs on. Each `submit` hashes the prompt,
//! starts the inner generation, and hands the caller a stream fed by a small recorder
//! thread, which writes the audit record when the generation ends and only then passes
//! the final event on: a caller that exits right after the answer (`hearth run`) still
//! leaves its record behind.
//!
//! The log keeps SHA-256 hashes of the prompt and the output, never their text (see
//! `hearth_store`'s audit module). The model file's hash is computed once per loaded
//! model in a background thread, since files run to several gigabytes and a generation
//! must never wait for it; records written before it is ready are filled in when it is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use hearth_llm::{
    ChatMessage, Completion, Engine, EngineRequest, Generation, GenerationEvent, GenerationOptions,
    LlmError, ModelInfo, Prompt, StopReason, TemplateSource,
};
use hearth_store::{AuditPurpose, FileStamp, NewAuditRecord, Store};
use sha2::{Digest, Sha256};

use crate::redact::{Redactions, Redactor};
use crate::redacting::{outgoing, restoring};

/// The provider recorded for a model that runs on this machine.
pub const PROVIDER_LOCAL: &str = "local";

/// What the generations made through one [`AuditedEngine`] are for.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuditContext {
    pub purpose: AuditPurpose,
    pub conversation_id: Option<String>,
}

impl AuditContext {
    pub(crate) fn new(purpose: AuditPurpose, conversation_id: Option<&str>) -> Self {
        Self {
            purpose,
            conversation_id: conversation_id.map(str::to_owned),
        }
    }
}

/// The SHA-256 of one loaded model's file, once known, and the records still waiting
/// for it.
#[derive(Debug, Default)]
pub(crate) struct ModelHash {
    value: OnceLock<String>,
    /// Ids of records written without the hash. Held while a record is written, so the
    /// hashing thread cannot fill in the waiting records between a recorder's look at
    /// `value` and its id landing here.
    waiting: Mutex<Vec<i64>>,
}

impl ModelHash {
    /// A hash already known (a downloaded model's, checked at download).
    pub(crate) fn known(sha256: String) -> Arc<Self> {
        let hash = Arc::new(Self::default());
        let _ = hash.value.set(sha256);
        hash
    }

    /// Hashes `path` in a background thread, unless the store remembers the hash of this
    /// very file (same path, size and modification time). A file that cannot be read
    /// leaves the hash unknown (logged), which only costs the records their
    /// `model_sha256`.
    pub(crate) fn compute(path: PathBuf, store: Arc<Store>) -> Arc<Self> {
        let stamp = file_stamp(&path);
        if let Some(stamp) = &stamp {
            match store.cached_file_hash(stamp) {
                Ok(Some(sha256)) => return Self::known(sha256),
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "could not read the model-hash cache"),
            }
        }
        let hash = Arc::new(Self::default());
        let shared = hash.clone();
        let spawned = std::thread::Builder::new()
            .name("hearth-model-hash".into())
            .spawn(move || match sha256_file(&path) {
                Ok(sha256) => {
                    if let Some(stamp) = &stamp {
                        if let Err(error) = store.remember_file_hash(stamp, &sha256) {
                            tracing::warn!(%error, "could not cache the model hash");
                        }
                    }
                    shared.resolve(sha256, &store)
                }
                Err(error) => tracing::warn!(
                    path = %path.display(),
                    %error,
                    "could not hash the model file; audit records will have no model hash"
                ),
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "could not start hashing the model file");
        }
        hash
    }

    fn resolve(&self, sha256: String, store: &Store) {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self.value.set(sha256.clone());
        let ids = std::mem::take(&mut *waiting);
        drop(waiting);
        if let Err(error) = store.set_audit_model_sha256(&ids, &sha256) {
            tracing::warn!(%error, "could not add the model hash to earlier audit records");
        }
    }
}

/// The path, size and modification time of a file, or `None` when it cannot be read.
fn file_stamp(path: &std::path::Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta.modified().ok()?;
    let mtime_ns = modified
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_nanos()).ok())?;
    Some(FileStamp {
        path: path.to_string_lossy().into_owned(),
        size: meta.len(),
        mtime_ns,
    })
}

/// An [`Engine`] that records each generation in the audit log.
pub(crate) struct AuditedEngine {
    inner: Arc<dyn Engine>,
    hash: Arc<ModelHash>,
    store: Arc<Store>,
    context: AuditContext,
    /// For a remote model: what takes personal data out of the text sent.
    redactor: Option<Redactor>,
}

impl AuditedEngine {
    pub(crate) fn new(
        inner: Arc<dyn Engine>,
        hash: Arc<ModelHash>,
        store: Arc<Store>,
        context: AuditContext,
    ) -> Self {
        Self {
            inner,
            hash,
            store,
            context,
            redactor: None,
        }
    }

    pub(crate) fn with_redactor(mut self, redactor: Option<Redactor>) -> Self {
        self.redactor = redactor;
        self
    }

    /// Whether text given to this engine leaves the machine.
    fn is_remote(&self) -> bool {
        self.inner.info().provider.is_some()
    }

    /// What every record of a request made now shares.
    fn recorder(&self, options: &GenerationOptions, prompt_sha256: String) -> Recorder {
        let info = self.inner.info();
        Recorder {
            store: self.store.clone(),
            hash: self.hash.clone(),
            context: self.context.clone(),
            provider: info.provider.unwrap_or_else(|| PROVIDER_LOCAL.to_owned()),
            adapter: info.adapter.map(|a| {
                let file = a
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or(a.name);
                format!("{file}@{}", a.scale)
            }),
            model: info.name,
            parameters: serde_json::to_value(options).unwrap_or_default(),
            prompt_sha256,
            redactions: BTreeMap::new(),
            sent_bytes: None,
        }
    }

    /// Hands the caller `started` with the recorder watching it: the record is written
    /// as the final event is handed out (or, when the caller stops reading early, when
    /// the cancelled generation ends).
    fn follow(
        &self,
        mut recorder: Recorder,
        started: hearth_llm::Result<Generation>,
    ) -> hearth_llm::Result<Generation> {
        let generation = match started {
            Ok(generation) => generation,
            Err(error) => {
                // Refused before a connection (offline mode, bad options): nothing left.
                recorder.sent_bytes = None;
                recorder.redactions.clear();
                recorder.write(Outcome::Failed(&error), "");
                return Err(error);
            }
        };
        Ok(generation.observe(recorder.into_observer()))
    }
}

impl Engine for AuditedEngine {
    fn info(&self) -> ModelInfo {
        self.inner.info()
    }

    fn submit(&self, mut request: EngineRequest) -> hearth_llm::Result<Generation> {
        let mut recorder = self.recorder(&request.options, prompt_sha256(&request.prompt));
        if !self.is_remote() {
            let started = self.inner.submit(request);
            return self.follow(recorder, started);
        }
        let Prompt::Text(text) = &request.prompt else {
            let started = self.inner.submit(request);
            return self.follow(recorder, started);
        };
        let out = outgoing(self.redactor.as_ref(), &[ChatMessage::user(text.as_str())]);
        recorder.egress(&out.redactions, out.sent_bytes);
        request.prompt = Prompt::Text(out.messages[0].content.clone());
        let started = self
            .inner
            .submit(request)
            .map(|g| restoring(g, out.redactions));
        self.follow(recorder, started)
    }

    /// A local model's conversation is formatted here and goes through `submit` (its
    /// record hashes the exact prompt text); a remote provider takes the messages
    /// themselves, so its record hashes them as the JSON that was sent.
    fn chat(
        &self,
        messages: &[ChatMessage],
        options: GenerationOptions,
    ) -> hearth_llm::Result<(Generation, TemplateSource)> {
        if self.inner.info().provider.is_none() {
            return hearth_llm::format_and_submit(self, messages, options);
        }
        // The record hashes the conversation as the user has it, and the answer as the
        // user reads it (restored); what was sent is measured after redaction.
        let asked = serde_json::to_vec(messages).unwrap_or_default();
        let mut recorder = self.recorder(&options, sha256_hex(&asked));
        let out = outgoing(self.redactor.as_ref(), messages);
        recorder.egress(&out.redactions, out.sent_bytes);
        let (started, source) = match self.inner.chat(&out.messages, options) {
            Ok((generation, source)) => (Ok(restoring(generation, out.redactions)), source),
            Err(error) => (Err(error), TemplateSource::Remote),
        };
        Ok((self.follow(recorder, started)?, source))
    }

    fn count_tokens(&self, text: &str) -> hearth_llm::Result<usize> {
        self.inner.count_tokens(text)
    }

    fn tokenize(&self, text: &str, add_special: bool) -> hearth_llm::Result<Vec<u32>> {
        self.inner.tokenize(text, add_special)
    }

    fn detokenize(&self, tokens: &[u32]) -> hearth_llm::Result<String> {
        self.inner.detokenize(tokens)
    }

    fn forget_contexts(&self) -> hearth_llm::Result<()> {
        self.inner.forget_contexts()
    }

    fn stop(&self) {
        self.inner.stop()
    }
}

enum Outcome<'a> {
    Done(&'a Completion),
    Failed(&'a LlmError),
}

/// Everything a record needs that is known when the request is made.
struct Recorder {
    store: Arc<Store>,
    hash: Arc<ModelHash>,
    context: AuditContext,
    provider: String,
    /// The LoRA adapter as "file.gguf@scale".
    adapter: Option<String>,
    model: String,
    parameters: serde_json::Value,
    prompt_sha256: String,
    redactions: BTreeMap<String, u64>,
    sent_bytes: Option<u64>,
}

impl Recorder {
    /// Notes what leaves the machine with this request.
    fn egress(&mut self, redactions: &Redactions, sent_bytes: u64) {
        self.redactions = redactions
            .counts()
            .into_iter()
            .map(|(kind, n)| (kind.name().to_owned(), n as u64))
            .collect();
        self.sent_bytes = Some(sent_bytes);
    }

    /// What watches the answer: it gathers the answer's text and writes the record at
    /// the final event, before the caller sees it.
    fn into_observer(self) -> impl FnMut(&GenerationEvent) + Send + 'static {
        let mut output = String::new();
        let mut recorder = Some(self);
        move |event| match event {
            GenerationEvent::Delta { text } => output.push_str(text),
            GenerationEvent::Reasoning { .. } | GenerationEvent::ToolCall { .. } => {}
            GenerationEvent::Done { completion } => {
                if let Some(recorder) = recorder.take() {
                    recorder.write(Outcome::Done(completion), &completion.text);
                }
            }
            GenerationEvent::Failed { error } => {
                if let Some(recorder) = recorder.take() {
                    recorder.write(Outcome::Failed(error), &output);
                }
            }
        }
    }

    fn write(&self, outcome: Outcome<'_>, output: &str) {
        let mut record = NewAuditRecord {
            model: self.model.clone(),
            model_sha256: None,
            provider: self.provider.clone(),
            parameters: self.parameters.clone(),
            prompt_tokens: None,
            completion_tokens: None,
            prompt_ms: None,
            generation_ms: None,
            stop_reason: None,
            error: None,
            prompt_sha256: self.prompt_sha256.clone(),
            output_sha256: sha256_hex(output.as_bytes()),
            conversation_id: self.context.conversation_id.clone(),
            purpose: self.context.purpose,
            redactions: self.redactions.clone(),
            sent_bytes: self.sent_bytes,
            adapter: self.adapter.clone(),
        };
        match outcome {
            Outcome::Done(completion) => {
                record.prompt_tokens = i64::try_from(completion.prompt_tokens).ok();
                record.completion_tokens = i64::try_from(completion.completion_tokens).ok();
                record.prompt_ms = Some(completion.prompt_ms);
                record.generation_ms = Some(completion.generation_ms);
                record.stop_reason = Some(stop_reason(&completion.stop_reason).to_owned());
            }
            Outcome::Failed(error) => {
                record.error = Some(error.to_string());
                if matches!(error, LlmError::RemoteUnreachable { .. }) {
                    // The connection never opened, so the text never left.
                    record.sent_bytes = None;
                    record.redactions.clear();
                }
            }
        }
        let mut waiting = self
            .hash
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        record.model_sha256 = self.hash.value.get().cloned();
        match self.store.add_audit_record(&record) {
            Ok(id) if record.model_sha256.is_none() => waiting.push(id),
            Ok(_) => {}
            // The answer matters more than its record: log and let the caller have it.
            Err(error) => tracing::warn!(%error, "could not write the audit record"),
        }
    }
}

fn stop_reason(reason: &StopReason) -> &'static str {
    match reason {
        StopReason::EndOfGeneration => "end_of_generation",
        StopReason::MaxTokens => "max_tokens",
        StopReason::StopString { .. } => "stop_string",
        StopReason::ContextFull => "context_full",
        StopReason::Cancelled => "cancelled",
    }
}

/// SHA-256 of the prompt text, or of the token ids as little-endian `u32`s.
pub fn prompt_sha256(prompt: &Prompt) -> String {
    match prompt {
        Prompt::Text(text) => sha256_hex(text.as_bytes()),
        Prompt::Tokens(tokens) => {
            let mut hasher = Sha256::new();
            for token in tokens {
                hasher.update(token.to_le_bytes());
            }
            hex(&hasher.finalize())
        }
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_lowercase_hex_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            prompt_sha256(&Prompt::Text("abc".into())),
            sha256_hex(b"abc")
        );
        assert_eq!(
            prompt_sha256(&Prompt::Tokens(vec![1, 0x0102_0304])),
            sha256_hex(&[1, 0, 0, 0, 4, 3, 2, 1])
        );
    }

    #[test]
    fn file_hash_matches_the_bytes_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.gguf");
        std::fs::write(&path, b"GGUF not really").unwrap();
        assert_eq!(sha256_file(&path).unwrap(), sha256_hex(b"GGUF not really"));
    }
}
