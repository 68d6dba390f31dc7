#!/usr/bin/env bash
# The desktop app's start and idle cost, under Xvfb: the time from launching
# `hearth-desktop` to its window being mapped and visible (xdotool), and the memory of
# the app at idle with no model loaded — its own process plus WebKit's web and network
# processes (resident set; proportional set, which splits shared libraries between the
# processes that map them; and the private, anonymous part of it). Each run
# starts on a fresh HEARTH_HOME; a second series has the default model (SmolLM2) set, to
# show that loading it in the background does not hold the window back.
#
#   scripts/bench-desktop.sh [RUNS]      (default 5; needs the release build and xdotool)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${1:-5}"
app="$root/target/release/hearth-desktop"
model="$root/.models/SmolLM2-135M-Instruct.Q4_1.gguf"
[ -x "$app" ] || { echo "build the app first: cargo build --release --workspace" >&2; exit 1; }
command -v xdotool >/dev/null || { echo "install xdotool (scripts/install-deps.sh)" >&2; exit 1; }

display=":88"
Xvfb "$display" -screen 0 1280x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null' EXIT
export DISPLAY="$display"
sleep 0.5

# Resident and proportional memory (KiB) of a process and all its descendants.
tree_memory() {
  local pids=("$1") all=() rss=0 pss=0 anon=0
  while [ ${#pids[@]} -gt 0 ]; do
    all+=("${pids[@]}")
    mapfile -t pids < <(for p in "${pids[@]}"; do pgrep -P "$p" || true; done)
  done
  for p in "${all[@]}"; do
    rss=$((rss + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
    pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
    anon=$((anon + $(awk '/^Pss_Anon:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
  done
  echo "$rss $pss $anon ${#all[@]}"
}

series() {
  local label="$1" with_model="$2"
  local times=() rsses=() psses=() anons=()
  for i in $(seq "$runs"); do
    home="$(mktemp -d)"
    if [ "$with_model" = yes ]; then
      HEARTH_HOME="$home" target/release/hearth models add "$model" --id smollm2 --default >/dev/null 2>&1
    fi
    start=$(date +%s.%N)
    HEARTH_HOME="$home" "$app" >/dev/null 2>&1 &
    pid=$!
    xdotool search --sync --onlyvisible --pid "$pid" >/dev/null
    shown=$(date +%s.%N)
    times+=("$(echo "($shown - $start) * 1000" | bc -l)")
    if [ "$with_model" = no ]; then
      sleep 8   # the page has loaded and settled
      read -r rss pss anon procs < <(tree_memory "$pid")
      rsses+=("$rss"); psses+=("$pss"); anons+=("$anon")
    fi
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$home"
  done
  median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
  printf '%-32s window visible: median %.0f ms (runs: %s)\n' "$label" "$(median "${times[@]}")" \
    "$(printf '%.0f ' "${times[@]}")"
  if [ ${#rsses[@]} -gt 0 ]; then
    printf '%-32s idle memory: RSS %.1f MiB, PSS %.1f MiB, of which private (anonymous) %.1f MiB (median; %s processes: app + WebKit)\n' "$label" \
      "$(echo "$(median "${rsses[@]}") / 1024" | bc -l)" "$(echo "$(median "${psses[@]}") / 1024" | bc -l)" \
      "$(echo "$(median "${anons[@]}") / 1024" | bc -l)" "$procs"
  fi
}

series "no model" no
[ -f "$model" ] && series "default model (loads behind)" yes
