//! One module per subcommand; each turns its arguments into facade calls.

pub mod ask;
pub mod audit;
pub mod bench;
pub mod chat;
pub mod docs;
pub mod erase;
pub mod generate;
pub mod history;
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

use crate::args::SamplingArgs;

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

/// Waits for a generation: quietly for `--json` output, otherwise streaming its text to
/// stdout as it is written, with a line break at the end.
pub fn print_generation(
    generation: hearth_llm::Generation,
    json: bool,
) -> hearth_llm::Result<hearth_llm::Completion> {
    use std::io::Write;
    if json {
        return generation.wait();
    }
    let mut stdout = std::io::stdout().lock();
    let completion = generation.stream(|text| {
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    })?;
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
