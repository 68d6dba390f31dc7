//! Sequence caches kept on disk: when a sequence's cache is about to be overwritten (its
//! conversation lost the slot) or the engine stops, its KV state is written with
//! llama.cpp's sequence-state files; a later request whose prompt begins with those
//! tokens loads the file instead of evaluating them again — also after an app restart.
//!
//! Files live in one folder per model file, context size, number of sequences and LoRA
//! adapter (a state only fits the model and cache shape that wrote it — llama.cpp
//! refuses one written with another number of sequences, "n_stream mismatch" — and the
//! KV values an adapter changes
//! are only valid under that adapter at that scale). Each file starts with the tokens it holds
//! (llama.cpp's format: magic, version, token count, tokens), so the index is rebuilt at
//! start by reading headers only. A state that extends another replaces it, and the
//! folder is kept under a byte budget by dropping the least recently used files. Files
//! are written under a temporary name and renamed, so a crash never leaves half a state
//! that looks whole. llama.cpp aborts the process on some damaged state files instead of
//! returning an error, so each file's name carries its CRC-32, checked before llama.cpp
//! reads it: a damaged file is deleted and the tokens are evaluated instead.

use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;
use std::time::SystemTime;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::token::LlamaToken;

use super::adapter::LoraAdapter;

/// llama.cpp's `LLAMA_STATE_SEQ_MAGIC` ('ggsq'); the version is llama.cpp's to check.
const SEQ_STATE_MAGIC: u32 = 0x6767_7371;
const EXTENSION: &str = "kvstate";

/// Where saved states go and how much room they may take.
#[derive(Debug, Clone)]
pub(crate) struct SavedSettings {
    /// The folder shared by every model; each model gets a subfolder.
    pub root: PathBuf,
    pub budget_bytes: u64,
    /// A state holds the cache in its element type: one saved as f16 cannot be read
    /// into a q8_0 cache, so each type keeps its own folder.
    pub kv_cache: super::KvCacheType,
}

struct Entry {
    path: PathBuf,
    /// CRC-32 of the whole file, from its name.
    crc: u32,
    tokens: Vec<LlamaToken>,
    bytes: u64,
    /// A counter: larger is more recent.
    last_used: u64,
}

/// The saved states of one model and context size.
pub(crate) struct SavedStates {
    dir: PathBuf,
    budget_bytes: u64,
    entries: Vec<Entry>,
    clock: u64,
    /// A state about to be loaded: the budget never drops it.
    pinned: Option<PathBuf>,
}

/// States shorter than this are cheaper to evaluate than to keep.
pub(crate) const MIN_TOKENS: usize = 64;

impl SavedStates {
    /// Opens (and indexes) the folder for `model` at `context_length` tokens for each
    /// of `sequences` sequences, with `adapter` applied.
    pub fn open(
        settings: &SavedSettings,
        model: &Path,
        context_length: u32,
        sequences: u32,
        adapter: Option<&LoraAdapter>,
    ) -> Self {
        let mut key = model_key(model, context_length, sequences, adapter);
        if settings.kv_cache != super::KvCacheType::F16 {
            key = format!("{key}-{}", settings.kv_cache.name());
        }
        let dir = settings.root.join(key);
        let mut states = Self {
            dir,
            budget_bytes: settings.budget_bytes,
            entries: Vec::new(),
            clock: 0,
            pinned: None,
        };
        states.index();
        states
    }

    fn index(&mut self) {
        let Ok(listing) = fs::read_dir(&self.dir) else {
            return;
        };
        let mut found: Vec<(SystemTime, Entry)> = Vec::new();
        for item in listing.flatten() {
            let path = item.path();
            if path.extension().and_then(|e| e.to_str()) != Some(EXTENSION) {
                // A temporary file from a save that never finished.
                let _ = fs::remove_file(&path);
                continue;
            }
            match name_crc(&path).zip(read_tokens(&path)) {
                Some((crc, tokens)) => {
                    let meta = item.metadata().ok();
                    let modified = meta
                        .as_ref()
                        .and_then(|m| m.modified().ok())
                        .unwrap_or(SystemTime::UNIX_EPOCH);
                    let bytes = meta.map(|m| m.len()).unwrap_or(0);
                    found.push((
                        modified,
                        Entry {
                            path,
                            crc,
                            tokens,
                            bytes,
                            last_used: 0,
                        },
                    ));
                }
                None => {
                    tracing::warn!(path = %path.display(), "removing an unreadable saved context");
                    let _ = fs::remove_file(&path);
                }
            }
        }
        found.sort_by_key(|(modified, _)| *modified);
        for (_, mut entry) in found {
            self.clock += 1;
            entry.last_used = self.clock;
            self.entries.push(entry);
        }
    }

    /// The saved state sharing the longest beginning with `prompt`, and how long that is.
    pub fn best_match(&self, prompt: &[LlamaToken]) -> Option<(usize, usize)> {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (i, common_prefix(&e.tokens, prompt)))
            .max_by_key(|&(_, common)| common)
            .filter(|&(_, common)| common >= MIN_TOKENS)
    }

    /// Keeps entry `index` through the next saves (until [`Self::unpin`]): the state a
    /// returning conversation needs is usually the least recently used one, the first
    /// the budget would drop when the conversation it replaces is saved.
    pub fn pin(&mut self, index: usize) {
        self.pinned = self.entries.get(index).map(|e| e.path.clone());
    }

    pub fn unpin(&mut self) {
        self.pinned = None;
    }

    /// Writes the state of sequence `seq` holding `tokens`.
    pub fn save(&mut self, ctx: &LlamaContext, seq: i32, tokens: &[LlamaToken]) {
        if tokens.len() < MIN_TOKENS {
            return;
        }
        // The states hold the conversations themselves: owner-only, whatever the umask.
        let mut folder = fs::DirBuilder::new();
        folder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
        if let Err(e) = folder.create(&self.dir) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot keep contexts on disk");
            return;
        }
        let started = Instant::now();
        let name = format!("{:016x}-{}", token_hash(tokens), tokens.len());
        let partial = self.dir.join(format!("{name}.partial"));
        // llama.cpp's fopen would make the file as the umask allows; one that already
        // exists, owner-only, keeps its mode when fopen truncates it.
        let mut private = fs::OpenOptions::new();
        private.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut private, 0o600);
        let written = private
            .open(&partial)
            .map_err(|e| e.to_string())
            .and_then(|file| {
                drop(file);
                ctx.state_seq_save_file(&partial, seq, tokens)
                    .map_err(|e| e.to_string())
            })
            .and_then(|bytes| {
                let crc = file_crc(&partial).map_err(|e| e.to_string())?;
                let path = self.dir.join(format!("{name}-{crc:08x}.{EXTENSION}"));
                fs::rename(&partial, &path).map_err(|e| e.to_string())?;
                Ok((path, crc, bytes as u64))
            });
        let (path, crc, bytes) = match written {
            Ok(written) => written,
            Err(reason) => {
                // A full disk or a read-only cache costs speed, never an answer.
                let _ = fs::remove_file(&partial);
                tracing::warn!(%reason, "could not save a context to disk");
                return;
            }
        };
        // States this one extends (or repeats) are no longer needed.
        let superseded: Vec<usize> = (0..self.entries.len())
            .filter(|&i| {
                let old = &self.entries[i].tokens;
                old.len() <= tokens.len() && tokens.starts_with(old)
            })
            .collect();
        for i in superseded.into_iter().rev() {
            let old = self.entries.swap_remove(i);
            if old.path != path {
                let _ = fs::remove_file(&old.path);
            }
        }
        tracing::debug!(
            tokens = tokens.len(),
            bytes,
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "saved a context"
        );
        self.clock += 1;
        self.entries.push(Entry {
            path,
            crc,
            tokens: tokens.to_vec(),
            bytes,
            last_used: self.clock,
        });
        self.keep_within_budget();
    }

    /// Loads entry `index` into sequence `seq`; returns the tokens it now holds. A file
    /// llama.cpp refuses is deleted, and the caller evaluates instead.
    pub fn load(
        &mut self,
        ctx: &mut LlamaContext,
        seq: i32,
        index: usize,
    ) -> Option<Vec<LlamaToken>> {
        let entry = self.entries.get_mut(index)?;
        let intact = match file_crc(&entry.path) {
            Ok(crc) if crc == entry.crc => Ok(()),
            Ok(crc) => Err(format!(
                "its CRC-32 is {crc:08x}, its name says {:08x}",
                entry.crc
            )),
            Err(e) => Err(e.to_string()),
        };
        let loaded = intact.and_then(|()| {
            ctx.state_seq_load_file(&entry.path, seq, entry.tokens.len())
                .map_err(|e| e.to_string())
        });
        match loaded {
            Ok((tokens, _)) if tokens == entry.tokens => {
                self.clock += 1;
                entry.last_used = self.clock;
                if let Ok(file) = File::options().write(true).open(&entry.path) {
                    let _ = file.set_modified(SystemTime::now());
                }
                Some(tokens)
            }
            outcome => {
                let reason = match outcome {
                    Ok(_) => "its tokens differ from its header".to_owned(),
                    Err(e) => e,
                };
                tracing::warn!(path = %entry.path.display(), %reason, "dropping a saved context");
                let entry = self.entries.swap_remove(index);
                let _ = fs::remove_file(entry.path);
                let _ = ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
                None
            }
        }
    }

    /// Deletes every saved state of this model.
    pub fn forget(&mut self) {
        for entry in self.entries.drain(..) {
            let _ = fs::remove_file(entry.path);
        }
        let _ = fs::remove_dir_all(&self.dir);
    }

    fn keep_within_budget(&mut self) {
        while self.entries.iter().map(|e| e.bytes).sum::<u64>() > self.budget_bytes {
            let Some(oldest) = (0..self.entries.len())
                .filter(|&i| Some(&self.entries[i].path) != self.pinned.as_ref())
                .min_by_key(|&i| self.entries[i].last_used)
            else {
                return;
            };
            let entry = self.entries.swap_remove(oldest);
            let _ = fs::remove_file(entry.path);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The CRC-32 a saved state's name ends with (`…-1a2b3c4d.kvstate`).
fn name_crc(path: &Path) -> Option<u32> {
    let stem = path.file_stem()?.to_str()?;
    let (_, crc) = stem.rsplit_once('-')?;
    (crc.len() == 8).then(|| u32::from_str_radix(crc, 16).ok())?
}

fn file_crc(path: &Path) -> std::io::Result<u32> {
    let mut file = File::open(path)?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hasher.finalize());
        }
        hasher.update(&buffer[..n]);
    }
}

/// The tokens at the start of a sequence-state file, or `None` if it is not one.
fn read_tokens(path: &Path) -> Option<Vec<LlamaToken>> {
    let file = File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    let mut reader = BufReader::new(file);
    let mut word = [0u8; 4];
    let mut next = |reader: &mut BufReader<File>| -> Option<u32> {
        reader.read_exact(&mut word).ok()?;
        Some(u32::from_le_bytes(word))
    };
    if next(&mut reader)? != SEQ_STATE_MAGIC {
        return None;
    }
    let _version = next(&mut reader)?;
    let count = next(&mut reader)? as u64;
    // A corrupt count must not allocate more than the file could hold.
    if count == 0 || 12 + count * 4 > size {
        return None;
    }
    (0..count)
        .map(|_| next(&mut reader).map(|t| LlamaToken(t as i32)))
        .collect()
}

/// Names the folder for a model file, context size and adapter: the model file's name
/// for people, and a hash of its path, size, modification time, the context size and,
/// with an adapter, the adapter file's path, size and modification time and the scale,
/// so a changed file, shape or adapter never meets an old state. Keying by adapter
/// rather than not saving with one keeps a tuned model's conversations fast to resume;
/// without an adapter nothing is added to the hash, so states saved before adapters
/// existed stay valid.
fn model_key(
    model: &Path,
    context_length: u32,
    sequences: u32,
    adapter: Option<&LoraAdapter>,
) -> String {
    let mut hash = Fnv::new();
    hash_file_identity(&mut hash, model);
    hash.write(&context_length.to_le_bytes());
    hash.write(&sequences.to_le_bytes());
    if let Some(adapter) = adapter {
        hash.write(b"lora");
        hash_file_identity(&mut hash, &adapter.path);
        hash.write(&adapter.scale.to_bits().to_le_bytes());
    }
    let stem: String = model
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(64)
        .collect();
    format!("{stem}-{:016x}", hash.finish())
}

/// Adds what tells a file apart from another or from its earlier self: its canonical
/// path, size and modification time.
fn hash_file_identity(hash: &mut Fnv, path: &Path) {
    let meta = fs::metadata(path).ok();
    let size = meta.as_ref().map(|m| m.len()).unwrap_or(0);
    let modified = meta
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    hash.write(canonical.to_string_lossy().as_bytes());
    hash.write(&size.to_le_bytes());
    hash.write(&modified.to_le_bytes());
}

fn token_hash(tokens: &[LlamaToken]) -> u64 {
    let mut hash = Fnv::new();
    for token in tokens {
        hash.write(&token.0.to_le_bytes());
    }
    hash.finish()
}

/// FNV-1a: a stable hash for file names (std's hasher may change between releases).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) fn common_prefix(a: &[LlamaToken], b: &[LlamaToken]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_state(path: &Path, tokens: &[i32], tail: &[u8]) {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&SEQ_STATE_MAGIC.to_le_bytes());
        bytes.extend_from_slice(&4u32.to_le_bytes());
        bytes.extend_from_slice(&(tokens.len() as u32).to_le_bytes());
        for t in tokens {
            bytes.extend_from_slice(&t.to_le_bytes());
        }
        bytes.extend_from_slice(tail);
        fs::write(path, bytes).unwrap();
    }

    #[test]
    fn header_tokens_are_read_and_corrupt_headers_refused() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("a.kvstate");
        write_state(&good, &[1, 2, 3], b"state");
        assert_eq!(
            read_tokens(&good).unwrap(),
            vec![LlamaToken(1), LlamaToken(2), LlamaToken(3)]
        );
        let huge_count = dir.path().join("b.kvstate");
        let mut bytes = SEQ_STATE_MAGIC.to_le_bytes().to_vec();
        bytes.extend_from_slice(&4u32.to_le_bytes());
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        fs::write(&huge_count, bytes).unwrap();
        assert!(read_tokens(&huge_count).is_none());
        let wrong_magic = dir.path().join("c.kvstate");
        fs::write(&wrong_magic, [0u8; 64]).unwrap();
        assert!(read_tokens(&wrong_magic).is_none());
        assert!(read_tokens(&dir.path().join("missing")).is_none());
    }

    #[test]
    fn index_keeps_states_drops_leftovers_and_matches_longest_prefix() {
        let root = tempfile::tempdir().unwrap();
        let model = root.path().join("m.gguf");
        fs::write(&model, b"model").unwrap();
        let settings = SavedSettings {
            root: root.path().join("contexts"),
            budget_bytes: u64::MAX,
            kv_cache: super::super::KvCacheType::F16,
        };
        let dir = settings.root.join(model_key(&model, 2048, 1, None));
        fs::create_dir_all(&dir).unwrap();
        let long: Vec<i32> = (0..200).collect();
        let other: Vec<i32> = (1000..1100).collect();
        write_state(&dir.join("long-0000000a.kvstate"), &long, b"x");
        write_state(&dir.join("other-0000000b.kvstate"), &other, b"x");
        write_state(&dir.join("no-checksum.kvstate"), &other, b"x");
        fs::write(dir.join("broken-0000000c.kvstate"), b"nonsense").unwrap();
        fs::write(dir.join("cut.partial"), b"half").unwrap();

        let states = SavedStates::open(&settings, &model, 2048, 1, None);
        assert_eq!(states.len(), 2);
        assert!(!dir.join("broken-0000000c.kvstate").exists());
        assert!(!dir.join("no-checksum.kvstate").exists());
        assert!(!dir.join("cut.partial").exists());

        let prompt: Vec<LlamaToken> = (0..150).chain(5000..5010).map(LlamaToken).collect();
        let (index, common) = states.best_match(&prompt).unwrap();
        assert_eq!(common, 150);
        assert_eq!(states.entries[index].tokens.len(), 200);
        assert_eq!(states.entries[index].crc, 0xa);
        let short: Vec<LlamaToken> = (0..10).map(LlamaToken).collect();
        assert!(states.best_match(&short).is_none(), "below MIN_TOKENS");

        // Another context size, number of sequences or a changed model file is another
        // folder.
        assert_ne!(
            model_key(&model, 2048, 1, None),
            model_key(&model, 4096, 1, None)
        );
        assert_ne!(
            model_key(&model, 2048, 1, None),
            model_key(&model, 2048, 4, None)
        );
        fs::write(&model, b"model, changed").unwrap();
        assert_ne!(dir, settings.root.join(model_key(&model, 2048, 1, None)));
    }

    #[test]
    fn an_adapter_or_its_scale_is_another_folder() {
        let root = tempfile::tempdir().unwrap();
        let model = root.path().join("m.gguf");
        let first = root.path().join("a.gguf");
        let second = root.path().join("b.gguf");
        for path in [&model, &first, &second] {
            fs::write(path, b"gguf").unwrap();
        }
        let base = model_key(&model, 2048, 1, None);
        let a1 = model_key(&model, 2048, 1, Some(&LoraAdapter::new(&first, 1.0)));
        let a_half = model_key(&model, 2048, 1, Some(&LoraAdapter::new(&first, 0.5)));
        let b1 = model_key(&model, 2048, 1, Some(&LoraAdapter::new(&second, 1.0)));
        let keys: std::collections::HashSet<_> = [&base, &a1, &a_half, &b1].into_iter().collect();
        assert_eq!(keys.len(), 4, "{base} {a1} {a_half} {b1}");
        assert_eq!(
            a1,
            model_key(&model, 2048, 1, Some(&LoraAdapter::new(&first, 1.0)))
        );
        // A retrained adapter under the same name is another folder too.
        fs::write(&first, b"gguf, retrained").unwrap();
        assert_ne!(
            a1,
            model_key(&model, 2048, 1, Some(&LoraAdapter::new(&first, 1.0)))
        );
    }
}
