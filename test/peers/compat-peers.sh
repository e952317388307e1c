#!/usr/bin/env bash
# Everything the compatibility suite (test/compat, `npm run test:compat`) runs besides
# kafkajs, idempotently (a provisioned machine only checks and returns):
#  - kcat and confluent-kafka-python, Debian's, both on librdkafka (apt, like provision.sh);
#  - Apache Kafka's jars from Maven Central (kafka.sh): its Java client and tools, and the
#    reference broker the suite validates itself against;
#  - the suite's Java programs compiled against them (kafka-java.sh).
# Prints, on stdout, KEY=VALUE lines the suite reads: KAFKA_HOME, KAFKA_VERSION,
# JAVA_CLASSES, PYTHON.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Debian's python3-confluent-kafka is installed for Debian's own interpreter, which may not
# be the python3 first on PATH (pyenv and the like).
python=${STRATUS_COMPAT_PYTHON:-/usr/bin/python3}

need_apt=()
command -v kcat >/dev/null 2>&1 || need_apt+=(kcat)
"$python" -c 'import confluent_kafka' >/dev/null 2>&1 || need_apt+=(python3-confluent-kafka)
bash "$(dirname "$0")/apt-install.sh" compat-peers ${need_apt[@]+"${need_apt[@]}"}
"$python" -c 'import confluent_kafka' >/dev/null 2>&1 || {
  echo "compat-peers: $python cannot import confluent_kafka (set STRATUS_COMPAT_PYTHON)" >&2; exit 1; }

home=$(bash "$here/kafka.sh")
classes=$(bash "$here/kafka-java.sh")
echo "compat-peers: kcat $(kcat -V 2>/dev/null | grep -o 'librdkafka [0-9.]*' || echo '?'), confluent-kafka-python $("$python" -c 'import confluent_kafka as c; print(c.version()[0], "on librdkafka", c.libversion()[0])'), Apache Kafka $(cat "$home/VERSION")" >&2
echo "KAFKA_HOME=$home"
echo "KAFKA_VERSION=$(cat "$home/VERSION")"
echo "JAVA_CLASSES=$classes"
echo "PYTHON=$python"
