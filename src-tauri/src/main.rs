//! `hearth-desktop`: the desktop app. Run with `worker` it is instead the model worker
//! child that the app starts to keep llama.cpp apart (`isolate_models`), like `hearth
//! worker`, and with `ocr-worker` the OCR child (like `hearth ocr-worker`), so the app
//! needs no second program.

// No console window behind the app on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // History, settings, logs and saved contexts are private: whatever creates a file
    // in this process or its model worker, no other user may read it.
    hearth_core::files::restrict_umask();
    if std::env::args().nth(1).as_deref() == Some("worker") {
        let code = match hearth_llm::worker::serve_stdio() {
            Ok(_) => 0,
            Err(error) => {
                eprintln!("error: the model worker stopped: {error}");
                1
            }
        };
        std::process::exit(code);
    }
    if std::env::args().nth(1).as_deref() == Some("ocr-worker") {
        std::process::exit(hearth_core::ocr::serve_worker());
    }
    let _log = init_logging();
    if let Err(error) = hearth_desktop::run() {
        tracing::error!("{error:#}");
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

/// Warnings to stderr, and info and up to a daily file in Hearth's log folder (the
/// same folder as the CLI's), so a problem can be looked into after the fact.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{fmt, EnvFilter, Layer};

    let stderr = fmt::layer().with_writer(std::io::stderr).with_filter(
        EnvFilter::try_from_env("HEARTH_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
    );
    let logs = hearth_core::Paths::from_env().ok().map(|p| p.logs);
    let (file, guard) = match logs.and_then(|dir| {
        hearth_core::files::create_private_dir_all(&dir)
            .ok()
            .map(|_| dir)
    }) {
        Some(dir) => {
            let (writer, guard) = tracing_appender::non_blocking(tracing_appender::rolling::daily(
                dir,
                "hearth-desktop.log",
            ));
            let layer = fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(EnvFilter::new("info,lopdf=off,pdf_extract=off"));
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .init();
    guard
}
