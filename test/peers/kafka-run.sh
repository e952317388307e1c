#!/usr/bin/env bash
# Runs a Java main class on Apache Kafka's classpath (see kafka.sh), e.g.
#   kafka-run.sh org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
# Env: KAFKA_RUN_CP     extra classpath entries put before Kafka's jars (the suite's Java programs)
#      KAFKA_HEAP_OPTS  heap flags (default -Xms64m -Xmx512m)
#      KAFKA_JVM_OPTS   other JVM flags (default: tuned for short-lived tools on small machines:
#                       C1 only, serial GC; the broker passes its own)
#      KAFKA_LOG4J_CONFIG  a log4j2 configuration (default: warnings to stderr)
#      KAFKA_VERSION, STRATUS_CACHE  as for kafka.sh
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: kafka-run.sh MAIN_CLASS [ARGS...]" >&2; exit 2; }
home=$(bash "$(dirname "$0")/kafka.sh")
cp="$home/libs/*"
[ -n "${KAFKA_RUN_CP:-}" ] && cp="$KAFKA_RUN_CP:$cp"
# shellcheck disable=SC2086 # the option variables hold several flags
exec java ${KAFKA_HEAP_OPTS:--Xms64m -Xmx512m} \
  ${KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto} \
  -Djava.awt.headless=true \
  -Dlog4j2.configurationFile="${KAFKA_LOG4J_CONFIG:-$home/config/tools-log4j2.properties}" \
  -cp "$cp" "$@"
