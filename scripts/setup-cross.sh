#!/usr/bin/env bash
# Installs, from Debian's apt only (no rustup, no crates.io), what scripts/build-targets.sh
# needs for aarch64-unknown-linux-gnu and x86_64-pc-windows-gnu: Debian's second Rust
# toolchain (rustc-web/cargo-web, installed as /usr/bin/rustc and /usr/bin/cargo, separate
# from the rustup toolchain on PATH), its standard library built for arm64
# (libstd-rust-web-dev:arm64, via multiarch) and its sources (rust-web-src, rebuilt for
# Windows with -Zbuild-std), the aarch64, mingw-w64 and musl (x86_64 and arm64) linkers, and qemu-user and wine
# to run the tests. Idempotent; needs root.
set -euo pipefail
if [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/aarch64-unknown-linux-gnu ] && [ -d /usr/aarch64-linux-gnu/lib ] && command -v aarch64-linux-gnu-gcc >/dev/null \
  && command -v qemu-aarch64 >/dev/null && command -v x86_64-w64-mingw32-gcc >/dev/null && command -v wine >/dev/null && command -v musl-gcc >/dev/null && command -v aarch64-linux-musl-gcc >/dev/null \
  && ls -d /usr/src/rustc-*/library/vendor >/dev/null 2>&1; then
  echo "setup-cross: already installed"; exit 0
fi
export DEBIAN_FRONTEND=noninteractive
dpkg --add-architecture arm64
apt-get update -q
apt-get install -y -q --no-install-recommends rustc-web cargo-web gcc-aarch64-linux-gnu qemu-user libstd-rust-web-dev:arm64 \
  libc6-dev-arm64-cross rust-web-src gcc-mingw-w64-x86-64 wine64 wine musl-tools musl-dev:arm64
