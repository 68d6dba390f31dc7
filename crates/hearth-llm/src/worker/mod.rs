//! Isolation: the engine in a supervised child process, reached through a framed
//! protocol over its stdin and stdout.

pub mod protocol;
mod serve;
mod supervisor;

pub use serve::{serve, serve_stdio};
pub use supervisor::{WorkerEngine, WorkerSettings};
