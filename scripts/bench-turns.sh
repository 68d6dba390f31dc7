#!/usr/bin/env bash
# Time to first token on each turn of a 20-turn conversation, for BENCHMARKS.md: Hearth
# warm, Hearth restarted before every turn (contexts restored from disk), Hearth with
# nothing to reuse, and llama.cpp's own llama-server (built from the same llama.cpp
# source and CPU variant) with its prompt cache on and off; same model, threads, context
# and conversation. Prints a Markdown table.
#
#   scripts/bench-turns.sh [THREADS] [ROUNDS]
# Run it on an otherwise idle machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
threads="${1:-$(nproc)}"
rounds="${2:-3}"
model="$(scripts/fetch-models.sh smollm2)"
cargo build --release --workspace --example turns_bench >&2
cargo build --release --workspace --bins >&2
server="$(LLAMA_TARGET=llama-server scripts/build-llama-bench.sh)"
port=18081
"$server" -m "$model" -c 4096 -np 1 -t "$threads" --host 127.0.0.1 --port "$port" --no-webui >/tmp/llama-server-turns.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.2
done
# Examples live one folder down from the llama.cpp libraries the build placed.
LD_LIBRARY_PATH="$root/target/release" HEARTH_GGML_BACKENDS="$root/target/release" \
  target/release/examples/turns_bench --model "$model" --threads "$threads" --rounds "$rounds" \
  --llama-server "http://127.0.0.1:$port"
