#!/usr/bin/env bash
# Builds the desktop app's installable packages with Tauri's CLI, from
# src-tauri/tauri.conf.json: on Linux a .deb and an AppImage (the AppImage tool is
# downloaded by Tauri's bundler, so that one needs the network), on macOS a .dmg, on
# Windows an .msi. llama.cpp's libraries and its CPU variants are staged into
# target/release/hearth-libs and installed to /usr/lib/hearth, where the app looks.
#
#   scripts/package-desktop.sh [BUNDLES]     (default: deb,appimage on Linux)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! cargo tauri --version >/dev/null 2>&1; then
  echo "installing Tauri's CLI (cargo install tauri-cli)..." >&2
  cargo install tauri-cli --version '^2' --locked >&2
fi
npm --prefix ui ci --no-audit --no-fund --loglevel=error >&2
npm --prefix ui run build >&2
cargo build --release -p hearth-desktop
staged=target/release/hearth-libs
rm -rf "$staged" && mkdir -p "$staged"
# Versioned names are what the binary asks the loader for; the CPU variants are loaded
# by name at run time (the best the processor supports).
find target/release -maxdepth 1 \( -name 'libllama*.so*' -o -name 'libggml*.so*' -o -name 'libmtmd*.so*' \) \
  -exec cp -P {} "$staged/" \;
# The AppImage carries Tesseract's English and orientation data (the .deb depends on
# their packages instead), so OCR works on a system without them; the library itself is
# copied in with the binary's other shared libraries by the AppImage tool.
tessdata=target/release/hearth-tessdata
rm -rf "$tessdata" && mkdir -p "$tessdata"
if [ "$(uname -s)" = Linux ]; then
  for language in eng osd; do
    found=""
    for dir in /usr/share/tesseract-ocr/5/tessdata /usr/share/tesseract-ocr/4.00/tessdata /usr/share/tessdata; do
      if [ -f "$dir/$language.traineddata" ]; then found="$dir/$language.traineddata"; break; fi
    done
    [ -n "$found" ] || { echo "no $language.traineddata: run scripts/install-deps.sh (tesseract-ocr-$language)" >&2; exit 1; }
    cp "$found" "$tessdata/"
  done
fi
case "$(uname -s)" in
  Linux) bundles="${1:-deb,appimage}" ;;
  Darwin) bundles="${1:-dmg}" ;;
  *) bundles="${1:-msi}" ;;
esac
cd src-tauri
cargo tauri build --bundles "$bundles"
echo "packages: $(ls -d "$root"/target/release/bundle/*/* 2>/dev/null | tr '\n' ' ')" >&2
