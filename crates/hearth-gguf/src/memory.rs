//! How much memory llama.cpp will use to run a model on the CPU at a given context
//! length, how much the machine has free, and whether the one fits in the other.
//!
//! The estimate is of the resident memory (RSS) of a process that has loaded the model
//! with llama.cpp's default parameters (as vendored by llama-cpp-sys-2 0.1.161) and run
//! a full micro-batch of prompt, split into parts so the UI can say why a model does not
//! fit:
//!
//! * **weights**: the tensor data. llama.cpp maps the file and, on Linux, asks the kernel
//!   to populate the whole mapping (`MAP_POPULATE`), and generation reads every weight
//!   for every token anyway, so all of it is resident.
//! * **repacked weights**: on x86-64 with AVX2, llama.cpp copies matrix weights of types
//!   Q4_0, Q4_K, IQ4_NL and MXFP4 into an interleaved layout (the `CPU_REPACK` buffer)
//!   while the mapped originals stay resident, so those tensors count twice. (ARM CPUs
//!   repack more types; there the estimate is low by those tensors' size.)
//! * **KV cache**: for each layer, `n_ctx * (n_embd_k_gqa + n_embd_v_gqa)` elements of
//!   the cache type (F16 by default), where `n_embd_k_gqa = key_length * head_count_kv`
//!   (`key_length` defaults to `embedding_length / head_count`). `n_ctx` is rounded up
//!   to a multiple of 256 as llama.cpp does. llama.cpp clears the cache buffer when it
//!   creates the context, so all of it is resident from the start. Sliding-window layers
//!   count in full because llama.cpp's default (`swa_full = true`) sizes them in full.
//! * **compute**: the activations of one micro-batch, see [`compute_bytes`].
//! * **overhead**: the tokenizer's tables ([`PER_TOKEN_BYTES`] per vocabulary entry plus
//!   [`PER_MERGE_BYTES`] per BPE merge), the logits of one token, and a fixed
//!   [`BASE_OVERHEAD_BYTES`] for code, runtime and allocator slack.
//!
//! Calibration: measured with a C program on the same llama.cpp build (CPU backend
//! `haswell`, 2 threads) that loads the model, creates the context and decodes a prompt,
//! reading VmRSS from `/proc/self/status`:
//!
//! | model, n_ctx, prompt | measured RSS | estimate |
//! |---|---|---|
//! | SmolLM2-135M Q4_1, 512, 200 tokens | 142.7 MB | 154 MB |
//! | SmolLM2-135M Q4_1, 4096, 512 tokens | 234.3 MB | 240 MB |
//! | SmolLM2-135M Q4_1, 8192, 1500 tokens | 329.9 MB | 339 MB |
//! | Gemma 3 270M Q4_K_M, 4096, 512 tokens | 414.3 MB | 416 MB |
//! | Gemma 3 270M Q4_K_M, 32768, 1500 tokens | 955.6 MB | 973 MB |
//!
//! Right after the context is created, before any prompt, RSS is lower by the compute
//! part (SmolLM2 at 4096: 218.2 MB).
//!
//! Not modelled: recurrent state (Mamba, RWKV), DeepSeek's compressed (MLA) cache, and
//! GPU offload. For those the estimate is the weights plus a standard KV cache, which
//! overstates rather than understates.

use crate::file::GgufFile;
use crate::types::GgmlType;

/// llama.cpp rounds the context up to a multiple of this (`GGML_PAD(n_ctx, 256)`).
const CTX_PAD: u64 = 256;
/// Fixed cost of a process with llama.cpp and a model loaded, besides the parts counted
/// separately: shared-library pages (about 7.5 MB measured), runtime and allocator slack.
pub const BASE_OVERHEAD_BYTES: u64 = 12 << 20;
/// Memory per vocabulary entry in llama.cpp's tokenizer: token text, score and
/// attributes, the text-to-id hash map, the piece cache. Measured: 42 MB of anonymous
/// memory for Gemma 3's 262,144 tokens, before any buffer.
pub const PER_TOKEN_BYTES: u64 = 160;
/// Memory per BPE merge rule (`tokenizer.ggml.merges`): llama.cpp keeps the ranks in an
/// ordered map keyed by both strings. Measured: SmolLM2's 49,152 tokens and 48,900
/// merges take 18 MB, of which the tokens account for 8.
pub const PER_MERGE_BYTES: u64 = 200;
/// Fraction of available memory up to which a model [`Verdict::Fits`]: the rest is left
/// for the operating system, the app and the user's other programs.
pub const FITS_FRACTION: f64 = 0.70;

/// The context settings the estimate is for; defaults match llama.cpp's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryParams {
    /// Context length in tokens; 0 means the model's training context, as in llama.cpp.
    pub n_ctx: u32,
    /// Logical batch size (`n_batch`, default 2048).
    pub n_batch: u32,
    /// Physical micro-batch size (`n_ubatch`, default 512): what one compute pass holds.
    pub n_ubatch: u32,
    /// Element type of the KV cache (default F16): of its keys, and of its values
    /// unless `kv_type_v` says otherwise.
    pub kv_type: GgmlType,
    /// Element type of the values when it differs from the keys'.
    pub kv_type_v: Option<GgmlType>,
    /// Whether flash attention is used. llama.cpp's default ("auto") turns it on for the
    /// CPU, which never materialises the attention score matrix.
    pub flash_attention: bool,
}

impl Default for MemoryParams {
    fn default() -> Self {
        MemoryParams {
            n_ctx: 0,
            n_batch: 2048,
            n_ubatch: 512,
            kv_type: GgmlType::F16,
            kv_type_v: None,
            flash_attention: true,
        }
    }
}

impl MemoryParams {
    /// llama.cpp's defaults with the context length set to `n_ctx`.
    pub fn with_context(n_ctx: u32) -> Self {
        MemoryParams {
            n_ctx,
            ..MemoryParams::default()
        }
    }
}

/// Estimated memory use in bytes, by part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemoryEstimate {
    /// The context length the estimate is for, after defaulting and rounding.
    pub n_ctx: u64,
    /// Tensor data.
    pub weights: u64,
    /// Second copies of weights that llama.cpp repacks for faster CPU kernels.
    pub repacked_weights: u64,
    /// KV cache at `n_ctx`.
    pub kv_cache: u64,
    /// Compute scratch buffer.
    pub compute: u64,
    /// Tokenizer tables, logits buffer and fixed runtime cost.
    pub overhead: u64,
    /// Sum of the parts.
    pub total: u64,
}

/// Whether a model is expected to fit in the available memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Verdict {
    /// Needs at most [`FITS_FRACTION`] of the available memory.
    Fits,
    /// Needs more than [`FITS_FRACTION`] but no more than all of it: it will load, but
    /// other programs may be pushed to swap.
    Tight,
    /// Needs more than is available: loading would swap heavily or be killed.
    WillNotFit,
}

impl Verdict {
    /// The verdict for needing `needed` bytes when `available` are free.
    pub fn for_sizes(needed: u64, available: u64) -> Verdict {
        if needed as f64 <= available as f64 * FITS_FRACTION {
            Verdict::Fits
        } else if needed <= available {
            Verdict::Tight
        } else {
            Verdict::WillNotFit
        }
    }
}

impl MemoryEstimate {
    /// Estimates the memory to run `file` with `params`.
    pub fn for_model(file: &GgufFile, params: &MemoryParams) -> MemoryEstimate {
        let hp = HyperParams::read(file);
        let n_ctx_requested = if params.n_ctx == 0 {
            hp.n_ctx_train
        } else {
            u64::from(params.n_ctx)
        };
        let n_ctx = n_ctx_requested
            .max(1)
            .div_ceil(CTX_PAD)
            .saturating_mul(CTX_PAD);
        // llama.cpp: n_batch = min(n_ctx, n_batch) for causal models, n_ubatch <= n_batch.
        let n_batch = u64::from(params.n_batch.max(1)).min(n_ctx);
        let n_ubatch = u64::from(params.n_ubatch.max(1)).min(n_batch);

        let weights = file.tensor_data_bytes();
        let repacked_weights = repacked_bytes(file);
        let kv_cache = kv_cache_bytes(
            &hp,
            n_ctx,
            params.kv_type,
            params.kv_type_v.unwrap_or(params.kv_type),
        );
        let compute = compute_bytes(&hp, n_ctx, n_ubatch, params.flash_attention);
        let overhead = BASE_OVERHEAD_BYTES
            .saturating_add(hp.n_vocab.saturating_mul(PER_TOKEN_BYTES))
            .saturating_add(hp.n_merges.saturating_mul(PER_MERGE_BYTES))
            // Logits for one output row, kept by the context between decodes.
            .saturating_add(hp.n_vocab.saturating_mul(4));
        let total = weights
            .saturating_add(repacked_weights)
            .saturating_add(kv_cache)
            .saturating_add(compute)
            .saturating_add(overhead);
        MemoryEstimate {
            n_ctx,
            weights,
            repacked_weights,
            kv_cache,
            compute,
            overhead,
            total,
        }
    }

    /// The verdict for this estimate when `available` bytes are free.
    pub fn verdict(&self, available: u64) -> Verdict {
        Verdict::for_sizes(self.total, available)
    }
}

/// The hyper-parameters the estimate needs, per layer where they can vary.
struct HyperParams {
    n_ctx_train: u64,
    n_embd: u64,
    n_vocab: u64,
    n_merges: u64,
    n_ff: u64,
    /// Query heads of the widest layer.
    n_head: u64,
    n_embd_head_k: u64,
    n_embd_head_v: u64,
    /// KV heads of each layer (0 for layers without attention).
    n_head_kv: Vec<u64>,
}

impl HyperParams {
    fn read(file: &GgufFile) -> HyperParams {
        let md = file.metadata();
        let arch = file.architecture().unwrap_or_default();
        let key = |suffix: &str| format!("{arch}.{suffix}");
        let n_layer = md.get_u64(&key("block_count")).unwrap_or(0);
        let n_embd = md.get_u64(&key("embedding_length")).unwrap_or(0);
        let head_count = key("attention.head_count");
        let head_count_kv = key("attention.head_count_kv");
        // llama.cpp derives the head size from layer 0's head count.
        let n_head0 = md.get_u64_for_layer(&head_count, 0).unwrap_or(0);
        let default_head = n_embd.checked_div(n_head0).unwrap_or(0);
        let n_embd_head_k = md
            .get_u64(&key("attention.key_length"))
            .unwrap_or(default_head);
        let n_embd_head_v = md
            .get_u64(&key("attention.value_length"))
            .unwrap_or(default_head);
        // A count from a corrupt-but-parseable file must not drive a huge loop; no real
        // model has anywhere near 65536 layers.
        let n_head_kv = (0..n_layer.min(1 << 16) as usize)
            .map(|il| {
                md.get_u64_for_layer(&head_count_kv, il)
                    // Without head_count_kv, llama.cpp uses head_count (no GQA).
                    .or_else(|| md.get_u64_for_layer(&head_count, il))
                    .unwrap_or(0)
            })
            .collect();
        let n_vocab = md
            .array_len("tokenizer.ggml.tokens")
            .or_else(|| md.get_u64(&key("vocab_size")))
            .or_else(|| {
                file.tensor("token_embd.weight")
                    .and_then(|t| t.dims.get(1).copied())
            })
            .unwrap_or(0);
        HyperParams {
            n_ctx_train: md.get_u64(&key("context_length")).unwrap_or(4096),
            n_embd,
            n_vocab,
            n_merges: md.array_len("tokenizer.ggml.merges").unwrap_or(0),
            n_ff: md
                .get_u64_max_over_layers(&key("feed_forward_length"))
                .unwrap_or(4 * n_embd),
            n_head: md.get_u64_max_over_layers(&head_count).unwrap_or(0),
            n_embd_head_k,
            n_embd_head_v,
            n_head_kv,
        }
    }
}

/// Bytes of the weights llama.cpp repacks on x86-64 with AVX2 (`ggml_repack_get_optimal_repack_type`
/// in ggml-cpu/repack.cpp): matrix weights used by matrix multiplication, of the types
/// below, whose row count is a multiple of 8. The token embedding is only looked up by
/// row, never multiplied, so it stays as it is.
fn repacked_bytes(file: &GgufFile) -> u64 {
    file.tensors()
        .iter()
        .filter(|t| {
            matches!(
                t.ggml_type,
                GgmlType::Q4_0 | GgmlType::Q4_K | GgmlType::IQ4_NL | GgmlType::MXFP4
            ) && t.dims.len() >= 2
                && t.dims[1] % 8 == 0
                && t.name != "token_embd.weight"
        })
        .fold(0u64, |acc, t| acc.saturating_add(t.n_bytes))
}

/// KV cache bytes: K and V rows of `n_embd_{k,v}_gqa` elements for each of `n_ctx` cells
/// in every layer, in the cache's element type.
fn kv_cache_bytes(hp: &HyperParams, n_ctx: u64, kv_type: GgmlType, v_type: GgmlType) -> u64 {
    hp.n_head_kv.iter().fold(0u64, |acc, &n_head_kv| {
        let k = kv_type
            .bytes_for(
                hp.n_embd_head_k
                    .saturating_mul(n_head_kv)
                    .saturating_mul(n_ctx),
            )
            .unwrap_or(u64::MAX);
        let v = v_type
            .bytes_for(
                hp.n_embd_head_v
                    .saturating_mul(n_head_kv)
                    .saturating_mul(n_ctx),
            )
            .unwrap_or(u64::MAX);
        acc.saturating_add(k).saturating_add(v)
    })
}

/// Compute: the activations of one micro-batch of `n_ubatch` tokens at their peak.
///
/// llama.cpp reserves a larger buffer, sized for the worst case of logits for every token
/// of the micro-batch (`n_vocab * n_ubatch * 4` bytes: 96 MiB for SmolLM2, 512 MiB for
/// Gemma 3), and prints that as "CPU compute buffer size". But a chat asks for the logits
/// of the last token only, and the buffer's pages become resident only when written, so
/// what a prompt actually costs is the live tensors of one layer:
///
/// * per token, in f32: the residual stream and its norm (`2 * n_embd`), Q, K, V and the
///   attention output, and the feed-forward up, gate and activation (`3 * n_ff`);
/// * the attention mask, `n_ctx x n_ubatch`, f16 with flash attention and f32 without
///   (it covers only the used cells, so this is its size once the context is full);
/// * without flash attention, the `n_head x n_ctx x n_ubatch` f32 score matrix.
///
/// Measured: 15.6 MB for SmolLM2 and 24.2 MB for Gemma 3 270M after a 512-token prompt,
/// against 14.9 + 4.2 (mask at 4096) and 20.4 + 4.2 MB from this formula.
fn compute_bytes(hp: &HyperParams, n_ctx: u64, n_ubatch: u64, flash_attention: bool) -> u64 {
    let max_kv = hp.n_head_kv.iter().copied().max().unwrap_or(0);
    let q = hp.n_embd_head_k.saturating_mul(hp.n_head);
    let kv = hp
        .n_embd_head_k
        .saturating_add(hp.n_embd_head_v)
        .saturating_mul(max_kv);
    let attn_out = hp.n_embd_head_v.saturating_mul(hp.n_head);
    let per_token = hp
        .n_embd
        .saturating_mul(2)
        .saturating_add(q)
        .saturating_add(kv)
        .saturating_add(attn_out)
        .saturating_add(hp.n_ff.saturating_mul(3));
    let activations = per_token.saturating_mul(n_ubatch).saturating_mul(4);
    let mask_elem = if flash_attention { 2 } else { 4 };
    let mask = n_ctx.saturating_mul(n_ubatch).saturating_mul(mask_elem);
    let scores = if flash_attention {
        0
    } else {
        hp.n_head
            .saturating_mul(n_ctx)
            .saturating_mul(n_ubatch)
            .saturating_mul(4)
    };
    activations.saturating_add(mask).saturating_add(scores)
}

/// Memory the system can give to a new program without swapping (`MemAvailable` in
/// `/proc/meminfo`), in bytes. `None` where that is not known (non-Linux systems, or a
/// kernel older than 3.14).
pub fn available_memory() -> Option<u64> {
    meminfo_field("MemAvailable:")
}

/// The machine's memory (`MemTotal`), in bytes; `None` where it is not known.
pub fn total_memory() -> Option<u64> {
    meminfo_field("MemTotal:")
}

fn meminfo_field(field: &str) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let text = std::fs::read_to_string("/proc/meminfo").ok()?;
        parse_meminfo(&text, field)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = field;
        None
    }
}

/// Reads `MemAvailable:  12345 kB` from the text of `/proc/meminfo`.
#[cfg(test)]
fn parse_mem_available(meminfo: &str) -> Option<u64> {
    parse_meminfo(meminfo, "MemAvailable:")
}

/// Reads a `Field:  12345 kB` line of `/proc/meminfo` in bytes.
fn parse_meminfo(meminfo: &str, field: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with(field))?;
    let mut fields = line[field.len()..].split_whitespace();
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") => value.checked_mul(1024),
        None => Some(value),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_available_is_read_in_bytes() {
        let text =
            "MemTotal:       24576000 kB\nMemFree:         1000 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(parse_mem_available(text), Some(20_000_000 * 1024));
        assert_eq!(parse_mem_available("MemTotal: 5 kB\n"), None);
        assert_eq!(parse_mem_available("MemAvailable: lots kB\n"), None);
        assert_eq!(parse_mem_available("MemAvailable: 5 MB\n"), None);
        assert_eq!(parse_meminfo(text, "MemTotal:"), Some(24_576_000 * 1024));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_machine_reports_some_available_memory() {
        let avail = available_memory().expect("/proc/meminfo has MemAvailable on Linux 3.14+");
        assert!(
            avail > 16 << 20,
            "implausibly little memory available: {avail}"
        );
    }

    #[test]
    fn verdict_thresholds() {
        let gib = 1u64 << 30;
        assert_eq!(Verdict::for_sizes(7 * gib, 10 * gib), Verdict::Fits);
        assert_eq!(Verdict::for_sizes(7 * gib + 1, 10 * gib), Verdict::Tight);
        assert_eq!(Verdict::for_sizes(10 * gib, 10 * gib), Verdict::Tight);
        assert_eq!(
            Verdict::for_sizes(10 * gib + 1, 10 * gib),
            Verdict::WillNotFit
        );
        assert_eq!(Verdict::for_sizes(1, 0), Verdict::WillNotFit);
    }
}
