import { describe, expect, it } from 'vitest';
import { InMemoryPartitionIndex } from '../src/memory-index.ts';
import type { Extent } from '../src/extent.ts';

const TOPIC_A = Buffer.alloc(16, 1).toString('base64url');

const tp = { topicId: TOPIC_A, partition: 0 };
function extent(objectKey: string, baseOffset: number, lastOffset: number, leaderEpoch = 0): Extent {
  return { ...tp, objectKey, objectSize: 100, baseOffset, lastOffset, position: 8, length: 10, maxTimestamp: 0, leaderEpoch };
}

describe('InMemoryPartitionIndex (the committer contract)', () => {
  it('accepts contiguous extents of the current epoch and serves them by offset', async () => {
    const idx = new InMemoryPartitionIndex();
    idx.setLeaderEpoch(tp, 0);
    expect((await idx.commit({ objectKey: 'o1', objectSize: 100, extents: [extent('o1', 0, 9)] })).rejected).toEqual([]);
    expect((await idx.commit({ objectKey: 'o2', objectSize: 100, extents: [extent('o2', 10, 19)] })).rejected).toEqual([]);
    expect(await idx.committedEndOffset(tp)).toBe(20);
    expect((await idx.extentsFrom(tp, 12, 5)).map((e) => e.objectKey)).toEqual(['o2']);
    expect((await idx.extentsFrom(tp, 0, 1)).map((e) => e.objectKey)).toEqual(['o1']);
    expect(await idx.extentsFrom(tp, 20, 5)).toEqual([]);
  });

  it('is idempotent per object key, returning the first answer', async () => {
    const idx = new InMemoryPartitionIndex();
    idx.setLeaderEpoch(tp, 0);
    const c = { objectKey: 'o1', objectSize: 100, extents: [extent('o1', 0, 9)] };
    await idx.commit(c);
    expect(await idx.commit(c)).toEqual({ rejected: [] });
    expect(idx.allExtents(tp)).toHaveLength(1);
    expect(idx.commits).toBe(1);
  });

  it('fences stale epochs and rejects gaps and overlaps', async () => {
    const idx = new InMemoryPartitionIndex();
    idx.setLeaderEpoch(tp, 3);
    const stale = await idx.commit({ objectKey: 'o1', objectSize: 100, extents: [extent('o1', 0, 9, 2)] });
    expect(stale.rejected.map((r) => r.reason)).toEqual(['fenced']);
    const gap = await idx.commit({ objectKey: 'o2', objectSize: 100, extents: [extent('o2', 5, 9, 3)] });
    expect(gap.rejected.map((r) => r.reason)).toEqual(['offset_mismatch']);
    const unknown = await idx.commit({ objectKey: 'o3', objectSize: 100, extents: [{ ...extent('o3', 0, 1), partition: 7 }] });
    expect(unknown.rejected.map((r) => r.reason)).toEqual(['unknown_partition']);
    expect(await idx.committedEndOffset(tp)).toBe(0);
    expect(() => idx.setLeaderEpoch(tp, 2)).toThrow(/cannot go/);
  });

  it('drops extents below an advanced log start and reports referenced objects', async () => {
    const idx = new InMemoryPartitionIndex();
    idx.setLeaderEpoch(tp, 0);
    await idx.commit({ objectKey: 'o1', objectSize: 100, extents: [extent('o1', 0, 9)] });
    await idx.commit({ objectKey: 'o2', objectSize: 100, extents: [extent('o2', 10, 19)] });
    idx.advanceLogStart(tp, 10);
    expect(await idx.logStartOffset(tp)).toBe(10);
    expect([...idx.referencedObjects()]).toEqual(['o2']);
  });
});
