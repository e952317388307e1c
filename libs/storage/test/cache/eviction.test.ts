import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { blockFileBytes } from '../../src/cache/block-file.ts';
import { BLOCK, harness } from './support/setup.ts';
import { tempDir } from './support/temp-dir.ts';

describe('BlockCache budgets', () => {
  it('keeps the memory tier within memoryBytes, least recently used out first', async () => {
    const { store, cache } = harness({ memoryBytes: 3 * BLOCK + 100 });
    const source = store.addObject('obj', 10 * BLOCK);
    const readBlock = (i: number) => cache.read('obj', i * BLOCK, 10, source.length);
    for (const i of [0, 1, 2]) await readBlock(i);
    expect(cache.stats()).toMatchObject({ memoryUsedBytes: 3 * BLOCK, memoryBlocks: 3, memoryEvictions: 0 });
    await readBlock(0); // 0 becomes most recent; 1 is now the oldest
    await readBlock(3);
    expect(cache.stats()).toMatchObject({ memoryUsedBytes: 3 * BLOCK, memoryBlocks: 3, memoryEvictions: 1, memoryHits: 1 });
    const gets = store.getCount;
    await readBlock(0); // still held
    expect(store.getCount).toBe(gets);
    await readBlock(1); // was evicted
    expect(store.getCount).toBe(gets + 1);
    expect(cache.stats().memoryUsedBytes).toBeLessThanOrEqual(3 * BLOCK + 100);
    await cache.close();
  });

  it('accounts a read wider than the memory budget without exceeding it', async () => {
    const { store, cache } = harness({ memoryBytes: 2 * BLOCK });
    const source = store.addObject('obj', 6 * BLOCK);
    expect((await cache.read('obj', 0, source.length, source.length)).equals(source)).toBe(true);
    expect(cache.stats()).toMatchObject({ memoryUsedBytes: 2 * BLOCK, memoryBlocks: 2, memoryEvictions: 4 });
    await cache.close();
  });

  it('keeps the disk tier within diskBytes, counting file headers', async () => {
    const dir = await tempDir();
    const fileBytes = blockFileBytes('obj', BLOCK);
    const { store, cache } = harness({ memoryBytes: BLOCK, diskBytes: 2 * fileBytes + 10, diskDir: dir });
    const source = store.addObject('obj', 6 * BLOCK);
    for (let i = 0; i < 4; i++) {
      await cache.read('obj', i * BLOCK, 10, source.length);
      await cache.whenIdle();
    }
    expect(cache.stats()).toMatchObject({ diskBlocks: 2, diskUsedBytes: 2 * fileBytes, diskEvictions: 2, diskWrites: 4 });
    expect((await readdir(dir)).filter((n) => n.endsWith('.blk'))).toHaveLength(2);
    // Blocks 2 and 3 are on disk, 3 also in memory; 0 is gone from both.
    const gets = store.getCount;
    await cache.read('obj', 2 * BLOCK, 10, source.length);
    expect(store.getCount).toBe(gets);
    expect(cache.stats().diskHits).toBe(1);
    await cache.read('obj', 0, 10, source.length);
    expect(store.getCount).toBe(gets + 1);
    await cache.close();
  });

  it('keeps a block evicted from memory on disk', async () => {
    const dir = await tempDir();
    const { store, cache } = harness({ memoryBytes: BLOCK, diskBytes: 100 * BLOCK, diskDir: dir });
    const source = store.addObject('obj', 3 * BLOCK);
    for (let i = 0; i < 3; i++) await cache.read('obj', i * BLOCK, BLOCK, source.length);
    await cache.whenIdle();
    expect(cache.stats()).toMatchObject({ memoryBlocks: 1, diskBlocks: 3 });
    for (let i = 0; i < 3; i++) expect((await cache.read('obj', i * BLOCK, BLOCK, source.length)).equals(source.subarray(i * BLOCK, (i + 1) * BLOCK))).toBe(true);
    expect(store.getCount).toBe(3);
    expect(cache.stats()).toMatchObject({ diskHits: 2, memoryHits: 1 });
    await cache.close();
  });
});
