//! The model library on the facade: list, add, scan, info, pull, remove, default.
//! Every front end's "models" screen or command is these calls.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use hearth_gguf::{MemoryEstimate, MemoryParams, ModelSummary, Verdict};
use hearth_llm::EngineSettings;
use hearth_models::{DownloadProgress, DownloadRequest, HubClient, ScanReport, ScanRoots};
use serde::{Deserialize, Serialize};

use crate::engines::{Budget, MemoryCost};
use crate::error::{CoreError, Result};
use crate::hearth::{poisoned, Hearth};

/// The share of the computer's memory loaded models may hold together unless the
/// settings say otherwise: the same line the memory verdict draws for one model.
pub const DEFAULT_BUDGET_FRACTION: f64 = hearth_gguf::FITS_FRACTION;
/// The share of a GPU's memory left to the desktop and other programs.
pub const GPU_RESERVE_FRACTION: f64 = 0.1;
use crate::library::{LibraryEntry, ModelSource};

/// A library entry with what its file's header says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelView {
    pub id: String,
    pub path: PathBuf,
    pub source: ModelSource,
    pub is_default: bool,
    /// The name to show: the catalog's name for a catalog model, else the header's
    /// name without converter noise, else the file name without its quantization.
    #[serde(default)]
    pub display_name: String,
    /// An encoder-only model: it makes vectors for documents and cannot chat.
    #[serde(default)]
    pub embedding: bool,
    pub summary: Option<ModelSummary>,
    /// Why the file cannot be used (missing, not a valid GGUF), if it cannot.
    pub problem: Option<String>,
}

/// `hearth models info`: the summary and whether the model fits in memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelDetails {
    pub model: ModelView,
    pub memory: MemoryEstimate,
    pub available_memory: Option<u64>,
    pub verdict: Option<Verdict>,
    /// Whether the model thinks in marked blocks and its template has a switch for it.
    #[serde(default)]
    pub thinking: hearth_llm::ThinkingSupport,
    /// Where its layers would go on a GPU found here, and whether the GPU's memory holds
    /// them; `None` when it runs on the CPU alone (then `verdict` is for all of it, and
    /// otherwise for the part left in the computer's memory).
    #[serde(default)]
    pub gpu: Option<GpuFit>,
}

/// A model's share of a GPU, as loading it now would place it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuFit {
    /// The GPU, as its driver names it.
    pub device: String,
    /// `Vulkan`, `CUDA` or `Metal`.
    pub backend: String,
    pub gpu_layers: u32,
    pub layers: u32,
    /// The GPU's share of the weights and KV cache, and the compute buffer.
    pub vram_needed: u64,
    pub vram_free: u64,
    pub vram_verdict: Verdict,
}

/// Where the model's layers would go now, and what that asks of the GPU's memory;
/// `None` without a GPU (or when the plan cannot be made: the load will say why).
fn gpu_fit(path: &Path, settings: &EngineSettings, memory: &MemoryEstimate) -> Option<GpuFit> {
    let placement = match hearth_llm::plan_placement(path, settings) {
        Ok(placement) => placement,
        Err(e) => {
            tracing::debug!(error = %e, "no GPU plan for the model");
            return None;
        }
    };
    let device = placement.device.clone()?;
    if placement.gpu_layers == 0 {
        return None;
    }
    let vram_free = hearth_llm::gpu::gpus()
        .ok()?
        .into_iter()
        .find(|d| d.description == device)
        .map(|d| d.memory_free)?;
    let fit = GpuFit {
        device,
        backend: placement.backend.clone().unwrap_or_default(),
        gpu_layers: placement.gpu_layers,
        layers: placement.layers,
        vram_needed: 0,
        vram_free,
        vram_verdict: Verdict::Fits,
    };
    let vram_needed = share(memory.weights + memory.kv_cache, &fit) + memory.compute;
    Some(GpuFit {
        vram_needed,
        vram_verdict: Verdict::for_sizes(vram_needed, vram_free),
        ..fit
    })
}

/// The GPU's part of `bytes` spread evenly over the layers.
fn share(bytes: u64, fit: &GpuFit) -> u64 {
    (bytes as f64 * f64::from(fit.gpu_layers) / f64::from(fit.layers.max(1))) as u64
}

/// What a model needs with `settings`: its memory estimate, and its GPU share when
/// layers would go to a GPU.
fn estimate(
    path: &Path,
    file: &hearth_gguf::GgufFile,
    settings: &EngineSettings,
    n_ctx: u32,
) -> (MemoryEstimate, Option<GpuFit>) {
    let (kv_type, kv_type_v) = settings.kv_cache.ggml_types();
    let memory = file.memory_estimate(&MemoryParams {
        kv_type,
        kv_type_v: Some(kv_type_v),
        ..MemoryParams::with_context(n_ctx)
    });
    let mut placed = settings.clone();
    placed.context_length = n_ctx / settings.parallel.max(1);
    let gpu = match settings.gpu_layers {
        hearth_llm::GpuLayers::Off => None,
        _ => gpu_fit(path, &placed, &memory),
    };
    (memory, gpu)
}

/// Tokens of context the engine allocates for all its sequences with `settings`: a
/// context of 0 is the model's own, capped at 4096 as the engine caps it.
fn total_context(settings: &EngineSettings) -> u32 {
    let per_sequence = if settings.context_length == 0 {
        4096
    } else {
        settings.context_length
    };
    per_sequence * settings.parallel.max(1)
}

/// What stays in the computer's memory: all of it, less the GPU's share.
fn ram_share(memory: &MemoryEstimate, gpu: Option<&GpuFit>) -> u64 {
    memory.total.saturating_sub(gpu.map_or(0, |g| {
        share(
            memory.weights + memory.repacked_weights + memory.kv_cache,
            g,
        )
    }))
}

/// Where `pull` gets a model: a catalog id, or a Hugging Face repository and file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullSource {
    Catalog(String),
    Hub(DownloadRequest),
}

impl PullSource {
    /// `smollm2-360m` (catalog) or `org/repo/file.gguf` or `org/repo:file.gguf`.
    pub fn parse(spec: &str) -> PullSource {
        if let Some((repo, file)) = spec.split_once(':') {
            return PullSource::Hub(DownloadRequest::new(repo, file));
        }
        let parts: Vec<&str> = spec.splitn(3, '/').collect();
        match parts.as_slice() {
            [org, repo, file] => {
                PullSource::Hub(DownloadRequest::new(format!("{org}/{repo}"), *file))
            }
            _ => PullSource::Catalog(spec.to_owned()),
        }
    }
}

impl Hearth {
    /// What loading `path` with `settings` would hold, for the memory budget. A file
    /// whose header does not read costs nothing here: its load fails with the reason.
    pub(crate) fn memory_cost(&self, path: &Path, settings: &EngineSettings) -> MemoryCost {
        let file = match check_gguf(path) {
            Ok(file) => file,
            Err(error) => {
                tracing::debug!(%error, "no memory estimate; the load will say why");
                return MemoryCost::default();
            }
        };
        let (memory, gpu) = estimate(path, &file, settings, total_context(settings));
        let adapter = settings
            .adapter
            .as_ref()
            .and_then(|a| std::fs::metadata(&a.path).ok())
            .map_or(0, |m| m.len());
        // A draft model is loaded beside the model, with a cache as long as its own.
        let draft = settings.draft_model.as_deref().map(|draft| {
            let alone = EngineSettings {
                draft_model: None,
                adapter: None,
                ..settings.clone()
            };
            self.memory_cost(draft, &alone)
        });
        MemoryCost {
            ram: ram_share(&memory, gpu.as_ref())
                .saturating_add(adapter)
                .saturating_add(draft.as_ref().map_or(0, |d| d.ram)),
            vram: gpu
                .as_ref()
                .map_or(0, |g| g.vram_needed)
                .saturating_add(draft.as_ref().map_or(0, |d| d.vram)),
            device: gpu.map(|g| g.device),
        }
    }

    /// What the loaded models may hold together: `memory_budget_mb`, or by default
    /// [`DEFAULT_BUDGET_FRACTION`] of the computer's memory; on each GPU, what its
    /// memory holds less [`GPU_RESERVE_FRACTION`] left for the desktop.
    pub(crate) fn memory_budget(&self) -> Budget {
        let config = self.config();
        let ram = match config.memory_budget_mb {
            0 => hearth_gguf::total_memory().map_or(u64::MAX, |total| {
                (total as f64 * DEFAULT_BUDGET_FRACTION) as u64
            }),
            mb => mb.saturating_mul(1 << 20),
        };
        let vram = match config.gpu_choice().0 {
            hearth_llm::GpuLayers::Off => Default::default(),
            _ => hearth_llm::gpu::gpus()
                .unwrap_or_default()
                .into_iter()
                .map(|d| {
                    let usable = d.memory_total as f64 * (1.0 - GPU_RESERVE_FRACTION);
                    (d.description, usable as u64)
                })
                .collect(),
        };
        Budget { ram, vram }
    }

    /// Every model in the library, with its header summary.
    pub fn models(&self) -> Result<Vec<ModelView>> {
        let entries = self
            .library
            .lock()
            .map_err(|_| poisoned())?
            .entries()
            .to_vec();
        let default = self.default_model_id();
        Ok(entries
            .into_iter()
            .map(|e| view(e, default.as_deref()))
            .collect())
    }

    /// Adds a GGUF file after checking its header. With `copy` the file is copied into
    /// Hearth's models folder first (so it survives the original being moved).
    pub fn add_model(
        &self,
        path: &Path,
        id: Option<&str>,
        copy: bool,
        make_default: bool,
    ) -> Result<ModelView> {
        check_gguf(path)?;
        let (path, source) = if copy {
            (
                self.copy_into_models(path)?,
                ModelSource::Copied {
                    from: path.to_path_buf(),
                },
            )
        } else {
            (path.to_path_buf(), ModelSource::Linked)
        };
        let entry = self
            .library
            .lock()
            .map_err(|_| poisoned())?
            .add(&path, id, source)?;
        if make_default {
            self.set_default_model(&entry.id)?;
        }
        Ok(view(entry, self.default_model_id().as_deref()))
    }

    /// Converts a sentence-transformers BERT folder (an embedding model such as
    /// all-MiniLM-L6-v2) into a GGUF file in Hearth's models folder and adds it to the
    /// library; the file is named after the folder unless `id` says otherwise.
    pub fn convert_model(&self, dir: &Path, id: Option<&str>) -> Result<ModelView> {
        let name = id.map(str::to_owned).unwrap_or_else(|| {
            let folder = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
            folder
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "embedding-model".into())
        });
        let file_name = format!("{name}.gguf");
        check_file_name(&file_name)?;
        let target = self.paths.models_dir().join(file_name);
        if target.exists() {
            return Err(CoreError::DuplicateModel {
                id: name,
                path: target,
            });
        }
        hearth_models::convert_bert(dir, &target)?;
        let entry = self.library.lock().map_err(|_| poisoned())?.add(
            &target,
            id,
            ModelSource::Converted {
                from: dir.to_path_buf(),
            },
        )?;
        Ok(view(entry, self.default_model_id().as_deref()))
    }

    /// The catalog of well-known models `pull` accepts by id.
    pub fn model_catalog(&self) -> Result<&'static hearth_models::Catalog> {
        Ok(hearth_models::catalog::builtin()?)
    }

    /// Lists the GGUF files other apps keep (Hugging Face cache, LM Studio, Ollama, Jan).
    pub fn scan_models(&self) -> ScanReport {
        hearth_models::scan(&ScanRoots::from_env())
    }

    /// Scans and adds every valid file found, by path; returns what was added.
    pub fn add_scanned_models(&self, report: &ScanReport) -> Result<Vec<ModelView>> {
        let mut added = Vec::new();
        for found in &report.models {
            if check_gguf(&found.path).is_err() {
                continue;
            }
            let source = ModelSource::Found {
                app: found.source.label().to_owned(),
            };
            let mut library = self.library.lock().map_err(|_| poisoned())?;
            let wanted = crate::library::slug(&found.name);
            let id = library.find(&wanted).is_none().then_some(wanted);
            let entry = library.add(&found.path, id.as_deref(), source)?;
            drop(library);
            added.push(view(entry, self.default_model_id().as_deref()));
        }
        Ok(added)
    }

    /// Header summary and memory estimate at `context_length` tokens (the configured
    /// context times the parallel sequences when `None`).
    pub fn model_info(
        &self,
        spec: Option<&str>,
        context_length: Option<u32>,
    ) -> Result<ModelDetails> {
        let path = self.resolve_model(spec)?;
        let entry = self
            .library
            .lock()
            .map_err(|_| poisoned())?
            .find(&path.to_string_lossy())
            .cloned();
        let entry = entry.unwrap_or(LibraryEntry {
            id: "-".into(),
            path: path.clone(),
            source: ModelSource::Linked,
            added_at: 0,
        });
        let file = check_gguf(&path)?;
        let settings = self.config().engine_settings();
        let n_ctx = context_length.unwrap_or_else(|| total_context(&settings));
        let (memory, gpu) = estimate(&path, &file, &settings, n_ctx);
        let available_memory = hearth_gguf::available_memory();
        let in_ram = ram_share(&memory, gpu.as_ref());
        Ok(ModelDetails {
            model: view(entry, self.default_model_id().as_deref()),
            memory,
            available_memory,
            verdict: available_memory.map(|a| Verdict::for_sizes(in_ram, a)),
            thinking: hearth_llm::thinking_support(file.chat_template()),
            gpu,
        })
    }

    /// What a model's chat template says about thinking, read from its file's header
    /// (no loading): whether it thinks in marked blocks, and whether it can be turned on
    /// and off. A model that cannot be read, and a remote one, say neither.
    pub fn thinking_support(&self, spec: Option<&str>) -> hearth_llm::ThinkingSupport {
        self.resolve_model(spec)
            .and_then(|path| check_gguf(&path))
            .map(|file| hearth_llm::thinking_support(file.chat_template()))
            .unwrap_or_default()
    }

    /// Makes a library model (by id or path) the default; a path not yet in the library
    /// is added first.
    pub fn set_default_model(&self, spec: &str) -> Result<()> {
        let known = self
            .library
            .lock()
            .map_err(|_| poisoned())?
            .find(spec)
            .cloned();
        let entry = match known {
            Some(entry) => entry,
            None if Path::new(spec).is_file() => {
                check_gguf(Path::new(spec))?;
                self.library.lock().map_err(|_| poisoned())?.add(
                    Path::new(spec),
                    None,
                    ModelSource::Linked,
                )?
            }
            None => {
                return Err(CoreError::UnknownModel {
                    name: spec.to_owned(),
                })
            }
        };
        self.update_config(|c| c.default_model = Some(entry.id.clone()))
    }

    /// Removes a model from the library. With `delete_file`, a file Hearth copied or
    /// downloaded into its own models folder is deleted too; other apps' files never are.
    pub fn remove_model(&self, spec: &str, delete_file: bool) -> Result<ModelView> {
        let default = self.default_model_id();
        let entry = self.library.lock().map_err(|_| poisoned())?.remove(spec)?;
        if default.as_deref() == Some(entry.id.as_str()) {
            self.update_config(|c| c.default_model = None)?;
        }
        let owned = matches!(
            entry.source,
            ModelSource::Copied { .. }
                | ModelSource::Downloaded { .. }
                | ModelSource::Converted { .. }
        ) && entry.path.starts_with(
            self.paths
                .models_dir()
                .canonicalize()
                .unwrap_or_else(|_| self.paths.models_dir()),
        );
        if delete_file && owned {
            std::fs::remove_file(&entry.path).map_err(|source| CoreError::Io {
                what: format!("deleting {}", entry.path.display()),
                source,
            })?;
        }
        Ok(view(entry, None))
    }

    /// Downloads a model into the models folder (resuming a partial download), checks
    /// it and adds it to the library.
    pub fn pull_model(
        &self,
        source: &PullSource,
        cancel: &AtomicBool,
        progress: impl FnMut(DownloadProgress),
    ) -> Result<ModelView> {
        let (request, id) = match source {
            PullSource::Catalog(id) => {
                let entry = hearth_models::catalog::lookup(id)?;
                (entry.download_request(), Some(entry.id.clone()))
            }
            PullSource::Hub(request) => (request.clone(), None),
        };
        let models = self.paths.models_dir();
        let downloaded = HubClient::from_env().download(&request, &models, cancel, progress)?;
        check_gguf(&downloaded.path)?;
        let source = ModelSource::Downloaded {
            repo: request.repo.clone(),
            file: request.file.clone(),
            sha256: downloaded.sha256,
        };
        let mut library = self.library.lock().map_err(|_| poisoned())?;
        let entry = match id.as_deref().filter(|id| library.find(id).is_none()) {
            Some(id) => library.add(&downloaded.path, Some(id), source)?,
            None => library.add(&downloaded.path, None, source)?,
        };
        drop(library);
        Ok(view(entry, self.default_model_id().as_deref()))
    }

    fn default_model_id(&self) -> Option<String> {
        let spec = self.config().default_model?;
        let library = self.library.lock().ok()?;
        Some(library.find(&spec).map(|e| e.id.clone()).unwrap_or(spec))
    }

    fn copy_into_models(&self, path: &Path) -> Result<PathBuf> {
        let name = path
            .file_name()
            .ok_or_else(|| CoreError::InvalidModelFile {
                path: path.to_path_buf(),
                message: "not a file name".into(),
            })?;
        check_file_name(&name.to_string_lossy())?;
        let target = self.paths.models_dir().join(name);
        let io = |what: String, source| CoreError::Io { what, source };
        if target.exists() {
            let same_size = std::fs::metadata(&target).map(|m| m.len()).ok()
                == std::fs::metadata(path).map(|m| m.len()).ok();
            if same_size {
                return Ok(target);
            }
            return Err(CoreError::DuplicateModel {
                id: name.to_string_lossy().into_owned(),
                path: target,
            });
        }
        let partial = target.with_extension("gguf.part");
        std::fs::copy(path, &partial).map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            io(
                format!(
                    "copying {} into {}",
                    path.display(),
                    self.paths.models_dir().display()
                ),
                e,
            )
        })?;
        // A copy keeps the original's permissions; Hearth's own files are owner-only.
        crate::files::make_private(&partial)
            .and_then(|()| std::fs::rename(&partial, &target))
            .map_err(|e| io(format!("moving {} into place", target.display()), e))?;
        Ok(target)
    }
}

/// Refuses a name for a file written into the models folder that is not a plain file
/// name on every system (`C:evil.gguf`, `x.gguf:stream`, `CON.gguf`, `..`): see
/// [`hearth_models::file_name_problem`].
fn check_file_name(name: &str) -> Result<()> {
    match hearth_models::file_name_problem(name) {
        None => Ok(()),
        Some(reason) => Err(CoreError::Models(hearth_models::ModelsError::InvalidName {
            what: "model file name",
            value: name.to_owned(),
            reason,
        })),
    }
}

fn check_gguf(path: &Path) -> Result<hearth_gguf::GgufFile> {
    if !path.exists() {
        return Err(hearth_llm::LlmError::ModelNotFound {
            path: path.to_path_buf(),
        }
        .into());
    }
    hearth_gguf::read_header(path).map_err(|e| CoreError::InvalidModelFile {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn view(entry: LibraryEntry, default: Option<&str>) -> ModelView {
    let (summary, problem) = match hearth_gguf::read_header(&entry.path) {
        Ok(file) => (Some(file.summary()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let file_name = entry
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| entry.id.clone());
    let display_name = match hearth_models::catalog::builtin() {
        Ok(catalog) => hearth_models::display_name(
            catalog,
            &file_name,
            summary.as_ref().and_then(|s| s.name.as_deref()),
        ),
        Err(_) => file_name,
    };
    // Encoder-only architectures only make vectors; they cannot chat.
    let embedding = summary
        .as_ref()
        .and_then(|s| s.architecture.as_deref())
        .is_some_and(|a| matches!(a, "bert" | "nomic-bert" | "jina-bert-v2"));
    ModelView {
        is_default: default == Some(entry.id.as_str()),
        display_name,
        embedding,
        id: entry.id,
        path: entry.path,
        source: entry.source,
        summary,
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_sources_parse() {
        assert_eq!(
            PullSource::parse("smollm2-360m"),
            PullSource::Catalog("smollm2-360m".into())
        );
        assert_eq!(
            PullSource::parse("Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf"),
            PullSource::Hub(DownloadRequest::new(
                "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
                "qwen2.5-0.5b-instruct-q4_k_m.gguf"
            ))
        );
        assert_eq!(
            PullSource::parse("org/repo:sub/file.gguf"),
            PullSource::Hub(DownloadRequest::new("org/repo", "sub/file.gguf"))
        );
    }

    /// Names of files copied or converted into the models folder (from a path the user
    /// chose, or a model id) are plain names on every system.
    #[test]
    fn files_written_into_the_models_folder_have_plain_names() {
        for (name, ok) in [
            ("all-MiniLM-L6-v2.gguf", true),
            ("model.Q4_K_M.gguf", true),
            ("C:evil.gguf", false),
            ("model.gguf:stream", false),
            ("../evil.gguf", false),
            ("sub\\evil.gguf", false),
            ("CON.gguf", false),
            ("com1.gguf", false),
            ("model.gguf.", false),
            ("tab\t.gguf", false),
        ] {
            let result = check_file_name(name);
            assert_eq!(result.is_ok(), ok, "{name:?}: {result:?}");
            if let Err(e) = result {
                assert_eq!(e.code(), "INVALID_NAME", "{name:?}");
            }
        }
    }
}
