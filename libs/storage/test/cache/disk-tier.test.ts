import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockFileBytes } from '../../src/cache/block-file.ts';
import { CountingStore } from './support/counting-store.ts';
import { FaultyFs, fsError } from './support/faulty-fs.ts';
import { BLOCK, harness } from './support/setup.ts';
import { tempDir } from './support/temp-dir.ts';

const blockFiles = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => n.endsWith('.blk')).sort();

describe('BlockCache disk tier', () => {
  it('survives a restart: a new cache on the same directory serves from disk with no GET', async () => {
    const dir = await tempDir();
    const store = new CountingStore();
    const source = store.addObject('topic/obj', 5 * BLOCK + 77);
    const first = harness({ diskBytes: 64 * BLOCK, diskDir: dir }, store);
    expect((await first.cache.read('topic/obj', 0, source.length, source.length)).equals(source)).toBe(true);
    await first.cache.close(); // waits for the disk copies
    expect(await blockFiles(dir)).toHaveLength(6);

    const gets = store.getCount;
    const second = harness({ diskBytes: 64 * BLOCK, diskDir: dir }, store);
    expect((await second.cache.read('topic/obj', 100, source.length - 100, source.length)).equals(source.subarray(100))).toBe(true);
    expect(store.getCount).toBe(gets);
    expect(second.cache.stats()).toMatchObject({ diskHits: 6, misses: 0, diskBlocks: 6 });
    expect(second.errors).toEqual([]);
    await second.cache.close();
  });

  it('deletes stray temp files and files beyond the budget at start, newest kept', async () => {
    const dir = await tempDir();
    const store = new CountingStore();
    const source = store.addObject('obj', 4 * BLOCK);
    const first = harness({ diskBytes: 64 * BLOCK, diskDir: dir }, store);
    await first.cache.read('obj', 0, source.length, source.length);
    await first.cache.close();
    const names = await blockFiles(dir);
    expect(names).toHaveLength(4);
    // Make the file ages explicit: block i was used at second 1000 + i.
    const { blockFileName } = await import('../../src/cache/block-file.ts');
    for (let i = 0; i < 4; i++) {
      const t = 1_000 + i;
      await utimes(join(dir, blockFileName({ objectKey: 'obj', blockIndex: i, blockBytes: BLOCK })), t, t);
    }
    await writeFile(join(dir, `${'a'.repeat(40)}.3.tmp`), 'torn write');
    await writeFile(join(dir, 'not-ours.txt'), 'left alone');

    const fileBytes = blockFileBytes('obj', BLOCK);
    const second = harness({ diskBytes: 2 * fileBytes, diskDir: dir }, store);
    await second.cache.whenIdle();
    expect(second.cache.stats()).toMatchObject({ diskBlocks: 2, diskUsedBytes: 2 * fileBytes, diskEvictions: 2 });
    const left = await readdir(dir);
    expect(left.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(left).toContain('not-ours.txt');
    // The two newest blocks (2 and 3) survived.
    const gets = store.getCount;
    await second.cache.read('obj', 2 * BLOCK, 2 * BLOCK, source.length);
    expect(store.getCount).toBe(gets);
    await second.cache.read('obj', 0, 10, source.length);
    expect(store.getCount).toBe(gets + 1);
    await second.cache.close();
  });

  it('serves reads when disk writes fail (ENOSPC), reporting through onError', async () => {
    const dir = await tempDir();
    const fs = new FaultyFs();
    fs.fault = (op, path) => (op === 'writeFile' ? fsError('ENOSPC', op, path) : undefined);
    const { store, cache, errors } = harness({ memoryBytes: BLOCK, diskBytes: 64 * BLOCK, diskDir: dir, fs });
    const source = store.addObject('obj', 4 * BLOCK);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) expect((await cache.read('obj', i * BLOCK + 1, BLOCK - 2, source.length)).equals(source.subarray(i * BLOCK + 1, (i + 1) * BLOCK - 1))).toBe(true);
      await cache.whenIdle();
    }
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.context === 'disk_write' && (e.error as NodeJS.ErrnoException).code === 'ENOSPC')).toBe(true);
    expect(cache.stats()).toMatchObject({ diskBlocks: 0, diskUsedBytes: 0, diskWrites: 0, diskWriteFailures: 8 });
    expect(store.getCount).toBe(8); // memory holds one block: every read refetches
    await cache.close();
  });

  it('serves reads when renames fail, and leaves no temp file behind', async () => {
    const dir = await tempDir();
    const fs = new FaultyFs();
    fs.fault = (op, path) => (op === 'rename' ? fsError('EIO', op, path) : undefined);
    const { store, cache, errors } = harness({ diskBytes: 64 * BLOCK, diskDir: dir, fs });
    const source = store.addObject('obj', 2 * BLOCK);
    expect((await cache.read('obj', 0, source.length, source.length)).equals(source)).toBe(true);
    await cache.whenIdle();
    expect(errors.map((e) => e.context)).toEqual(['disk_write', 'disk_write']);
    expect(await readdir(dir)).toEqual([]);
    await cache.close();
  });

  it('refetches a block whose file is corrupt or unreadable, and replaces the file', async () => {
    const dir = await tempDir();
    const store = new CountingStore();
    const source = store.addObject('obj', 2 * BLOCK);
    const first = harness({ diskBytes: 64 * BLOCK, diskDir: dir }, store);
    await first.cache.read('obj', 0, source.length, source.length);
    await first.cache.close();
    const { blockFileName } = await import('../../src/cache/block-file.ts');
    const name0 = blockFileName({ objectKey: 'obj', blockIndex: 0, blockBytes: BLOCK });
    await writeFile(join(dir, name0), Buffer.alloc(blockFileBytes('obj', BLOCK))); // zero-filled after a crash

    const fs = new FaultyFs();
    const name1 = blockFileName({ objectKey: 'obj', blockIndex: 1, blockBytes: BLOCK });
    fs.fault = (op, path) => (op === 'readFile' && path.endsWith(name1) ? fsError('EIO', op, path) : undefined);
    const gets = store.getCount;
    const second = harness({ diskBytes: 64 * BLOCK, diskDir: dir, fs }, store);
    expect((await second.cache.read('obj', 0, source.length, source.length)).equals(source)).toBe(true);
    expect(store.getCount).toBe(gets + 2);
    await second.cache.whenIdle();
    expect(second.errors.map((e) => e.context)).toEqual(['disk_read', 'disk_read']);
    expect(second.cache.stats()).toMatchObject({ diskReadFailures: 2, diskBlocks: 2 });
    await second.cache.close();

    const third = harness({ diskBytes: 64 * BLOCK, diskDir: dir }, store);
    expect((await third.cache.read('obj', 0, source.length, source.length)).equals(source)).toBe(true);
    expect(store.getCount).toBe(gets + 2); // the rewritten files are good
    await third.cache.close();
  });

  it('runs memory-only when the directory cannot be used', async () => {
    const dir = await tempDir();
    const fs = new FaultyFs();
    fs.fault = (op, path) => (op === 'mkdir' ? fsError('EACCES', op, path) : undefined);
    const { store, cache, errors } = harness({ diskBytes: 64 * BLOCK, diskDir: join(dir, 'sub'), fs });
    const source = store.addObject('obj', 2 * BLOCK);
    expect((await cache.read('obj', 0, source.length, source.length)).equals(source)).toBe(true);
    await cache.whenIdle();
    expect(errors.map((e) => e.context)).toEqual(['disk_scan']);
    expect(fs.calls.filter((c) => c.operation === 'writeFile')).toEqual([]);
    await cache.close();
  });

  it('skips disk copies beyond maxPendingDiskWrites instead of holding memory', async () => {
    const dir = await tempDir();
    const fs = new FaultyFs();
    const { store, cache } = harness({ memoryBytes: 16 * BLOCK, diskBytes: 64 * BLOCK, diskDir: dir, fs, maxPendingDiskWrites: 2 });
    const source = store.addObject('obj', 8 * BLOCK);
    await cache.read('obj', 0, source.length, source.length);
    await cache.whenIdle();
    expect(cache.stats()).toMatchObject({ diskWrites: 2, diskWritesDropped: 6 });
    await cache.close();
  });
});
