//! Where a model's layers go as it loads: the GPU devices to use (all, the one the
//! settings name, or none) and how many layers, fitted to the device's free memory by
//! llama.cpp's `common_fit_params` when the setting is `auto`.
//!
//! Without a GPU device this changes nothing: the parameters llama.cpp gets are the
//! ones a CPU-only build gives it. With one and `off`, the model is given no device at
//! all, so not even large prompt batches are sent to the GPU.

use std::ffi::CString;
use std::path::Path;
use std::pin::Pin;
use std::sync::Mutex;

use llama_cpp_2::model::params::LlamaModelParams;

use super::EngineSettings;
use crate::cpu::Runtime;
use crate::error::{LlmError, Result};
use crate::gpu::{self, ComputeDevice, GpuLayers, Placement};

/// What was decided before loading: the devices, and the layers asked for.
pub(super) struct Decision {
    /// The GPU layers go to (the first, when several are used), if any.
    pub device: Option<ComputeDevice>,
    /// `None` when every layer stays on the CPU.
    pub requested: Option<u32>,
}

impl Decision {
    /// Where the layers went once the model (of `layers` layers) loaded.
    pub fn placement(&self, layers: u32, note: Option<String>) -> Placement {
        match (&self.device, self.requested) {
            (Some(device), Some(requested)) => Placement {
                device: Some(device.description.clone()),
                backend: Some(device.backend.clone()),
                gpu_layers: requested.min(layers),
                layers,
                note,
            },
            _ => Placement {
                note,
                ..Placement::cpu(layers)
            },
        }
    }
}

/// Sets the devices and layer count on `params` for `settings`.
pub(super) fn decide(
    path: &Path,
    settings: &EngineSettings,
    runtime: &Runtime,
    params: &mut LlamaModelParams,
) -> Result<Decision> {
    let cpu_only = Decision {
        device: None,
        requested: None,
    };
    if runtime.gpu_backends.is_empty() {
        return Ok(cpu_only);
    }
    let gpus = gpu::gpus()?;
    if gpus.is_empty() {
        return Ok(cpu_only);
    }
    let chosen: Vec<ComputeDevice> = match &settings.gpu_device {
        Some(name) => {
            let found = gpus
                .iter()
                .find(|d| d.name.eq_ignore_ascii_case(name) || d.description == *name)
                .cloned()
                .ok_or_else(|| LlmError::NoSuchGpu {
                    name: name.clone(),
                    available: gpus
                        .iter()
                        .map(|d| format!("{} ({})", d.name, d.description))
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            vec![found]
        }
        None => gpus,
    };
    if settings.gpu_layers == GpuLayers::Off {
        return on_cpu_alone(params).map(|()| cpu_only);
    }
    let indices: Vec<usize> = chosen.iter().map(|d| d.index).collect();
    take(params, |p| p.with_devices(&indices))?;
    let requested = match settings.gpu_layers {
        GpuLayers::Count(n) => {
            *params = std::mem::take(params).with_n_gpu_layers(n);
            n
        }
        GpuLayers::Auto => fit(path, settings, params)?,
        GpuLayers::Off => unreachable!("handled above"),
    };
    if requested == 0 {
        return on_cpu_alone(params).map(|()| cpu_only);
    }
    Ok(Decision {
        device: chosen.into_iter().next(),
        requested: Some(requested),
    })
}

/// No device at all (llama.cpp would otherwise still send large batches to the GPU),
/// and no layer asked for, so llama.cpp's own log says 0 were offloaded.
fn on_cpu_alone(params: &mut LlamaModelParams) -> Result<()> {
    take(params, |p| p.with_devices(&[]))?;
    *params = std::mem::take(params).with_n_gpu_layers(0);
    Ok(())
}

fn take(
    params: &mut LlamaModelParams,
    change: impl FnOnce(
        LlamaModelParams,
    ) -> std::result::Result<LlamaModelParams, llama_cpp_2::LlamaCppError>,
) -> Result<()> {
    let changed = change(std::mem::take(params)).map_err(|e| LlmError::BackendUnavailable {
        reason: format!("cannot choose the GPU: {e}"),
    })?;
    *params = changed;
    Ok(())
}

/// Asks llama.cpp how many layers fit in the chosen devices' free memory with this
/// context, less [`gpu::FIT_MARGIN_BYTES`] each; returns them (`u32::MAX` for all).
/// A model that fits nowhere on the GPU gets 0 and runs on the CPU.
fn fit(path: &Path, settings: &EngineSettings, params: &mut LlamaModelParams) -> Result<u32> {
    // common_fit_params swaps llama.cpp's global logger while it works.
    static FITTING: Mutex<()> = Mutex::new(());
    let train = hearth_gguf::read_header(path)
        .ok()
        .and_then(|file| file.summary().context_length)
        .unwrap_or(4096) as u32;
    let (mut cparams, sizes) = super::context_params(settings, train);
    let c_path =
        CString::new(path.to_string_lossy().as_bytes()).map_err(|_| LlmError::ModelNotFound {
            path: path.to_path_buf(),
        })?;
    let mut margins = vec![gpu::FIT_MARGIN_BYTES; llama_cpp_2::max_devices().max(1)];
    let _guard = FITTING.lock().unwrap_or_else(|e| e.into_inner());
    let fitted = Pin::new(&mut *params).fit_params(
        &c_path,
        &mut cparams,
        &mut margins,
        // The context is the user's setting: never shrunk to make room.
        sizes.total(),
        llama_cpp_sys_2::GGML_LOG_LEVEL_DEBUG,
    );
    match fitted {
        Ok(_) => Ok(match params.n_gpu_layers() {
            n if n < 0 => u32::MAX,
            n => n as u32,
        }),
        Err(e) => {
            tracing::warn!(error = %e, path = %path.display(), "the model does not fit the GPU; it runs on the CPU");
            *params = std::mem::take(params).with_n_gpu_layers(0);
            Ok(0)
        }
    }
}
