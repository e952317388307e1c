#!/usr/bin/env bash
# redis-server (and redis-cli), the real Redis the metadata-store and lease tests of
# services/controller start (test/support/redis-server.ts), from Debian's package.
# Idempotent: returns at once when both binaries are on PATH. The tests start their own
# servers on free ports with their own data directories, so the Debian system service
# is never enabled nor started here (policy-rc.d refuses it during the install).
set -euo pipefail
if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  echo "provision: redis-server ready ($(redis-server --version | grep -o 'v=[0-9.]*'))" >&2
  exit 0
fi
# Debian starts a package's service during install unless policy-rc.d says no (exit 101);
# a machine without systemd cannot start it anyway, so this only matters on one with it.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ] && [ "$(id -u)" -eq 0 ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  made_policy=1
fi
trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT
bash "$(dirname "$0")/apt-install.sh" provision redis-server
# Keep the packaged service off where a service manager exists.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
echo "provision: redis-server ready ($(redis-server --version | grep -o 'v=[0-9.]*'))" >&2
