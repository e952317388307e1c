// BlockCache: byte ranges of immutable objects, served from aligned blocks held in memory
// and on local disk, fetched from the object store on a miss. This is the fetch path's
// way to object storage (ARCHITECTURE.md, read path step 2). Objects never change once
// written, so blocks never go stale and are only ever evicted.
//
// What it is not: it does not know object sizes (the partition index does; callers pass
// them), does not retry failed GETs (wrap the store with the retry wrapper) and does not
// cache object listings or metadata.

import type { ObjectStore } from '@stratus/objectstore';
import { blockCountOf, blocksOfRead, blockRange } from './block-math.ts';
import { BlockLoader } from './block-loader.ts';
import { nodeCacheFs } from './cache-fs.ts';
import { DiskTier } from './disk-tier.ts';
import { BlockCacheError } from './errors.ts';
import { MemoryTier } from './memory-tier.ts';
import type { BlockCacheConfig, BlockCacheOptions } from './options.ts';
import { resolveConfig } from './options.ts';
import { ReadAheadTracker } from './read-ahead.ts';
import type { BlockCacheStats } from './stats.ts';
import { emptyStats } from './stats.ts';

export class BlockCache {
  readonly config: BlockCacheConfig;
  private readonly store: ObjectStore;
  private readonly memory: MemoryTier;
  private readonly disk: DiskTier | undefined;
  private readonly loader: BlockLoader;
  private readonly readAhead: ReadAheadTracker;
  private readonly counters: BlockCacheStats = emptyStats();
  private closed = false;

  constructor(options: BlockCacheOptions) {
    this.config = resolveConfig(options);
    this.store = options.store;
    const onError = options.onError ?? (() => undefined);
    this.memory = new MemoryTier(this.config.memoryBytes);
    this.disk =
      this.config.diskBytes > 0 && this.config.diskDir !== undefined
        ? new DiskTier({
            dir: this.config.diskDir,
            capacityBytes: this.config.diskBytes,
            fs: options.fs ?? nodeCacheFs,
            maxPendingWrites: this.config.maxPendingDiskWrites,
            maxConcurrentReads: this.config.maxConcurrentDiskReads,
            onError,
          })
        : undefined;
    this.loader = new BlockLoader({ store: this.store, config: this.config, memory: this.memory, disk: this.disk, stats: this.counters });
    // A stream keeps up to two windows ahead of itself; more than half the memory tier
    // per stream would evict prefetched blocks before they are read.
    const memoryBlocks = Math.floor(this.config.memoryBytes / this.config.blockBytes);
    this.readAhead = new ReadAheadTracker(this.config.maxStreams, Math.min(this.config.readAheadBlocks, Math.floor(memoryBlocks / 2)));
  }

  /**
   * Bytes [position, position + length) of the object `objectKey` of `objectSize` bytes.
   * A read inside one block returns a view of the cached block (do not modify it); a read
   * across blocks returns a new buffer. `streamId` names the reader (e.g. a fetch
   * session's topic-partition) so that sequential reads trigger read-ahead.
   * Rejects with the object store's error when a needed GET fails.
   */
  async read(objectKey: string, position: number, length: number, objectSize: number, streamId?: string): Promise<Buffer> {
    const chunks = await this.readChunks(objectKey, position, length, objectSize, streamId);
    if (chunks.length === 1) return chunks[0]!;
    return chunks.length === 0 ? Buffer.alloc(0) : Buffer.concat(chunks, length);
  }

  /**
   * The same bytes as `read`, as views of the cached blocks in order (one per block the
   * range touches), without assembling them: the fetch path sends batches straight out
   * of the blocks and copies only a batch that straddles two of them.
   */
  async readChunks(objectKey: string, position: number, length: number, objectSize: number, streamId?: string): Promise<Buffer[]> {
    if (this.closed) throw new BlockCacheError('closed', objectKey, 'read after close');
    checkRead(position, length, objectSize);
    this.counters.reads++;
    if (length === 0) return [];
    if (this.disk !== undefined && !this.disk.isReady) await this.disk.ready;
    const { blockBytes } = this.config;
    const { first, last } = blocksOfRead(position, length, blockBytes);
    const pending = this.loader.load(objectKey, objectSize, first, last);
    if (streamId !== undefined) {
      // After the demand load is queued, so its GET goes first; before awaiting it, so the
      // prefetch overlaps the demand GET instead of following it.
      const window = this.readAhead.onRead(streamId, objectKey, first, last, blockCountOf(objectSize, blockBytes));
      if (window !== undefined && this.loader.prefetch(objectKey, objectSize, window.from, window.to)) {
        this.readAhead.requested(streamId, window.to);
      }
    }
    const blocks = await Promise.all(pending);
    return sliceBlocks(objectKey, blocks, first, position, length, objectSize, blockBytes);
  }

  /**
   * Starts loading the blocks of [position, position + length) in the background, at
   * read-ahead priority (a demand read of the same blocks joins the load and moves it to
   * the front). Best effort: returns false when too many read-ahead GETs are pending, and
   * a failed load is dropped (the next read tries again).
   */
  prefetch(objectKey: string, position: number, length: number, objectSize: number): boolean {
    if (this.closed || length <= 0) return false;
    checkRead(position, length, objectSize);
    const { first, last } = blocksOfRead(position, length, this.config.blockBytes);
    return this.loader.prefetch(objectKey, objectSize, first, last + 1);
  }

  /** Counters and gauges, as plain numbers (a snapshot). */
  stats(): BlockCacheStats {
    const disk = this.disk;
    return {
      ...this.counters,
      memoryEvictions: this.memory.evictions,
      memoryUsedBytes: this.memory.usedBytes,
      memoryBlocks: this.memory.blocks,
      diskEvictions: disk?.counters.evictions ?? 0,
      diskWrites: disk?.counters.writes ?? 0,
      diskWriteFailures: disk?.counters.writeFailures ?? 0,
      diskWritesDropped: disk?.counters.writesDropped ?? 0,
      diskReadFailures: disk?.counters.readFailures ?? 0,
      diskUsedBytes: disk?.usedBytes ?? 0,
      diskBlocks: disk?.blocks ?? 0,
    };
  }

  /** Resolves when no load, read-ahead or disk write is in progress (tests, benchmarks, shutdown). */
  async whenIdle(): Promise<void> {
    await this.loader.settled();
    await this.disk?.drained(); // loads queue disk writes; nothing queues loads
  }

  /**
   * Refuses new reads, waits for loads in progress and queued disk writes (so a restart
   * finds them on disk), then drops the memory tier. Does not close the store.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.readAhead.clear();
    await this.loader.settled();
    await this.disk?.close();
    this.memory.clear();
  }
}

function checkRead(position: number, length: number, objectSize: number): void {
  if (!Number.isSafeInteger(objectSize) || objectSize < 0) throw new RangeError(`objectSize must be a non-negative integer, got ${objectSize}`);
  if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`position must be a non-negative integer, got ${position}`);
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
  if (position + length > objectSize) throw new RangeError(`read [${position}, ${position + length}) passes the end of an object of ${objectSize} bytes`);
}

/** The read's bytes as views: the part of each block inside [position, position + length). */
function sliceBlocks(objectKey: string, blocks: readonly Buffer[], first: number, position: number, length: number, objectSize: number, blockBytes: number): Buffer[] {
  const out: Buffer[] = [];
  let offset = position - first * blockBytes;
  let remaining = length;
  for (let i = 0; i < blocks.length; i++) {
    const { start, end } = blockRange(first + i, objectSize, blockBytes);
    const block = blocks[i]!;
    if (block.byteLength !== end - start) {
      throw new BlockCacheError('size_mismatch', objectKey, `block ${first + i} holds ${block.byteLength} bytes; an object of ${objectSize} bytes needs ${end - start}`);
    }
    const take = Math.min(block.byteLength - offset, remaining);
    out.push(offset === 0 && take === block.byteLength ? block : block.subarray(offset, offset + take));
    remaining -= take;
    offset = 0;
  }
  return out;
}
