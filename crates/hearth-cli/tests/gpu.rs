//! GPU offload from the command line, on Mesa's software Vulkan driver (lavapipe):
//! `hearth devices` lists it; `hearth run` with layers on it answers, with llama.cpp's
//! own log saying the layers were offloaded and the stats line naming the device; the
//! model worker (the default) carries the choice; and a device that cannot take the
//! model (ggml told its buffers may be 1 KiB at most) gets fewer layers, down to none,
//! with a note saying why, not a failure.
//!
//! Without `GGML_VK_VISIBLE_DEVICES` ggml skips software devices, so the same machine
//! also shows what a laptop without a GPU sees.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::{describe, hearth, text};

const QUESTION: &str = "Name three colours of the rainbow.";

/// `hearth` with lavapipe visible, SmolLM2 by path, and llama.cpp's info log on stderr.
fn on_lavapipe(home: &Path) -> Command {
    let mut command = hearth(home);
    command
        .env("GGML_VK_VISIBLE_DEVICES", "0")
        .env("HEARTH_LOG", "warn,llama-cpp-2=info");
    command
}

fn run(home: &Path, gpu_layers: &str, extra_env: &[(&str, &str)]) -> Output {
    let model = support::models::smollm2();
    let mut command = on_lavapipe(home);
    command.envs(extra_env.iter().copied()).args([
        "--gpu-layers",
        gpu_layers,
        "run",
        "--model",
        model.to_str().unwrap(),
        "--temperature",
        "0",
        "-n",
        "24",
        "--stats",
        QUESTION,
    ]);
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    output
}

#[test]
fn devices_lists_lavapipe_only_when_ggml_may_use_it() {
    let home = tempfile::tempdir().unwrap();
    let output = on_lavapipe(home.path())
        .args(["--json", "devices"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        listed["gpu_backends"],
        serde_json::json!(["vulkan"]),
        "{listed}"
    );
    let devices = listed["devices"].as_array().unwrap();
    let vulkan = devices
        .iter()
        .find(|d| d["backend"] == "Vulkan")
        .unwrap_or_else(|| panic!("no Vulkan device: {listed}"));
    assert_eq!(vulkan["name"], "Vulkan0");
    assert!(
        vulkan["description"].as_str().unwrap().contains("llvmpipe"),
        "{vulkan}"
    );
    assert!(vulkan["memory_total"].as_u64().unwrap() > 0, "{vulkan}");
    assert!(devices.iter().any(|d| d["kind"] == "cpu"), "{listed}");

    // As on a laptop without a GPU: the backend loads, finds nothing, and says so.
    let plain = hearth(home.path()).args(["devices"]).output().unwrap();
    assert!(plain.status.success(), "{}", describe(&plain));
    assert!(
        !text(&plain.stdout).contains("Vulkan0"),
        "{}",
        describe(&plain)
    );
    assert!(
        text(&plain.stderr).contains("No GPU: models run on the CPU"),
        "{}",
        describe(&plain)
    );
}

#[test]
fn every_layer_goes_to_the_gpu_and_llama_cpp_says_so() {
    let home = tempfile::tempdir().unwrap();
    let cpu = run(home.path(), "off", &[]);
    let cpu_stderr = text(&cpu.stderr);
    assert!(cpu_stderr.contains("tokens/s on CPU"), "{cpu_stderr}");
    assert!(
        cpu_stderr.contains("offloaded 0/31 layers to GPU"),
        "{cpu_stderr}"
    );

    let gpu = run(home.path(), "all", &[]);
    let stderr = text(&gpu.stderr);
    // llama.cpp's own report, from the model worker that loaded it.
    assert!(
        stderr.contains("offloaded 31/31 layers to GPU"),
        "llama.cpp did not report the layers offloaded:\n{stderr}"
    );
    assert!(
        stderr.contains("on llvmpipe") && stderr.contains("(31/31 layers)"),
        "{stderr}"
    );
    // The answers themselves are compared token by token in hearth-llm's gpu_vulkan
    // tests (teacher-forced; a free-running answer parts at the first near-tie).
    assert!(!text(&gpu.stdout).trim().is_empty(), "{}", describe(&gpu));
}

#[test]
fn a_gpu_that_cannot_take_the_model_gets_fewer_layers_with_a_note() {
    let home = tempfile::tempdir().unwrap();
    // No buffer on the device may be over 1 KiB: the context's memory cannot go there.
    let squeezed = run(
        home.path(),
        "all",
        &[
            ("GGML_VK_FORCE_MAX_ALLOCATION_SIZE", "1024"),
            ("GGML_VK_FORCE_MAX_BUFFER_SIZE", "1024"),
        ],
    );
    let stderr = text(&squeezed.stderr);
    assert!(
        stderr.contains("note: the GPU could not hold 31 layers")
            && stderr.contains("so the model runs"),
        "no note says why the model left the GPU:\n{stderr}"
    );
    assert!(!stderr.contains("(31/31 layers)"), "{stderr}");
    assert!(
        !text(&squeezed.stdout).trim().is_empty(),
        "{}",
        describe(&squeezed)
    );
}

#[test]
fn models_info_says_where_the_layers_would_go() {
    let home = tempfile::tempdir().unwrap();
    let model = support::models::smollm2();
    let info = |gpu_layers: &str| {
        let output = on_lavapipe(home.path())
            .args(["--json", "--gpu-layers", gpu_layers, "models", "info"])
            .arg(&model)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", describe(&output));
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let on_gpu = info("auto");
    let gpu = &on_gpu["gpu"];
    assert!(
        gpu["device"].as_str().unwrap().contains("llvmpipe"),
        "{on_gpu}"
    );
    assert_eq!(
        (gpu["gpu_layers"].as_u64(), gpu["layers"].as_u64()),
        (Some(31), Some(31)),
        "{on_gpu}"
    );
    assert_eq!(gpu["vram_verdict"], "Fits", "{on_gpu}");
    assert!(gpu["vram_needed"].as_u64().unwrap() > 0);
    // What the GPU holds is not counted again in the computer's memory.
    assert_eq!(on_gpu["verdict"], "Fits", "{on_gpu}");

    let on_cpu = info("off");
    assert!(on_cpu["gpu"].is_null(), "{on_cpu}");
}

#[test]
fn a_model_worker_killed_by_the_gpu_driver_is_replaced_with_fewer_layers() {
    let home = tempfile::tempdir().unwrap();
    // ggml reads this number with std::stoull as it sets the device up for the model;
    // a word makes that throw, and llama.cpp aborts the worker (SIGABRT) mid-load —
    // as a driver crash would.
    let crashed = run(
        home.path(),
        "all",
        &[("GGML_VK_FORCE_MAX_ALLOCATION_SIZE", "not-a-number")],
    );
    let stderr = text(&crashed.stderr);
    assert!(
        stderr.contains("the model worker died while loading"),
        "the worker did not die on the GPU, so this test tests nothing:\n{stderr}"
    );
    assert!(stderr.contains("tokens/s on CPU"), "{stderr}");
    assert!(
        stderr.contains("note: the GPU could not hold") && stderr.contains("runs on the CPU alone"),
        "{stderr}"
    );
    assert!(
        !text(&crashed.stdout).trim().is_empty(),
        "{}",
        describe(&crashed)
    );
}
