// Traffic for the dashboard to show, through kafkajs against real brokers: three topics
// produced at steady rates, one consumer group that keeps up, one that stops halfway (its
// lag grows), and a late reader from the beginning (reads that miss the brokers' tail and
// go through the block cache to the object store).

import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, Producer } from 'kafkajs';

interface TopicLoad {
  readonly topic: string;
  readonly partitions: number;
  /** Records per tick (one produce request per topic per tick). */
  readonly records: number;
  readonly recordBytes: number;
}

const TICK_MS = 100;
const TOPICS: readonly TopicLoad[] = [
  { topic: 'orders', partitions: 6, records: 20, recordBytes: 512 },
  { topic: 'clicks', partitions: 3, records: 50, recordBytes: 200 },
  { topic: 'audit', partitions: 1, records: 2, recordBytes: 2048 },
];

export interface LoadSummary {
  readonly produced: Record<string, number>;
  readonly consumed: Record<string, number>;
}

async function consume(kafka: Kafka, groupId: string, topic: string, counts: Record<string, number>): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommitInterval: 1000, eachBatch: async ({ batch }) => void (counts[groupId] = (counts[groupId] ?? 0) + batch.messages.length) });
  return consumer;
}

/** Produces and consumes for `seconds`, then stops every client (the groups stay, with their offsets). */
export async function runLoad(brokers: readonly string[], seconds: number, log: (line: string) => void): Promise<LoadSummary> {
  const kafka = new Kafka({ clientId: 'dashboard-render', brokers: [...brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: TOPICS.map((t) => ({ topic: t.topic, numPartitions: t.partitions })), waitForLeaders: true });
  await admin.disconnect();

  const produced: Record<string, number> = {};
  const consumed: Record<string, number> = {};
  const producer: Producer = kafka.producer();
  await producer.connect();
  const billing = await consume(kafka, 'billing', 'orders', consumed);
  let analytics: Consumer | undefined = await consume(kafka, 'analytics', 'clicks', consumed);
  let audit: Consumer | undefined;

  const end = Date.now() + seconds * 1000;
  const half = Date.now() + (seconds * 1000) / 2;
  const lateReader = Date.now() + (seconds * 1000 * 2) / 3;
  let lastLog = 0;
  while (Date.now() < end) {
    const tick = Date.now();
    await Promise.all(
      TOPICS.map(async (t) => {
        const value = Buffer.alloc(t.recordBytes, 'x');
        await producer.send({ topic: t.topic, acks: -1, messages: Array.from({ length: t.records }, (_, i) => ({ key: String(i), value })) });
        produced[t.topic] = (produced[t.topic] ?? 0) + t.records;
      }),
    );
    if (analytics !== undefined && tick > half) {
      log('load: group analytics stops consuming clicks (its lag grows from here)');
      await analytics.disconnect();
      analytics = undefined;
    }
    if (audit === undefined && tick > lateReader) {
      log('load: group audit-replay reads audit from the beginning');
      audit = await consume(kafka, 'audit-replay', 'audit', consumed);
    }
    if (tick - lastLog > 15_000) {
      log(`load: produced ${JSON.stringify(produced)}, consumed ${JSON.stringify(consumed)}`);
      lastLog = tick;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, TICK_MS - (Date.now() - tick))));
  }
  await producer.disconnect();
  await billing.disconnect();
  await audit?.disconnect();
  await analytics?.disconnect();
  return { produced, consumed };
}
