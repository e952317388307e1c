// A small kafkajs load for tests that watch the broker while clients work: produce a run of
// keyed records in batches of 20, and consume a given number with a group, committing, then
// leave the group (its committed offsets stay).

import type { Kafka } from 'kafkajs';

const BATCH = 20;

/** Produces records `from` .. `from + count - 1` (key k<i>, value value-<i>) with acks=all, BATCH per request. */
export async function produceRecords(kafka: Kafka, topic: string, from: number, count: number): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  try {
    for (let i = from; i < from + count; i += BATCH) {
      const n = Math.min(BATCH, from + count - i);
      await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, j) => ({ key: `k${i + j}`, value: `value-${i + j}` })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Consumes with `groupId` from its committed offsets (the beginning for a new group) until `count` records arrived, commits them, and leaves. */
export async function consumeRecords(kafka: Kafka, topic: string, groupId: string, count: number): Promise<void> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 500 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: true,
          eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
            for (const message of batch.messages) resolveOffset(message.offset);
            seen += batch.messages.length;
            await commitOffsetsIfNecessary();
            if (seen >= count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}
