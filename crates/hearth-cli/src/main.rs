//! `hearth`: the command-line front end. It parses arguments and calls the `Hearth`
//! facade; it holds no assistant logic of its own.

mod args;
mod commands;
mod exit;
mod interrupt;

use clap::Parser;

use args::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    init_logging(cli.verbose, matches!(cli.command, Command::Worker));
    let json = cli.json;
    let result = match cli.command {
        Command::Run(args) => commands::run::run(args, json),
        Command::Chat(args) => commands::chat::run(args),
        Command::Models { command } => commands::models::run(command, json),
        Command::History { command } => commands::history::run(command, json),
        Command::Persona { command } => commands::persona::run(command, json),
        Command::Bench(args) => commands::bench::run(args, json),
        Command::Worker => hearth_llm::worker::serve_stdio()
            .map(|_| exit::OK)
            .map_err(Into::into),
    };
    let code = match result {
        Ok(code) => code,
        Err(error) => {
            if json {
                let body = serde_json::json!({ "error": { "code": exit::error_code(&error), "message": format!("{error:#}") } });
                println!("{body}");
            } else {
                eprintln!("error: {error:#}");
            }
            exit::code_for(&error)
        }
    };
    std::process::exit(code);
}

/// Logs go to stderr so stdout carries only answers. llama.cpp's own chatter is
/// routed into tracing and shown only with -vv.
fn init_logging(verbose: u8, worker: bool) {
    let default = match (verbose, worker) {
        (0, _) => "warn,llama_cpp_2=error,llama-cpp-2=error",
        (1, _) => "info,llama_cpp_2=warn",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("HEARTH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colour codes only for a person at a terminal, never into a file or a pipe.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
