//! The model library: which GGUF files Hearth knows, under which short id, and where
//! they came from. Kept in `library.json` in the data folder (each change made under a
//! lock every Hearth process shares, then written atomically) until the SQLite store
//! takes it over. Files found in other apps' folders are listed by path and never
//! copied.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelSource {
    /// Added by path; Hearth does not own the file.
    Linked,
    /// Copied into Hearth's models folder.
    Copied { from: PathBuf },
    /// Downloaded from Hugging Face into Hearth's models folder.
    Downloaded {
        repo: String,
        file: String,
        sha256: String,
    },
    /// Found in another app's folder.
    Found { app: String },
    /// Converted into Hearth's models folder from a folder in another format.
    Converted { from: PathBuf },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryEntry {
    pub id: String,
    pub path: PathBuf,
    pub source: ModelSource,
    /// Seconds since the Unix epoch.
    pub added_at: u64,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct LibraryFile {
    version: u32,
    models: Vec<LibraryEntry>,
}

/// The library as this process last read or wrote it. Every change is made to the file
/// as it is on disk (see [`crate::files::update_locked`]), so a model another process
/// added meanwhile is kept, and the copy here is then what was written.
pub struct Library {
    file: PathBuf,
    entries: Vec<LibraryEntry>,
}

impl Library {
    pub fn load(file: &Path) -> Result<Self> {
        Ok(Self {
            file: file.to_path_buf(),
            entries: read_file(file)?.models,
        })
    }

    pub fn entries(&self) -> &[LibraryEntry] {
        &self.entries
    }

    /// By id, or by path (as given or canonical).
    pub fn find(&self, spec: &str) -> Option<&LibraryEntry> {
        find(&self.entries, spec)
    }

    /// Registers a checked model file. The id defaults to a slug of the file name and is
    /// made unique; adding a path that is already there returns the existing entry.
    pub fn add(
        &mut self,
        path: &Path,
        id: Option<&str>,
        source: ModelSource,
    ) -> Result<LibraryEntry> {
        let path = path.canonicalize().map_err(|source| CoreError::Io {
            what: format!("opening {}", path.display()),
            source,
        })?;
        self.update(|entries| {
            if let Some(existing) = entries.iter().find(|e| e.path == path) {
                return Ok(existing.clone());
            }
            let id = match id {
                Some(id) => {
                    let id = slug(id);
                    if let Some(other) = entries.iter().find(|e| e.id == id) {
                        return Err(CoreError::DuplicateModel {
                            id,
                            path: other.path.clone(),
                        });
                    }
                    id
                }
                None => unique_id(
                    entries,
                    &slug(
                        &path
                            .file_stem()
                            .map(|s| s.to_string_lossy())
                            .unwrap_or_default(),
                    ),
                ),
            };
            let entry = LibraryEntry {
                id,
                path,
                source,
                added_at: now(),
            };
            entries.push(entry.clone());
            Ok(entry)
        })
    }

    pub fn remove(&mut self, spec: &str) -> Result<LibraryEntry> {
        self.update(|entries| {
            let index = find(entries, spec)
                .map(|e| e.id.clone())
                .and_then(|id| entries.iter().position(|e| e.id == id))
                .ok_or_else(|| CoreError::UnknownModel {
                    name: spec.to_owned(),
                })?;
            Ok(entries.remove(index))
        })
    }

    /// Applies `change` to the entries as they are in the file now, under the file's
    /// lock, writes them when they changed, and keeps them as this copy.
    fn update<R>(&mut self, change: impl FnOnce(&mut Vec<LibraryEntry>) -> Result<R>) -> Result<R> {
        let file = self.file.clone();
        let (written, result) = crate::files::update_locked(
            &self.file,
            read_file,
            |library| change(&mut library.models),
            |library| {
                serde_json::to_vec_pretty(library).map_err(|e| CoreError::Library {
                    path: file.clone(),
                    reason: e.to_string(),
                })
            },
        )?;
        self.entries = written.models;
        Ok(result)
    }
}

fn read_file(file: &Path) -> Result<LibraryFile> {
    match std::fs::read(file) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| CoreError::Library {
            path: file.to_path_buf(),
            reason: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LibraryFile {
            version: 1,
            models: Vec::new(),
        }),
        Err(source) => Err(CoreError::Io {
            what: format!("reading {}", file.display()),
            source,
        }),
    }
}

fn find<'a>(entries: &'a [LibraryEntry], spec: &str) -> Option<&'a LibraryEntry> {
    if let Some(entry) = entries.iter().find(|e| e.id == spec) {
        return Some(entry);
    }
    let path = Path::new(spec);
    let canonical = path.canonicalize().ok();
    entries
        .iter()
        .find(|e| e.path == path || canonical.as_ref().is_some_and(|c| *c == e.path))
}

fn unique_id(entries: &[LibraryEntry], base: &str) -> String {
    let base = if base.is_empty() { "model" } else { base };
    let mut id = base.to_owned();
    let mut n = 2;
    while entries.iter().any(|e| e.id == id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// Lowercase ASCII letters, digits, dots, underscores and dashes: ids a person can type.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Temporary file (owner-only), fsync, rename, fsync of the folder: a crash or a full
/// disk never leaves half a file. The path may be one the user chose (an export, a
/// saved backup), so the temporary file is a hidden name of Hearth's own beside it,
/// never another file of theirs (`report.tmp` for `report.json`), and it is removed
/// when the write or the rename fails. See [`crate::files::write_private_atomically`].
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::files::write_private_atomically(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_write_touches_no_other_file_and_leaves_nothing_when_it_fails() {
        let dir = tempfile::tempdir().unwrap();
        let theirs = dir.path().join("report.tmp");
        std::fs::write(&theirs, "the user's own").unwrap();
        let path = dir.path().join("report.json");
        write_atomically(&path, b"{}").unwrap();
        write_atomically(&path, b"{\"again\": 1}").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"again\": 1}");
        assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "the user's own");
        // A folder where the file should go: an error, and no temporary file left.
        std::fs::create_dir(dir.path().join("taken")).unwrap();
        assert!(write_atomically(&dir.path().join("taken"), b"x").is_err());
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["report.json", "report.tmp", "taken"]);
    }

    #[test]
    fn slugs_are_typeable() {
        assert_eq!(
            slug("SmolLM2-135M-Instruct.Q4_1"),
            "smollm2-135m-instruct.q4_1"
        );
        assert_eq!(slug("  Hello, World!  "), "hello-world");
    }

    #[test]
    fn add_find_remove_persist() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("library.json");
        let model = dir.path().join("My Model!.gguf");
        std::fs::write(&model, b"x").unwrap();
        let mut library = Library::load(&file).unwrap();
        let entry = library.add(&model, None, ModelSource::Linked).unwrap();
        assert_eq!(entry.id, "my-model");
        // The same file again is the same entry.
        assert_eq!(
            library.add(&model, None, ModelSource::Linked).unwrap(),
            entry
        );
        let other = dir.path().join("my model.gguf");
        std::fs::write(&other, b"y").unwrap();
        assert_eq!(
            library.add(&other, None, ModelSource::Linked).unwrap().id,
            "my-model-2"
        );
        // A chosen id that is taken is refused, naming the file that has it.
        let third = dir.path().join("third.gguf");
        std::fs::write(&third, b"z").unwrap();
        assert!(matches!(
            library.add(&third, Some("My Model"), ModelSource::Linked),
            Err(CoreError::DuplicateModel { ref id, .. }) if id == "my-model"
        ));
        let reloaded = Library::load(&file).unwrap();
        assert_eq!(reloaded.entries().len(), 2);
        assert_eq!(
            reloaded.find("my-model").unwrap().path,
            model.canonicalize().unwrap()
        );
        assert!(reloaded.find(model.to_str().unwrap()).is_some());
        let mut reloaded = reloaded;
        reloaded.remove("my-model").unwrap();
        assert_eq!(Library::load(&file).unwrap().entries().len(), 1);
        assert!(matches!(
            reloaded.remove("nope"),
            Err(CoreError::UnknownModel { .. })
        ));
    }

    #[test]
    fn a_damaged_library_file_is_an_error_not_an_empty_library() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("library.json");
        std::fs::write(&file, b"{not json").unwrap();
        assert!(matches!(
            Library::load(&file),
            Err(CoreError::Library { .. })
        ));
    }
}
