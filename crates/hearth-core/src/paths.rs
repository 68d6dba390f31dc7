//! Where Hearth keeps things: the platform's folders from `directories`, or all of
//! them under one folder when `HEARTH_HOME` is set (tests, portable installs).

use std::path::{Path, PathBuf};

use crate::error::CoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub data: PathBuf,
    pub config: PathBuf,
    pub cache: PathBuf,
    pub logs: PathBuf,
}

impl Paths {
    /// `HEARTH_HOME` if set, else the platform's standard folders.
    pub fn from_env() -> Result<Self, CoreError> {
        match std::env::var_os("HEARTH_HOME").filter(|v| !v.is_empty()) {
            Some(home) => Ok(Self::under(Path::new(&home))),
            None => Self::platform(),
        }
    }

    /// Every folder under one root.
    pub fn under(root: &Path) -> Self {
        Self {
            data: root.join("data"),
            config: root.join("config"),
            cache: root.join("cache"),
            logs: root.join("logs"),
        }
    }

    fn platform() -> Result<Self, CoreError> {
        let dirs = directories::ProjectDirs::from("org", "Hearth", "Hearth").ok_or_else(|| {
            CoreError::Paths {
                reason: "cannot find the home folder; set HEARTH_HOME to a folder Hearth may use"
                    .into(),
            }
        })?;
        Ok(Self {
            data: dirs.data_dir().to_path_buf(),
            config: dirs.config_dir().to_path_buf(),
            cache: dirs.cache_dir().to_path_buf(),
            logs: dirs.data_local_dir().join("logs"),
        })
    }

    pub fn models_dir(&self) -> PathBuf {
        self.data.join("models")
    }

    /// The history database.
    pub fn database_file(&self) -> PathBuf {
        self.data.join("hearth.db")
    }

    /// Saved conversation contexts (llama.cpp KV states), one folder per model.
    pub fn contexts_dir(&self) -> PathBuf {
        self.cache.join("contexts")
    }

    pub fn library_file(&self) -> PathBuf {
        self.data.join("library.json")
    }

    pub fn config_file(&self) -> PathBuf {
        self.config.join("config.toml")
    }

    /// Creates every folder; a read-only or full disk is reported with the folder named.
    pub fn create_all(&self) -> Result<(), CoreError> {
        for dir in [
            &self.data,
            &self.config,
            &self.cache,
            &self.logs,
            &self.models_dir(),
        ] {
            std::fs::create_dir_all(dir).map_err(|source| CoreError::Io {
                what: format!("creating folder {}", dir.display()),
                source,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_lives_under_hearth_home() {
        let paths = Paths::under(Path::new("/tmp/h"));
        assert_eq!(paths.models_dir(), Path::new("/tmp/h/data/models"));
        assert_eq!(paths.config_file(), Path::new("/tmp/h/config/config.toml"));
        assert_eq!(paths.logs, Path::new("/tmp/h/logs"));
    }
}
