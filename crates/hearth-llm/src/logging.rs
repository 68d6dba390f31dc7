//! llama.cpp and ggml print to stderr by default; route them into `tracing` so the
//! CLI stays quiet and the app's log file gets them.

use std::sync::Once;

pub fn route_llama_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default()));
}
