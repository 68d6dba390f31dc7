#!/usr/bin/env bash
# Installs what building and testing Hearth needs on Debian/Ubuntu: a C/C++ toolchain,
# cmake and clang (llama.cpp and its bindgen), Python with pip and venv (model packages,
# the openai client the HTTP tests use), npm (the web UI, test documents), curl and
# Chromium (HTTP and browser tests), WebKitGTK and GTK (the desktop app), Xvfb,
# WebKitWebDriver and tauri-driver (its end-to-end test), GNOME Keyring and secret-tool
# (the keyring test), glslc and the Vulkan headers and software driver (GPU offload and
# its tests), Tesseract with its English, German and French data and orientation
# detection (OCR of scanned pages and images; libtesseract-dev and libleptonica-dev for
# the build), clippy (lint).
# Runs apt-get only when something is missing, with sudo when not root.
set -euo pipefail

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v clang >/dev/null || need+=(clang)
ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 || need+=(libclang-dev)
command -v c++ >/dev/null || need+=(build-essential)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v python3 >/dev/null || need+=(python3)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
command -v unzip >/dev/null || need+=(unzip)
# the HTTP tests run the `openai` package in a virtual environment, and curl
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
command -v curl >/dev/null || need+=(curl)
# the no-network test brings up loopback inside its own network namespace
command -v ip >/dev/null || need+=(iproute2)
# the web UI's end-to-end tests drive Debian's Chromium (playwright cannot download one here)
[ -x /usr/bin/chromium ] || need+=(chromium)
# the test documents come from npm packages (`npm pack`) and Debian packages
command -v npm >/dev/null || need+=(npm)
# the desktop app (Tauri 2 on WebKitGTK) and its end-to-end test in a virtual display
for package in libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev; do
  dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
command -v Xvfb >/dev/null || need+=(xvfb)
command -v xdotool >/dev/null || need+=(xdotool)
command -v dbus-daemon >/dev/null || need+=(dbus)
# a notification service for the test to check the app's desktop notifications
command -v dunst >/dev/null || need+=(dunst)
[ -x /usr/bin/WebKitWebDriver ] || need+=(webkit2gtk-driver)
# the keyring test stores API keys in a real Secret Service (GNOME Keyring) on a D-Bus
# session of its own and reads them back with libsecret's secret-tool
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v secret-tool >/dev/null || need+=(libsecret-tools)
command -v dbus-run-session >/dev/null || need+=(dbus-daemon)
# GPU offload through Vulkan: the shader compiler, the loader's and SPIR-V's headers for the build,
# and Mesa's software Vulkan driver (lavapipe), on which the GPU tests run without a GPU
command -v glslc >/dev/null || need+=(glslc)
dpkg -s libvulkan-dev >/dev/null 2>&1 || need+=(libvulkan-dev)
# ggml-vulkan's CMake asks for SPIR-V's headers by their CMake package (SPIRV-Headers)
dpkg -s spirv-headers >/dev/null 2>&1 || need+=(spirv-headers)
dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 || need+=(mesa-vulkan-drivers)
# OCR: Hearth links the distribution's libtesseract (bindgen reads its headers) and reads
# scanned pages with the LSTM models of these languages
for package in libtesseract-dev libleptonica-dev tesseract-ocr-osd tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra; do
  dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done

# tauri-driver (the desktop app's end-to-end test, below) is compiled from source: where a
# C toolchain is already here, it compiles while apt-get downloads and unpacks, which
# leaves the processor idle. It only passes WebDriver requests on, so it is compiled
# unoptimized (--debug): 61 CPU seconds against 102, and the build waits for this script.
driver_log=""
if command -v cargo >/dev/null && ! command -v tauri-driver >/dev/null && command -v cc >/dev/null; then
  driver_log="$(mktemp)"
  cargo install tauri-driver --version 2.1.0 --locked --debug >"$driver_log" 2>&1 &
  driver_pid=$!
fi

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# llama.cpp's Vulkan backend needs newer headers than some distributions ship
"$(dirname "${BASH_SOURCE[0]}")/vulkan-headers.sh"

if ! command -v cargo >/dev/null; then
  echo "error: Rust is not installed; install it from https://rustup.rs (rustup), then run this again" >&2
  exit 1
fi

# tauri-driver bridges WebDriver to WebKitWebDriver for the desktop app's end-to-end test
if [ -n "$driver_log" ] && ! wait "$driver_pid"; then
  echo "installing tauri-driver beside apt-get failed; trying again:" >&2
  tail -5 "$driver_log" >&2
fi
if ! command -v tauri-driver >/dev/null; then
  echo "installing tauri-driver (cargo install)" >&2
  cargo install tauri-driver --version 2.1.0 --locked --debug >&2
fi
if ! cargo clippy --version >/dev/null 2>&1; then
  echo "error: clippy is missing; install it with \`rustup component add clippy\`, then run this again" >&2
  exit 1
fi
