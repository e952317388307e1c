#!/usr/bin/env bash
# Installs Debian packages by name, as root or through sudo, running `apt-get update`
# first (package lists may be missing or old on a fresh machine). Called by the
# provisioning scripts only for packages they found missing.
#   usage: apt-install.sh <who is asking> [--services-off NAME[,NAME...]] <package>...
# --services-off: the packages bring system services the tests never use (they start their
# own servers on free ports): Debian starts a package's service during the install unless
# policy-rc.d says no (exit 101), so one is put in place for the install (when none exists),
# and the named services are disabled afterwards where a service manager runs. A machine
# without systemd cannot start them anyway.
set -euo pipefail
who=$1
shift
services_off=
if [ "${1:-}" = --services-off ]; then
  services_off=$2
  shift 2
fi
[ $# -gt 0 ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "$who: need root (or sudo) to install: $*" >&2
    exit 1
  fi
else SUDO=; fi
echo "$who: installing $*" >&2
policy=/usr/sbin/policy-rc.d
made_policy=
if [ -n "$services_off" ] && [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  made_policy=1
fi
trap '[ -n "$made_policy" ] && $SUDO rm -f "$policy"' EXIT
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >&2
if [ -n "$services_off" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for service in ${services_off//,/ }; do
    $SUDO systemctl disable --now "$service" >/dev/null 2>&1 || true
  done
fi
