import { describe, expect, it } from 'vitest';
import { BlockCacheError } from '../../src/cache/index.ts';
import { ObjectStoreError } from '@stratus/objectstore';
import { Gate } from './support/counting-store.ts';
import { BLOCK, harness } from './support/setup.ts';

describe('BlockCache single flight and failures', () => {
  it('serves N concurrent reads of one block with one GET', async () => {
    const { store, cache } = harness();
    const source = store.addObject('obj', 5 * BLOCK + 123);
    const gate = new Gate();
    store.latency = () => gate.wait();
    const reads = Array.from({ length: 50 }, (_, i) => cache.read('obj', BLOCK + i * 100, 1000, source.length));
    await new Promise((r) => setImmediate(r));
    gate.open();
    const results = await Promise.all(reads);
    results.forEach((bytes, i) => expect(bytes.equals(source.subarray(BLOCK + i * 100, BLOCK + i * 100 + 1000))).toBe(true));
    expect(store.getCount).toBe(1);
    expect(store.gets[0]!.range).toEqual({ start: BLOCK, end: 2 * BLOCK });
    const stats = cache.stats();
    expect(stats.misses).toBe(1);
    expect(stats.joinedLoads).toBe(49);
    await cache.close();
  });

  it('coalesces the missing blocks of one read into one GET and shares overlapping ones', async () => {
    const { store, cache } = harness();
    const source = store.addObject('obj', 10 * BLOCK);
    const a = cache.read('obj', 0, 4 * BLOCK, source.length); // blocks 0-3: one GET
    const b = cache.read('obj', 2 * BLOCK, 4 * BLOCK, source.length); // joins 2-3, GETs 4-5
    expect((await a).equals(source.subarray(0, 4 * BLOCK))).toBe(true);
    expect((await b).equals(source.subarray(2 * BLOCK, 6 * BLOCK))).toBe(true);
    expect(store.gets.map((g) => g.range)).toEqual([
      { start: 0, end: 4 * BLOCK },
      { start: 4 * BLOCK, end: 6 * BLOCK },
    ]);
    // Each coalesced block is held in its own allocation: accounting is exact.
    expect(cache.stats().memoryUsedBytes).toBe(6 * BLOCK);
    await cache.close();
  });

  it('keeps at most maxConcurrentFetches GETs in flight', async () => {
    const { store, cache } = harness({ maxConcurrentFetches: 3, memoryBytes: 32 * BLOCK });
    const source = store.addObject('obj', 20 * BLOCK);
    const gate = new Gate();
    let inFlight = 0;
    let peak = 0;
    store.latency = async () => {
      peak = Math.max(peak, ++inFlight);
      await gate.wait();
      inFlight--;
    };
    const reads = Array.from({ length: 20 }, (_, i) => cache.read('obj', i * BLOCK, 10, source.length));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(store.getCount).toBe(3);
    gate.open();
    await Promise.all(reads);
    expect(peak).toBe(3);
    expect(store.getCount).toBe(20);
    await cache.close();
  });

  it('drops read-ahead when enough of it is already pending', async () => {
    const { store, cache } = harness({ maxConcurrentFetches: 1, memoryBytes: 32 * BLOCK, readAheadBlocks: 4 });
    const source = store.addObject('obj', 20 * BLOCK);
    for (const stream of ['a', 'b']) await cache.read('obj', 0, 10, source.length, stream);
    const gate = new Gate();
    store.latency = () => gate.wait();
    const first = cache.read('obj', 10, 10, source.length, 'a'); // sequential: prefetches 1-4
    const second = cache.read('obj', 10, 10, source.length, 'b'); // sequential, but one prefetch GET is already pending
    await Promise.all([first, second]); // block 0 is in memory: neither waits for the gate
    expect(cache.stats()).toMatchObject({ prefetchGets: 1, prefetchedBlocks: 4, prefetchesDropped: 1 });
    gate.open();
    await cache.whenIdle();
    await cache.close();
  });

  it('splits a long run at maxBlocksPerGet', async () => {
    const { store, cache } = harness({ maxBlocksPerGet: 3, memoryBytes: 16 * BLOCK });
    const source = store.addObject('obj', 7 * BLOCK + 5);
    expect((await cache.read('obj', 0, source.length, source.length)).equals(source)).toBe(true);
    expect(store.gets.map((g) => g.range)).toEqual([
      { start: 0, end: 3 * BLOCK },
      { start: 3 * BLOCK, end: 6 * BLOCK },
      { start: 6 * BLOCK, end: 7 * BLOCK + 5 },
    ]);
    await cache.close();
  });

  it('rejects every waiter of a failed GET, caches nothing, and retries on the next read', async () => {
    const { store, cache } = harness();
    const source = store.addObject('obj', 3 * BLOCK);
    const gate = new Gate();
    store.latency = () => gate.wait();
    store.failures.push(new ObjectStoreError('unavailable', 'get', 'obj', 'connection reset'));
    const reads = Array.from({ length: 10 }, () => cache.read('obj', 10, 100, source.length));
    await new Promise((r) => setImmediate(r));
    gate.open();
    const outcomes = await Promise.allSettled(reads);
    expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as ObjectStoreError).code === 'unavailable')).toBe(true);
    expect(store.getCount).toBe(1);
    expect(cache.stats()).toMatchObject({ getFailures: 1, memoryBlocks: 0, memoryUsedBytes: 0 });
    expect((await cache.read('obj', 10, 100, source.length)).equals(source.subarray(10, 110))).toBe(true);
    expect(store.getCount).toBe(2);
    await cache.close();
  });

  it('fails a read whose objectSize claims more bytes than the object has', async () => {
    const { store, cache } = harness();
    store.addObject('obj', BLOCK + 10);
    await expect(cache.read('obj', 0, 10, BLOCK + 20)).resolves.toHaveLength(10); // block 0 is whole either way
    const err = await cache.read('obj', BLOCK, 15, BLOCK + 20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlockCacheError);
    expect((err as BlockCacheError).code).toBe('short_read');
    await cache.close();
  });

  it('passes not_found through', async () => {
    const { cache } = harness();
    const err = await cache.read('missing', 0, 10, 100).catch((e: unknown) => e);
    expect((err as ObjectStoreError).code).toBe('not_found');
    await cache.close();
  });

  it('validates arguments and refuses reads after close', async () => {
    const { store, cache } = harness();
    store.addObject('obj', 100);
    await expect(cache.read('obj', 90, 20, 100)).rejects.toThrow(RangeError);
    await expect(cache.read('obj', -1, 2, 100)).rejects.toThrow(RangeError);
    await expect(cache.read('obj', 0, 1.5, 100)).rejects.toThrow(RangeError);
    expect(await cache.read('obj', 100, 0, 100)).toHaveLength(0);
    expect(store.getCount).toBe(0);
    await cache.close();
    await expect(cache.read('obj', 0, 1, 100)).rejects.toMatchObject({ code: 'closed' });
  });

  it('returns a view of the cached block for a read inside one block', async () => {
    const { store, cache } = harness();
    const source = store.addObject('obj', 2 * BLOCK);
    const a = await cache.read('obj', 100, 50, source.length);
    const b = await cache.read('obj', 200, 50, source.length);
    expect(a.buffer).toBe(b.buffer); // both views of one cached block, no copy
    expect(a.equals(source.subarray(100, 150))).toBe(true);
    await cache.close();
  });
});
