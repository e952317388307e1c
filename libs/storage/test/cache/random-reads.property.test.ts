// Property: whatever the objects, reads, budgets, read-ahead, coalescing limits, disk tier,
// restarts and GET failures, every read that succeeds returns exactly the object's bytes,
// every failed read fails with the store's error, and the budgets are never exceeded.

import fc from 'fast-check';
import { SeededRandom } from '@stratus/runtime';
import { describe, expect, it } from 'vitest';
import { blockFileBytes } from '../../src/cache/block-file.ts';
import type { BlockCache } from '../../src/cache/index.ts';
import { CountingStore } from './support/counting-store.ts';
import { BLOCK, harness } from './support/setup.ts';
import { tempDir } from './support/temp-dir.ts';

const read = fc.record({
  object: fc.nat(),
  start: fc.nat(),
  length: fc.oneof(fc.nat({ max: 2 * BLOCK }), fc.nat({ max: 64 })),
  stream: fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }),
  sequential: fc.boolean(), // continue where this stream's last read ended
});

type Read = typeof read extends fc.Arbitrary<infer T> ? T : never;

const scenario = fc.record({
  seed: fc.integer(),
  objectSizes: fc.array(fc.oneof(fc.integer({ min: 1, max: 6 * BLOCK + 1000 }), fc.integer({ min: 1, max: 3000 })), { minLength: 1, maxLength: 3 }),
  memoryBlocks: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }), fc.constant(32)),
  diskBlocks: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
  readAheadBlocks: fc.integer({ min: 0, max: 4 }),
  maxBlocksPerGet: fc.integer({ min: 1, max: 4 }),
  maxConcurrentFetches: fc.integer({ min: 1, max: 3 }),
  failureRate: fc.constantFrom(0, 0, 0.2),
  batches: fc.array(fc.array(read, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
  restartAfterBatch: fc.nat({ max: 8 }),
});

class InjectedFailure extends Error {}

describe('BlockCache random reads', () => {
  it('are byte-exact under eviction, read-ahead, restarts and GET failures', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const rng = new SeededRandom(s.seed);
        const store = new CountingStore();
        let failureRate = s.failureRate;
        store.latency = async () => {
          for (let turns = rng.int(4); turns > 0; turns--) await new Promise((r) => setImmediate(r));
          if (rng.next() < failureRate) throw new InjectedFailure('injected GET failure');
        };
        const sources = s.objectSizes.map((size, i) => store.addObject(`obj-${i}`, size, s.seed + i));
        const memoryBytes = s.memoryBlocks * BLOCK;
        // A budget of 0 blocks still enables the tier, with room for less than one file.
        const diskBytes = s.diskBlocks === undefined ? 0 : Math.max(1, s.diskBlocks * blockFileBytes('obj-0', BLOCK));
        const dir = s.diskBlocks === undefined ? undefined : await tempDir();
        const open = (): ReturnType<typeof harness> =>
          harness(
            {
              memoryBytes,
              diskBytes,
              ...(dir !== undefined ? { diskDir: dir } : {}),
              readAheadBlocks: s.readAheadBlocks,
              maxBlocksPerGet: s.maxBlocksPerGet,
              maxConcurrentFetches: s.maxConcurrentFetches,
            },
            store,
          );
        let h = open();
        const ends = new Map<string, number>();

        const check = async (cache: BlockCache, batch: readonly Read[]): Promise<void> => {
          const outcomes = await Promise.allSettled(
            batch.map((r) => {
              const objectIndex = r.object % sources.length;
              const source = sources[objectIndex]!;
              const streamKey = `${r.stream}/${objectIndex}`;
              const start = r.sequential && r.stream !== undefined ? Math.min(ends.get(streamKey) ?? 0, source.length) : r.start % (source.length + 1);
              const length = Math.min(r.length, source.length - start);
              if (r.stream !== undefined) ends.set(streamKey, start + length);
              return cache.read(`obj-${objectIndex}`, start, length, source.length, r.stream).then((bytes) => ({ bytes, expected: source.subarray(start, start + length) }));
            }),
          );
          for (const outcome of outcomes) {
            if (outcome.status === 'rejected') {
              expect(outcome.reason).toBeInstanceOf(InjectedFailure);
            } else if (!outcome.value.bytes.equals(outcome.value.expected)) {
              throw new Error('read returned wrong bytes');
            }
          }
          const stats = cache.stats();
          expect(stats.memoryUsedBytes).toBeLessThanOrEqual(memoryBytes);
          expect(stats.diskUsedBytes).toBeLessThanOrEqual(diskBytes);
        };

        for (const [i, batch] of s.batches.entries()) {
          await check(h.cache, batch);
          if (i === s.restartAfterBatch && dir !== undefined) {
            await h.cache.close();
            h = open();
          }
        }
        // Without failures, everything reads back exactly, whatever state the cache is in.
        failureRate = 0;
        await check(
          h.cache,
          sources.map((source, object) => ({ object, start: 0, length: source.length, stream: undefined, sequential: false })),
        );
        await h.cache.whenIdle();
        const stats = h.cache.stats();
        expect(stats.memoryUsedBytes).toBeLessThanOrEqual(memoryBytes);
        expect(stats.diskUsedBytes).toBeLessThanOrEqual(diskBytes);
        expect(h.errors).toEqual([]);
        await h.cache.close();
      }),
      { numRuns: 150 },
    );
  });
});
