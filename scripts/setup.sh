#!/usr/bin/env bash
# Installs what the project needs (Bun, Deno and the dev tools from npm) and builds the
# native library. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/bun ] || [ ! -x node_modules/.bin/deno ]; then
  echo "setup: installing npm devDependencies (bun, deno, mitata, types)"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
bash scripts/build.sh
