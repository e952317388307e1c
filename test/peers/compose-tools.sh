#!/usr/bin/env bash
# The tools test/deploy/compose.test.ts checks the deployment files with, from Debian's
# packages (no Docker engine is needed for either):
#  - docker-compose (1.29): `docker-compose config` validates and renders docker-compose.yml.
#  - promtool (package prometheus): `promtool check config` validates
#    deploy/prometheus/prometheus.yml.
# Idempotent: returns at once when both are on PATH. The prometheus package would start
# its server as a system service, and recommends node-exporter (another service): the
# install skips recommends and policy-rc.d keeps services from starting, as redis.sh does.
set -euo pipefail
if command -v docker-compose >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  echo "compose-tools: ready (docker-compose $(docker-compose version --short 2>/dev/null), $(promtool --version 2>&1 | head -1))" >&2
  exit 0
fi
need=()
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)

policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ] && [ "$(id -u)" -eq 0 ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  made_policy=1
fi
trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT
bash "$(dirname "$0")/apt-install.sh" compose-tools --no-install-recommends "${need[@]}"
# Keep the packaged Prometheus off where a service manager exists.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
echo "compose-tools: ready (docker-compose $(docker-compose version --short 2>/dev/null), $(promtool --version 2>&1 | head -1))" >&2
