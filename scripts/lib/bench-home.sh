# Sourced by the benchmarks that run `hearth` on a real PDF with the default model:
# builds what the tests build (so nothing is rebuilt for them), fetches the test
# documents and SmolLM2, and points HEARTH_HOME at a new home (removed on exit) whose
# engine has 4 sequences of 4096 tokens. Sets `pdf` (the first argument, else
# DEFAULT_PDF), `model` and `home`.
#
#   DEFAULT_PDF=.testdata/r-doc-pdf/R-FAQ.pdf; source scripts/lib/bench-home.sh "$@"

cargo build --release --workspace --all-targets --locked >&2
scripts/fetch-test-docs.sh >/dev/null
pdf="${1:-$DEFAULT_PDF}"
model="$(scripts/fetch-models.sh smollm2)"
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
export HEARTH_HOME="$home"
mkdir -p "$home/config"
printf 'context_length = 4096\nparallel = 4\n' >"$home/config/config.toml"
