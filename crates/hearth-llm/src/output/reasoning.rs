//! Taking a reasoning model's thinking out of its raw output, for every family's way
//! of marking it, while the text streams.
//!
//! Which way a model marks its thinking follows from its chat template: [`family_of`]
//! looks for each family's markers in the template text (gpt-oss's harmony channels,
//! Seed-OSS's `<seed:think>`, Mistral's `[THINK]`, Kimi's `◁think▷`, MiniMax-M3's
//! `<mm:think>`, Cohere's `<|START_THINKING|>`, Gemma 4's `<|channel>thought`, Apriel's
//! "Here are my reasoning steps:" … "[BEGIN FINAL RESPONSE]", and the `<think>…</think>` most
//! families share: Qwen3, QwQ, DeepSeek-R1 and its distills, SmolLM3, GLM, Granite,
//! Nemotron, MiniMax-M2, Kimi-K2-Thinking, …). Whether the answer starts inside the
//! thinking follows from the rendered prompt: many templates end the generation prompt
//! with the opening marker (`<think>\n`), so the model's output starts with thinking and
//! only the closing marker appears; a template told to turn thinking off renders an
//! empty block (`<think>\n\n</think>\n\n`) or the closing marker alone, and the output is
//! answer from the start.
//!
//! Tag families are read as llama.cpp's parsers read them: a thinking block counts only
//! at the start of the output, so an answer that talks about `<think>` tags is left
//! alone; the thinking is trimmed of the blank lines around it and the answer of those
//! before it. Markers may arrive split across chunks at any byte: a tail that could be
//! the start of a marker is held back until the next chunk tells, so any chunking of an
//! output splits exactly as the whole output does (a property test below checks it).

use super::harmony::HarmonySplitter;
use super::{ReasoningSplitter, Split};
use crate::request::{EngineRequest, GenerationOptions, ThinkingBudget};

/// How a model family marks its thinking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThinkingFormat {
    /// An opening and a closing marker around the thinking, before the answer.
    Tags {
        open: &'static str,
        close: &'static str,
    },
    /// gpt-oss's harmony format: messages on channels; `analysis` is thinking, `final`
    /// the answer, `commentary` with a recipient a tool call.
    Harmony,
}

/// The markers of the families that wrap thinking in a pair of tags, with the template
/// text that identifies each; the first match wins, so the more specific come first
/// (`<think>` last: it is inside none of the others, but many templates mention it).
const TAG_FAMILIES: &[(&str, &str, &str)] = &[
    // (found in the template, open, close)
    ("</seed:think>", "<seed:think>", "</seed:think>"),
    ("[/THINK]", "[THINK]", "[/THINK]"),
    ("◁/think▷", "◁think▷", "◁/think▷"),
    ("</mm:think>", "<mm:think>", "</mm:think>"),
    ("<|END_THINKING|>", "<|START_THINKING|>", "<|END_THINKING|>"),
    ("<|channel>thought", "<|channel>thought", "<channel|>"),
    (
        "[BEGIN FINAL RESPONSE]",
        "Here are my reasoning steps:",
        "[BEGIN FINAL RESPONSE]",
    ),
    ("</think>", "<think>", "</think>"),
];

/// gpt-oss's markers; a template with both is harmony.
pub(crate) const HARMONY_CHANNEL: &str = "<|channel|>";
pub(crate) const HARMONY_MESSAGE: &str = "<|message|>";

/// The way a chat template's model marks its thinking, or `None` for a model that does
/// not think in marked blocks.
pub fn family_of(template: &str) -> Option<ThinkingFormat> {
    if template.contains(HARMONY_CHANNEL) && template.contains(HARMONY_MESSAGE) {
        return Some(ThinkingFormat::Harmony);
    }
    TAG_FAMILIES
        .iter()
        .find(|(sign, _, _)| template.contains(sign))
        .map(|&(_, open, close)| ThinkingFormat::Tags { open, close })
}

/// What a model's template says about thinking, for front ends deciding what to offer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ThinkingSupport {
    /// The model thinks in marked blocks that Hearth shows apart from the answer (and a
    /// thinking budget applies to).
    pub supports_thinking: bool,
    /// The template takes a switch (`enable_thinking`) that turns thinking on or off.
    pub thinking_switch: bool,
}

/// [`ThinkingSupport`] for a chat template (`None`: the model has none).
pub fn thinking_support(template: Option<&str>) -> ThinkingSupport {
    let Some(template) = template else {
        return ThinkingSupport::default();
    };
    let supports_thinking = family_of(template).is_some();
    ThinkingSupport {
        supports_thinking,
        thinking_switch: supports_thinking && template.contains("enable_thinking"),
    }
}

/// The splitter for this template's family, `None` when it marks no thinking.
pub(super) fn splitter_for(
    template: &str,
    prompt: &str,
    _options: &GenerationOptions,
) -> Option<Box<dyn ReasoningSplitter>> {
    Some(match family_of(template)? {
        ThinkingFormat::Tags { open, close } => {
            Box::new(TagSplitter::new(open, close, opens_thinking(prompt, open)))
        }
        ThinkingFormat::Harmony => Box::new(HarmonySplitter::new()),
    })
}

/// Whether the rendered prompt leaves the model inside a thinking block: it ends with
/// the opening marker (maybe followed by a newline). An empty block (`<think></think>`)
/// or a closing marker alone at the end means thinking was turned off.
fn opens_thinking(prompt: &str, open: &str) -> bool {
    prompt.trim_end().ends_with(open)
}

/// Prepares an engine request for a model whose template is `template`: the family's
/// markers are written out as text even where they are special tokens (the splitter
/// must see them), and a thinking budget in the options becomes the engine's
/// [`ThinkingBudget`]. Does nothing for a model that does not think in marked blocks.
pub fn prepare_request(template: &str, prompt: &str, request: &mut EngineRequest) {
    let Some(format) = family_of(template) else {
        return;
    };
    let markers: &[&str] = match format {
        ThinkingFormat::Tags { open, close } => &[open, close],
        ThinkingFormat::Harmony => &super::harmony::MARKERS,
    };
    for marker in markers {
        if !request.preserved_tokens.iter().any(|m| m == marker) {
            request.preserved_tokens.push((*marker).to_owned());
        }
    }
    request.thinking_budget = budget_for(format, prompt, request);
}

/// The engine's budget, when one is asked for and can be kept. A grammar (a JSON schema
/// answer) is left alone: forcing a closing marker through it could break it.
fn budget_for(
    format: ThinkingFormat,
    prompt: &str,
    request: &EngineRequest,
) -> Option<ThinkingBudget> {
    let tokens = request.options.thinking_budget?;
    if request.grammar.is_some() {
        return None;
    }
    Some(match format {
        ThinkingFormat::Tags { open, close } => ThinkingBudget {
            tokens,
            inside: opens_thinking(prompt, open),
            open: open.into(),
            end: close.into(),
            close: close.into(),
        },
        ThinkingFormat::Harmony => ThinkingBudget {
            tokens,
            inside: false,
            open: super::harmony::ANALYSIS_OPEN.into(),
            end: super::harmony::END.into(),
            close: super::harmony::FORCED_FINAL.into(),
        },
    })
}

/// Where a tag family's output stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagState {
    /// Nothing but whitespace yet: a thinking block may still open.
    Start,
    /// Inside the thinking; `emitted` once some of it went out (later text keeps its
    /// leading whitespace).
    Thinking { emitted: bool },
    /// After the closing marker, skipping the blank lines before the answer.
    AnswerStart,
    /// Answer text, to the end.
    Answer,
}

/// The splitter for families that wrap thinking in a pair of markers.
pub(crate) struct TagSplitter {
    open: &'static str,
    close: &'static str,
    state: TagState,
    /// Text not decided yet: leading whitespace, a possible half marker, or trailing
    /// whitespace of the thinking (dropped if the block closes right after it).
    held: String,
}

impl TagSplitter {
    /// `inside`: the prompt already opened the thinking block.
    pub(crate) fn new(open: &'static str, close: &'static str, inside: bool) -> Self {
        Self {
            open,
            close,
            state: if inside {
                TagState::Thinking { emitted: false }
            } else {
                TagState::Start
            },
            held: String::new(),
        }
    }

    /// Decides as much of `held` as can be decided; with `end`, all of it.
    fn run(&mut self, end: bool) -> Vec<Split> {
        let mut out = Vec::new();
        loop {
            match self.state {
                TagState::Start => {
                    let rest = self.held.trim_start();
                    if rest.is_empty() {
                        if end {
                            self.held.clear();
                        }
                        return out;
                    }
                    if let Some(after) = rest.strip_prefix(self.open) {
                        self.held = after.to_owned();
                        self.state = TagState::Thinking { emitted: false };
                    } else if self.open.starts_with(rest) && !end {
                        return out;
                    } else {
                        self.held = rest.to_owned();
                        self.state = TagState::Answer;
                    }
                }
                TagState::Thinking { emitted } => {
                    if let Some(at) = self.held.find(self.close) {
                        let mut text = self.held[..at].trim_end();
                        if !emitted {
                            text = text.trim_start();
                        }
                        if !text.is_empty() {
                            out.push(Split::Thinking(text.to_owned()));
                        }
                        self.held.drain(..at + self.close.len());
                        self.state = TagState::AnswerStart;
                        continue;
                    }
                    // Hold back a possible half of the closing marker and trailing
                    // whitespace (the block may close right after it).
                    let keep = if end {
                        0
                    } else {
                        partial_marker_len(&self.held, &[self.close])
                    };
                    let decided = self.held[..self.held.len() - keep].trim_end().len();
                    let decided = if end { self.held.len() } else { decided };
                    let mut text = &self.held[..decided];
                    if end {
                        text = text.trim_end();
                    }
                    if !emitted {
                        text = text.trim_start();
                    }
                    if !text.is_empty() {
                        out.push(Split::Thinking(text.to_owned()));
                        self.state = TagState::Thinking { emitted: true };
                        self.held.drain(..decided);
                    } else if end {
                        self.held.clear();
                    }
                    return out;
                }
                TagState::AnswerStart => {
                    let rest = self.held.trim_start();
                    if rest.is_empty() {
                        if end {
                            self.held.clear();
                        }
                        return out;
                    }
                    self.held = rest.to_owned();
                    self.state = TagState::Answer;
                }
                TagState::Answer => {
                    if !self.held.is_empty() {
                        out.push(Split::Answer(std::mem::take(&mut self.held)));
                    }
                    return out;
                }
            }
        }
    }
}

impl ReasoningSplitter for TagSplitter {
    fn push(&mut self, text: &str) -> Vec<Split> {
        self.held.push_str(text);
        self.run(false)
    }

    fn finish(&mut self) -> Vec<Split> {
        self.run(true)
    }
}

/// The length of the longest tail of `text` that is the start of one of `markers` (and
/// not a whole one): text that must wait for the next chunk.
pub(crate) fn partial_marker_len(text: &str, markers: &[&str]) -> usize {
    let longest = markers.iter().map(|m| m.len()).max().unwrap_or(0);
    (1..longest.min(text.len() + 1))
        .rev()
        .find(|&k| {
            let start = text.len() - k;
            text.is_char_boundary(start)
                && markers
                    .iter()
                    .any(|m| m.len() > k && m.starts_with(&text[start..]))
        })
        .unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::output::Split;
    use proptest::prelude::*;

    /// Adjacent pieces of the same kind joined, empty ones dropped: the form in which
    /// two splits of the same output compare equal however the output was chunked.
    pub(crate) fn merged(splits: Vec<Split>) -> Vec<Split> {
        let mut out: Vec<Split> = Vec::new();
        for split in splits {
            match (out.last_mut(), split) {
                (_, Split::Thinking(t)) | (_, Split::Answer(t)) if t.is_empty() => {}
                (Some(Split::Thinking(a)), Split::Thinking(b)) => a.push_str(&b),
                (Some(Split::Answer(a)), Split::Answer(b)) => a.push_str(&b),
                (_, split) => out.push(split),
            }
        }
        out
    }

    /// Runs `chunks` through `splitter` and merges the result.
    pub(crate) fn split_chunks(
        mut splitter: Box<dyn ReasoningSplitter>,
        chunks: &[&str],
    ) -> Vec<Split> {
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend(splitter.push(chunk));
        }
        out.extend(splitter.finish());
        merged(out)
    }

    /// Cuts `text` at the given byte positions (moved back to character boundaries).
    pub(crate) fn cut(text: &str, cuts: &[usize]) -> Vec<String> {
        let mut points: Vec<usize> = cuts
            .iter()
            .map(|&c| {
                let mut c = c % (text.len() + 1);
                while !text.is_char_boundary(c) {
                    c -= 1;
                }
                c
            })
            .collect();
        points.sort_unstable();
        let mut pieces = Vec::new();
        let mut from = 0;
        for p in points {
            pieces.push(text[from..p].to_owned());
            from = p;
        }
        pieces.push(text[from..].to_owned());
        pieces
    }

    fn thinking(t: &str) -> Split {
        Split::Thinking(t.into())
    }
    fn answer(t: &str) -> Split {
        Split::Answer(t.into())
    }

    fn think(inside: bool) -> Box<dyn ReasoningSplitter> {
        Box::new(TagSplitter::new("<think>", "</think>", inside))
    }

    /// Whole, then one byte at a time: both must give `expected`.
    fn check(make: impl Fn() -> Box<dyn ReasoningSplitter>, output: &str, expected: &[Split]) {
        assert_eq!(
            split_chunks(make(), &[output]),
            expected,
            "whole: {output:?}"
        );
        let bytes: Vec<String> = cut(output, &(0..output.len()).collect::<Vec<_>>());
        let pieces: Vec<&str> = bytes.iter().map(String::as_str).collect();
        assert_eq!(
            split_chunks(make(), &pieces),
            expected,
            "bytewise: {output:?}"
        );
    }

    #[test]
    fn reasoning_think_block_at_the_start_is_thinking() {
        // DeepSeek-R1's own output when its prompt does not open the block.
        check(
            || think(false),
            "<think>\nI should greet.\n</think>\n\nHello, world!",
            &[thinking("I should greet."), answer("Hello, world!")],
        );
        // Leading blank lines before the block, and a block that never closes (cut by
        // max_tokens): all thinking.
        check(
            || think(false),
            "\n\n<think>Still going",
            &[thinking("Still going")],
        );
    }

    #[test]
    fn reasoning_prompt_that_opened_the_block_starts_inside() {
        // Qwen3, QwQ, R1 distills: the prompt ends with "<think>\n".
        check(
            || think(true),
            "I'm\nthinking\n</think>\n\nHello, world!\nWhat's up?",
            &[
                thinking("I'm\nthinking"),
                answer("Hello, world!\nWhat's up?"),
            ],
        );
        assert!(opens_thinking(
            "<|im_start|>assistant\n<think>\n",
            "<think>"
        ));
        // Thinking turned off: an empty block, or the closing marker alone.
        assert!(!opens_thinking(
            "<|im_start|>assistant\n<think>\n\n</think>\n\n",
            "<think>"
        ));
        assert!(!opens_thinking("<|assistant|></think>", "<think>"));
        assert!(!opens_thinking("<|im_start|>assistant\n", "<think>"));
    }

    #[test]
    fn reasoning_answers_without_thinking_are_left_alone() {
        check(|| think(false), "Hello, world!", &[answer("Hello, world!")]);
        // A tag later in the answer is answer text.
        check(
            || think(false),
            "Use <think> tags like <think>this</think>.",
            &[answer("Use <think> tags like <think>this</think>.")],
        );
        // Something that starts like the marker but is not.
        check(
            || think(false),
            "<thinking aloud>",
            &[answer("<thinking aloud>")],
        );
        check(|| think(false), "<thi", &[answer("<thi")]);
        // An empty block (Qwen3 with thinking off writing it itself): no thinking.
        check(
            || think(false),
            "<think>\n\n</think>\n\nHi",
            &[answer("Hi")],
        );
        check(|| think(false), "", &[]);
    }

    #[test]
    fn reasoning_other_families_markers() {
        let mistral = || -> Box<dyn ReasoningSplitter> {
            Box::new(TagSplitter::new("[THINK]", "[/THINK]", false))
        };
        check(
            mistral,
            "[THINK]Let me count: 2 + 2 = 4.[/THINK]The answer is 4.",
            &[
                thinking("Let me count: 2 + 2 = 4."),
                answer("The answer is 4."),
            ],
        );
        let seed = || -> Box<dyn ReasoningSplitter> {
            Box::new(TagSplitter::new("<seed:think>", "</seed:think>", false))
        };
        check(
            seed,
            "<seed:think>Budget is fine.</seed:think>Yes.",
            &[thinking("Budget is fine."), answer("Yes.")],
        );
        let kimi = || -> Box<dyn ReasoningSplitter> {
            Box::new(TagSplitter::new("◁think▷", "◁/think▷", false))
        };
        check(
            kimi,
            "◁think▷日本語で考える◁/think▷答え",
            &[thinking("日本語で考える"), answer("答え")],
        );
    }

    #[test]
    fn reasoning_family_follows_the_template_text() {
        let think = ThinkingFormat::Tags {
            open: "<think>",
            close: "</think>",
        };
        assert_eq!(family_of("{{ '<think>\\n' }}...</think>"), Some(think));
        assert_eq!(
            family_of("{{- '[THINK]' + block['thinking'] + '[/THINK]' }}"),
            Some(ThinkingFormat::Tags {
                open: "[THINK]",
                close: "[/THINK]"
            })
        );
        assert_eq!(
            family_of("<|start|>assistant<|channel|>final<|message|>"),
            Some(ThinkingFormat::Harmony)
        );
        assert_eq!(family_of("{{ '<|im_start|>' + role }}"), None);
        let support = thinking_support(Some("{% if enable_thinking %}<think>{% endif %}</think>"));
        assert!(support.supports_thinking && support.thinking_switch);
        assert_eq!(thinking_support(None), ThinkingSupport::default());
    }

    #[test]
    fn reasoning_partial_markers_are_measured_on_character_boundaries() {
        assert_eq!(partial_marker_len("abc</thi", &["</think>"]), 5);
        assert_eq!(partial_marker_len("abc</think>", &["</think>"]), 0);
        assert_eq!(partial_marker_len("abc", &["</think>"]), 0);
        assert_eq!(partial_marker_len("x◁/", &["◁/think▷"]), "◁/".len());
        assert_eq!(partial_marker_len("<|e", &["<|end|>", "<|start|>"]), 3);
    }

    /// A transcript of tag-family output with thinking, answer, markers and multi-byte
    /// text, in any chunking.
    const TRANSCRIPTS: &[(&str, bool)] = &[
        (
            "<think>\nOkay, the user wants 2+2.\n\n</think>\n\n2 + 2 = **4**.",
            false,
        ),
        (
            "Okay, the user says hi — réponds.\n</think>\n\nBonjour ! 👋",
            true,
        ),
        ("\n<think></think>Just the answer <think> kept", false),
        ("Plain answer with </think> inside", false),
        ("unfinished thought   \n ", true),
    ];

    proptest! {
        #[test]
        fn reasoning_any_chunking_splits_as_the_whole(
            which in 0..TRANSCRIPTS.len(),
            cuts in proptest::collection::vec(0usize..200, 0..12),
        ) {
            let (text, inside) = TRANSCRIPTS[which];
            let whole = split_chunks(think(inside), &[text]);
            let pieces = cut(text, &cuts);
            let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
            prop_assert_eq!(split_chunks(think(inside), &pieces), whole);
        }
    }
}
