//! Where Hearth keeps things: the platform's folders from `directories`, or all of
//! them under one folder when `HEARTH_HOME` is set (tests, portable installs).
//! Every folder Hearth makes is owner-only (0700 on Unix), and at start-up anything in
//! them others could read is narrowed (see [`crate::files`]).

use std::path::{Path, PathBuf};

use crate::error::CoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub data: PathBuf,
    pub config: PathBuf,
    pub cache: PathBuf,
    pub logs: PathBuf,
    /// Where the key of the sealed keys file (`secrets.key`) is kept: never the config
    /// folder, which holds the sealed file itself, so a copy, backup or sync of one
    /// folder never carries both. The data folder, except where the platform puts the
    /// data and config folders together or both in a roaming profile (see
    /// [`Paths::platform`]).
    pub keys: PathBuf,
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
            keys: root.join("data"),
        }
    }

    /// Linux: `~/.local/share/hearth` (data, logs, the key), `~/.config/hearth`.
    /// macOS puts config and data in the same `Application Support` folder, so the
    /// key goes to the app's `Preferences` folder instead. Windows puts config and
    /// data in the roaming profile, copied to other machines, so the key stays in the
    /// local (never roamed) application data.
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
            #[cfg(target_os = "macos")]
            keys: dirs.preference_dir().to_path_buf(),
            #[cfg(windows)]
            keys: dirs.data_local_dir().to_path_buf(),
            #[cfg(not(any(target_os = "macos", windows)))]
            keys: dirs.data_dir().to_path_buf(),
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

    /// Creates every folder, owner-only; a read-only or full disk is reported with the
    /// folder named. Folders and files in them that others could read (made by an
    /// older Hearth, or under a lax umask) are narrowed to the owner, with one warning.
    pub fn create_all(&self) -> Result<(), CoreError> {
        let folders = [
            &self.data,
            &self.config,
            &self.cache,
            &self.logs,
            &self.keys,
            &self.models_dir(),
        ];
        for dir in folders {
            crate::files::create_private_dir_all(dir).map_err(|source| CoreError::Io {
                what: format!("creating folder {}", dir.display()),
                source,
            })?;
        }
        let mut narrowed = 0;
        // Under HEARTH_HOME every folder shares one parent, Hearth's own home: it is
        // made private too (itself only: what else is there is not Hearth's).
        let parents: Vec<Option<&Path>> = [&self.data, &self.config, &self.cache, &self.logs]
            .iter()
            .map(|dir| dir.parent())
            .collect();
        if let Some(Some(home)) = parents.first() {
            if parents.iter().all(|p| p == &Some(*home)) {
                narrowed += crate::files::narrow_folder(home);
            }
        }
        let mut seen: Vec<&PathBuf> = Vec::new();
        for dir in folders {
            // The platform's folders nest (the logs in the data folder on Linux).
            if seen.iter().any(|s| dir.starts_with(s)) {
                continue;
            }
            seen.push(dir);
            narrowed += crate::files::narrow_tree(dir);
        }
        if narrowed > 0 {
            tracing::warn!(
                narrowed,
                data = %self.data.display(),
                "files and folders of Hearth's that other users could read are now private to you"
            );
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
        assert_eq!(paths.keys, Path::new("/tmp/h/data"));
    }

    #[test]
    fn the_key_of_the_sealed_file_is_never_in_the_config_folder() {
        let mut all = vec![Paths::under(Path::new("/tmp/h"))];
        if let Ok(platform) = Paths::platform() {
            all.push(platform);
        }
        for paths in all {
            assert!(
                !paths.keys.starts_with(&paths.config) && !paths.config.starts_with(&paths.keys),
                "{paths:?}"
            );
        }
    }
}
