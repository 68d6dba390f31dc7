//! A quantized KV cache (q8_0; q8_0 keys with q4_0 values) on the real default model: the model loads (flash
//! attention turned on, which llama.cpp needs for a quantized V), answers, and picks the
//! f16 cache's greedy tokens but for a few, teacher-forced as in `gpu_vulkan.rs` (each
//! position given the f16 answer's tokens before it); its saved contexts go to a folder
//! of their own, since a state holds the cache in its element type.

mod support;

use hearth_llm::{
    prepare_request, Engine, EngineSettings, GenerationOptions, KvCacheType, LlamaEngine, Prompt,
};

const PROMPT: &str = "<|im_start|>user\nName the planets of the solar system, in order from the sun.<|im_end|>\n<|im_start|>assistant\n";
const POSITIONS: usize = 32;

fn engine(kv_cache: KvCacheType, saved: Option<&std::path::Path>) -> LlamaEngine {
    let settings = EngineSettings {
        context_length: 512,
        parallel: 1,
        threads: Some(2),
        kv_cache,
        saved_contexts: saved.map(|p| p.to_path_buf()),
        ..Default::default()
    };
    LlamaEngine::load(&support::smollm2(), &settings).unwrap()
}

fn greedy(max_tokens: u32) -> GenerationOptions {
    GenerationOptions {
        max_tokens: Some(max_tokens),
        ignore_eos: true,
        speculative: Some(false),
        ..GenerationOptions::greedy()
    }
}

/// The text of the next greedy token after `tokens`.
fn next_piece(engine: &LlamaEngine, tokens: &[u32]) -> String {
    let request = prepare_request(Prompt::Tokens(tokens.to_vec()), greedy(1)).unwrap();
    engine.submit(request).unwrap().stream(|_| {}).unwrap().text
}

#[test]
fn quantized_caches_answer_as_the_f16_cache_does_but_for_a_few_tokens() {
    let f16 = engine(KvCacheType::F16, None);
    let prompt = f16.tokenize(PROMPT, true).unwrap();
    let request =
        prepare_request(Prompt::Tokens(prompt.clone()), greedy(POSITIONS as u32)).unwrap();
    let answer = f16.submit(request).unwrap().stream(|_| {}).unwrap().text;
    let all = f16
        .tokenize(
            &format!("{}{answer}", f16.detokenize(&prompt).unwrap()),
            false,
        )
        .unwrap();
    assert!(all.len() >= prompt.len() + POSITIONS / 2, "{answer}");
    // Each engine's pick at every position, given the same tokens before it.
    let picks = |engine: &LlamaEngine| -> Vec<String> {
        (prompt.len()..all.len())
            .map(|at| next_piece(engine, &all[..at]))
            .collect()
    };
    let reference = picks(&f16);
    drop(f16);
    for (kv, allowed) in [(KvCacheType::Q8_0, 2), (KvCacheType::Q8KeysQ4Values, 4)] {
        let engine = engine(kv, None);
        let differ: Vec<usize> = picks(&engine)
            .iter()
            .zip(&reference)
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(i, _)| i)
            .collect();
        eprintln!(
            "{}: {} of {} positions differ from f16: {differ:?}",
            kv.name(),
            differ.len(),
            reference.len()
        );
        assert!(differ.len() <= allowed, "{}: {differ:?}", kv.name());
    }
}

#[test]
fn a_quantized_cache_keeps_its_saved_contexts_apart() {
    let root = tempfile::tempdir().unwrap();
    let contexts = root.path().join("contexts");
    for kv in [KvCacheType::F16, KvCacheType::Q8_0] {
        let engine = engine(kv, Some(&contexts));
        let request = prepare_request(Prompt::Text(PROMPT.repeat(4)), greedy(4)).unwrap();
        engine.submit(request).unwrap().stream(|_| {}).unwrap();
        // Stopping saves every sequence's context.
        drop(engine);
    }
    let folders: Vec<String> = std::fs::read_dir(&contexts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders.len(), 2, "{folders:?}");
    assert_eq!(
        folders.iter().filter(|f| f.ends_with("-q8_0")).count(),
        1,
        "{folders:?}"
    );
    // The same tokens take about half the bytes in q8_0 (34 bytes per 32 values against
    // 64): the cache really is quantized.
    let bytes = |quantized: bool| -> u64 {
        let folder = folders
            .iter()
            .find(|f| f.ends_with("-q8_0") == quantized)
            .unwrap();
        std::fs::read_dir(contexts.join(folder))
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum()
    };
    let (f16, q8) = (bytes(false), bytes(true));
    assert!(f16 > 0 && q8 * 10 < f16 * 7, "f16 {f16} bytes, q8_0 {q8}");
}
