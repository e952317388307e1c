#!/usr/bin/env bash
# redis-server (and redis-cli), the real Redis the metadata-store and lease tests of
# services/controller start (test/support/redis-server.ts), from Debian's package.
# Idempotent: returns at once when both binaries are on PATH. The tests start their own
# servers on free ports with their own data directories, so the Debian system service
# is never enabled nor started here (apt-install.sh --services-off).
set -euo pipefail
if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  echo "provision: redis-server ready ($(redis-server --version | grep -o 'v=[0-9.]*'))" >&2
  exit 0
fi
bash "$(dirname "$0")/apt-install.sh" provision --services-off redis-server redis-server
echo "provision: redis-server ready ($(redis-server --version | grep -o 'v=[0-9.]*'))" >&2
