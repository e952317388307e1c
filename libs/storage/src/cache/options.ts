// Options of the block cache, their defaults and their validation. Everything the cache
// may grow is bounded by one of these numbers; an invalid value fails the constructor
// with a message naming the option, so a bad config never turns into a slow leak.

import type { ObjectStore } from '@stratus/objectstore';
import type { CacheFs } from './cache-fs.ts';

/** Why the cache reports a failure it recovered from (the read that saw it still succeeds). */
export type BlockCacheErrorContext =
  | 'disk_scan' // rebuilding the disk index at start; the disk tier is disabled
  | 'disk_write' // writing a block file (ENOSPC, EIO): the block stays memory-only
  | 'disk_read' // reading or verifying a block file: the block is fetched from the store
  | 'disk_delete'; // removing an evicted or stray file: it may linger until the next start

export interface BlockCacheOptions {
  readonly store: ObjectStore;
  /** Hard budget of the memory tier, in bytes (0 disables it: blocks pass through). */
  readonly memoryBytes: number;
  /** Block size: a power of two, at least 64 KiB. Default 1 MiB. */
  readonly blockBytes?: number;
  /** Budget of the local-disk tier, in bytes (file headers included). 0 (default) disables it. */
  readonly diskBytes?: number;
  /** Directory of the disk tier, owned by this cache. Required when diskBytes > 0. */
  readonly diskDir?: string;
  /** Blocks prefetched ahead of a sequential reader. Default 16 (16 MiB GETs at 1 MiB blocks: object stores are fastest, and cheapest per byte, with large GETs); 0 disables read-ahead. */
  readonly readAheadBlocks?: number;
  /** Object-store GETs in flight at once, demand and prefetch together. Default 8. */
  readonly maxConcurrentFetches?: number;
  /** Most blocks one coalesced GET may cover. Default 16. */
  readonly maxBlocksPerGet?: number;
  /** Reader streams whose access pattern is remembered (least recently used forgotten). Default 10,000. */
  readonly maxStreams?: number;
  /**
   * Block copies queued for the disk tier; beyond it a copy is skipped (counted). A queued
   * copy of a block already evicted from memory is held outside memoryBytes, so this
   * bounds that overshoot to maxPendingDiskWrites blocks. Default 16.
   */
  readonly maxPendingDiskWrites?: number;
  /** Block files read from disk at once. Default 8. */
  readonly maxConcurrentDiskReads?: number;
  /** File operations of the disk tier (node:fs/promises by default); tests inject faults here. */
  readonly fs?: CacheFs;
  /** Told about failures the cache works around; never throws back into the cache. */
  readonly onError?: (error: unknown, context: BlockCacheErrorContext) => void;
}

export interface BlockCacheConfig {
  readonly blockBytes: number;
  readonly memoryBytes: number;
  readonly diskBytes: number;
  readonly diskDir: string | undefined;
  readonly readAheadBlocks: number;
  readonly maxConcurrentFetches: number;
  readonly maxBlocksPerGet: number;
  readonly maxStreams: number;
  readonly maxPendingDiskWrites: number;
  readonly maxConcurrentDiskReads: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
export const MIN_BLOCK_BYTES = 64 * KiB;
/** Block indexes and lengths are stored as u32 in block files; 1 GiB keeps lengths far from that. */
export const MAX_BLOCK_BYTES = 1024 * MiB;

export const DEFAULTS = {
  blockBytes: MiB,
  diskBytes: 0,
  readAheadBlocks: 16,
  maxConcurrentFetches: 8,
  maxBlocksPerGet: 16,
  maxStreams: 10_000,
  maxPendingDiskWrites: 16,
  maxConcurrentDiskReads: 8,
} as const;

export class BlockCacheConfigError extends Error {
  readonly option: string;
  constructor(option: string, message: string) {
    super(`block cache option ${option}: ${message}`);
    this.name = 'BlockCacheConfigError';
    this.option = option;
  }
}

function count(option: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new BlockCacheConfigError(option, `must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

export function resolveConfig(options: BlockCacheOptions): BlockCacheConfig {
  const blockBytes = count('blockBytes', options.blockBytes ?? DEFAULTS.blockBytes, MIN_BLOCK_BYTES, MAX_BLOCK_BYTES);
  // Power of two keeps block boundaries aligned with the way stores and disks page data,
  // and makes the same byte land in the same block whatever the object size.
  if ((blockBytes & (blockBytes - 1)) !== 0) throw new BlockCacheConfigError('blockBytes', `must be a power of two, got ${blockBytes}`);
  const diskBytes = count('diskBytes', options.diskBytes ?? DEFAULTS.diskBytes, 0);
  if (diskBytes > 0 && (options.diskDir === undefined || options.diskDir === '')) {
    throw new BlockCacheConfigError('diskDir', 'is required when diskBytes > 0');
  }
  return {
    blockBytes,
    memoryBytes: count('memoryBytes', options.memoryBytes, 0),
    diskBytes,
    diskDir: options.diskDir,
    readAheadBlocks: count('readAheadBlocks', options.readAheadBlocks ?? DEFAULTS.readAheadBlocks, 0, 1024),
    maxConcurrentFetches: count('maxConcurrentFetches', options.maxConcurrentFetches ?? DEFAULTS.maxConcurrentFetches, 1, 1024),
    maxBlocksPerGet: count('maxBlocksPerGet', options.maxBlocksPerGet ?? DEFAULTS.maxBlocksPerGet, 1, 1024),
    maxStreams: count('maxStreams', options.maxStreams ?? DEFAULTS.maxStreams, 1, 10_000_000),
    maxPendingDiskWrites: count('maxPendingDiskWrites', options.maxPendingDiskWrites ?? DEFAULTS.maxPendingDiskWrites, 1, 100_000),
    maxConcurrentDiskReads: count('maxConcurrentDiskReads', options.maxConcurrentDiskReads ?? DEFAULTS.maxConcurrentDiskReads, 1, 1024),
  };
}
