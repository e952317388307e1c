#!/usr/bin/env bash
# A single-node Apache Kafka 4.x in KRaft mode (broker and controller in one JVM), the
# reference the compatibility suite validates against and the peer for side-by-side
# benchmarks. Jars come from kafka.sh.
#
# Usage: kafka-broker.sh start DIR PORT [CONTROLLER_PORT]
#          Formats DIR/data on first use (a fresh cluster id, standalone dynamic quorum, as the
#          4.x distribution's quick start does), writes DIR/server.properties, starts
#          kafka.Kafka in the background (pid in DIR/broker.pid, log in DIR/broker.log) and
#          returns once the broker reports started and 127.0.0.1:PORT accepts connections.
#          CONTROLLER_PORT defaults to a free port. Starting an already running broker is a no-op.
#        kafka-broker.sh stop DIR
#          Stops it (SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT seconds, default 30) and
#          waits until the process is gone. Stopping a stopped broker is a no-op.
# Env:   KAFKA_BROKER_PROPS    extra server.properties lines (newline separated), appended
#                              last so they override the defaults below
#        KAFKA_BROKER_HEAP     heap flags (default -Xms256m -Xmx1g)
#        KAFKA_START_TIMEOUT   seconds to wait for the broker (default 90)
#        KAFKA_VERSION, STRATUS_CACHE  as for kafka.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
log() { echo "kafka-broker: $*" >&2; }
usage() { echo "usage: kafka-broker.sh start DIR PORT [CONTROLLER_PORT] | stop DIR" >&2; exit 2; }

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
pidfile=$dir/broker.pid

alive() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

stop() {
  alive || { rm -f "$pidfile"; return 0; }
  local pid waited=0 limit=${KAFKA_STOP_TIMEOUT:-30}
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge $((limit * 10)) ]; then
      log "pid $pid still running after ${limit}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$pidfile"
}

start() {
  local port=$1 cport=${2:-} home cluster_id waited=0 limit=${KAFKA_START_TIMEOUT:-90}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  pidfile=$dir/broker.pid
  if alive; then
    accepts "$port" && { log "already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"; return 0; }
    log "pid $(cat "$pidfile") is alive but not serving 127.0.0.1:$port; restarting it"
    stop
  fi
  if accepts "$port"; then log "127.0.0.1:$port is already in use by another process"; exit 1; fi
  home=$(bash "$here/kafka.sh")
  # A formatted directory keeps its controller port: it is recorded in the quorum.
  if [ -z "$cport" ] && [ -f "$dir/controller.port" ]; then cport=$(cat "$dir/controller.port"); fi
  [ -n "$cport" ] || cport=$(free_port)
  echo "$cport" >"$dir/controller.port"

  cat >"$dir/server.properties" <<EOF
# Written by test/peers/kafka-broker.sh: single-node KRaft, Kafka's defaults otherwise.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.quorum.bootstrap.servers=127.0.0.1:$cport
log.dirs=$dir/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
${KAFKA_BROKER_PROPS:-}
EOF

  if [ ! -f "$dir/data/meta.properties" ]; then
    # A Kafka cluster id is 16 random bytes in URL-safe base64 without padding, and (like
    # Kafka's Uuid.randomUuid) never starting with '-', which StorageTool's argument parser
    # would take for an option (1 start in 64 failed with "--cluster-id: expected one argument").
    cluster_id=-
    while [ "${cluster_id#-}" != "$cluster_id" ]; do
      cluster_id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    done
    KAFKA_HEAP_OPTS="-Xmx256m" bash "$here/kafka-run.sh" kafka.tools.StorageTool format \
      --config "$dir/server.properties" --cluster-id "$cluster_id" --standalone >"$dir/format.log" 2>&1 \
      || { cat "$dir/format.log" >&2; log "formatting $dir/data failed"; exit 1; }
  fi

  # nohup and exec all the way down: the recorded pid is the JVM's own, which outlives this
  # script, and `stop` is the way to end it.
  KAFKA_HEAP_OPTS="${KAFKA_BROKER_HEAP:--Xms256m -Xmx1g}" \
  KAFKA_JVM_OPTS="-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Xshare:auto" \
  KAFKA_LOG4J_CONFIG="$home/config/broker-log4j2.properties" \
    nohup bash "$here/kafka-run.sh" kafka.Kafka "$dir/server.properties" >"$dir/broker.log" 2>&1 </dev/null &
  echo $! >"$pidfile"

  until grep -q 'Kafka Server started' "$dir/broker.log" 2>/dev/null && accepts "$port"; do
    if ! alive; then
      tail -n 40 "$dir/broker.log" >&2 || true
      log "the broker exited during startup (log: $dir/broker.log)"
      rm -f "$pidfile"
      exit 1
    fi
    if [ "$waited" -ge $((limit * 10)) ]; then
      tail -n 40 "$dir/broker.log" >&2 || true
      log "the broker did not start within ${limit}s (log: $dir/broker.log)"
      stop
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  log "Apache Kafka $(cat "$home/VERSION") running (pid $(cat "$pidfile")) on 127.0.0.1:$port, controller 127.0.0.1:$cport, data in $dir/data"
}

case $cmd in
  start) [ $# -ge 3 ] || usage; start "$3" "${4:-}" ;;
  stop) stop ;;
  *) usage ;;
esac
