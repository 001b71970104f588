#!/usr/bin/env bash
# Copies the local build of the native library into native/<target triple>/, where
# ffi/native.ts looks for the prebuilt library shipped in the package (after VECTLITE_LIB,
# before lib-rs/target). Run it before packing, once per platform (or per cross build).
# It builds nothing: run `bash scripts/build.sh` (or a cross `cargo build`) first.
#
#   bash scripts/package-native.sh            # the host's triple, from lib-rs/target/release
#   bash scripts/package-native.sh <triple>   # a cross build, from lib-rs/target/<triple>/release
#
# VECTLITE_NATIVE_DIR changes the destination root (default: native/ in the repository).
# Prints the path of the copied library. native/ is git-ignored: never commit a binary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# The host triple, derived the same way as targetTriple() in ffi/native.ts.
host_triple() {
  local cpu os
  case "$(uname -m)" in
    x86_64 | amd64) cpu=x86_64 ;;
    aarch64 | arm64) cpu=aarch64 ;;
    *) echo "package-native: no prebuilt target for CPU $(uname -m)" >&2; return 1 ;;
  esac
  case "$(uname -s)" in
    Linux)
      # As ffi/native.ts: the running process's own mappings tell (a glibc machine may have
      # musl's loader installed too); without /proc, the loader's presence.
      if [ -r /proc/self/maps ]; then
        if grep -qE '/(ld-musl-|libc\.musl-)[^/[:space:]]*$' /proc/self/maps; then os=unknown-linux-musl; else os=unknown-linux-gnu; fi
      elif [ -e "/lib/ld-musl-$cpu.so.1" ]; then os=unknown-linux-musl; else os=unknown-linux-gnu; fi ;;
    Darwin) os=apple-darwin ;;
    MINGW* | MSYS* | CYGWIN*) os=pc-windows-gnu ;;
    *) echo "package-native: no prebuilt target for OS $(uname -s)" >&2; return 1 ;;
  esac
  echo "$cpu-$os"
}

if [ $# -ge 1 ]; then
  triple=$1
  src_dir="$root/lib-rs/target/$triple/release"
else
  triple=$(host_triple)
  src_dir="$root/lib-rs/target/release"
fi

case "$triple" in
  x86_64-unknown-linux-gnu | aarch64-unknown-linux-gnu | x86_64-unknown-linux-musl | aarch64-unknown-linux-musl | \
    x86_64-pc-windows-gnu | x86_64-apple-darwin | aarch64-apple-darwin) ;;
  *) echo "package-native: $triple is not a target vectlite ships (see PREBUILT_TRIPLES in ffi/native.ts)" >&2; exit 1 ;;
esac

case "$triple" in
  *-apple-darwin) file=libvectlite.dylib ;;
  *-windows-*) file=vectlite.dll ;;
  *) file=libvectlite.so ;;
esac

if [ ! -f "$src_dir/$file" ]; then
  echo "package-native: $src_dir/$file does not exist; build it first (bash scripts/build.sh)" >&2
  exit 1
fi

dest="${VECTLITE_NATIVE_DIR:-$root/native}/$triple"
mkdir -p "$dest"
cp "$src_dir/$file" "$dest/$file.tmp"
mv "$dest/$file.tmp" "$dest/$file"
echo "$dest/$file"
