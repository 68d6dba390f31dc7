#!/usr/bin/env bash
# Summarizing speed for BENCHMARKS.md: `hearth summarize` on the R manual "An
# Introduction to R" (a real PDF of about 100 pages) with the default model, the map
# run as parallel sequences in one batch against one part at a time. Prints pages per
# minute for each and the ratio.
#
#   scripts/bench-summarize.sh [PDF]
# Run it on an otherwise idle machine: other load skews the figures.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The engine is the same in every run (4 sequences of 4096 tokens); only the number of
# map steps submitted at once changes, so the difference is the batching alone.
DEFAULT_PDF=.testdata/r-doc-pdf/R-intro.pdf
source scripts/lib/bench-home.sh "$@"

run() { # window
  set -- 4 "$1"
  local start end
  start=$(date +%s.%N)
  target/release/hearth --json summarize -m "$model" --style bullets --parallel "$2" "$pdf" >"$home/out.json"
  end=$(date +%s.%N)
  python3 - "$home/out.json" "$start" "$end" "$1" "$2" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
seconds = float(sys.argv[3]) - float(sys.argv[2])
pages = summary["parts"][-1]["last_page"]
print(f"sequences={sys.argv[4]} window={sys.argv[5]}: {pages} pages, {len(summary['parts'])} parts, "
      f"{summary['levels']} levels, {summary['steps']} steps, {summary['prompt_tokens']} prompt + "
      f"{summary['completion_tokens']} generated tokens, {seconds:.1f} s, {pages * 60 / seconds:.1f} pages/min")
print(f"RESULT {seconds:.3f}")
PY
}

# WINDOWS="1 2 4" by default; the first is the baseline the others are compared with.
read -r -a windows <<<"${WINDOWS:-1 2 4}"
base=""
for window in "${windows[@]}"; do
  seconds=$(run "$window" | tee -a /dev/stderr | sed -n 's/^RESULT //p')
  if [ -z "$base" ]; then
    base="$seconds"
  else
    python3 -c "import sys; a,b=map(float,sys.argv[1:3]); print(f'{sys.argv[3]} at once: {a/b:.2f}x the speed of {sys.argv[4]} at a time')" "$base" "$seconds" "$window" "${windows[0]}"
  fi
done
