//! The start of a model thread, shared by the chat engine and the embedder: the thread
//! loads the model and builds its context itself (a llama.cpp context never leaves the
//! thread that made it), says once whether that worked, and then serves requests. The
//! caller waits for that word, and joins the thread when loading failed.

use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use crate::error::{LlmError, Result};

/// Runs `body` on a new thread named `name` and waits for what it sends on `ready`:
/// its description when loaded (then it keeps serving), or why loading failed.
pub(super) fn spawn_model_thread<I, F>(name: &str, body: F) -> Result<(JoinHandle<()>, I)>
where
    I: Send + 'static,
    F: FnOnce(SyncSender<Result<I>>) + Send + 'static,
{
    let (ready_tx, ready_rx) = sync_channel::<Result<I>>(1);
    let thread = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || body(ready_tx))
        .map_err(|e| LlmError::LoadFailed {
            path: Default::default(),
            reason: format!("cannot start the {name} thread: {e}"),
        })?;
    match ready_rx.recv() {
        Ok(Ok(info)) => Ok((thread, info)),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => {
            let _ = thread.join();
            Err(LlmError::EngineStopped)
        }
    }
}
