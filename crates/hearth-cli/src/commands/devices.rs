//! `hearth devices`: the compute devices llama.cpp can use here (the CPU and each GPU,
//! with its memory), and which GPU backends this build loaded.

use hearth_llm::{gpu, DeviceKind};
use serde_json::json;

use crate::exit;

pub fn run(json: bool) -> anyhow::Result<i32> {
    let runtime = hearth_llm::cpu::runtime()?;
    let devices = gpu::devices()?;
    if json {
        let body = json!({
            "cpu_variant": runtime.cpu_variant,
            "gpu_backends": runtime.gpu_backends,
            "devices": devices,
        });
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(exit::OK);
    }
    for device in &devices {
        let kind = match device.kind {
            DeviceKind::Cpu => "CPU",
            DeviceKind::Gpu => "GPU",
            DeviceKind::IntegratedGpu => "integrated GPU",
            DeviceKind::Accelerator => "accelerator",
            DeviceKind::Other => "other",
        };
        let memory = if device.memory_total > 0 {
            format!(
                "{} free of {}",
                gib(device.memory_free),
                gib(device.memory_total)
            )
        } else {
            String::new()
        };
        println!(
            "{:<10} {:<8} {:<15} {:<24} {}",
            device.name, device.backend, kind, memory, device.description
        );
    }
    if !devices.iter().any(|d| d.kind.takes_layers()) {
        let why = if runtime.gpu_backends.is_empty() {
            "no GPU backend was loaded (no GPU device node here, a build without one, or HEARTH_GPU=off)".to_owned()
        } else {
            format!(
                "the {} backend found no usable device",
                runtime.gpu_backends.join(" and ")
            )
        };
        eprintln!(
            "No GPU: models run on the CPU ({} kernels); {why}.",
            runtime.cpu_variant
        );
    }
    Ok(exit::OK)
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}
