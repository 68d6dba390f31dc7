#!/usr/bin/env bash
# API keys in a real OS keyring: the built `hearth` against GNOME Keyring's Secret Service
# on a D-Bus session of its own (dbus-run-session), with a throwaway login keyring in a
# temporary folder, so the machine's own keyring is never touched. Checks, each through
# the real CLI and read back independently with libsecret's `secret-tool`:
#   - a provider's key goes to the keyring (not the sealed file), and the CLI says so;
#   - the key is read back from the keyring when the provider is called (a loopback
#     listener records the Authorization header it receives);
#   - `hearth providers key` replaces it, `hearth providers rm` removes it;
#   - `hearth delete-everything` removes every key from the keyring.
#
#   tests/keyring/run.sh    (after `cargo build --release`; scripts/install-deps.sh
#                            installs gnome-keyring, libsecret-tools and dbus)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
hearth="$root/target/release/hearth"

if [ -z "${HEARTH_IN_KEYRING_SESSION:-}" ]; then
  [ -x "$hearth" ] || { echo "missing $hearth: cargo build --release" >&2; exit 1; }
  for tool in dbus-run-session gnome-keyring-daemon secret-tool python3; do
    command -v "$tool" >/dev/null || {
      echo "missing $tool: run scripts/install-deps.sh (gnome-keyring, libsecret-tools, dbus)" >&2
      exit 1
    }
  done
  exec env HEARTH_IN_KEYRING_SESSION=1 dbus-run-session -- "$0" "$@"
fi

check() { printf '  %-66s' "$1"; }
ok() { echo "ok${1:+ ($1)}"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

scratch="$(mktemp -d)"
log="$scratch/stderr.log"
listener=""
cleanup() {
  status=$?
  [ -n "$listener" ] && kill "$listener" 2>/dev/null
  [ $status -ne 0 ] && [ -f "$log" ] && { echo; echo "--- hearth said:"; tail -40 "$log"; } >&2
  rm -rf "$scratch"
}
trap cleanup EXIT

# GNOME Keyring keeps its keyrings under XDG_DATA_HOME: a temporary one, so the login
# keyring made and unlocked here (with a throwaway password) is this run's alone.
export XDG_DATA_HOME="$scratch/xdg-data" XDG_RUNTIME_DIR="$scratch/xdg-runtime"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf 'hearth-keyring-test' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL

export HEARTH_HOME="$scratch/home"
unset HEARTH_KEYRING
provider="keyring-test-$$"
account="provider:$provider"
first_key="sk-first-$RANDOM$RANDOM$RANDOM"
second_key="sk-second-$RANDOM$RANDOM$RANDOM"

stored() { secret-tool lookup service hearth username "$account" 2>/dev/null || true; }

check "the Secret Service answers on this session's bus"
secret-tool store --label="hearth keyring probe" service hearth-probe username probe <<<"probe" \
  || fail "could not store a probe secret in GNOME Keyring"
[ "$(secret-tool lookup service hearth-probe username probe)" = "probe" ] || fail "probe not read back"
secret-tool clear service hearth-probe username probe
ok

# A loopback listener that records the Authorization header of every request it gets
# and answers 401, so `hearth run` fails quickly after sending the key.
port_file="$scratch/port"
headers="$scratch/headers"
python3 - "$port_file" "$headers" <<'PY' &
import http.server, sys
port_file, headers = sys.argv[1], sys.argv[2]
class Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        with open(headers, "a") as out:
            out.write((self.headers.get("authorization") or "-") + "\n")
        body = b'{"error":{"message":"recorded","type":"invalid_request_error"}}'
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
with open(port_file, "w") as out:
    out.write(str(server.server_address[1]))
server.serve_forever()
PY
listener=$!
for _ in $(seq 1 100); do [ -s "$port_file" ] && break; sleep 0.1; done
[ -s "$port_file" ] || fail "the recording listener did not start"
url="http://127.0.0.1:$(cat "$port_file")/v1"

check "a provider's key is kept in the keyring, not the sealed file"
out="$(KEY="$first_key" "$hearth" providers add "$provider" --kind openai --url "$url" \
  --model m --key-env KEY 2>&1)" || fail "providers add: $out"
[ "$(stored)" != "" ] || fail "no keyring entry for $account after providers add"
grep -q -- "$first_key" <<<"$(stored)" || fail "the keyring entry is not the key given"
listing="$("$hearth" --json providers list 2>>"$log")"
grep -q '"keyring"' <<<"$listing" || fail "providers list does not say the key is in the keyring: $listing"
if [ -e "$HEARTH_HOME/config/secrets.json" ] && grep -q "$provider" "$HEARTH_HOME/config/secrets.json"; then
  fail "the key was also written to the sealed file"
fi
if grep -rq -- "$first_key" "$HEARTH_HOME"; then fail "the key's text is in a file under HEARTH_HOME"; fi
ok

check "the key is read from the keyring when the provider is called"
if out="$("$hearth" run -m "$provider:m" "Hello" 2>&1)"; then fail "the recording listener answered 401, yet run succeeded: $out"; fi
grep -q "Bearer $first_key" "$headers" || fail "the provider never received the key: $(cat "$headers" 2>/dev/null)"
ok "$(wc -l <"$headers") request(s)"

check "hearth providers key replaces the key in the keyring"
KEY="$second_key" "$hearth" providers key "$provider" --key-env KEY >/dev/null 2>>"$log"
grep -q -- "$second_key" <<<"$(stored)" || fail "the keyring still holds the old key"
ok

check "hearth providers rm removes the key from the keyring"
"$hearth" providers rm "$provider" >/dev/null 2>>"$log"
[ -z "$(stored)" ] || fail "the key is still in the keyring after providers rm"
ok

check "hearth delete-everything removes the keys from the keyring"
KEY="$first_key" "$hearth" providers add "$provider" --kind openai --url "$url" \
  --model m --key-env KEY >/dev/null 2>>"$log"
[ -n "$(stored)" ] || fail "no keyring entry after adding the provider again"
"$hearth" delete-everything --yes >/dev/null 2>>"$log"
[ -z "$(stored)" ] || fail "the key is still in the keyring after delete-everything"
ok

echo "keyring run: all checks passed"
