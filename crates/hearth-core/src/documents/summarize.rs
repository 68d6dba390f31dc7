//! Summarizing a document of any length.
//!
//! The document is cut into parts that fit the model's context ([`chunk_document`]).
//! One part is summarized in one step. More parts are summarized hierarchically: each
//! part becomes a few notes (the map, run as parallel sequences in one batch); notes
//! that together fit the context are written up in the chosen style, and notes that do
//! not are grouped and condensed again (the reduce), level after level, until they fit.
//! Every part goes through the map and every note into the next level, so nothing is
//! left out; a part the model wrote nothing for is represented by its own first
//! sentences, with a warning. Every point of the result names the parts it came from.

use hearth_docs::Document;
use hearth_llm::{ChatMessage, Completion, Engine, GenerationOptions, StopReason};
use unicode_segmentation::UnicodeSegmentation;

use super::chunk::{chunk_document, Chunk};
use super::points::{attribute, best_quote, split_paragraphs, split_points, Note};
use super::render::render;
use super::steps::{run_all, Cancellation};
use super::summary::{Summary, SummaryOptions, SummaryPoint, SummaryProgress, SummaryStyle};
use crate::error::{CoreError, Result};

/// Tokens kept for the instructions and the chat template around a part.
const PROMPT_OVERHEAD: usize = 160;
/// Largest part by default: small models summarize shorter inputs better, and more
/// parts give finer references.
const DEFAULT_PART_TOKENS: usize = 1536;
/// Words in a key-point quote.
const QUOTE_WORDS: usize = 20;

pub(crate) fn summarize(
    engine: &dyn Engine,
    document: &Document,
    options: &SummaryOptions,
    progress: &mut dyn FnMut(SummaryProgress),
    cancel: &Cancellation,
) -> Result<Summary> {
    let job = Job::new(engine, document, options, cancel)?;
    job.run(progress)
}

struct Job<'a> {
    engine: &'a dyn Engine,
    options: &'a SummaryOptions,
    cancel: &'a Cancellation,
    title: Option<String>,
    chunks: Vec<Chunk>,
    /// Tokens an input (part or notes) may have in one step.
    input_budget: usize,
    /// Tokens kept for a step's answer.
    note_tokens: u32,
    window: usize,
    stats: Stats,
}

#[derive(Default)]
struct Stats {
    steps: usize,
    prompt_tokens: usize,
    completion_tokens: usize,
    warnings: Vec<String>,
}

impl Stats {
    fn add(&mut self, completion: &Completion) {
        self.steps += 1;
        self.prompt_tokens += completion.prompt_tokens;
        self.completion_tokens += completion.completion_tokens;
    }
}

impl<'a> Job<'a> {
    fn new(
        engine: &'a dyn Engine,
        document: &Document,
        options: &'a SummaryOptions,
        cancel: &'a Cancellation,
    ) -> Result<Self> {
        let info = engine.info();
        let context = info.context_length as usize;
        let final_tokens = answer_tokens(options);
        // Notes are a few short bullets; a small model that rambles is cut here.
        let note_tokens = 128u32;
        let answer_room = final_tokens.max(note_tokens) as usize;
        let input_budget = context.saturating_sub(PROMPT_OVERHEAD + answer_room);
        if input_budget < 64 {
            return Err(CoreError::ContextTooSmall {
                context,
                needed: PROMPT_OVERHEAD + answer_room + 64,
            });
        }
        let part_tokens = options
            .max_part_tokens
            .unwrap_or(DEFAULT_PART_TOKENS)
            .clamp(32, input_budget);
        let count = |text: &str| -> Result<usize> { Ok(engine.count_tokens(text)?) };
        let chunks = chunk_document(document, part_tokens, &count)?;
        if chunks.is_empty() {
            return Err(CoreError::EmptyDocument);
        }
        Ok(Self {
            engine,
            options,
            cancel,
            title: document.title.clone(),
            chunks,
            input_budget,
            note_tokens,
            window: options.parallel.unwrap_or(info.parallel as usize).max(1),
            // What the reader could not read is part of what the model did not see.
            stats: Stats {
                warnings: document.warnings.clone(),
                ..Stats::default()
            },
        })
    }

    fn run(mut self, progress: &mut dyn FnMut(SummaryProgress)) -> Result<Summary> {
        progress(SummaryProgress::Chunked {
            parts: self.chunks.len(),
        });
        let mut part_notes = Vec::new();
        let (points, levels) = if self.chunks.len() == 1 {
            let notes = vec![Note {
                text: self.chunks[0].text.clone(),
                parts: vec![0],
            }];
            (self.write_up(&notes, 1, progress)?, 1)
        } else {
            let mut notes = self.map(progress)?;
            part_notes = vec![Vec::new(); self.chunks.len()];
            for note in &notes {
                part_notes[note.parts[0]].push(note.text.clone());
            }
            let mut level = 2;
            while self.tokens_of(&notes)? > self.input_budget {
                let before = notes.len();
                notes = self.reduce(notes, level, progress)?;
                level += 1;
                if notes.len() >= before {
                    return Err(CoreError::SummaryFailed {
                        reason:
                            "the notes stopped getting shorter; use a model with a larger context"
                                .into(),
                    });
                }
            }
            (self.write_up(&notes, level, progress)?, level)
        };
        let parts_cited = {
            let mut cited: Vec<usize> = points
                .iter()
                .flat_map(|p| p.parts.iter().copied())
                .collect();
            cited.sort_unstable();
            cited.dedup();
            cited.len()
        };
        Ok(Summary {
            style: self.options.style,
            text: render(&points, self.options.style, &self.chunks),
            points,
            parts: self.chunks.iter().map(|c| c.source.clone()).collect(),
            levels,
            part_notes,
            parts_cited,
            steps: self.stats.steps,
            prompt_tokens: self.stats.prompt_tokens,
            completion_tokens: self.stats.completion_tokens,
            warnings: self.stats.warnings,
            grounding: None,
        })
    }

    fn document_name(&self) -> String {
        match &self.title {
            Some(title) => format!("the document \"{title}\""),
            None => "a document".to_owned(),
        }
    }

    fn language_instruction(&self) -> String {
        match &self.options.language {
            Some(language) => format!("Write in {}.", language.name),
            None => "Write in the same language as the text.".to_owned(),
        }
    }

    /// Level 1: a few notes per part, the parts in parallel.
    fn map(&mut self, progress: &mut dyn FnMut(SummaryProgress)) -> Result<Vec<Note>> {
        let total = self.chunks.len();
        let document = self.document_name();
        let language = self.language_instruction();
        // The part's number goes in the instructions, not before its text: small models
        // copy a "Part 3 of 9:" header into their notes.
        let prompts = self
            .chunks
            .iter()
            .enumerate()
            .map(|(i, chunk)| {
                let system = format!(
                    "You take notes on part {} of {total} of {document}. Write 3 to 5 short \
                     bullet points with the most important facts, names, numbers and \
                     conclusions of this part. {language} Reply with the bullet points only.",
                    i + 1
                );
                (system, chunk.text.clone())
            })
            .collect();
        let completions = self.run_level(1, prompts, progress)?;
        let mut notes = Vec::new();
        for (i, completion) in completions.iter().enumerate() {
            self.stats.add(completion);
            let mut points = split_points(&completion.text);
            if points.is_empty() {
                let stand_in = first_sentences(&self.chunks[i].text, 2);
                self.stats.warnings.push(format!(
                    "{}: the model wrote no notes; its first sentences stand in for it",
                    self.chunks[i].source.label()
                ));
                points.push(stand_in);
            }
            notes.extend(points.into_iter().map(|text| Note {
                text,
                parts: vec![i],
            }));
        }
        Ok(notes)
    }

    /// Condenses notes that do not fit one step: consecutive groups that fit, each
    /// written down to fewer notes.
    fn reduce(
        &mut self,
        notes: Vec<Note>,
        level: u32,
        progress: &mut dyn FnMut(SummaryProgress),
    ) -> Result<Vec<Note>> {
        let groups = self.group(notes)?;
        let system = format!(
            "You condense notes taken on {}. Merge the notes below into at most 6 short bullet \
             points that keep the most important facts, names and numbers. {} Reply with the \
             bullet points only.",
            self.document_name(),
            self.language_instruction()
        );
        let prompts = groups
            .iter()
            .map(|group| (system.clone(), render_notes(group)))
            .collect();
        let completions = self.run_level(level, prompts, progress)?;
        let mut condensed = Vec::new();
        for (group, completion) in groups.iter().zip(&completions) {
            self.stats.add(completion);
            let points = split_points(&completion.text);
            if points.is_empty() {
                // Keep the group's first notes rather than lose its parts.
                self.stats.warnings.push(format!("level {level}: the model condensed a group of notes to nothing; its first notes stand in"));
                condensed.extend(group.iter().take(3).cloned());
                continue;
            }
            condensed.extend(points.into_iter().map(|text| Note {
                parts: attribute(&text, group),
                text,
            }));
        }
        Ok(condensed)
    }

    /// Runs one level's steps (system prompt, user text) as parallel sequences, reporting
    /// each finished step at `level`.
    fn run_level(
        &self,
        level: u32,
        prompts: Vec<(String, String)>,
        progress: &mut dyn FnMut(SummaryProgress),
    ) -> Result<Vec<Completion>> {
        let total = prompts.len();
        let prompts = prompts
            .into_iter()
            .map(|(system, user)| {
                (
                    vec![ChatMessage::system(system), ChatMessage::user(user)],
                    self.step_options(self.note_tokens),
                )
            })
            .collect();
        run_all(
            self.engine,
            prompts,
            self.window,
            self.cancel,
            &mut |done| progress(SummaryProgress::Step { level, done, total }),
        )
    }

    /// Consecutive groups of notes, each within the input budget.
    fn group(&self, notes: Vec<Note>) -> Result<Vec<Vec<Note>>> {
        let mut groups: Vec<Vec<Note>> = Vec::new();
        let mut size = 0;
        let limit = self.input_budget;
        for note in notes {
            let tokens = self.engine.count_tokens(&note.text)? + 2;
            match groups.last_mut() {
                Some(group) if size + tokens <= limit => {
                    size += tokens;
                    group.push(note);
                }
                _ => {
                    size = tokens;
                    groups.push(vec![note]);
                }
            }
        }
        Ok(groups)
    }

    /// The last level: the notes (or the whole document) written in the chosen style.
    fn write_up(
        &mut self,
        notes: &[Note],
        level: u32,
        progress: &mut dyn FnMut(SummaryProgress),
    ) -> Result<Vec<SummaryPoint>> {
        let style = self.options.style;
        let words = self.options.length.words(style);
        let points = self.options.length.points(style);
        let shape = match style {
            SummaryStyle::Paragraph => {
                format!("Write the summary as one paragraph of about {words} words.")
            }
            SummaryStyle::Bullets => format!("Write the summary as {points} bullet points."),
            SummaryStyle::Detailed => format!(
                "Write a detailed summary in several paragraphs, about {words} words in all."
            ),
            SummaryStyle::Tldr => "Write a TL;DR: one or two sentences.".to_owned(),
            SummaryStyle::KeyPoints => format!("List the {points} key points as bullet points."),
        };
        // One part: the model reads the document itself; more: the notes on all parts.
        let whole_document = self.chunks.len() == 1;
        let source = if whole_document {
            "the text below"
        } else {
            "the notes below, taken on the whole document in order"
        };
        let system = format!(
            "You summarize {} from {source}. {shape} {} Reply with the summary only.",
            self.document_name(),
            self.language_instruction()
        );
        let user = if whole_document {
            notes[0].text.clone()
        } else {
            render_notes(notes)
        };
        let prompts = vec![(
            vec![ChatMessage::system(system), ChatMessage::user(user)],
            self.step_options(answer_tokens(self.options)),
        )];
        let completions = run_all(self.engine, prompts, 1, self.cancel, &mut |done| {
            progress(SummaryProgress::Step {
                level,
                done,
                total: 1,
            })
        })?;
        let completion = &completions[0];
        self.stats.add(completion);
        let mut result = Vec::new();
        if style.is_list() {
            for text in split_points(&completion.text) {
                result.push(self.point(text, notes, 0));
            }
        } else {
            for (paragraph, sentences) in split_paragraphs(&completion.text).into_iter().enumerate()
            {
                for text in sentences {
                    result.push(self.point(text, notes, paragraph));
                }
            }
        }
        // An answer stopped by the length limit ends mid-sentence; a half sentence would
        // read as a claim the document never made.
        let cut_short = completion.stop_reason == StopReason::MaxTokens
            && result.len() > 1
            && result.last().is_some_and(|p| !ends_sentence(&p.text));
        if cut_short {
            result.pop();
            self.stats.warnings.push(
                "the summary reached its length limit; its unfinished last sentence is left out"
                    .to_owned(),
            );
        }
        if result.is_empty() {
            return Err(CoreError::SummaryFailed {
                reason: "the model wrote an empty summary; try another style or a larger model"
                    .into(),
            });
        }
        Ok(result)
    }

    fn point(&self, text: String, notes: &[Note], paragraph: usize) -> SummaryPoint {
        let parts = attribute(&text, notes);
        let quote = (self.options.style == SummaryStyle::KeyPoints)
            .then(|| {
                let sources: Vec<&str> = parts
                    .iter()
                    .map(|&i| self.chunks[i].text.as_str())
                    .collect();
                best_quote(&text, &sources, QUOTE_WORDS)
            })
            .flatten();
        SummaryPoint {
            text,
            parts,
            quote,
            paragraph,
            // The facade's grounding check fills it in, when it is on.
            unsupported: Vec::new(),
        }
    }

    fn step_options(&self, max_tokens: u32) -> GenerationOptions {
        GenerationOptions {
            max_tokens: Some(max_tokens),
            // Summaries should be faithful and the same on every run.
            temperature: 0.0,
            repeat_penalty: 1.1,
            seed: Some(0),
            ..GenerationOptions::default()
        }
    }

    fn tokens_of(&self, notes: &[Note]) -> Result<usize> {
        Ok(self.engine.count_tokens(&render_notes(notes))?)
    }
}

fn answer_tokens(options: &SummaryOptions) -> u32 {
    // About 1.5 tokens per English word, more for other scripts, plus room to finish.
    (options.length.words(options.style) * 2 + 64).min(2048)
}

fn ends_sentence(text: &str) -> bool {
    text.trim_end()
        .ends_with(['.', '!', '?', '。', '！', '？', '…', ')', '"', '”', '»'])
}

fn render_notes(notes: &[Note]) -> String {
    notes
        .iter()
        .map(|n| format!("- {}", n.text))
        .collect::<Vec<_>>()
        .join("\n")
}

fn first_sentences(text: &str, count: usize) -> String {
    text.unicode_sentences()
        .take(count)
        .collect::<String>()
        .trim()
        .to_owned()
}
