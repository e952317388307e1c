#!/usr/bin/env bash
# Kubernetes object schemas for kubeconform, generated once, offline, from the OpenAPI
# spec in the k8s.io/kubernetes module (api/openapi-spec/swagger.json, from the Go module
# proxy) into .cache/k8s-schemas/v<version>-standalone-strict/ — the layout and file
# names (deployment-apps-v1.json, ...) of the schema sets kubeconform downloads when it
# is online, made with the same converter (openapi2jsonschema, in a venv under .tools/;
# the -ng fork, because the 2019 original pins a PyYAML that no longer builds).
# kubeconform's own scripts/openapi2jsonschema.py converts CRDs only, so it is not used.
# Idempotent: a second run only checks the directory. Prints the directory holding the
# version folders (kubeconform's -schema-location root) on stdout.
#
# 1.35: the chart's newest features are there by default (preStop `sleep` is GA since
# 1.34; the PodTopologyLabels admission that copies a node's zone label onto its pods,
# read by the broker's rack through the downward API, is beta and on since 1.35).
set -euo pipefail

K8S_VERSION=1.35.4
CONVERTER=openapi2jsonschema-ng==0.9.0
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/.cache/k8s-schemas"
dir="$out/v$K8S_VERSION-standalone-strict"

if [ -f "$dir/.complete" ]; then
  echo "provision: Kubernetes $K8S_VERSION schemas ready ($(ls "$dir" | wc -l) files in $dir)" >&2
  echo "$out"
  exit 0
fi

venv="$root/.tools/openapi2jsonschema-venv"
if [ ! -x "$venv/bin/openapi2jsonschema" ]; then
  echo "provision: installing $CONVERTER into $venv" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet "$CONVERTER" >&2
fi

echo "provision: downloading k8s.io/kubernetes@v$K8S_VERSION for its OpenAPI spec" >&2
src=$(cd "$root" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
spec="$src/api/openapi-spec/swagger.json"
[ -f "$spec" ] || { echo "provision: $spec not found" >&2; exit 1; }

echo "provision: generating Kubernetes $K8S_VERSION JSON schemas into $dir (about a minute)" >&2
rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
(cd "$dir.tmp" && "$venv/bin/openapi2jsonschema" -o . --expanded --kubernetes --stand-alone --strict "file://$spec" >/dev/null)
touch "$dir.tmp/.complete"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
echo "provision: $(ls "$dir" | wc -l) schemas in $dir" >&2
echo "$out"
