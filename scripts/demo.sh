#!/usr/bin/env bash
# The demo: installs and builds what it needs, then runs examples/demo.ts on Bun and on Deno.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
dir=$(mktemp -d)
echo "=== Bun $(bun --version)"
bun examples/demo.ts "$dir/bun"
echo
echo "=== Deno $(deno --version | head -1 | cut -d' ' -f2)"
deno run -A examples/demo.ts "$dir/deno"
rm -rf "$dir"
