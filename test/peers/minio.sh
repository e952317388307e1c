#!/usr/bin/env bash
# MinIO, the S3-compatible server the object-store contract tests (libs/objectstore) run
# against. Idempotent: reuses a minio on PATH or in Go's bin directory, else builds it.
# The tests start their own server on a free port; this only makes the binary exist.
set -euo pipefail
bin=$(bash "$(dirname "$0")/go-tool.sh" minio github.com/minio/minio@latest)
echo "provision: minio ready ($bin)" >&2
