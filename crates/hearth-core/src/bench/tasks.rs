//! `hearth bench --task`: the work our users do with documents — rewrite a paragraph,
//! quote the passage that answers a question, extract names, summarize a section,
//! translate a page — on passages of a real document, timed side by side for Hearth
//! with and without speculative decoding (and with a draft model, when one is given)
//! and, when its path is given, for llama.cpp's llama-server without and with its
//! speculative settings.
//!
//! Every runner gets the same prompt tokens (made with the model's own chat template)
//! and decodes greedily to the same limit; every answer evaluates its whole prompt
//! (Hearth's contexts are forgotten before each, llama-server is asked with its prompt
//! cache off), and the benchmark checks that it did. Answers are compared with Hearth's
//! without guessing, so a speed-up that changed the text would show.

use std::path::PathBuf;
use std::time::Instant;

use hearth_llm::{
    prepare_request, ChatFormatter, ChatMessage, Engine, EngineSettings, GenerationOptions,
    GpuLayers, LlamaEngine, Placement, Prompt, TemplateOptions,
};
use serde::{Deserialize, Serialize};

use super::llama_server::LlamaServer;
use crate::error::{CoreError, Result};

/// A kind of document work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Correct the typos of a paragraph and return it whole.
    Rewrite,
    /// Quote, of three passages, the one that mentions a word.
    Quote,
    /// List the commands, files and names a paragraph mentions.
    Extract,
    /// Summarize a section in three sentences.
    Summarize,
    /// Translate a paragraph into German.
    Translate,
}

impl Task {
    pub const ALL: [Task; 5] = [
        Task::Rewrite,
        Task::Quote,
        Task::Extract,
        Task::Summarize,
        Task::Translate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Task::Rewrite => "rewrite",
            Task::Quote => "quote",
            Task::Extract => "extract",
            Task::Summarize => "summarize",
            Task::Translate => "translate",
        }
    }

    pub fn parse(name: &str) -> Option<Task> {
        Task::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Room for the whole answer: a rewritten or translated paragraph is longer than
    /// a list or a summary.
    fn max_tokens(self) -> u32 {
        match self {
            Task::Rewrite | Task::Translate => 384,
            Task::Quote => 256,
            Task::Extract | Task::Summarize => 192,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TaskBenchSettings {
    pub model: PathBuf,
    /// The document the passages come from (any format Hearth reads).
    pub document: PathBuf,
    pub tasks: Vec<Task>,
    /// Passages per task, spread through the document.
    pub passages: u32,
    pub threads: u32,
    /// Overrides each task's answer limit.
    pub max_tokens: Option<u32>,
    pub llama_server: Option<PathBuf>,
    /// llama-server's speculative settings to compare, each its command-line arguments
    /// (`--spec-type ngram-mod`); it also always runs without.
    pub server_speculative: Vec<Vec<String>>,
    /// A small model of the same tokenizer: Hearth also runs with it guessing.
    pub draft_model: Option<PathBuf>,
    pub gpu_layers: GpuLayers,
    pub gpu_device: Option<String>,
}

/// One runner on one task, over every passage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRow {
    pub task: String,
    pub runner: String,
    pub answers: usize,
    /// Mean answer length in tokens.
    pub answer_tokens: f64,
    /// Answer tokens after the first per second of generation, over all answers (the
    /// first comes with the prompt, as llama.cpp counts it).
    pub answer_tokens_per_second: f64,
    /// Mean time from asking to the whole answer, prompt included, as the caller sees it.
    pub whole_answer_ms: f64,
    /// Tokens guessed ahead and evaluated, and of them those that held.
    pub drafted: usize,
    pub accepted: usize,
    /// Answers with exactly the text Hearth writes without guessing.
    pub same_as_plain: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskReport {
    pub model: String,
    pub document: String,
    pub threads: u32,
    pub placement: String,
    pub rows: Vec<TaskRow>,
}

impl TaskReport {
    /// `runner`'s whole-answer speed on `task` over `other`'s (above 1: faster).
    pub fn speedup(&self, task: &str, runner: &str, other: &str) -> Option<f64> {
        let find = |r: &str| {
            self.rows
                .iter()
                .find(|row| row.task == task && row.runner == r)
        };
        Some(find(other)?.whole_answer_ms / find(runner)?.whole_answer_ms)
    }
}

pub const HEARTH: &str = "hearth";
pub const HEARTH_PLAIN: &str = "hearth, no guessing";
pub const HEARTH_DRAFT: &str = "hearth, draft model";
pub const SERVER_PLAIN: &str = "llama-server";

/// One answer, whoever wrote it.
struct Answer {
    text: String,
    tokens: usize,
    generation_ms: f64,
    whole_ms: f64,
    drafted: usize,
    accepted: usize,
}

/// One passage's prompt for a task, as tokens.
struct Job {
    task: Task,
    tokens: Vec<u32>,
    max_tokens: u32,
}

pub fn run(settings: &TaskBenchSettings, mut progress: impl FnMut(&str)) -> Result<TaskReport> {
    progress("reading the document");
    let document = hearth_docs::read_path(&settings.document, &hearth_docs::Limits::default())?;
    let blocks: Vec<String> = document
        .blocks
        .iter()
        .map(|b| b.text.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .collect();
    let mut asks = Vec::new();
    for &task in &settings.tasks {
        let found = passages(task, &blocks, settings.passages.max(1) as usize);
        if found.is_empty() {
            return Err(CoreError::Bench {
                reason: format!(
                    "{} has no passage fit for the {} task (paragraphs of 40 to 160 words of prose); try a longer document",
                    settings.document.display(),
                    task.name()
                ),
            });
        }
        asks.extend(found.into_iter().map(|text| (task, text)));
    }
    // The context holds the longest prompt and its answer; the prompts are made with
    // the model's template, so the model is loaded first with a generous context.
    let engine_settings = |context_length: u32| EngineSettings {
        context_length,
        parallel: 1,
        threads: Some(settings.threads),
        gpu_layers: settings.gpu_layers,
        gpu_device: settings.gpu_device.clone(),
        ..EngineSettings::default()
    };
    progress("loading the model in this process");
    let mut engine = LlamaEngine::load(&settings.model, &engine_settings(4096))?;
    let info = engine.info();
    let formatter = ChatFormatter::for_model(&info);
    let mut jobs = Vec::new();
    for (task, ask) in asks {
        let (prompt, _) =
            formatter.format(&[ChatMessage::user(ask)], &TemplateOptions::default())?;
        jobs.push(Job {
            task,
            tokens: engine.tokenize(&prompt, true)?,
            max_tokens: settings.max_tokens.unwrap_or(task.max_tokens()),
        });
    }
    let context = jobs
        .iter()
        .map(|j| j.tokens.len() as u32 + j.max_tokens + 8)
        .max()
        .unwrap_or(512)
        .next_multiple_of(256);
    if context > info.context_length {
        engine = LlamaEngine::load(&settings.model, &engine_settings(context))?;
    }
    let placement = engine
        .info()
        .placement
        .clone()
        .unwrap_or_else(|| Placement::cpu(0));
    let mut runners: Vec<(String, Runner)> = vec![
        (
            HEARTH_PLAIN.to_owned(),
            Runner::Hearth { speculative: false },
        ),
        (HEARTH.to_owned(), Runner::Hearth { speculative: true }),
    ];
    if let Some(draft) = &settings.draft_model {
        progress("loading the model with its draft model");
        let drafted = LlamaEngine::load(
            &settings.model,
            &EngineSettings {
                draft_model: Some(draft.clone()),
                ..engine_settings(engine.info().context_length)
            },
        )?;
        runners.push((HEARTH_DRAFT.to_owned(), Runner::Drafted(Box::new(drafted))));
    }
    if let Some(program) = &settings.llama_server {
        let mut configs = vec![(SERVER_PLAIN.to_owned(), Vec::new())];
        for args in &settings.server_speculative {
            configs.push((format!("llama-server {}", args.join(" ")), args.clone()));
        }
        for (runner, args) in configs {
            progress(&format!("{runner}: starting"));
            let server = LlamaServer::start(
                program,
                &settings.model,
                settings.threads,
                context,
                placement.gpu_layers,
                &args,
            )?;
            runners.push((runner, Runner::Server(server)));
        }
    }
    for (name, runner) in &runners {
        progress(&format!("{name}: warming up"));
        runner.answer(&engine, &jobs[0].tokens, 8)?;
    }
    // Each passage goes to every runner in turn, so a slower minute on a shared
    // machine falls on all of them alike.
    let mut results: Vec<(String, Vec<Answer>)> = runners
        .iter()
        .map(|(name, _)| (name.clone(), Vec::new()))
        .collect();
    for (i, job) in jobs.iter().enumerate() {
        for (r, (name, runner)) in runners.iter().enumerate() {
            progress(&format!(
                "{name}: {} {}/{}",
                job.task.name(),
                i + 1,
                jobs.len()
            ));
            // The last runner's idle threads stop spinning before the next one starts.
            std::thread::sleep(std::time::Duration::from_millis(200));
            results[r]
                .1
                .push(runner.answer(&engine, &job.tokens, job.max_tokens)?);
        }
    }
    drop(runners);
    drop(engine);
    let plain = &results[0].1;
    let mut rows = Vec::new();
    for &task in &settings.tasks {
        for (runner, answers) in &results {
            let picked: Vec<usize> = (0..jobs.len()).filter(|&i| jobs[i].task == task).collect();
            let n = picked.len().max(1) as f64;
            let sum =
                |f: &dyn Fn(&Answer) -> f64| picked.iter().map(|&i| f(&answers[i])).sum::<f64>();
            let generation_ms = sum(&|a| a.generation_ms);
            rows.push(TaskRow {
                task: task.name().to_owned(),
                runner: runner.clone(),
                answers: picked.len(),
                answer_tokens: sum(&|a| a.tokens as f64) / n,
                answer_tokens_per_second: if generation_ms > 0.0 {
                    sum(&|a| a.tokens.saturating_sub(1) as f64) * 1000.0 / generation_ms
                } else {
                    0.0
                },
                whole_answer_ms: sum(&|a| a.whole_ms) / n,
                drafted: picked.iter().map(|&i| answers[i].drafted).sum(),
                accepted: picked.iter().map(|&i| answers[i].accepted).sum(),
                same_as_plain: picked
                    .iter()
                    .filter(|&&i| answers[i].text == plain[i].text)
                    .count(),
            });
        }
    }
    Ok(TaskReport {
        model: info.name,
        document: settings.document.display().to_string(),
        threads: settings.threads,
        placement: placement.summary(),
        rows,
    })
}

/// Who writes the answers.
enum Runner {
    Hearth {
        speculative: bool,
    },
    /// Hearth with its draft model, in an engine of its own.
    Drafted(Box<LlamaEngine>),
    Server(LlamaServer),
}

impl Runner {
    fn answer(&self, engine: &LlamaEngine, prompt: &[u32], max_tokens: u32) -> Result<Answer> {
        match self {
            Runner::Hearth { speculative } => {
                hearth_answer(engine, prompt, max_tokens, *speculative)
            }
            Runner::Drafted(drafted) => hearth_answer(drafted, prompt, max_tokens, true),
            Runner::Server(server) => server_answer(server, prompt, max_tokens),
        }
    }
}

/// One greedy answer from llama-server, checked to have evaluated its whole prompt.
fn server_answer(server: &LlamaServer, prompt: &[u32], max_tokens: u32) -> Result<Answer> {
    let started = Instant::now();
    let reply = server.answer(prompt, max_tokens)?;
    let whole_ms = started.elapsed().as_secs_f64() * 1000.0;
    if reply.prompt_evaluated != prompt.len() {
        return Err(CoreError::Bench {
            reason: format!(
                "llama-server evaluated {} of the prompt's {} tokens; the answer times would not include the whole prompt",
                reply.prompt_evaluated,
                prompt.len()
            ),
        });
    }
    Ok(Answer {
        text: reply.text,
        tokens: reply.tokens,
        generation_ms: reply.generation_ms,
        whole_ms,
        drafted: reply.drafted,
        accepted: reply.accepted,
    })
}

/// One greedy answer through the engine, its whole prompt evaluated (the contexts of
/// earlier answers are forgotten first).
fn hearth_answer(
    engine: &LlamaEngine,
    prompt: &[u32],
    max_tokens: u32,
    speculative: bool,
) -> Result<Answer> {
    engine.forget_contexts()?;
    let options = GenerationOptions {
        max_tokens: Some(max_tokens),
        speculative: Some(speculative),
        ..GenerationOptions::greedy()
    };
    let started = Instant::now();
    let completion = engine
        .submit(prepare_request(Prompt::Tokens(prompt.to_vec()), options)?)?
        .wait()?;
    let whole_ms = started.elapsed().as_secs_f64() * 1000.0;
    if completion.cached_tokens > 0 {
        return Err(CoreError::Bench {
            reason: format!(
                "{} of the prompt's {} tokens came from the cache; the answer times would not include the whole prompt",
                completion.cached_tokens, completion.prompt_tokens
            ),
        });
    }
    Ok(Answer {
        text: completion.text,
        tokens: completion.completion_tokens,
        generation_ms: completion.generation_ms,
        whole_ms,
        drafted: completion.drafted_tokens,
        accepted: completion.accepted_tokens,
    })
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Mostly words: at least 85% letters and spaces.
fn is_prose(text: &str) -> bool {
    let letters = text
        .chars()
        .filter(|c| c.is_alphabetic() || *c == ' ')
        .count();
    letters * 100 >= text.chars().count() * 85
}

/// Technical terms a paragraph names: words with a slash, dot, underscore or dash
/// inside, or written in backquotes or quotes.
fn terms(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| {
            let inner = w.trim_matches(|c: char| !c.is_alphanumeric());
            inner.len() > 2 && inner.contains(['/', '.', '_', '-'])
        })
        .count()
}

/// `count` passages for `task`, spread evenly over the fitting ones.
fn passages(task: Task, blocks: &[String], count: usize) -> Vec<String> {
    let paragraph = |range: std::ops::RangeInclusive<usize>| {
        move |b: &&String| range.contains(&words(b)) && is_prose(b)
    };
    let candidates: Vec<String> = match task {
        Task::Rewrite => blocks
            .iter()
            .filter(paragraph(60..=160))
            .map(|p| {
                format!(
                    "Correct the typos in the following text. Return the whole corrected text and nothing else.\n\n{}",
                    with_typos(p)
                )
            })
            .collect(),
        Task::Translate => blocks
            .iter()
            .filter(paragraph(50..=130))
            .rev()
            .map(|p| {
                format!("Translate the following text into German. Return only the translation.\n\n{p}")
            })
            .collect(),
        Task::Extract => blocks
            .iter()
            .filter(|b| (40..=160).contains(&words(b)) && terms(b) >= 3)
            .map(|p| {
                format!(
                    "List every command, file, package and program name that this text mentions, one per line, exactly as written.\n\n{p}"
                )
            })
            .collect(),
        Task::Quote => blocks
            .windows(3)
            .filter(|w| w.iter().all(|b| (30..=120).contains(&words(b)) && is_prose(b)))
            .filter_map(|w| {
                let word = distinctive_word(&w[1], &[&w[0], &w[2]])?;
                Some(format!(
                    "Passage 1: {}\n\nPassage 2: {}\n\nPassage 3: {}\n\nWhich passage mentions \"{word}\"? Quote that passage in full.",
                    w[0], w[1], w[2]
                ))
            })
            .collect(),
        Task::Summarize => sections(blocks)
            .into_iter()
            .map(|s| format!("Summarize the following text in three sentences.\n\n{s}"))
            .collect(),
    };
    spread(candidates, count)
}

/// Consecutive prose paragraphs joined into sections of 350 to 700 words.
fn sections(blocks: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut length = 0;
    for block in blocks {
        if !is_prose(block) || words(block) < 20 {
            current.clear();
            length = 0;
            continue;
        }
        if length + words(block) > 700 {
            current.clear();
            length = 0;
        }
        current.push(block);
        length += words(block);
        if length >= 350 {
            found.push(current.join("\n\n"));
            current.clear();
            length = 0;
        }
    }
    found
}

/// `count` items taken evenly from the whole list (the first, then every n-th).
fn spread(items: Vec<String>, count: usize) -> Vec<String> {
    if items.len() <= count {
        return items;
    }
    let step = items.len() / count;
    items.into_iter().step_by(step).take(count).collect()
}

/// Every ninth word of five letters or more gets its second and third letters swapped.
fn with_typos(text: &str) -> String {
    let mut long_words = 0;
    text.split(' ')
        .map(|word| {
            let letters: Vec<char> = word.chars().collect();
            if letters.len() >= 5 && letters.iter().all(|c| c.is_alphabetic()) {
                long_words += 1;
                if long_words % 9 == 0 && letters[1] != letters[2] {
                    let mut swapped = letters.clone();
                    swapped.swap(1, 2);
                    return swapped.into_iter().collect();
                }
            }
            word.to_owned()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The longest word of `passage` (six letters or more) that none of `others` has.
fn distinctive_word(passage: &str, others: &[&String]) -> Option<String> {
    let lower: Vec<String> = others.iter().map(|o| o.to_lowercase()).collect();
    passage
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphabetic()))
        .filter(|w| w.chars().count() >= 6 && w.chars().all(char::is_alphabetic))
        .filter(|w| !lower.iter().any(|o| o.contains(&w.to_lowercase())))
        .max_by_key(|w| w.chars().count())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prose(n: usize, seed: &str) -> String {
        (0..n)
            .map(|i| format!("{seed}{}", ["alpha", "beta", "gamma"][i % 3]))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn typos_swap_two_letters_of_every_ninth_long_word() {
        let text = "accurate document manual package printer program network service traveler";
        let typo = with_typos(text);
        assert_eq!(
            typo,
            "accurate document manual package printer program network service tarveler"
        );
        assert_eq!(with_typos("a b c"), "a b c");
    }

    #[test]
    fn a_distinctive_word_is_one_the_other_passages_lack() {
        let others = [
            "the printer queue".to_owned(),
            "a network printer".to_owned(),
        ];
        let refs: Vec<&String> = others.iter().collect();
        assert_eq!(
            distinctive_word("the printer needs firmware updates", &refs).as_deref(),
            Some("firmware")
        );
        assert_eq!(distinctive_word("printer", &refs), None);
    }

    #[test]
    fn passages_are_spread_and_fit_their_task() {
        let blocks: Vec<String> = (0..30u8)
            .map(|i| prose(80, &char::from(b'a' + i % 26).to_string()))
            .collect();
        let rewrite = passages(Task::Rewrite, &blocks, 3);
        assert_eq!(rewrite.len(), 3);
        assert!(rewrite[0].contains("aalpha") && rewrite[1].contains("kalpha"));
        assert!(rewrite.iter().all(|p| p.starts_with("Correct the typos")));
        // No paragraph names files or commands: nothing to extract.
        assert!(passages(Task::Extract, &blocks, 3).is_empty());
        let summaries = passages(Task::Summarize, &blocks, 2);
        assert_eq!(summaries.len(), 2);
        assert!(summaries.iter().all(|s| (350..=720).contains(&words(s))));
        assert_eq!(Task::parse("quote"), Some(Task::Quote));
        assert_eq!(Task::parse("poem"), None);
    }
}
