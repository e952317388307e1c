// Builds a BlockCache over a CountingStore for the cache tests, with small blocks so that
// a few hundred KiB exercise many blocks, and collects what onError reports.

import type { BlockCacheErrorContext, BlockCacheOptions } from '../../../src/cache/index.ts';
import { BlockCache } from '../../../src/cache/index.ts';
import { CountingStore } from './counting-store.ts';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const BLOCK = 64 * KiB;

export interface Harness {
  readonly store: CountingStore;
  readonly cache: BlockCache;
  readonly errors: { error: unknown; context: BlockCacheErrorContext }[];
}

export function harness(options: Partial<Omit<BlockCacheOptions, 'store' | 'onError'>> = {}, store = new CountingStore()): Harness {
  const errors: Harness['errors'] = [];
  const cache = new BlockCache({
    store,
    blockBytes: BLOCK,
    memoryBytes: 8 * BLOCK,
    onError: (error, context) => errors.push({ error, context }),
    ...options,
  });
  return { store, cache, errors };
}
