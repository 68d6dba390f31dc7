//! Where the API keys of remote providers are kept: the operating system's keyring
//! when it has one (Secret Service on Linux desktops, Keychain on macOS, Credential
//! Manager on Windows), else a file in the config folder whose entries are sealed with
//! ChaCha20-Poly1305 under a random key kept in the data folder. Never in config.toml
//! and never in a log: keys travel as [`ApiKey`], which prints as `ApiKey(…)`.
//!
//! The file is for machines without a keyring service (servers, minimal desktops, CI).
//! It keeps a key out of a copied or shared config folder, a backup of it and a grep of
//! the disk; it cannot keep it from someone who reads both folders as the user, which
//! is true of any secret an app opens without asking for a password.
//! `HEARTH_KEYRING=off` skips the keyring (tests, headless machines where a keyring
//! would prompt).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hearth_llm::ApiKey;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::paths::Paths;

/// The keyring's service name for Hearth's entries.
const SERVICE: &str = "hearth";

/// Where a provider's key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyPlace {
    /// The operating system's keyring.
    Keyring,
    /// Hearth's sealed file (no keyring service on this machine).
    SealedFile,
}

pub(crate) struct Secrets {
    sealed_file: PathBuf,
    key_file: PathBuf,
    use_keyring: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct SealedFile {
    version: u32,
    entries: BTreeMap<String, SealedEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SealedEntry {
    nonce: String,
    sealed: String,
}

impl Secrets {
    pub(crate) fn new(paths: &Paths) -> Self {
        Self {
            sealed_file: paths.config.join("secrets.json"),
            key_file: paths.data.join("secrets.key"),
            use_keyring: std::env::var("HEARTH_KEYRING").map_or(true, |v| v != "off"),
        }
    }

    /// The key of `provider`, if one is kept.
    pub(crate) fn get(&self, provider: &str) -> Result<Option<ApiKey>> {
        if self.use_keyring {
            match entry(provider).and_then(|e| e.get_password()) {
                Ok(key) => return Ok(Some(ApiKey::new(key))),
                Err(keyring::Error::NoEntry) => {}
                Err(error) => tracing::debug!(%error, "no keyring; looking in the sealed file"),
            }
        }
        self.read_sealed(provider)
    }

    /// Keeps `key` for `provider`, in the keyring when it works, and says where.
    pub(crate) fn set(&self, provider: &str, key: &ApiKey) -> Result<KeyPlace> {
        if self.use_keyring {
            match entry(provider).and_then(|e| e.set_password(key.expose())) {
                Ok(()) => {
                    // An older copy in the file must not outlive the new key.
                    self.remove_sealed(provider)?;
                    return Ok(KeyPlace::Keyring);
                }
                Err(error) => {
                    tracing::info!(%error, "no keyring service; keeping the key in the sealed file")
                }
            }
        }
        let mut file = self.load_file()?;
        let cipher = self.cipher(true)?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| secrets_error(format!("no randomness ({e})")))?;
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: key.expose().as_bytes(),
                    aad: provider.as_bytes(),
                },
            )
            .map_err(|_| secrets_error("could not seal the key".into()))?;
        file.entries.insert(
            provider.to_owned(),
            SealedEntry {
                nonce: BASE64.encode(nonce),
                sealed: BASE64.encode(sealed),
            },
        );
        self.save_file(&file)?;
        Ok(KeyPlace::SealedFile)
    }

    /// Forgets the key of `provider` wherever it is.
    pub(crate) fn delete(&self, provider: &str) -> Result<()> {
        if self.use_keyring {
            match entry(provider).and_then(|e| e.delete_credential()) {
                Ok(()) | Err(keyring::Error::NoEntry) => {}
                Err(error) => tracing::debug!(%error, "no keyring to delete the key from"),
            }
        }
        self.remove_sealed(provider)
    }

    /// Forgets every key: the keyring entries of `providers` and both files of the
    /// sealed store (the entries and the key that opens them). Returns how many
    /// providers had a key.
    pub(crate) fn delete_all(&self, providers: &[String]) -> Result<usize> {
        let had = providers.iter().filter(|p| self.place(p).is_some()).count();
        for provider in providers {
            self.delete(provider)?;
        }
        for file in [&self.sealed_file, &self.key_file] {
            match std::fs::remove_file(file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(secrets_error(format!(
                        "could not remove {} ({e}); delete it by hand",
                        file.display()
                    )))
                }
            }
        }
        Ok(had)
    }

    /// Where the key of `provider` is, if anywhere.
    pub(crate) fn place(&self, provider: &str) -> Option<KeyPlace> {
        if self.use_keyring && entry(provider).and_then(|e| e.get_password()).is_ok() {
            return Some(KeyPlace::Keyring);
        }
        let file = self.load_file().ok()?;
        file.entries
            .contains_key(provider)
            .then_some(KeyPlace::SealedFile)
    }

    fn read_sealed(&self, provider: &str) -> Result<Option<ApiKey>> {
        let file = self.load_file()?;
        let Some(entry) = file.entries.get(provider) else {
            return Ok(None);
        };
        let damaged = || {
            secrets_error(format!(
                "the key of {provider} in {} cannot be opened (the file or {} was changed); set the key again",
                self.sealed_file.display(),
                self.key_file.display()
            ))
        };
        let nonce = BASE64.decode(&entry.nonce).map_err(|_| damaged())?;
        let sealed = BASE64.decode(&entry.sealed).map_err(|_| damaged())?;
        if nonce.len() != 12 {
            return Err(damaged());
        }
        let plain = self
            .cipher(false)?
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &sealed,
                    aad: provider.as_bytes(),
                },
            )
            .map_err(|_| damaged())?;
        let key = String::from_utf8(plain).map_err(|_| damaged())?;
        Ok(Some(ApiKey::new(key)))
    }

    fn remove_sealed(&self, provider: &str) -> Result<()> {
        let mut file = self.load_file()?;
        if file.entries.remove(provider).is_some() {
            self.save_file(&file)?;
        }
        Ok(())
    }

    fn load_file(&self) -> Result<SealedFile> {
        match std::fs::read(&self.sealed_file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                secrets_error(format!(
                    "{} is damaged ({e}); delete it and set the keys again",
                    self.sealed_file.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SealedFile {
                version: 1,
                ..SealedFile::default()
            }),
            Err(source) => Err(io(&self.sealed_file, "reading", source)),
        }
    }

    fn save_file(&self, file: &SealedFile) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(file)
            .map_err(|e| secrets_error(format!("could not write the keys ({e})")))?;
        write_private(&self.sealed_file, &bytes)
    }

    /// The sealing key; made on first use when `create`.
    fn cipher(&self, create: bool) -> Result<ChaCha20Poly1305> {
        let key = match std::fs::read(&self.key_file) {
            Ok(key) if key.len() == 32 => key,
            Ok(_) => {
                return Err(secrets_error(format!(
                    "{} is damaged; delete it and {} and set the keys again",
                    self.key_file.display(),
                    self.sealed_file.display()
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let mut key = vec![0u8; 32];
                getrandom::fill(&mut key)
                    .map_err(|e| secrets_error(format!("no randomness ({e})")))?;
                write_private(&self.key_file, &key)?;
                key
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(secrets_error(format!(
                    "{} is missing, so the keys in {} cannot be opened; set the keys again",
                    self.key_file.display(),
                    self.sealed_file.display()
                )))
            }
            Err(source) => return Err(io(&self.key_file, "reading", source)),
        };
        Ok(ChaCha20Poly1305::new(Key::from_slice(&key)))
    }
}

fn entry(provider: &str) -> keyring::Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, &format!("provider:{provider}"))
}

fn secrets_error(reason: String) -> CoreError {
    CoreError::Secrets { reason }
}

fn io(path: &Path, what: &str, source: std::io::Error) -> CoreError {
    CoreError::Io {
        what: format!("{what} {}", path.display()),
        source,
    }
}

/// Writes a file only the user can read, atomically (temporary file, then rename).
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, "creating", e))?;
    }
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(|e| io(&tmp, "writing", e))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| io(&tmp, "writing", e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, "replacing", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed_only(root: &Path) -> Secrets {
        let paths = Paths::under(root);
        Secrets {
            use_keyring: false,
            ..Secrets::new(&paths)
        }
    }

    #[test]
    fn keys_round_trip_through_the_sealed_file_and_never_appear_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = sealed_only(dir.path());
        assert_eq!(secrets.get("openai").unwrap(), None);
        let place = secrets
            .set("openai", &ApiKey::new("sk-live-abcdef123456"))
            .unwrap();
        assert_eq!(place, KeyPlace::SealedFile);
        secrets.set("claude", &ApiKey::new("sk-ant-999")).unwrap();
        assert_eq!(
            secrets.get("openai").unwrap(),
            Some(ApiKey::new("sk-live-abcdef123456"))
        );
        assert_eq!(secrets.place("claude"), Some(KeyPlace::SealedFile));
        for file in [
            dir.path().join("config/secrets.json"),
            dir.path().join("data/secrets.key"),
        ] {
            let bytes = std::fs::read(&file).unwrap();
            assert!(
                !bytes.windows(6).any(|w| w == b"abcdef" || w == b"ant-99"),
                "{} holds a key in the clear",
                file.display()
            );
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", file.display());
            }
        }
        secrets.delete("openai").unwrap();
        assert_eq!(secrets.get("openai").unwrap(), None);
        assert_eq!(
            secrets.get("claude").unwrap(),
            Some(ApiKey::new("sk-ant-999"))
        );
    }

    #[test]
    fn a_swapped_or_changed_entry_is_refused_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = sealed_only(dir.path());
        secrets.set("a", &ApiKey::new("key-of-a")).unwrap();
        secrets.set("b", &ApiKey::new("key-of-b")).unwrap();
        let path = dir.path().join("config/secrets.json");
        let mut file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        // b's sealed key under a's name: the provider name is bound into the seal.
        file["entries"]["a"] = file["entries"]["b"].clone();
        std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
        let error = secrets.get("a").unwrap_err().to_string();
        assert!(
            error.contains("cannot be opened") && error.contains("set the key again"),
            "{error}"
        );

        std::fs::remove_file(dir.path().join("data/secrets.key")).unwrap();
        let error = secrets.get("b").unwrap_err().to_string();
        assert!(error.contains("is missing"), "{error}");
    }
}
