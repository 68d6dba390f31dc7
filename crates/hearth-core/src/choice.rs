//! Choosing a model: every local and remote model with what matters for the choice
//! (where it runs and so whether text leaves the machine, size and memory, speed
//! measured on this machine from its real generations, context, license, cost per
//! 1,000 tokens for remote ones), and which catalog model suits this machine's memory.

use hearth_gguf::MemoryParams;
pub use hearth_gguf::Verdict;
use hearth_models::ModelKind;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::hearth::Hearth;

/// A catalog model may take at most this share of the machine's memory to be
/// recommended: the rest is for the system, the browser and the user's documents.
pub const RECOMMEND_MEMORY_SHARE: f64 = 0.5;

/// Generations a measured speed is averaged over (the most recent ones).
const SPEED_WINDOW: usize = 50;

/// One model as the chooser shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelChoice {
    /// What to pass as the model: a library id, or `PROVIDER:MODEL`.
    pub id: String,
    /// The name its answers are recorded under (the header's `general.name`, or the
    /// file's stem), which the measured speeds are matched by.
    pub name: String,
    /// The name to show a person (see [`crate::models::ModelView::display_name`]).
    pub display_name: String,
    /// The remote provider; `None` for a model on this computer.
    pub provider: Option<String>,
    /// Whether text given to it stays on this computer.
    pub private: bool,
    pub is_default: bool,
    pub embedding: bool,
    pub size_bytes: Option<u64>,
    /// Memory it needs at the configured context, and whether that fits now.
    pub memory_bytes: Option<u64>,
    pub fits: Option<Verdict>,
    pub parameters: Option<u64>,
    pub quantization: Option<String>,
    pub context_length: Option<u64>,
    pub license: Option<String>,
    /// Measured on this machine from its last generations; `None` until it has run.
    pub speed: Option<Speed>,
    /// Price per 1,000 tokens sent and received, as configured for its provider.
    pub input_cost_per_1k: Option<f64>,
    pub output_cost_per_1k: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Speed {
    pub generation_tokens_per_second: f64,
    pub prompt_tokens_per_second: f64,
    pub generations: u64,
}

/// A catalog model that suits this machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The catalog id (`hearth models pull ID`).
    pub catalog_id: String,
    pub name: String,
    pub ram_bytes: u64,
    pub size_bytes: u64,
    pub license: String,
    /// Already in the library.
    pub installed: bool,
    pub reason: String,
}

/// Everything the chooser shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelChoices {
    pub models: Vec<ModelChoice>,
    pub total_memory: Option<u64>,
    pub available_memory: Option<u64>,
    pub recommendation: Option<Recommendation>,
}

impl Hearth {
    /// Every local and remote model with what matters for choosing, and the catalog
    /// model recommended for this machine's memory.
    pub fn model_choices(&self) -> Result<ModelChoices> {
        let config = self.config();
        let speeds = self.store.measured_speeds(SPEED_WINDOW)?;
        let speed_of = |name: &str, provider: &str| {
            speeds
                .iter()
                .find(|s| s.model == name && s.provider == provider)
                .map(|s| Speed {
                    generation_tokens_per_second: s.generation_tokens_per_second,
                    prompt_tokens_per_second: s.prompt_tokens_per_second,
                    generations: s.generations,
                })
        };
        let per_sequence = if config.context_length == 0 {
            4096
        } else {
            config.context_length
        };
        let n_ctx = per_sequence * config.parallel.max(1);
        let available_memory = hearth_gguf::available_memory();
        let mut models = Vec::new();
        let mut installed_files = Vec::new();
        for view in self.models()? {
            let file = hearth_gguf::read_header(&view.path).ok();
            let memory = file.as_ref().map(|f| {
                f.memory_estimate(&MemoryParams {
                    kv_type: config.kv_cache.ggml_types().0,
                    kv_type_v: Some(config.kv_cache.ggml_types().1),
                    ..MemoryParams::with_context(n_ctx)
                })
                .total
            });
            let summary = view.summary.clone();
            // The engine reports general.name, or the file's stem without one.
            let name = summary
                .as_ref()
                .and_then(|s| s.name.clone())
                .unwrap_or_else(|| {
                    view.path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| view.id.clone())
                });
            if let Some(file_name) = view.path.file_name() {
                installed_files.push(file_name.to_string_lossy().into_owned());
            }
            models.push(ModelChoice {
                speed: speed_of(&name, crate::audit::PROVIDER_LOCAL),
                id: view.id,
                display_name: view.display_name,
                name,
                provider: None,
                private: true,
                is_default: view.is_default,
                embedding: view.embedding,
                size_bytes: std::fs::metadata(&view.path).ok().map(|m| m.len()),
                memory_bytes: memory,
                fits: memory.and_then(|m| available_memory.map(|a| Verdict::for_sizes(m, a))),
                parameters: summary.as_ref().map(|s| s.parameter_count),
                quantization: summary.as_ref().map(|s| s.quantization.clone()),
                context_length: summary.as_ref().and_then(|s| s.context_length),
                license: summary.as_ref().and_then(|s| s.license.clone()),
                input_cost_per_1k: None,
                output_cost_per_1k: None,
            });
        }
        for provider in &config.providers {
            for model in &provider.models {
                models.push(ModelChoice {
                    id: format!("{}:{model}", provider.name),
                    name: model.clone(),
                    display_name: model.clone(),
                    provider: Some(provider.name.clone()),
                    private: false,
                    is_default: config.default_model.as_deref()
                        == Some(format!("{}:{model}", provider.name).as_str()),
                    embedding: false,
                    size_bytes: None,
                    memory_bytes: None,
                    fits: None,
                    parameters: None,
                    quantization: None,
                    context_length: Some(u64::from(provider.context_length)),
                    license: None,
                    speed: speed_of(model, &provider.name),
                    input_cost_per_1k: provider.input_cost_per_1k,
                    output_cost_per_1k: provider.output_cost_per_1k,
                });
            }
        }
        let total_memory = hearth_gguf::total_memory();
        // The local chat model measured most often tells how fast this CPU reads weights.
        let measured = models
            .iter()
            .filter(|m| m.provider.is_none() && !m.embedding)
            .filter_map(|m| Some((m.speed.as_ref()?, m.size_bytes?)))
            .max_by_key(|(speed, _)| speed.generations)
            .map(|(speed, size)| (speed.generation_tokens_per_second, size));
        let recommendation = total_memory
            .map(|total| self.recommend(total, measured, &installed_files))
            .transpose()?
            .flatten();
        Ok(ModelChoices {
            models,
            total_memory,
            available_memory,
            recommendation,
        })
    }

    /// The catalog chat model for this machine: see [`pick`].
    fn recommend(
        &self,
        total: u64,
        measured: Option<(f64, u64)>,
        installed: &[String],
    ) -> Result<Option<Recommendation>> {
        let catalog = self.model_catalog()?;
        let candidates: Vec<&hearth_models::CatalogEntry> = catalog
            .models
            .iter()
            .filter(|m| m.kind == ModelKind::Chat)
            .collect();
        Ok(pick(&candidates, total, measured).map(|(m, speed)| {
            let pace = speed
                .map(|s| format!(" and should write about {s:.0} tokens a second here"))
                .unwrap_or_default();
            Recommendation {
                catalog_id: m.id.clone(),
                name: m.name.clone(),
                ram_bytes: m.ram_bytes,
                size_bytes: m.size_bytes,
                license: m.license.clone(),
                installed: installed.contains(&m.file),
                reason: format!(
                    "This computer has {} of memory; {} needs about {}{pace}, which leaves the \
                     rest for your other programs. Larger models would write better but \
                     slower, or not fit.",
                    gigabytes(total),
                    m.name,
                    gigabytes(m.ram_bytes)
                ),
            }
        }))
    }
}

/// Answers slower than this feel stuck: a person reads about five words a second.
pub const READABLE_TOKENS_PER_SECOND: f64 = 5.0;

/// The largest model that needs at most [`RECOMMEND_MEMORY_SHARE`] of `total` memory
/// and, when a local model's speed was measured (`(tokens per second, file size)`), is
/// expected to write at least [`READABLE_TOKENS_PER_SECOND`]: generation on a CPU reads
/// every weight per token, so speed scales inversely with the file's size. When none is
/// fast enough, the smallest that fits. The catalog's memory figures are rounded, so
/// between models that need the same memory the larger file (more weights, a more
/// capable model) wins: Qwen2.5 7B over Mistral 7B, Gemma 3 4B over Phi-3.5 mini.
/// Returns the model and its expected speed.
pub(crate) fn pick<'a>(
    candidates: &[&'a hearth_models::CatalogEntry],
    total: u64,
    measured: Option<(f64, u64)>,
) -> Option<(&'a hearth_models::CatalogEntry, Option<f64>)> {
    let budget = (total as f64 * RECOMMEND_MEMORY_SHARE) as u64;
    let expected = |m: &hearth_models::CatalogEntry| {
        measured.map(|(tps, size)| tps * size as f64 / m.size_bytes.max(1) as f64)
    };
    let fitting: Vec<&'a hearth_models::CatalogEntry> = candidates
        .iter()
        .copied()
        .filter(|m| m.ram_bytes <= budget)
        .collect();
    let fast_enough = fitting
        .iter()
        .copied()
        .filter(|m| expected(m).is_none_or(|s| s >= READABLE_TOKENS_PER_SECOND))
        .max_by_key(|m| (m.ram_bytes, m.size_bytes));
    let chosen = fast_enough.or_else(|| fitting.iter().copied().min_by_key(|m| m.size_bytes))?;
    Some((chosen, expected(chosen)))
}

fn gigabytes(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / (1u64 << 30) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_models::CatalogEntry;

    fn entry(id: &str, size_gb: f64) -> CatalogEntry {
        CatalogEntry {
            id: id.into(),
            name: id.into(),
            kind: ModelKind::Chat,
            repo: "org/repo".into(),
            file: format!("{id}.gguf"),
            quantization: "Q4_K_M".into(),
            size_bytes: (size_gb * 1e9) as u64,
            ram_bytes: (size_gb * 1.3e9) as u64,
            license: "apache-2.0".into(),
            context_length: 8192,
            description: String::new(),
            multilingual: None,
            draft: None,
        }
    }

    #[test]
    fn the_largest_model_that_fits_half_the_memory_and_writes_readably_is_picked() {
        let small = entry("small", 0.4);
        let mid = entry("mid", 2.0);
        let big = entry("big", 4.5);
        let huge = entry("huge", 20.0);
        let all = [&small, &mid, &big, &huge];
        let gb16 = 16_000_000_000;
        // Memory alone: the 4.5 GB model (5.85 GB of 8 GB allowed).
        assert_eq!(
            pick(&all, gb16, None).map(|(m, _)| m.id.as_str()),
            Some("big")
        );
        // A 0.1 GB model measured at 100 tokens/s: 4.5 GB → 2.2 t/s, too slow; 2 GB → 5.
        let (chosen, speed) = pick(&all, gb16, Some((100.0, 100_000_000))).unwrap();
        assert_eq!(chosen.id, "mid");
        assert!((speed.unwrap() - 5.0).abs() < 1e-9);
        // A slow machine: nothing is fast enough, so the smallest.
        let (chosen, _) = pick(&all, gb16, Some((10.0, 100_000_000))).unwrap();
        assert_eq!(chosen.id, "small");
        // Too little memory for any.
        assert!(pick(&all, 500_000_000, None).is_none());
    }

    #[test]
    fn between_models_that_need_the_same_memory_the_larger_file_wins() {
        let larger = entry("larger", 4.5);
        let mut smaller = entry("smaller", 4.2);
        smaller.ram_bytes = larger.ram_bytes;
        let gb16 = 16_000_000_000;
        let chosen = |all: &[&CatalogEntry]| pick(all, gb16, None).map(|(m, _)| m.id.clone());
        assert_eq!(chosen(&[&larger, &smaller]).as_deref(), Some("larger"));
        assert_eq!(chosen(&[&smaller, &larger]).as_deref(), Some("larger"));
    }

    /// The shipped catalog's picks for common laptop sizes: multilingual models that can
    /// translate, the "16 GB laptop" entry for 16 GB.
    #[test]
    fn the_builtin_catalog_recommends_multilingual_models_for_common_memory_sizes() {
        let catalog = hearth_models::catalog::builtin().unwrap();
        let chat: Vec<&CatalogEntry> = catalog.of_kind(ModelKind::Chat).collect();
        let gib = 1u64 << 30;
        let chosen = |total: u64| pick(&chat, total, None).map(|(m, _)| m.id.clone());
        assert_eq!(chosen(16 * gib).as_deref(), Some("qwen2.5-7b"));
        assert_eq!(chosen(8 * gib).as_deref(), Some("gemma3-4b"));
        assert_eq!(chosen(4 * gib).as_deref(), Some("qwen2.5-1.5b"));
    }
}
