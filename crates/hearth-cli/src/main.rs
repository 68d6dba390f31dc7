//! `hearth`: the command-line front end. It parses arguments and calls the `Hearth`
//! facade; it holds no assistant logic of its own.

mod args;
mod commands;
mod exit;
mod interrupt;

use clap::Parser;

use args::{Cli, Command};

fn main() {
    // History, settings, logs and saved contexts are private: whatever creates a file
    // in this process (llama.cpp, the log appender), no other user may read it.
    hearth_core::files::restrict_umask();
    end_quietly_when_stdout_closes();
    let cli = Cli::parse();
    let log_guard = init_logging(cli.verbose);
    let json = cli.json;
    // Read by the settings (hearth_core::config) in this process, and so passed to any
    // worker it starts with the engine's settings.
    if let Some(layers) = cli.gpu_layers {
        std::env::set_var(hearth_core::config::GPU_LAYERS_ENV, layers.to_string());
    }
    if let Some(device) = &cli.gpu_device {
        std::env::set_var(hearth_core::config::GPU_DEVICE_ENV, device);
    }
    let result = match cli.command {
        Command::Run(args) => commands::run::run(args, json),
        Command::Chat(args) => commands::chat::run(args),
        Command::Summarize(args) => commands::summarize::run(args, json),
        Command::Translate(args) => commands::translate::run(args, json),
        Command::Check(args) => commands::check::run(args, json),
        Command::Models { command } => commands::models::run(command, json),
        Command::Docs { command } => commands::docs::run(command, json),
        Command::Ask(args) => commands::ask::run(args, json),
        Command::History { command } => commands::history::run(command, json),
        Command::Audit { command } => commands::audit::run(command, json),
        Command::Persona { command } => commands::persona::run(command, json),
        Command::Providers { command } => commands::providers::run(command, json),
        Command::Mcp { command } => commands::mcp::run(command, json),
        Command::Workflow { command } => commands::workflow::run(command, json),
        Command::Prompts { command } => commands::prompts::run(command, json),
        Command::Generate(args) => commands::generate::run(args, json),
        Command::DeleteEverything { yes } => commands::erase::run(yes, json),
        Command::Offline { state } => commands::providers::offline(state, json),
        Command::Devices => commands::devices::run(json),
        Command::Bench(args) => commands::bench::run(args, json),
        Command::Serve(args) => commands::serve::run(args, json),
        Command::Worker => hearth_llm::worker::serve_stdio()
            .map(|_| exit::OK)
            .map_err(Into::into),
        Command::OcrWorker => Ok(hearth_core::ocr::serve_worker()),
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
    // process::exit skips destructors: flush the log file first.
    drop(log_guard);
    std::process::exit(code);
}

/// `hearth history list | head` closes the pipe early; the next print then fails with
/// EPIPE, which Rust's print macros turn into a panic and a backtrace. Stopping is what
/// the reader asked for, so the process ends quietly with the status a shell gives a
/// command stopped by SIGPIPE (141), as `cat` or `grep` would. Restoring SIGPIPE's
/// default action instead would also kill Hearth when a crashed worker child's pipe
/// breaks, which must be reported, not fatal.
fn end_quietly_when_stdout_closes() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        // EPIPE is 32 on Linux and macOS; std words the panic "failed printing to
        // stdout: Broken pipe (os error 32)".
        if message.starts_with("failed printing to stdout") && message.ends_with("(os error 32)") {
            std::process::exit(141);
        }
        default(info);
    }));
}

/// Logs go to stderr so stdout carries only answers (warnings only, unless -v), and to
/// a daily file in the log folder (info and up) so a problem can be looked into after
/// the fact. llama.cpp's own chatter is routed into tracing and kept out of both unless
/// asked for with -vv. The returned guard flushes the file when dropped.
fn init_logging(verbose: u8) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{fmt, EnvFilter, Layer};

    // The PDF crates warn about every odd glyph of a damaged font; what matters reaches
    // the user as the document's own warnings instead.
    const QUIET: &str = "llama_cpp_2=error,llama-cpp-2=error,pdf_extract=error,lopdf=error";
    let stderr_level = match verbose {
        0 => format!("warn,{QUIET}"),
        1 => "info,llama_cpp_2=warn,pdf_extract=error,lopdf=error".to_owned(),
        _ => "debug".to_owned(),
    };
    let stderr_filter =
        EnvFilter::try_from_env("HEARTH_LOG").unwrap_or_else(|_| EnvFilter::new(&stderr_level));
    // Colour codes only for a person at a terminal, never into a file or a pipe.
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .with_filter(stderr_filter);
    let (file, guard) = match hearth_core::Paths::from_env() {
        Ok(paths) if hearth_core::files::create_private_dir_all(&paths.logs).is_ok() => {
            let appender = tracing_appender::rolling::daily(&paths.logs, "hearth.log");
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(EnvFilter::new(format!("info,{QUIET}")));
            (Some(layer), Some(guard))
        }
        _ => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
    guard
}
