#!/usr/bin/env bash
# Installs what the project needs (Bun, Deno, koffi and tsx for Node, the dev tools from npm) and builds the
# native library. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
# Install when node_modules is missing or older than the lock file (a dependency was added).
if [ ! -x node_modules/.bin/bun ] || [ ! -x node_modules/.bin/deno ] || [ ! -x node_modules/.bin/tsx ] \
  || [ ! -f node_modules/koffi/package.json ] || [ ! -f node_modules/.package-lock.json ] \
  || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (bun, deno, koffi, tsx, typescript, mitata, types, benchmark peers)"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
bash scripts/build.sh
