import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/cache/options.ts';
import { BlockCacheConfigError } from '../../src/cache/index.ts';
import { CountingStore } from './support/counting-store.ts';

const store = new CountingStore();

describe('block cache options', () => {
  it('fills in the defaults', () => {
    expect(resolveConfig({ store, memoryBytes: 1 << 20 })).toEqual({
      blockBytes: 1 << 20,
      memoryBytes: 1 << 20,
      diskBytes: 0,
      diskDir: undefined,
      readAheadBlocks: 16,
      maxConcurrentFetches: 8,
      maxBlocksPerGet: 16,
      maxStreams: 10_000,
      maxPendingDiskWrites: 16,
      maxConcurrentDiskReads: 8,
    });
  });

  it.each([
    [{ blockBytes: 32 * 1024 }, 'blockBytes'],
    [{ blockBytes: 96 * 1024 }, 'blockBytes'],
    [{ blockBytes: 2 ** 31 }, 'blockBytes'],
    [{ memoryBytes: -1 }, 'memoryBytes'],
    [{ memoryBytes: 1.5 }, 'memoryBytes'],
    [{ diskBytes: 1 << 20 }, 'diskDir'],
    [{ maxConcurrentFetches: 0 }, 'maxConcurrentFetches'],
    [{ maxBlocksPerGet: 0 }, 'maxBlocksPerGet'],
    [{ maxStreams: 0 }, 'maxStreams'],
    [{ readAheadBlocks: -1 }, 'readAheadBlocks'],
  ])('rejects %o naming %s', (bad, option) => {
    let caught: unknown;
    try {
      resolveConfig({ store, memoryBytes: 1 << 20, ...bad });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BlockCacheConfigError);
    expect((caught as BlockCacheConfigError).option).toBe(option);
  });

  it('accepts every power of two from 64 KiB', () => {
    for (let bytes = 64 * 1024; bytes <= 1024 * 1024 * 1024; bytes *= 2) {
      expect(resolveConfig({ store, memoryBytes: 0, blockBytes: bytes }).blockBytes).toBe(bytes);
    }
  });
});
