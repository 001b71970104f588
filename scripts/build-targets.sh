#!/usr/bin/env bash
# Builds the native library for each release target into native/<triple>/ and says, per
# target, whether it was built and how it was verified, or why not.
#
#   bash scripts/build-targets.sh            # every target
#   bash scripts/build-targets.sh --test     # ... and run the Rust tests where possible
#   bash scripts/build-targets.sh --test aarch64-unknown-linux-gnu   # only the targets named
#
# - x86_64-unknown-linux-gnu: the host; built with the rustup toolchain, tests run natively.
# - aarch64-unknown-linux-gnu: Debian's rustc-web with libstd-rust-web-dev:arm64 and
#   aarch64-linux-gnu-gcc (scripts/setup-cross.sh installs them); with --test the whole Rust
#   test suite (NEON kernels included) runs under qemu-aarch64 (cargo's runner).
# - x86_64-pc-windows-gnu: Debian's rustc-web with its std sources (rust-web-src) rebuilt for
#   Windows (RUSTC_BOOTSTRAP=1 cargo -Zbuild-std, crates-io pointed at the sources' vendor
#   folder, offline) and the mingw-w64 linker (apt: gcc-mingw-w64-x86-64); with --test the
#   Rust test suite runs under wine (cargo's runner).
# - x86_64- and aarch64-unknown-linux-musl: rustc-web with rust-web-src (-Zbuild-std) and
#   musl-gcc (apt: musl-tools) or aarch64-linux-musl-gcc (apt: musl-dev:arm64), with gcc's
#   static unwinder linked in (see the case below); with --test a musl C program loads the
#   library and calls it, and the Rust suite runs against musl (aarch64: under qemu).
# - With zig and cargo-zigbuild on PATH (the release workflow), every target is built with
#   them instead. Without zig, macOS (no Apple SDK) is skipped here.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/lib-rs"
run_tests=0
[ "${1:-}" = "--test" ] && { run_tests=1; shift; }
ALL=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl
  x86_64-pc-windows-gnu x86_64-apple-darwin aarch64-apple-darwin)
# A CARGO_HOME whose crates-io is the vendor folder of Debian's std sources, for -Zbuild-std
# offline (Windows and musl).
vendored_cargo_home() {
  local home; home=$(mktemp -d)
  printf '[source.crates-io]\nreplace-with = "debian-vendor"\n[source.debian-vendor]\ndirectory = "%s"\n' "$1" >"$home/config.toml"
  echo "$home"
}
# The number of tests a cargo test log says passed, summed over its test binaries.
passed_in() { grep -o '[0-9]* passed' "$1" | awk '{s+=$1} END {print s}'; }
named=0
[ $# -gt 0 ] && { ALL=("$@"); named=1; } # only the targets named
status=0
skipped=0
report() {
  printf '%-28s %s\n' "$1" "$2"
  case $2 in skipped*) skipped=1 ;; esac
}

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
        if cargo test --profile test-opt --quiet >/tmp/vectlite-test-$t.log 2>&1; then report "$t" "built, tests pass natively"
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
        # qemu runs the test binaries with the cross toolchain's loader; LD_LIBRARY_PATH makes
        # it load the libc of the same glibc build. Without it the loader found the multiarch
        # libc6:arm64 (a newer Debian revision) and the first pthread_create looped for ever.
        export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib"
        if timeout 1200 "${cross[@]}" test --profile test-opt --target "$t" --lib --tests >/tmp/vectlite-test-$t.log 2>&1; then
          passed=$(passed_in /tmp/vectlite-test-$t.log)
          report "$t" "built (rustc-web); Rust tests pass under qemu-aarch64 ($passed passed)"
        else report "$t" "built, TESTS FAILED under qemu-aarch64 (/tmp/vectlite-test-$t.log)"; status=1; fi
      else report "$t" "built (rustc-web)"; fi ;;
    *-linux-musl)
      case $t in
        x86_64-*) cc=musl-gcc; gnu_cc=gcc; run=() ;;
        aarch64-*) cc=aarch64-linux-musl-gcc; gnu_cc=aarch64-linux-gnu-gcc; run=(qemu-aarch64) ;;
      esac
      vendor=$(ls -d /usr/src/rustc-*/library/vendor 2>/dev/null | tail -1)
      if [ -z "$vendor" ] || [ ! -x /usr/bin/rustc ] || ! command -v "$cc" >/dev/null || ! command -v "$gnu_cc" >/dev/null; then
        report "$t" "skipped: needs rustc-web, rust-web-src and $cc from apt (scripts/setup-cross.sh)"; continue
      fi
      home=$(vendored_cargo_home "$vendor")
      # A musl cdylib cannot link the C library statically (-crt-static) and then wants the
      # unwinder as libgcc_s, which Debian has for glibc only. gcc's static unwinder
      # (libgcc_eh.a) plus scripts/musl/dl_find_object.c (the one glibc function it uses
      # that musl lacks) stands in, so the library carries its own unwinder.
      unwind="$root/lib-rs/target/musl-unwind-$t"
      if ! { mkdir -p "$unwind" && cp "$("$gnu_cc" -print-file-name=libgcc_eh.a)" "$unwind/libgcc_s.a" &&
        "$cc" -O2 -fPIC -c "$root/scripts/musl/dl_find_object.c" -o "$unwind/dl_find_object.o" &&
        ar rcs "$unwind/libgcc_s.a" "$unwind/dl_find_object.o"; }; then
        report "$t" "FAILED (the unwinder archive)"; status=1; rm -rf "$home"; continue
      fi
      var=$(echo "$t" | tr 'a-z-' 'A-Z_')
      menv=(env CARGO_HOME="$home" RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc "CARGO_TARGET_${var}_LINKER=$cc"
        RUSTFLAGS="-C target-feature=-crt-static -C link-self-contained=no -L $unwind")
      [ ${#run[@]} -gt 0 ] && menv+=("CARGO_TARGET_${var}_RUNNER=${run[*]}")
      where=$([ ${#run[@]} -gt 0 ] && echo "under ${run[0]}" || echo "natively")
      if ! "${menv[@]}" /usr/bin/cargo build --release --quiet -Zbuild-std --target "$t"; then
        report "$t" "FAILED (build-std)"; status=1
      elif ! bash "$root/scripts/package-native.sh" "$t" >/dev/null; then
        report "$t" "FAILED (package-native)"; status=1
      elif [ $run_tests = 0 ]; then
        report "$t" "built (rustc-web, -Zbuild-std, $cc)"
      else
        # The library itself, loaded by a musl process, and the Rust suite linked against musl.
        db=$(mktemp -d)
        loaded="load_check.c did not compile"
        rm -f "$unwind/load_check"
        load_status=1
        if "$cc" -O2 -o "$unwind/load_check" "$root/scripts/musl/load_check.c"; then
          loaded=$("${run[@]}" "$unwind/load_check" "$root/lib-rs/target/$t/release/libvectlite.so" "$db/a.vdb" 2>&1)
          load_status=$?
        fi
        rm -rf "$db"
        if [ $load_status != 0 ]; then report "$t" "built, LOAD CHECK FAILED: $loaded"; status=1
        elif timeout 1200 "${menv[@]}" /usr/bin/cargo test --profile test-opt -Zbuild-std --target "$t" --lib --tests >/tmp/vectlite-test-$t.log 2>&1; then
          passed=$(passed_in /tmp/vectlite-test-$t.log)
          report "$t" "built (rustc-web, -Zbuild-std, $cc); ${loaded#load_check: } $where; Rust tests pass on musl $where ($passed passed)"
        else report "$t" "built, TESTS FAILED on musl $where (/tmp/vectlite-test-$t.log)"; status=1; fi
      fi
      rm -rf "$home" ;;
    x86_64-pc-windows-gnu)
      vendor=$(ls -d /usr/src/rustc-*/library/vendor 2>/dev/null | tail -1)
      if [ -z "$vendor" ] || [ ! -x /usr/bin/rustc ] || ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
        report "$t" "skipped: needs rustc-web, rust-web-src and gcc-mingw-w64-x86-64 from apt"; continue
      fi
      home=$(vendored_cargo_home "$vendor")
      wenv=(env CARGO_HOME="$home" RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc)
      if ! "${wenv[@]}" /usr/bin/cargo build --release --quiet -Zbuild-std --target "$t"; then
        report "$t" "FAILED (build-std)"; status=1
      elif ! bash "$root/scripts/package-native.sh" "$t" >/dev/null; then
        report "$t" "FAILED (package-native)"; status=1
      elif [ $run_tests = 0 ]; then
        report "$t" "built (rustc-web, -Zbuild-std, mingw-w64)"
      elif ! command -v wine >/dev/null; then
        report "$t" "skipped running the tests: built, but no wine (scripts/setup-cross.sh installs it)"
      else
        # A wine prefix of our own, with the stand-in for the bcryptprimitives.dll that
        # Windows 10+ has and Debian 12's wine 8 lacks (scripts/wine/bcryptprimitives.c).
        # Outside the repository: a prefix holds dosdevices/z: -> /, and `bun test`, which
        # walks the tree for test files, followed it round the whole file system until it ran
        # out of memory.
        export WINEPREFIX="${TMPDIR:-/tmp}/vectlite-wineprefix" WINEDEBUG=-all
        mkdir -p "$WINEPREFIX"
        wine wineboot --init >/dev/null 2>&1
        if ! x86_64-w64-mingw32-gcc -shared -O2 -Wl,--kill-at -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
          "$root/scripts/wine/bcryptprimitives.c" -ladvapi32; then
          report "$t" "built, FAILED to set up the wine prefix ($WINEPREFIX)"; status=1
        elif timeout 1200 "${wenv[@]}" CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine /usr/bin/cargo test --profile test-opt -Zbuild-std \
          --target "$t" --lib --tests >/tmp/vectlite-test-$t.log 2>&1; then
          passed=$(passed_in /tmp/vectlite-test-$t.log)
          report "$t" "built (rustc-web, -Zbuild-std, mingw-w64); Rust tests pass under wine ($passed passed)"
        else report "$t" "built, TESTS FAILED under wine (/tmp/vectlite-test-$t.log)"; status=1; fi
      fi
      rm -rf "$home" ;;
    *-apple-darwin) report "$t" "skipped: no macOS SDK on this machine; built on macOS runners (release workflow)" ;;
  esac
done
# Exit 3 when a target named on the command line was skipped (and nothing failed), so that
# scripts/test.sh says "skipped" instead of counting a target it never checked as passed.
[ $status = 0 ] && [ $named = 1 ] && [ $skipped = 1 ] && exit 3
exit $status
