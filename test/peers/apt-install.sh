#!/usr/bin/env bash
# Installs Debian packages by name, as root or through sudo, running `apt-get update`
# first (package lists may be missing or old on a fresh machine). Called by the
# provisioning scripts only for packages they found missing.
#   usage: apt-install.sh <who is asking> <package>...
set -euo pipefail
who=$1
shift
[ $# -gt 0 ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "$who: need root (or sudo) to install: $*" >&2
    exit 1
  fi
else SUDO=; fi
echo "$who: installing $*" >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >&2
