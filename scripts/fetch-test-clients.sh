#!/usr/bin/env bash
# The HTTP clients the end-to-end tests drive Hearth's server with: the official
# `openai` Python package (pinned) in its own virtual environment, .venv-clients/.
# Idempotent; prints the environment's python.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-clients"
want="openai==3.57.0"
if ! "$venv/bin/python" -c 'import openai, sys; sys.exit(openai.__version__ != "3.57.0")' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$want" >&2
fi
echo "$venv/bin/python"
