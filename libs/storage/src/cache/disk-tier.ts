// The local-disk tier: one file per block in a directory this cache owns, least recently
// used files deleted to stay within a byte budget. The index lives in memory; at start it
// is rebuilt from the directory (stray temp files from a crash deleted, newest files kept
// up to the budget, the rest deleted). Recency is not persisted: after a restart, file
// modification time stands in for last use.
//
// Every change to the directory (scan, write, delete) runs on one sequential lane, so a
// delete can never race a rewrite of the same file. Reads run beside the lane: a file
// evicted while being read either still reads (POSIX keeps it until closed) or is missing,
// which is a plain miss. Failures never reach readers: they are reported through onError
// and the block is treated as not on disk.

import { join } from 'node:path';
import type { CacheFs } from './cache-fs.ts';
import { isMissingFile } from './cache-fs.ts';
import type { BlockFileIdentity } from './block-file.ts';
import { BLOCK_FILE_SUFFIX, MAX_KEY_BYTES, TEMP_FILE_SUFFIX, blockFileBytes, blockFileName, decodeBlockFile, encodeBlockFileHeader } from './block-file.ts';
import type { BlockCacheErrorContext } from './options.ts';
import { Slots } from './slots.ts';

const BLOCK_FILE_PATTERN = /^[0-9a-f]{40}\.blk$/;
const TEMP_FILE_PATTERN = /^[0-9a-f]{40}\.\d+\.tmp$/;

export interface DiskTierOptions {
  readonly dir: string;
  readonly capacityBytes: number;
  readonly fs: CacheFs;
  readonly maxPendingWrites: number;
  readonly maxConcurrentReads: number;
  readonly onError: (error: unknown, context: BlockCacheErrorContext) => void;
}

/** Counters of the disk tier, read by BlockCache.stats(). */
export interface DiskTierCounters {
  writes: number;
  writeFailures: number;
  writesDropped: number;
  readFailures: number;
  evictions: number;
}

interface Entry {
  readonly bytes: number;
}

type LaneJob = () => Promise<void>;

export class DiskTier {
  readonly counters: DiskTierCounters = { writes: 0, writeFailures: 0, writesDropped: 0, readFailures: 0, evictions: 0 };
  /** Resolves when the index has been rebuilt (or the tier disabled); never rejects. */
  readonly ready: Promise<void>;
  private readonly options: DiskTierOptions;
  private readonly index = new Map<string, Entry>(); // file name → entry, insertion order = LRU order
  private indexedBytes = 0;
  private reservedBytes = 0; // the file being written
  private readonly pendingWrites = new Set<string>(); // file names queued or being written
  private readonly lane: LaneJob[] = [];
  private laneRunning = false;
  private laneIdle: (() => void)[] = [];
  private readonly readSlots: Slots;
  private tempSeq = 0;
  private enabled = true;
  private started = false;
  private closed = false;

  constructor(options: DiskTierOptions) {
    this.options = options;
    this.readSlots = new Slots(options.maxConcurrentReads);
    this.ready = new Promise<void>((resolve) => {
      this.enqueue(async () => {
        await this.scan();
        this.started = true;
        resolve();
      });
    });
  }

  /** Whether reads may consult the index without awaiting `ready`. */
  get isReady(): boolean {
    return this.started;
  }

  get usedBytes(): number {
    return this.indexedBytes + this.reservedBytes;
  }

  get blocks(): number {
    return this.index.size;
  }

  has(id: BlockFileIdentity): boolean {
    return this.enabled && this.index.has(blockFileName(id));
  }

  /**
   * The block's data, or undefined when it is not on disk or its file is unusable (then
   * the file is dropped and the caller fetches the block from the store).
   */
  async read(id: BlockFileIdentity, dataBytes: number): Promise<Buffer | undefined> {
    const name = blockFileName(id);
    const entry = this.index.get(name);
    if (!this.enabled || entry === undefined) return undefined;
    this.index.delete(name); // most recently used
    this.index.set(name, entry);
    try {
      const file = await this.readSlots.run(() => this.options.fs.readFile(join(this.options.dir, name)), true).result;
      return decodeBlockFile(file, id, dataBytes);
    } catch (err) {
      if (this.index.get(name) === entry) this.forget(name, entry);
      if (isMissingFile(err)) return undefined; // evicted while we were reading
      this.counters.readFailures++;
      this.report(err, 'disk_read');
      this.enqueue(async () => {
        // Only if no rewrite of the same block has landed since.
        if (!this.index.has(name)) await this.deleteFile(name);
      });
      return undefined;
    }
  }

  /**
   * Copies the block to disk in the background. Skipped when it is already there or
   * queued, when it cannot fit the budget, or when the write queue is full (counted):
   * the disk tier is an optimisation and must not hold memory without bound.
   */
  write(id: BlockFileIdentity, data: Buffer): void {
    if (!this.enabled || this.closed) return;
    const name = blockFileName(id);
    if (this.index.has(name) || this.pendingWrites.has(name)) return;
    if (Buffer.byteLength(id.objectKey, 'utf8') > MAX_KEY_BYTES) return;
    if (blockFileBytes(id.objectKey, data.byteLength) > this.options.capacityBytes) return;
    if (this.pendingWrites.size >= this.options.maxPendingWrites) {
      this.counters.writesDropped++;
      return;
    }
    this.pendingWrites.add(name);
    this.enqueue(async () => {
      try {
        await this.writeNow(name, id, data);
      } finally {
        this.pendingWrites.delete(name);
      }
    });
  }

  /** Resolves when every queued write and delete has finished. */
  drained(): Promise<void> {
    if (!this.laneRunning && this.lane.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.laneIdle.push(resolve));
  }

  /** Stops taking writes and waits for the queued ones (bounded by maxPendingWrites). */
  async close(): Promise<void> {
    this.closed = true;
    await this.drained();
  }

  private async writeNow(name: string, id: BlockFileIdentity, data: Buffer): Promise<void> {
    if (!this.enabled || this.index.has(name)) return;
    const header = encodeBlockFileHeader(id, data);
    const bytes = header.byteLength + data.byteLength;
    await this.evictUntilFree(bytes);
    this.reservedBytes += bytes;
    const finalPath = join(this.options.dir, name);
    const tempPath = join(this.options.dir, `${name.slice(0, -BLOCK_FILE_SUFFIX.length)}.${this.tempSeq++}${TEMP_FILE_SUFFIX}`);
    try {
      // Temp file then rename: a reader or a restart sees the whole file or none of it.
      await this.options.fs.writeFile(tempPath, [header, data]);
      await this.options.fs.rename(tempPath, finalPath);
      this.index.set(name, { bytes });
      this.indexedBytes += bytes;
      this.counters.writes++;
    } catch (err) {
      this.counters.writeFailures++;
      this.report(err, 'disk_write');
      await this.options.fs.unlink(tempPath).catch(() => undefined); // may not exist; the next start cleans it otherwise
    } finally {
      this.reservedBytes -= bytes;
    }
  }

  private async evictUntilFree(bytes: number): Promise<void> {
    while (this.usedBytes + bytes > this.options.capacityBytes) {
      const oldest = this.index.entries().next();
      if (oldest.done === true) return; // reservedBytes only: cannot happen on the sequential lane
      const [name, entry] = oldest.value;
      this.forget(name, entry);
      this.counters.evictions++;
      await this.deleteFile(name);
    }
  }

  private async scan(): Promise<void> {
    const { fs, dir, capacityBytes } = this.options;
    let names: string[];
    try {
      await fs.mkdir(dir);
      names = await fs.readdir(dir);
    } catch (err) {
      this.enabled = false;
      this.report(err, 'disk_scan');
      return;
    }
    const found: { name: string; bytes: number; mtimeMs: number }[] = [];
    for (const name of names) {
      if (TEMP_FILE_PATTERN.test(name)) {
        await this.deleteFile(name); // a write interrupted by a crash
      } else if (BLOCK_FILE_PATTERN.test(name)) {
        try {
          const s = await fs.stat(join(dir, name));
          found.push({ name, bytes: s.sizeBytes, mtimeMs: s.mtimeMs });
        } catch (err) {
          if (!isMissingFile(err)) this.report(err, 'disk_scan');
        }
      } // anything else is not ours: left alone
    }
    found.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.name < b.name ? -1 : 1)); // newest first
    const kept: typeof found = [];
    let keptBytes = 0;
    for (const file of found) {
      if (keptBytes + file.bytes <= capacityBytes) {
        kept.push(file);
        keptBytes += file.bytes;
      } else {
        this.counters.evictions++;
        await this.deleteFile(file.name);
      }
    }
    for (let i = kept.length - 1; i >= 0; i--) {
      const file = kept[i]!;
      this.index.set(file.name, { bytes: file.bytes }); // oldest first = least recently used first
    }
    this.indexedBytes = keptBytes;
  }

  private forget(name: string, entry: Entry): void {
    this.index.delete(name);
    this.indexedBytes -= entry.bytes;
  }

  private async deleteFile(name: string): Promise<void> {
    try {
      await this.options.fs.unlink(join(this.options.dir, name));
    } catch (err) {
      if (!isMissingFile(err)) this.report(err, 'disk_delete');
    }
  }

  private enqueue(job: LaneJob): void {
    this.lane.push(job);
    if (!this.laneRunning) void this.runLane();
  }

  private async runLane(): Promise<void> {
    this.laneRunning = true;
    for (let job = this.lane.shift(); job !== undefined; job = this.lane.shift()) {
      try {
        await job();
      } catch (err) {
        this.report(err, 'disk_write'); // jobs handle their own errors; this is a last resort
      }
    }
    this.laneRunning = false;
    const waiters = this.laneIdle;
    this.laneIdle = [];
    for (const resolve of waiters) resolve();
  }

  private report(error: unknown, context: BlockCacheErrorContext): void {
    try {
      this.options.onError(error, context);
    } catch {
      // A failing logger must not break the cache.
    }
  }
}
