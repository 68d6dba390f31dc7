//! The Hugging Face hub cache: `models--<org>--<name>/snapshots/<revision>/<file>.gguf`,
//! where each snapshot file is a symlink into `blobs/`. Named `org/name/file.gguf`.

use std::path::Path;

use super::walk::{gguf_files, relative_name, sorted_entries};
use super::{Collector, SourceApp};

/// Files in subfolders of a repo are kept as subfolders of the snapshot.
const MAX_DEPTH: usize = 4;

pub(super) fn scan(root: &Path, found: &mut Collector) {
    for repo_dir in sorted_entries(root, SourceApp::HuggingFace, found) {
        let Some(repo) = repo_id(&repo_dir) else {
            continue;
        };
        let snapshots = repo_dir.join("snapshots");
        for snapshot in sorted_entries(&snapshots, SourceApp::HuggingFace, found) {
            for file in gguf_files(&snapshot, MAX_DEPTH, SourceApp::HuggingFace, found) {
                let name = format!("{repo}/{}", relative_name(&snapshot, &file));
                found.add(SourceApp::HuggingFace, name, file);
            }
        }
    }
}

/// `models--org--name` → `org/name`; datasets, spaces and stray files are not models.
fn repo_id(dir: &Path) -> Option<String> {
    let folder = dir.file_name()?.to_str()?;
    let rest = folder.strip_prefix("models--")?;
    // huggingface_hub writes the id with "/" replaced by "--"; owners cannot contain "--".
    Some(match rest.split_once("--") {
        Some((owner, name)) => format!("{owner}/{name}"),
        None => rest.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_map_to_repo_ids() {
        assert_eq!(
            repo_id(Path::new("/c/models--Qwen--Qwen2.5-0.5B-Instruct-GGUF")).as_deref(),
            Some("Qwen/Qwen2.5-0.5B-Instruct-GGUF")
        );
        assert_eq!(
            repo_id(Path::new("/c/models--gpt2")).as_deref(),
            Some("gpt2")
        );
        assert_eq!(repo_id(Path::new("/c/datasets--a--b")), None);
        assert_eq!(repo_id(Path::new("/c/version.txt")), None);
    }
}
