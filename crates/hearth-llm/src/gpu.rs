//! GPU offload: the ggml GPU backends, the compute devices they find, and how many of a
//! model's layers go to them.
//!
//! Like the CPU variants, each GPU backend is a loadable ggml module
//! (`libggml-vulkan.so`, `libggml-cuda.so`, `libggml-metal.dylib`) built when the program
//! is built with the matching feature and placed next to it. [`load_backends`] loads
//! those present once per process, when the runtime starts; a module whose driver or
//! loader is missing fails to load and is skipped with a log line, so one program runs
//! on every machine and a machine without a GPU runs exactly as a CPU-only build does
//! (no device, nothing offloaded; on Linux, with no GPU device node the Vulkan module is
//! not even loaded, see `worth_loading`). `HEARTH_GPU=off` skips loading them at all,
//! for a driver that misbehaves as it starts.
//!
//! ggml's Vulkan backend leaves out software devices (Mesa's lavapipe) unless
//! `GGML_VK_VISIBLE_DEVICES` names them; the tests do, to run the Vulkan path on a
//! machine without a GPU.
//!
//! Where layers go is [`GpuLayers`]: `auto` fits as many as the device's free memory
//! holds, with the context, through llama.cpp's own `common_fit_params`; a number puts
//! that many there; `off` keeps the model on the CPU even where a GPU is found.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use llama_cpp_2::LlamaBackendDeviceType;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::LlmError;

/// The GPU backends Hearth can load, by ggml's library name (`libggml-NAME`).
pub const BACKENDS: &[&str] = &["vulkan", "cuda", "metal"];

/// Memory left free on each GPU when layers are fitted, as llama.cpp's `--fit-target`
/// leaves by default: for the desktop, the browser and other programs.
pub const FIT_MARGIN_BYTES: usize = 1 << 30;

/// Loads every GPU backend module found in `dirs` (the first copy of each); returns the
/// names of those loaded. Called once, from the runtime's start.
pub(crate) fn load_backends(dirs: &[PathBuf]) -> Vec<String> {
    if std::env::var("HEARTH_GPU").is_ok_and(|v| v.eq_ignore_ascii_case("off")) {
        tracing::info!("HEARTH_GPU=off: no GPU backend loaded");
        return Vec::new();
    }
    let mut loaded = Vec::new();
    for name in BACKENDS {
        if !worth_loading(name) {
            continue;
        }
        let Some(path) = dirs
            .iter()
            .map(|dir| library_file(dir, name))
            .find(|path| path.is_file())
        else {
            continue;
        };
        match crate::cpu::load_library(&path) {
            Ok(()) => {
                tracing::info!(backend = name, path = %path.display(), "loaded ggml GPU backend");
                loaded.push((*name).to_owned());
            }
            // A module whose driver is missing (no libvulkan, no CUDA driver) fails here;
            // the CPU carries on alone.
            Err(reason) => tracing::warn!(backend = name, %reason, "GPU backend not loaded"),
        }
    }
    loaded
}

/// Whether the machine may have a device the backend can use. Loading the Vulkan
/// backend starts the Vulkan loader, which opens every installed driver to count
/// devices — with Mesa's drivers installed, about 60 MB of memory in each process
/// (lavapipe brings LLVM) even where none is usable. On Linux every hardware Vulkan
/// driver needs a kernel device node (`/dev/dri/renderD*`, or `/dev/nvidia*` for
/// NVIDIA's own driver); without one there is nothing to find, so the backend is not
/// loaded, unless `GGML_VK_VISIBLE_DEVICES` asks for devices explicitly (a software
/// device such as lavapipe, which ggml otherwise skips).
fn worth_loading(name: &str) -> bool {
    if name != "vulkan" || std::env::var_os("GGML_VK_VISIBLE_DEVICES").is_some() {
        return true;
    }
    if cfg!(target_os = "linux") {
        let render_node = std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        });
        let nvidia = std::fs::read_dir("/dev").is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("nvidia"))
        });
        if !render_node && !nvidia {
            tracing::debug!("no GPU device node: the Vulkan backend is not loaded");
        }
        return render_node || nvidia;
    }
    true
}

fn library_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(
        "{}ggml-{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ))
}

/// What kind of compute device ggml found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    Cpu,
    /// A discrete GPU, with memory of its own.
    Gpu,
    /// A GPU that shares the computer's memory (most laptops').
    IntegratedGpu,
    /// An accelerator ggml uses alongside the CPU (BLAS, AMX).
    Accelerator,
    Other,
}

impl DeviceKind {
    /// Whether model layers can be placed on it.
    pub fn takes_layers(self) -> bool {
        matches!(self, DeviceKind::Gpu | DeviceKind::IntegratedGpu)
    }
}

/// A compute device, as `hearth devices` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComputeDevice {
    /// ggml's index, the one `gpu_device` names by.
    pub index: usize,
    /// ggml's name for it: `Vulkan0`, `CUDA0`, `CPU`.
    pub name: String,
    /// What the driver calls it: "NVIDIA GeForce RTX 4060 Laptop GPU".
    pub description: String,
    /// The ggml backend it belongs to: `Vulkan`, `CUDA`, `Metal`, `CPU`.
    pub backend: String,
    pub kind: DeviceKind,
    pub memory_total: u64,
    pub memory_free: u64,
}

/// Every compute device ggml knows of, CPU included; starts the runtime if needed.
pub fn devices() -> Result<Vec<ComputeDevice>, LlmError> {
    crate::cpu::runtime()?;
    Ok(llama_cpp_2::list_llama_ggml_backend_devices()
        .into_iter()
        .map(|d| ComputeDevice {
            index: d.index,
            name: d.name,
            description: d.description,
            backend: d.backend,
            kind: match d.device_type {
                LlamaBackendDeviceType::Cpu => DeviceKind::Cpu,
                LlamaBackendDeviceType::Gpu => DeviceKind::Gpu,
                LlamaBackendDeviceType::IntegratedGpu => DeviceKind::IntegratedGpu,
                LlamaBackendDeviceType::Accelerator => DeviceKind::Accelerator,
                _ => DeviceKind::Other,
            },
            memory_total: d.memory_total as u64,
            memory_free: d.memory_free as u64,
        })
        .collect())
}

/// The devices model layers can go to, in ggml's order.
pub fn gpus() -> Result<Vec<ComputeDevice>, LlmError> {
    Ok(devices()?
        .into_iter()
        .filter(|d| d.kind.takes_layers())
        .collect())
}

/// How many of a model's layers go to the GPU.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GpuLayers {
    /// As many as the GPU's free memory holds with the context (all, when it fits).
    #[default]
    Auto,
    /// None: the model runs on the CPU even where a GPU is found.
    Off,
    /// This many (more than the model has means all).
    Count(u32),
}

impl GpuLayers {
    /// Halved, for another try after the GPU ran out of memory with `placed` layers;
    /// `Off` once nothing is left to take away.
    pub fn fewer_than(placed: u32) -> GpuLayers {
        match placed / 2 {
            0 => GpuLayers::Off,
            n => GpuLayers::Count(n),
        }
    }
}

impl fmt::Display for GpuLayers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpuLayers::Auto => f.write_str("auto"),
            GpuLayers::Off => f.write_str("off"),
            GpuLayers::Count(n) => write!(f, "{n}"),
        }
    }
}

impl FromStr for GpuLayers {
    type Err = String;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(GpuLayers::Auto),
            "off" | "0" | "none" | "cpu" => Ok(GpuLayers::Off),
            "all" | "max" => Ok(GpuLayers::Count(u32::MAX)),
            n => n.parse().map(GpuLayers::Count).map_err(|_| {
                format!("'{value}' is not a layer count: use auto, off, all or a number")
            }),
        }
    }
}

/// Written as `"auto"`, `"off"` or a number, as the settings file and the API take it.
impl Serialize for GpuLayers {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            GpuLayers::Count(n) => serializer.serialize_u32(*n),
            other => serializer.serialize_str(&other.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for GpuLayers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(0) => Ok(GpuLayers::Off),
            Raw::Number(n) => Ok(GpuLayers::Count(u32::try_from(n).unwrap_or(u32::MAX))),
            Raw::Text(text) => text.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Where an engine's layers went, for the model's info and the chat's speed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// The GPU's description, or `None` when everything runs on the CPU.
    pub device: Option<String>,
    /// The ggml backend of that GPU (`Vulkan`, `CUDA`, `Metal`).
    pub backend: Option<String>,
    /// Layers on the GPU, of `layers` (the output layer counts as one, as llama.cpp
    /// counts it).
    pub gpu_layers: u32,
    pub layers: u32,
    /// Why fewer layers went to the GPU than asked, in words for the user (the GPU ran
    /// out of memory on a first try), if they did.
    pub note: Option<String>,
}

impl Placement {
    pub fn cpu(layers: u32) -> Self {
        Placement {
            device: None,
            backend: None,
            gpu_layers: 0,
            layers,
            note: None,
        }
    }

    /// "CPU", "NVIDIA RTX 4060 (33/33 layers)", as the speed line shows it.
    pub fn summary(&self) -> String {
        match &self.device {
            Some(device) if self.gpu_layers > 0 => {
                format!("{device} ({}/{} layers)", self.gpu_layers, self.layers)
            }
            _ => "CPU".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_settings_read_as_the_settings_file_writes_them() {
        for (text, layers) in [
            ("auto", GpuLayers::Auto),
            ("off", GpuLayers::Off),
            ("0", GpuLayers::Off),
            ("all", GpuLayers::Count(u32::MAX)),
            ("20", GpuLayers::Count(20)),
        ] {
            assert_eq!(text.parse::<GpuLayers>(), Ok(layers), "{text}");
        }
        assert!("lots".parse::<GpuLayers>().unwrap_err().contains("lots"));
        let from_json: Vec<GpuLayers> = serde_json::from_str(r#"["auto", "off", 0, 12]"#).unwrap();
        assert_eq!(
            from_json,
            [
                GpuLayers::Auto,
                GpuLayers::Off,
                GpuLayers::Off,
                GpuLayers::Count(12)
            ]
        );
        assert_eq!(
            serde_json::to_string(&[GpuLayers::Auto, GpuLayers::Count(7)]).unwrap(),
            r#"["auto",7]"#
        );
    }

    #[test]
    fn each_retry_after_running_out_of_memory_halves_the_layers_until_none() {
        assert_eq!(GpuLayers::fewer_than(33), GpuLayers::Count(16));
        assert_eq!(GpuLayers::fewer_than(1), GpuLayers::Off);
        assert_eq!(GpuLayers::fewer_than(0), GpuLayers::Off);
    }

    #[test]
    fn the_speed_line_names_the_gpu_only_when_layers_are_on_it() {
        assert_eq!(Placement::cpu(31).summary(), "CPU");
        let on_gpu = Placement {
            device: Some("llvmpipe".into()),
            backend: Some("Vulkan".into()),
            gpu_layers: 31,
            layers: 31,
            note: None,
        };
        assert_eq!(on_gpu.summary(), "llvmpipe (31/31 layers)");
    }
}
