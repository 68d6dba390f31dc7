//! The user's settings file (`config.toml`): default model, threads, context size and
//! sampling defaults. A missing file means defaults; a broken one is an error that
//! names the file, never a silent reset.

use std::path::Path;

use hearth_llm::remote::Origin;
use hearth_llm::{EngineSettings, GenerationOptions, GpuLayers, KvCacheType, Protocol};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// A library id, a file name in the models folder, or a path to a .gguf file.
    pub default_model: Option<String>,
    /// CPU threads; unset means one per physical core.
    pub threads: Option<u32>,
    /// Tokens per conversation (prompt and answer); 0 means the model's own, capped at 4096.
    pub context_length: u32,
    /// Answers generated at once.
    pub parallel: u32,
    /// Run models in a separate `hearth worker` process so a llama.cpp crash cannot
    /// take the app down.
    pub isolate_models: bool,
    /// How many of a model's layers go to the GPU where one is found: `"auto"` (as
    /// many as its free memory holds), `"off"`, or a number.
    pub gpu_layers: GpuLayers,
    /// The GPU to use when there are several, by the name `hearth devices` lists
    /// (`Vulkan0`); unset for any.
    pub gpu_device: Option<String>,
    /// Guess the next tokens from the prompt and the answer so far and check the
    /// guess in one step (speculative decoding): the same answers, written faster
    /// where they copy the text they are about (rewrites, quotes, extractions).
    pub speculative_decoding: bool,
    /// A smaller model of the same family that guesses the next tokens where the text
    /// offers no copy, checked by the answering model in the same step (speculative
    /// decoding with a draft model): a library id or a path, `"auto"` for the catalog's
    /// pair of the model when the library has it, unset or `"off"` for none. It pays
    /// where a batch of tokens costs little more than one (a GPU); BENCHMARKS.md has the
    /// figures for a CPU. A model it does not fit runs without it.
    pub draft_model: Option<String>,
    /// The KV cache's element type: `"f16"` (llama.cpp's default), `"q8_0"` (about
    /// 1.9 times the context in the same memory) or `"q8_0_k_q4_0_v"` (8-bit keys,
    /// 4-bit values: about 2.5 times), for the quality cost BENCHMARKS.md measures.
    pub kv_cache: KvCacheType,
    /// Megabytes of memory the loaded models may hold together; when a model would not
    /// fit, the least recently used idle ones are unloaded first. 0 means 70% of the
    /// computer's memory.
    pub memory_budget_mb: u64,
    /// Minutes a loaded model may sit unused before it is unloaded to give its memory
    /// back (like Ollama's keep_alive); 0 keeps models loaded until Hearth quits.
    pub unload_idle_minutes: u32,
    /// Megabytes of disk each model may use for saved conversation contexts, restored
    /// instead of re-read after a restart; 0 turns saving off.
    pub saved_contexts_mb: u64,
    /// The model new document collections are embedded with: a library id (a folder
    /// of that name in the models folder is converted on first use).
    pub embedding_model: String,
    /// Never contact a remote provider: every remote request fails before a connection
    /// is opened (local models are untouched).
    pub offline: bool,
    /// Personal data taken out of what is sent to remote providers.
    pub redaction: Redaction,
    /// Searches look into reasoning models' thinking too, not only what they answered.
    pub search_thinking: bool,
    /// Whether summaries, answers and translations are checked against their source
    /// (`fast`): each summary point or sentence whose numbers, dates, names, quotes or
    /// code the source does not have is marked, and each translated unit whose numbers,
    /// code or acronyms differ from the original. `thorough` adds the embedding model's
    /// similarity and a model judge for summaries, answers and `hearth check`; `off`
    /// checks nothing.
    pub grounding: crate::grounding::GroundingMode,
    /// The model that judges sentences in thorough mode (a library id or
    /// `PROVIDER:MODEL`, redacted and audited like any remote request); unset for the
    /// model that wrote the text (the default model for `hearth check`).
    pub grounding_judge: Option<String>,
    /// Tesseract languages for scanned pages and images ("eng+deu"); unset for English
    /// and the system's language, then the language the first page is in.
    pub ocr_languages: Option<String>,
    pub sampling: Sampling,
    /// Remote model providers the user connected. Their API keys are not here but in
    /// the keyring (see `secrets`).
    pub providers: Vec<ProviderConfig>,
    /// MCP tool servers: programs Hearth starts, or streamable HTTP addresses, whose
    /// tools a model that calls tools may use (each call approved by the user).
    pub mcp_servers: Vec<hearth_mcp::McpServerConfig>,
}

/// A remote provider: where it is and how to talk to it. Its models are named
/// `NAME:MODEL` wherever a model is chosen (`openai:gpt-4o-mini`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Lowercase letters, digits, `-` and `_`; shown on every answer it writes.
    pub name: String,
    /// `openai` (any OpenAI-compatible server) or `anthropic`.
    pub kind: Protocol,
    /// The API's base address; the protocol's public one when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The models offered when choosing one; any other name works too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// Tokens a model takes (prompt and answer), for Hearth's budgets.
    #[serde(default = "default_remote_context")]
    pub context_length: u32,
    /// Price per 1,000 prompt tokens, as the provider bills it, for the model list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_cost_per_1k: Option<f64>,
    /// Price per 1,000 generated tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_cost_per_1k: Option<f64>,
}

/// What is redacted before text goes to a remote provider (placeholders restored in
/// the answer): email addresses, phone numbers, IBANs, card numbers and IP addresses
/// when enabled, and the names listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Redaction {
    pub enabled: bool,
    /// People, clients, companies: hidden wherever they appear as whole words.
    pub names: Vec<String>,
}

impl Default for Redaction {
    fn default() -> Self {
        Self {
            enabled: true,
            names: Vec::new(),
        }
    }
}

fn default_remote_context() -> u32 {
    32_768
}

/// The embedding model Hearth uses unless told otherwise.
pub const DEFAULT_EMBEDDING_MODEL: &str = "all-MiniLM-L6-v2";

/// Set by `hearth --gpu-layers`: the layer choice for this process, over the settings.
pub const GPU_LAYERS_ENV: &str = "HEARTH_GPU_LAYERS";
/// Set by `hearth --gpu-device`.
pub const GPU_DEVICE_ENV: &str = "HEARTH_GPU_DEVICE";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sampling {
    pub temperature: f32,
    pub top_k: i32,
    pub top_p: f32,
    pub min_p: f32,
    pub repeat_penalty: f32,
    pub max_tokens: Option<u32>,
    /// The most tokens a reasoning model may think before it is made to answer; unset
    /// for no limit.
    pub thinking_budget: Option<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            default_model: None,
            threads: None,
            context_length: 4096,
            parallel: 2,
            isolate_models: true,
            gpu_layers: GpuLayers::Auto,
            gpu_device: None,
            speculative_decoding: true,
            draft_model: None,
            kv_cache: KvCacheType::F16,
            memory_budget_mb: 0,
            unload_idle_minutes: 30,
            saved_contexts_mb: 2048,
            embedding_model: DEFAULT_EMBEDDING_MODEL.into(),
            offline: false,
            redaction: Redaction::default(),
            search_thinking: false,
            grounding: crate::grounding::GroundingMode::default(),
            grounding_judge: None,
            ocr_languages: None,
            sampling: Sampling::default(),
            providers: Vec::new(),
            mcp_servers: Vec::new(),
        }
    }
}

impl Default for Sampling {
    fn default() -> Self {
        let o = GenerationOptions::default();
        Self {
            temperature: o.temperature,
            top_k: o.top_k,
            top_p: o.top_p,
            min_p: o.min_p,
            repeat_penalty: o.repeat_penalty,
            max_tokens: Some(1024),
            thinking_budget: None,
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(CoreError::Io {
                    what: format!("reading {}", path.display()),
                    source,
                })
            }
        };
        toml::from_str(&text).map_err(|e| CoreError::Config {
            path: path.to_path_buf(),
            reason: e.message().to_owned(),
        })
    }

    /// Changes the settings file by one edit, safely against every other Hearth
    /// process: under an exclusive lock on `.config.toml.lock` beside it, the file is
    /// read as it is now, `change` edits that, and the result replaces the file
    /// atomically (owner-only, synced to disk). A setting another process saved since
    /// this one read the file is kept. Returns the settings as written.
    pub fn update(path: &Path, change: impl FnOnce(&mut Config)) -> Result<Config> {
        let (written, ()) = crate::files::update_locked(
            path,
            Config::load,
            |config| {
                change(config);
                Ok(())
            },
            |config| {
                toml::to_string_pretty(config)
                    .map(String::into_bytes)
                    .map_err(|e| CoreError::Config {
                        path: path.to_path_buf(),
                        reason: e.to_string(),
                    })
            },
        )?;
        Ok(written)
    }

    /// The engine settings for a model loaded now: these settings, with the GPU
    /// choice of this process's command line (`--gpu-layers`, `--gpu-device`) over them.
    pub fn engine_settings(&self) -> EngineSettings {
        let (gpu_layers, gpu_device) = self.gpu_choice();
        EngineSettings {
            context_length: self.context_length,
            parallel: self.parallel.max(1),
            threads: self.threads,
            saved_contexts_budget: self.saved_contexts_mb.saturating_mul(1 << 20),
            gpu_layers,
            gpu_device,
            speculative: self.speculative_decoding,
            kv_cache: self.kv_cache,
            ..EngineSettings::default()
        }
    }

    /// How long a model may sit idle before it is unloaded; `None` for never.
    pub fn idle_unload(&self) -> Option<std::time::Duration> {
        (self.unload_idle_minutes > 0)
            .then(|| std::time::Duration::from_secs(u64::from(self.unload_idle_minutes) * 60))
    }

    /// `gpu_layers` and `gpu_device`, or what this process was told on its command line.
    pub fn gpu_choice(&self) -> (GpuLayers, Option<String>) {
        let layers = std::env::var(GPU_LAYERS_ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(self.gpu_layers);
        let device = std::env::var(GPU_DEVICE_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| self.gpu_device.clone());
        (layers, device)
    }

    pub fn generation_options(&self) -> GenerationOptions {
        GenerationOptions {
            temperature: self.sampling.temperature,
            top_k: self.sampling.top_k,
            top_p: self.sampling.top_p,
            min_p: self.sampling.min_p,
            repeat_penalty: self.sampling.repeat_penalty,
            max_tokens: self.sampling.max_tokens,
            thinking_budget: self.sampling.thinking_budget,
            ..GenerationOptions::default()
        }
    }
}

impl ProviderConfig {
    /// The API's address: the configured one, or the public API of its kind.
    pub fn base_url(&self) -> &str {
        self.base_url
            .as_deref()
            .unwrap_or_else(|| self.kind.default_base_url())
    }

    /// The origin (scheme, host, port) of its address, which its key is bound to;
    /// refuses an address that is not http(s), or plain http:// to another machine.
    /// Checked when saving and again before each use, since config.toml can be edited
    /// by hand.
    pub fn origin(&self) -> Result<Origin> {
        let reason = match Origin::of(self.base_url()) {
            Ok(origin) => match origin.check_transport() {
                Ok(()) => return Ok(origin),
                Err(reason) => reason,
            },
            Err(reason) => reason,
        };
        Err(CoreError::InvalidProvider {
            reason: format!("{}: {reason}", self.name),
        })
    }

    /// Refuses settings that cannot work, saying which and why.
    pub fn check(&self) -> Result<()> {
        let provider = self;
        let bad = |reason: String| Err(CoreError::InvalidProvider { reason });
        let name = &provider.name;
        let valid_name = !name.is_empty()
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !valid_name {
            return bad(format!(
                "the name '{name}' must be 1 to 32 lowercase letters, digits, - or _"
            ));
        }
        if name == "local" {
            return bad(
                "'local' is reserved for models on this computer; choose another name".into(),
            );
        }
        provider.origin()?;
        if provider.context_length < 512 {
            return bad(format!(
                "context_length must be at least 512 tokens, got {}",
                provider.context_length
            ));
        }
        if provider.models.iter().any(|m| m.trim().is_empty()) {
            return bad("model names must not be empty".into());
        }
        for cost in [provider.input_cost_per_1k, provider.output_cost_per_1k]
            .into_iter()
            .flatten()
        {
            if !cost.is_finite() || cost < 0.0 {
                return bad(format!("costs must be 0 or more, got {cost}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_means_defaults_and_an_update_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        assert_eq!(Config::load(&path).unwrap(), Config::default());
        let config = Config {
            default_model: Some("smollm2-135m".into()),
            threads: Some(3),
            ..Config::default()
        };
        let written = Config::update(&path, |c| *c = config.clone()).unwrap();
        assert_eq!(written, config);
        assert_eq!(Config::load(&path).unwrap(), config);
    }

    #[test]
    fn broken_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "threads = \"many\"").unwrap();
        let err = Config::load(&path).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("config.toml") && message.contains("delete it"),
            "{message}"
        );
    }

    #[test]
    fn providers_round_trip_as_tables_without_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let config = Config {
            offline: true,
            providers: vec![ProviderConfig {
                name: "work-vllm".into(),
                kind: Protocol::OpenAi,
                base_url: Some("http://10.0.0.5:8000/v1".into()),
                models: vec!["qwen2.5-7b".into()],
                context_length: 16384,
                input_cost_per_1k: None,
                output_cost_per_1k: Some(0.002),
            }],
            ..Config::default()
        };
        Config::update(&path, |c| *c = config.clone()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("[[providers]]") && text.contains("kind = \"openai\""),
            "{text}"
        );
        assert_eq!(Config::load(&path).unwrap(), config);
        std::fs::write(
            &path,
            "[[providers]]\nname = \"x\"\nkind = \"anthropic\"\napi_key = \"sk\"\n",
        )
        .unwrap();
        let error = Config::load(&path).unwrap_err().to_string();
        assert!(
            error.contains("api_key"),
            "a key in the config file is refused: {error}"
        );
    }

    #[test]
    fn unknown_keys_are_rejected_not_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "treads = 4").unwrap();
        assert!(matches!(Config::load(&path), Err(CoreError::Config { .. })));
    }
}
