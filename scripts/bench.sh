#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: builds llama.cpp's llama-bench for this machine's CPU
# variant, then runs `hearth bench` (in-process and through the worker process) beside
# it on the default model and on Gemma 3 270M, with 2 threads.
#
#   scripts/bench.sh [REPETITIONS]
# Run it on an otherwise idle machine: other load skews the ratios.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
reps="${1:-10}"

cargo build --release --workspace --bins >&2
llama_bench="$(scripts/build-llama-bench.sh)"
smollm2="$(scripts/fetch-models.sh smollm2)"
gemma3="$(scripts/fetch-models.sh gemma3)"
export HEARTH_HOME="${HEARTH_HOME:-$(mktemp -d)}"
for model in "$smollm2" "$gemma3"; do
  target/release/hearth bench -m "$model" -t 2 -r "$reps" --worker --llama-bench "$llama_bench"
  echo
done
