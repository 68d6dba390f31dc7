//! The GPU builds that cannot run here (Metal needs a Mac, CUDA NVIDIA's toolkit and a
//! GPU), checked by their configuration: each program offers the `vulkan`, `metal` and
//! `cuda` features and passes them to llama.cpp's build through hearth-llm; Vulkan is on
//! by default and the others are not (a default that needs a toolkit would break every
//! build without it); llama.cpp's build turns each into its ggml backend (Metal: ggml
//! builds it on every Apple system); and `gpu::BACKENDS` loads each one's module.

use std::path::{Path, PathBuf};

use hearth_llm::gpu::BACKENDS;

fn manifest(relative: &str) -> toml::Table {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = std::fs::read_to_string(&path).unwrap();
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn features(manifest: &toml::Table) -> &toml::Table {
    manifest["features"].as_table().expect("a [features] table")
}

fn list(value: &toml::Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

#[test]
fn hearth_llm_passes_each_gpu_feature_to_llama_cpp() {
    let llm = manifest("Cargo.toml");
    let features = features(&llm);
    for backend in ["vulkan", "metal", "cuda"] {
        assert_eq!(
            list(&features[backend]),
            [format!("llama-cpp-2/{backend}")],
            "hearth-llm's {backend} feature"
        );
        assert!(
            BACKENDS.contains(&backend),
            "{backend} is not loaded at run time"
        );
    }
    assert!(
        !features.contains_key("default"),
        "hearth-llm leaves the choice to the programs"
    );
}

#[test]
fn the_programs_build_vulkan_by_default_and_metal_or_cuda_on_request() {
    for program in ["../hearth-cli/Cargo.toml", "../../src-tauri/Cargo.toml"] {
        let manifest = manifest(program);
        let features = features(&manifest);
        assert_eq!(list(&features["default"]), ["vulkan"], "{program}");
        for backend in ["vulkan", "metal", "cuda"] {
            assert_eq!(
                list(&features[backend]),
                [format!("hearth-llm/{backend}")],
                "{program}: {backend}"
            );
        }
    }
}

#[test]
fn llama_cpps_build_turns_each_feature_into_its_ggml_backend() {
    // The build script of the llama-cpp-sys-2 this workspace locks: each feature sets
    // the CMake switch whose module gpu::load_backends looks for (libggml-NAME).
    let lock: toml::Table =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock"))
            .unwrap()
            .parse()
            .unwrap();
    let version = lock["package"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str() == Some("llama-cpp-sys-2"))
        .and_then(|p| p["version"].as_str())
        .unwrap()
        .to_owned();
    let build_rs_dir = cargo_registry_sources()
        .into_iter()
        .map(|dir| dir.join(format!("llama-cpp-sys-2-{version}")))
        .find(|p| p.join("build.rs").is_file())
        .expect("llama-cpp-sys-2's sources in the cargo registry");
    let script = std::fs::read_to_string(build_rs_dir.join("build.rs")).unwrap();
    for (feature, switch) in [("vulkan", "GGML_VULKAN"), ("cuda", "GGML_CUDA")] {
        assert!(
            script.contains(&format!(
                "cfg!(feature = \"{feature}\") {{\n        config.define(\"{switch}\", \"ON\")"
            )),
            "llama-cpp-sys-2 {version}'s {feature} feature does not turn {switch} on"
        );
    }
    // Metal: ggml builds it on every Apple system by default (GGML_METAL_DEFAULT), and
    // llama-cpp-sys-2 turns it off only for watchOS; the feature is for the record.
    let metal_off = script
        .matches("config.define(\"GGML_METAL\", \"OFF\")")
        .count();
    assert_eq!(
        metal_off, 1,
        "llama-cpp-sys-2 {version} turns Metal off somewhere new"
    );
    assert!(script
        .contains("AppleVariant::WatchOS)) {\n        config.define(\"GGML_METAL\", \"OFF\")"));
    let ggml_cmake = build_rs_dir.join("llama.cpp/ggml/CMakeLists.txt");
    let cmake = std::fs::read_to_string(ggml_cmake).unwrap();
    assert!(
        cmake.contains("if (APPLE)\n    set(GGML_METAL_DEFAULT ON)"),
        "ggml no longer builds Metal by default on Apple"
    );
    // Backends are modules (GGML_BACKEND_DL) only with dynamic-backends, which the
    // workspace turns on.
    assert!(script.contains("GGML_BACKEND_DL"));
    let workspace = manifest("../../Cargo.toml");
    let llama = &workspace["workspace"]["dependencies"]["llama-cpp-2"];
    assert!(list(&llama["features"]).contains(&"dynamic-backends"));
}

fn cargo_registry_sources() -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap();
    std::fs::read_dir(home.join("registry/src"))
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}
