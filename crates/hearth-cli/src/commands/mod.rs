//! One module per subcommand; each turns its arguments into facade calls.

pub mod ask;
pub mod audit;
pub mod bench;
pub mod chat;
pub mod check;
pub mod devices;
pub mod docs;
pub mod erase;
pub mod generate;
pub mod history;
pub mod mcp;
pub mod models;
pub mod persona;
pub mod prompts;
pub mod providers;
pub mod run;
pub mod serve;
pub mod summarize;
pub mod translate;
pub mod workflow;

use std::io::IsTerminal;
use std::time::Duration;

use hearth_llm::GenerationOptions;
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::{SamplingArgs, ThinkingArgs};

/// Command-line sampling flags over the configured defaults.
pub fn apply_sampling(mut options: GenerationOptions, args: &SamplingArgs) -> GenerationOptions {
    if let Some(v) = args.temperature {
        options.temperature = v;
    }
    if let Some(v) = args.max_tokens {
        options.max_tokens = Some(v);
    }
    if let Some(v) = args.seed {
        options.seed = Some(v);
    }
    if let Some(v) = args.top_k {
        options.top_k = v;
    }
    if let Some(v) = args.top_p {
        options.top_p = v;
    }
    if let Some(v) = args.min_p {
        options.min_p = v;
    }
    if let Some(v) = args.repeat_penalty {
        options.repeat_penalty = v;
    }
    options.stop.extend(args.stop.iter().cloned());
    options
}

/// The thinking flags over the options: the switch and the budget.
pub fn apply_thinking(mut options: GenerationOptions, args: &ThinkingArgs) -> GenerationOptions {
    if let Some(switch) = args.thinking {
        options.thinking = switch.value();
    }
    if let Some(budget) = args.thinking_budget {
        options.thinking_budget = Some(budget);
    }
    options
}

/// Where a reasoning model's thinking goes: to stderr, so stdout carries the answer
/// alone (a pipe gets just the answer); dimmed on a terminal, where it is shown by
/// default; elsewhere only with `--show-thinking`.
pub struct ThinkingOutput<W: std::io::Write> {
    out: Option<W>,
    dim: bool,
    /// Thinking was written and its block is still open.
    open: bool,
}

const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

impl ThinkingOutput<std::io::Stderr> {
    pub fn stderr(args: &ThinkingArgs) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let show = terminal || args.show_thinking;
        ThinkingOutput::new(show.then(std::io::stderr), terminal)
    }
}

impl<W: std::io::Write> ThinkingOutput<W> {
    pub fn new(out: Option<W>, dim: bool) -> Self {
        Self {
            out,
            dim,
            open: false,
        }
    }

    /// A piece of thinking.
    pub fn thinking(&mut self, text: &str) {
        let Some(out) = self.out.as_mut() else {
            return;
        };
        let text = if self.dim {
            format!("{DIM}{text}{RESET}")
        } else {
            text.to_owned()
        };
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        self.open = true;
    }

    /// The answer begins (or the generation ends): the thinking gets its own lines.
    pub fn close(&mut self) {
        if let (Some(out), true) = (self.out.as_mut(), self.open) {
            let _ = out.write_all(b"\n\n");
            let _ = out.flush();
        }
        self.open = false;
    }
}

/// Streams a generation's events: answer text to `stdout`, thinking to `thinking`.
pub fn write_events<W: std::io::Write, T: std::io::Write>(
    generation: hearth_llm::Generation,
    stdout: &mut W,
    thinking: &mut ThinkingOutput<T>,
) -> hearth_llm::Result<hearth_llm::Completion> {
    use hearth_llm::GenerationEvent;
    for event in generation {
        match event {
            GenerationEvent::Reasoning { text } => thinking.thinking(&text),
            GenerationEvent::Delta { text } => {
                thinking.close();
                let _ = stdout.write_all(text.as_bytes());
                let _ = stdout.flush();
            }
            GenerationEvent::ToolCall { .. } => {}
            GenerationEvent::Done { completion } => {
                thinking.close();
                return Ok(completion);
            }
            GenerationEvent::Failed { error } => {
                thinking.close();
                return Err(error);
            }
        }
    }
    Err(hearth_llm::LlmError::EngineStopped)
}

/// Waits for a generation: quietly for `--json` output (its `reasoning` holds the
/// thinking), otherwise streaming its answer to stdout as it is written, with a line
/// break at the end, and its thinking as [`ThinkingOutput`] says.
pub fn print_generation(
    generation: hearth_llm::Generation,
    json: bool,
    thinking: &ThinkingArgs,
) -> hearth_llm::Result<hearth_llm::Completion> {
    use std::io::Write;
    if json {
        return generation.wait();
    }
    let mut stdout = std::io::stdout().lock();
    let completion = write_events(
        generation,
        &mut stdout,
        &mut ThinkingOutput::stderr(thinking),
    )?;
    let _ = writeln!(stdout);
    Ok(completion)
}

/// A spinner on stderr while something loads; hidden when stderr is not a terminal
/// or output is JSON, so scripts see clean streams.
pub fn spinner(message: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// A progress bar for a job's steps on stderr ("reading parts ━━━━ 3/12"); hidden when
/// stderr is not a terminal or output is JSON.
pub fn job_bar(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Runs `read` with a bar for the scanned pages it reads with OCR (which can take a
/// while, so the user sees it), cleared when the reading is done.
pub fn reading_scans<T>(
    json: bool,
    read: impl FnOnce(&mut dyn FnMut(hearth_core::ocr::OcrProgress)) -> T,
) -> T {
    let bar = job_bar(json);
    let read = read(&mut |p| {
        bar.set_length(u64::from(p.total));
        bar.set_message("reading scanned pages (OCR)");
        bar.set_position(u64::from(p.done));
    });
    bar.finish_and_clear();
    read
}

/// Writes a result to `path` (all or nothing: a temporary file renamed into place) or
/// to stdout.
pub fn write_output(path: Option<&std::path::Path>, text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let Some(path) = path else {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        return Ok(stdout.flush()?);
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(folder)
        .with_context(|| format!("cannot write in {}", folder.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|_| file.as_file().sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    file.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_llm::fake::FakeEngine;
    use hearth_llm::transcripts;
    use hearth_llm::{ChatMessage, Engine};

    /// A recorded Qwen3 answer through the fake with its real template: the answer
    /// alone on stdout, the thinking dimmed on its own lines before it.
    #[test]
    fn reasoning_goes_to_its_own_stream_dimmed() {
        let transcript = transcripts::QWEN3;
        let fake = FakeEngine::new().with_template(transcript.template_text().unwrap());
        fake.reply_with(transcript.tokens.iter().copied());
        let (generation, _) = fake
            .chat(
                &[ChatMessage::user("How many r's?")],
                GenerationOptions::greedy(),
            )
            .unwrap();
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let completion = write_events(
            generation,
            &mut stdout,
            &mut ThinkingOutput::new(Some(&mut stderr), true),
        )
        .unwrap();
        assert_eq!(String::from_utf8(stdout).unwrap(), transcript.answer);
        let stderr = String::from_utf8(stderr).unwrap();
        let plain = stderr.replace(DIM, "").replace(RESET, "");
        assert_eq!(plain, format!("{}\n\n", transcript.thinking));
        assert!(stderr.starts_with(DIM), "{stderr:?}");
        assert_eq!(completion.reasoning.as_deref(), Some(transcript.thinking));

        // Hidden: nothing but the answer anywhere.
        fake.reply_with(transcript.tokens.iter().copied());
        let (generation, _) = fake
            .chat(&[ChatMessage::user("Again")], GenerationOptions::greedy())
            .unwrap();
        let mut stdout = Vec::new();
        write_events(
            generation,
            &mut stdout,
            &mut ThinkingOutput::<Vec<u8>>::new(None, false),
        )
        .unwrap();
        assert_eq!(String::from_utf8(stdout).unwrap(), transcript.answer);
    }
}
