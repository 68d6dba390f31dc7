//! Ctrl-C stops the answer being written, not the program: the handler cancels the
//! current generation if there is one, and otherwise only reminds how to quit.

use std::sync::{Arc, Mutex, OnceLock};

use hearth_llm::CancelToken;

#[derive(Clone, Default)]
pub struct Interrupts {
    current: Arc<Mutex<Option<CancelToken>>>,
}

impl Interrupts {
    /// Installs the process's Ctrl-C handler (once). With no answer running, Ctrl-C
    /// prints `idle_hint`, or exits with code 130 when the hint is `None`.
    pub fn install(idle_hint: Option<&'static str>) -> Self {
        static SHARED: OnceLock<Interrupts> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let interrupts = Interrupts::default();
                let handler = interrupts.clone();
                let _ = ctrlc::set_handler(move || {
                    let current = handler.current.lock().ok().and_then(|c| c.clone());
                    match current {
                        Some(token) => token.cancel(),
                        None => match idle_hint {
                            Some(hint) => eprintln!("\n{hint}"),
                            None => std::process::exit(crate::exit::INTERRUPTED),
                        },
                    }
                });
                interrupts
            })
            .clone()
    }

    /// Routes Ctrl-C to this generation until `clear`.
    pub fn watch(&self, token: CancelToken) {
        if let Ok(mut current) = self.current.lock() {
            *current = Some(token);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut current) = self.current.lock() {
            *current = None;
        }
    }
}
