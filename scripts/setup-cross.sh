#!/usr/bin/env bash
# Installs, from Debian's apt only (no rustup, no crates.io), what scripts/build-targets.sh
# needs for aarch64-unknown-linux-gnu: Debian's second Rust toolchain (rustc-web/cargo-web,
# installed as /usr/bin/rustc and /usr/bin/cargo, separate from the rustup toolchain on
# PATH), its standard library built for arm64 (libstd-rust-web-dev:arm64, via multiarch),
# the aarch64 cross linker, and qemu-user to run the tests. Idempotent; needs root.
set -euo pipefail
if [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/aarch64-unknown-linux-gnu ] && command -v aarch64-linux-gnu-gcc >/dev/null \
  && command -v qemu-aarch64 >/dev/null; then
  echo "setup-cross: already installed"; exit 0
fi
export DEBIAN_FRONTEND=noninteractive
dpkg --add-architecture arm64
apt-get update -q
apt-get install -y -q rustc-web cargo-web gcc-aarch64-linux-gnu qemu-user libstd-rust-web-dev:arm64
