#!/usr/bin/env bash
# tini, the init the image runs as PID 1 (deploy/Dockerfile), from Debian's package — the
# same package the image installs — so that test/deploy/image.test.ts starts the production
# file set through the image's own ENTRYPOINT line. Idempotent: returns at once when
# /usr/bin/tini is there. Prints the binary's path on stdout.
set -euo pipefail
bin=/usr/bin/tini
if [ ! -x "$bin" ]; then
  bash "$(dirname "$0")/apt-install.sh" provision tini
fi
echo "provision: tini ready ($("$bin" --version))" >&2
echo "$bin"
