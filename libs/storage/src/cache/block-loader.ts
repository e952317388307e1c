// Loads blocks into the memory tier: from memory, from disk, or from the object store,
// with one load per block at a time (single flight) and adjacent missing blocks fetched by
// one ranged GET (coalescing). A failed load rejects everyone waiting on it and leaves
// nothing behind, so the next read tries again. The loader does not decide *what* to
// load; BlockCache asks for a read's blocks, and for read-ahead windows.

import type { ObjectStore } from '@stratus/objectstore';
import { currentTracing, SpanKind } from '@stratus/runtime';
import type { Tracing } from '@stratus/runtime';
import { blockId, blockRange } from './block-math.ts';
import type { BlockFileIdentity } from './block-file.ts';
import type { DiskTier } from './disk-tier.ts';
import { BlockCacheError } from './errors.ts';
import { compact } from './memory-tier.ts';
import type { MemoryTier } from './memory-tier.ts';
import type { BlockCacheConfig } from './options.ts';
import { Slots } from './slots.ts';
import type { BlockCacheStats } from './stats.ts';

interface Flight {
  readonly promise: Promise<Buffer>;
  /** Lets a demand read pull a queued read-ahead GET to the front. */
  readonly promote: () => void;
}

export interface BlockLoaderDeps {
  readonly store: ObjectStore;
  readonly config: BlockCacheConfig;
  readonly memory: MemoryTier;
  readonly disk: DiskTier | undefined;
  readonly stats: BlockCacheStats;
}

const noop = (): void => undefined;

export class BlockLoader {
  private readonly deps: BlockLoaderDeps;
  private readonly slots: Slots;
  private readonly flights = new Map<string, Flight>();
  private pendingPrefetchGets = 0;
  /** Read once: with tracing off a GET costs one comparison more. */
  private readonly tracing: Tracing | undefined = currentTracing();

  constructor(deps: BlockLoaderDeps) {
    this.deps = deps;
    this.slots = new Slots(deps.config.maxConcurrentFetches);
  }

  /** Blocks [first, last] for a reader, in order: a Buffer when in memory, else a promise. */
  load(objectKey: string, objectSize: number, first: number, last: number): (Buffer | Promise<Buffer>)[] {
    const { memory, disk, stats, config } = this.deps;
    const blocks: (Buffer | Promise<Buffer>)[] = [];
    let runStart = -1; // first block of the pending run of blocks to GET, or -1
    const flushRun = (end: number): void => {
      if (runStart >= 0) blocks.push(...this.fetchRun(objectKey, objectSize, runStart, end, true));
      runStart = -1;
    };
    for (let index = first; index <= last; index++) {
      const id = blockId(objectKey, index);
      const inMemory = memory.get(id);
      const flight = inMemory === undefined ? this.flights.get(id) : undefined;
      if (inMemory !== undefined) {
        flushRun(index);
        stats.memoryHits++;
        blocks.push(inMemory);
      } else if (flight !== undefined) {
        flushRun(index);
        stats.joinedLoads++;
        flight.promote();
        blocks.push(flight.promise);
      } else if (disk?.has(this.identity(objectKey, index)) === true) {
        flushRun(index);
        blocks.push(this.loadFromDisk(objectKey, objectSize, index));
      } else {
        stats.misses++;
        if (runStart >= 0 && index - runStart >= config.maxBlocksPerGet) flushRun(index);
        if (runStart < 0) runStart = index;
      }
    }
    flushRun(last + 1);
    return blocks;
  }

  /**
   * Starts loading blocks [from, to) that are not in memory or already loading, at low
   * priority. Returns false (and loads nothing) when enough read-ahead GETs are pending.
   */
  prefetch(objectKey: string, objectSize: number, from: number, to: number): boolean {
    const { memory, disk, stats, config } = this.deps;
    if (this.pendingPrefetchGets >= config.maxConcurrentFetches) {
      stats.prefetchesDropped++;
      return false;
    }
    let runStart = -1;
    const flushRun = (end: number): void => {
      if (runStart >= 0) this.fetchRun(objectKey, objectSize, runStart, end, false);
      runStart = -1;
    };
    for (let index = from; index < to; index++) {
      const id = blockId(objectKey, index);
      if (memory.has(id) || this.flights.has(id)) {
        flushRun(index);
      } else if (disk?.has(this.identity(objectKey, index)) === true) {
        flushRun(index);
        stats.prefetchedBlocks++;
        this.loadFromDisk(objectKey, objectSize, index);
      } else {
        stats.prefetchedBlocks++;
        if (runStart >= 0 && index - runStart >= config.maxBlocksPerGet) flushRun(index);
        if (runStart < 0) runStart = index;
      }
    }
    flushRun(to);
    return true;
  }

  /** Resolves when every load started so far has settled (successfully or not). */
  async settled(): Promise<void> {
    while (this.flights.size > 0) await Promise.all([...this.flights.values()].map((f) => f.promise.then(noop, noop)));
  }

  /** One GET for blocks [first, end), registered as a flight per block. */
  private fetchRun(objectKey: string, objectSize: number, first: number, end: number, urgent: boolean): Promise<Buffer>[] {
    const { config, stats } = this.deps;
    const start = first * config.blockBytes;
    const stop = Math.min(end * config.blockBytes, objectSize);
    if (!urgent) {
      this.pendingPrefetchGets++;
      stats.prefetchGets++;
    }
    const task = this.slots.run(() => this.get(objectKey, start, stop), urgent);
    const blocks = task.result.then((bytes) => this.keep(objectKey, objectSize, first, end, bytes));
    blocks.then(
      () => {
        if (!urgent) this.pendingPrefetchGets--;
      },
      () => {
        if (!urgent) {
          this.pendingPrefetchGets--;
          stats.prefetchFailures++; // swallowed: whoever needs the block reads it again
        }
      },
    );
    const promises: Promise<Buffer>[] = [];
    for (let index = first; index < end; index++) {
      promises.push(this.register(blockId(objectKey, index), blocks.then((kept) => kept[index - first]!), task.promote));
    }
    return promises;
  }

  /** A block the disk index lists; falls back to the store when its file is unusable. */
  private loadFromDisk(objectKey: string, objectSize: number, index: number): Promise<Buffer> {
    const { disk, stats } = this.deps;
    const { start, end } = blockRange(index, objectSize, this.deps.config.blockBytes);
    const load = async (): Promise<Buffer> => {
      const data = await disk?.read(this.identity(objectKey, index), end - start);
      if (data !== undefined) {
        stats.diskHits++;
        return this.deps.memory.put(blockId(objectKey, index), data);
      }
      stats.misses++;
      const bytes = await this.slots.run(() => this.get(objectKey, start, end), true).result;
      return this.keep(objectKey, objectSize, index, index + 1, bytes)[0]!;
    };
    return this.register(blockId(objectKey, index), load(), noop);
  }

  /** A cache miss's GET: a span (CLIENT) when tracing is on, child of the read that missed when one is active. */
  private get(objectKey: string, start: number, end: number): Promise<Buffer> {
    if (this.tracing === undefined) return this.getRange(objectKey, start, end);
    const attributes = { 'stratus.object.key': objectKey, 'stratus.range.start': start, 'stratus.range.bytes': end - start };
    return this.tracing.inSpan('objectstore.get', { kind: SpanKind.CLIENT, attributes }, () => this.getRange(objectKey, start, end));
  }

  private async getRange(objectKey: string, start: number, end: number): Promise<Buffer> {
    const { store, stats } = this.deps;
    stats.getsIssued++;
    let bytes: Buffer;
    try {
      bytes = await store.get(objectKey, { start, end });
    } catch (err) {
      stats.getFailures++;
      throw err;
    }
    stats.bytesFetched += bytes.byteLength;
    if (bytes.byteLength !== end - start) {
      stats.getFailures++;
      throw new BlockCacheError('short_read', objectKey, `GET [${start}, ${end}) returned ${bytes.byteLength} bytes, expected ${end - start}`);
    }
    return bytes;
  }

  /** Splits the bytes of blocks [first, end) into blocks kept in memory and copied to disk. */
  private keep(objectKey: string, objectSize: number, first: number, end: number, bytes: Buffer): Buffer[] {
    const { memory, disk, config } = this.deps;
    const base = first * config.blockBytes;
    const kept: Buffer[] = [];
    for (let index = first; index < end; index++) {
      const range = blockRange(index, objectSize, config.blockBytes);
      const id = blockId(objectKey, index);
      const block = memory.put(id, bytes.subarray(range.start - base, range.end - base));
      // A block memory did not keep is copied for the disk queue: a queued write must not
      // pin a whole GET buffer that nothing else accounts for.
      disk?.write(this.identity(objectKey, index), memory.has(id) ? block : compact(block));
      kept.push(block);
    }
    return kept;
  }

  private register(id: string, promise: Promise<Buffer>, promote: () => void): Promise<Buffer> {
    const flight: Flight = { promise, promote };
    this.flights.set(id, flight);
    const done = (): void => {
      if (this.flights.get(id) === flight) this.flights.delete(id);
    };
    promise.then(done, done); // also marks the rejection handled when nobody waits (read-ahead)
    return promise;
  }

  private identity(objectKey: string, blockIndex: number): BlockFileIdentity {
    return { objectKey, blockIndex, blockBytes: this.deps.config.blockBytes };
  }
}
