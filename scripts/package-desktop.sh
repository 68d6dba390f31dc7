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
case "$(uname -s)" in
  Linux) bundles="${1:-deb,appimage}" ;;
  Darwin) bundles="${1:-dmg}" ;;
  *) bundles="${1:-msi}" ;;
esac
cd src-tauri
cargo tauri build --bundles "$bundles"
echo "packages: $(ls -d "$root"/target/release/bundle/*/* 2>/dev/null | tr '\n' ' ')" >&2
