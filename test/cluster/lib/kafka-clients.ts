// kafkajs against a local cluster, for the tests in test/cluster/: a client whose log is
// kept (so a test can say which broker errors a producer met, and whether Kafka counts
// them retriable), a producer loop that records every acknowledged record, and a
// consumer that reads a topic until it has a given set of records.

import { createRequire } from 'node:module';
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, LogEntry, Producer } from 'kafkajs';

const require = createRequire(import.meta.url);
const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: { type: string; code: number; retriable: boolean; message: string }[] };

export interface SeenError {
  readonly namespace: string;
  readonly message: string;
  /** The Kafka error it is (by kafkajs' table), when it is one. */
  readonly type: string | undefined;
  /** Kafka's retriable flag; connection-level failures count as retriable (clients reconnect). */
  readonly retriable: boolean;
}

export function kafkaClient(brokers: readonly string[], clientId: string): { kafka: Kafka; errors: SeenError[] } {
  const errors: SeenError[] = [];
  const logCreator = () => (entry: LogEntry) => {
    // Failures only (they carry an `error`); not kafkajs' advice about its own settings.
    const error = (entry.log as { error?: unknown }).error;
    if (entry.level > logLevel.WARN || error === undefined) return;
    const text = String(error);
    const known = errorCodes.find((e) => text.includes(e.message));
    errors.push({ namespace: entry.namespace, message: text, type: known?.type, retriable: known?.retriable ?? true });
  };
  const kafka = new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.WARN, logCreator, retry: { initialRetryTime: 100, retries: 10 } });
  return { kafka, errors };
}

export interface ProducedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

/**
 * Sends `batch` records at a time to `topic`, each send to the next of its `partitions`
 * in turn (so every partition, and so every leader, is written), until stopped. Every
 * acknowledged record is kept with its partition and offset; a send the client gave up
 * on (after its retries) is a failure.
 */
export function produceLoop(producer: Producer, topic: string, o: { readonly partitions: number; readonly batch?: number; readonly pauseMs?: number; readonly prefix?: string }) {
  const acked: ProducedRecord[] = [];
  const failures: Error[] = [];
  let running = true;
  let n = 0;
  let sends = 0;
  const done = (async () => {
    while (running) {
      const partition = sends++ % o.partitions;
      const values = Array.from({ length: o.batch ?? 10 }, () => `${o.prefix ?? 'r'}-${n++}`);
      try {
        const [meta] = await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value, partition })) });
        values.forEach((value, i) => acked.push({ partition, offset: Number(meta!.baseOffset) + i, value }));
      } catch (e) {
        failures.push(e as Error);
      }
      if (o.pauseMs !== undefined) await new Promise((r) => setTimeout(r, o.pauseMs));
    }
  })();
  return {
    acked,
    failures,
    async stop(): Promise<void> {
      running = false;
      await done;
    },
  };
}

/** Reads `topic` from the beginning with a group until every value in `expected` was seen (or the time is up). */
export async function consumeUntil(
  kafka: Kafka,
  topic: string,
  expected: ReadonlySet<string>,
  o: { readonly groupId: string; readonly rackId?: string; readonly timeoutMs?: number },
): Promise<ProducedRecord[]> {
  const consumer: Consumer = kafka.consumer({ groupId: o.groupId, ...(o.rackId !== undefined ? { rackId: o.rackId } : {}), maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const records: ProducedRecord[] = [];
  const seen = new Set<string>();
  const timeoutMs = o.timeoutMs ?? 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${seen.size} of ${expected.size} records of ${topic} within ${timeoutMs} ms`)), timeoutMs);
      const check = (): void => {
        for (const v of expected) if (!seen.has(v)) return;
        clearTimeout(timer);
        resolve();
      };
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const value = message.value?.toString() ?? '';
            records.push({ partition, offset: Number(message.offset), value });
            seen.add(value);
            check();
          },
        })
        .catch(reject);
      check();
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Problems with what a consumer read against what was acknowledged: lost, moved or duplicated records. */
export function compareRecords(acked: readonly ProducedRecord[], consumed: readonly ProducedRecord[]): string[] {
  const problems: string[] = [];
  const at = new Map<string, ProducedRecord>();
  for (const r of consumed) {
    const key = `${r.partition}:${r.offset}`;
    const before = at.get(key);
    if (before !== undefined && before.value !== r.value) problems.push(`${key} read as ${before.value} and as ${r.value}`);
    at.set(key, r);
  }
  const offsetsOf = new Map<string, Set<string>>();
  for (const r of at.values()) offsetsOf.set(r.value, (offsetsOf.get(r.value) ?? new Set()).add(`${r.partition}:${r.offset}`));
  for (const [value, places] of offsetsOf) if (places.size > 1) problems.push(`${value} is in the log ${places.size} times (${[...places].join(', ')})`);
  for (const a of acked) {
    const r = at.get(`${a.partition}:${a.offset}`);
    if (r === undefined) problems.push(`acknowledged ${a.value} at ${a.partition}:${a.offset} was not read`);
    else if (r.value !== a.value) problems.push(`acknowledged ${a.value} at ${a.partition}:${a.offset}, read ${r.value} there`);
  }
  return problems;
}
