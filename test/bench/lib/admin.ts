// Topic set-up for the workloads, the same for every system: kafkajs's admin client (in
// this process, so no JVM competes with the broker while it runs). Large topics are created
// in steps of CREATE_STEP partitions (CreateTopics, then CreatePartitions): a KRaft
// controller refuses a single operation of more than 10,000 metadata records ("Unable to
// perform excessively large batch operation"), and a 10,000-partition topic is 10,001.
// A topic is ready when ListOffsets answers for every partition.

import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export const CREATE_STEP = 5000;

function client(bootstrap: string, ssl: { readonly ca: string[] } | undefined): InstanceType<typeof Kafka> {
  return new Kafka({
    clientId: 'stratus-bench-admin',
    brokers: [bootstrap],
    ...(ssl !== undefined ? { ssl: { ca: [...ssl.ca] } } : {}),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 10_000,
    requestTimeout: 120_000,
    retry: { retries: 5, initialRetryTime: 300 },
  });
}

/** `ssl`: the CA of a broker whose listener is SSL (lib/tls.ts). */
export async function createTopic(bootstrap: string, topic: string, partitions: number, timeoutMs = 180_000, ssl?: { readonly ca: string[] }): Promise<void> {
  const admin = client(bootstrap, ssl).admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  try {
    const first = Math.min(partitions, CREATE_STEP);
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: first, replicationFactor: 1 }],
      timeout: timeoutMs,
      waitForLeaders: false,
    });
    if (!created) throw new Error(`topic ${topic} already exists`);
    for (let count = first + CREATE_STEP; count - CREATE_STEP < partitions; count += CREATE_STEP) {
      await admin.createPartitions({ topicPartitions: [{ topic, count: Math.min(count, partitions) }], timeout: timeoutMs });
    }
    // Ready when every partition answers ListOffsets (a broker still loading logs answers
    // NOT_LEADER_OR_FOLLOWER or UNKNOWN_TOPIC_OR_PARTITION for some).
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        if (offsets.length === partitions) return;
        last = new Error(`${offsets.length} of ${partitions} partitions listed`);
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`topic ${topic} (${partitions} partitions) was not ready within ${timeoutMs / 1000} s: ${String(last)}`);
  } finally {
    await admin.disconnect();
  }
}
