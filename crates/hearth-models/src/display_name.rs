//! The name a person reads for a model file: the catalog's name when the file is a
//! catalog model (whatever its quantization or who converted it), else the name in its
//! header cleaned of converter noise, else its file name without the quantization.
//!
//! Conversion scripts write `general.name` from a training folder's name, title-cased
//! ("Smollm2 135M 8k Lc100K Mix1 Ep2"), and file names carry the quantization
//! ("…-Q4_K_M.gguf"); neither is what the model is called. The size and quantization are
//! shown beside the name as detail, so they are dropped from it here.

use crate::catalog::Catalog;

/// The name to show for the model in `file_name` whose header names it `general_name`.
pub fn display_name(catalog: &Catalog, file_name: &str, general_name: Option<&str>) -> String {
    let base = base_name(file_name);
    if let Some(entry) = catalog
        .models
        .iter()
        .find(|entry| !base.is_empty() && base_name(&entry.file) == base)
    {
        return entry.name.clone();
    }
    let spelled = clean(&strip_quantization(strip_extension(file_name)).replace(['-', '_'], " "));
    if let Some(name) = general_name.map(clean).filter(|n| !n.is_empty()) {
        // A header name that is only the converter's title-casing of the file's name
        // reads better in the file's own mixed case ("SmolLM2", not "Smollm2").
        let file_cased = spelled.chars().any(|c| c.is_uppercase());
        if !(file_cased && base_name(&name) == base) {
            return name;
        }
    }
    if spelled.is_empty() {
        file_name.to_string()
    } else {
        spelled
    }
}

/// The file name without extension and quantization, lower case, words joined by '-':
/// "SmolLM2-135M-Instruct.Q4_1.gguf" and "SmolLM2-135M-Instruct-Q4_K_M.gguf" are both
/// "smollm2-135m-instruct".
fn base_name(file_name: &str) -> String {
    let stem = strip_quantization(strip_extension(file_name)).to_lowercase();
    stem.split(['-', '_', ' ', '.'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn strip_extension(file_name: &str) -> &str {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".gguf") {
        &file_name[..file_name.len() - 5]
    } else {
        file_name
    }
}

/// Drops a trailing quantization tag ("Q4_K_M", "q8_0", "IQ3_XS", "F16", "BF16") and
/// the separator before it.
fn strip_quantization(stem: &str) -> &str {
    let Some(at) = stem.rfind(['-', '.', '_']) else {
        return stem;
    };
    // "Q4_K_M" contains '_' itself: look back to the separator before the tag's start.
    let mut start = at;
    let mut cut = None;
    loop {
        if is_quantization(&stem[start + 1..]) {
            cut = Some(start);
        }
        match stem[..start].rfind(['-', '.', '_']) {
            Some(before) if start - before <= 4 => start = before,
            _ => break,
        }
    }
    match cut {
        Some(cut) => &stem[..cut],
        None => stem,
    }
}

fn is_quantization(tag: &str) -> bool {
    let upper = tag.to_ascii_uppercase();
    if matches!(upper.as_str(), "F16" | "BF16" | "F32" | "FP16" | "FP32") {
        return true;
    }
    let rest = upper
        .strip_prefix("IQ")
        .or_else(|| upper.strip_prefix('Q'))
        .unwrap_or("");
    rest.starts_with(|c: char| c.is_ascii_digit())
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whitespace and underscores collapsed to single spaces; quantization and training-run
/// tags a converter copied from a folder name ("8k", "Lc100K", "Mix1", "Ep2") dropped.
fn clean(name: &str) -> String {
    let words: Vec<&str> = name
        .split(|c: char| c.is_whitespace() || c == '_')
        .filter(|w| !w.is_empty())
        .collect();
    // Run tags come after the name proper: drop them from the end only.
    let mut end = words.len();
    while end > 1 && is_run_tag(words[end - 1]) {
        end -= 1;
    }
    words[..end].join(" ")
}

/// "Ep2", "Mix1", "Lc100K", "8k", "Q4_K_M": tags of a training run or a file, not of a
/// model's name. Sizes ("135M", "1.5B") and versions ("v0.3") are kept.
fn is_run_tag(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    if is_quantization(word) {
        return true;
    }
    let tagged = |prefix: &str| {
        lower.strip_prefix(prefix).is_some_and(|rest| {
            !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_alphanumeric())
                && rest.starts_with(|c: char| c.is_ascii_digit())
        })
    };
    // A context length written as "8k" or "32K".
    let context = lower
        .strip_suffix('k')
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    context
        || ["ep", "mix", "lc", "step", "ckpt", "run"]
            .iter()
            .any(|p| tagged(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> &'static Catalog {
        crate::catalog::builtin().unwrap()
    }

    #[test]
    fn a_catalog_model_has_the_catalog_name_whatever_its_quantization() {
        assert_eq!(
            display_name(
                catalog(),
                "SmolLM2-135M-Instruct.Q4_1.gguf",
                Some("Smollm2 135M 8k Lc100K Mix1 Ep2")
            ),
            "SmolLM2 135M Instruct"
        );
        assert_eq!(
            display_name(catalog(), "qwen2.5-1.5b-instruct-q8_0.gguf", None),
            "Qwen2.5 1.5B Instruct"
        );
        assert_eq!(
            display_name(
                catalog(),
                "Llama-3.2-1B-Instruct-IQ3_XS.gguf",
                Some("Llama 3.2 1B Instruct")
            ),
            "Llama 3.2 1B Instruct"
        );
    }

    #[test]
    fn other_models_have_their_header_name_without_run_tags() {
        assert_eq!(
            display_name(
                catalog(),
                "model.gguf",
                Some("Smollm2 360M 8k Lc100K Mix1 Ep2")
            ),
            "Smollm2 360M"
        );
        assert_eq!(
            display_name(
                catalog(),
                "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                Some("Qwen2.5 Coder 1.5B Instruct")
            ),
            "Qwen2.5 Coder 1.5B Instruct"
        );
        assert_eq!(
            display_name(catalog(), "x.gguf", Some("Mistral_7B  Instruct v0.3")),
            "Mistral 7B Instruct v0.3"
        );
    }

    #[test]
    fn a_header_name_that_only_title_cases_a_mixed_case_file_name_gives_way_to_it() {
        assert_eq!(
            display_name(catalog(), "gemma-3-270m-q4_k_m.gguf", Some("Gemma 3 270m")),
            "Gemma 3 270m"
        );
        assert_eq!(
            display_name(
                catalog(),
                "TinyLlama-1.1B-Chat-v1.0.Q4_K_M.gguf",
                Some("Tinyllama 1.1B Chat v1.0")
            ),
            "TinyLlama 1.1B Chat v1.0"
        );
    }

    #[test]
    fn without_a_header_name_the_file_name_is_spelled_out() {
        assert_eq!(
            display_name(catalog(), "my_finetune-Q5_K_S.gguf", None),
            "my finetune"
        );
        assert_eq!(display_name(catalog(), "Q4_K_M.gguf", None), "Q4 K M");
    }

    #[test]
    fn quantization_tags_are_recognized() {
        for tag in ["Q4_K_M", "q8_0", "IQ3_XS", "F16", "bf16", "Q4_1", "Q6_K"] {
            assert!(is_quantization(tag), "{tag}");
        }
        for tag in ["Instruct", "135M", "v0.3", "Qwen2"] {
            assert!(!is_quantization(tag), "{tag}");
        }
        assert_eq!(
            strip_quantization("SmolLM2-135M-Instruct.Q4_1"),
            "SmolLM2-135M-Instruct"
        );
        assert_eq!(
            strip_quantization("Mistral-7B-Instruct-v0.3-Q4_K_M"),
            "Mistral-7B-Instruct-v0.3"
        );
        assert_eq!(strip_quantization("gemma-3-270m-q4_k_m"), "gemma-3-270m");
    }
}
