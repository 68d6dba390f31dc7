//! Sentence embeddings from GGUF embedding models (BERT and kin) through the same
//! llama.cpp runtime: one thread owns the model and an embeddings context; texts arrive
//! over a channel, are packed many to a batch (each its own sequence), encoded, pooled as
//! the model's metadata says (llama.cpp applies `pooling_type`), and L2-normalized, so a
//! dot product is the cosine similarity.
//!
//! A text longer than the model's context (512 tokens for MiniLM) keeps its first tokens
//! and its closing separator; the caller chunks documents well below that.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;
use std::thread::JoinHandle;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use serde::{Deserialize, Serialize};

use crate::cpu;
use crate::error::{LlmError, Result};
use crate::gpu::{GpuLayers, Placement};

/// Tokens per encode call; every text of a batch must fit in one (non-causal attention
/// sees the whole batch at once).
const BATCH_TOKENS: u32 = 2048;
/// Texts per encode call.
const BATCH_SEQUENCES: u32 = 32;

/// What a loaded embedding model is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbedderInfo {
    pub path: PathBuf,
    pub name: String,
    pub architecture: String,
    /// Length of every vector.
    pub dimensions: usize,
    /// The most tokens one text may have; longer ones are cut.
    pub max_tokens: usize,
    pub threads: u32,
    /// Where its layers are: the GPU or the CPU.
    #[serde(default)]
    pub placement: Option<Placement>,
}

/// One text's vector, with how many of its tokens were used.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    pub vector: Vec<f32>,
    pub tokens: usize,
    /// Whether the text was cut to `max_tokens`.
    pub truncated: bool,
}

enum Command {
    Embed {
        texts: Vec<String>,
        reply: SyncSender<Result<Vec<Embedding>>>,
    },
    Tokenize {
        text: String,
        reply: SyncSender<Result<Vec<u32>>>,
    },
}

/// A loaded embedding model.
pub struct LlamaEmbedder {
    commands: Option<SyncSender<Command>>,
    info: EmbedderInfo,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl LlamaEmbedder {
    /// Validates the file, loads it on its own thread, and waits until it is ready;
    /// where a GPU is found, its layers go there (see [`LlamaEmbedder::load_on`]).
    pub fn load(path: &Path, threads: Option<u32>) -> Result<Self> {
        Self::load_on(path, threads, GpuLayers::Auto)
    }

    /// Loads as [`LlamaEmbedder::load`] does, with `gpu_layers` of its layers on the
    /// GPU where one is found (`Off`: the CPU alone).
    pub fn load_on(path: &Path, threads: Option<u32>, gpu_layers: GpuLayers) -> Result<Self> {
        crate::validate::check_embedding_model(path)?;
        let runtime = cpu::runtime()?;
        let settings = super::EngineSettings {
            context_length: BATCH_TOKENS,
            parallel: 1,
            batch_size: BATCH_TOKENS,
            threads,
            gpu_layers,
            ..super::EngineSettings::default()
        };

        let threads = threads.unwrap_or_else(super::default_threads).max(1);
        let (commands, command_rx) = sync_channel::<Command>(16);
        let path = path.to_path_buf();
        let (thread, info) =
            super::thread::spawn_model_thread("hearth-embedder", move |ready_tx| {
                let failed = |reason: String| LlmError::LoadFailed {
                    path: path.clone(),
                    reason,
                };
                let mut params = LlamaModelParams::default();
                let decision =
                    match super::placement::decide(&path, &settings, runtime, &mut params) {
                        Ok(decision) => decision,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                let model = match LlamaModel::load_from_file(&runtime.backend, &path, &params) {
                    Ok(model) => model,
                    Err(e) => {
                        let _ = ready_tx.send(Err(failed(e.to_string())));
                        return;
                    }
                };
                let params = LlamaContextParams::default()
                    .with_embeddings(true)
                    .with_n_ctx(NonZeroU32::new(BATCH_TOKENS))
                    .with_n_batch(BATCH_TOKENS)
                    .with_n_ubatch(BATCH_TOKENS)
                    .with_n_seq_max(BATCH_SEQUENCES)
                    .with_n_threads(threads as i32)
                    .with_n_threads_batch(threads as i32);
                let ctx = match model.new_context(&runtime.backend, params) {
                    Ok(ctx) => ctx,
                    Err(e) => {
                        let _ = ready_tx.send(Err(failed(format!(
                            "cannot create an embeddings context: {e}"
                        ))));
                        return;
                    }
                };
                let meta = |key: &str| model.meta_val_str(key).ok().filter(|v| !v.is_empty());
                let info = EmbedderInfo {
                    path: path.clone(),
                    name: meta("general.name").unwrap_or_else(|| {
                        path.file_stem()
                            .map(|s| s.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    }),
                    architecture: meta("general.architecture").unwrap_or_default(),
                    dimensions: model.n_embd().max(0) as usize,
                    max_tokens: (model.n_ctx_train() as usize).min(BATCH_TOKENS as usize),
                    threads,
                    placement: Some(decision.placement(model.n_layer() + 1, None)),
                };
                let max_tokens = info.max_tokens;
                if ready_tx.send(Ok(info)).is_err() {
                    return;
                }
                serve(&model, ctx, max_tokens, command_rx);
            })?;
        Ok(Self {
            commands: Some(commands),
            info,
            thread: Mutex::new(Some(thread)),
        })
    }

    pub fn info(&self) -> &EmbedderInfo {
        &self.info
    }

    /// One normalized vector per text, in order.
    pub fn embed(&self, texts: &[String]) -> Result<Vec<Embedding>> {
        let (reply, answer) = sync_channel(1);
        self.send(Command::Embed {
            texts: texts.to_vec(),
            reply,
        })?;
        answer.recv().map_err(|_| LlmError::EngineStopped)?
    }

    /// The token ids the model reads for `text`, special tokens included.
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>> {
        let (reply, answer) = sync_channel(1);
        self.send(Command::Tokenize {
            text: text.to_owned(),
            reply,
        })?;
        answer.recv().map_err(|_| LlmError::EngineStopped)?
    }

    fn send(&self, command: Command) -> Result<()> {
        self.commands
            .as_ref()
            .ok_or(LlmError::EngineStopped)?
            .send(command)
            .map_err(|_| LlmError::EngineStopped)
    }
}

impl Drop for LlamaEmbedder {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop.
        self.commands.take();
        if let Ok(mut thread) = self.thread.lock() {
            if let Some(thread) = thread.take() {
                let _ = thread.join();
            }
        }
    }
}

fn serve(
    model: &LlamaModel,
    mut ctx: LlamaContext<'_>,
    max_tokens: usize,
    commands: Receiver<Command>,
) {
    for command in commands {
        match command {
            Command::Embed { texts, reply } => {
                let _ = reply.send(embed_all(model, &mut ctx, max_tokens, &texts));
            }
            Command::Tokenize { text, reply } => {
                let tokens = tokenize(model, &text, max_tokens).0;
                let _ = reply.send(Ok(tokens.iter().map(|t| t.0 as u32).collect()));
            }
        }
    }
}

/// The text's tokens with the model's special tokens, cut to `max_tokens` (keeping the
/// closing separator); and whether it was cut.
fn tokenize(model: &LlamaModel, text: &str, max_tokens: usize) -> (Vec<LlamaToken>, bool) {
    let mut tokens = model.vocab().tokenize(text.as_bytes(), true, false);
    if tokens.len() <= max_tokens {
        return (tokens, false);
    }
    let last = tokens[tokens.len() - 1];
    tokens.truncate(max_tokens - 1);
    tokens.push(last);
    (tokens, true)
}

fn embed_all(
    model: &LlamaModel,
    ctx: &mut LlamaContext<'_>,
    max_tokens: usize,
    texts: &[String],
) -> Result<Vec<Embedding>> {
    let tokenized: Vec<(Vec<LlamaToken>, bool)> = texts
        .iter()
        .map(|t| tokenize(model, t, max_tokens))
        .collect();
    let mut out = Vec::with_capacity(texts.len());
    let mut batch = LlamaBatch::new(BATCH_TOKENS as usize, BATCH_SEQUENCES as i32);
    let mut start = 0;
    while start < tokenized.len() {
        // As many texts as fit in one encode call.
        batch.clear();
        let mut used = 0usize;
        let mut end = start;
        while end < tokenized.len()
            && end - start < BATCH_SEQUENCES as usize
            && used + tokenized[end].0.len() <= BATCH_TOKENS as usize
        {
            let seq = (end - start) as i32;
            let tokens = &tokenized[end].0;
            for (pos, &token) in tokens.iter().enumerate() {
                batch
                    .add(token, pos as i32, &[seq], true)
                    .map_err(|e| LlmError::Decode {
                        reason: e.to_string(),
                    })?;
            }
            used += tokens.len();
            end += 1;
        }
        ctx.encode(&mut batch).map_err(|e| LlmError::Decode {
            reason: format!("embedding failed: {e}"),
        })?;
        for (i, (tokens, truncated)) in tokenized[start..end].iter().enumerate() {
            let pooled = ctx
                .embeddings_seq_ith(i as i32)
                .map_err(|e| LlmError::Decode {
                    reason: format!("no pooled embedding: {e}"),
                })?;
            out.push(Embedding {
                vector: normalized(pooled),
                tokens: tokens.len(),
                truncated: *truncated,
            });
        }
        // Sequences of a non-causal model keep nothing between calls, but clear anyway
        // so a model with a cache starts every batch empty.
        ctx.clear_kv_cache();
        start = end;
    }
    Ok(out)
}

fn normalized(vector: &[f32]) -> Vec<f32> {
    let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter().map(|v| v / norm).collect()
    } else {
        vector.to_vec()
    }
}
