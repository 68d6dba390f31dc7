//! The Hearth assistant.
//!
//! [`Hearth`] is the facade every front end calls: it resolves models, loads them
//! (isolated in a worker process by default), and runs the assistant's tasks. The
//! CLI, the HTTP server and the desktop shell only translate their inputs into these
//! calls and the results back.

pub mod access;
pub mod ask;
pub mod audit;
pub mod bench;
pub mod chat;
pub mod chat_tools;
pub mod choice;
pub mod config;
pub mod conversations;
pub mod documents;
mod draft;
pub mod engines;
pub mod erase;
pub mod error;
mod error_kind;
pub mod files;
mod fold;
pub mod generate;
pub mod grounding;
mod hearth;
pub mod history;
pub mod library;
pub mod mcp;
mod models;
pub mod multilingual;
pub mod ocr;
pub mod paths;
pub mod prompts;
mod providers;
pub mod recommended;
pub mod redact;
mod redacting;
mod saved;
pub mod secrets;
pub mod tabular;
mod tasks;
pub mod workflows;

pub use chat::{ChatTurn, TurnEvent};
pub use config::{Config, ProviderConfig};
pub use engines::{LoadedModelView, LoadedModels, MemoryCost};
pub use error::{CoreError, Result};
pub use error_kind::ErrorKind;
pub use hearth::{Hearth, Isolation, ModelLoad, OpenOptions};
pub use models::{ModelDetails, ModelView, PullSource};
pub use paths::Paths;
pub use providers::ProviderView;
pub use recommended::{RecommendedSetup, SetupOutcome};
pub use secrets::KeyPlace;
pub use tasks::TranslationSource;
