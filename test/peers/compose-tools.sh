#!/usr/bin/env bash
# The tools test/deploy/compose.test.ts checks the deployment files with, from Debian's
# packages (no Docker engine is needed for either):
#  - docker-compose (1.29): `docker-compose config` validates and renders docker-compose.yml.
#  - promtool (package prometheus): `promtool check config` validates
#    deploy/prometheus/prometheus.yml.
# Idempotent: returns at once when both are on PATH. The prometheus package would start
# its server as a system service, and recommends node-exporter (another service): the
# install skips recommends and keeps the service off (apt-install.sh --services-off).
set -euo pipefail
if command -v docker-compose >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  echo "compose-tools: ready (docker-compose $(docker-compose version --short 2>/dev/null), $(promtool --version 2>&1 | head -1))" >&2
  exit 0
fi
need=()
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)

bash "$(dirname "$0")/apt-install.sh" compose-tools --services-off prometheus --no-install-recommends "${need[@]}"
echo "compose-tools: ready (docker-compose $(docker-compose version --short 2>/dev/null), $(promtool --version 2>&1 | head -1))" >&2
