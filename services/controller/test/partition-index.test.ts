// The partition index through the Controller: the ExtentCommitter contract cases of
// libs/storage's memory-index.test.ts, written against the controller, plus what only a
// persistent index has to get right (retries racing the first commit's fsync,
// DeleteRecords, extentsFrom over many extents).

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import type { Extent } from '@stratus/partition-index';
import { BROKER_1, commitOf, createTopic, extent, openHarness } from './support/helpers.ts';

describe('Controller as ExtentCommitter (the committer contract)', () => {
  it('accepts contiguous extents of the current epoch and serves them by offset', async () => {
    const { controller: idx } = await openHarness();
    await idx.registerBroker(BROKER_1);
    const tp = { topicId: await createTopic(idx, 'a'), partition: 0 };
    expect((await idx.commit(commitOf('o1', [extent(tp, 'o1', 0, 9)]))).rejected).toEqual([]);
    expect((await idx.commit(commitOf('o2', [extent(tp, 'o2', 10, 19)]))).rejected).toEqual([]);
    expect(await idx.committedEndOffset(tp)).toBe(20);
    expect((await idx.extentsFrom(tp, 12, 5)).map((e) => e.objectKey)).toEqual(['o2']);
    expect((await idx.extentsFrom(tp, 0, 1)).map((e) => e.objectKey)).toEqual(['o1']);
    expect(await idx.extentsFrom(tp, 20, 5)).toEqual([]);
  });

  it('is idempotent per object key, returning the first answer', async () => {
    const { controller: idx, store } = await openHarness();
    await idx.registerBroker(BROKER_1);
    const tp = { topicId: await createTopic(idx, 'a'), partition: 0 };
    const c = commitOf('o1', [extent(tp, 'o1', 0, 9)]);
    await idx.commit(c);
    const appends = store.appends;
    expect(await idx.commit(c)).toEqual({ rejected: [] });
    expect(await idx.extentsFrom(tp, 0, 100)).toHaveLength(1);
    expect(store.appends).toBe(appends); // the retry wrote nothing
  });

  it('fences stale epochs and rejects gaps, overlaps and unknown partitions', async () => {
    const { controller: idx } = await openHarness();
    const topicId = await createTopic(idx, 'a'); // no broker yet: leader -1, epoch 0
    const tp = { topicId, partition: 0 };
    await idx.registerBroker(BROKER_1); // epoch 1
    await idx.unregisterBroker(1); // epoch 2
    await idx.registerBroker(BROKER_1); // epoch 3
    expect(idx.metadata().topics[0]!.partitions[0]!.leaderEpoch).toBe(3);
    const stale = await idx.commit(commitOf('o1', [extent(tp, 'o1', 0, 9, 2)]));
    expect(stale.rejected.map((r) => r.reason)).toEqual(['fenced']);
    const gap = await idx.commit(commitOf('o2', [extent(tp, 'o2', 5, 9, 3)]));
    expect(gap.rejected.map((r) => r.reason)).toEqual(['offset_mismatch']);
    const unknown = await idx.commit(commitOf('o3', [{ ...extent(tp, 'o3', 0, 1), partition: 7 }]));
    expect(unknown.rejected.map((r) => r.reason)).toEqual(['unknown_partition']);
    const unknownTopic = await idx.commit(commitOf('o4', [{ ...extent(tp, 'o4', 0, 1), topicId: Buffer.alloc(16, 9).toString('base64url') }]));
    expect(unknownTopic.rejected.map((r) => r.reason)).toEqual(['unknown_partition']);
    expect(await idx.committedEndOffset(tp)).toBe(0);
    // Overlap: the committed end is 10, an extent starting at 5 overlaps.
    await idx.commit(commitOf('o5', [extent(tp, 'o5', 0, 9, 3)]));
    const overlap = await idx.commit(commitOf('o6', [extent(tp, 'o6', 5, 14, 3)]));
    expect(overlap.rejected[0]).toMatchObject({ reason: 'offset_mismatch', detail: 'extent starts at 5, committed end is 10' });
    expect(await idx.committedEndOffset(tp)).toBe(10);
  });

  it('drops extents below an advanced log start and reports referenced objects', async () => {
    const { controller: idx } = await openHarness();
    await idx.registerBroker(BROKER_1);
    const tp = { topicId: await createTopic(idx, 'a'), partition: 0 };
    await idx.commit(commitOf('o1', [extent(tp, 'o1', 0, 9)]));
    await idx.commit(commitOf('o2', [extent(tp, 'o2', 10, 19)]));
    expect((await idx.deleteRecords(tp, 10)).logStartOffset).toBe(10);
    expect(await idx.logStartOffset(tp)).toBe(10);
    expect((await idx.extentsFrom(tp, 0, 10)).map((e) => e.objectKey)).toEqual(['o2']);
    expect(idx.stats()).toMatchObject({ liveObjects: 1, unreferencedObjects: 1, objectBytes: 2000 });
  });

  it('is atomic per partition: one bad extent rejects the partition, other partitions commit', async () => {
    const { controller: idx } = await openHarness();
    await idx.registerBroker(BROKER_1);
    const topicId = await createTopic(idx, 'a', 2);
    const p0 = { topicId, partition: 0 };
    const p1 = { topicId, partition: 1 };
    const r = await idx.commit(commitOf('o1', [extent(p0, 'o1', 0, 4), extent(p0, 'o1', 6, 9), extent(p1, 'o1', 0, 9), extent(p1, 'o1', 10, 11)]));
    expect(r.rejected).toEqual([{ ...p0, reason: 'offset_mismatch', detail: 'extent starts at 6, committed end is 5' }]);
    expect(await idx.committedEndOffset(p0)).toBe(0);
    expect(await idx.committedEndOffset(p1)).toBe(12);
    expect(await idx.extentsFrom(p1, 0, 10)).toHaveLength(2);
  });

  it('gives a retried commit the first answer even when the retry would now be accepted', async () => {
    const { controller: idx } = await openHarness();
    await idx.registerBroker(BROKER_1);
    const tp = { topicId: await createTopic(idx, 'a'), partition: 0 };
    const c = commitOf('late', [extent(tp, 'late', 10, 19)]);
    expect((await idx.commit(c)).rejected.map((x) => x.reason)).toEqual(['offset_mismatch']);
    await idx.commit(commitOf('o1', [extent(tp, 'o1', 0, 9)]));
    expect((await idx.commit(c)).rejected.map((x) => x.reason)).toEqual(['offset_mismatch']);
    expect(await idx.committedEndOffset(tp)).toBe(10);
  });

  it('answers a retry that races the first commit only once the first is durable', async () => {
    const { controller: idx, store } = await openHarness();
    await idx.registerBroker(BROKER_1);
    const tp = { topicId: await createTopic(idx, 'a'), partition: 0 };
    const c = commitOf('o1', [extent(tp, 'o1', 0, 9)]);
    const before = store.appends;
    const order: string[] = [];
    const first = idx.commit(c).then((r) => (order.push('first'), r));
    const retry = idx.commit(c).then((r) => (order.push('retry'), r));
    expect(await retry).toEqual(await first);
    expect(order).toEqual(['first', 'retry']);
    expect(store.appends).toBe(before + 1);
    expect(await idx.committedEndOffset(tp)).toBe(10);
  });

  it('throws on malformed commits and keeps working', async () => {
    const { controller: idx } = await openHarness();
    await idx.registerBroker(BROKER_1);
    const tp = { topicId: await createTopic(idx, 'a'), partition: 0 };
    await expect(idx.commit(commitOf('o1', [extent(tp, 'other', 0, 9)]))).rejects.toThrow(/names object other/);
    await expect(idx.commit(commitOf('o1', [extent(tp, 'o1', 5, 4)]))).rejects.toThrow(/offsets 5..4/);
    await expect(idx.commit(commitOf('o1', [extent(tp, 'o1', 0, 4, 0, { position: 995 })]))).rejects.toThrow(/outside/);
    await expect(idx.commit(commitOf('', []))).rejects.toThrow(/objectKey/);
    expect((await idx.commit(commitOf('o1', [extent(tp, 'o1', 0, 9)]))).rejected).toEqual([]);
  });

  it('refuses more extents per commit than maxExtentsPerCommit', async () => {
    const { controller: idx } = await openHarness({ maxExtentsPerCommit: 2 });
    await idx.registerBroker(BROKER_1);
    const tp = { topicId: await createTopic(idx, 'a'), partition: 0 };
    await expect(idx.commit(commitOf('o1', [extent(tp, 'o1', 0, 0), extent(tp, 'o1', 1, 1), extent(tp, 'o1', 2, 2)]))).rejects.toThrow(/maxExtentsPerCommit/);
  });

  it('returns 0 / 0 / [] for partitions it does not know', async () => {
    const { controller: idx } = await openHarness();
    const tp = { topicId: 'nope', partition: 0 };
    expect(await idx.committedEndOffset(tp)).toBe(0);
    expect(await idx.logStartOffset(tp)).toBe(0);
    expect(await idx.extentsFrom(tp, 0, 10)).toEqual([]);
    expect(await idx.extentsFrom({ topicId: 'nope', partition: -1 }, 0, 10)).toEqual([]);
  });
});

describe('extentsFrom over many extents', () => {
  it('finds the extent holding an offset by binary search, in offset order, at most maxExtents', async () => {
    const { controller: idx } = await openHarness();
    await idx.registerBroker(BROKER_1);
    const tp = { topicId: await createTopic(idx, 'a'), partition: 0 };
    // 5,000 extents of 1..5 offsets each, committed 100 per object.
    const all: Extent[] = [];
    let next = 0;
    for (let o = 0; o < 50; o++) {
      const key = `obj-${o}`;
      const extents: Extent[] = [];
      for (let i = 0; i < 100; i++) {
        const n = 1 + ((o * 100 + i) % 5);
        extents.push(extent(tp, key, next, next + n - 1, 0, { position: i * 10 }));
        next += n;
      }
      expect((await idx.commit(commitOf(key, extents))).rejected).toEqual([]);
      all.push(...extents);
    }
    for (let offset = 0; offset < next; offset += 37) {
      const expected = all.filter((e) => e.lastOffset >= offset).slice(0, 3);
      expect(await idx.extentsFrom(tp, offset, 3)).toEqual(expected);
    }
    expect(await idx.extentsFrom(tp, next, 3)).toEqual([]);
    expect(await idx.extentsFrom(tp, next - 1, 3)).toEqual([all[all.length - 1]]);
    expect(await idx.extentsFrom(tp, 0, 0)).toEqual([]);
  });
});

describe('deleteRecords', () => {
  it('moves the log start to an offset, to the end with -1, never backwards', async () => {
    const { controller: idx } = await openHarness();
    await idx.registerBroker(BROKER_1);
    const tp = { topicId: await createTopic(idx, 'a'), partition: 0 };
    await idx.commit(commitOf('o1', [extent(tp, 'o1', 0, 9)]));
    await idx.commit(commitOf('o2', [extent(tp, 'o2', 10, 19)]));
    // Inside o1: the extent stays (offsets 5..9 are still readable).
    expect(await idx.deleteRecords(tp, 5)).toEqual({ errorCode: 0, errorMessage: null, logStartOffset: 5 });
    expect((await idx.extentsFrom(tp, 5, 10)).map((e) => e.objectKey)).toEqual(['o1', 'o2']);
    expect(await idx.deleteRecords(tp, 3)).toEqual({ errorCode: 0, errorMessage: null, logStartOffset: 5 });
    expect(await idx.deleteRecords(tp, -1)).toEqual({ errorCode: 0, errorMessage: null, logStartOffset: 20 });
    expect(await idx.extentsFrom(tp, 0, 10)).toEqual([]);
    expect(await idx.committedEndOffset(tp)).toBe(20);
  });

  it('refuses offsets beyond the committed end and unknown partitions', async () => {
    const { controller: idx } = await openHarness();
    await idx.registerBroker(BROKER_1);
    const tp = { topicId: await createTopic(idx, 'a'), partition: 0 };
    await idx.commit(commitOf('o1', [extent(tp, 'o1', 0, 9)]));
    expect(await idx.deleteRecords(tp, 11)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 0 });
    expect(await idx.deleteRecords(tp, -2)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
    expect(await idx.deleteRecords(tp, 10)).toMatchObject({ errorCode: ErrorCode.NONE, logStartOffset: 10 });
    expect(await idx.deleteRecords({ ...tp, partition: 3 }, 0)).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, logStartOffset: -1 });
  });

  it('a commit after deleting everything continues at the committed end', async () => {
    const { controller: idx } = await openHarness();
    await idx.registerBroker(BROKER_1);
    const tp = { topicId: await createTopic(idx, 'a'), partition: 0 };
    await idx.commit(commitOf('o1', [extent(tp, 'o1', 0, 9)]));
    await idx.deleteRecords(tp, -1);
    expect((await idx.commit(commitOf('o2', [extent(tp, 'o2', 10, 19)]))).rejected).toEqual([]);
    expect(await idx.logStartOffset(tp)).toBe(10);
    expect((await idx.extentsFrom(tp, 0, 10)).map((e) => e.objectKey)).toEqual(['o2']);
  });
});
