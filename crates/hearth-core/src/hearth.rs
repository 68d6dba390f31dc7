//! The `Hearth` facade: the one API the CLI, the server and the desktop app call.
//! It owns the folders, the settings and the loaded models, so a feature written here
//! exists in every front end at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use hearth_llm::{
    ChatMessage, Engine, EngineExt, EngineSettings, Generation, GenerationOptions, LlamaEngine,
    LoadProgress, LoraAdapter, NetworkSwitch, TemplateSource, WorkerEngine, WorkerSettings,
};

use crate::audit::{AuditContext, AuditedEngine, ModelHash};
use crate::config::Config;
use crate::engines::{EngineKey, Engines, LoadPlan, Loaded, LoadedModel, LoadedModels};
use crate::error::{CoreError, Result};
use crate::library::{Library, ModelSource};
use crate::paths::Paths;
use crate::secrets::Secrets;
use hearth_store::{AuditPurpose, Store};

/// How models are run.
#[derive(Clone)]
pub enum Isolation {
    /// In this process: fastest start, but a llama.cpp abort ends the process.
    InProcess,
    /// In a child process started as `program args...` (by default `hearth worker`).
    Worker { program: PathBuf, args: Vec<String> },
    /// This engine for every model (tests use the scripted fake).
    Provided(Arc<dyn Engine>),
}

/// Options for opening Hearth.
#[derive(Clone)]
pub struct OpenOptions {
    pub paths: Paths,
    /// Overrides `isolate_models` from the config file.
    pub isolation: Option<Isolation>,
}

pub struct Hearth {
    pub(crate) paths: Paths,
    pub(crate) config: RwLock<Config>,
    pub(crate) library: Mutex<Library>,
    pub(crate) store: Arc<Store>,
    pub(crate) isolation: Isolation,
    /// The loaded models, local and remote, and the memory budget they share.
    pub(crate) engines: Engines,
    /// Offline mode, shared by every remote engine.
    pub(crate) network: NetworkSwitch,
    pub(crate) secrets: Secrets,
    /// Models loading now, and loads that failed (until the next try), for the UI.
    loads: Arc<Mutex<HashMap<PathBuf, ModelLoad>>>,
    pub(crate) embedders: Mutex<HashMap<PathBuf, Arc<hearth_llm::LlamaEmbedder>>>,
    /// The MCP servers' hub, made on first use.
    pub(crate) mcp: crate::mcp::McpState,
    /// Tool calls that wait for the user's decision, shared with the turns.
    pub(crate) pending_calls: Arc<crate::chat_tools::PendingCalls>,
    /// Held by whoever indexes a collection, so the folder watcher and the user's own
    /// ingestion take turns.
    pub(crate) indexing: Mutex<()>,
    /// How collection changes reach the folder watcher, and what it reports.
    pub(crate) watch_hub: crate::ask::watch::WatchHub,
}

/// A model loading in the background, or the last load of it that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelLoad {
    pub path: PathBuf,
    /// The file's name, for people.
    pub model: String,
    /// 0.0 to 1.0.
    pub progress: f32,
    /// Why the load failed; the next try clears it.
    pub error: Option<String>,
    /// Loaded models it waits for, busy answering, before there is room for it.
    pub waiting_for: Vec<String>,
}

impl Hearth {
    /// Opens with the folders from the environment (`HEARTH_HOME` or the platform's).
    pub fn open_default() -> Result<Self> {
        Self::open(OpenOptions {
            paths: Paths::from_env()?,
            isolation: None,
        })
    }

    pub fn open(options: OpenOptions) -> Result<Self> {
        options.paths.create_all()?;
        let config = Config::load(&options.paths.config_file())?;
        let isolation = match options.isolation {
            Some(isolation) => isolation,
            None if config.isolate_models => {
                let program = std::env::current_exe().map_err(|source| CoreError::Io {
                    what: "finding this program's path".into(),
                    source,
                })?;
                Isolation::Worker {
                    program,
                    args: vec!["worker".into()],
                }
            }
            None => Isolation::InProcess,
        };
        let library = Library::load(&options.paths.library_file())?;
        let store = Arc::new(Store::open(options.paths.database_file())?);
        // Answers left streaming by a process that has died can never finish now. Those
        // another live process is writing (the app, while `hearth history list` runs)
        // are left alone: the store knows each one's writer.
        let interrupted = store.mark_interrupted()?;
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "answers cut off by the last shutdown are marked interrupted"
            );
        }
        let cut_runs = store.mark_runs_interrupted()?;
        if cut_runs > 0 {
            tracing::warn!(
                cut_runs,
                "workflow runs cut off by the last shutdown are marked interrupted"
            );
        }
        let network = NetworkSwitch::new(config.offline);
        let secrets = Secrets::new(&options.paths);
        let engines = Engines::new(config.idle_unload());
        Ok(Self {
            network,
            secrets,
            paths: options.paths,
            config: RwLock::new(config),
            library: Mutex::new(library),
            store,
            isolation,
            engines,
            loads: Arc::default(),
            embedders: Mutex::default(),
            mcp: Default::default(),
            pending_calls: Default::default(),
            indexing: Mutex::new(()),
            watch_hub: Default::default(),
        })
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    pub fn config(&self) -> Config {
        self.config.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// Changes and saves the settings. `change` edits the settings file as it is on disk
    /// now (under a lock every Hearth process shares), so what another process saved
    /// meanwhile is kept, and the settings here become what was written. Loaded models
    /// keep their settings until reloaded; offline mode and remote providers take
    /// effect at once.
    pub fn update_config(&self, change: impl FnOnce(&mut Config)) -> Result<()> {
        let mut config = self.config.write().map_err(|_| poisoned())?;
        let changed = Config::update(&self.paths.config_file(), change)?;
        self.network.set_offline(changed.offline);
        self.engines.set_idle_after(changed.idle_unload());
        // Remote engines are cheap to make and carry the provider and redaction
        // settings: the next request builds them again.
        let mut before: Vec<String> = config.providers.iter().map(|p| p.name.clone()).collect();
        before.extend(changed.providers.iter().map(|p| p.name.clone()));
        *config = changed;
        drop(config);
        for name in before {
            self.drop_remote_engines(&name)?;
        }
        Ok(())
    }

    /// Sampling defaults from the settings, for a caller to adjust.
    pub fn default_options(&self) -> GenerationOptions {
        self.config().generation_options()
    }

    /// Finds a model file: a library id, a path, a file name in the models folder, or
    /// (with `None`) the default model.
    pub fn resolve_model(&self, spec: Option<&str>) -> Result<PathBuf> {
        let default = self.config().default_model;
        let spec = match spec.or(default.as_deref()) {
            Some(spec) => spec,
            None => return Err(CoreError::NoDefaultModel),
        };
        if let Some(entry) = self.library.lock().map_err(|_| poisoned())?.find(spec) {
            return Ok(entry.path.clone());
        }
        let direct = Path::new(spec);
        if direct.is_file() || direct.is_absolute() || spec.contains(std::path::MAIN_SEPARATOR) {
            return Ok(direct.to_path_buf());
        }
        let models = self.paths.models_dir();
        for candidate in [models.join(spec), models.join(format!("{spec}.gguf"))] {
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
        Err(CoreError::UnknownModel {
            name: spec.to_owned(),
        })
    }

    /// The engine for a model, loading it on first use. Every generation made through
    /// it is recorded in the audit log (with purpose "other").
    pub fn engine(&self, model: Option<&str>) -> Result<Arc<dyn Engine>> {
        self.audited_engine(model, AuditContext::default())
    }

    /// The engine for a model, recording its generations with `context`. This is the one
    /// place engines are handed out, so no generation escapes the audit log.
    pub(crate) fn audited_engine(
        &self,
        model: Option<&str>,
        context: AuditContext,
    ) -> Result<Arc<dyn Engine>> {
        self.audited_engine_with(model, None, context)
    }

    /// The engine for a local model with a LoRA adapter attached (a conversation's or a
    /// workflow step's), audited with `context`.
    pub(crate) fn audited_engine_with(
        &self,
        model: Option<&str>,
        adapter: Option<&LoraAdapter>,
        context: AuditContext,
    ) -> Result<Arc<dyn Engine>> {
        Ok(self.model_for(model, adapter)?.audited(context))
    }

    /// A model looked up (and loaded) once, for work that asks it several things with
    /// different audit purposes (a chat turn's answer, summary and title): each
    /// [`ModelHandle::audited`] engine shares the one lookup, its lease and its
    /// redaction.
    pub(crate) fn model_for(
        &self,
        model: Option<&str>,
        adapter: Option<&LoraAdapter>,
    ) -> Result<ModelHandle> {
        let loaded = self.loaded_model(model, adapter)?;
        // Text for a remote model passes the redactor on its way out (the settings'
        // kinds and names); nothing of a local model's leaves, so it needs none.
        let redaction = self.config().redaction;
        let remote = loaded.is_remote();
        let redactor = (remote && (redaction.enabled || !redaction.names.is_empty())).then(|| {
            if redaction.enabled {
                crate::redact::Redactor::new(&redaction.names)
            } else {
                crate::redact::Redactor::names_only(&redaction.names)
            }
        });
        Ok(ModelHandle {
            loaded,
            redactor,
            store: self.store.clone(),
        })
    }

    fn loaded_model(
        &self,
        model: Option<&str>,
        adapter: Option<&LoraAdapter>,
    ) -> Result<LoadedModel> {
        // A remote model needs no loading, whatever runs the local ones.
        let spec = model
            .map(str::to_owned)
            .or_else(|| self.config().default_model);
        if let Some(remote) = spec
            .as_deref()
            .map(|s| self.remote_model(s))
            .transpose()?
            .flatten()
        {
            if let Some(adapter) = adapter {
                return Err(hearth_llm::LlmError::BadAdapter {
                    path: adapter.path.clone(),
                    reason: format!(
                        "adapters apply to models on this computer, and {} runs at {}; choose a local model or remove the adapter",
                        remote.model, remote.provider.name
                    ),
                }
                .into());
            }
            let key = EngineKey::remote(&remote.provider.name, &remote.model);
            return self.engines.get_or_load(
                &key,
                LoadPlan::free(|| Ok((self.remote_engine(&remote)?, Arc::default()))),
            );
        }
        if let Isolation::Provided(engine) = &self.isolation {
            let path = engine.info().path;
            let key = EngineKey::local(&path, None);
            return self.engines.get_or_load(
                &key,
                LoadPlan::free(|| Ok((engine.clone(), self.model_hash(&path)))),
            );
        }
        let path = self.resolve_model(model)?;
        let key = EngineKey::local(&path, adapter);
        let mut settings = self.config().engine_settings();
        settings.adapter = adapter.cloned();
        if settings.saved_contexts_budget > 0 {
            settings.saved_contexts = Some(self.paths.contexts_dir());
        }
        settings.draft_model = self.draft_model_for(&path)?;
        self.engines.get_or_load(
            &key,
            LoadPlan {
                cost: Box::new(|| self.memory_cost(&path, &settings)),
                budget: Box::new(|| self.chat_model_budget()),
                waiting: Box::new(|busy| self.track_wait(&path, busy)),
                load: Box::new(|| {
                    match self.load_engine(&path, settings.clone(), adapter.is_some()) {
                        // The setting names one draft model for every model: one of
                        // another family runs without it, as the log and its info say.
                        Err(CoreError::Llm(error @ hearth_llm::LlmError::BadDraftModel { .. })) => {
                            tracing::warn!(%error, model = %path.display(), "loading without the draft model");
                            let plain = EngineSettings {
                                draft_model: None,
                                ..settings.clone()
                            };
                            self.load_engine(&path, plain, adapter.is_some())
                        }
                        loaded => loaded,
                    }
                }),
            },
        )
    }

    /// Loads a model file as the settings say (in this process or a worker), reporting
    /// its progress in [`Hearth::model_loads`].
    fn load_engine(
        &self,
        path: &Path,
        settings: EngineSettings,
        with_adapter: bool,
    ) -> Result<Loaded> {
        // Started before loading, so the hash is often ready by the first answer.
        let hash = self.model_hash(path);
        let progress = self.track_load(path);
        let engine: Result<Arc<dyn Engine>> = match &self.isolation {
            Isolation::Provided(engine) => Ok(engine.clone()),
            Isolation::InProcess => {
                LlamaEngine::load_with_progress(path, &settings, Some(progress))
                    .map(|e| Arc::new(e) as Arc<dyn Engine>)
                    .map_err(Into::into)
            }
            Isolation::Worker { program, args } => WorkerEngine::start_with_progress(
                WorkerSettings {
                    program: program.clone(),
                    args: args.iter().map(Into::into).collect(),
                    model: path.to_path_buf(),
                    engine: settings,
                },
                Some(progress),
            )
            .map(|e| Arc::new(e) as Arc<dyn Engine>)
            .map_err(Into::into),
        };
        if let Ok(mut loads) = self.loads.lock() {
            match &engine {
                // A refused adapter is the caller's to report (it attached the file);
                // the model itself is fine and must not show as failed to load.
                Ok(_) => {
                    loads.remove(path);
                }
                Err(_) if with_adapter => {
                    loads.remove(path);
                }
                Err(error) => {
                    if let Some(load) = loads.get_mut(path) {
                        load.error = Some(error.to_string());
                        load.waiting_for.clear();
                    }
                }
            }
        }
        Ok((engine?, hash))
    }

    /// Stops every loaded model now, as when the app quits: answers still running (a
    /// title being written in the background) end, each engine saves its conversation
    /// contexts, and no model thread is left running while the process ends. The next
    /// request loads the model again.
    pub fn unload_models(&self) {
        self.engines.unload_all();
        if let Ok(mut embedders) = self.embedders.lock() {
            embedders.clear();
        }
    }

    /// What the chat models may hold: the budget less the loaded embedding models. Those
    /// are small (tens to hundreds of megabytes) and a document job holds one for its
    /// whole length, so they are counted rather than evicted.
    fn chat_model_budget(&self) -> crate::engines::Budget {
        let mut budget = self.memory_budget();
        budget.ram = budget.ram.saturating_sub(self.embedding_bytes());
        budget
    }

    /// RAM the loaded embedding models hold, by their files' sizes (their weights; their
    /// contexts are small).
    fn embedding_bytes(&self) -> u64 {
        let Ok(embedders) = self.embedders.lock() else {
            return 0;
        };
        embedders
            .keys()
            .filter_map(|path| std::fs::metadata(path).ok())
            .map(|m| m.len())
            .sum()
    }

    /// The models loaded now, with what they hold and the budget they share.
    pub fn loaded_models(&self) -> Result<LoadedModels> {
        let models = self.engines.views()?;
        let config = self.config();
        let embedding_bytes = self.embedding_bytes();
        Ok(LoadedModels {
            used_bytes: models
                .iter()
                .map(|m| m.memory.ram)
                .sum::<u64>()
                .saturating_add(embedding_bytes),
            embedding_bytes,
            budget_bytes: self.memory_budget().ram,
            unload_idle_minutes: config.unload_idle_minutes,
            models,
        })
    }

    /// Unloads a loaded model by the id [`Hearth::loaded_models`] gives it; a model
    /// answering now is refused (`MODEL_BUSY`).
    pub fn unload_model(&self, id: &str) -> Result<()> {
        self.engines.unload(id)
    }

    /// Models loading now (with how far they are) and loads that failed, for a front end
    /// to show while history and settings stay usable.
    pub fn model_loads(&self) -> Vec<ModelLoad> {
        let mut loads: Vec<ModelLoad> = self
            .loads
            .lock()
            .map(|l| l.values().cloned().collect())
            .unwrap_or_default();
        loads.sort_by(|a, b| a.path.cmp(&b.path));
        loads
    }

    /// Records a load starting and returns what reports its progress.
    fn track_load(&self, path: &Path) -> LoadProgress {
        self.record_load(path, Vec::new());
        let loads = Arc::downgrade(&self.loads);
        let path = path.to_path_buf();
        LoadProgress::new(move |done| {
            let Some(loads) = loads.upgrade() else { return };
            if let Ok(mut loads) = loads.lock() {
                if let Some(load) = loads.get_mut(&path) {
                    load.progress = done;
                    load.waiting_for.clear();
                }
            };
        })
    }

    /// Records a load waiting for busy models to finish before it has room.
    fn track_wait(&self, path: &Path, busy: &[EngineKey]) {
        self.record_load(path, busy.iter().map(ToString::to_string).collect());
    }

    /// A load of `path` starting (or waiting for `waiting_for`), in place of the last.
    fn record_load(&self, path: &Path, waiting_for: Vec<String>) {
        let model = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Ok(mut loads) = self.loads.lock() {
            loads.insert(
                path.to_path_buf(),
                ModelLoad {
                    path: path.to_path_buf(),
                    model,
                    progress: 0.0,
                    error: None,
                    waiting_for,
                },
            );
        }
    }

    /// Drops every conversation context the loaded engines keep and every context saved
    /// on disk, for all models. Costs only re-reading prompts later.
    pub fn forget_contexts(&self) -> Result<()> {
        for engine in self.engines.loaded_engines()? {
            if let Err(error) = engine.forget_contexts() {
                // A stopped engine keeps nothing in memory; its files go below.
                tracing::warn!(%error, "an engine could not drop its contexts");
            }
        }
        let dir = self.paths.contexts_dir();
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(CoreError::Io {
                what: format!(
                    "removing saved conversation contexts in {} (delete that folder by hand)",
                    dir.display()
                ),
                source,
            }),
        }
    }

    /// The model file's hash: the one checked at download when the library has it,
    /// otherwise computed in the background. A path that is not a file (a test's fake
    /// engine) gets none.
    fn model_hash(&self, path: &Path) -> Arc<ModelHash> {
        let downloaded = self.library.lock().ok().and_then(|library| {
            library
                .entries()
                .iter()
                .filter(|entry| entry.path == path)
                .find_map(|entry| match &entry.source {
                    ModelSource::Downloaded { sha256, .. } => Some(sha256.to_ascii_lowercase()),
                    _ => None,
                })
        });
        match downloaded {
            Some(sha256) => ModelHash::known(sha256),
            None if path.is_file() => ModelHash::compute(path.to_path_buf(), self.store.clone()),
            None => Arc::default(),
        }
    }

    /// Answers a conversation with a model (the default when `model` is `None`).
    pub fn chat(
        &self,
        model: Option<&str>,
        messages: &[ChatMessage],
        options: GenerationOptions,
    ) -> Result<(Generation, TemplateSource)> {
        self.chat_for(model, messages, options, AuditPurpose::Other)
    }

    fn chat_for(
        &self,
        model: Option<&str>,
        messages: &[ChatMessage],
        options: GenerationOptions,
        purpose: AuditPurpose,
    ) -> Result<(Generation, TemplateSource)> {
        let engine = self.audited_engine(model, AuditContext::new(purpose, None))?;
        Ok(engine.chat(messages, options)?)
    }

    /// A chat completion another program asked for through the OpenAI-compatible API;
    /// audited as `api`.
    pub fn api_chat(
        &self,
        model: Option<&str>,
        messages: &[ChatMessage],
        options: GenerationOptions,
    ) -> Result<Generation> {
        Ok(self
            .chat_for(model, messages, options, AuditPurpose::Api)?
            .0)
    }

    /// A raw text continuation (no chat template) asked for through the API; audited as
    /// `api`.
    pub fn api_completion(
        &self,
        model: Option<&str>,
        prompt: String,
        options: GenerationOptions,
    ) -> Result<Generation> {
        let engine = self.audited_engine(model, AuditContext::new(AuditPurpose::Api, None))?;
        Ok(engine.complete(prompt, options)?)
    }

    /// One question, one answer: the `hearth run` job.
    pub fn ask_once(
        &self,
        model: Option<&str>,
        system: Option<&str>,
        prompt: &str,
        options: GenerationOptions,
    ) -> Result<(Generation, TemplateSource)> {
        let mut messages = Vec::new();
        if let Some(system) = system {
            messages.push(ChatMessage::system(system));
        }
        messages.push(ChatMessage::user(prompt));
        self.chat_for(model, &messages, options, AuditPurpose::Run)
    }
}

impl Drop for Hearth {
    /// Stops the models with the facade, not whenever their last handle goes: a title
    /// still being written in the background holds an engine, and a model thread left
    /// decoding while the process exits meets llama.cpp's state being torn down
    /// (a SIGSEGV at exit seen in a test binary). The background job then ends with
    /// "the engine has shut down".
    fn drop(&mut self) {
        self.unload_models();
    }
}

/// A lock was poisoned by a panic elsewhere; report it instead of panicking again.
pub(crate) fn poisoned() -> CoreError {
    CoreError::Internal {
        reason: "internal state is unusable after an earlier failure; restart Hearth".into(),
    }
}

/// A loaded model held for one piece of work (see [`Hearth::model_for`]): while it lives,
/// the model stays loaded.
pub(crate) struct ModelHandle {
    loaded: LoadedModel,
    redactor: Option<crate::redact::Redactor>,
    store: Arc<Store>,
}

impl ModelHandle {
    /// The model's engine, recording its generations with `context` (and redacting what
    /// goes to a remote model). This is the one place engines are handed out, so no
    /// generation escapes the audit log.
    pub(crate) fn audited(&self, context: AuditContext) -> Arc<dyn Engine> {
        let (store, redactor) = (self.store.clone(), self.redactor.clone());
        self.loaded.engine_with(|engine, hash| {
            Arc::new(AuditedEngine::new(engine, hash, store, context).with_redactor(redactor))
        })
    }
}
