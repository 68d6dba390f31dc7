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
    pub name: String,
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
            let memory = file
                .as_ref()
                .map(|f| f.memory_estimate(&MemoryParams::with_context(n_ctx)).total);
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
                name,
                provider: None,
                private: true,
                is_default: view.is_default,
                // Encoder-only architectures only make vectors; they cannot chat.
                embedding: summary
                    .as_ref()
                    .and_then(|s| s.architecture.as_deref())
                    .is_some_and(|a| matches!(a, "bert" | "nomic-bert" | "jina-bert-v2")),
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
        let recommendation = total_memory
            .map(|total| self.recommend(total, &installed_files))
            .transpose()?
            .flatten();
        Ok(ModelChoices {
            models,
            total_memory,
            available_memory,
            recommendation,
        })
    }

    /// The largest chat model of the catalog that needs at most half the memory.
    fn recommend(&self, total: u64, installed: &[String]) -> Result<Option<Recommendation>> {
        let budget = (total as f64 * RECOMMEND_MEMORY_SHARE) as u64;
        let catalog = self.model_catalog()?;
        let best = catalog
            .models
            .iter()
            .filter(|m| m.kind == ModelKind::Chat && m.ram_bytes <= budget)
            .max_by_key(|m| m.ram_bytes);
        Ok(best.map(|m| Recommendation {
            catalog_id: m.id.clone(),
            name: m.name.clone(),
            ram_bytes: m.ram_bytes,
            size_bytes: m.size_bytes,
            license: m.license.clone(),
            installed: installed.iter().any(|f| *f == m.file),
            reason: format!(
                "This computer has {} of memory; {} needs about {}, which leaves the rest for \
                 your other programs. Larger models would write better but slower, or not fit.",
                gigabytes(total),
                m.name,
                gigabytes(m.ram_bytes)
            ),
        }))
    }
}

/// In binary gigabytes, as the UI shows sizes, so the figures agree.
fn gigabytes(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / (1u64 << 30) as f64)
}
