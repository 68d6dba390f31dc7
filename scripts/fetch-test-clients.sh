#!/usr/bin/env bash
# The Python side of the end-to-end tests, pinned, in its own virtual environment
# (.venv-clients/): the official `openai` package that drives Hearth's server, and NumPy
# with Hugging Face `tokenizers` for the independent embedding reference
# (tests/embeddings/bert_reference.py). Idempotent; prints the environment's python.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-clients"
want=(openai==3.57.0 numpy==2.4.6 tokenizers==0.23.3)
check='import openai, numpy, tokenizers, sys
sys.exit((openai.__version__, numpy.__version__, tokenizers.__version__) != ("3.57.0", "2.4.6", "0.23.3"))'
if ! "$venv/bin/python" -c "$check" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${want[@]}" >&2
fi
echo "$venv/bin/python"
