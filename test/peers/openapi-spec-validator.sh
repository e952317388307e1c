#!/usr/bin/env bash
# openapi-spec-validator, which checks the admin REST API's OpenAPI 3.1 document against
# the OpenAPI specification's own schemas (services/cli/test/admin-api-openapi.test.ts).
# From PyPI into a venv under .tools/ (git-ignored). Idempotent: when the pinned version is
# already there it only checks. Prints the command's path on stdout; what it did on stderr.
#   usage: bash test/peers/openapi-spec-validator.sh
set -euo pipefail
VERSION=0.9.0
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.tools/openapi-spec-validator"
bin="$venv/bin/openapi-spec-validator"

installed_version() {
  [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("openapi-spec-validator"))' 2>/dev/null || true
}

if [ "$(installed_version)" != "$VERSION" ] || [ ! -x "$bin" ]; then
  echo "provision: installing openapi-spec-validator $VERSION (PyPI) into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "openapi-spec-validator==$VERSION" >&2
  [ "$(installed_version)" = "$VERSION" ] || { echo "provision: openapi-spec-validator $VERSION did not install in $venv" >&2; exit 1; }
fi
echo "provision: openapi-spec-validator $VERSION ready" >&2
echo "$bin"
