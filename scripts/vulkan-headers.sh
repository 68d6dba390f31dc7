#!/usr/bin/env bash
# Makes sure the Vulkan headers the vendored ggml needs are there for the build.
#
# ggml's Vulkan backend uses Vulkan-Hpp names from headers 1.3.261 and later
# (vk::LayerSettingEXT). Ubuntu 24.04 and Debian 13 ship them; Debian 12's libvulkan-dev
# is 1.3.239. When the system's headers are too old, this takes the header package of
# the distribution's next release (Debian trixie, Ubuntu noble) from the distribution's
# own archive with apt — signature-checked against the system's archive keys — and
# unpacks only its headers into .build-deps/vulkan-sdk/include. Nothing is installed
# system-wide: the system keeps its own libvulkan. .cargo/config.toml points VULKAN_SDK
# there, which CMake's FindVulkan searches before /usr/include.
#
#   scripts/vulkan-headers.sh        (scripts/install-deps.sh runs it)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sdk="$root/.build-deps/vulkan-sdk"

# Whether the headers in $1 (empty: the system's) have what ggml-vulkan uses.
recent_enough() {
  local include=()
  [ -n "${1:-}" ] && include=(-I "$1")
  printf '#include <vulkan/vulkan.hpp>\nvk::LayerSettingEXT setting;\n' |
    c++ -std=c++17 -fsyntax-only "${include[@]}" -x c++ - >/dev/null 2>&1
}

if recent_enough "$sdk/include" && [ -f "$sdk/include/vulkan/vulkan.hpp" ]; then
  exit 0
fi
if recent_enough ""; then
  exit 0
fi

. /etc/os-release
# The archive the system already uses (a mirror or proxy it is set up for), else the
# distribution's own.
system_mirror() {
  {
    sed -n -E 's/^URIs:[[:space:]]*([^ ]+).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null
    sed -n -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^ ]+).*/\2/p' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
  } | grep -E "/(debian|ubuntu)/?$" | grep -v -E 'security' | head -n 1 || true
}
case "${ID:-}" in
  debian) mirror="$(system_mirror)" mirror="${mirror:-http://deb.debian.org/debian}" suite="trixie" ;;
  ubuntu) mirror="$(system_mirror)" mirror="${mirror:-http://archive.ubuntu.com/ubuntu}" suite="noble" ;;
  *)
    echo "error: the Vulkan headers here are older than 1.3.261, which llama.cpp's Vulkan backend needs;" >&2
    echo "       install newer ones (the Vulkan SDK, or your distribution's libvulkan-dev) and set VULKAN_SDK," >&2
    echo "       or build without GPU support: cargo build --release --no-default-features" >&2
    exit 1
    ;;
esac

echo "the system's Vulkan headers are too old for llama.cpp; taking libvulkan-dev from $ID $suite (headers only, into .build-deps)" >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/deb"
echo "deb $mirror $suite main" >"$work/sources.list"
# apt as the calling user with a private list and cache: the system's sources and
# package state are left alone, and the archive's signature is checked as always.
apt_private=(
  -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
  -o "APT::Sandbox::User=$(id -un)" -o "Debug::NoLocking=1"
)
apt-get "${apt_private[@]}" -qq update >&2
(cd "$work/deb" && apt-get "${apt_private[@]}" -qq download libvulkan-dev >&2)
dpkg-deb -x "$work"/deb/libvulkan-dev_*.deb "$work/unpacked"
rm -rf "$sdk"
mkdir -p "$sdk"
cp -r "$work/unpacked/usr/include" "$sdk/include"
if ! recent_enough "$sdk/include"; then
  echo "error: the headers from $ID $suite do not have what llama.cpp's Vulkan backend needs either" >&2
  exit 1
fi
echo "Vulkan headers (VK_HEADER_VERSION $(sed -n "s/^#define VK_HEADER_VERSION \([0-9]*\).*/\1/p" "$sdk/include/vulkan/vulkan_core.h")) in $sdk/include" >&2
