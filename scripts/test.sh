#!/usr/bin/env bash
# Runs every test: the Rust unit and integration tests, clippy, the TypeScript type check
# and lint, and the one TypeScript suite under tests/ on Bun, on Deno and on Node (through
# the tsx loader; the library through koffi). Ends with one
# line "N passed, N failed" summing them all; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
export PATH="$PWD/node_modules/.bin:$PATH"
logs=$(mktemp -d)
passed=0
failed=0

# A gate (clippy, type check, lint) counts as one test.
gate() {
  local name=$1; shift
  if "$@" >"$logs/$name.log" 2>&1; then
    echo "ok: $name"; passed=$((passed + 1))
  else
    cat "$logs/$name.log"; echo "FAILED: $name"; failed=$((failed + 1))
  fi
}

echo "== Rust tests"
(cd lib-rs && cargo test --profile test-opt 2>&1) | tee "$logs/cargo.log"
rust_status=${PIPESTATUS[0]}
rp=$(awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i+1) ~ /^passed/) s += $i } END { print s + 0 }' "$logs/cargo.log")
rf=$(awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i+1) ~ /^failed/) s += $i } END { print s + 0 }' "$logs/cargo.log")
passed=$((passed + ${rp:-0})); failed=$((failed + ${rf:-0}))
if [ "$rust_status" -ne 0 ] && [ "${rf:-0}" -eq 0 ]; then failed=$((failed + 1)); fi

echo "== Gates"
gate clippy bash -c "cd lib-rs && cargo clippy --release --all-targets --quiet -- -D warnings"
gate deno-check deno check mod.ts ffi/ tests/ scripts/ examples/ bench/ cli/
gate deno-lint deno lint
gate deno-doc-lint deno doc --lint mod.ts compiled.ts
# `vectlite ui` in a real browser: Debian's Chromium (scripts/setup-browser.sh installs it, as
# root; .ci/run calls it first) driven headless by playwright-core, screenshots in
# test-artifacts/ui/. Without /usr/bin/chromium the gate fails: the inspector must pass on a
# clean clone, not be skipped.
if [ -x /usr/bin/chromium ]; then
  gate browser node --import tsx scripts/browser-test.ts
else
  echo "FAILED: browser (no /usr/bin/chromium: run 'bash scripts/setup-browser.sh' as root)"; failed=$((failed + 1))
fi
# The Rust suite again for aarch64 Linux (under qemu-aarch64), x86_64 Windows (under wine)
# and Linux with musl (x86_64 natively, aarch64 under qemu), each counted as one gate. This
# script installs no system packages: the cross toolchains (about 2.8 GB from apt, as root)
# come from `bash scripts/setup-cross.sh`, which .ci/run calls first. Where a toolchain is
# missing the gate is said to be skipped, and not counted.
# build-targets.sh exits 3 when a target was skipped (a tool is missing): said, not counted.
cross_gate() {
  local name=$1; shift
  bash scripts/build-targets.sh --test "$@" >"$logs/$name.log" 2>&1
  local rc=$?
  if [ $rc = 0 ]; then
    grep -E '^[a-z0-9_]+-[a-z0-9_-]+ +built' "$logs/$name.log" | sed 's/^/ok: /'; passed=$((passed + 1))
  elif [ $rc = 3 ]; then
    grep -E '^[a-z0-9_]+-[a-z0-9_-]+ +skipped' "$logs/$name.log" | sed "s/^/skipped (not counted): $name: /"
  else
    cat "$logs/$name.log"; echo "FAILED: $name"; failed=$((failed + 1))
  fi
}
cross_gate cross-aarch64 aarch64-unknown-linux-gnu
cross_gate cross-windows x86_64-pc-windows-gnu
cross_gate cross-musl x86_64-unknown-linux-musl aarch64-unknown-linux-musl

echo "== Bun"
bun test --timeout 120000 tests/ 2>&1 | tee "$logs/bun.log"
bun_status=${PIPESTATUS[0]}
bp=$(grep -E '^ *[0-9]+ pass$' "$logs/bun.log" | tail -1 | tr -dc 0-9)
bf=$(grep -E '^ *[0-9]+ fail$' "$logs/bun.log" | tail -1 | tr -dc 0-9)
passed=$((passed + ${bp:-0})); failed=$((failed + ${bf:-0}))
if [ "$bun_status" -ne 0 ] && [ "${bf:-0}" -eq 0 ]; then failed=$((failed + 1)); fi

echo "== Deno"
NO_COLOR=1 deno test -A tests/ 2>&1 | tee "$logs/deno.log"
deno_status=${PIPESTATUS[0]}
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$logs/deno.log" | tail -1)
# Deno counts a describe block as one test and its cases as "steps": count the steps.
count_of() { # $1 = passed|failed
  echo "$summary" | sed -E "s/.*\| ([0-9]+) $1( \(([0-9]+) steps?\))?.*/\1 \3/" | awk '{ print ($2 != "" ? $2 : $1) }'
}
dp=$(count_of passed)
df=$(count_of failed)
[ -n "$summary" ] || { dp=0; df=0; }
passed=$((passed + ${dp:-0})); failed=$((failed + ${df:-0}))
if [ "$deno_status" -ne 0 ] && [ "${df:-0}" -eq 0 ]; then failed=$((failed + 1)); fi

echo "== Node"
# Node 20 runs no TypeScript itself: tsx transpiles on import. Its TAP summary counts skipped
# tests apart from "# pass"; cancelled ones (a failed hook, a timeout) count as failures.
node --import tsx --test tests/*.test.ts 2>&1 | tee "$logs/node.log"
node_status=${PIPESTATUS[0]}
tap_count() { grep -E "^# $1 [0-9]+$" "$logs/node.log" | tail -1 | tr -dc 0-9; }
np=$(tap_count pass); nfail=$(tap_count fail); ncancel=$(tap_count cancelled); ns=$(tap_count skipped)
nf=$(( ${nfail:-0} + ${ncancel:-0} ))
passed=$((passed + ${np:-0})); failed=$((failed + ${nf:-0}))
if [ "$node_status" -ne 0 ] && [ "${nf:-0}" -eq 0 ]; then failed=$((failed + 1)); fi

echo
echo "rust: ${rp:-0} passed, ${rf:-0} failed; bun: ${bp:-0} passed, ${bf:-0} failed; deno: ${dp:-0} passed, ${df:-0} failed; node: ${np:-0} passed, ${nf:-0} failed, ${ns:-0} skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
