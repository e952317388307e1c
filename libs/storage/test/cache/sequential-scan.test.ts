import { describe, expect, it } from 'vitest';
import { KiB, MiB, harness } from './support/setup.ts';

describe('BlockCache read-ahead', () => {
  it('scans a 64 MiB object in 64 KiB reads with at least 10x fewer GETs than reads', async () => {
    const objectBytes = 64 * MiB;
    const readBytes = 64 * KiB;
    const { store, cache } = harness({ blockBytes: MiB, memoryBytes: 16 * MiB, readAheadBlocks: 4 });
    const source = store.addObject('seg', objectBytes);
    let reads = 0;
    for (let position = 0; position < objectBytes; position += readBytes) {
      const bytes = await cache.read('seg', position, readBytes, objectBytes, 'topic-0');
      if (!bytes.equals(source.subarray(position, position + readBytes))) throw new Error(`wrong bytes at ${position}`);
      reads++;
    }
    await cache.whenIdle();
    const blocks = objectBytes / MiB;
    const stats = cache.stats();
    expect(reads).toBe(1024);
    expect(store.getCount).toBeLessThanOrEqual(blocks / 4 + 2);
    expect(store.getCount * 10).toBeLessThanOrEqual(reads);
    expect(stats.bytesFetched).toBe(objectBytes); // nothing fetched twice, nothing past the end
    expect(stats.prefetchFailures).toBe(0);
    expect(stats.memoryUsedBytes).toBeLessThanOrEqual(16 * MiB);
    await cache.close();
  });

  it('prefetch(range) loads the range at read-ahead priority; a later read is a memory hit', async () => {
    const { store, cache } = harness({ memoryBytes: 16 * 64 * KiB });
    const source = store.addObject('obj', 8 * 64 * KiB);
    // Blocks 2..4 (a range that starts and ends inside blocks), one GET.
    expect(cache.prefetch('obj', 2 * 64 * KiB + 100, 2 * 64 * KiB, source.length)).toBe(true);
    await cache.whenIdle();
    expect(store.getCount).toBe(1);
    expect(cache.stats()).toMatchObject({ prefetchGets: 1, prefetchedBlocks: 3 });
    const bytes = await cache.read('obj', 3 * 64 * KiB, 64 * KiB, source.length);
    expect(bytes.equals(source.subarray(3 * 64 * KiB, 4 * 64 * KiB))).toBe(true);
    expect(store.getCount).toBe(1);
    expect(cache.stats().memoryHits).toBe(1);
    // Already cached: nothing more to fetch; an empty range or a closed cache does nothing.
    cache.prefetch('obj', 2 * 64 * KiB, 64 * KiB, source.length);
    expect(cache.prefetch('obj', 0, 0, source.length)).toBe(false);
    await cache.whenIdle();
    expect(store.getCount).toBe(1);
    expect(() => cache.prefetch('obj', 0, 9 * 64 * KiB, source.length)).toThrow(RangeError);
    await cache.close();
    expect(cache.prefetch('obj', 0, 64 * KiB, source.length)).toBe(false);
  });

  it('does not read ahead for random access or without a stream id', async () => {
    const { store, cache } = harness();
    const source = store.addObject('obj', 64 * 64 * KiB);
    for (const block of [5, 1, 9, 30, 2]) await cache.read('obj', block * 64 * KiB, 10, source.length, 's');
    for (let i = 0; i < 4; i++) await cache.read('obj', i * 64 * KiB, 64 * KiB, source.length);
    await cache.whenIdle();
    expect(cache.stats().prefetchedBlocks).toBe(0);
    expect(store.getCount).toBe(5 + 2); // blocks 1 and 2 were cached by the random reads
    await cache.close();
  });

  it('swallows a failed prefetch; the reader fetches the block itself', async () => {
    const { store, cache } = harness({ memoryBytes: 16 * 64 * KiB });
    const source = store.addObject('obj', 8 * 64 * KiB);
    await cache.read('obj', 0, 10, source.length, 's');
    store.failures.push(new Error('prefetch GET fails'));
    await cache.read('obj', 10, 10, source.length, 's'); // sequential: prefetches blocks 1-4, which fails
    await cache.whenIdle();
    expect(cache.stats()).toMatchObject({ prefetchGets: 1, prefetchFailures: 1 });
    expect((await cache.read('obj', 64 * KiB, 10, source.length, 's')).equals(source.subarray(64 * KiB, 64 * KiB + 10))).toBe(true);
    await cache.close();
  });

  it('puts a demand read ahead of queued prefetches', async () => {
    const { store, cache } = harness({ memoryBytes: 64 * 64 * KiB, maxConcurrentFetches: 1, readAheadBlocks: 8, maxBlocksPerGet: 1 });
    const source = store.addObject('obj', 40 * 64 * KiB);
    await cache.read('obj', 0, 10, source.length, 's');
    await cache.read('obj', 10, 10, source.length, 's'); // queues 8 single-block prefetch GETs, one runs
    const other = cache.read('obj', 30 * 64 * KiB, 10, source.length); // demand: must not wait for all 8
    await other;
    const order = store.gets.map((g) => (g.range?.start ?? 0) / (64 * KiB));
    expect(order.indexOf(30)).toBeLessThanOrEqual(3);
    await cache.whenIdle();
    await cache.close();
  });
});
