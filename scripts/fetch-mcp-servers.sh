#!/usr/bin/env bash
# Installs the real MCP servers the hearth-mcp tests run into .test-tools/mcp/
# (git-ignored): npm @modelcontextprotocol/server-everything (the protocol's reference
# test server: stdio and streamable HTTP) and @modelcontextprotocol/server-filesystem.
# Versions are pinned, with every dependency, by scripts/mcp-servers/package-lock.json;
# `npm ci` checks each package against the lockfile's sha512 integrity hash.
# Install scripts are not run (--ignore-scripts): the servers ship built JavaScript.
# Idempotent: nothing is fetched when the installed lockfile matches the pinned one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pinned="$root/scripts/mcp-servers"
dest="$root/.test-tools/mcp"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "error: node and npm are needed for the MCP test servers; run scripts/install-deps.sh" >&2
  exit 1
fi

if [ -f "$dest/.installed-lock.json" ] && [ -d "$dest/node_modules" ] \
  && cmp -s "$pinned/package-lock.json" "$dest/.installed-lock.json"; then
  exit 0
fi

echo "installing the MCP test servers into $dest" >&2
rm -rf "$dest"
mkdir -p "$dest"
cp "$pinned/package.json" "$pinned/package-lock.json" "$dest/"
npm ci --prefix "$dest" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
for package in server-everything server-filesystem; do
  entry="$dest/node_modules/@modelcontextprotocol/$package/dist/index.js"
  if [ ! -f "$entry" ]; then
    echo "error: $entry is missing after npm ci" >&2
    exit 1
  fi
done
cp "$pinned/package-lock.json" "$dest/.installed-lock.json"
