//! Picking the ggml CPU backend at run time.
//!
//! llama.cpp is built with every CPU variant as a loadable library
//! (`libggml-cpu-<variant>.so`, the `dynamic-backends` feature). ggml's own chooser
//! trusts CPUID alone and so can pick AMX or AVX-512 kernels that the operating system
//! (or a hypervisor) has not enabled, which dies with SIGILL. Here we choose instead:
//! the best variant whose every instruction-set extension Rust's runtime detection
//! confirms (it checks XCR0, so OS support is part of the answer), and load only that.
//!
//! The AMX variant (`sapphirerapids`) is never chosen on its own, even where AMX works:
//! the AMX kernels of the llama.cpp we build load a tile configuration the compiler has
//! optimised away, so the first tile instruction dies with SIGILL on a Xeon with AMX
//! (seen here on a Sapphire Rapids machine where a plain AMX program ran fine; upstream
//! llama.cpp PR #26954). The AVX-512 variants below it run there.
//! `HEARTH_CPU_VARIANT=sapphirerapids` still forces it, for a fixed llama.cpp.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use llama_cpp_2::llama_backend::LlamaBackend;

use crate::error::LlmError;

/// The process-wide llama.cpp backend, the CPU variant it runs on, and the GPU
/// backends loaded beside it (see [`crate::gpu`]).
pub struct Runtime {
    pub backend: LlamaBackend,
    pub cpu_variant: String,
    pub gpu_backends: Vec<String>,
}

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// Loads the CPU backend (once per process) and initialises llama.cpp.
pub fn runtime() -> Result<&'static Runtime, LlmError> {
    RUNTIME
        .get_or_init(init_runtime)
        .as_ref()
        .map_err(|reason| LlmError::BackendUnavailable {
            reason: reason.clone(),
        })
}

fn init_runtime() -> Result<Runtime, String> {
    crate::logging::route_llama_logs();
    let cpu_variant = load_cpu_backend()?;
    let gpu_backends = crate::gpu::load_backends(&backend_dirs());
    let backend = LlamaBackend::init().map_err(|e| e.to_string())?;
    Ok(Runtime {
        backend,
        cpu_variant,
        gpu_backends,
    })
}

/// Variants in ascending order of preference, with the target features each needs.
#[cfg(target_arch = "x86_64")]
const VARIANTS: &[(&str, &[&str])] = &[
    ("x64", &[]),
    ("sse42", &["sse4.2"]),
    ("sandybridge", &["sse4.2", "avx"]),
    ("ivybridge", &["sse4.2", "avx", "f16c"]),
    ("piledriver", &["sse4.2", "avx", "f16c", "fma"]),
    ("haswell", &["sse4.2", "avx", "f16c", "fma", "avx2", "bmi2"]),
    (
        "alderlake",
        &["sse4.2", "avx", "f16c", "fma", "avx2", "bmi2", "avxvnni"],
    ),
    (
        "skylakex",
        &[
            "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512cd", "avx512vl", "avx512dq",
            "avx512bw",
        ],
    ),
    (
        "cannonlake",
        &[
            "avx2",
            "fma",
            "f16c",
            "bmi2",
            "avx512f",
            "avx512cd",
            "avx512vl",
            "avx512dq",
            "avx512bw",
            "avx512vbmi",
        ],
    ),
    (
        "cascadelake",
        &[
            "avx2",
            "fma",
            "f16c",
            "bmi2",
            "avx512f",
            "avx512cd",
            "avx512vl",
            "avx512dq",
            "avx512bw",
            "avx512vnni",
        ],
    ),
    (
        "icelake",
        &[
            "avx2",
            "fma",
            "f16c",
            "bmi2",
            "avx512f",
            "avx512cd",
            "avx512vl",
            "avx512dq",
            "avx512bw",
            "avx512vbmi",
            "avx512vnni",
        ],
    ),
    (
        "cooperlake",
        &[
            "avx2",
            "fma",
            "f16c",
            "bmi2",
            "avx512f",
            "avx512cd",
            "avx512vl",
            "avx512dq",
            "avx512bw",
            "avx512vnni",
            "avx512bf16",
        ],
    ),
    (
        "zen4",
        &[
            "avx2",
            "fma",
            "f16c",
            "bmi2",
            "avx512f",
            "avx512cd",
            "avx512vl",
            "avx512dq",
            "avx512bw",
            "avx512vbmi",
            "avx512vnni",
            "avx512bf16",
        ],
    ),
    (
        "sapphirerapids",
        &[
            "avx2",
            "fma",
            "f16c",
            "bmi2",
            "avx512f",
            "avx512cd",
            "avx512vl",
            "avx512dq",
            "avx512bw",
            "avx512vbmi",
            "avx512vnni",
            "avx512bf16",
            "amx",
        ],
    ),
];

#[cfg(target_arch = "aarch64")]
const VARIANTS: &[(&str, &[&str])] = &[
    ("armv8.0_1", &[]),
    ("armv8.2_1", &["dotprod"]),
    ("armv8.2_2", &["dotprod", "fp16"]),
    ("armv8.2_3", &["dotprod", "fp16", "sve"]),
    ("armv8.6_1", &["dotprod", "fp16", "sve", "i8mm"]),
    ("armv8.6_2", &["dotprod", "fp16", "sve", "i8mm", "sve2"]),
];

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const VARIANTS: &[(&str, &[&str])] = &[];

/// Whether this CPU and OS can run code using a target feature.
#[cfg(target_arch = "x86_64")]
fn cpu_has(feature: &str) -> bool {
    match feature {
        "sse4.2" => std::arch::is_x86_feature_detected!("sse4.2"),
        "avx" => std::arch::is_x86_feature_detected!("avx"),
        "f16c" => std::arch::is_x86_feature_detected!("f16c"),
        "fma" => std::arch::is_x86_feature_detected!("fma"),
        "avx2" => std::arch::is_x86_feature_detected!("avx2"),
        "bmi2" => std::arch::is_x86_feature_detected!("bmi2"),
        "avxvnni" => std::arch::is_x86_feature_detected!("avxvnni"),
        "avx512f" => std::arch::is_x86_feature_detected!("avx512f"),
        "avx512cd" => std::arch::is_x86_feature_detected!("avx512cd"),
        "avx512vl" => std::arch::is_x86_feature_detected!("avx512vl"),
        "avx512dq" => std::arch::is_x86_feature_detected!("avx512dq"),
        "avx512bw" => std::arch::is_x86_feature_detected!("avx512bw"),
        "avx512vbmi" => std::arch::is_x86_feature_detected!("avx512vbmi"),
        "avx512vnni" => std::arch::is_x86_feature_detected!("avx512vnni"),
        "avx512bf16" => std::arch::is_x86_feature_detected!("avx512bf16"),
        "amx" => amx_usable(),
        _ => false,
    }
}

/// AMX needs three things: the CPU has it (CPUID), the OS saves its state (XCR0 bits
/// 17 and 18), and on Linux the process is granted the tile data (arch_prctl). ggml's
/// own check stops at the first, which is how it crashed in a VM that lacked the rest.
#[cfg(target_arch = "x86_64")]
fn amx_usable() -> bool {
    use std::arch::x86_64::__cpuid_count;
    let leaf7 = __cpuid_count(7, 0);
    let tile = leaf7.edx & (1 << 24) != 0;
    let int8 = leaf7.edx & (1 << 25) != 0;
    if !(tile && int8 && std::arch::is_x86_feature_detected!("xsave")) {
        return false;
    }
    // SAFETY: xsave support (and so OSXSAVE/XGETBV) was checked just above.
    let xcr0 = unsafe { read_xcr0() };
    let tile_state = (1u64 << 17) | (1u64 << 18);
    if xcr0 & tile_state != tile_state {
        return false;
    }
    request_amx_permission()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "xsave")]
unsafe fn read_xcr0() -> u64 {
    std::arch::x86_64::_xgetbv(0)
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn request_amx_permission() -> bool {
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: arch_prctl with these arguments only changes this process's permitted
    // extended state; it returns 0 on success and -1 when AMX is not allowed.
    unsafe {
        libc::syscall(
            libc::SYS_arch_prctl,
            ARCH_REQ_XCOMP_PERM,
            XFEATURE_XTILEDATA,
        ) == 0
    }
}

#[cfg(all(target_arch = "x86_64", not(target_os = "linux")))]
fn request_amx_permission() -> bool {
    true
}

#[cfg(target_arch = "aarch64")]
fn cpu_has(feature: &str) -> bool {
    match feature {
        "dotprod" => std::arch::is_aarch64_feature_detected!("dotprod"),
        "fp16" => std::arch::is_aarch64_feature_detected!("fp16"),
        "sve" => std::arch::is_aarch64_feature_detected!("sve"),
        "i8mm" => std::arch::is_aarch64_feature_detected!("i8mm"),
        "sve2" => std::arch::is_aarch64_feature_detected!("sve2"),
        _ => false,
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn cpu_has(_feature: &str) -> bool {
    false
}

/// Variants built but not chosen automatically, because their kernels crash (see the
/// module's documentation); `HEARTH_CPU_VARIANT` can still force one.
const NOT_CHOSEN: &[&str] = &["sapphirerapids"];

/// The variants this machine can run, best first.
pub fn supported_variants() -> Vec<&'static str> {
    VARIANTS
        .iter()
        .rev()
        .filter(|(name, _)| !NOT_CHOSEN.contains(name))
        .filter(|(_, needs)| needs.iter().all(|f| cpu_has(f)))
        .map(|(name, _)| *name)
        .collect()
}

/// Folders searched for `libggml-cpu-*` and GPU backend libraries, in order: `HEARTH_GGML_BACKENDS`,
/// next to the executable, the installed `../lib/hearth`, then the build's own folder.
pub fn backend_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("HEARTH_GGML_BACKENDS") {
        dirs.push(PathBuf::from(dir));
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            dirs.push(dir.to_path_buf());
            dirs.push(dir.join("ggml-backends"));
            dirs.push(dir.join("../lib/hearth"));
        }
    }
    if let Some(dir) = option_env!("HEARTH_BUILD_BACKENDS_DIR") {
        dirs.push(PathBuf::from(dir));
    }
    dirs
}

fn library_file(dir: &Path, variant: &str) -> PathBuf {
    dir.join(format!(
        "{}ggml-cpu-{variant}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ))
}

/// Finds and loads the best supported CPU variant; returns its name.
fn load_cpu_backend() -> Result<String, String> {
    let dirs = backend_dirs();
    if let Ok(forced) = std::env::var("HEARTH_CPU_VARIANT") {
        let path = dirs
            .iter()
            .map(|d| library_file(d, &forced))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                format!("HEARTH_CPU_VARIANT={forced} but no libggml-cpu-{forced} was found")
            })?;
        load_library(&path)?;
        return Ok(forced);
    }
    for variant in supported_variants() {
        if let Some(path) = dirs
            .iter()
            .map(|d| library_file(d, variant))
            .find(|p| p.is_file())
        {
            load_library(&path)?;
            tracing::info!(variant, path = %path.display(), "loaded ggml CPU backend");
            return Ok(variant.to_owned());
        }
    }
    Err(format!(
        "no libggml-cpu-* library found in {}; reinstall Hearth or set HEARTH_GGML_BACKENDS to the folder that holds them",
        dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
    ))
}

pub(crate) fn load_library(path: &Path) -> Result<(), String> {
    let c_path =
        std::ffi::CString::new(path.to_string_lossy().as_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: a valid NUL-terminated path; ggml registers the backend in its global
    // registry and returns null on failure.
    let reg = unsafe { llama_cpp_sys_2::ggml_backend_load(c_path.as_ptr()) };
    if reg.is_null() {
        return Err(format!("ggml could not load {}", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_variant_is_always_supported() {
        let supported = supported_variants();
        assert!(!supported.is_empty());
        #[cfg(target_arch = "x86_64")]
        assert_eq!(supported.last(), Some(&"x64"));
    }

    #[test]
    fn variants_are_never_chosen_without_os_support() {
        #[cfg(target_arch = "x86_64")]
        {
            let supported = supported_variants();
            // AMX is never chosen, usable or not (its kernels crash; module docs), and
            // the check for it stays sound: it runs here without crashing the test.
            let _ = amx_usable();
            assert!(!supported.contains(&"sapphirerapids"));
            if !std::arch::is_x86_feature_detected!("avx512f") {
                assert!(supported
                    .iter()
                    .all(|v| !matches!(*v, "skylakex" | "icelake" | "zen4" | "cooperlake")));
            }
        }
    }

    #[test]
    fn the_build_ships_a_library_for_the_best_variant() {
        let best = supported_variants()[0];
        let found = backend_dirs()
            .iter()
            .any(|d| library_file(d, best).is_file());
        assert!(
            found,
            "libggml-cpu-{best} not found in {:?}",
            backend_dirs()
        );
    }
}
