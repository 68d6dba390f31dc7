//! The child side: `hearth worker` reads frames on stdin, runs an in-process
//! [`LlamaEngine`], and writes events on stdout. When its parent goes away stdin
//! closes and the worker exits, so no worker outlives the app.

use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::sync::{Arc, Mutex};

use crate::engine::{CancelToken, Engine};
use crate::error::LlmError;
use crate::llama::{LlamaEngine, LoadProgress};
use crate::worker::protocol::{read_frame, write_frame, FromWorker, ToWorker};

type SharedWriter = Arc<Mutex<Box<dyn Write + Send>>>;

/// Serves the protocol on this process's stdin and stdout.
pub fn serve_stdio() -> std::io::Result<()> {
    serve(std::io::stdin().lock(), std::io::stdout())
}

pub fn serve(input: impl Read, output: impl Write + Send + 'static) -> std::io::Result<()> {
    let mut input = BufReader::new(input);
    let writer: SharedWriter = Arc::new(Mutex::new(Box::new(BufWriter::new(output))));
    let send = |message: &FromWorker| -> std::io::Result<()> {
        let mut w = writer
            .lock()
            .map_err(|_| std::io::Error::other("writer poisoned"))?;
        write_frame(&mut *w, message)
    };

    let engine = match read_frame::<_, ToWorker>(&mut input)? {
        Some(ToWorker::Load { path, settings }) => match LlamaEngine::load_with_progress(
            &path,
            &settings,
            Some(progress_to(writer.clone())),
        ) {
            Ok(engine) => {
                send(&FromWorker::Ready {
                    info: Box::new(engine.info()),
                })?;
                engine
            }
            Err(error) => return send(&FromWorker::LoadFailed { error }),
        },
        Some(other) => {
            let error = LlmError::Protocol {
                reason: format!("expected a load message first, got {other:?}"),
            };
            return send(&FromWorker::LoadFailed { error });
        }
        None => return Ok(()),
    };

    let running: Arc<Mutex<HashMap<u64, CancelToken>>> = Arc::default();
    while let Some(message) = read_frame::<_, ToWorker>(&mut input)? {
        match message {
            ToWorker::Generate { id, request } => match engine.submit(*request) {
                Ok(generation) => {
                    if let Ok(mut map) = running.lock() {
                        map.insert(id, generation.cancel_token());
                    }
                    let writer = writer.clone();
                    let running = running.clone();
                    std::thread::spawn(move || forward(id, generation, writer, running));
                }
                Err(error) => send(&FromWorker::Event {
                    id,
                    event: crate::GenerationEvent::Failed { error },
                })?,
            },
            ToWorker::Cancel { id } => {
                if let Some(token) = running.lock().ok().and_then(|m| m.get(&id).cloned()) {
                    token.cancel();
                }
            }
            ToWorker::Tokenize {
                id,
                text,
                add_special,
            } => {
                send(&FromWorker::Tokens {
                    id,
                    result: engine.tokenize(&text, add_special),
                })?;
            }
            ToWorker::Detokenize { id, tokens } => {
                send(&FromWorker::Text {
                    id,
                    result: engine.detokenize(&tokens),
                })?;
            }
            ToWorker::ForgetContexts { id } => {
                send(&FromWorker::Forgotten {
                    id,
                    result: engine.forget_contexts(),
                })?;
            }
            ToWorker::Load { .. } => {
                tracing::warn!(
                    "ignoring a second load message; start a new worker for another model"
                );
            }
            ToWorker::Shutdown => break,
        }
    }
    drop(engine);
    Ok(())
}

fn forward(
    id: u64,
    generation: crate::Generation,
    writer: SharedWriter,
    running: Arc<Mutex<HashMap<u64, CancelToken>>>,
) {
    for event in generation {
        let Ok(mut w) = writer.lock() else { return };
        if write_frame(&mut *w, &FromWorker::Event { id, event }).is_err() {
            // The parent is gone; dropping the generation cancels it.
            break;
        }
    }
    if let Ok(mut map) = running.lock() {
        map.remove(&id);
    }
}

/// Reports load progress to the parent as `Loading` frames.
fn progress_to(writer: SharedWriter) -> LoadProgress {
    let placing = writer.clone();
    LoadProgress::new(move |progress| {
        if let Ok(mut w) = writer.lock() {
            let _ = write_frame(&mut *w, &FromWorker::Loading { progress });
        }
    })
    .with_placing(move |gpu_layers| {
        if let Ok(mut w) = placing.lock() {
            let _ = write_frame(&mut *w, &FromWorker::Placing { gpu_layers });
        }
    })
}
