//! The element type of the KV cache, a setting: 16-bit floats as llama.cpp keeps them
//! by default; 8-bit blocks (q8_0), about 1.9 times the context in the same memory; or
//! 8-bit keys with 4-bit values, about 2.5 times. Keys are not taken to 4 bits: that
//! breaks some models outright (Qwen2.5-Coder-1.5B's perplexity on the Debian Reference
//! goes from 3.97 to 181 with a q4_0 key cache, and stays at 3.97 with q8_0 keys and
//! q4_0 values; BENCHMARKS.md). llama.cpp reads a quantized V cache only through flash
//! attention, so a quantized cache turns it on.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum KvCacheType {
    #[default]
    #[serde(rename = "f16")]
    F16,
    /// Keys and values in q8_0.
    #[serde(rename = "q8_0")]
    Q8_0,
    /// Keys in q8_0, values in q4_0.
    #[serde(rename = "q8_0_k_q4_0_v")]
    Q8KeysQ4Values,
}

impl KvCacheType {
    pub const ALL: [KvCacheType; 3] = [
        KvCacheType::F16,
        KvCacheType::Q8_0,
        KvCacheType::Q8KeysQ4Values,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KvCacheType::F16 => "f16",
            KvCacheType::Q8_0 => "q8_0",
            KvCacheType::Q8KeysQ4Values => "q8_0_k_q4_0_v",
        }
    }

    /// The keys' and the values' types in the model file reader's terms, for the
    /// memory estimate.
    pub fn ggml_types(self) -> (hearth_gguf::GgmlType, hearth_gguf::GgmlType) {
        use hearth_gguf::GgmlType;
        match self {
            KvCacheType::F16 => (GgmlType::F16, GgmlType::F16),
            KvCacheType::Q8_0 => (GgmlType::Q8_0, GgmlType::Q8_0),
            KvCacheType::Q8KeysQ4Values => (GgmlType::Q8_0, GgmlType::Q4_0),
        }
    }

    /// The keys' and the values' types as llama.cpp's context takes them.
    pub(crate) fn llama(
        self,
    ) -> (
        llama_cpp_2::context::params::KvCacheType,
        llama_cpp_2::context::params::KvCacheType,
    ) {
        use llama_cpp_2::context::params::KvCacheType as Llama;
        match self {
            KvCacheType::F16 => (Llama::F16, Llama::F16),
            KvCacheType::Q8_0 => (Llama::Q8_0, Llama::Q8_0),
            KvCacheType::Q8KeysQ4Values => (Llama::Q8_0, Llama::Q4_0),
        }
    }
}

impl std::str::FromStr for KvCacheType {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim().to_ascii_lowercase();
        KvCacheType::ALL
            .into_iter()
            .find(|t| t.name() == value)
            .ok_or_else(|| format!("no KV cache type `{value}`: use f16, q8_0 or q8_0_k_q4_0_v"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_settings_and_the_command_line() {
        for t in KvCacheType::ALL {
            assert_eq!(t.name().parse::<KvCacheType>(), Ok(t));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.name()));
        }
        assert!("q4_0"
            .parse::<KvCacheType>()
            .unwrap_err()
            .contains("q8_0_k_q4_0_v"));
    }
}
