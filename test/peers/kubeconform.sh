#!/usr/bin/env bash
# kubeconform, which validates the chart's rendered manifests against Kubernetes object
# schemas (test/deploy/helm.test.ts). Idempotent: reuses a kubeconform on PATH or in Go's
# bin directory, else builds it once with `go install`. It runs offline here, on the
# schemas test/peers/k8s-schemas.sh generates. Prints the binary's path on stdout.
set -euo pipefail
bin=$(bash "$(dirname "$0")/go-tool.sh" kubeconform github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0)
echo "provision: kubeconform ready ($bin)" >&2
echo "$bin"
