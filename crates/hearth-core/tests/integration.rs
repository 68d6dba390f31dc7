//! Every integration test of hearth-core in one program: one link instead of one per
//! file (each links llama.cpp and the whole crate graph), and the files' tests share the
//! runner's threads. Each file is a module; a test's name is `FILE::TEST`.

mod common;
#[path = "../../hearth-llm/tests/support/lora_adapter.rs"]
mod lora_adapter;
#[path = "../../hearth-mcp/tests/support/servers.rs"]
mod servers;
#[path = "../../hearth-llm/tests/support/mod.rs"]
#[allow(dead_code)] // each file uses part of it
mod support;

mod adapters_real;
mod ask_real;
mod audit;
mod chat;
mod chat_tools;
mod contexts_real;
mod delete_everything_real;
mod documents_fake;
mod documents_real;
mod fold_real;
mod grounding_thorough;
mod model_loads;
mod ocr_merge;
mod one_door;
mod private_files;
mod providers;
mod reasoning;
mod shared_settings;
mod watch_real;
mod workflows_real;
