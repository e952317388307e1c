// Idempotent-producer state carried by commits: what the uploader derives from an
// object's batch headers, and how the in-memory partition index merges and lists it
// (that the uploader hands them to the commit is tested in @stratus/storage).

import { describe, expect, it } from 'vitest';
import { buildRecordBatch } from '@stratus/protocol';
import type { ProducerBatchRecord } from '../src/committer.ts';
import { InMemoryPartitionIndex } from '../src/memory-index.ts';
import { listProducerBatches, mergeProducerBatches, producerBatchesOf } from '../src/producer-batches.ts';
import type { ProducerTable } from '../src/producer-batches.ts';
import type { Extent } from '../src/extent.ts';

const TOPIC_A = Buffer.alloc(16, 1).toString('base64url');
const TOPIC_B = Buffer.alloc(16, 2).toString('base64url');

const tp = { topicId: TOPIC_A, partition: 0 };

function idempotentBatch(baseOffset: number, producerId: number, producerEpoch: number, baseSequence: number, records: number): Buffer {
  return buildRecordBatch({
    baseOffset,
    producerId,
    producerEpoch,
    baseSequence,
    baseTimestamp: 1_700_000_000_000,
    records: Array.from({ length: records }, (_, i) => ({ key: `k${i}`, value: 'v' })),
  });
}

function pb(producerId: number, producerEpoch: number, baseSequence: number, baseOffset: number, lastOffsetDelta = 0, at = tp): ProducerBatchRecord {
  return { ...at, producerId, producerEpoch, baseSequence, lastOffsetDelta, baseOffset };
}

function extent(objectKey: string, baseOffset: number, lastOffset: number, at = tp, leaderEpoch = 0): Extent {
  return { ...at, objectKey, objectSize: 100, baseOffset, lastOffset, position: 0, length: 10, maxTimestamp: 0, leaderEpoch };
}

describe('producerBatchesOf (what the uploader derives from an object)', () => {
  it('reads producer batches from the headers and skips batches without a producer id', () => {
    const got = producerBatchesOf([
      { ...tp, batch: idempotentBatch(0, 7, 1, 0, 5) },
      { ...tp, batch: buildRecordBatch({ baseOffset: 5, records: [{ value: 'a' }, { value: 'b' }] }) },
      { topicId: TOPIC_B, partition: 3, batch: idempotentBatch(40, 8, 0, 100, 2) },
    ]);
    expect(got).toEqual([
      { ...tp, producerId: 7, producerEpoch: 1, baseSequence: 0, lastOffsetDelta: 4, baseOffset: 0 },
      { topicId: TOPIC_B, partition: 3, producerId: 8, producerEpoch: 0, baseSequence: 100, lastOffsetDelta: 1, baseOffset: 40 },
    ]);
  });

  it('reads every batch of an entry that holds several', () => {
    const batch = Buffer.concat([idempotentBatch(0, 7, 0, 0, 2), idempotentBatch(2, 7, 0, 2, 3)]);
    expect(producerBatchesOf([{ ...tp, batch }]).map((b) => [b.baseSequence, b.baseOffset])).toEqual([
      [0, 0],
      [2, 2],
    ]);
  });

  it('skips bytes that do not parse as a batch header (the upload must not fail over them)', () => {
    const good = idempotentBatch(0, 7, 0, 0, 1);
    expect(producerBatchesOf([{ ...tp, batch: Buffer.concat([good, Buffer.alloc(20, 0xff)]) }, { ...tp, batch: Buffer.alloc(30) }]).map((b) => b.producerId)).toEqual([7]);
  });

  it('keeps only the last five batches per partition and producer', () => {
    const entries = [];
    for (let i = 0; i < 8; i++) {
      entries.push({ ...tp, batch: idempotentBatch(i, 7, 0, i, 1) });
      entries.push({ ...tp, batch: idempotentBatch(100 + i, 9, 0, i, 1) });
      entries.push({ ...tp, partition: 1, batch: idempotentBatch(i, 7, 0, i, 1) });
    }
    const got = producerBatchesOf(entries);
    expect(got).toHaveLength(15);
    expect(got.filter((b) => b.producerId === 7 && b.partition === 0).map((b) => b.baseSequence)).toEqual([3, 4, 5, 6, 7]);
    expect(got.filter((b) => b.producerId === 9).map((b) => b.baseSequence)).toEqual([3, 4, 5, 6, 7]);
    expect(got.filter((b) => b.partition === 1).map((b) => b.baseSequence)).toEqual([3, 4, 5, 6, 7]);
  });
});

describe('mergeProducerBatches', () => {
  it('keeps the last five per producer, resets on a newer epoch, ignores older epochs', () => {
    const table: ProducerTable = new Map();
    mergeProducerBatches(table, [0, 1, 2, 3, 4, 5, 6].map((s) => pb(7, 0, s, s)), 10);
    expect(listProducerBatches(table).map((b) => b.baseSequence)).toEqual([2, 3, 4, 5, 6]);
    mergeProducerBatches(table, [pb(7, 1, 0, 10)], 10);
    expect(listProducerBatches(table).map((b) => [b.producerEpoch, b.baseSequence])).toEqual([[1, 0]]);
    mergeProducerBatches(table, [pb(7, 0, 7, 11)], 10);
    expect(listProducerBatches(table).map((b) => [b.producerEpoch, b.baseSequence])).toEqual([[1, 0]]);
  });

  it('evicts the least recently written producer beyond the bound', () => {
    const table: ProducerTable = new Map();
    mergeProducerBatches(table, [pb(1, 0, 0, 0), pb(2, 0, 0, 1), pb(3, 0, 0, 2), pb(1, 0, 1, 3), pb(4, 0, 0, 4)], 3);
    // Producer 2 was least recently written when 4 arrived.
    expect([...table.keys()]).toEqual([3, 1, 4]);
    expect(listProducerBatches(table).map((b) => b.producerId)).toEqual([3, 1, 1, 4]);
  });
});

describe('InMemoryPartitionIndex producer state', () => {
  it('lists the last five committed batches per producer, oldest first', async () => {
    const idx = new InMemoryPartitionIndex();
    idx.setLeaderEpoch(tp, 0);
    expect(await idx.producerBatches(tp)).toEqual([]);
    await idx.commit({ objectKey: 'o1', objectSize: 100, extents: [extent('o1', 0, 3)], producers: [0, 1, 2, 3].map((s) => pb(7, 0, s, s)) });
    await idx.commit({ objectKey: 'o2', objectSize: 100, extents: [extent('o2', 4, 7)], producers: [pb(8, 0, 0, 4), pb(7, 0, 4, 5), pb(7, 0, 5, 6), pb(8, 0, 1, 7)] });
    const got = await idx.producerBatches(tp);
    expect(got.map((b) => [b.producerId, b.baseSequence, b.baseOffset])).toEqual([
      [7, 1, 1],
      [7, 2, 2],
      [7, 3, 3],
      [7, 4, 5],
      [7, 5, 6],
      [8, 0, 4],
      [8, 1, 7],
    ]);
    // A retried commit adds nothing.
    await idx.commit({ objectKey: 'o2', objectSize: 100, extents: [extent('o2', 4, 7)], producers: [pb(9, 0, 0, 4)] });
    expect((await idx.producerBatches(tp)).some((b) => b.producerId === 9)).toBe(false);
  });

  it('records nothing for rejected partitions', async () => {
    const idx = new InMemoryPartitionIndex();
    const other = { topicId: TOPIC_A, partition: 1 };
    idx.setLeaderEpoch(tp, 2);
    idx.setLeaderEpoch(other, 0);
    const result = await idx.commit({
      objectKey: 'o1',
      objectSize: 100,
      extents: [extent('o1', 0, 0, tp, 1), extent('o1', 0, 0, other)],
      producers: [pb(7, 0, 0, 0), pb(8, 0, 0, 0, 0, other), pb(9, 0, 0, 0, 0, { topicId: TOPIC_B, partition: 0 })],
    });
    expect(result.rejected.map((r) => r.reason)).toEqual(['fenced']);
    expect(await idx.producerBatches(tp)).toEqual([]);
    expect((await idx.producerBatches(other)).map((b) => b.producerId)).toEqual([8]);
    expect(await idx.producerBatches({ topicId: TOPIC_B, partition: 0 })).toEqual([]);
  });

  it('bounds the producers of a partition', async () => {
    const idx = new InMemoryPartitionIndex({ maxProducersPerPartition: 2 });
    idx.setLeaderEpoch(tp, 0);
    await idx.commit({ objectKey: 'o1', objectSize: 100, extents: [extent('o1', 0, 2)], producers: [pb(1, 0, 0, 0), pb(2, 0, 0, 1), pb(3, 0, 0, 2)] });
    expect((await idx.producerBatches(tp)).map((b) => b.producerId)).toEqual([2, 3]);
    expect(() => new InMemoryPartitionIndex({ maxProducersPerPartition: 0 })).toThrow(RangeError);
  });
});
