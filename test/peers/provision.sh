#!/usr/bin/env bash
# Installs the real peers the tests talk to, idempotently: a second run on a provisioned
# machine only checks and returns. Run by `npm test` (pretest) and by CI.
#  - kcat (Debian's, built on librdkafka): a real C client for the protocol tests.
#  - minio and fake-gcs-server (built with `go install` when missing): the S3 and GCS
#    servers the object-store contract tests start.
# kafkajs comes from npm (devDependencies).
set -euo pipefail

need_apt=()
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
      echo "provision: need root (or sudo) to install: ${need_apt[*]}" >&2; exit 1
    fi
  else SUDO=; fi
  echo "provision: installing ${need_apt[*]}" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >&2
fi
echo "provision: kcat ready ($(kcat -V 2>/dev/null | grep -o "librdkafka [0-9.]*" || echo "version unknown"))" >&2

bash "$(dirname "$0")/minio.sh"
bash "$(dirname "$0")/fake-gcs.sh"
