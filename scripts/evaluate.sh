#!/usr/bin/env bash
# Quality evaluation of `hearth summarize` and `hearth translate` on real public text
# from Debian packages: ROUGE for summaries, chrF for translations. EVALUATION.md says
# what is measured and why, and keeps the latest tables.
#
#   scripts/evaluate.sh [--fresh] [--no-qwen] [--fr]
#
#   --fresh    run Hearth again (outputs are otherwise kept in .eval/out/ and only scored)
#   --no-qwen  skip the Qwen2.5-Coder-1.5B translations (1.1 GB download, most of the time)
#   --fr       also translate into French with Qwen (another ~15 minutes)
#   --best-of=N  also run the Qwen translations with N candidates per paragraph
#
# The Qwen translations are compared with a plain one-line prompt to llama.cpp's
# llama-server on the same model file (built once with scripts/build-llama-bench.sh, or
# LLAMA_SERVER=path); HEARTH_BEFORE=path also runs an older hearth build.
#   --more-docs  also summarize zoo.Rnw and strucplot.Rnw (5,700 and 7,200 words)
#   --no-summaries  translations only
#
# EVAL_PARAGRAPHS (default 45: fifteen runs of three consecutive paragraphs) sets how many
# aligned paragraphs are translated.
#
# Needs: target/release/hearth (cargo build --release -p hearth-cli), python3 with venv,
# apt-get and dpkg-deb (Debian packages are downloaded, never installed), pandoc (installed
# with apt-get when missing and running as root). Everything goes under .eval/ (gitignored;
# HEARTH_EVAL_DIR moves it); Hearth runs with HEARTH_HOME=.eval/home, so no one's data is
# touched. Prints the Markdown tables and leaves them in .eval/results.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${HEARTH_EVAL_DIR:-$root/.eval}"
hearth="${HEARTH_BIN:-$root/target/release/hearth}"
fresh=0
qwen=1
french=0
more_docs=0
summaries=1
data_only=0
best_of=""
paragraphs="${EVAL_PARAGRAPHS:-45}"
for arg in "$@"; do
  case "$arg" in
    --fresh) fresh=1 ;;
    --no-qwen) qwen=0 ;;
    --fr) french=1 ;;
    --more-docs) more_docs=1 ;;
    --no-summaries) summaries=0 ;;
    --data-only) data_only=1 ;;
    --best-of=[1-8]) best_of="${arg#--best-of=}" ;;
    *) echo "error: unknown option $arg (known: --fresh --no-qwen --fr --more-docs --no-summaries --data-only --best-of=N, N from 1 to 8)" >&2; exit 2 ;;
  esac
done

started=$(date +%s)
log() { printf '[%4ss] %s\n' "$(( $(date +%s) - started ))" "$*" >&2; }

[ -x "$hearth" ] || { echo "error: $hearth is missing; build it with: cargo build --release -p hearth-cli" >&2; exit 1; }
command -v python3 >/dev/null || { echo "error: python3 is needed (apt-get install python3 python3-venv)" >&2; exit 1; }
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || { echo "error: apt-get and dpkg-deb are needed to download the Debian packages the data comes from" >&2; exit 1; }
if ! command -v pandoc >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    log "installing pandoc (turns the R vignettes' LaTeX into Markdown)"
    apt-get install -y -qq pandoc >/dev/null || { apt-get update -qq && apt-get install -y -qq pandoc >/dev/null; }
  else
    echo "error: pandoc is needed: sudo apt-get install pandoc" >&2; exit 1
  fi
fi

mkdir -p "$work"
[ "$fresh" = 1 ] && rm -rf "$work/out"

# Python scorers, pinned so the figures can be compared between runs.
if [ ! -x "$work/venv/bin/python" ]; then
  log "creating $work/venv"
  python3 -m venv "$work/venv"
fi
py="$work/venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check \
  sacrebleu==2.6.0 rouge-score==0.1.2 beautifulsoup4==4.15.0 >&2

# Data: Debian packages, downloaded and unpacked into the working folder.
# name=version; the version is what the tables in EVALUATION.md were made with.
packages=(
  debian-reference-en=2.100 debian-reference-de=2.100 debian-reference-fr=2.100
  r-cran-zoo=1.8-11-1 r-cran-sandwich=3.0-2-1 r-cran-strucchange=1.5-3-1 r-cran-vcd=1:1.4-11-1
)
mkdir -p "$work/debs" "$work/pkgroot"
download() { (cd "$work/debs" && apt-get download -qq "$1" >/dev/null 2>&1); }
for spec in "${packages[@]}"; do
  name="${spec%%=*}"
  if ! ls "$work/debs/${name}_"*.deb >/dev/null 2>&1; then
    log "downloading $spec"
    if ! download "$spec"; then
      apt-get update -qq || true
      if ! download "$spec"; then
        echo "warning: $spec is not available; using the version apt has (figures may differ from EVALUATION.md)" >&2
        download "$name" || { echo "error: apt-get download $name failed" >&2; exit 1; }
      fi
    fi
    dpkg-deb -x "$work/debs/${name}_"*.deb "$work/pkgroot"
  fi
done
: > "$work/sources.txt"
for deb in "$work/debs"/*.deb; do
  echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" >> "$work/sources.txt"
done
echo "pandoc $(pandoc --version | head -n 1 | awk '{print $2}')" >> "$work/sources.txt"

# Parallel text: English paragraphs of the Debian Reference and their translations.
html="$work/pkgroot/usr/share/debian-reference"
for lang in de fr; do
  sample="$work/mt/sample.$lang.jsonl"
  if [ ! -f "$sample" ] || [ ! -f "$work/mt/dev.$lang.jsonl" ] || [ "$(wc -l < "$sample")" != "$paragraphs" ]; then
    "$py" "$root/scripts/eval/align_debref.py" "$html" "$work/mt" "$lang" "$paragraphs" >&2
  fi
done

# Documents with reference summaries: R vignettes (JSS papers) and their abstracts.
site="$work/pkgroot/usr/lib/R/site-library"
mkdir -p "$work/sum"
vignettes=(vcd/doc/residual-shadings.Rnw sandwich/doc/sandwich-OOP.Rnw strucchange/doc/strucchange-intro.Rnw sandwich/doc/sandwich.Rnw)
[ "$more_docs" = 1 ] && vignettes+=(zoo/doc/zoo.Rnw vcd/doc/strucplot.Rnw)
docs=()
for rnw in "${vignettes[@]}"; do
  stem="$(basename "$rnw" .Rnw)"
  [ -f "$work/sum/$stem.md" ] || "$py" "$root/scripts/eval/rnw_to_md.py" "$site/$rnw" "$work/sum/$stem.md" "$work/sum/$stem.abstract.txt" >&2
  docs+=("$work/sum/$stem.md")
done

if [ "$data_only" = 1 ]; then
  log "data ready in $work (sum/, mt/); --data-only stops here"
  exit 0
fi

# Models.
models=(smollm2)
[ "$qwen" = 1 ] && models+=(qwen15)
log "fetching models: ${models[*]}"
model_paths=()
while IFS= read -r path; do model_paths+=("$path"); done < <(HEARTH_MODEL_CACHE="${HEARTH_MODEL_CACHE:-$root/.models}" bash "$root/scripts/fetch-models.sh" "${models[@]}")
smollm2="${model_paths[0]}"
qwen15="${model_paths[1]:-}"

# Hearth's settings for the runs; count-home's tiny context makes `hearth run` report a
# prompt's token count without running it (see scripts/eval/run_eval.py).
mkdir -p "$work/home/config" "$work/count-home/config"
printf 'context_length = 4096\nparallel = 2\n' > "$work/home/config/config.toml"
printf 'context_length = 64\nparallel = 1\n' > "$work/count-home/config/config.toml"

run() { "$py" "$root/scripts/eval/run_eval.py" "$@"; }

if [ "$summaries" = 1 ]; then
  log "summaries: hierarchical vs cut to the context, SmolLM2-135M"
  for doc in "${docs[@]}"; do
    run summarize "$work" "$hearth" "$smollm2" smollm2 "$doc"
    run baseline "$work" "$hearth" "$smollm2" smollm2 "$doc"
  done
fi

log "translations: SmolLM2-135M"
run translate "$work" "$hearth" "$smollm2" smollm2 de "$work/mt/sample.de.jsonl"
if [ "$qwen" = 1 ]; then
  langs=(de)
  [ "$french" = 1 ] && langs+=(fr)
  # The baseline: the same model file behind llama.cpp's own server, one plain prompt a
  # paragraph (built once from llama.cpp's source, like llama-bench for BENCHMARKS.md).
  server="${LLAMA_SERVER:-$(ls "$root"/target/llama-bench-*/bin/llama-server 2>/dev/null | head -n 1)}"
  if [ -z "$server" ] || [ ! -x "$server" ]; then
    log "building llama-server (scripts/build-llama-bench.sh, once)"
    server="$(dirname "$(LLAMA_TARGET=llama-server bash "$root/scripts/build-llama-bench.sh")")/llama-server"
  fi
  port=$(( 20000 + RANDOM % 20000 ))
  # Two slots of 4,096 tokens, as Hearth runs (context_length 4096, parallel 2).
  "$server" -m "$qwen15" -c 8192 -np 2 --host 127.0.0.1 --port "$port" > "$work/llama-server.log" 2>&1 &
  server_pid=$!
  trap 'kill $server_pid 2>/dev/null || true' EXIT
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
    kill -0 "$server_pid" 2>/dev/null || { echo "error: llama-server did not start; see $work/llama-server.log" >&2; exit 1; }
    sleep 1
  done
  for lang in "${langs[@]}"; do
    log "translations en->$lang: plain prompt through llama-server /v1, Qwen2.5-Coder-1.5B"
    run plain "$work" "http://127.0.0.1:$port" qwen15 "$lang" "$work/mt/sample.$lang.jsonl"
  done
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  for lang in "${langs[@]}"; do
    log "translations en->$lang: hearth translate, Qwen2.5-Coder-1.5B"
    run translate "$work" "$hearth" "$qwen15" qwen15 "$lang" "$work/mt/sample.$lang.jsonl"
    # HEARTH_BEFORE: an older build, for the before/after table.
    if [ -n "${HEARTH_BEFORE:-}" ]; then
      EVAL_SYSTEM=hearth-before run translate "$work" "$HEARTH_BEFORE" "$qwen15" qwen15 "$lang" "$work/mt/sample.$lang.jsonl"
    fi
  done
  # --best-of N: the same, with N candidates per paragraph.
  if [ -n "$best_of" ]; then
    for lang in "${langs[@]}"; do
      log "translations en->$lang: hearth translate --best-of $best_of, Qwen2.5-Coder-1.5B"
      EVAL_BEST_OF="$best_of" run translate "$work" "$hearth" "$qwen15" qwen15 "$lang" "$work/mt/sample.$lang.jsonl"
    done
  fi
  log "translations en->de: hearth translate with the glossary, Qwen2.5-Coder-1.5B"
  run translate "$work" "$hearth" "$qwen15" qwen15 de "$work/mt/sample.de.jsonl" "$root/scripts/eval/glossary.de.txt"
fi

log "scoring"
"$py" "$root/scripts/eval/score.py" "$work"
echo
echo "Data: $(paste -sd ',' "$work/sources.txt" | sed 's/,/, /g')"
log "done"
