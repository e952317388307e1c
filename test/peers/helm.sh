#!/usr/bin/env bash
# Helm, for the chart test (test/deploy/helm.test.ts: helm lint --strict, helm template).
# Idempotent: reuses a helm on PATH or in Go's bin directory, else builds it once with
# `go install` (a few minutes of CPU; the Go module proxy is reachable, helm's release
# downloads are not). Prints the binary's path on stdout.
set -euo pipefail
bin=$(bash "$(dirname "$0")/go-tool.sh" helm helm.sh/helm/v4/cmd/helm@v4.3.2)
echo "provision: helm ready ($("$bin" version --short 2>/dev/null || echo "version unknown"))" >&2
echo "$bin"
