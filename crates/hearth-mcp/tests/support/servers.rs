//! Where the real MCP test servers are: the npm packages `scripts/fetch-mcp-servers.sh`
//! installs into `.test-tools/mcp/`. Shared by the tests of hearth-mcp, hearth-core and
//! the CLI (each includes this file with `#[path]`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The entry file of `@modelcontextprotocol/PACKAGE`, run with `node`.
pub fn server_entry(package: &str) -> PathBuf {
    let entry = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.test-tools/mcp/node_modules/@modelcontextprotocol")
        .join(package)
        .join("dist/index.js");
    assert!(
        entry.is_file(),
        "the MCP test server {package} is not installed ({} is missing): run scripts/fetch-mcp-servers.sh (scripts/test.sh runs it)",
        entry.display()
    );
    entry
}

/// The protocol's reference test server (`echo`, `get-sum`, …).
pub fn everything_entry() -> PathBuf {
    server_entry("server-everything")
}
