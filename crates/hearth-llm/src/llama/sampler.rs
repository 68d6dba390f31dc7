//! Building llama.cpp's sampler chain from plain options, in llama.cpp's own order
//! (grammar, penalties, top-k, top-p, min-p, temperature, then the pick), so the same
//! settings behave as they do in llama-cli and llama-server.

use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;

use crate::error::LlmError;
use crate::request::GenerationOptions;

/// llama.cpp treats this seed as "choose one at random".
const RANDOM_SEED: u32 = u32::MAX;

/// `triggers` make the grammar lazy (see [`crate::EngineRequest::grammar_triggers`]).
pub fn build(
    model: &LlamaModel,
    options: &GenerationOptions,
    grammar: Option<&str>,
    triggers: &[String],
) -> Result<LlamaSampler, LlmError> {
    let mut chain = Vec::new();
    if let Some(grammar) = grammar {
        let sampler = if triggers.is_empty() {
            LlamaSampler::grammar(model, grammar, "root")
        } else {
            // With the `common` feature the binding catches llama.cpp's exceptions (a
            // bad pattern in `std::regex`), so a bad trigger is an error, not an abort.
            LlamaSampler::grammar_lazy_patterns(model, grammar, "root", triggers, &[])
        }
        .map_err(|e| LlmError::InvalidSchema {
            reason: format!("llama.cpp rejected the grammar: {e}"),
        })?;
        chain.push(sampler);
    }
    if options.repeat_penalty != 1.0 {
        chain.push(LlamaSampler::penalties(
            model.n_vocab(),
            options.repeat_last_n,
            options.repeat_penalty,
            0.0,
            0.0,
        ));
    }
    if options.temperature <= 0.0 {
        chain.push(LlamaSampler::greedy());
    } else {
        if options.top_k > 0 {
            chain.push(LlamaSampler::top_k(options.top_k));
        }
        if options.top_p < 1.0 {
            chain.push(LlamaSampler::top_p(options.top_p, 1));
        }
        if options.min_p > 0.0 {
            chain.push(LlamaSampler::min_p(options.min_p, 1));
        }
        chain.push(LlamaSampler::temp(options.temperature));
        chain.push(LlamaSampler::dist(options.seed.unwrap_or(RANDOM_SEED)));
    }
    Ok(LlamaSampler::chain_simple(chain))
}
