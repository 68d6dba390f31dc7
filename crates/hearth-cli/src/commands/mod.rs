//! One module per subcommand; each turns its arguments into facade calls.

pub mod audit;
pub mod bench;
pub mod chat;
pub mod history;
pub mod models;
pub mod persona;
pub mod run;

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
