#!/usr/bin/env bash
# Installs Debian's Chromium (/usr/bin/chromium), which scripts/browser-test.ts drives
# headless through playwright-core to test `vectlite ui` in a real browser. From apt only
# (playwright's own browser download is not used). Idempotent; needs root.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "setup-browser: already installed ($(/usr/bin/chromium --version 2>/dev/null || echo chromium))"; exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup-browser: /usr/bin/chromium is missing; install it as root: apt-get install -y chromium" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
timeout 600 apt-get update -q
timeout 1200 apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
