//! Which files Hearth reads as documents when a path names one, on every front end (the
//! CLI, the server, the desktop app):
//!
//! - never anything in Hearth's own folders (config, data, cache, logs: the API token,
//!   `secrets.json`, `secrets.key`, the history database). Paths are resolved first, so
//!   a symbolic link or `..` cannot lead there, and walking a folder never descends into
//!   them;
//! - never a file shaped like a secret (a private key, an SSH key, `KEY=value` settings
//!   such as a `.env` file), whatever its name says;
//! - and, for paths that come in a request rather than from the user at the command line
//!   ([`require_document_name`]), only files whose name says a document format Hearth
//!   reads ([`hearth_docs::READABLE`]); the content must then agree, as the
//!   readers check (a .pdf must be a PDF, a .txt must be text).
//!
//! The bytes checked are the bytes read: [`DocumentGuard::read_bytes`] reads the file once.

use std::io::Read;
use std::path::{Path, PathBuf};

use hearth_docs::{DecodedText, Document, Limits};

use crate::error::{CoreError, Result};
use crate::paths::Paths;

/// Hearth's own folders, as given and resolved, to keep document paths out of them.
#[derive(Debug, Clone)]
pub struct DocumentGuard {
    own: Vec<PathBuf>,
}

impl DocumentGuard {
    pub fn new(paths: &Paths) -> Self {
        let mut own = Vec::new();
        for folder in [&paths.data, &paths.config, &paths.cache, &paths.logs] {
            if let Ok(resolved) = folder.canonicalize() {
                own.push(resolved);
            }
            own.push(folder.clone());
        }
        Self { own }
    }

    /// Whether `path`, as it is (not resolved), lies in one of Hearth's folders.
    pub fn is_hearths(&self, path: &Path) -> bool {
        self.own.iter().any(|folder| path.starts_with(folder))
    }

    /// `path` with links and `..` resolved; refused when it leads into Hearth's folders.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf> {
        let resolved = path.canonicalize().map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                CoreError::SourceNotFound {
                    path: path.to_path_buf(),
                }
            } else {
                CoreError::Document(hearth_docs::DocError::File {
                    path: path.to_path_buf(),
                    source: Box::new(hearth_docs::DocError::Io { source }),
                })
            }
        })?;
        if self.is_hearths(&resolved) || self.is_hearths(path) {
            return Err(CoreError::HearthFolder {
                path: path.to_path_buf(),
            });
        }
        Ok(resolved)
    }

    /// Refuses, before a job starts, what [`Self::read_bytes`] would refuse when it is
    /// plain from the path and the file's start: a path into Hearth's folders, a file
    /// that opens like a secret. Reading still checks the whole file.
    pub fn check(&self, path: &Path) -> Result<()> {
        let resolved = self.resolve(path)?;
        if !resolved.is_file() {
            return Ok(());
        }
        let mut head = Vec::new();
        let opened = std::fs::File::open(&resolved)
            .and_then(|file| file.take(1 << 20).read_to_end(&mut head));
        if let Err(source) = opened {
            return Err(CoreError::Document(hearth_docs::DocError::File {
                path: path.to_path_buf(),
                source: Box::new(hearth_docs::DocError::Io { source }),
            }));
        }
        match secret_shape(&head) {
            Some(what) => Err(CoreError::NotADocument {
                path: path.to_path_buf(),
                reason: format!("it holds {what}, not a document"),
            }),
            None => Ok(()),
        }
    }

    /// The resolved path and bytes of the file at `path`, refused in Hearth's folders,
    /// over the size limit, or shaped like a secret.
    pub fn read_bytes(&self, path: &Path, limits: &Limits) -> Result<(PathBuf, Vec<u8>)> {
        let resolved = self.resolve(path)?;
        let bytes = hearth_docs::read_file_bytes(&resolved, limits)?;
        if let Some(what) = secret_shape(&bytes) {
            return Err(CoreError::NotADocument {
                path: path.to_path_buf(),
                reason: format!("it holds {what}, not a document"),
            });
        }
        Ok((resolved, bytes))
    }

    /// The document at `path`, read after the checks of [`Self::read_bytes`].
    pub fn read_document(&self, path: &Path, limits: &Limits) -> Result<Document> {
        let (resolved, bytes) = self.read_bytes(path, limits)?;
        Ok(hearth_docs::read_named_bytes(&resolved, &bytes, limits)?)
    }

    /// The text of the file at `path`, exactly as written, after the same checks.
    pub fn read_text(&self, path: &Path, limits: &Limits) -> Result<DecodedText> {
        let (resolved, bytes) = self.read_bytes(path, limits)?;
        Ok(hearth_docs::decode_named_text(&resolved, &bytes, limits)?)
    }
}

/// For a path that came in a request (the API, the desktop window): refused unless its
/// name, and the name of the file it leads to, say a document format Hearth reads. A
/// folder passes (walking one takes only such files, and never follows links).
pub fn require_document_name(path: &Path) -> Result<()> {
    let resolved = path.canonicalize().map_err(|_| CoreError::SourceNotFound {
        path: path.to_path_buf(),
    })?;
    if resolved.is_dir() {
        return Ok(());
    }
    for name in [path, resolved.as_path()] {
        if !names_a_document(name) {
            return Err(CoreError::NotADocument {
                path: path.to_path_buf(),
                reason: format!(
                    "{} is not the name of a document Hearth reads; only {} files are read from a path, so rename it or send its contents instead",
                    name.file_name()
                        .map(|n| format!("`{}`", n.to_string_lossy()))
                        .unwrap_or_else(|| "this".into()),
                    hearth_docs::READABLE
                ),
            });
        }
    }
    Ok(())
}

/// Whether the file name's extension is one of the document formats Hearth reads.
pub fn names_a_document(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .and_then(hearth_docs::format_for_extension)
        .is_some()
}

/// Openings of SSH and PuTTY key files.
const KEY_FILE_STARTS: &[&str] = &[
    "ssh-rsa ",
    "ssh-dss ",
    "ssh-ed25519 ",
    "ssh-ed448 ",
    "ecdsa-sha2-",
    "sk-ssh-",
    "sk-ecdsa-",
    "PuTTY-User-Key-File-",
    "SSH PRIVATE KEY FILE FORMAT",
    "---- BEGIN SSH2",
];

/// What `bytes` hold if they look like a secret rather than a document: a private key
/// block anywhere (PEM, OpenSSH, PGP), a file that starts as an SSH or PuTTY key, or a
/// text made only of `KEY=value` settings (a `.env` file, a credentials file).
pub fn secret_shape(bytes: &[u8]) -> Option<&'static str> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], BEGIN) {
        let start = at + found + BEGIN.len();
        let line = &bytes[start..bytes.len().min(start + 80)];
        let line = line.split(|b| *b == b'\n').next().unwrap_or_default();
        if find(line, b"PRIVATE KEY").is_some() {
            return Some("a private key");
        }
        at = start;
    }
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if KEY_FILE_STARTS.iter().any(|start| text.starts_with(start)) {
        return Some("an SSH key");
    }
    if is_settings(text) {
        return Some("only KEY=value settings (such as a .env or credentials file)");
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Every line a `NAME=value` setting, a `[section]`, a comment or blank, with at least
/// one setting: a `.env`, `.ini` or credentials file rather than prose.
fn is_settings(text: &str) -> bool {
    if text.contains('\0') {
        return false;
    }
    let mut settings = 0;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, _)) = line.split_once('=') else {
            return false;
        };
        let name = name.trim_end();
        let mut chars = name.chars();
        let starts_well = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !starts_well || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return false;
        }
        settings += 1;
    }
    settings > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_told_from_documents_by_their_content() {
        let key = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
        assert_eq!(secret_shape(key), Some("a private key"));
        assert_eq!(
            secret_shape(b"notes\n\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n"),
            Some("a private key")
        );
        assert_eq!(
            secret_shape(b"-----BEGIN PGP PRIVATE KEY BLOCK-----\n"),
            Some("a private key")
        );
        assert_eq!(
            secret_shape(b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA me@host\n"),
            Some("an SSH key")
        );
        assert!(
            secret_shape(b"OPENAI_API_KEY=sk-123\n# comment\nexport DB_PASSWORD = hunter2\n")
                .is_some()
        );
        assert!(
            secret_shape(b"[default]\naws_access_key_id = AKIA\naws_secret_access_key = x\n")
                .is_some()
        );
        // Documents, including one that talks about keys.
        assert_eq!(secret_shape(b"# Notes\n\nThe meeting is at 10.\n"), None);
        assert_eq!(
            secret_shape(b"A certificate starts with -----BEGIN CERTIFICATE-----.\n"),
            None
        );
        assert_eq!(secret_shape(b"Set x = 1 and then y = 2.\nDone.\n"), None);
        assert_eq!(secret_shape(b"%PDF-1.7\n..."), None);
    }

    #[test]
    fn only_document_names_pass_for_requests() {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes.md");
        std::fs::write(&notes, "# Notes").unwrap();
        let bare = dir.path().join("id_rsa");
        std::fs::write(&bare, "text").unwrap();
        let disguised = dir.path().join("key.txt");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&bare, &disguised).unwrap();
        assert!(require_document_name(&notes).is_ok());
        assert!(require_document_name(dir.path()).is_ok());
        let error = require_document_name(&bare).unwrap_err();
        assert_eq!(error.code(), "NOT_A_DOCUMENT");
        #[cfg(unix)]
        assert_eq!(
            require_document_name(&disguised).unwrap_err().code(),
            "NOT_A_DOCUMENT"
        );
    }

    #[test]
    fn hearths_own_folders_are_never_read_even_through_links_or_dots() {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths::under(home.path());
        std::fs::create_dir_all(&paths.config).unwrap();
        std::fs::create_dir_all(&paths.data).unwrap();
        let token = paths.config.join("server-token");
        std::fs::write(&token, "the-token").unwrap();
        let notes = paths.data.join("notes.md");
        std::fs::write(&notes, "# Notes in the data folder").unwrap();
        let guard = DocumentGuard::new(&paths);
        let limits = Limits::default();

        let outside = tempfile::tempdir().unwrap();
        let dotted = outside
            .path()
            .join("..")
            .join(home.path().file_name().unwrap())
            .join("config/server-token");
        for path in [token.clone(), notes.clone(), dotted] {
            let error = guard.read_document(&path, &limits).unwrap_err();
            assert_eq!(error.code(), "HEARTH_FOLDER", "{}", path.display());
            assert!(!error.to_string().contains("the-token"));
        }
        #[cfg(unix)]
        {
            let link = outside.path().join("token.txt");
            std::os::unix::fs::symlink(&token, &link).unwrap();
            let folder_link = outside.path().join("data");
            std::os::unix::fs::symlink(&paths.data, &folder_link).unwrap();
            for path in [link, folder_link.join("notes.md"), folder_link] {
                let error = guard.resolve(&path).unwrap_err();
                assert_eq!(error.code(), "HEARTH_FOLDER", "{}", path.display());
            }
        }
        let mine = outside.path().join("mine.md");
        std::fs::write(&mine, "# Mine\n\nA real document.").unwrap();
        let document = guard.read_document(&mine, &limits).unwrap();
        assert!(document.to_markdown().contains("A real document."));
    }
}
