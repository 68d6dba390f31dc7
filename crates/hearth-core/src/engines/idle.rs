//! The thread that unloads idle models: it wakes every so often, runs the check it was
//! given, and ends when the check says the registry is gone or its handle is dropped.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// Ends the thread when dropped.
pub(crate) struct IdleCheck {
    _stop: mpsc::Sender<()>,
}

impl IdleCheck {
    /// Runs `check` every `period` until it returns false. `None` (logged) when no
    /// thread could be started: models then stay loaded until unloaded by hand or quit.
    pub(crate) fn start(
        period: Duration,
        check: impl Fn() -> bool + Send + 'static,
    ) -> Option<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let started = std::thread::Builder::new()
            .name("hearth-idle-models".into())
            .spawn(move || loop {
                match stopped.recv_timeout(period) {
                    Err(RecvTimeoutError::Timeout) => {
                        if !check() {
                            return;
                        }
                    }
                    // The handle was dropped (or sent to, which nothing does).
                    _ => return,
                }
            });
        match started {
            Ok(_) => Some(Self { _stop: stop }),
            Err(error) => {
                tracing::warn!(%error, "no idle-model check: idle models stay loaded");
                None
            }
        }
    }
}
