//! Why a file cannot be used as a model, in terms a user can act on.
//!
//! Every variant names the file and what is wrong, and its message ends with what to do:
//! most broken GGUF files in the wild are incomplete downloads, so "download it again" is
//! the usual advice; files that are intact but from a different era of the format get
//! "convert it again" or "update Hearth" instead.

use std::io;
use std::path::PathBuf;

/// Shown for any structural damage whose most likely cause is a broken download.
const REDOWNLOAD: &str = "the file is damaged or incomplete — download it again";

/// What went wrong while opening or checking a GGUF file.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("{}: no such file; check the path or download the model again", .path.display())]
    NotFound { path: PathBuf },

    #[error("{}: this is a folder, not a model file; choose the .gguf file inside it", .path.display())]
    IsADirectory { path: PathBuf },

    #[error("{}: not a regular file (a device, pipe or socket); choose a .gguf model file", .path.display())]
    NotARegularFile { path: PathBuf },

    #[error("{}: permission denied; make the file readable by your user (for example `chmod u+r`) or move it to your models folder", .path.display())]
    PermissionDenied { path: PathBuf },

    #[error("{}: cannot read the file ({source}); check the disk and try again", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{}: the file is empty; the download probably failed — download it again", .path.display())]
    Empty { path: PathBuf },

    #[error("{}: not a GGUF model (it starts with {}, not \"GGUF\"); choose a .gguf file, or convert the model to GGUF with llama.cpp", .path.display(), show_magic(.found))]
    NotGguf { path: PathBuf, found: Vec<u8> },

    #[error("{}: {}", .path.display(), version_advice(*.version))]
    UnsupportedVersion { path: PathBuf, version: u32 },

    #[error("{}: file ends at byte {file_len} while reading {what} (at byte {offset}); the download is probably incomplete — download it again", .path.display())]
    Truncated {
        path: PathBuf,
        offset: u64,
        file_len: u64,
        what: String,
    },

    #[error("{}: the header claims {count} tensors, more than the {max} any real model has; {REDOWNLOAD}", .path.display())]
    TooManyTensors { path: PathBuf, count: u64, max: u64 },

    #[error("{}: the header claims {count} metadata entries, more than the {max} allowed; {REDOWNLOAD}", .path.display())]
    TooManyKeys { path: PathBuf, count: u64, max: u64 },

    #[error("{}: {what} at byte {offset} claims a length of {len} bytes, over the limit of {max}; {REDOWNLOAD}", .path.display())]
    StringTooLong {
        path: PathBuf,
        offset: u64,
        what: String,
        len: u64,
        max: u64,
    },

    #[error("{}: reading {what} would take the header past {budget} bytes of memory, far more than any real model's header needs; {REDOWNLOAD}", .path.display())]
    HeaderTooLarge {
        path: PathBuf,
        what: String,
        budget: u64,
    },

    #[error("{}: metadata '{key}' claims an array of {len} elements, over the limit of {max}; {REDOWNLOAD}", .path.display())]
    ArrayTooLong {
        path: PathBuf,
        key: String,
        len: u64,
        max: u64,
    },

    #[error("{}: metadata '{key}' nests arrays more than {max_depth} deep; {REDOWNLOAD}", .path.display())]
    ArrayTooDeep {
        path: PathBuf,
        key: String,
        max_depth: u32,
    },

    #[error("{}: metadata '{key}' has value type {type_id} (at byte {offset}), which GGUF does not define; {REDOWNLOAD}", .path.display())]
    BadValueType {
        path: PathBuf,
        key: String,
        type_id: u32,
        offset: u64,
    },

    #[error("{}: metadata entry {index} has an empty name; {REDOWNLOAD}", .path.display())]
    EmptyKey { path: PathBuf, index: u64 },

    #[error("{}: metadata '{key}' appears twice; {REDOWNLOAD}", .path.display())]
    DuplicateKey { path: PathBuf, key: String },

    #[error("{}: general.alignment {detail}; {REDOWNLOAD}", .path.display())]
    BadAlignment { path: PathBuf, detail: String },

    #[error("{}: tensor {index} has a {len}-byte name, longer than llama.cpp's limit of 63; {REDOWNLOAD}", .path.display())]
    TensorNameTooLong { path: PathBuf, index: u64, len: u64 },

    #[error("{}: tensor '{tensor}' appears twice; {REDOWNLOAD}", .path.display())]
    DuplicateTensor { path: PathBuf, tensor: String },

    #[error("{}: tensor '{tensor}' has {n_dims} dimensions, but llama.cpp needs 1 to 4; {REDOWNLOAD}", .path.display())]
    BadDimensionCount {
        path: PathBuf,
        tensor: String,
        n_dims: u32,
    },

    #[error("{}: tensor '{tensor}' dimension {dim} is {value}, which is negative or too large; {REDOWNLOAD}", .path.display())]
    BadDimension {
        path: PathBuf,
        tensor: String,
        dim: usize,
        value: u64,
    },

    #[error("{}: tensor '{tensor}' uses ggml type {type_id}, which this version of Hearth does not know (a newer or retired quantization); update Hearth or use a different quantization of the model", .path.display())]
    UnknownTensorType {
        path: PathBuf,
        tensor: String,
        type_id: u32,
    },

    #[error("{}: tensor '{tensor}' has rows of {row} elements, not a multiple of the {ggml_type} block size {block}; {REDOWNLOAD}", .path.display())]
    BadRowSize {
        path: PathBuf,
        tensor: String,
        ggml_type: String,
        row: u64,
        block: u64,
    },

    #[error("{}: tensor '{tensor}' is too large to address (its size overflows 64 bits); {REDOWNLOAD}", .path.display())]
    TensorTooLarge { path: PathBuf, tensor: String },

    #[error("{}: tensor '{tensor}' has data offset {offset}, which overflows when added to the data start; {REDOWNLOAD}", .path.display())]
    OffsetOverflow {
        path: PathBuf,
        tensor: String,
        offset: u64,
    },

    #[error("{}: tensor '{tensor}' needs bytes {start}..{end} but the file has only {file_len} bytes; the download is probably incomplete — download it again", .path.display())]
    TensorOutOfBounds {
        path: PathBuf,
        tensor: String,
        start: u64,
        end: u64,
        file_len: u64,
    },

    #[error("{}: tensor '{tensor}' has data offset {offset}, not a multiple of the alignment {alignment}; {REDOWNLOAD}", .path.display())]
    MisalignedTensor {
        path: PathBuf,
        tensor: String,
        offset: u64,
        alignment: u64,
    },

    #[error("{}: tensor '{tensor}' has data offset {offset} but llama.cpp expects {expected} (tensors must be stored in order, without gaps or overlaps); {REDOWNLOAD}", .path.display())]
    TensorOffsetMismatch {
        path: PathBuf,
        tensor: String,
        offset: u64,
        expected: u64,
    },
}

impl GgufError {
    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            GgufError::NotFound { path }
            | GgufError::IsADirectory { path }
            | GgufError::NotARegularFile { path }
            | GgufError::PermissionDenied { path }
            | GgufError::Io { path, .. }
            | GgufError::Empty { path }
            | GgufError::NotGguf { path, .. }
            | GgufError::UnsupportedVersion { path, .. }
            | GgufError::Truncated { path, .. }
            | GgufError::TooManyTensors { path, .. }
            | GgufError::TooManyKeys { path, .. }
            | GgufError::StringTooLong { path, .. }
            | GgufError::HeaderTooLarge { path, .. }
            | GgufError::ArrayTooLong { path, .. }
            | GgufError::ArrayTooDeep { path, .. }
            | GgufError::BadValueType { path, .. }
            | GgufError::EmptyKey { path, .. }
            | GgufError::DuplicateKey { path, .. }
            | GgufError::BadAlignment { path, .. }
            | GgufError::TensorNameTooLong { path, .. }
            | GgufError::DuplicateTensor { path, .. }
            | GgufError::BadDimensionCount { path, .. }
            | GgufError::BadDimension { path, .. }
            | GgufError::UnknownTensorType { path, .. }
            | GgufError::BadRowSize { path, .. }
            | GgufError::TensorTooLarge { path, .. }
            | GgufError::OffsetOverflow { path, .. }
            | GgufError::TensorOutOfBounds { path, .. }
            | GgufError::MisalignedTensor { path, .. }
            | GgufError::TensorOffsetMismatch { path, .. } => path,
        }
    }

    /// Classifies an error from opening or reading `path`, so the common cases get their
    /// own variant and message.
    pub(crate) fn from_io(path: PathBuf, source: io::Error) -> GgufError {
        match source.kind() {
            io::ErrorKind::NotFound => GgufError::NotFound { path },
            io::ErrorKind::PermissionDenied => GgufError::PermissionDenied { path },
            io::ErrorKind::IsADirectory => GgufError::IsADirectory { path },
            _ => GgufError::Io { path, source },
        }
    }
}

/// The first bytes of a non-GGUF file, as text when printable (so a user sees `PK`,
/// `<htm` or `{"er` and recognises a zip, an error page or a JSON error).
fn show_magic(found: &[u8]) -> String {
    if !found.is_empty() && found.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("\"{}\"", String::from_utf8_lossy(found))
    } else {
        let hex: Vec<String> = found.iter().map(|b| format!("{b:02x}")).collect();
        format!("bytes {}", hex.join(" "))
    }
}

fn version_advice(version: u32) -> String {
    if version == 1 {
        "this is GGUF version 1, which llama.cpp no longer supports; download a newer conversion of the model, or convert it again with a current llama.cpp".to_string()
    } else if version != 0 && version & 0xFFFF == 0 {
        // A big-endian v2/v3 file read on a little-endian machine has its version in the
        // top half; llama.cpp gives the same hint.
        format!("the GGUF version reads as {version}, so this is a big-endian file; download the little-endian (standard) conversion of the model")
    } else if version > crate::reader::MAX_VERSION {
        format!("this is GGUF version {version}, newer than this version of Hearth understands (up to {}); update Hearth", crate::reader::MAX_VERSION)
    } else {
        format!("the GGUF version is {version}, which is not a valid version; {REDOWNLOAD}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_map_to_specific_variants() {
        let p = PathBuf::from("/models/x.gguf");
        let e = GgufError::from_io(p.clone(), io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(matches!(e, GgufError::PermissionDenied { .. }));
        let e = GgufError::from_io(p.clone(), io::Error::from(io::ErrorKind::NotFound));
        assert!(matches!(e, GgufError::NotFound { .. }));
        let e = GgufError::from_io(p.clone(), io::Error::from(io::ErrorKind::IsADirectory));
        assert!(matches!(e, GgufError::IsADirectory { .. }));
        let e = GgufError::from_io(p, io::Error::other("disk on fire"));
        assert!(matches!(e, GgufError::Io { .. }));
        assert!(e.to_string().contains("disk on fire"), "{e}");
    }

    #[test]
    fn messages_name_the_file_are_lowercase_and_say_what_to_do() {
        let path = PathBuf::from("/models/x.gguf");
        let errors = [
            GgufError::Truncated {
                path: path.clone(),
                offset: 1200,
                file_len: 1234,
                what: "tensor info 7".into(),
            },
            GgufError::NotGguf {
                path: path.clone(),
                found: b"PK\x03\x04".to_vec(),
            },
            GgufError::UnsupportedVersion {
                path: path.clone(),
                version: 1,
            },
            GgufError::UnsupportedVersion {
                path: path.clone(),
                version: 0x0300_0000,
            },
            GgufError::UnsupportedVersion {
                path: path.clone(),
                version: 99,
            },
            GgufError::TensorOutOfBounds {
                path: path.clone(),
                tensor: "output.weight".into(),
                start: 10,
                end: 20,
                file_len: 15,
            },
        ];
        for e in &errors {
            let msg = e.to_string();
            assert!(msg.starts_with("/models/x.gguf: "), "{msg}");
            assert!(!msg.ends_with('.'), "{msg}");
            let after_path = &msg["/models/x.gguf: ".len()..];
            assert!(
                after_path.chars().next().is_some_and(|c| !c.is_uppercase()),
                "{msg}"
            );
            assert!(
                msg.contains("download") || msg.contains("update") || msg.contains("convert"),
                "no advice in: {msg}"
            );
            assert_eq!(e.path(), path.as_path());
        }
        assert_eq!(
            errors[0].to_string(),
            "/models/x.gguf: file ends at byte 1234 while reading tensor info 7 (at byte 1200); \
             the download is probably incomplete — download it again"
        );
        assert!(
            errors[1].to_string().contains("bytes 50 4b 03 04"),
            "{}",
            errors[1]
        );
        assert!(
            errors[3].to_string().contains("big-endian"),
            "{}",
            errors[3]
        );
        assert!(
            errors[4].to_string().contains("update Hearth"),
            "{}",
            errors[4]
        );
    }

    #[test]
    fn printable_magic_is_shown_as_text() {
        assert_eq!(show_magic(b"<htm"), "\"<htm\"");
        assert_eq!(show_magic(b"\0\0\0\0"), "bytes 00 00 00 00");
    }
}
