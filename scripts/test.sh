#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the tests need, fetches the test
# models and documents, builds everything once in release mode, then runs every test
# stage on that build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

stage() { printf '\n==== %s ====\n' "$*" >&2; }

stage "system packages"
scripts/install-deps.sh

stage "test models"
scripts/fetch-models.sh smollm2 gemma3 >/dev/null

stage "test documents"
scripts/fetch-test-docs.sh

stage "HTTP test clients"
scripts/fetch-test-clients.sh >/dev/null

stage "format"
cargo fmt --all -- --check

stage "build (release, all targets)"
cargo build --release --workspace --all-targets --locked

stage "tests"
cargo test --release --workspace --locked
