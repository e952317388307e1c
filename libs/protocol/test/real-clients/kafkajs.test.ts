// kafkajs 2.2.4 against the capture broker: kafkajs must accept our ApiVersions,
// Metadata, InitProducerId and Produce responses (send() resolves), and the batches it
// wrote must validate and decode to exactly what was sent. Compression codecs come
// from kafkajs itself (gzip) or kafkajs-snappy (pure JS), never from our own library,
// so the check is not self-confirming.

import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import type { Message, Producer, ProducerConfig } from 'kafkajs';
import { ApiKey } from '@stratus/protocol';
import { CompressionType } from '../../src/compression/index.ts';
import { CaptureBroker, PRODUCER_ID } from './capture-broker.ts';
import { producedTo } from './produced.ts';
import type { ProducedRecord } from './produced.ts';

const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = kafkajs;

// kafkajs-snappy has no type declarations; it exports a codec factory.
const SnappyCodec = createRequire(import.meta.url)('kafkajs-snappy') as () => unknown;
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;

const MESSAGES: Message[] = [
  { key: 'k1', value: 'hello' },
  { key: null, value: 'no key', headers: { trace: 'abc', 'x-empty': '' } },
  { key: 'ünïcødé', value: '☃ snow', headers: { h1: 'v1', h2: Buffer.from('v2') } },
  { key: 'big', value: 'stratus '.repeat(2000) },
  { key: 'null-value', value: null },
];

function expected(messages: Message[]): ProducedRecord[] {
  const text = (v: Message['value'] | Message['key']): string | null => (v === null || v === undefined ? null : v.toString());
  return messages.map((m) => ({
    key: text(m.key),
    value: text(m.value),
    headers: Object.entries(m.headers ?? {}).map(([k, v]) => [k, text(v as string | Buffer)] as const),
  }));
}

describe('kafkajs producer against the capture broker', () => {
  let broker: CaptureBroker;
  let producer: Producer | undefined;

  beforeEach(async () => {
    broker = await CaptureBroker.start();
  });

  afterEach(async () => {
    await producer?.disconnect().catch(() => undefined);
    producer = undefined;
    await broker.close();
    // A request the codec could not decode closes the connection, and kafkajs then
    // rejects with a network error; the broker's own record says what went wrong.
    expect(broker.errors).toEqual([]);
  });

  function connect(config: ProducerConfig = {}): Promise<void> {
    const kafka = new Kafka({
      clientId: 'kafkajs-crosscheck',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 5_000,
      requestTimeout: 10_000,
      retry: { retries: 0 },
    });
    producer = kafka.producer({ allowAutoTopicCreation: false, ...config });
    return producer.connect();
  }

  const codecs = [
    { name: 'none', kafkajs: CompressionTypes.None, code: CompressionType.None },
    { name: 'gzip', kafkajs: CompressionTypes.GZIP, code: CompressionType.Gzip },
    { name: 'snappy (kafkajs-snappy)', kafkajs: CompressionTypes.Snappy, code: CompressionType.Snappy },
  ];

  for (const c of codecs) {
    it(`produces with compression ${c.name}`, async () => {
      const topic = `kafkajs-${c.name.split(' ')[0] ?? 'x'}`;
      await connect();
      const result = await producer!.send({ topic, compression: c.kafkajs, acks: -1, messages: MESSAGES });
      expect(result).toEqual([expect.objectContaining({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' })]);

      expect(broker.errors).toEqual([]);
      // kafkajs opens with ApiVersions (its highest, v2) and learns the cluster from Metadata.
      const apis = broker.requests.map((r) => r.header.apiKey);
      expect(apis[0]).toBe(ApiKey.ApiVersions);
      expect(apis).toContain(ApiKey.Metadata);
      expect(apis).toContain(ApiKey.Produce);
      expect(broker.requestsOf(ApiKey.ApiVersions).map((r) => r.header.apiVersion)).not.toContain(0);

      const produced = producedTo(broker, topic);
      expect(produced.problems).toEqual([]);
      expect(produced.batches).toHaveLength(1);
      for (const b of produced.batches) {
        expect(b.info.compression).toBe(c.code);
        expect(b.attributes & 0x07).toBe(c.code);
        expect(b.produceVersion).toBeGreaterThanOrEqual(3);
      }
      expect(produced.records).toEqual(expected(MESSAGES));
    });
  }

  it('offsets follow the running count per partition across sends', async () => {
    await connect();
    await producer!.send({ topic: 'kafkajs-offsets', messages: MESSAGES.slice(0, 2) });
    const second = await producer!.send({ topic: 'kafkajs-offsets', compression: CompressionTypes.GZIP, messages: MESSAGES.slice(0, 3) });
    expect(second).toEqual([expect.objectContaining({ partition: 0, errorCode: 0, baseOffset: '2' })]);
    expect(broker.errors).toEqual([]);
    expect(producedTo(broker, 'kafkajs-offsets').records).toEqual(expected([...MESSAGES.slice(0, 2), ...MESSAGES.slice(0, 3)]));
  });

  it('acks=0: the request carries acks 0 and kafkajs expects no response', async () => {
    await connect();
    await producer!.send({ topic: 'kafkajs-acks0', acks: 0, messages: MESSAGES.slice(0, 2) });
    // send() resolves once the request is written; wait until the broker has read it.
    await broker.waitForRequest((r) => r.header.apiKey === ApiKey.Produce);
    expect(broker.errors).toEqual([]);
    const produced = producedTo(broker, 'kafkajs-acks0');
    expect(produced.problems).toEqual([]);
    expect(produced.batches.map((b) => b.acks)).toEqual([0]);
    expect(produced.records).toEqual(expected(MESSAGES.slice(0, 2)));
  });

  it('idempotent producer: InitProducerId, then a batch with producerId 1000, baseSequence 0', async () => {
    await connect({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 1 } });
    await producer!.send({ topic: 'kafkajs-idempotent', acks: -1, messages: MESSAGES });
    expect(broker.errors).toEqual([]);
    const init = broker.requestsOf(ApiKey.InitProducerId);
    expect(init).toHaveLength(1);
    expect(init[0]?.body.transactionalId).toBeNull();

    const produced = producedTo(broker, 'kafkajs-idempotent');
    expect(produced.problems).toEqual([]);
    expect(produced.batches.map((b) => [b.info.producerId, b.info.producerEpoch, b.info.baseSequence])).toEqual([[PRODUCER_ID, 0, 0]]);
    expect(produced.records).toEqual(expected(MESSAGES));
  });
});
