#!/usr/bin/env bash
# Builds llama.cpp's own llama-bench from the full llama.cpp source vendored in the
# PyPI sdist of llama-cpp-python (the llama-cpp-sys-2 crate ships only the library
# sources), with the instruction sets of the ggml CPU variant Hearth picks on this
# machine, so `hearth bench --llama-bench` compares like with like.
#
#   scripts/build-llama-bench.sh [VARIANT]   (default: the variant `hearth bench` reports)
#   LLAMA_TARGET=llama-server scripts/build-llama-bench.sh   (llama.cpp's HTTP server instead,
#       for `hearth bench --task --llama-server`; llama-perplexity for the KV cache's cost)
#   LLAMA_GPU=vulkan scripts/build-llama-bench.sh   (with the Vulkan backend, as Hearth's
#       default build has it, for `hearth --gpu-layers N bench`; LLAMA_GPU=cuda for CUDA)
#
# Prints the path of the built program. Needs cmake and a C++ compiler.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sdist_version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
work="$root/target/llama-cpp-python-$sdist_version"
if [ ! -d "$work/src" ]; then
  mkdir -p "$work"
  python3 -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$sdist_version" -d "$work" >&2
  mkdir -p "$work/src" && tar xzf "$work"/llama_cpp_python-*.tar.gz -C "$work/src" --strip-components=1
fi
src="$work/src/vendor/llama.cpp"

variant="${1:-}"
if [ -z "$variant" ]; then
  variant="$("$root/target/release/hearth" bench --print-cpu-variant)"
fi

base="-DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_F16C=ON -DGGML_FMA=ON -DGGML_AVX2=ON -DGGML_BMI2=ON"
case "$variant" in
  x64) flags="" ;;
  haswell) flags="$base" ;;
  alderlake) flags="$base -DGGML_AVX_VNNI=ON" ;;
  skylakex) flags="$base -DGGML_AVX512=ON" ;;
  icelake) flags="$base -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON" ;;
  zen4) flags="$base -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON" ;;
  sapphirerapids) flags="$base -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON -DGGML_AMX_TILE=ON -DGGML_AMX_INT8=ON" ;;
  *) echo "error: no flag set for variant '$variant'; add it to this script" >&2; exit 2 ;;
esac

target="${LLAMA_TARGET:-llama-bench}"
case "$target" in
  llama-bench) server=OFF ;;
  llama-server) server=ON ;;
  llama-perplexity) server=OFF ;;
  *) echo "error: LLAMA_TARGET must be llama-bench, llama-server or llama-perplexity" >&2; exit 2 ;;
esac
gpu="${LLAMA_GPU:-}"
case "$gpu" in
  "") ;;
  vulkan)
    flags="$flags -DGGML_VULKAN=ON"
    # The headers scripts/vulkan-headers.sh fetched where the system's are too old.
    [ -f "$root/.build-deps/vulkan-sdk/include/vulkan/vulkan.hpp" ] && flags="$flags -DVulkan_INCLUDE_DIR=$root/.build-deps/vulkan-sdk/include"
    ;;
  cuda) flags="$flags -DGGML_CUDA=ON" ;;
  *) echo "error: LLAMA_GPU must be vulkan or cuda" >&2; exit 2 ;;
esac
build="${LLAMA_BENCH_BUILD:-$root/target/llama-bench-$variant${gpu:+-$gpu}}"
# shellcheck disable=SC2086
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF $flags \
  -DGGML_OPENMP=ON -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_SERVER="$server" -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF >&2
cmake --build "$build" --target "$target" -j"$(nproc)" >&2
echo "$build/bin/$target"
