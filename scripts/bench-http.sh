#!/usr/bin/env bash
# The HTTP path's cost, for BENCHMARKS.md: the same greedy 128-token answer from the
# default model called directly, through `hearth serve`'s streaming /v1 API, and through
# llama.cpp's own llama-server (built from the same llama.cpp source, same CPU variant,
# same threads, context and one slot), side by side. Prints a Markdown table of medians.
#
#   scripts/bench-http.sh [ROUNDS]
# Run it on an otherwise idle machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds="${1:-5}"
model="$(scripts/fetch-models.sh smollm2)"
cargo build --release --workspace --example http_bench >&2
cargo build --release --workspace --bins >&2
server="$(LLAMA_TARGET=llama-server scripts/build-llama-bench.sh)"
threads="$(nproc)"
port=18080
"$server" -m "$model" -c 2048 -np 1 -t "$threads" --host 127.0.0.1 --port "$port" --no-webui >/tmp/llama-server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.2
done
# Examples live one folder down from the llama.cpp libraries the build placed.
LD_LIBRARY_PATH="$root/target/release" HEARTH_GGML_BACKENDS="$root/target/release" \
  target/release/examples/http_bench --model "$model" --rounds "$rounds" --threads "$threads" \
  --llama-server "http://127.0.0.1:$port"
