#!/usr/bin/env bash
# Everything the compatibility suite (test/compat, `npm run test:compat`) runs besides
# kafkajs, idempotently (a provisioned machine only checks and returns):
#  - kcat and confluent-kafka-python, Debian's, both on librdkafka (apt, like provision.sh);
#  - the current confluent-kafka-python from PyPI, whose wheel bundles the current
#    librdkafka, in a virtual environment of the same interpreter, cached per version in
#    $STRATUS_CACHE (default ~/.cache/stratus); Debian's python3-venv if venv needs it;
#  - Apache Kafka's jars from Maven Central (kafka.sh): its Java client and tools, and the
#    reference broker the suite validates itself against;
#  - the suite's Java programs compiled against them (kafka-java.sh).
# Prints, on stdout, KEY=VALUE lines the suite reads: KAFKA_HOME, KAFKA_VERSION,
# JAVA_CLASSES, PYTHON, PYTHON_CLIENT, PYTHON_PYPI, PYTHON_PYPI_CLIENT (the *_CLIENT lines
# name the confluent-kafka and librdkafka versions, for test names).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Debian's python3-confluent-kafka is installed for Debian's own interpreter, which may not
# be the python3 first on PATH (pyenv and the like).
python=${STRATUS_COMPAT_PYTHON:-/usr/bin/python3}
cache=${STRATUS_CACHE:-$HOME/.cache/stratus}
# Pinned, so the suite's baseline does not move when Confluent releases; bump on purpose.
# 2.16.2 bundles librdkafka 2.16.0 (2.15+ is the one that pads Metadata v9+ requests).
# Binary wheels only: a source build would link Debian's old librdkafka instead.
PYPI_CONFLUENT_KAFKA=2.16.2
venv=$cache/confluent-kafka-$PYPI_CONFLUENT_KAFKA
pypi_python=$venv/bin/python

need_apt=()
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
"$python" -c 'import confluent_kafka' >/dev/null 2>&1 || need_apt+=(python3-confluent-kafka)
bash "$(dirname "$0")/apt-install.sh" compat-peers ${need_apt[@]+"${need_apt[@]}"}
"$python" -c 'import confluent_kafka' >/dev/null 2>&1 || {
  echo "compat-peers: $python cannot import confluent_kafka (set STRATUS_COMPAT_PYTHON)" >&2; exit 1; }

client_version() { # interpreter: "<confluent-kafka> on librdkafka <version>", or fails
  # version() is a (str, int) tuple in older releases (1.7.0), the string alone in current ones.
  "$1" -c 'import confluent_kafka as c; v = c.version(); print(v if isinstance(v, str) else v[0], "on librdkafka", c.libversion()[0])' 2>/dev/null
}
# The marker is written last: a venv without it is a half-finished install, made anew.
if [ ! -f "$venv/.complete" ] || ! pypi_client=$(client_version "$pypi_python"); then
  rm -rf "$venv"
  mkdir -p "$cache"
  if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv" # Debian's interpreter has no ensurepip without python3-venv
    bash "$here/apt-install.sh" compat-peers python3-venv
    "$python" -m venv "$venv" >&2
  fi
  echo "compat-peers: installing confluent-kafka==$PYPI_CONFLUENT_KAFKA from PyPI into $venv" >&2
  "$venv/bin/pip" install --disable-pip-version-check --no-input -q --only-binary=:all: \
    "confluent-kafka==$PYPI_CONFLUENT_KAFKA" >&2
  pypi_client=$(client_version "$pypi_python") || {
    echo "compat-peers: $pypi_python cannot import confluent_kafka after installing it" >&2; exit 1; }
  touch "$venv/.complete"
fi
debian_client=$(client_version "$python")

home=$(bash "$here/kafka.sh")
classes=$(bash "$here/kafka-java.sh")
echo "compat-peers: kcat $(kcat -V 2>/dev/null | grep -o 'librdkafka [0-9.]*' || echo '?'), confluent-kafka-python $debian_client, confluent-kafka-python $pypi_client (PyPI), Apache Kafka $(cat "$home/VERSION")" >&2
echo "KAFKA_HOME=$home"
echo "KAFKA_VERSION=$(cat "$home/VERSION")"
echo "JAVA_CLASSES=$classes"
echo "PYTHON=$python"
echo "PYTHON_CLIENT=$debian_client"
echo "PYTHON_PYPI=$pypi_python"
echo "PYTHON_PYPI_CLIENT=$pypi_client"
