//! Every integration test of hearth-server in one program: one link instead of one per
//! file (each links llama.cpp and the whole crate graph), and the files' tests share the
//! runner's threads. Each file is a module; a test's name is `FILE::TEST`.

#[path = "../../hearth-mcp/tests/support/servers.rs"]
mod mcp_servers;
mod support;

mod app_api;
mod check;
mod collections;
mod login;
mod mcp_api;
mod openai;
mod providers;
mod reasoning;
mod tools;
mod workflows;
