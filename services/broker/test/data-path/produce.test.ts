// Produce (API 0) through the dispatcher of a real broker: offsets, acks, validation of
// the batch as Kafka's broker does it, idempotent producers (duplicates, sequences,
// epochs, pipelining) and LogAppendTime topics. What is checked is what producers rely
// on: the error code decides between retrying, failing the batch, or resetting state.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKey,
  CompressionType,
  CRC_OFFSET,
  errorName,
  LAST_OFFSET_DELTA_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  recomputeCrc,
  TimestampType,
  timestampTypeOf,
  compressionOf,
  writeInt64,
} from '@stratus/protocol';
import { batch, fetchOne, idempotentBatch, produce, producePartitionOf, produceRequest, produceValues, PRODUCE_VERSION, T0 } from './support/kafka.ts';
import { DataPathWorld } from './support/world.ts';

let world: DataPathWorld;
let n = 0;
const fresh = (prefix = 'produce'): string => `${prefix}-${++n}`;

beforeAll(async () => {
  world = await DataPathWorld.open();
});

afterAll(async () => {
  await world?.close();
});

describe('Produce: offsets and acks', () => {
  it('assigns consecutive offsets across requests and returns them as baseOffset', async () => {
    const topic = fresh();
    await world.createTopic(topic, 2);
    const a = await produce(world, topic, 0, batch(['a0', 'a1', 'a2']));
    const b = await produce(world, topic, 0, batch(['b0']));
    const c = await produce(world, topic, 0, batch(['c0', 'c1']));
    const other = await produce(world, topic, 1, batch(['x0']));
    expect([a, b, c, other].map((p) => errorName(p.errorCode))).toEqual(['NONE', 'NONE', 'NONE', 'NONE']);
    expect([a.baseOffset, b.baseOffset, c.baseOffset]).toEqual([0, 3, 4]);
    expect(other.baseOffset).toBe(0); // offsets are per partition
    expect(a.logStartOffset).toBe(0);
    expect(a.logAppendTimeMs).toBe(-1); // CreateTime topic

    const fetched = await fetchOne(world, { topic, partition: 0, offset: 0 });
    expect(fetched.highWatermark).toBe(6);
    expect(fetched.fetched.records.map((r) => [r.offset, r.value])).toEqual([
      [0, 'a0'],
      [1, 'a1'],
      [2, 'a2'],
      [3, 'b0'],
      [4, 'c0'],
      [5, 'c1'],
    ]);
  });

  it('accepts every Produce version it serves (v3-v11)', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    for (let v = 3; v <= 11; v++) {
      const p = await produce(world, topic, 0, batch([`v${v}`]), { version: v });
      expect(errorName(p.errorCode), `v${v}`).toBe('NONE');
      expect(p.baseOffset).toBe(v - 3);
    }
  });

  it('acks=0: no response on success, the connection is closed when the request fails', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    const ok = await world.send(ApiKey.Produce, PRODUCE_VERSION, produceRequest(topic, 0, batch(['fire-and-forget']), { acks: 0 }));
    expect(ok.kind).toBe('none');
    const fetched = await fetchOne(world, { topic, partition: 0, offset: 0 });
    expect(fetched.fetched.records.map((r) => r.value)).toEqual(['fire-and-forget']);

    // A client using acks=0 never reads answers: failure is signalled by closing.
    const failed = await world.send(ApiKey.Produce, PRODUCE_VERSION, produceRequest(fresh('missing'), 0, batch(['lost']), { acks: 0 }));
    expect(failed.kind).toBe('close');
    const corrupt = batch(['bad']);
    corrupt[corrupt.length - 1]! ^= 0xff;
    expect((await world.send(ApiKey.Produce, PRODUCE_VERSION, produceRequest(topic, 0, corrupt, { acks: 0 }))).kind).toBe('close');
  });

  it('acks=1 is answered like acks=-1', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    const p = await produce(world, topic, 0, batch(['one']), { acks: 1 });
    expect(errorName(p.errorCode)).toBe('NONE');
    expect(p.baseOffset).toBe(0);
  });
});

describe('Produce: topics and partitions', () => {
  it('unknown topic with auto-create off: UNKNOWN_TOPIC_OR_PARTITION, nothing created', async () => {
    const topic = fresh('unknown');
    const p = await produce(world, topic, 0, batch(['x']));
    expect(errorName(p.errorCode)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(p.baseOffset).toBe(-1);
    expect(world.topic(topic)).toBeUndefined();
  });

  it('partition out of range: UNKNOWN_TOPIC_OR_PARTITION, the other partitions of the request still succeed', async () => {
    const topic = fresh();
    await world.createTopic(topic, 2);
    const r = await world.call(ApiKey.Produce, PRODUCE_VERSION, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [
        {
          name: topic,
          partitionData: [
            { index: 0, records: batch(['p0']) },
            { index: 2, records: batch(['p2']) },
            { index: -1, records: batch(['p-1']) },
          ],
        },
      ],
    });
    const byIndex = new Map(r.responses[0]!.partitionResponses.map((p) => [p.index, errorName(p.errorCode)]));
    expect(Object.fromEntries(byIndex)).toEqual({ 0: 'NONE', 2: 'UNKNOWN_TOPIC_OR_PARTITION', [-1]: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('unknown topic with auto-create on: the topic is created and the batch written', async () => {
    const auto = await DataPathWorld.open({ broker: { autoCreateTopics: true, defaultPartitions: 3 } });
    try {
      const p = await produce(auto, 'auto-created', 1, batch(['first']));
      expect(errorName(p.errorCode)).toBe('NONE');
      expect(p.baseOffset).toBe(0);
      const topic = auto.topic('auto-created');
      expect(topic?.partitions.map((x) => x.leader)).toEqual([1, 1, 1]);
      const fetched = await fetchOne(auto, { topic: 'auto-created', partition: 1, offset: 0 });
      expect(fetched.fetched.records.map((r) => r.value)).toEqual(['first']);
      // An invalid name cannot be created: the partition is unknown, nothing else breaks.
      const bad = await produce(auto, 'bad/name', 0, batch(['x']));
      expect(errorName(bad.errorCode)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    } finally {
      await auto.close();
    }
  });
});

describe('Produce: batch validation', () => {
  let topic: string;
  beforeAll(async () => {
    topic = fresh('validation');
    await world.createTopic(topic, 1, { 'max.message.bytes': '2048' });
  });

  it('two batches in one partition: INVALID_RECORD, nothing written', async () => {
    const p = await produce(world, topic, 0, Buffer.concat([batch(['a']), batch(['b'])]));
    expect(errorName(p.errorCode)).toBe('INVALID_RECORD');
    expect(p.baseOffset).toBe(-1);
    expect(p.errorMessage).toMatch(/exactly one record batch/);
  });

  it('null or empty records: INVALID_RECORD', async () => {
    expect(errorName((await produce(world, topic, 0, null)).errorCode)).toBe('INVALID_RECORD');
    expect(errorName((await produce(world, topic, 0, Buffer.alloc(0))).errorCode)).toBe('INVALID_RECORD');
  });

  it('a damaged CRC (or payload): CORRUPT_MESSAGE', async () => {
    const badCrc = batch(['crc']);
    badCrc.writeUInt32BE((badCrc.readUInt32BE(CRC_OFFSET) + 1) >>> 0, CRC_OFFSET);
    expect(errorName((await produce(world, topic, 0, badCrc)).errorCode)).toBe('CORRUPT_MESSAGE');
    const badPayload = batch(['payload']);
    badPayload[RECORDS_OFFSET + 2]! ^= 0x55;
    expect(errorName((await produce(world, topic, 0, badPayload)).errorCode)).toBe('CORRUPT_MESSAGE');
    const truncated = batch(['truncated']).subarray(0, 40);
    expect(errorName((await produce(world, topic, 0, truncated)).errorCode)).toBe('CORRUPT_MESSAGE');
  });

  it('a batch over the topic max.message.bytes: MESSAGE_TOO_LARGE; one under it is accepted', async () => {
    const big = batch(['x'.repeat(3000)]);
    expect(big.length).toBeGreaterThan(2048);
    const p = await produce(world, topic, 0, big);
    expect(errorName(p.errorCode)).toBe('MESSAGE_TOO_LARGE');
    const small = await produce(world, topic, 0, batch(['x'.repeat(1000)]));
    expect(errorName(small.errorCode)).toBe('NONE');
  });

  it('a control batch from a client: INVALID_RECORD', async () => {
    const control = batch(['marker'], { control: true, producerId: 5, producerEpoch: 0, baseSequence: 0 });
    expect(errorName((await produce(world, topic, 0, control)).errorCode)).toBe('INVALID_RECORD');
  });

  it('a transactional id (or transactional batch): INVALID_TXN_STATE, as transactions are not supported', async () => {
    const withId = await produce(world, topic, 0, batch(['tx']), { transactionalId: 'my-txn' });
    expect(errorName(withId.errorCode)).toBe('INVALID_TXN_STATE');
    const txBatch = batch(['tx'], { transactional: true, producerId: 6, producerEpoch: 0, baseSequence: 0 });
    expect(errorName((await produce(world, topic, 0, txBatch)).errorCode)).toBe('INVALID_TXN_STATE');
  });

  it('zstd needs Produce v7: UNSUPPORTED_COMPRESSION_TYPE at v6, accepted at v7', async () => {
    const t = fresh('zstd');
    await world.createTopic(t);
    const zstd = (): Buffer => batch(['z0', 'z1'], { compression: CompressionType.Zstd });
    const v6 = await produce(world, t, 0, zstd(), { version: 6 });
    expect(errorName(v6.errorCode)).toBe('UNSUPPORTED_COMPRESSION_TYPE');
    const v7 = await produce(world, t, 0, zstd(), { version: 7 });
    expect(errorName(v7.errorCode)).toBe('NONE');
    expect(v7.baseOffset).toBe(0); // the refused batch took no offsets
  });

  it.each([
    ['none', CompressionType.None],
    ['gzip', CompressionType.Gzip],
    ['snappy', CompressionType.Snappy],
    ['lz4', CompressionType.Lz4],
    ['zstd', CompressionType.Zstd],
  ])('stores %s batches as they are and serves them back', async (_name, compression) => {
    const t = fresh('codec');
    await world.createTopic(t);
    const values = Array.from({ length: 20 }, (_, i) => `value-${i}-${'r'.repeat(i)}`);
    const sent = batch(values, { compression });
    const p = await produce(world, t, 0, sent);
    expect(errorName(p.errorCode)).toBe('NONE');
    const fetched = await fetchOne(world, { topic: t, partition: 0, offset: 0 });
    expect(fetched.fetched.batches).toHaveLength(1);
    expect(compressionOf(fetched.fetched.batches[0]!.attributes)).toBe(compression);
    expect(fetched.fetched.records.map((r) => r.value)).toEqual(values);
    expect(fetched.fetched.records.map((r) => r.offset)).toEqual(values.map((_, i) => i));
  });
});

describe('Produce: idempotent producers', () => {
  it('a retried batch among the last five gets its ORIGINAL offset and is not written again', async () => {
    const topic = fresh('idem');
    await world.createTopic(topic);
    const pid = 1000;
    const offsets: number[] = [];
    for (let i = 0; i < 6; i++) offsets.push((await produce(world, topic, 0, idempotentBatch(pid, 0, i * 2, 2))).baseOffset);
    expect(offsets).toEqual([0, 2, 4, 6, 8, 10]);

    // Batch #2 (sequences 4-5) is within the last five: a duplicate.
    const dup = await produce(world, topic, 0, idempotentBatch(pid, 0, 4, 2));
    expect(errorName(dup.errorCode)).toBe('NONE');
    expect(dup.baseOffset).toBe(4);
    // The newest one too.
    expect((await produce(world, topic, 0, idempotentBatch(pid, 0, 10, 2))).baseOffset).toBe(10);

    const fetched = await fetchOne(world, { topic, partition: 0, offset: 0 });
    expect(fetched.highWatermark).toBe(12);
    expect(fetched.fetched.records.map((r) => r.value)).toEqual(Array.from({ length: 12 }, (_, i) => `p${pid}-e0-s${i}`));

    // Batch #0 (sequences 0-1) fell out of the window: Kafka answers OUT_OF_ORDER_SEQUENCE_NUMBER.
    expect(errorName((await produce(world, topic, 0, idempotentBatch(pid, 0, 0, 2))).errorCode)).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    // The next batch in sequence is still accepted.
    expect((await produce(world, topic, 0, idempotentBatch(pid, 0, 12, 1))).baseOffset).toBe(12);
  });

  it('a gap in sequences: OUT_OF_ORDER_SEQUENCE_NUMBER, nothing written', async () => {
    const topic = fresh('idem');
    await world.createTopic(topic);
    expect((await produce(world, topic, 0, idempotentBatch(2000, 0, 0, 3))).baseOffset).toBe(0);
    const gap = await produce(world, topic, 0, idempotentBatch(2000, 0, 5, 1));
    expect(errorName(gap.errorCode)).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(gap.baseOffset).toBe(-1);
    expect((await produce(world, topic, 0, idempotentBatch(2000, 0, 3, 1))).baseOffset).toBe(3);
    // Sequences are per producer id: another producer starts at 0 on its own.
    expect(errorName((await produce(world, topic, 0, idempotentBatch(2001, 0, 0, 1))).errorCode)).toBe('NONE');
  });

  it("a producer's first batch on a partition must start at sequence 0: a later one waits for it (its predecessor still in flight to an old leader)", async () => {
    const topic = fresh('idem');
    await world.createTopic(topic);
    // The failover race: batch 0-9 went to the old leader and is unanswered; 10-19 reaches us first.
    const early = await produce(world, topic, 0, idempotentBatch(2500, 0, 10, 10));
    expect(errorName(early.errorCode)).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(early.baseOffset).toBe(-1);
    // The client resends the first batch here, then the second: both written, in order.
    expect((await produce(world, topic, 0, idempotentBatch(2500, 0, 0, 10))).baseOffset).toBe(0);
    expect((await produce(world, topic, 0, idempotentBatch(2500, 0, 10, 10))).baseOffset).toBe(10);
    const fetched = await fetchOne(world, { topic, partition: 0, offset: 0 });
    expect(fetched.fetched.records.map((r) => r.value)).toEqual(Array.from({ length: 20 }, (_, i) => `p2500-e0-s${i}`));
  });

  it('an older producer epoch: INVALID_PRODUCER_EPOCH; a newer epoch must restart at sequence 0', async () => {
    const topic = fresh('idem');
    await world.createTopic(topic);
    expect(errorName((await produce(world, topic, 0, idempotentBatch(3000, 2, 0, 1))).errorCode)).toBe('NONE');
    expect(errorName((await produce(world, topic, 0, idempotentBatch(3000, 1, 1, 1))).errorCode)).toBe('INVALID_PRODUCER_EPOCH');
    expect(errorName((await produce(world, topic, 0, idempotentBatch(3000, 3, 7, 1))).errorCode)).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(errorName((await produce(world, topic, 0, idempotentBatch(3000, 3, 0, 1))).errorCode)).toBe('NONE');
    // Once epoch 3 wrote, epoch 2 is fenced as well.
    expect(errorName((await produce(world, topic, 0, idempotentBatch(3000, 2, 1, 1))).errorCode)).toBe('INVALID_PRODUCER_EPOCH');
  });

  it('pipelined requests (not awaited one by one) get offsets in dispatch order, on a partition not yet open', async () => {
    const topic = fresh('pipeline');
    await world.createTopic(topic);
    const pid = 4000;
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => world.send(ApiKey.Produce, PRODUCE_VERSION, produceRequest(topic, 0, idempotentBatch(pid, 0, i * 3, 3)))),
    );
    const parts = outcomes.map(producePartitionOf);
    expect(parts.map((p) => errorName(p.errorCode))).toEqual(Array<string>(20).fill('NONE'));
    expect(parts.map((p) => p.baseOffset)).toEqual(Array.from({ length: 20 }, (_, i) => i * 3));
    const fetched = await fetchOne(world, { topic, partition: 0, offset: 0 });
    expect(fetched.fetched.records.map((r) => r.value)).toEqual(Array.from({ length: 60 }, (_, i) => `p${pid}-e0-s${i}`));
  });

  it('pipelined requests on an open partition, with a retry of an in-flight batch answered by its original offset', async () => {
    const topic = fresh('pipeline');
    await world.createTopic(topic);
    await produce(world, topic, 0, batch(['opens-the-partition']));
    const pid = 5000;
    const sends = Array.from({ length: 20 }, (_, i) => world.send(ApiKey.Produce, PRODUCE_VERSION, produceRequest(topic, 0, idempotentBatch(pid, 0, i, 1))));
    // The producer retries sequence 19 while the original is still in flight.
    sends.push(world.send(ApiKey.Produce, PRODUCE_VERSION, produceRequest(topic, 0, idempotentBatch(pid, 0, 19, 1))));
    const parts = (await Promise.all(sends)).map(producePartitionOf);
    expect(parts.map((p) => errorName(p.errorCode))).toEqual(Array<string>(21).fill('NONE'));
    expect(parts.map((p) => p.baseOffset)).toEqual([...Array.from({ length: 20 }, (_, i) => i + 1), 20]);
    const fetched = await fetchOne(world, { topic, partition: 0, offset: 1 });
    expect(fetched.highWatermark).toBe(21);
    expect(fetched.fetched.records).toHaveLength(20);
  });

  it('pipelined requests of several producers interleave without spurious sequence errors', async () => {
    const topic = fresh('pipeline');
    await world.createTopic(topic);
    const sends = [];
    for (let i = 0; i < 10; i++) {
      for (const pid of [6000, 6001, 6002]) sends.push(world.send(ApiKey.Produce, PRODUCE_VERSION, produceRequest(topic, 0, idempotentBatch(pid, 0, i, 1))));
    }
    const parts = (await Promise.all(sends)).map(producePartitionOf);
    expect(parts.map((p) => errorName(p.errorCode))).toEqual(Array<string>(30).fill('NONE'));
    expect(parts.map((p) => p.baseOffset)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});

describe('Produce: idempotent producers across a broker restart', () => {
  // After a graceful restart the WAL was flushed to objects and trimmed, so it replays
  // nothing: the producer state must come from the partition index (committed with the
  // objects), or a retried batch is written a second time. Kafka rebuilds it from its log
  // and snapshots and answers with the original offset. A producer retries exactly when
  // it did not get the answer, e.g. a request cut by the shutdown's drain timeout whose
  // append the flush committed.
  it('a batch retried after a restart is answered with its original offset, not written again', async () => {
    const w = await DataPathWorld.open();
    try {
      await w.createTopic('idem-restart');
      expect((await produce(w, 'idem-restart', 0, idempotentBatch(7000, 0, 0, 2))).baseOffset).toBe(0);
      expect((await produce(w, 'idem-restart', 0, idempotentBatch(7000, 0, 2, 2))).baseOffset).toBe(2);
      await w.restart();
      const retry = await produce(w, 'idem-restart', 0, idempotentBatch(7000, 0, 2, 2));
      const fetched = await fetchOne(w, { topic: 'idem-restart', partition: 0, offset: 0 });
      expect({ error: errorName(retry.errorCode), baseOffset: retry.baseOffset, highWatermark: fetched.highWatermark }).toEqual({ error: 'NONE', baseOffset: 2, highWatermark: 4 });
    } finally {
      await w.close();
    }
  });

  it('after a crash, batches replayed from the WAL still count as duplicates', async () => {
    // No uploads before the crash: the batch is only in the WAL, and is replayed from it.
    const w = await DataPathWorld.open({ storage: { upload: { maxObjectBytes: 1024 * 1024, maxDelayMs: 60_000, urgentDelayMs: 60_000 } } });
    try {
      await w.createTopic('idem-crash');
      expect((await produce(w, 'idem-crash', 0, idempotentBatch(7100, 0, 0, 2))).baseOffset).toBe(0);
      await w.crash();
      const retry = await produce(w, 'idem-crash', 0, idempotentBatch(7100, 0, 0, 2));
      expect(errorName(retry.errorCode)).toBe('NONE');
      expect(retry.baseOffset).toBe(0);
      expect((await fetchOne(w, { topic: 'idem-crash', partition: 0, offset: 0 })).highWatermark).toBe(2);
    } finally {
      await w.close();
    }
  });
});

describe('Produce: LogAppendTime topics', () => {
  it('stamps the batch with the broker time: logAppendTimeMs in the answer equals the fetched maxTimestamp', async () => {
    const topic = fresh('lat');
    await world.createTopic(topic, 1, { 'message.timestamp.type': 'LogAppendTime' });
    const before = Date.now();
    const p = await produce(world, topic, 0, batch(['l0', 'l1'], { timestamps: [1000, 2000] }));
    const after = Date.now();
    expect(errorName(p.errorCode)).toBe('NONE');
    expect(p.logAppendTimeMs).toBeGreaterThanOrEqual(before);
    expect(p.logAppendTimeMs).toBeLessThanOrEqual(after);

    const fetched = await fetchOne(world, { topic, partition: 0, offset: 0 });
    const h = fetched.fetched.batches[0]!;
    expect(timestampTypeOf(h.attributes)).toBe(TimestampType.LogAppendTime);
    expect(h.maxTimestamp).toBe(p.logAppendTimeMs);
    // Consumers see every record at the append time.
    expect(fetched.fetched.records.map((r) => r.timestamp)).toEqual([p.logAppendTimeMs, p.logAppendTimeMs]);
  });
});

describe('Produce of a batch larger than the storage holds', () => {
  it('fails that partition with MESSAGE_TOO_LARGE; the broker, the connection and other partitions carry on', async () => {
    // Storage whose un-uploaded budget (64 KiB) is below the topic's max.message.bytes (1 MiB).
    const w = await DataPathWorld.open({ storage: { pendingBytes: 64 * 1024 } });
    try {
      await w.createTopic('roomy', 2, { 'max.message.bytes': String(1024 * 1024) });
      await w.createTopic('bystander', 1);
      const huge = batch(['h'.repeat(100 * 1024)]);
      const p = await produce(w, 'roomy', 0, huge);
      expect(errorName(p.errorCode)).toBe('MESSAGE_TOO_LARGE');
      expect(p.errorMessage).toContain(`${64 * 1024 - 26} bytes`);
      expect(w.problems).toEqual([]);
      // Same partition, other partitions and other topics: all still take writes.
      expect((await produceValues(w, 'roomy', 0, [['after']]))[0]).toBe(0);
      expect((await produceValues(w, 'roomy', 1, [['other']]))[0]).toBe(0);
      expect((await produceValues(w, 'bystander', 0, [['still']]))[0]).toBe(0);
      expect(w.errors).toEqual([]);
    } finally {
      await w.close();
    }
  });
});

describe('Produce checks the records against their header and the timestamp bounds', () => {
  let w: DataPathWorld;
  beforeAll(async () => {
    w = await DataPathWorld.open();
  });
  afterAll(async () => {
    await w?.close();
  });

  it('a compressed batch that claims more records than it holds: INVALID_RECORD, and no offsets are burned', async () => {
    await w.createTopic('liars');
    const honest = batch(['a', 'b', 'c'], { compression: CompressionType.Gzip });
    const lying = Buffer.from(honest);
    lying.writeInt32BE(1_000_000, RECORDS_COUNT_OFFSET);
    lying.writeInt32BE(999_999, LAST_OFFSET_DELTA_OFFSET);
    recomputeCrc(lying, 0);
    const refused = await produce(w, 'liars', 0, lying);
    expect(errorName(refused.errorCode)).toBe('INVALID_RECORD');
    expect((await produce(w, 'liars', 0, honest)).baseOffset).toBe(0);
    expect((await produce(w, 'liars', 0, batch(['d']))).baseOffset).toBe(3);
  });

  it('a compressed batch whose header hides its newest timestamp: INVALID_RECORD', async () => {
    await w.createTopic('hidden-time');
    const far = Date.now() + 10 * 365 * 86_400_000;
    const b = batch(['now', 'later'], { compression: CompressionType.Zstd, timestamps: [T0, far] });
    writeInt64(b, MAX_TIMESTAMP_OFFSET, T0);
    recomputeCrc(b, 0);
    expect(errorName((await produce(w, 'hidden-time', 0, b)).errorCode)).toBe('INVALID_RECORD');
  });

  it('CreateTime: a record more than message.timestamp.after.max.ms (default 1 h) ahead is INVALID_TIMESTAMP', async () => {
    await w.createTopic('future');
    const now = Date.now();
    const twoHours = await produce(w, 'future', 0, batch(['soon', 'too late'], { timestamps: [now, now + 2 * 3_600_000] }));
    expect(errorName(twoHours.errorCode)).toBe('INVALID_TIMESTAMP');
    expect(errorName((await produce(w, 'future', 0, batch(['soon'], { timestamps: [now + 60_000] }))).errorCode)).toBe('NONE');
    await w.createTopic('far-future-ok', 1, { 'message.timestamp.after.max.ms': String(3 * 3_600_000) });
    expect(errorName((await produce(w, 'far-future-ok', 0, batch(['x'], { timestamps: [now + 2 * 3_600_000] }))).errorCode)).toBe('NONE');
  });

  it('CreateTime: a record older than message.timestamp.before.max.ms is INVALID_TIMESTAMP; LogAppendTime topics take any', async () => {
    await w.createTopic('recent-only', 1, { 'message.timestamp.before.max.ms': String(3_600_000) });
    expect(errorName((await produce(w, 'recent-only', 0, batch(['2023'], { timestamps: [T0] }))).errorCode)).toBe('INVALID_TIMESTAMP');
    expect(errorName((await produce(w, 'recent-only', 0, batch(['now'], { timestamps: [Date.now()] }))).errorCode)).toBe('NONE');
    // Records without a timestamp (-1, old clients) are not held against the bounds, as in Kafka.
    expect(errorName((await produce(w, 'recent-only', 0, batch(['untimed'], { timestamps: [-1], baseTimestamp: -1 }))).errorCode)).toBe('NONE');
    await w.createTopic('broker-time', 1, { 'message.timestamp.type': 'LogAppendTime', 'message.timestamp.before.max.ms': '0', 'message.timestamp.after.max.ms': '0' });
    expect(errorName((await produce(w, 'broker-time', 0, batch(['any'], { timestamps: [Date.now() + 10 * 86_400_000] }))).errorCode)).toBe('NONE');
  });

  it('CreateTime: a batch the producer marks LogAppendTime reads as its maxTimestamp, so that is what the bounds check (found by the broker fuzzer)', async () => {
    // Under the LogAppendTime attribute every record reads as the header's maxTimestamp
    // (and the batch is stored as sent): records stamped now must not carry a maxTimestamp
    // years ahead past message.timestamp.after.max.ms, nor one before before.max.ms.
    await w.createTopic('marked-append-time', 1, { 'message.timestamp.before.max.ms': String(86_400_000) });
    const now = Date.now();
    const future = await produce(w, 'marked-append-time', 0, batch(['planted'], { timestamps: [now], logAppendTime: now + 50 * 365 * 86_400_000, compression: CompressionType.Snappy }));
    expect(errorName(future.errorCode)).toBe('INVALID_TIMESTAMP');
    const past = await produce(w, 'marked-append-time', 0, batch(['planted'], { timestamps: [now], logAppendTime: now - 2 * 86_400_000 }));
    expect(errorName(past.errorCode)).toBe('INVALID_TIMESTAMP');
    // Kafka refuses NO_TIMESTAMP under that attribute ("Producer should not set timestamp type to LogAppendTime").
    const none = await produce(w, 'marked-append-time', 0, batch(['planted'], { timestamps: [now], logAppendTime: -1 }));
    expect(errorName(none.errorCode)).toBe('INVALID_TIMESTAMP');
    // Within the bounds it is taken, as Kafka takes it; nothing was written before it.
    const inRange = await produce(w, 'marked-append-time', 0, batch(['fine'], { timestamps: [now], logAppendTime: now - 60_000 }));
    expect(errorName(inRange.errorCode)).toBe('NONE');
    expect(inRange.baseOffset).toBe(0);
  });
});
