//! Makes the build folder (target/<profile>/) a self-contained install: llama.cpp's
//! shared libraries under their versioned names (the names the binary asks the loader
//! for) and the ggml CPU backend variants sit next to the `hearth` binary, which finds
//! them through its `$ORIGIN` run path. llama-cpp-sys-2 only links the unversioned
//! `lib*.so` names there.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_LLAMA_BACKENDS_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    let Ok(backends) = std::env::var("DEP_LLAMA_BACKENDS_DIR") else {
        return;
    };
    println!("cargo:rustc-env=HEARTH_BUILD_BACKENDS_DIR={backends}");
    let backends = PathBuf::from(backends);
    let Some(profile_dir) = profile_dir() else {
        return;
    };
    // Also into deps/ and examples/, where llama-cpp-sys-2 links its unversioned
    // `lib*.so` symlinks: with their targets beside them those links resolve, and a
    // later rebuild of llama-cpp-sys-2 does not trip over dangling links there.
    let destinations = [
        profile_dir.clone(),
        profile_dir.join("deps"),
        profile_dir.join("examples"),
    ];
    if let Some(out) = backends.parent() {
        for dir in [out.join("lib"), out.join("lib64"), backends.clone()] {
            for destination in destinations.iter().filter(|d| d.is_dir()) {
                place_libraries(&dir, destination);
            }
        }
    }
}

/// target/<profile>/, three levels above this crate's OUT_DIR.
fn profile_dir() -> Option<PathBuf> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR")?);
    out.ancestors().nth(3).map(Path::to_path_buf)
}

fn place_libraries(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let shared = name.ends_with(".so")
            || name.contains(".so.")
            || name.ends_with(".dylib")
            || name.ends_with(".dll");
        if !shared || !path.is_file() {
            continue;
        }
        let target = to.join(&name);
        let _ = std::fs::remove_file(&target);
        if std::fs::hard_link(&path, &target).is_err() {
            if let Err(e) = std::fs::copy(&path, &target) {
                println!("cargo:warning=could not place {name} next to the binary: {e}");
            }
        }
    }
}
