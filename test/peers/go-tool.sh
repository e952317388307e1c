#!/usr/bin/env bash
# Shared by minio.sh and fake-gcs.sh: finds a Go-built server binary, or builds it once
# with `go install` into Go's bin directory, where later runs (and the tests) find it.
# Usage: go-tool.sh NAME MODULE@VERSION. Prints the binary's path on stdout.
set -euo pipefail

name=$1
module=$2

gobin() {
  if command -v go >/dev/null 2>&1; then
    local bin
    bin=$(go env GOBIN)
    if [ -n "$bin" ]; then echo "$bin"; else echo "$(go env GOPATH | cut -d: -f1)/bin"; fi
  else
    echo "${GOBIN:-${GOPATH:-$HOME/go}/bin}"
  fi
}

if path=$(command -v "$name" 2>/dev/null); then echo "$path"; exit 0; fi
dir=$(gobin)
if [ -x "$dir/$name" ]; then echo "$dir/$name"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "provision: $name is missing and Go is not installed to build it ($module)" >&2
  exit 1
fi
echo "provision: building $name with go install $module (once; takes a few minutes)" >&2
go install "$module" >&2
echo "$dir/$name"
