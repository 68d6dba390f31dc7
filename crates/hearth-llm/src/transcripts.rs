//! Reasoning models' outputs recorded token by token, for tests of everything that
//! carries thinking (the splitters, the chat core, the store, the API), replayed through
//! the [`crate::fake::FakeEngine`] with the model's real chat template.
//!
//! No reasoning model runs on the test machines, so each transcript is the exact text
//! such a model emits, cut where its tokenizer cuts (markers such as `<think>` and
//! `<|channel|>` are single tokens), taken from llama.cpp's own records of those models'
//! outputs (`tests/test-chat.cpp` of the llama.cpp that llama-cpp-python 0.3.36
//! vendors) and the templates' examples. The templates are llama.cpp's
//! `models/templates/*.jinja`, fetched into `.testdata/chat-templates/` by
//! `scripts/fetch-test-templates.sh`.

use std::path::PathBuf;

/// One recorded output and how it must split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transcript {
    /// Which model family wrote it.
    pub model: &'static str,
    /// The chat template file in `.testdata/chat-templates/`.
    pub template: &'static str,
    /// The raw output, one token's text at a time.
    pub tokens: &'static [&'static str],
    /// The thinking it must give.
    pub thinking: &'static str,
    /// The answer it must give.
    pub answer: &'static str,
}

impl Transcript {
    /// The raw output as one text.
    pub fn raw(&self) -> String {
        self.tokens.concat()
    }

    /// The template it was recorded with, read from `.testdata/chat-templates/`.
    pub fn template_text(&self) -> Result<String, String> {
        chat_template(self.template)
    }
}

/// Qwen3 thinking by default: the template opens no block, the model writes
/// `<think>\n…\n</think>\n\n` (single tokens 151667 and 151668) and then the answer.
pub const QWEN3: Transcript = Transcript {
    model: "Qwen3",
    template: "Qwen-Qwen3-0.6B.jinja",
    tokens: &[
        "<think>", "\n", "Okay", ",", " the", " user", " is", " asking", " how", " many",
        " times", " the", " letter", " '", "r", "'", " appears", " in", " \"", "str", "aw",
        "berry", "\".", " Let", " me", " spell", " it", ":", " s", "-t", "-r", "-a", "-w",
        "-b", "-e", "-r", "-r", "-y", ".", " That", "'s", " three", " r", "'s", ".\n",
        "</think>", "\n\n", "There", " are", " **", "3", "**", " r", "'s", " in", " \"",
        "str", "aw", "berry", "\".",
    ],
    thinking: "Okay, the user is asking how many times the letter 'r' appears in \"strawberry\". Let me spell it: s-t-r-a-w-b-e-r-r-y. That's three r's.",
    answer: "There are **3** r's in \"strawberry\".",
};

/// gpt-oss (harmony): thinking on the `analysis` channel, the answer on `final`; the
/// prompt ends with `<|start|>assistant`. As in llama.cpp's test-chat.cpp for
/// openai-gpt-oss-120b.jinja, with the end-of-generation `<|return|>` left out (the
/// engine never writes it).
pub const GPT_OSS: Transcript = Transcript {
    model: "gpt-oss",
    template: "openai-gpt-oss-120b.jinja",
    tokens: &[
        "<|channel|>",
        "analysis",
        "<|message|>",
        "The",
        " user",
        " asks",
        " what",
        " 2",
        "+",
        "2",
        " is",
        ".",
        " Simple",
        " arithmetic",
        ":",
        " 4",
        ".",
        "<|end|>",
        "<|start|>",
        "assistant",
        "<|channel|>",
        "final",
        "<|message|>",
        "2",
        " +",
        " 2",
        " =",
        " **",
        "4",
        "**",
        ".",
    ],
    thinking: "The user asks what 2+2 is. Simple arithmetic: 4.",
    answer: "2 + 2 = **4**.",
};

/// Magistral / Ministral reasoning: `[THINK]…[/THINK]` (control tokens), then the
/// answer, as in test-chat.cpp for mistralai-Ministral-3-14B-Reasoning-2512.jinja.
pub const MINISTRAL: Transcript = Transcript {
    model: "Ministral-3-Reasoning",
    template: "mistralai-Ministral-3-14B-Reasoning-2512.jinja",
    tokens: &[
        "[THINK]", "I", "'m", "\n", "thinking", "[/THINK]", "Hello", ",", " world", "!", "\n",
        "What", "'s", " up", "?",
    ],
    thinking: "I'm\nthinking",
    answer: "Hello, world!\nWhat's up?",
};

/// Seed-OSS: `<seed:think>…</seed:think>`, as in test-chat.cpp for
/// ByteDance-Seed-OSS.jinja.
pub const SEED_OSS: Transcript = Transcript {
    model: "Seed-OSS",
    template: "ByteDance-Seed-OSS.jinja",
    tokens: &[
        "<seed:think>",
        "I",
        "'m",
        " thinking",
        " about",
        " the",
        " answer",
        "</seed:think>",
        "\n",
        "Hello",
        ",",
        " world",
        "!",
    ],
    thinking: "I'm thinking about the answer",
    answer: "Hello, world!",
};

/// Every transcript whose split does not depend on how the prompt was rendered (the
/// model opens its own thinking).
pub const ALL: &[Transcript] = &[QWEN3, GPT_OSS, MINISTRAL, SEED_OSS];

/// A DeepSeek-R1 distill answering after a prompt that ended with `<think>\n`: its
/// output starts inside the thinking and only closes it. Replay it with a prompt that
/// opens the block (see `output/reasoning.rs`).
pub const R1_DISTILL_OPENED: Transcript = Transcript {
    model: "DeepSeek-R1-Distill-Qwen",
    template: "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja",
    tokens: &[
        "I", "'m", "\n", "thinking", "</think>", "Hello", ",", " world", "!", "\n", "What", "'s",
        " up", "?",
    ],
    thinking: "I'm\nthinking",
    answer: "Hello, world!\nWhat's up?",
};

/// Where `scripts/fetch-test-templates.sh` puts llama.cpp's chat templates.
pub fn templates_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.testdata/chat-templates")
}

/// One of llama.cpp's real chat templates, by file name; the error says how to fetch
/// them.
pub fn chat_template(file: &str) -> Result<String, String> {
    let path = templates_dir().join(file);
    std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read the chat template {} ({e}); run scripts/fetch-test-templates.sh",
            path.display()
        )
    })
}
