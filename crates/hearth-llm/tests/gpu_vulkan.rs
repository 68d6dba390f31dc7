//! GPU offload through ggml's Vulkan backend, run on Mesa's software Vulkan driver
//! (lavapipe, Debian's `mesa-vulkan-drivers`) so it runs on a machine without a GPU.
//! ggml leaves software devices out unless `GGML_VK_VISIBLE_DEVICES` names them, so
//! every test here names device 0 before the runtime starts.
//!
//! What is checked: the device is found and listed; the model's layers really go to it;
//! the GPU picks the CPU's greedy tokens; embeddings are the CPU's within 1e-3 in
//! cosine; a GPU named that does not exist is a clear error.
//!
//! Tolerance: llama.cpp's own backend tests (test-backend-ops) hold each operation to
//! the CPU's result within a normalized mean squared error (1e-7 for most, 5e-4 for
//! quantized matrix products), not bit for bit, so a free-running greedy answer parts
//! from the CPU's at the first near-tie (SmolLM2 on lavapipe, asked for three rainbow
//! colours: "red" or "blue" after nine tokens). The comparison is therefore teacher-forced, as perplexity is measured:
//! at each of 32 positions of the CPU's greedy answer, given the CPU's tokens before
//! it, the GPU must pick the CPU's token, but for at most 2 near-ties, and never at the
//! first position.

#[allow(dead_code)] // the other models are not used here
mod support;

use std::sync::Once;

use hearth_llm::gpu::{self, DeviceKind};
use hearth_llm::{
    prepare_request, Engine, EngineSettings, GenerationOptions, GpuLayers, LlamaEmbedder,
    LlamaEngine, Prompt,
};

/// Lets ggml use lavapipe; before anything starts the runtime.
fn use_lavapipe() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| std::env::set_var("GGML_VK_VISIBLE_DEVICES", "0"));
}

fn settings(gpu_layers: GpuLayers) -> EngineSettings {
    EngineSettings {
        context_length: 512,
        parallel: 1,
        threads: Some(2),
        gpu_layers,
        ..Default::default()
    }
}

const PROMPT: &str = "The three primary colours of light are";
/// Positions compared, teacher-forced.
const POSITIONS: usize = 32;
/// Positions where the GPU may pick another token than the CPU: near-ties that the
/// backends' rounding differences tip over (see the module documentation).
const NEAR_TIES_ALLOWED: usize = 2;

fn greedy_one() -> GenerationOptions {
    GenerationOptions {
        max_tokens: Some(1),
        ignore_eos: true,
        ..GenerationOptions::greedy()
    }
}

/// The CPU's greedy continuation of [`PROMPT`], as token ids after the prompt's.
fn cpu_continuation(engine: &LlamaEngine) -> (Vec<u32>, usize) {
    let options = GenerationOptions {
        max_tokens: Some(POSITIONS as u32),
        ignore_eos: true,
        ..GenerationOptions::greedy()
    };
    let generation = engine.submit(prepare_request(Prompt::Text(PROMPT.into()), options).unwrap());
    let completion = generation.unwrap().stream(|_| {}).unwrap();
    let prompt = engine.tokenize(PROMPT, true).unwrap();
    let all = engine
        .tokenize(&format!("{PROMPT}{}", completion.text), true)
        .unwrap();
    assert_eq!(&all[..prompt.len()], &prompt[..]);
    (all, prompt.len())
}

/// At each position after the prompt, given the CPU's tokens before it, the token
/// `engine` picks greedily: how many are the CPU's.
fn agreement(engine: &LlamaEngine, tokens: &[u32], prompt_len: usize) -> (usize, Vec<String>) {
    let mut same = 0;
    let mut differences = Vec::new();
    for i in prompt_len..tokens.len() {
        let request = prepare_request(Prompt::Tokens(tokens[..i].to_vec()), greedy_one()).unwrap();
        let picked = engine.submit(request).unwrap().stream(|_| {}).unwrap().text;
        let expected = engine.detokenize(&tokens[i..=i]).unwrap();
        if picked == expected {
            same += 1;
        } else {
            differences.push(format!(
                "at {}: {expected:?} on the CPU, {picked:?} here",
                i - prompt_len
            ));
        }
    }
    (same, differences)
}

#[test]
fn lavapipe_is_found_as_a_vulkan_device() {
    use_lavapipe();
    let runtime = hearth_llm::cpu::runtime().unwrap();
    assert!(
        runtime.gpu_backends.iter().any(|b| b == "vulkan"),
        "the Vulkan backend was not loaded ({:?}): build with the `vulkan` feature (hearth-cli's default) and install libvulkan1",
        runtime.gpu_backends
    );
    let gpus = gpu::gpus().unwrap();
    let lavapipe = gpus
        .iter()
        .find(|d| d.backend == "Vulkan" && d.description.contains("llvmpipe"))
        .unwrap_or_else(|| {
            panic!("no lavapipe device among {gpus:?}: install mesa-vulkan-drivers")
        });
    assert!(matches!(
        lavapipe.kind,
        DeviceKind::Gpu | DeviceKind::IntegratedGpu
    ));
    assert!(lavapipe.memory_total > 0, "{lavapipe:?}");
    // The CPU is listed too.
    assert!(gpu::devices()
        .unwrap()
        .iter()
        .any(|d| d.kind == DeviceKind::Cpu));
}

#[test]
fn a_greedy_answer_on_the_gpu_is_the_cpus_but_for_near_ties() {
    use_lavapipe();
    let on_cpu = LlamaEngine::load(&support::smollm2(), &settings(GpuLayers::Off)).unwrap();
    let cpu_placement = on_cpu.info().placement.unwrap();
    assert_eq!(cpu_placement.gpu_layers, 0, "{cpu_placement:?}");
    assert_eq!(cpu_placement.summary(), "CPU");
    let (tokens, prompt_len) = cpu_continuation(&on_cpu);
    assert!(tokens.len() - prompt_len >= POSITIONS - 2, "{tokens:?}");
    // The measure itself is sound: the CPU, teacher-forced, picks its own tokens.
    let (cpu_same, cpu_differences) = agreement(&on_cpu, &tokens, prompt_len);
    assert_eq!(cpu_same, tokens.len() - prompt_len, "{cpu_differences:?}");
    drop(on_cpu);

    let on_gpu =
        LlamaEngine::load(&support::smollm2(), &settings(GpuLayers::Count(u32::MAX))).unwrap();
    let placement = on_gpu.info().placement.unwrap();
    // SmolLM2-135M: 30 blocks and the output layer, all on the device.
    assert_eq!(
        (placement.gpu_layers, placement.layers),
        (31, 31),
        "{placement:?}"
    );
    assert!(placement.device.as_deref().unwrap().contains("llvmpipe"));
    assert_eq!(placement.backend.as_deref(), Some("Vulkan"));
    let (gpu_same, differences) = agreement(&on_gpu, &tokens, prompt_len);
    assert!(
        gpu_same + NEAR_TIES_ALLOWED >= tokens.len() - prompt_len,
        "the GPU picked other tokens than the CPU at {} of {} positions: {differences:?}",
        tokens.len() - prompt_len - gpu_same,
        tokens.len() - prompt_len
    );
    // Where the answer starts, there is no near-tie: the first token is the same.
    assert!(
        differences.iter().all(|d| !d.starts_with("at 0:")),
        "{differences:?}"
    );
}

#[test]
fn auto_fits_the_whole_small_model_on_the_gpu() {
    use_lavapipe();
    let engine = LlamaEngine::load(&support::smollm2(), &settings(GpuLayers::Auto)).unwrap();
    let placement = engine.info().placement.unwrap();
    assert_eq!(placement.gpu_layers, placement.layers, "{placement:?}");
    assert!(placement.note.is_none(), "{placement:?}");
}

#[test]
fn a_gpu_named_that_does_not_exist_is_a_clear_error() {
    use_lavapipe();
    let mut wrong = settings(GpuLayers::Auto);
    wrong.gpu_device = Some("Vulkan7".into());
    let error = match LlamaEngine::load(&support::smollm2(), &wrong) {
        Err(e) => e,
        Ok(_) => panic!("a GPU that does not exist was accepted"),
    };
    assert_eq!(error.code(), "NO_SUCH_GPU");
    let message = error.to_string();
    assert!(
        message.contains("Vulkan7") && message.contains("Vulkan0"),
        "{message}"
    );
    // By name it works.
    let mut named = settings(GpuLayers::Count(4));
    named.gpu_device = Some("Vulkan0".into());
    let engine = LlamaEngine::load(&support::smollm2(), &named).unwrap();
    assert_eq!(engine.info().placement.unwrap().gpu_layers, 4);
}

#[test]
fn embeddings_on_the_gpu_are_the_cpus_within_1e_3() {
    use_lavapipe();
    let dir = tempfile::tempdir().unwrap();
    let gguf = dir.path().join("all-MiniLM-L6-v2.gguf");
    hearth_models::convert_bert(&support::minilm_dir(), &gguf).unwrap();
    let texts: Vec<String> = [
        "The quick brown fox jumps over the lazy dog.",
        "A private assistant runs entirely on your own laptop.",
        "Invoice #4521 is due on 2024-03-15 for $1,250.00.",
        "Café au lait in Zürich costs more than in Paris.",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let cpu = LlamaEmbedder::load_on(&gguf, Some(2), GpuLayers::Off).unwrap();
    assert_eq!(cpu.info().placement.clone().unwrap().gpu_layers, 0);
    let on_cpu = cpu.embed(&texts).unwrap();
    drop(cpu);
    let gpu = LlamaEmbedder::load_on(&gguf, Some(2), GpuLayers::Count(u32::MAX)).unwrap();
    let placement = gpu.info().placement.clone().unwrap();
    assert_eq!(placement.gpu_layers, placement.layers, "{placement:?}");
    let on_gpu = gpu.embed(&texts).unwrap();
    for (text, (a, b)) in texts.iter().zip(on_cpu.iter().zip(&on_gpu)) {
        // Both are L2-normalized: the dot product is the cosine.
        let cosine: f32 = a.vector.iter().zip(&b.vector).map(|(x, y)| x * y).sum();
        assert!(cosine > 1.0 - 1e-3, "{text}: cosine {cosine}");
    }
}
