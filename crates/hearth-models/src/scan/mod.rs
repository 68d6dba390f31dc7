//! Finding GGUF models that other apps already keep on this machine, so Hearth can
//! use them in place instead of downloading or copying gigabytes again.
//!
//! Each app has its own layout, read by its own module: the Hugging Face cache, LM
//! Studio, Ollama and Jan. The scan only looks at names, links, manifests and sizes; it
//! never opens model weights. Anything it cannot read is reported in
//! [`ScanReport::skipped`] and the scan goes on, and a file reachable several ways
//! (a symlink, two snapshots of one blob) is reported once, by its canonical path.

mod huggingface;
mod jan;
mod lmstudio;
mod ollama;
mod walk;

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// The app whose files a model was found among.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum SourceApp {
    /// The `huggingface_hub` cache (`huggingface-cli download`, transformers, llama.cpp's `-hf`).
    HuggingFace,
    LmStudio,
    Ollama,
    Jan,
}

impl SourceApp {
    /// The name to show a user.
    pub fn label(self) -> &'static str {
        match self {
            SourceApp::HuggingFace => "Hugging Face cache",
            SourceApp::LmStudio => "LM Studio",
            SourceApp::Ollama => "Ollama",
            SourceApp::Jan => "Jan",
        }
    }
}

impl fmt::Display for SourceApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A GGUF file another app keeps.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FoundModel {
    /// How the app names it: `org/repo/file.gguf`, `publisher/repo/file.gguf`, `model:tag`.
    pub name: String,
    pub source: SourceApp,
    /// Where it was found (may be a symlink, as in the Hugging Face cache).
    pub path: PathBuf,
    /// The canonical path of the file itself; load from here.
    pub real_path: PathBuf,
    /// Size in bytes.
    pub size: u64,
}

/// Something the scan saw but could not use, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub source: SourceApp,
    pub path: PathBuf,
    pub reason: String,
}

/// What a scan found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScanReport {
    /// Models found, sorted by source app and name.
    pub models: Vec<FoundModel>,
    /// Entries that looked like models but could not be used.
    pub skipped: Vec<Skipped>,
}

/// The folders to look in, per app. Folders that do not exist are silently ignored:
/// most people have only some of these apps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanRoots {
    /// Hugging Face hub caches (folders holding `models--org--name`).
    pub huggingface: Vec<PathBuf>,
    /// LM Studio model folders (holding `publisher/repo/file.gguf`).
    pub lm_studio: Vec<PathBuf>,
    /// Ollama model stores (holding `manifests/` and `blobs/`).
    pub ollama: Vec<PathBuf>,
    /// Jan model folders, searched recursively.
    pub jan: Vec<PathBuf>,
}

impl ScanRoots {
    /// The usual places for this user, honouring `HF_HUB_CACHE`, `HF_HOME`,
    /// `XDG_CACHE_HOME`, `XDG_DATA_HOME` and `OLLAMA_MODELS`. Empty when there is no
    /// home folder.
    pub fn from_env() -> Self {
        let Some(dirs) = directories::BaseDirs::new() else {
            return ScanRoots::default();
        };
        let mut roots = Self::for_home(dirs.home_dir(), |name| std::env::var(name).ok());
        // The platform's own data folder (macOS Application Support, Windows AppData).
        push_unique(&mut roots.jan, dirs.data_dir().join("Jan/data/models"));
        push_unique(
            &mut roots.jan,
            dirs.data_dir().join("Jan/data/llamacpp/models"),
        );
        if cfg!(target_os = "linux") && std::env::var_os("OLLAMA_MODELS").is_none() {
            // Where Ollama's Linux installer runs the service as its own user.
            push_unique(
                &mut roots.ollama,
                PathBuf::from("/usr/share/ollama/.ollama/models"),
            );
        }
        roots
    }

    /// The usual places under `home`, reading environment variables through `var`
    /// (tests pass a map and a temporary folder).
    pub fn for_home(home: &Path, var: impl Fn(&str) -> Option<String>) -> Self {
        let var_path = |name: &str| {
            var(name)
                .filter(|v| !v.trim().is_empty())
                .map(PathBuf::from)
        };
        let huggingface = if let Some(cache) = var_path("HF_HUB_CACHE") {
            cache
        } else if let Some(hf_home) = var_path("HF_HOME") {
            hf_home.join("hub")
        } else if let Some(cache) = var_path("XDG_CACHE_HOME") {
            cache.join("huggingface/hub")
        } else {
            home.join(".cache/huggingface/hub")
        };
        let ollama = var_path("OLLAMA_MODELS").unwrap_or_else(|| home.join(".ollama/models"));
        let data_home = var_path("XDG_DATA_HOME").unwrap_or_else(|| home.join(".local/share"));
        ScanRoots {
            huggingface: vec![huggingface],
            lm_studio: vec![
                home.join(".lmstudio/models"),
                home.join(".cache/lm-studio/models"),
            ],
            ollama: vec![ollama],
            jan: vec![
                home.join("jan/models"),
                data_home.join("Jan/data/models"),
                data_home.join("Jan/data/llamacpp/models"),
                home.join("Library/Application Support/Jan/data/models"),
            ],
        }
    }
}

fn push_unique(list: &mut Vec<PathBuf>, path: PathBuf) {
    if !list.contains(&path) {
        list.push(path);
    }
}

/// Looks in every root and reports the GGUF files found. Never fails: problems are
/// listed in [`ScanReport::skipped`].
pub fn scan(roots: &ScanRoots) -> ScanReport {
    let mut found = Collector::default();
    for root in &roots.huggingface {
        huggingface::scan(root, &mut found);
    }
    for root in &roots.lm_studio {
        lmstudio::scan(root, &mut found);
    }
    for root in &roots.ollama {
        ollama::scan(root, &mut found);
    }
    for root in &roots.jan {
        jan::scan(root, &mut found);
    }
    found.finish()
}

/// Gathers results from the per-app scanners, resolving and deduplicating paths.
#[derive(Default)]
struct Collector {
    report: ScanReport,
    seen: HashSet<PathBuf>,
}

impl Collector {
    /// Adds `path` under `name` unless its target is missing, not a file, or already seen.
    fn add(&mut self, source: SourceApp, name: String, path: PathBuf) {
        let real_path = match fs::canonicalize(&path) {
            Ok(real) => real,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return self.skip(
                    source,
                    path,
                    "it points to a file that no longer exists".to_string(),
                );
            }
            Err(error) => return self.skip(source, path, format!("cannot resolve it: {error}")),
        };
        let size = match fs::metadata(&real_path) {
            Ok(info) if info.is_file() => info.len(),
            Ok(_) => return self.skip(source, path, "it is not a regular file".to_string()),
            Err(error) => return self.skip(source, path, format!("cannot read it: {error}")),
        };
        if self.seen.insert(real_path.clone()) {
            self.report.models.push(FoundModel {
                name,
                source,
                path,
                real_path,
                size,
            });
        }
    }

    fn skip(&mut self, source: SourceApp, path: PathBuf, reason: String) {
        tracing::debug!(%source, path = %path.display(), %reason, "skipped while scanning for models");
        self.report.skipped.push(Skipped {
            source,
            path,
            reason,
        });
    }

    fn finish(mut self) -> ScanReport {
        self.report
            .models
            .sort_by(|a, b| (a.source, &a.name, &a.path).cmp(&(b.source, &b.name, &b.path)));
        self.report
            .skipped
            .sort_by(|a, b| (a.source, &a.path).cmp(&(b.source, &b.path)));
        self.report
    }
}
