#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the tests need, fetches the test
# models and documents, builds everything once in release mode, then runs every test
# stage on that build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Each stage's header says how long the run has taken so far, so CI's log shows where
# the time goes.
# CI keeps only the log's tail, so the stages' times are printed again at the end, and
# when a stage fails.
stages=()
stage() {
  stages+=("$(printf '%3dm%02ds  %s' $((SECONDS / 60)) $((SECONDS % 60)) "${1:0:72}")")
  printf '\n==== %s  [%dm%02ds] ====\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)) >&2
}
summary() {
  local status=${1:-$?}
  printf '\n==== where the time went (each stage starts at) ====\n' >&2
  printf '%s\n' "${stages[@]}" >&2
  printf '%3dm%02ds  end (exit %d)\n' $((SECONDS / 60)) $((SECONDS % 60)) "$status" >&2
}
trap summary EXIT

# cargo-fuzz (the fuzz stage) is compiled from source: where a C toolchain is already
# here, it compiles while the system packages download. scripts/fuzz.sh installs it
# itself if this did not. It only drives cargo and starts the fuzzer, so it is compiled
# unoptimized (--debug): 58 CPU seconds against 103.
if ! cargo fuzz --version >/dev/null 2>&1 && command -v cc >/dev/null; then
  cargo install cargo-fuzz --version 0.13.2 --locked --debug >/dev/null 2>&1 &
  fuzz_install_pid=$!
fi

stage "system packages"
scripts/install-deps.sh

stage "format"
cargo fmt --all -- --check

# The build embeds the web UI (the server and the desktop app carry it), so the UI is
# built first.
stage "web UI: dependencies, type check and build"
npm --prefix ui ci --no-audit --no-fund
npm --prefix ui run build

# The build is linted as it compiles: clippy-driver wraps rustc for the workspace's own
# crates, as `cargo clippy` does, but the compiler still writes the binaries, so the lint
# costs no second pass over the code. Warnings are errors. Every cargo command below runs
# with these variables (without them cargo would rebuild the workspace).
export RUSTC_WORKSPACE_WRAPPER
RUSTC_WORKSPACE_WRAPPER="$(command -v clippy-driver)" || {
  echo "clippy is missing: rustup component add clippy" >&2
  exit 1
}
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

# The test build carries no debugger's data: the release profile's line tables, and the
# standard library's debug info linked into every program, were about four fifths of
# each test program (hearth: 190 of its 238 MB), written again for each of the ~90
# programs the build links. Panics still name their file and line (the compiler puts
# those in the program), backtraces their functions. Releases keep the line tables.
export CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=debuginfo

# The test build optimizes Rust code less (opt-level 1 instead of 3): what the tests spend
# their time on is llama.cpp, which stays fully optimized (CMake's Release build, and
# [profile.release.package.llama-cpp-sys-2] in Cargo.toml), and the rest compiles in two
# thirds of the time (measured with cargo's --timings on a 2-core machine: the whole build
# 22 min against 31, the cargo test stage as long as before). Releases and benchmarks
# build at opt-level 3.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=1

# And the crates we depend on, but for those the tests spend their time in, are not
# optimized at all: 42 min for the whole build against 52.5, and the test stage no slower
# (954 s; scripts/cargo/test-build.toml says which crates and why). Every cargo command of
# the test stages is given the same file, or cargo would build everything again.
cargo_config="$root/scripts/cargo/test-build.toml"

# llama.cpp's CMake build is lightened for the tests (scripts/cmake/test-build.cmake): of
# ggml's fourteen x86 CPU backends, only the one this machine runs (chosen as
# crates/hearth-llm/src/cpu.rs chooses) and the baseline, the other twelve being minutes
# of compiling that no test loads; and the code the tests never spend time in (llama.cpp's
# common library, its HTTP client, the Vulkan backend's host side) optimized less.
# Releases build it all, fully optimized.
export CMAKE_PROJECT_ggml_INCLUDE="$root/scripts/cmake/test-build.cmake"
best_cpu_variant="$(scripts/best-cpu-variant.sh)"
if [ -n "$best_cpu_variant" ]; then
  export HEARTH_BUILD_CPU_VARIANTS="x64 $best_cpu_variant"
fi

# llama.cpp's threads wait for each other at every step of a model's graph, and by
# default they wait spinning (OpenMP's active wait), which is fastest with the cores to
# themselves. The tests run two at a time, each with its own model process, on two cores:
# a spinning thread then burns the time slice the thread it waits for needs. Waiting
# asleep instead, hearth-cli's documents.rs took 101 s instead of 343 s; one test alone
# took as long either way (67 s against 69 s). The product keeps llama.cpp's default.
export OMP_WAIT_POLICY=passive

# The release build (the llama.cpp libraries are most of it) runs while the downloads
# below wait on the network.
stage "build (release, all targets, linted by clippy), in the background while the test data downloads"
build_log="$(mktemp)"
cargo build --release --workspace --all-targets --locked --config "$cargo_config" >"$build_log" 2>&1 &
build_pid=$!
trap 'status=$?; kill $build_pid 2>/dev/null || true; summary $status' EXIT

stage "test models"
scripts/fetch-models.sh smollm2 gemma3 minilm qwen-coder >/dev/null

stage "test documents"
scripts/fetch-test-docs.sh
scripts/fetch-ocr-samples.sh

stage "HTTP test clients"
scripts/fetch-test-clients.sh >/dev/null

stage "chat templates: llama.cpp's 70 reference templates, rendered by jinja2 as transformers does"
scripts/fetch-test-templates.sh
python3 tests/templates/reference.py

stage "MCP test servers (npm, pinned)"
scripts/fetch-mcp-servers.sh

stage "build: waiting for it to finish"
if ! wait "$build_pid"; then
  tail -120 "$build_log" >&2
  echo "the release build failed (clippy lints it as it compiles: a warning is an error); its whole log is $build_log" >&2
  exit 1
fi
trap summary EXIT
tail -3 "$build_log" >&2

stage "tests (GPU offload among them, on Mesa's software Vulkan driver: gpu_vulkan, gpu, gpu_config)"
# The GPU tests need lavapipe; they run once, in the workspace run.
ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null
# cargo test's programs, two at a time rather than one after another (a program's last
# test often runs alone, on one core); every program runs even after one fails, and the
# failures are listed again at the end. The stage took 990–1,062 s against 1,130–1,148.
scripts/run-tests.py --cargo-config "$cargo_config"

stage "no network: every local feature inside a network namespace"
tests/offline/run.sh

stage "attacks: what a hostile local user, web page, LAN peer, document or provider tries"
python3 tests/attacks/run.py

stage "keyring: API keys in a real Secret Service (GNOME Keyring on its own D-Bus session)"
tests/keyring/run.sh

stage "fuzz: the GGUF header reader, 60 seconds"
[ -z "${fuzz_install_pid:-}" ] || wait "$fuzz_install_pid" || true
# The fuzz target is its own workspace, built with the sanitizer's flags and its own
# profile (line tables for libFuzzer's reports), not linted.
env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS -u CARGO_PROFILE_RELEASE_DEBUG -u CARGO_PROFILE_RELEASE_STRIP \
  -u CARGO_PROFILE_RELEASE_OPT_LEVEL scripts/fuzz.sh 60

stage "web UI: unit tests"
npm --prefix ui test

stage "web UI: end to end in Chromium on the real model"
node ui/e2e/run.mjs

stage "web UI: first-load JavaScript within its gzip budget"
node ui/scripts/bundle-size.mjs

stage "web UI: every page in both themes at three widths, by axe-core and against its baseline picture"
node ui/e2e/pages.mjs

stage "web UI: Lighthouse accessibility and best practices, 95 or more"
node ui/e2e/lighthouse.mjs

stage "desktop app: end to end in a real window (Xvfb, tauri-driver) on the real model"
node tests/desktop/run.mjs

stage "done"

