#!/usr/bin/env bash
# The long crash test: bash scripts/torture.sh [cycles=1000]; RUNTIME=deno to run it on Deno.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
if [ "${RUNTIME:-bun}" = deno ]; then deno run -A scripts/torture.ts "${1:-1000}"; else bun scripts/torture.ts "${1:-1000}"; fi
