#!/usr/bin/env bash
# Prints the ggml CPU variant this machine runs best, by /proc/cpuinfo's flags and the
# table Hearth chooses by at run time (VARIANTS in crates/hearth-llm/src/cpu.rs; the AMX
# variant, sapphirerapids, is never chosen there). scripts/test.sh builds only this
# variant and the baseline x64 (scripts/cmake/only-these-cpu-variants.cmake); the unit
# test `the_build_ships_a_library_for_the_best_variant` fails if the two tables disagree.
# Prints nothing where /proc/cpuinfo has no x86 flags: then every variant is built.
set -euo pipefail

flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has() {
  local feature
  for feature in "$@"; do
    [[ $flags == *" $feature "* ]] || return 1
  done
}
[[ $(uname -m) == x86_64 ]] && has sse2 || exit 0

avx512=(avx2 fma f16c bmi2 avx512f avx512cd avx512vl avx512dq avx512bw)
if has "${avx512[@]}" avx512vbmi avx512_vnni avx512_bf16; then echo zen4
elif has "${avx512[@]}" avx512_vnni avx512_bf16; then echo cooperlake
elif has "${avx512[@]}" avx512vbmi avx512_vnni; then echo icelake
elif has "${avx512[@]}" avx512_vnni; then echo cascadelake
elif has "${avx512[@]}" avx512vbmi; then echo cannonlake
elif has "${avx512[@]}"; then echo skylakex
elif has sse4_2 avx f16c fma avx2 bmi2 avx_vnni; then echo alderlake
elif has sse4_2 avx f16c fma avx2 bmi2; then echo haswell
elif has sse4_2 avx f16c fma; then echo piledriver
elif has sse4_2 avx f16c; then echo ivybridge
elif has sse4_2 avx; then echo sandybridge
elif has sse4_2; then echo sse42
else echo x64
fi
