//! Speculative decoding (prompt lookup, and a draft model) on the real default model, over document tasks
//! on real public text (paragraphs of the Debian Reference, `scripts/fetch-test-docs.sh`).
//!
//! The reference is llama.cpp decoding the same prompt one token at a time with no
//! guessing, written here against the plain llama-cpp-2 API: the greedy answer and, at
//! each position, the logits of its best candidates. Hearth's answers, with guessing
//! and without, must be that answer; where one parts from it, the token it wrote
//! instead must be a near-tie there (within [`NEAR_TIE`] of the best logit), which is
//! the only way evaluating tokens in a batch, as verification does, can change a greedy
//! answer (llama.cpp's batched matrix products round differently). The test prints how
//! many answers match exactly, checks that guesses were made and held (or it would test
//! nothing), and checks that sampled answers with a seed are the same with and without
//! guessing: verification samples every position from the model's own distribution,
//! one draw per token written, as plain decoding does. The same checks run with a draft
//! model guessing (the model drafting for itself, a fixed length, so guesses are made
//! whatever this machine's step costs say), and a draft model of another tokenizer is
//! refused with the reason.

mod support;

use std::path::PathBuf;

use hearth_llm::{Engine, EngineSettings, GenerationOptions, LlamaEngine, Prompt};
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;

/// Logits closer than this to the best are near-ties that batching may tip over.
const NEAR_TIE: f32 = 0.25;
const ANSWER_TOKENS: u32 = 64;
const PROMPTS: usize = 12;
const THREADS: u32 = 2;

fn reference_text() -> PathBuf {
    let path = std::env::var_os("HEARTH_TEST_DOCS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.testdata"))
        .join("debian-reference/debian-reference.en.txt");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/fetch-test-docs.sh",
        path.display()
    );
    path
}

/// Prose paragraphs of 40 to 90 words, in the order the book has them.
fn paragraphs(count: usize) -> Vec<String> {
    let text = std::fs::read_to_string(reference_text()).unwrap();
    text.split("\n\n")
        .map(|block| block.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| {
            let words = p.split(' ').count();
            let letters = p.chars().filter(|c| c.is_alphabetic() || *c == ' ').count();
            (40..=90).contains(&words) && letters * 10 >= p.len() * 9
        })
        .take(count)
        .collect()
}

/// Document tasks whose answers copy the text, as SmolLM2's ChatML template writes them.
fn prompts() -> Vec<String> {
    let asks = [
        "Correct any typos in this text and return the whole text:",
        "Repeat this paragraph word for word:",
        "Quote the first sentence of this text, then say what it is about:",
    ];
    paragraphs(PROMPTS)
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "<|im_start|>user\n{}\n\n{p}<|im_end|>\n<|im_start|>assistant\n",
                asks[i % asks.len()]
            )
        })
        .collect()
}

/// One position of the reference answer: the token chosen and its best rivals.
struct Position {
    piece: Vec<u8>,
    eog: bool,
    /// The best tokens here by logit, with their pieces, best first.
    candidates: Vec<(LlamaToken, f32, Vec<u8>, bool)>,
}

/// Greedy decoding one token per step, no guessing: the reference answer.
fn reference_answer(model: &LlamaModel, prompt: &[u32]) -> Vec<Position> {
    let runtime = hearth_llm::cpu::runtime().unwrap();
    let params = LlamaContextParams::default()
        .with_n_ctx(std::num::NonZeroU32::new(1024))
        .with_n_batch(512)
        .with_n_ubatch(512)
        .with_n_threads(THREADS as i32)
        .with_n_threads_batch(THREADS as i32);
    let mut ctx = model.new_context(&runtime.backend, params).unwrap();
    let vocab = model.vocab();
    let mut batch = LlamaBatch::new(512, 1);
    for (i, &t) in prompt.iter().enumerate() {
        batch
            .add(LlamaToken(t as i32), i as i32, &[0], i + 1 == prompt.len())
            .unwrap();
    }
    ctx.decode(&mut batch).unwrap();
    let mut at = batch.n_tokens() - 1;
    let mut answer = Vec::new();
    for n in 0..ANSWER_TOKENS as usize {
        let logits = ctx.get_logits_ith(at);
        let mut order: Vec<usize> = (0..logits.len()).collect();
        order.select_nth_unstable_by(8, |&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
        order.truncate(8);
        order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
        let candidates: Vec<_> = order
            .iter()
            .map(|&i| {
                let t = LlamaToken(i as i32);
                (
                    t,
                    logits[i],
                    vocab.token_to_piece(t, false, None),
                    vocab.is_eog(t),
                )
            })
            .collect();
        let (token, _, piece, eog) = candidates[0].clone();
        answer.push(Position {
            piece,
            eog,
            candidates,
        });
        if eog {
            break;
        }
        batch.clear();
        batch
            .add(token, (prompt.len() + n) as i32, &[0], true)
            .unwrap();
        ctx.decode(&mut batch).unwrap();
        at = 0;
    }
    answer
}

/// Where `text` parts from the reference answer, if it does: the position and, when the
/// token written there instead is among the reference's best, how far its logit is
/// below the best one.
fn parting(reference: &[Position], text: &[u8]) -> Option<(usize, Option<f32>)> {
    let mut done = 0;
    for (j, position) in reference.iter().enumerate() {
        let rest = &text[done..];
        let same = if position.eog {
            rest.is_empty()
        } else {
            !position.piece.is_empty() && rest.starts_with(&position.piece)
        };
        if same {
            done += position.piece.len();
            continue;
        }
        let best = position.candidates[0].1;
        let gap = position
            .candidates
            .iter()
            .skip(1)
            .find(|(_, _, piece, eog)| {
                if *eog {
                    rest.is_empty()
                } else {
                    !piece.is_empty() && rest.starts_with(piece)
                }
            })
            .map(|(_, logit, _, _)| best - logit);
        return Some((j, gap));
    }
    None
}

/// An answer: its text, tokens written, tokens guessed, guesses held, and of those the
/// ones a draft model guessed.
fn answer(
    engine: &LlamaEngine,
    prompt: &[u32],
    options: &GenerationOptions,
) -> (String, usize, usize, usize, usize) {
    let request =
        hearth_llm::prepare_request(Prompt::Tokens(prompt.to_vec()), options.clone()).unwrap();
    let completion = engine.submit(request).unwrap().stream(|_| {}).unwrap();
    (
        completion.text,
        completion.completion_tokens,
        completion.drafted_tokens,
        completion.accepted_tokens,
        completion.accepted_from_draft_model,
    )
}

/// What one engine's greedy answers with guessing came to over all prompts.
#[derive(Default)]
struct GreedyOutcome {
    /// Answers identical to the engine's answer without guessing.
    same: usize,
    written: usize,
    drafted: usize,
    accepted: usize,
    /// Of the guesses held, the draft model's.
    from_model: usize,
}

/// Checks `text`, an answer to prompt `i`, against llama.cpp's unbatched `reference`:
/// where it parts, only a near-tie may have been tipped.
fn check_parting(reference: &[Position], text: &str, what: &str, partings: &mut Vec<String>) {
    if let Some((position, gap)) = parting(reference, text.as_bytes()) {
        partings.push(format!("{what}: parts at token {position}, gap {gap:?}"));
        let gap = gap.unwrap_or_else(|| {
            panic!(
                "{what}: the answer parts from llama.cpp's at token {position} \
                 with a token that is not among its best:\n{text}"
            )
        });
        assert!(
            gap <= NEAR_TIE,
            "{what}: the answer parts from llama.cpp's at token {position} \
             with a token {gap} below the best, not a near-tie"
        );
    }
}

fn engine_settings(parallel: u32) -> EngineSettings {
    EngineSettings {
        context_length: 1024,
        parallel,
        threads: Some(THREADS),
        ..Default::default()
    }
}

/// A draft model that always guesses (a fixed length): the model itself, the one draft
/// whose every confident guess the model should hold.
fn with_draft(settings: EngineSettings) -> EngineSettings {
    EngineSettings {
        draft_model: Some(support::smollm2()),
        draft_tokens: Some(4),
        ..settings
    }
}

/// Every prompt answered greedily without guessing, with prompt lookup, and with a draft
/// model too: each answer is llama.cpp's unbatched one but for near-ties.
#[test]
fn greedy_answers_are_llama_cpps_but_for_near_ties_and_guesses_hold() {
    let path = support::smollm2();
    let lookup_engine = LlamaEngine::load(&path, &engine_settings(1)).unwrap();
    let draft_engine = LlamaEngine::load(&path, &with_draft(engine_settings(1))).unwrap();
    assert_eq!(draft_engine.info().draft_model, Some(path.clone()));
    let runtime = hearth_llm::cpu::runtime().unwrap();
    let model =
        LlamaModel::load_from_file(&runtime.backend, &path, &LlamaModelParams::default()).unwrap();
    let greedy = GenerationOptions {
        max_tokens: Some(ANSWER_TOKENS),
        ..GenerationOptions::greedy()
    };
    let plain_options = GenerationOptions {
        speculative: Some(false),
        ..greedy.clone()
    };
    let (mut lookup, mut drafted) = (GreedyOutcome::default(), GreedyOutcome::default());
    let mut partings = Vec::new();
    let prompts = prompts();
    assert_eq!(prompts.len(), PROMPTS, "paragraphs of the Debian Reference");
    for (i, prompt) in prompts.iter().enumerate() {
        let tokens = lookup_engine.tokenize(prompt, true).unwrap();
        let reference = reference_answer(&model, &tokens);
        let (plain, _, plain_drafted, ..) = answer(&lookup_engine, &tokens, &plain_options);
        assert_eq!(plain_drafted, 0, "speculative: false guesses nothing");
        check_parting(
            &reference,
            &plain,
            &format!("prompt {i} plain"),
            &mut partings,
        );
        for (engine, outcome, which) in [
            (&lookup_engine, &mut lookup, "prompt lookup"),
            (&draft_engine, &mut drafted, "draft model"),
        ] {
            let (guessed, n, d, a, m) = answer(engine, &tokens, &greedy);
            outcome.written += n;
            outcome.drafted += d;
            outcome.accepted += a;
            outcome.from_model += m;
            outcome.same += usize::from(plain == guessed);
            check_parting(
                &reference,
                &guessed,
                &format!("prompt {i} {which}"),
                &mut partings,
            );
        }
    }
    for (outcome, which) in [(&lookup, "prompt lookup"), (&drafted, "draft model")] {
        eprintln!(
            "{which}: {}/{PROMPTS} greedy answers identical with and without guessing; \
             {} of {} guessed tokens held ({} of them the draft model's), {} tokens written",
            outcome.same, outcome.accepted, outcome.drafted, outcome.from_model, outcome.written
        );
        assert!(
            outcome.same * 2 >= PROMPTS,
            "{which}: most answers are identical: {}/{PROMPTS}",
            outcome.same
        );
    }
    eprintln!("partings: {partings:?}");
    assert_share(lookup.accepted, lookup.written, 10, "guesses held");
    // The draft model guesses where the text offers no copy (the answer's own words),
    // and a model drafting for itself is right wherever it is sure. (How many tokens
    // each kind of guess brings depends on what this machine's steps cost, which sizes
    // the lookup's guesses, so the two engines' totals are not compared.)
    assert_eq!(
        lookup.from_model, 0,
        "no draft model, no draft-model guesses"
    );
    assert_share(
        drafted.from_model,
        drafted.written,
        20,
        "the draft model's guesses held",
    );
    assert_share(drafted.accepted, drafted.written, 2, "guesses held");
    assert!(
        drafted.accepted * 10 >= drafted.drafted * 7,
        "a model's confident guesses of itself mostly hold: {} of {}",
        drafted.accepted,
        drafted.drafted
    );
}

#[test]
fn a_draft_model_of_another_tokenizer_is_refused_with_the_reason() {
    let settings = EngineSettings {
        draft_model: Some(support::gemma3()),
        ..engine_settings(1)
    };
    match LlamaEngine::load(&support::smollm2(), &settings) {
        Err(error @ hearth_llm::LlmError::BadDraftModel { .. }) => {
            let message = error.to_string();
            assert_eq!(error.code(), "BAD_DRAFT_MODEL");
            assert!(message.contains("gemma"), "names the file: {message}");
            assert!(
                message.contains("tokenizer") || message.contains("vocabulary"),
                "says why: {message}"
            );
            assert!(
                message.contains("same family"),
                "says what to do: {message}"
            );
        }
        Err(other) => panic!("expected BadDraftModel, got {other}"),
        Ok(_) => panic!("a draft model of another tokenizer was accepted"),
    }
    // A draft model that is no model file at all is refused before anything loads.
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("draft.gguf");
    std::fs::write(&junk, b"not a model").unwrap();
    let settings = EngineSettings {
        draft_model: Some(junk.clone()),
        ..engine_settings(1)
    };
    match LlamaEngine::load(&support::smollm2(), &settings) {
        Err(hearth_llm::LlmError::BadDraftModel { path, .. }) => assert_eq!(path, junk),
        Err(other) => panic!("expected BadDraftModel, got {other}"),
        Ok(_) => panic!("a junk draft model was accepted"),
    }
}

#[test]
fn sampled_answers_with_a_seed_are_the_same_with_and_without_guessing() {
    let lookup_engine = LlamaEngine::load(&support::smollm2(), &engine_settings(2)).unwrap();
    let draft_engine =
        LlamaEngine::load(&support::smollm2(), &with_draft(engine_settings(2))).unwrap();
    let sampled = GenerationOptions {
        max_tokens: Some(ANSWER_TOKENS),
        seed: Some(7),
        temperature: 0.8,
        ..GenerationOptions::default()
    };
    let plain_options = GenerationOptions {
        speculative: Some(false),
        ..sampled.clone()
    };
    let mut same = [0usize; 2];
    let mut accepted = [0usize; 2];
    let mut from_model = [0usize; 2];
    let prompts = prompts();
    for prompt in &prompts[..6] {
        let tokens = lookup_engine.tokenize(prompt, true).unwrap();
        // The prompt once before, so the answers compared find it in the cache alike:
        // a prompt evaluated whole and one whose last token is evaluated alone (the
        // rest cached) give logits that differ in the last bits, which can tip a
        // sampled token with or without guessing.
        answer(&lookup_engine, &tokens, &plain_options);
        answer(&draft_engine, &tokens, &plain_options);
        let (plain, ..) = answer(&lookup_engine, &tokens, &plain_options);
        for (k, engine) in [&lookup_engine, &draft_engine].into_iter().enumerate() {
            let (guessed, _, _, a, m) = answer(engine, &tokens, &sampled);
            accepted[k] += a;
            from_model[k] += m;
            same[k] += usize::from(plain == guessed);
            if plain != guessed {
                let at = plain
                    .bytes()
                    .zip(guessed.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                eprintln!("a sampled answer parts at byte {at}:\n{plain}\n---\n{guessed}");
            }
        }
    }
    for (k, label) in ["prompt lookup", "draft model"].into_iter().enumerate() {
        eprintln!(
            "{label}: {}/6 sampled answers identical; {} guessed tokens held",
            same[k], accepted[k]
        );
        assert!(accepted[k] > 0, "{label}: guesses were made and held");
        assert!(
            same[k] >= 5,
            "{label}: sampled answers are the same with and without guessing: {}/6",
            same[k]
        );
    }
    assert_eq!(from_model[0], 0);
    assert!(
        from_model[1] > 0,
        "the draft model's guesses were made and held"
    );
}

/// Fails unless `part` is at least one `denominator`-th of the `written` tokens.
fn assert_share(part: usize, written: usize, denominator: usize, what: &str) {
    assert!(
        part * denominator >= written,
        "{what} for at least 1/{denominator} of the tokens written: {part} of {written}"
    );
}
