// Idempotent-producer state in the partition index: commits carry the producer batches
// of their object; the controller keeps the last five per producer (bounded per
// partition) for accepted partitions and serves them with producerBatches, durably —
// through journal replay and snapshots — so a restarted or new leader keeps
// deduplicating retries of committed batches.

import { describe, expect, it } from 'vitest';
import { CommitRefusedError } from '@stratus/partition-index';
import type { ObjectCommit, ProducerBatchRecord, TopicPartition } from '@stratus/partition-index';
import { applyRecord, emptyState, fromSnapshotData, toSnapshotData } from '../src/index.ts';
import type { SnapshotData } from '../src/index.ts';
import { BROKER_1, createTopic, extent, openHarness } from './support/helpers.ts';

function pb(tp: TopicPartition, producerId: number, producerEpoch: number, baseSequence: number, baseOffset: number, lastOffsetDelta = 0): ProducerBatchRecord {
  return { ...tp, producerId, producerEpoch, baseSequence, lastOffsetDelta, baseOffset };
}

/** A commit of one batch per producer record at consecutive offsets from `from`. */
function commitWith(objectKey: string, tp: TopicPartition, from: number, producers: readonly ProducerBatchRecord[], leaderEpoch = 0): ObjectCommit {
  const last = from + Math.max(producers.length, 1) - 1;
  return { objectKey, objectSize: 1000, extents: [extent(tp, objectKey, from, last, leaderEpoch)], producers };
}

function summary(batches: readonly ProducerBatchRecord[]): number[][] {
  return batches.map((b) => [b.producerId, b.producerEpoch, b.baseSequence, b.baseOffset]);
}

async function setup() {
  const h = await openHarness();
  await h.controller.registerBroker(BROKER_1);
  const topicId = await createTopic(h.controller, 'a', 2); // led by broker 1 under epoch 0
  return { ...h, tp: { topicId, partition: 0 }, tp1: { topicId, partition: 1 } };
}

describe('Controller producer state', () => {
  it('returns the last five committed batches per producer, oldest first', async () => {
    const { controller: c, tp } = await setup();
    expect(await c.producerBatches(tp)).toEqual([]);
    await c.commit(commitWith('o1', tp, 0, [0, 1, 2, 3].map((s) => pb(tp, 7, 0, s, s))));
    await c.commit(commitWith('o2', tp, 4, [pb(tp, 8, 0, 0, 4), pb(tp, 7, 0, 4, 5), pb(tp, 7, 0, 5, 6)]));
    expect(summary(await c.producerBatches(tp))).toEqual([
      [8, 0, 0, 4],
      [7, 0, 1, 1],
      [7, 0, 2, 2],
      [7, 0, 3, 3],
      [7, 0, 4, 5],
      [7, 0, 5, 6],
    ]);
    // A retried commit records nothing more.
    await c.commit(commitWith('o2', tp, 4, [pb(tp, 9, 0, 0, 4)]));
    expect((await c.producerBatches(tp)).some((b) => b.producerId === 9)).toBe(false);
  });

  it('starts a producer afresh on a newer epoch', async () => {
    const { controller: c, tp } = await setup();
    await c.commit(commitWith('o1', tp, 0, [pb(tp, 7, 0, 0, 0), pb(tp, 7, 0, 1, 1)]));
    await c.commit(commitWith('o2', tp, 2, [pb(tp, 7, 1, 0, 2)]));
    expect(summary(await c.producerBatches(tp))).toEqual([[7, 1, 0, 2]]);
  });

  it('keeps at most 1000 producers per partition, evicting the least recently written', async () => {
    const { controller: c, tp } = await setup();
    const first = Array.from({ length: 1000 }, (_, i) => pb(tp, i, 0, 0, i));
    await c.commit(commitWith('o1', tp, 0, first));
    await c.commit(commitWith('o2', tp, 1000, [pb(tp, 0, 0, 1, 1000), pb(tp, 5000, 0, 0, 1001)]));
    const got = await c.producerBatches(tp);
    const ids = new Set(got.map((b) => b.producerId));
    expect(ids.size).toBe(1000);
    expect(ids.has(1)).toBe(false); // least recently written
    expect(ids.has(0)).toBe(true);
    expect(ids.has(5000)).toBe(true);
  });

  it('does not record the producer batches of rejected partitions', async () => {
    const { controller: c, tp, tp1 } = await setup();
    const result = await c.commit({
      objectKey: 'o1',
      objectSize: 1000,
      extents: [extent(tp, 'o1', 0, 0, 1), extent(tp1, 'o1', 0, 0, 0)], // tp is fenced (epoch 1 is not the current 0)
      producers: [pb(tp, 7, 0, 0, 0), pb(tp1, 8, 0, 0, 0)],
    });
    expect(result.rejected.map((r) => r.reason)).toEqual(['fenced']);
    expect(await c.producerBatches(tp)).toEqual([]);
    expect(summary(await c.producerBatches(tp1))).toEqual([[8, 0, 0, 0]]);
  });

  it('refuses malformed producer batches', async () => {
    const { controller: c, tp } = await setup();
    await expect(c.commit(commitWith('o1', tp, 0, [{ ...pb(tp, 7, 0, 0, 0), baseOffset: Number.NaN }]))).rejects.toThrow(CommitRefusedError);
    await expect(c.commit(commitWith('o1', tp, 0, [pb(tp, -1, 0, 0, 0)]))).rejects.toThrow(CommitRefusedError);
  });

  it('survives a crash (journal replay) and a close (snapshot)', async () => {
    const { controller: c, store, objectStore, clock, tp, tp1 } = await setup();
    await c.commit(commitWith('o1', tp, 0, [0, 1, 2, 3, 4, 5].map((s) => pb(tp, 7, 2, s * 5, s * 5, 4))));
    await c.commit(commitWith('o2', tp1, 0, [pb(tp1, 8, 0, 0, 0)]));
    const before = await c.producerBatches(tp);
    expect(summary(before)).toEqual([1, 2, 3, 4, 5].map((s) => [7, 2, s * 5, s * 5]));

    // Crash: no close, the journal is replayed.
    const { controller: d, store: s2 } = await openHarness({ store: store.reopen(), objectStore, clock });
    expect(await d.producerBatches(tp)).toEqual(before);
    expect(summary(await d.producerBatches(tp1))).toEqual([[8, 0, 0, 0]]);
    await d.commit(commitWith('o3', tp, 6, [pb(tp, 7, 2, 30, 6, 4)]));
    const after = await d.producerBatches(tp);
    const dState = d.snapshotData();

    // Close snapshots: the reopen replays nothing and still has the state.
    await d.close();
    const s3 = s2.reopen();
    expect(s3.journalLength).toBe(0);
    const { controller: e } = await openHarness({ store: s3, objectStore, clock });
    expect(await e.producerBatches(tp)).toEqual(after);
    expect(summary(after).map((b) => b[2])).toEqual([10, 15, 20, 25, 30]);
    expect(summary(await e.producerBatches(tp1))).toEqual([[8, 0, 0, 0]]);
    expect(e.snapshotData()).toEqual(dState);
    await e.close();
  });

  it('drops the producer state with the topic', async () => {
    const { controller: c, tp } = await setup();
    await c.commit(commitWith('o1', tp, 0, [pb(tp, 7, 0, 0, 0)]));
    expect(await c.producerBatches(tp)).toHaveLength(1);
    expect(c.snapshotData().producers).toHaveLength(1);
    await c.deleteTopics([{ topicId: tp.topicId }]);
    expect(await c.producerBatches(tp)).toEqual([]);
    expect(c.snapshotData().producers).toEqual([]);
  });

  it('reads snapshots written before producer state existed (missing means empty)', async () => {
    const s = emptyState();
    const topicId = Buffer.alloc(16, 3).toString('base64url');
    applyRecord(s, { type: 'TopicCreated', name: 't', topicId, configs: {}, partitions: [{ leader: 1, leaderEpoch: 0 }] });
    applyRecord(s, {
      type: 'ObjectCommitted',
      objectKey: 'o',
      objectSize: 1000,
      extents: [extent({ topicId, partition: 0 }, 'o', 0, 1)],
      rejected: [],
      producers: [pb({ topicId, partition: 0 }, 7, 0, 0, 0), pb({ topicId, partition: 0 }, 7, 0, 1, 1)],
    });
    const data = JSON.parse(JSON.stringify(toSnapshotData(s))) as SnapshotData;
    expect(data.producers).toHaveLength(2);
    expect(toSnapshotData(fromSnapshotData(data))).toEqual(data);
    const { producers: _dropped, ...old } = data;
    const loaded = fromSnapshotData(old);
    expect(loaded.topics.get(topicId)!.partitions[0]!.producers.size).toBe(0);
  });
});

describe('Controller commit limits', () => {
  it('records a large producer state in bounded chunks, and replays it whole', async () => {
    const { controller: c, store, objectStore, clock, tp, tp1 } = await setup();
    // 1,800 producers over two partitions: more batches than one record carries (1,000).
    const producers = [...[0, 1].flatMap((p) => Array.from({ length: 900 }, (_, i) => pb(p === 0 ? tp : tp1, 1000 + i, 0, 0, i)))];
    const commit: ObjectCommit = {
      objectKey: 'many-producers',
      objectSize: 1000,
      extents: [extent(tp, 'many-producers', 0, 899), extent(tp1, 'many-producers', 0, 899)],
      producers,
    };
    expect((await c.commit(commit)).rejected).toEqual([]);
    expect(await c.producerBatches(tp)).toHaveLength(900);
    expect(await c.producerBatches(tp1)).toHaveLength(900);
    const { controller: d } = await openHarness({ store: store.reopen(), objectStore, clock });
    expect(await d.producerBatches(tp)).toEqual(await c.producerBatches(tp));
    expect(await d.producerBatches(tp1)).toEqual(await c.producerBatches(tp1));
  });

  it('refuses, for good, a commit over its extent or producer-batch limit, and stays usable', async () => {
    const h = await openHarness({ maxExtentsPerCommit: 1, maxProducerBatchesPerCommit: 2 });
    await h.controller.registerBroker(BROKER_1);
    const topicId = await createTopic(h.controller, 'limited', 2);
    const tp = { topicId, partition: 0 };
    const tp1 = { topicId, partition: 1 };
    const twoExtents: ObjectCommit = { objectKey: 'wide', objectSize: 1000, extents: [extent(tp, 'wide', 0, 0), extent(tp1, 'wide', 0, 0)] };
    await expect(h.controller.commit(twoExtents)).rejects.toBeInstanceOf(CommitRefusedError);
    await expect(h.controller.commit(commitWith('chatty', tp, 0, [pb(tp, 1, 0, 0, 0), pb(tp, 2, 0, 0, 1), pb(tp, 3, 0, 0, 2)]))).rejects.toThrow(/maxProducerBatchesPerCommit/);
    expect((await h.controller.commit(commitWith('fine', tp, 0, [pb(tp, 1, 0, 0, 0)]))).rejected).toEqual([]);
    expect(await h.controller.committedEndOffset(tp)).toBe(1);
  });
});
