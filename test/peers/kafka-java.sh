#!/usr/bin/env bash
# Compiles the compatibility suite's Java programs (test/compat/java/*.java, or the directory
# given) against Apache Kafka's jars (kafka.sh) into the cache. Idempotent: the output
# directory is named after a hash of the sources and the Kafka version, so javac runs only
# when a source changes. Prints the classes directory on stdout; put it on KAFKA_RUN_CP.
# Usage: kafka-java.sh [SRC_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "${1:-$here/../compat/java}" && pwd)
home=$(bash "$here/kafka.sh")
cache=${STRATUS_CACHE:-$HOME/.cache/stratus}
command -v javac >/dev/null 2>&1 || { echo "kafka-java: javac is not installed (a JDK 17+)" >&2; exit 1; }

hash=$( { cat "$home/VERSION"; for f in $(cd "$src" && ls ./*.java | LC_ALL=C sort); do echo "$f"; cat "$src/$f"; done; } | sha256sum | cut -c1-16)
out=$cache/compat-java/$hash
if [ ! -f "$out/.complete" ]; then
  echo "kafka-java: compiling $src against Kafka $(cat "$home/VERSION")" >&2
  rm -rf "$out.tmp" && mkdir -p "$out.tmp/classes"
  javac -nowarn -encoding UTF-8 --release 17 -cp "$home/libs/*" -d "$out.tmp/classes" "$src"/*.java >&2
  touch "$out.tmp/.complete"
  rm -rf "$out" && mv "$out.tmp" "$out"
fi
echo "$out/classes"
