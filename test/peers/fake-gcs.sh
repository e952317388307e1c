#!/usr/bin/env bash
# fake-gcs-server, the GCS emulator the object-store contract tests (libs/objectstore) run
# against. Idempotent: reuses one on PATH or in Go's bin directory, else builds the pinned
# version. The tests start their own server on a free port; this only makes the binary exist.
set -euo pipefail
bin=$(bash "$(dirname "$0")/go-tool.sh" fake-gcs-server github.com/fsouza/fake-gcs-server@v1.55.1)
echo "provision: fake-gcs-server ready ($bin)" >&2
