// Topic set-up for the cluster figures: kafkajs' admin client bootstrapped to every broker,
// a topic with a given durability (stratus.durability), ready once every partition has a
// leader that answers ListOffsets.

import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export async function createClusterTopic(bootstrap: readonly string[], topic: string, partitions: number, durability: 'local' | 'object', timeoutMs = 60_000): Promise<void> {
  const admin = new Kafka({ clientId: 'stratus-bench-cluster-admin', brokers: [...bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: [{ name: 'stratus.durability', value: durability }] }],
      waitForLeaders: true,
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if ((await admin.fetchTopicOffsets(topic)).length === partitions) return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`topic ${topic} was not ready within ${timeoutMs} ms: ${String(e)}`);
      }
      if (Date.now() > deadline) throw new Error(`topic ${topic} was not ready within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
}
