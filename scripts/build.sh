#!/usr/bin/env bash
# Builds the native library (lib-rs/target/release/libvectlite.so) with cargo.
set -euo pipefail
cd "$(dirname "$0")/../lib-rs"
cargo build --release --quiet
