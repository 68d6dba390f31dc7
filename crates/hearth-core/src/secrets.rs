//! Where the API keys of remote providers are kept: the operating system's keyring
//! when it has one (Secret Service on Linux desktops, Keychain on macOS, Credential
//! Manager on Windows), else a file in the config folder whose entries are sealed with
//! ChaCha20-Poly1305 under a random key kept in another folder ([`Paths::keys`]: the
//! data folder, or a folder of its own where the platform keeps config and data
//! together). Never in config.toml and never in a log: keys travel as [`ApiKey`], which
//! prints as `ApiKey(…)`.
//!
//! Several processes (the CLI, the app) may set keys at once: the sealed file is
//! changed under an inter-process lock beside it, and the sealing key is made once, in
//! a file only the first process can create; the others read that one, so no sealed
//! entry is ever left under a key that was replaced.
//!
//! The file is for machines without a keyring service (servers, minimal desktops, CI).
//! It keeps a key out of a copied or shared config folder, a backup of it and a grep of
//! the disk; it cannot keep it from someone who reads both folders as the user, which
//! is true of any secret an app opens without asking for a password.
//! `HEARTH_KEYRING=off` skips the keyring (tests, headless machines where a keyring
//! would prompt).
//!
//! Each key is kept with the origin (scheme, host, port) of the address it was given
//! for: in the keyring entry next to the key, and in the file as part of what the seal
//! covers. The facade sends a key only to that origin, so an address changed behind
//! Hearth's back (config.toml edited by another program) cannot take the key along.

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
    /// Where an older Hearth kept the key (the data folder), when that is not
    /// `key_file`: moved on first use.
    old_key_file: Option<PathBuf>,
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
    /// The origin the key was given for, sealed in as associated data; absent in
    /// entries kept before keys were bound to an origin (never used: set again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin: Option<String>,
}

/// What a keyring entry holds: the key and its origin. An entry that does not read as
/// this is a bare key kept before keys were bound to an origin.
#[derive(Serialize, Deserialize)]
struct KeyringValue {
    origin: String,
    key: String,
}

/// A kept key and the origin it was given for (`None`: kept by an older Hearth that
/// did not record it).
#[derive(Debug)]
pub(crate) struct StoredKey {
    pub key: ApiKey,
    pub origin: Option<String>,
}

impl Secrets {
    pub(crate) fn new(paths: &Paths) -> Self {
        let key_file = paths.keys.join("secrets.key");
        let old_key_file = paths.data.join("secrets.key");
        Self {
            sealed_file: paths.config.join("secrets.json"),
            old_key_file: (old_key_file != key_file).then_some(old_key_file),
            key_file,
            use_keyring: std::env::var("HEARTH_KEYRING").map_or(true, |v| v != "off"),
        }
    }

    /// The key of `provider` and its origin, if one is kept.
    pub(crate) fn get(&self, provider: &str) -> Result<Option<StoredKey>> {
        if self.use_keyring {
            match entry(provider).and_then(|e| e.get_password()) {
                Ok(value) => return Ok(Some(from_keyring(value))),
                Err(keyring::Error::NoEntry) => {}
                Err(error) => tracing::debug!(%error, "no keyring; looking in the sealed file"),
            }
        }
        self.read_sealed(provider)
    }

    /// Keeps `key` for `provider`, to be sent to `origin` only, in the keyring when it
    /// works, and says where.
    pub(crate) fn set(&self, provider: &str, key: &ApiKey, origin: &str) -> Result<KeyPlace> {
        if self.use_keyring {
            let value = serde_json::to_string(&KeyringValue {
                origin: origin.to_owned(),
                key: key.expose().to_owned(),
            })
            .map_err(|e| secrets_error(format!("could not write the key ({e})")))?;
            match entry(provider).and_then(|e| e.set_password(&value)) {
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
        // Another process's change to the file, and the sealing key it may be making
        // first, are waited for, not overwritten.
        let _lock = crate::files::lock_beside(&self.sealed_file)?;
        let mut file = self.load_file()?;
        let cipher = self.cipher(true)?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| secrets_error(format!("no randomness ({e})")))?;
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: key.expose().as_bytes(),
                    aad: &associated_data(provider, Some(origin)),
                },
            )
            .map_err(|_| secrets_error("could not seal the key".into()))?;
        file.entries.insert(
            provider.to_owned(),
            SealedEntry {
                nonce: BASE64.encode(nonce),
                sealed: BASE64.encode(sealed),
                origin: Some(origin.to_owned()),
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
        for file in [&self.sealed_file, &self.key_file]
            .into_iter()
            .chain(self.old_key_file.as_ref())
        {
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
        self.stored(provider).map(|(place, _)| place)
    }

    /// Where the key of `provider` is and the origin it says it was given for, without
    /// opening it (the file's origin is only proven when the key is opened).
    pub(crate) fn stored(&self, provider: &str) -> Option<(KeyPlace, Option<String>)> {
        if self.use_keyring {
            if let Ok(value) = entry(provider).and_then(|e| e.get_password()) {
                return Some((KeyPlace::Keyring, from_keyring(value).origin));
            }
        }
        let file = self.load_file().ok()?;
        file.entries
            .get(provider)
            .map(|entry| (KeyPlace::SealedFile, entry.origin.clone()))
    }

    fn read_sealed(&self, provider: &str) -> Result<Option<StoredKey>> {
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
                    aad: &associated_data(provider, entry.origin.as_deref()),
                },
            )
            .map_err(|_| damaged())?;
        let key = String::from_utf8(plain).map_err(|_| damaged())?;
        Ok(Some(StoredKey {
            key: ApiKey::new(key),
            origin: entry.origin.clone(),
        }))
    }

    fn remove_sealed(&self, provider: &str) -> Result<()> {
        if !self.sealed_file.exists() {
            return Ok(());
        }
        let _lock = crate::files::lock_beside(&self.sealed_file)?;
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
        crate::files::write_private_atomically(&self.sealed_file, &bytes)
    }

    /// The sealing key; made on first use when `create`.
    fn cipher(&self, create: bool) -> Result<ChaCha20Poly1305> {
        let key = match self.read_key()? {
            Some(key) => key,
            None if create => {
                let mut key = vec![0u8; 32];
                getrandom::fill(&mut key)
                    .map_err(|e| secrets_error(format!("no randomness ({e})")))?;
                self.publish_key(&key)?
            }
            None => {
                return Err(secrets_error(format!(
                    "{} is missing, so the keys in {} cannot be opened; set the keys again",
                    self.key_file.display(),
                    self.sealed_file.display()
                )))
            }
        };
        Ok(ChaCha20Poly1305::new(Key::from_slice(&key)))
    }

    /// The sealing key in its file, if there is one; one an older Hearth kept in the
    /// data folder is moved to the key's own folder first.
    fn read_key(&self) -> Result<Option<Vec<u8>>> {
        let key = match std::fs::read(&self.key_file) {
            Ok(key) => key,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let Some(old) = &self.old_key_file else {
                    return Ok(None);
                };
                match std::fs::read(old) {
                    Ok(key) if key.len() == 32 => {
                        // Two processes moving it at once both publish the same bytes.
                        let key = self.publish_key(&key)?;
                        if let Err(error) = std::fs::remove_file(old) {
                            tracing::warn!(%error, file = %old.display(), "could not remove the old copy of the sealing key");
                        }
                        return Ok(Some(key));
                    }
                    _ => return Ok(None),
                }
            }
            Err(source) => return Err(io(&self.key_file, "reading", source)),
        };
        if key.len() != 32 {
            return Err(secrets_error(format!(
                "{} is damaged; delete it and {} and set the keys again",
                self.key_file.display(),
                self.sealed_file.display()
            )));
        }
        Ok(Some(key))
    }

    /// Creates the key file holding `key` only if there is none yet (`O_EXCL`,
    /// owner-only) and returns the key the file holds: `key`, or the one another
    /// process made first. Two first uses at once thus agree on one key, and no entry
    /// is sealed under a key that a second one then replaces.
    fn publish_key(&self, key: &[u8]) -> Result<Vec<u8>> {
        let dir = self.key_file.parent().unwrap_or(Path::new("."));
        crate::files::create_private_dir_all(dir).map_err(|e| io(dir, "creating", e))?;
        match crate::files::private_open_options()
            .write(true)
            .create_new(true)
            .open(&self.key_file)
        {
            Ok(mut file) => {
                if let Err(e) = file.write_all(key).and_then(|_| file.sync_all()) {
                    drop(file);
                    let _ = std::fs::remove_file(&self.key_file);
                    return Err(io(&self.key_file, "writing", e));
                }
                Ok(key.to_vec())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // Hearth makes the key under the sealed file's lock, so the winner has
                // written all of it; a reader that holds no lock (an older Hearth)
                // waits a moment for the bytes that follow the file's creation.
                let mut waited = 0;
                loop {
                    let existing = std::fs::read(&self.key_file)
                        .map_err(|e| io(&self.key_file, "reading", e))?;
                    if existing.len() >= 32 || waited == 100 {
                        return self.read_key()?.ok_or_else(|| {
                            secrets_error(format!(
                                "{} disappeared while it was read; set the key again",
                                self.key_file.display()
                            ))
                        });
                    }
                    waited += 1;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            }
            Err(e) => Err(io(&self.key_file, "creating", e)),
        }
    }
}

fn entry(provider: &str) -> keyring::Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, &format!("provider:{provider}"))
}

fn from_keyring(value: String) -> StoredKey {
    match serde_json::from_str::<KeyringValue>(&value) {
        Ok(KeyringValue { origin, key }) => StoredKey {
            key: ApiKey::new(key),
            origin: Some(origin),
        },
        Err(_) => StoredKey {
            key: ApiKey::new(value),
            origin: None,
        },
    }
}

/// What the seal covers besides the key: the provider's name (so an entry cannot be
/// moved to another provider) and the origin (so it cannot be moved to another
/// address). Names hold no newline.
fn associated_data(provider: &str, origin: Option<&str>) -> Vec<u8> {
    match origin {
        Some(origin) => format!("{provider}\n{origin}").into_bytes(),
        None => provider.as_bytes().to_vec(),
    }
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

    const ORIGIN: &str = "https://api.example.com:443";

    fn key(secrets: &Secrets, provider: &str) -> Option<(String, Option<String>)> {
        secrets
            .get(provider)
            .unwrap()
            .map(|k| (k.key.expose().to_owned(), k.origin))
    }

    #[test]
    fn keys_round_trip_through_the_sealed_file_and_never_appear_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = sealed_only(dir.path());
        assert_eq!(key(&secrets, "openai"), None);
        let place = secrets
            .set("openai", &ApiKey::new("sk-live-abcdef123456"), ORIGIN)
            .unwrap();
        assert_eq!(place, KeyPlace::SealedFile);
        secrets
            .set(
                "claude",
                &ApiKey::new("sk-ant-999"),
                "http://localhost:8080",
            )
            .unwrap();
        assert_eq!(
            key(&secrets, "openai"),
            Some(("sk-live-abcdef123456".into(), Some(ORIGIN.into())))
        );
        assert_eq!(
            secrets.stored("claude"),
            Some((KeyPlace::SealedFile, Some("http://localhost:8080".into())))
        );
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
        assert_eq!(key(&secrets, "openai"), None);
        assert_eq!(
            key(&secrets, "claude").map(|(k, _)| k),
            Some("sk-ant-999".into())
        );
    }

    #[test]
    fn a_swapped_or_changed_entry_is_refused_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = sealed_only(dir.path());
        secrets.set("a", &ApiKey::new("key-of-a"), ORIGIN).unwrap();
        secrets.set("b", &ApiKey::new("key-of-b"), ORIGIN).unwrap();
        secrets.set("c", &ApiKey::new("key-of-c"), ORIGIN).unwrap();
        let path = dir.path().join("config/secrets.json");
        let mut file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        // b's sealed key under a's name: the provider name is bound into the seal.
        file["entries"]["a"] = file["entries"]["b"].clone();
        // c's key said to be for another address: the origin is bound in too.
        file["entries"]["c"]["origin"] = "http://127.0.0.1:9999".into();
        std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
        for provider in ["a", "c"] {
            let error = secrets.get(provider).err().unwrap().to_string();
            assert!(
                error.contains("cannot be opened") && error.contains("set the key again"),
                "{error}"
            );
        }

        std::fs::remove_file(dir.path().join("data/secrets.key")).unwrap();
        let error = secrets.get("b").err().unwrap().to_string();
        assert!(error.contains("is missing"), "{error}");
    }

    #[test]
    fn first_keys_set_at_once_share_one_sealing_key_and_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        // Separate instances, as separate processes have, all before any key exists.
        std::thread::scope(|s| {
            for i in 0..16 {
                let root = dir.path();
                s.spawn(move || {
                    sealed_only(root)
                        .set(&format!("p{i}"), &ApiKey::new(format!("key-{i}")), ORIGIN)
                        .unwrap();
                });
            }
        });
        let secrets = sealed_only(dir.path());
        for i in 0..16 {
            let stored = secrets.get(&format!("p{i}")).unwrap().unwrap();
            assert_eq!(stored.key, ApiKey::new(format!("key-{i}")));
        }
        let names: Vec<String> = std::fs::read_dir(dir.path().join("config"))
            .unwrap()
            .chain(std::fs::read_dir(dir.path().join("data")).unwrap())
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn a_key_kept_where_an_older_hearth_put_it_is_moved_to_its_own_folder() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        sealed_only(dir.path())
            .set("a", &ApiKey::new("key-of-a"), ORIGIN)
            .unwrap();
        let moved = Secrets {
            key_file: dir.path().join("keys/secrets.key"),
            old_key_file: Some(paths.data.join("secrets.key")),
            ..sealed_only(dir.path())
        };
        assert_eq!(
            moved.get("a").unwrap().unwrap().key,
            ApiKey::new("key-of-a")
        );
        assert!(dir.path().join("keys/secrets.key").is_file());
        assert!(!paths.data.join("secrets.key").exists());
        assert_eq!(
            moved.get("a").unwrap().unwrap().key,
            ApiKey::new("key-of-a")
        );
    }
}
