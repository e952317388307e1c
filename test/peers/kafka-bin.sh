#!/usr/bin/env bash
# Apache Kafka's command-line tools under their usual names (kafka-topics.sh,
# kafka-configs.sh, kafka-console-producer.sh, ...) for a machine without a Kafka
# download: small wrappers that run each tool's class from the jars kafka.sh caches,
# through kafka-run.sh. Prints the directory that holds them, for PATH:
#
#   export PATH="$(bash test/peers/kafka-bin.sh):$PATH"
#
# The README's quickstart uses it, and the doc test (test/docs) puts the same directory on
# its shell's PATH. Idempotent: a wrapper is written only when missing or different.
# Env: KAFKA_VERSION, STRATUS_CACHE as for kafka.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P) # physical: the wrappers must not name a symlinked path
bin=$(cd "$here/../.." && pwd -P)/.tools/kafka-bin
bash "$here/kafka.sh" >/dev/null # resolves the jars once, so the first wrapper call does not wait for Maven

# Script name (as in Kafka's bin/) and the class it runs in Kafka 4.x.
TOOLS=(
  kafka-topics.sh:org.apache.kafka.tools.TopicCommand
  kafka-configs.sh:kafka.admin.ConfigCommand
  kafka-console-producer.sh:org.apache.kafka.tools.ConsoleProducer
  kafka-console-consumer.sh:org.apache.kafka.tools.consumer.ConsoleConsumer
  kafka-consumer-groups.sh:org.apache.kafka.tools.consumer.group.ConsumerGroupCommand
  kafka-share-groups.sh:org.apache.kafka.tools.consumer.group.ShareGroupCommand
  kafka-groups.sh:org.apache.kafka.tools.GroupsCommand
  kafka-get-offsets.sh:org.apache.kafka.tools.GetOffsetShell
  kafka-delete-records.sh:org.apache.kafka.tools.DeleteRecordsCommand
  kafka-broker-api-versions.sh:org.apache.kafka.tools.BrokerApiVersionsCommand
  kafka-transactions.sh:org.apache.kafka.tools.TransactionsCommand
  kafka-acls.sh:org.apache.kafka.tools.AclCommand
  kafka-leader-election.sh:org.apache.kafka.tools.LeaderElectionCommand
  kafka-reassign-partitions.sh:org.apache.kafka.tools.reassign.ReassignPartitionsCommand
  kafka-log-dirs.sh:org.apache.kafka.tools.LogDirsCommand
  kafka-features.sh:org.apache.kafka.tools.FeatureCommand
  kafka-client-metrics.sh:org.apache.kafka.tools.ClientMetricsCommand
  kafka-producer-perf-test.sh:org.apache.kafka.tools.ProducerPerformance
  kafka-consumer-perf-test.sh:org.apache.kafka.tools.ConsumerPerformance
  kafka-verifiable-producer.sh:org.apache.kafka.tools.VerifiableProducer
  kafka-verifiable-consumer.sh:org.apache.kafka.tools.VerifiableConsumer
)

mkdir -p "$bin"
written=0
for tool in "${TOOLS[@]}"; do
  name=${tool%%:*} class=${tool#*:}
  wrapper=$(printf '#!/usr/bin/env bash\n# %s from Apache Kafka, run by %s (written by kafka-bin.sh)\nexec bash %q %s "$@"\n' "$name" "$here/kafka-run.sh" "$here/kafka-run.sh" "$class")
  if [ ! -x "$bin/$name" ] || [ "$(cat "$bin/$name")" != "$wrapper" ]; then
    printf '%s\n' "$wrapper" >"$bin/$name.tmp" && chmod +x "$bin/$name.tmp" && mv "$bin/$name.tmp" "$bin/$name"
    written=$((written + 1))
  fi
done
[ "$written" -eq 0 ] || echo "kafka-bin.sh: wrote $written Kafka tool wrappers into $bin" >&2
echo "$bin"
