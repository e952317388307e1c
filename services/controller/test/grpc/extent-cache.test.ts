// The gRPC client's extent cache on its own: answers only for offsets inside a cached
// contiguous run, joins runs that continue each other, expires runs after ttlMs,
// evicts least recently used partitions beyond maxExtents, forgets deleted topics.

import { describe, expect, it } from 'vitest';
import { ManualClock } from '@stratus/runtime';
import type { Extent, TopicPartition } from '@stratus/partition-index';
import { ExtentCache } from '../../src/grpc/extent-cache.ts';
import { extent } from '../support/helpers.ts';

const A0: TopicPartition = { topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partition: 0 };
const A1: TopicPartition = { topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partition: 1 };
const B0: TopicPartition = { topicId: 'BBBBBBBBBBBBBBBBBBBBBB', partition: 0 };

/** n extents of 10 offsets each from `from`. */
function run(tp: TopicPartition, from: number, n: number): Extent[] {
  return Array.from({ length: n }, (_, i) => extent(tp, `${tp.partition}-${from + i * 10}`, from + i * 10, from + i * 10 + 9));
}

describe('ExtentCache', () => {
  it('answers inside a cached run only, up to max extents', () => {
    const clock = new ManualClock();
    const cache = new ExtentCache({ clock });
    const r = run(A0, 100, 5);
    cache.put(A0, r, clock.monotonicMs());
    expect(cache.get(A0, 100, 10)).toEqual(r);
    expect(cache.get(A0, 125, 2)).toEqual(r.slice(2, 4));
    expect(cache.get(A0, 99, 10)).toBeUndefined(); // below the run
    expect(cache.get(A0, 150, 10)).toBeUndefined(); // past it: new commits may be there
    expect(cache.get(A1, 100, 10)).toBeUndefined();
    expect(cache.get(A0, 100, 0)).toBeUndefined();
    expect(cache.stats()).toEqual({ hits: 2, misses: 4, partitions: 1, extents: 5 });
  });

  it('joins a continuing answer to the run and replaces the run otherwise; ignores answers with gaps', () => {
    const clock = new ManualClock();
    const cache = new ExtentCache({ clock });
    cache.put(A0, run(A0, 0, 2), clock.monotonicMs());
    cache.put(A0, run(A0, 20, 2), clock.monotonicMs());
    expect(cache.get(A0, 0, 10)?.map((e) => e.baseOffset)).toEqual([0, 10, 20, 30]);
    // A merged extent (compaction) overlapping the run: it replaces the run.
    cache.put(A0, [extent(A0, 'merged', 0, 39)], clock.monotonicMs());
    expect(cache.get(A0, 5, 10)?.map((e) => e.objectKey)).toEqual(['merged']);
    cache.put(B0, [extent(B0, 'x', 0, 9), extent(B0, 'y', 20, 29)], clock.monotonicMs());
    expect(cache.get(B0, 0, 10)).toBeUndefined();
  });

  it('expires a run ttlMs after its oldest fetch', async () => {
    const clock = new ManualClock();
    const cache = new ExtentCache({ clock, ttlMs: 1000 });
    cache.put(A0, run(A0, 0, 1), clock.monotonicMs());
    await clock.advance(600);
    cache.put(A0, run(A0, 10, 1), clock.monotonicMs());
    await clock.advance(401);
    expect(cache.get(A0, 10, 1)).toBeUndefined();
    expect(cache.stats().partitions).toBe(0);
  });

  it('keeps at most maxExtents, evicting least recently used partitions', () => {
    const clock = new ManualClock();
    const cache = new ExtentCache({ clock, maxExtents: 6 });
    cache.put(A0, run(A0, 0, 3), clock.monotonicMs());
    cache.put(A1, run(A1, 0, 3), clock.monotonicMs());
    expect(cache.get(A0, 0, 1)).toBeDefined(); // A0 is now the most recent
    cache.put(B0, run(B0, 0, 2), clock.monotonicMs());
    expect(cache.get(A1, 0, 1)).toBeUndefined();
    expect(cache.get(A0, 0, 1)).toBeDefined();
    expect(cache.stats().extents).toBe(5);
    cache.put(B0, run(B0, 20, 10), clock.monotonicMs()); // one run longer than the bound keeps its end
    expect(cache.stats()).toMatchObject({ partitions: 1, extents: 6 });
    expect(cache.get(B0, 60, 100)?.map((e) => e.baseOffset)).toEqual([60, 70, 80, 90, 100, 110]);
  });

  it('forgets topics no longer in the metadata and single partitions on request', () => {
    const clock = new ManualClock();
    const cache = new ExtentCache({ clock });
    for (const tp of [A0, A1, B0]) cache.put(tp, run(tp, 0, 1), clock.monotonicMs());
    cache.invalidate(A1);
    cache.retainTopics(new Set([A0.topicId]));
    expect(cache.stats()).toMatchObject({ partitions: 1 });
    expect(cache.get(A0, 0, 1)).toBeDefined();
  });

  it('refuses a TTL beyond the bound that keeps it below the object delete grace, and can be disabled', () => {
    const clock = new ManualClock();
    expect(() => new ExtentCache({ clock, ttlMs: 600_000 })).toThrow(/ttlMs/);
    const off = new ExtentCache({ clock, maxExtents: 0 });
    off.put(A0, run(A0, 0, 1), 0);
    expect(off.get(A0, 0, 1)).toBeUndefined();
  });
});
