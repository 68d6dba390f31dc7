#!/usr/bin/env bash
# Fuzzes the GGUF header reader (fuzz/fuzz_targets/gguf_header.rs) for a bounded time:
# installs cargo-fuzz if missing, seeds the corpus with the reference file and the first
# 64 KiB of the real test models (when fetched), and fails on any crash, leak, timeout or
# allocation over 64 MiB. CI runs it for 60 seconds; fuzz/README.md has longer runs.
#
#   scripts/fuzz.sh [SECONDS]     (default 60)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz (cargo install)" >&2
  cargo install cargo-fuzz --version 0.13.2 --locked --debug >&2
fi

cd "$root/fuzz"
corpus="corpus/gguf_header"
mkdir -p "$corpus"
cp seeds/tiny.gguf "$corpus/"
for model in SmolLM2-135M-Instruct.Q4_1.gguf gemma-3-270m-q4_k_m.gguf; do
  if [ -f "$root/.models/$model" ]; then
    head -c 65536 "$root/.models/$model" >"$corpus/${model%%.*}-head-64k"
  fi
done

# cargo-fuzz passes nightly-only flags (the sanitizer); RUSTC_BOOTSTRAP allows them on
# the stable toolchain this project builds with.
export RUSTC_BOOTSTRAP=1
cargo fuzz build gguf_header >&2
cargo fuzz run gguf_header "$corpus" seeds -- \
  -max_total_time="$seconds" -malloc_limit_mb=64 -rss_limit_mb=1024 -timeout=10 \
  -print_final_stats=1
echo "fuzz: gguf_header ran ${seconds} s with no crash, leak, timeout or oversized allocation"
