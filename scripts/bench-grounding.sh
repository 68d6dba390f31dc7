#!/usr/bin/env bash
# What the grounding check adds to a summary, for BENCHMARKS.md: `hearth summarize` on
# a real PDF with the default model, the check on (the default). Prints the summary's
# wall time, the check's own time (`grounding.millis`, measured inside around exactly
# the check's work: reading the document's facts and looking up every point's) and
# their ratio, and the check alone again through `hearth check` on the summary's text.
#
#   scripts/bench-grounding.sh [PDF]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

DEFAULT_PDF=.testdata/r-doc-pdf/R-FAQ.pdf
source scripts/lib/bench-home.sh "$@"

start=$(date +%s.%N)
target/release/hearth --json summarize -m "$model" --style bullets "$pdf" >"$home/summary.json"
end=$(date +%s.%N)
python3 - "$home/summary.json" >"$home/summary.txt" <<'PY'
import json, sys
print("\n".join(p["text"] for p in json.load(open(sys.argv[1]))["points"]))
PY
check_start=$(date +%s.%N)
target/release/hearth --json check --source "$pdf" - <"$home/summary.txt" >"$home/check.json" || [ $? = 6 ]
check_end=$(date +%s.%N)
python3 - "$home/summary.json" "$start" "$end" "$check_start" "$check_end" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
seconds = float(sys.argv[3]) - float(sys.argv[2])
check = summary["grounding"]
alone = float(sys.argv[5]) - float(sys.argv[4])
print(f"{sys.argv[1].split('/')[-1]}: {len(summary['parts'])} parts, {len(summary['points'])} points, "
      f"summary {seconds:.1f} s; the check inside it {check['millis']} ms "
      f"({100 * check['millis'] / 1000 / seconds:.2f}% of the summary); {check['summary']}")
print(f"hearth check alone on the summary's points (a new process that reads the PDF again): {alone:.2f} s")
for point in summary["points"]:
    if point.get("unsupported"):
        print(f"  flagged: {point['text']!r}: {'; '.join(f['reason'] for f in point['unsupported'])}")
PY
