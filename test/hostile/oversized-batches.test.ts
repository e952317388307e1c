// The first reproduction of issue 9 against a real `stratus dev`: a record larger than the
// storage holds must fail alone. Before, a 17 MiB record on a topic allowed 30,000,000
// bytes reached the WAL, which refused it; the broker treated that as a fatal WAL failure,
// and every later produce to any topic closed its connection while /readyz said ready.
// Now max.message.bytes above the storage limit is refused when set, a batch above a
// topic's limit is MESSAGE_TOO_LARGE for its partition, and the broker carries on.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import type { Admin, Producer } from 'kafkajs';
import { StratusProcess } from '../support/stratus-process.ts';

const { Kafka, logLevel } = kafkajs;
/** 16 MiB WAL records less the 26-byte entry header: the largest batch with default settings. */
const STORAGE_MAX_BATCH_BYTES = 16 * 1024 * 1024 - 26;

let stratus: StratusProcess;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  stratus = await StratusProcess.start();
  const kafka = new Kafka({ clientId: 'oversized', brokers: [stratus.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  admin = kafka.admin();
  producer = kafka.producer({ allowAutoTopicCreation: true });
  await admin.connect();
  await producer.connect();
}, 60_000);

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await stratus?.stop();
});

async function readyz(): Promise<number> {
  return (await fetch(`http://127.0.0.1:${stratus.httpPort}/readyz`)).status;
}

describe('a record larger than the storage holds', () => {
  // The message naming both numbers is checked in the controller's tests: kafkajs shows its own text.
  it('max.message.bytes above the storage limit is INVALID_CONFIG', async () => {
    const error = await admin
      .createTopics({ topics: [{ topic: 'too-roomy', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '30000000' }] }] })
      .then(
        () => undefined,
        (e: unknown) => e as { errors?: { type?: string; message?: string }[] },
      );
    const problem = error?.errors?.[0];
    expect(problem?.type).toBe('INVALID_CONFIG');
  });

  it('a 17 MiB record fails alone with MESSAGE_TOO_LARGE; other topics keep working and the broker stays ready', async () => {
    await admin.createTopics({ topics: [{ topic: 'roomy', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(STORAGE_MAX_BATCH_BYTES) }] }] });
    const huge = Buffer.alloc(17 * 1024 * 1024, 7);
    const failed = await producer.send({ topic: 'roomy', acks: -1, messages: [{ value: huge }] }).then(
      () => undefined,
      (e: unknown) => e as { type?: string },
    );
    expect(failed?.type).toBe('MESSAGE_TOO_LARGE');
    // The same partition, and any other topic, still take writes on the same connections.
    const again = await producer.send({ topic: 'roomy', acks: -1, messages: [{ value: 'small' }] });
    expect(again[0]?.errorCode).toBe(0);
    const other = await producer.send({ topic: 'bystander', acks: -1, messages: [{ value: 'still here' }] });
    expect(other[0]?.errorCode).toBe(0);
    expect(await readyz()).toBe(200);
    expect(stratus.alive).toBe(true);
  });
});
