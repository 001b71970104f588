#!/usr/bin/env bash
# Builds the native library for each release target into native/<triple>/ and says, per
# target, whether it was built and how it was verified, or why not.
#
#   bash scripts/build-targets.sh            # every target
#   bash scripts/build-targets.sh --test     # ... and run the Rust tests where possible
#   bash scripts/build-targets.sh --test aarch64-unknown-linux-gnu   # only the targets named
#
# - x86_64-unknown-linux-gnu: the host; built with the rustup toolchain, tests run natively.
# - aarch64-unknown-linux-gnu: Debian's rustc-web 1.85 with libstd-rust-web-dev:arm64 and
#   aarch64-linux-gnu-gcc (scripts/setup-cross.sh installs them); with --test the NEON
#   distance kernels are checked against the portable ones under qemu-aarch64.
# - x86_64-pc-windows-gnu: Debian's rustc-web with its std sources (rust-web-src) rebuilt for
#   Windows (RUSTC_BOOTSTRAP=1 cargo -Zbuild-std, crates-io pointed at the sources' vendor
#   folder, offline) and the mingw-w64 linker (apt: gcc-mingw-w64-x86-64): built, not run
#   (no wine here).
# - With zig and cargo-zigbuild on PATH (the release workflow), every target is built with
#   them instead. Without zig, the others are skipped here: a musl cdylib needs libgcc_s for
#   musl, which Debian lacks, and macOS needs Apple's SDK.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/lib-rs"
run_tests=0
[ "${1:-}" = "--test" ] && { run_tests=1; shift; }
ALL=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl
  x86_64-pc-windows-gnu x86_64-apple-darwin aarch64-apple-darwin)
[ $# -gt 0 ] && ALL=("$@") # only the targets named
status=0
report() { printf '%-28s %s\n' "$1" "$2"; }

if command -v cargo-zigbuild >/dev/null && command -v zig >/dev/null; then
  for t in "${ALL[@]}"; do
    if cargo zigbuild --release --target "$t" >/dev/null 2>&1; then
      bash "$root/scripts/package-native.sh" "$t" >/dev/null && report "$t" "built (cargo-zigbuild)"
    else
      report "$t" "FAILED (cargo-zigbuild)"; status=1
    fi
  done
  exit $status
fi

for t in "${ALL[@]}"; do
  case "$t" in
    x86_64-unknown-linux-gnu)
      if [ "$(uname -m)" != x86_64 ]; then report "$t" "skipped: not the host"; continue; fi
      cargo build --release --quiet || { report "$t" "FAILED"; status=1; continue; }
      bash "$root/scripts/package-native.sh" >/dev/null
      if [ $run_tests = 1 ]; then
        if cargo test --release --quiet >/tmp/vectlite-test-$t.log 2>&1; then report "$t" "built, tests pass natively"
        else report "$t" "built, TESTS FAILED (/tmp/vectlite-test-$t.log)"; status=1; fi
      else report "$t" "built"; fi ;;
    aarch64-unknown-linux-gnu)
      if [ ! -d /usr/lib/rustlib/aarch64-unknown-linux-gnu ] || ! command -v aarch64-linux-gnu-gcc >/dev/null; then
        report "$t" "skipped: run scripts/setup-cross.sh first"; continue
      fi
      export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
      cross=(env RUSTC=/usr/bin/rustc /usr/bin/cargo)
      "${cross[@]}" build --release --quiet --target "$t" || { report "$t" "FAILED"; status=1; continue; }
      bash "$root/scripts/package-native.sh" "$t" >/dev/null
      if [ $run_tests = 1 ]; then
        # qemu-user 7.2 (Debian 12) hangs in pthread_create for these binaries, so the
        # threaded test harness cannot run; the thread-free kernel_check example compares
        # the NEON kernels with the portable ones instead.
        "${cross[@]}" build --release --quiet --target "$t" --example kernel_check || { report "$t" "FAILED (kernel_check)"; status=1; continue; }
        if out=$(timeout 120 qemu-aarch64 -L /usr/aarch64-linux-gnu "target/$t/release/examples/kernel_check" 2>&1); then
          report "$t" "built (rustc-web); under qemu-aarch64: ${out#kernel_check: }"
        else report "$t" "built, KERNEL CHECK FAILED under qemu: $out"; status=1; fi
      else report "$t" "built (rustc-web)"; fi ;;
    *-linux-musl) report "$t" "skipped: no Rust standard library for musl in Debian; needs zig (release workflow)" ;;
    x86_64-pc-windows-gnu)
      vendor=$(ls -d /usr/src/rustc-*/library/vendor 2>/dev/null | tail -1)
      if [ -z "$vendor" ] || [ ! -x /usr/bin/rustc ] || ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
        report "$t" "skipped: needs rustc-web, rust-web-src and gcc-mingw-w64-x86-64 from apt"; continue
      fi
      home=$(mktemp -d)
      printf '[source.crates-io]\nreplace-with = "debian-vendor"\n[source.debian-vendor]\ndirectory = "%s"\n' "$vendor" >"$home/config.toml"
      if CARGO_HOME="$home" RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
        /usr/bin/cargo build --release --quiet -Zbuild-std=std,panic_abort --target "$t"; then
        bash "$root/scripts/package-native.sh" "$t" >/dev/null && report "$t" "built (rustc-web, -Zbuild-std, mingw-w64); not run here (no wine)"
      else
        report "$t" "FAILED (build-std)"; status=1
      fi
      rm -rf "$home" ;;
    *-apple-darwin) report "$t" "skipped: no macOS SDK on this machine; built on macOS runners (release workflow)" ;;
  esac
done
exit $status
