//! Scanning fake app folders built in a temporary home: each app's layout, symlinks,
//! deduplication, and entries that must be skipped without failing the scan.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use hearth_models::{scan, FoundModel, ScanReport, ScanRoots, SourceApp};

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

/// A symlink, as the Hugging Face cache makes them (on Windows it often copies instead,
/// so the tests built on links are Unix-only).
#[cfg(unix)]
fn link(target: &Path, at: &Path) {
    fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, at).unwrap();
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn scan_home(home: &Path) -> ScanReport {
    scan(&ScanRoots::for_home(home, no_env))
}

fn of(report: &ScanReport, source: SourceApp) -> Vec<&FoundModel> {
    report
        .models
        .iter()
        .filter(|m| m.source == source)
        .collect()
}

fn names(models: &[&FoundModel]) -> Vec<String> {
    models.iter().map(|m| m.name.clone()).collect()
}

fn ollama_manifest(digest: &str) -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
            "config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:cfg","size":10}},
            "layers":[
              {{"mediaType":"application/vnd.ollama.image.template","digest":"sha256:0123","size":5}},
              {{"mediaType":"application/vnd.ollama.image.model","digest":"{digest}","size":9}}
            ]}}"#
    )
}

#[test]
fn an_empty_home_finds_nothing_and_skips_nothing() {
    let home = tempfile::tempdir().unwrap();
    assert_eq!(scan_home(home.path()), ScanReport::default());
}

#[cfg(unix)]
#[test]
fn huggingface_cache_snapshots_are_found_through_their_blob_links() {
    let home = tempfile::tempdir().unwrap();
    let repo = home
        .path()
        .join(".cache/huggingface/hub/models--Qwen--Qwen2.5-0.5B-Instruct-GGUF");
    write(&repo.join("blobs/aaaa"), b"GGUF fake weights");
    write(&repo.join("blobs/bbbb"), b"# readme");
    link(
        Path::new("../../blobs/aaaa"),
        &repo.join("snapshots/rev1/qwen2.5-0.5b-instruct-q4_k_m.gguf"),
    );
    link(
        Path::new("../../blobs/bbbb"),
        &repo.join("snapshots/rev1/README.md"),
    );
    // A second revision holding the same blob is the same file: reported once.
    link(
        Path::new("../../blobs/aaaa"),
        &repo.join("snapshots/rev2/qwen2.5-0.5b-instruct-q4_k_m.gguf"),
    );
    // Interrupted download: the link is there, the blob is not.
    link(
        Path::new("../../blobs/cccc"),
        &repo.join("snapshots/rev1/broken.gguf"),
    );
    let nested = home
        .path()
        .join(".cache/huggingface/hub/models--org--Split-GGUF");
    write(&nested.join("blobs/dddd"), b"GGUF other");
    link(
        Path::new("../../../blobs/dddd"),
        &nested.join("snapshots/r/Q8_0/model-Q8_0.gguf"),
    );
    write(
        &home
            .path()
            .join(".cache/huggingface/hub/datasets--org--data/snapshots/r/x.gguf"),
        b"not a model repo",
    );

    let report = scan_home(home.path());
    let found = of(&report, SourceApp::HuggingFace);

    assert_eq!(
        names(&found),
        vec![
            "Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf",
            "org/Split-GGUF/Q8_0/model-Q8_0.gguf",
        ]
    );
    let qwen = found[0];
    assert_eq!(qwen.size, b"GGUF fake weights".len() as u64);
    assert_eq!(
        qwen.real_path,
        fs::canonicalize(repo.join("blobs/aaaa")).unwrap()
    );
    assert!(qwen.path.starts_with(repo.join("snapshots")));
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(report.skipped[0].path.ends_with("broken.gguf"));
    assert!(
        report.skipped[0].reason.contains("no longer exists"),
        "{}",
        report.skipped[0].reason
    );
}

#[test]
fn lm_studio_publisher_repo_layout_is_found_in_both_locations() {
    let home = tempfile::tempdir().unwrap();
    let models = home.path().join(".lmstudio/models");
    write(
        &models.join(
            "lmstudio-community/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        ),
        b"GGUF a",
    );
    write(
        &models.join("lmstudio-community/Llama-3.2-1B-Instruct-GGUF/notes.txt"),
        b"not a model",
    );
    write(
        &models.join("lmstudio-community/Llama-3.2-1B-Instruct-GGUF/half.gguf.part"),
        b"unfinished",
    );
    write(
        &home
            .path()
            .join(".cache/lm-studio/models/TheBloke/Old-GGUF/old.Q4_0.GGUF"),
        b"GGUF b",
    );

    let report = scan_home(home.path());

    assert_eq!(
        names(&of(&report, SourceApp::LmStudio)),
        vec![
            "TheBloke/Old-GGUF/old.Q4_0.GGUF",
            "lmstudio-community/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        ]
    );
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
}

#[test]
fn ollama_manifests_point_at_blobs_and_broken_ones_are_skipped() {
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join(".ollama/models");
    let manifests = store.join("manifests");
    let blob = |hex: &str| store.join("blobs").join(format!("sha256-{hex}"));
    write(&blob("aa11"), b"GGUF llama");
    write(&blob("bb22"), b"GGUF custom");
    write(&blob("cc33"), b"GGUF from hf");
    write(
        &manifests.join("registry.ollama.ai/library/llama3.2/3b"),
        ollama_manifest("sha256:aa11").as_bytes(),
    );
    write(
        &manifests.join("registry.ollama.ai/someone/custom/latest"),
        ollama_manifest("sha256:bb22").as_bytes(),
    );
    write(
        &manifests.join("hf.co/bartowski/Foo-GGUF/Q4_K_M"),
        ollama_manifest("sha256:cc33").as_bytes(),
    );
    // The manifest survived but its blob was pruned.
    write(
        &manifests.join("registry.ollama.ai/library/gone/latest"),
        ollama_manifest("sha256:dd44").as_bytes(),
    );
    write(
        &manifests.join("registry.ollama.ai/library/garbled/latest"),
        b"{ not json",
    );
    write(
        &manifests.join("registry.ollama.ai/library/sneaky/latest"),
        ollama_manifest("sha256:../../../etc").as_bytes(),
    );

    let report = scan_home(home.path());
    let found = of(&report, SourceApp::Ollama);

    assert_eq!(
        names(&found),
        vec![
            "hf.co/bartowski/Foo-GGUF:Q4_K_M",
            "llama3.2:3b",
            "someone/custom:latest"
        ]
    );
    let llama = found.iter().find(|m| m.name == "llama3.2:3b").unwrap();
    assert_eq!(llama.real_path, fs::canonicalize(blob("aa11")).unwrap());
    assert_eq!(llama.size, b"GGUF llama".len() as u64);

    let skipped: HashMap<String, &str> = report
        .skipped
        .iter()
        .map(|s| {
            (
                s.path
                    .parent()
                    .unwrap()
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                s.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(skipped.len(), 3, "{:?}", report.skipped);
    assert!(
        skipped["gone"].contains("missing") && skipped["gone"].contains("ollama pull gone:latest")
    );
    assert!(
        skipped["garbled"].contains("not valid json"),
        "{}",
        skipped["garbled"]
    );
    assert!(
        skipped["sneaky"].contains("unusable digest"),
        "{}",
        skipped["sneaky"]
    );
}

#[test]
fn ollama_models_env_moves_the_store() {
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("elsewhere");
    write(&store.join("blobs/sha256-ab"), b"GGUF");
    write(
        &store.join("manifests/registry.ollama.ai/library/tiny/latest"),
        ollama_manifest("sha256:ab").as_bytes(),
    );
    let env = |name: &str| (name == "OLLAMA_MODELS").then(|| store.to_string_lossy().into_owned());

    let report = scan(&ScanRoots::for_home(home.path(), env));

    assert_eq!(names(&of(&report, SourceApp::Ollama)), vec!["tiny:latest"]);
}

#[test]
fn jan_model_folders_are_searched_recursively() {
    let home = tempfile::tempdir().unwrap();
    write(
        &home
            .path()
            .join("jan/models/tinyllama-1.1b/tinyllama-1.1b-chat.Q4_K_M.gguf"),
        b"GGUF old layout",
    );
    write(
        &home.path().join("jan/models/tinyllama-1.1b/model.json"),
        b"{}",
    );
    write(
        &home
            .path()
            .join(".local/share/Jan/data/llamacpp/models/qwen3-1.7b/model.gguf"),
        b"GGUF new layout",
    );
    write(
        &home
            .path()
            .join(".local/share/Jan/data/models/deep/a/b/c/x.gguf"),
        b"GGUF deep",
    );

    let report = scan_home(home.path());

    assert_eq!(
        names(&of(&report, SourceApp::Jan)),
        vec![
            "deep/a/b/c/x.gguf",
            "qwen3-1.7b/model.gguf",
            "tinyllama-1.1b/tinyllama-1.1b-chat.Q4_K_M.gguf"
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_file_reachable_from_two_apps_is_reported_once() {
    let home = tempfile::tempdir().unwrap();
    let repo = home
        .path()
        .join(".cache/huggingface/hub/models--org--Shared-GGUF");
    write(&repo.join("blobs/eeee"), b"GGUF shared");
    link(
        Path::new("../../blobs/eeee"),
        &repo.join("snapshots/r/shared.gguf"),
    );
    let lm_link = home
        .path()
        .join(".lmstudio/models/org/Shared-GGUF/shared.gguf");
    link(&repo.join("blobs/eeee"), &lm_link);

    let report = scan_home(home.path());

    assert_eq!(report.models.len(), 1, "{:?}", report.models);
    assert_eq!(report.models[0].source, SourceApp::HuggingFace);
}

#[test]
fn roots_follow_the_huggingface_and_xdg_variables() {
    let home = PathBuf::from("/home/u");
    let roots = ScanRoots::for_home(&home, no_env);
    assert_eq!(roots.huggingface, vec![home.join(".cache/huggingface/hub")]);
    assert_eq!(roots.ollama, vec![home.join(".ollama/models")]);
    assert!(roots
        .jan
        .contains(&home.join(".local/share/Jan/data/models")));
    assert!(roots
        .lm_studio
        .contains(&home.join(".cache/lm-studio/models")));

    let vars: HashMap<&str, &str> =
        [("HF_HOME", "/data/hf"), ("XDG_DATA_HOME", "/data/xdg")].into();
    let roots = ScanRoots::for_home(&home, |k| vars.get(k).map(|v| v.to_string()));
    assert_eq!(roots.huggingface, vec![PathBuf::from("/data/hf/hub")]);
    assert!(roots
        .jan
        .contains(&PathBuf::from("/data/xdg/Jan/data/models")));

    let vars: HashMap<&str, &str> = [("HF_HUB_CACHE", "/c"), ("HF_HOME", "/data/hf")].into();
    let roots = ScanRoots::for_home(&home, |k| vars.get(k).map(|v| v.to_string()));
    assert_eq!(
        roots.huggingface,
        vec![PathBuf::from("/c")],
        "HF_HUB_CACHE wins over HF_HOME"
    );
}
