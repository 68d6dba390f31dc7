#!/usr/bin/env bash
# Fetches the real documents hearth-docs is tested on into .testdata/ (git-ignored):
#   .testdata/r-doc-pdf/            the R manuals (Debian r-doc-pdf), 69 to 2,415 pages
#   .testdata/debian-reference/     the Debian Reference, HTML + PDF + txt.gz (en, de, ja)
#   .testdata/pdf-parse/            npm pdf-parse@1.1.1 test/data (03-invalid.pdf is corrupt)
#   .testdata/mammoth/              npm mammoth@1.13.0 test/test-data (docx files)
#   .testdata/markdown/             the README.md files of those two npm packages
# Only package registries are used (apt for Debian packages, npm for npm packages), and
# Debian packages are unpacked with dpkg-deb -x, so nothing is installed system-wide.
# Idempotent: each source is fetched once and marked done; a second run takes no time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.testdata"
mkdir -p "$dest"

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

need_tools=()
command -v dpkg-deb >/dev/null || need_tools+=(dpkg)
command -v npm >/dev/null || need_tools+=(npm)
if [ ${#need_tools[@]} -gt 0 ]; then
  echo "installing: ${need_tools[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_tools[@]}" >&2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

apt_updated=0
# Downloads a Debian package's .deb into $work (apt-get download needs no root, but it
# needs package lists: on a fresh machine those come from one apt-get update).
apt_download() {
  local pkg="$1"
  if ! (cd "$work" && apt-get download "$pkg" >/dev/null 2>&1); then
    if [ "$apt_updated" -eq 0 ]; then
      $sudo apt-get update -qq >&2
      apt_updated=1
    fi
    (cd "$work" && apt-get download "$pkg" >&2)
  fi
}

# deb_fetch PACKAGE DEST_SUBDIR SRC_DIR_IN_PACKAGE GLOB...
deb_fetch() {
  local pkg="$1" sub="$2" src="$3"
  shift 3
  local out="$dest/$sub" marker="$dest/$sub/.done-$pkg"
  [ -f "$marker" ] && return 0
  echo "fetching Debian package $pkg" >&2
  apt_download "$pkg"
  local x="$work/x-$pkg"
  mkdir -p "$x" "$out"
  dpkg-deb -x "$work"/"$pkg"_*.deb "$x"
  local g
  for g in "$@"; do
    # cp -L: some manuals are symlinks inside the package (refman.pdf)
    find "$x/$src" -maxdepth 1 -name "$g" \( -type f -o -type l \) -exec cp -L {} "$out/" \;
  done
  dpkg-deb -f "$work"/"$pkg"_*.deb Version >"$marker"
}

# npm_fetch PACKAGE@VERSION DEST_SUBDIR DIR_IN_TARBALL
# (the package's README.md also goes to .testdata/markdown/NAME-README.md)
npm_fetch() {
  local spec="$1" sub="$2" src="$3"
  local out="$dest/$sub" marker="$dest/$sub/.done-${spec//\//_}"
  [ -f "$marker" ] && return 0
  echo "fetching npm package $spec" >&2
  local tgz
  tgz="$(cd "$work" && npm pack --silent "$spec" | tail -1)"
  mkdir -p "$work/x-$sub" "$out" "$dest/markdown"
  tar -xzf "$work/$tgz" -C "$work/x-$sub"
  cp -R "$work/x-$sub/package/$src/." "$out/"
  cp "$work/x-$sub/package/README.md" "$dest/markdown/${spec%@*}-README.md"
  echo "$spec" >"$marker"
}

deb_fetch r-doc-pdf r-doc-pdf usr/share/R/doc/manual '*.pdf'
deb_fetch debian-reference-en debian-reference usr/share/debian-reference '*.html' '*.pdf' '*.txt.gz'
deb_fetch debian-reference-de debian-reference usr/share/debian-reference '*.html'
deb_fetch debian-reference-ja debian-reference usr/share/debian-reference '*.html'
npm_fetch pdf-parse@1.1.1 pdf-parse test/data
npm_fetch mammoth@1.13.0 mammoth test/test-data

# The Debian Reference as plain text (a real, large .txt file).
txt="$dest/debian-reference/debian-reference.en.txt"
if [ ! -f "$txt" ]; then
  gzip -dc "$txt.gz" >"$txt.tmp"
  mv "$txt.tmp" "$txt"
fi

echo "test documents are in $dest ($(find "$dest" -type f ! -name '.done-*' | wc -l) files)" >&2
