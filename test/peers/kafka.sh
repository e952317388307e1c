#!/usr/bin/env bash
# Apache Kafka (the reference broker, its Java client and its command-line tools) from
# Maven Central: the compatibility suite (test/compat) validates itself against it, and the
# side-by-side benchmarks run it next to Stratus. Idempotent and cached: the first run
# resolves the jars with Maven (~1-2 minutes), later runs only check a marker file.
#
# Usage: kafka.sh            prints the Kafka home on stdout: <home>/libs holds every jar
#                            (one flat classpath), <home>/config the log4j2 configurations,
#                            <home>/VERSION the version.
# Env:   KAFKA_VERSION       a 4.x version (default below), or "latest": the newest 4.x that
#                            Maven Central serves completely (resolved once, then cached).
#        STRATUS_CACHE       cache root (default ~/.cache/stratus); Kafka lives in kafka/<version>.
#
# Why the default is pinned and not "latest": benchmark numbers and the suite's baseline must
# not change under our feet when Apache releases. At the time of writing Maven Central's
# metadata lists 4.4.0, but org.apache.kafka:kafka-tools:4.4.0 is not served (404), so the
# newest complete 4.x is 4.3.1. "latest" walks down from the newest listed version until the
# whole closure resolves.
set -euo pipefail

DEFAULT_VERSION=4.3.1
# The log4j2 backend for slf4j 1.7 (what Kafka 4.x ships in its own distribution's libs/).
LOG4J_VERSION=2.25.4

cache=${STRATUS_CACHE:-$HOME/.cache/stratus}
version=${KAFKA_VERSION:-$DEFAULT_VERSION}

log() { echo "kafka.sh: $*" >&2; }

if ! command -v java >/dev/null 2>&1; then log "java is not installed (Kafka 4.x needs Java 17+)"; exit 1; fi
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ "${java_major%%.*}" -lt 17 ] 2>/dev/null; then log "Kafka 4.x needs Java 17+, found $java_major"; exit 1; fi

# The artifacts we ask for by name; Maven adds their runtime closure.
ARTIFACTS=(
  kafka_2.13 kafka-tools kafka-clients kafka-server kafka-server-common kafka-storage
  kafka-storage-api kafka-metadata kafka-raft kafka-group-coordinator
  kafka-group-coordinator-api kafka-transaction-coordinator kafka-share-coordinator
  kafka-coordinator-common kafka-tools-api
)

write_pom() { # version dir
  local v=$1 dir=$2 a deps=""
  for a in "${ARTIFACTS[@]}"; do
    deps+="<dependency><groupId>org.apache.kafka</groupId><artifactId>$a</artifactId><version>$v</version></dependency>"
  done
  deps+="<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>"
  deps+="<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>"
  cat >"$dir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.stratus.peers</groupId><artifactId>kafka-libs</artifactId><version>$v</version>
  <packaging>pom</packaging>
  <dependencies>$deps</dependencies>
</project>
EOF
}

# Resolves version $1 into $cache/kafka/$1; returns non-zero when Maven cannot.
fetch() {
  local v=$1 home=$cache/kafka/$1 work
  [ -f "$home/.complete" ] && return 0
  command -v mvn >/dev/null 2>&1 || { log "mvn is not installed (apt-get install maven)"; return 1; }
  work=$(mktemp -d)
  write_pom "$v" "$work"
  log "resolving Apache Kafka $v and its runtime dependencies from Maven Central (once)"
  rm -rf "$home.tmp" && mkdir -p "$home.tmp/libs"
  if ! (cd "$work" && mvn -B -q -U dependency:copy-dependencies -DincludeScope=runtime \
          -DoutputDirectory="$home.tmp/libs" >"$work/mvn.log" 2>&1); then
    grep -E 'ERROR' "$work/mvn.log" | head -3 >&2 || true
    rm -rf "$work" "$home.tmp"
    return 1
  fi
  rm -rf "$work"
  write_config "$home.tmp/config"
  echo "$v" >"$home.tmp/VERSION"
  touch "$home.tmp/.complete"
  rm -rf "$home" && mv "$home.tmp" "$home"
  log "Apache Kafka $v ready: $(ls "$home/libs" | wc -l) jars, $(du -sh "$home/libs" | cut -f1)"
}

write_config() {
  local dir=$1
  mkdir -p "$dir"
  # Command-line tools and test programs: warnings to stderr, stdout stays the tool's output.
  # The producer's TransactionManager logs "ProducerId set to ..." at INFO, which the suite
  # uses as proof that an idempotent producer really initialised its producer id.
  cat >"$dir/tools-log4j2.properties" <<'EOF'
status = error
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${env:KAFKA_TOOLS_LOG_LEVEL:-WARN}
rootLogger.appenderRef.err.ref = STDERR
logger.txn.name = org.apache.kafka.clients.producer.internals.TransactionManager
logger.txn.level = INFO
EOF
  # The broker: INFO to stdout (kafka-broker.sh sends it to <dir>/broker.log).
  cat >"$dir/broker-log4j2.properties" <<'EOF'
status = error
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

# Candidate versions for "latest": every 4.x in kafka-tools' Maven metadata, newest first.
list_4x() {
  local work meta
  work=$(mktemp -d)
  cat >"$work/pom.xml" <<'EOF'
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>dev.stratus.peers</groupId><artifactId>kafka-versions</artifactId><version>1</version><packaging>pom</packaging>
<dependencies><dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId><version>[4.0.0,5.0.0)</version></dependency></dependencies>
</project>
EOF
  # Resolving a range makes Maven fetch the artifact's maven-metadata.xml into the local repo.
  (cd "$work" && mvn -B -q -U dependency:resolve >/dev/null 2>&1) || true
  rm -rf "$work"
  meta=$(ls "${MAVEN_REPO:-$HOME/.m2/repository}"/org/apache/kafka/kafka-clients/maven-metadata-*.xml 2>/dev/null | head -1)
  [ -n "$meta" ] || { log "could not read Kafka's Maven metadata"; return 1; }
  grep -o '<version>4\.[0-9]*\.[0-9]*</version>' "$meta" | sed 's/<[^>]*>//g' | sort -t. -k1,1nr -k2,2nr -k3,3nr
}

if [ "$version" = latest ]; then
  if [ -f "$cache/kafka/LATEST" ] && [ -f "$cache/kafka/$(cat "$cache/kafka/LATEST")/.complete" ]; then
    version=$(cat "$cache/kafka/LATEST")
  else
    found=
    for v in $(list_4x); do
      if fetch "$v"; then found=$v; break; fi
      log "Apache Kafka $v is not completely available on Maven Central; trying an older one"
    done
    [ -n "$found" ] || { log "no complete Apache Kafka 4.x could be resolved"; exit 1; }
    mkdir -p "$cache/kafka" && echo "$found" >"$cache/kafka/LATEST"
    version=$found
  fi
else
  fetch "$version" || { log "could not resolve Apache Kafka $version from Maven Central"; exit 1; }
fi

echo "$cache/kafka/$version"
