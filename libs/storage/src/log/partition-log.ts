// One partition's log on a broker: assigns offsets, makes batches durable through the
// WAL, hands them to the uploader, keeps recent batches in memory for tailing readers,
// and serves reads by offset from that tail or from committed extents in objects.
//
// High watermark (what consumers may read):
//   local  durability: advances when the WAL fsync of a batch completes;
//   object durability: advances when the batch's object is committed to the index.
// Both resolve in append order (the WAL completes in order; objects commit in order).
//
// Not here: Kafka error codes, idempotent-producer state, leadership decisions — the
// broker owns those and calls in with already validated batches.

import { WalError } from '@stratus/wal';
import type { WriteAheadLog } from '@stratus/wal';
import { buildRecordBatch, readInt64, setBaseOffset, setLogAppendTime, setPartitionLeaderEpoch } from '@stratus/protocol';
import type { Clock } from '@stratus/runtime';
import { partitionKey, BatchTooLargeError } from '@stratus/partition-index';
import type { Durability, Extent, TopicPartition, ExtentSource } from '@stratus/partition-index';
import type { ByteBudget } from './byte-budget.ts';
import type { TailCache, Evictable } from './tail-cache.ts';
import type { Uploader } from './uploader.ts';
import { encodeWalEntryHeader, WAL_ENTRY_HEADER_BYTES } from './wal-entry.ts';
import { BatchChunkCursor } from './batch-chunks.ts';
import { batchesIn, firstRecordAtOrAfter, maxTimestampRecord } from './batch-scan.ts';
import type { BatchView, TimestampAndOffset } from './batch-scan.ts';

/** Reads object bytes (the block cache implements it). */
export interface ExtentReader {
  read(objectKey: string, position: number, length: number, objectSize: number, streamId?: string): Promise<Buffer>;
  /**
   * The same bytes as `read`, as consecutive pieces (the block cache's block views), so
   * that batches can go out without the pieces being joined first. Optional.
   */
  readChunks?(objectKey: string, position: number, length: number, objectSize: number, streamId?: string): Promise<Buffer[]>;
  /** Starts loading bytes a reader is expected to ask for next (read-ahead); best effort, never throws. */
  prefetch?(objectKey: string, position: number, length: number, objectSize: number): void;
}

export interface PartitionLogConfig extends TopicPartition {
  readonly leaderEpoch: number;
  readonly durability: Durability;
  /** Rewrite batch timestamps to the append time (message.timestamp.type=LogAppendTime). */
  readonly logAppendTime?: boolean;
}

export interface PartitionLogDeps {
  readonly wal: WriteAheadLog;
  readonly uploader: Uploader;
  readonly index: ExtentSource;
  readonly reader: ExtentReader;
  /** Bytes appended but not yet uploaded, across partitions. */
  readonly pending: ByteBudget;
  readonly tail: TailCache;
  readonly clock: Clock;
  /** How long an append may wait for room in `pending` before failing (retriable). */
  readonly appendWaitMs: number;
  /** Committed bytes kept loading ahead of a sequential reader (0: no read-ahead). */
  readonly readAheadBytes: number;
  /** Largest batch append takes (see limits.ts); larger ones reject with BatchTooLargeError. */
  readonly maxBatchBytes: number;
  /** Called when the WAL fails: the engine fails every partition. */
  readonly onFatal: (error: Error) => void;
  /** Called when the WAL's disk is full: the engine suspends every partition (see suspend()). */
  readonly onNoSpace: (error: Error) => void;
}

/** What the broker already knows about a validated batch. */
export interface AppendInfo {
  readonly lastOffsetDelta: number;
  readonly maxTimestamp: number;
}

export interface AppendResult {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** The broker time written into the batch for LogAppendTime topics, else -1. */
  readonly logAppendTimeMs: number;
  readonly logStartOffset: number;
}

export type ReadResult =
  | { readonly ok: true; readonly batches: readonly Buffer[]; readonly bytes: number; readonly highWatermark: number; readonly logStartOffset: number }
  | { readonly ok: false; readonly error: 'offset_out_of_range'; readonly highWatermark: number; readonly logStartOffset: number };

export class PartitionFailedError extends Error {
  constructor(tp: string, cause: unknown) {
    super(`partition ${tp} is unavailable after a storage failure`, { cause });
    this.name = 'PartitionFailedError';
  }
}

/**
 * The log takes no appends for now (stopAppends): its leader is handing it over, has
 * fenced itself, or the log is a read replica. Nothing failed; the broker answers
 * NOT_LEADER_OR_FOLLOWER, which clients retry after refreshing metadata.
 */
export class AppendsStoppedError extends Error {
  constructor(tp: string, reason: string) {
    super(`partition ${tp} takes no appends: ${reason}`);
    this.name = 'AppendsStoppedError';
  }
}

interface TailEntry {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly batch: Buffer;
  /** Set once the entry is durable in the WAL: settles when its object commits (or is rejected). */
  committed?: Promise<void>;
}

/** A durable, not yet committed entry found in the WAL at start-up. */
export interface RecoveredEntry {
  /** The leader epoch it was written under: only a log opened under that epoch takes it over. */
  readonly leaderEpoch: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly batch: Buffer;
  /** Settles when the re-upload commits (or is rejected). */
  readonly committed: Promise<void>;
}

const MAX_EXTENTS_PER_READ = 4;
/** Most extents one read-ahead looks at (with the byte budget, whichever ends first). */
const READ_AHEAD_EXTENTS = 16;
/** Extents fetched per index call when scanning a whole partition. */
const SCAN_PAGE_EXTENTS = 256;

export class PartitionLog implements Evictable {
  readonly topicId: string;
  readonly partition: number;
  readonly key: string;
  /** Changeable while open (AlterConfigs): applies to appends from then on. */
  durability: Durability;
  leaderEpoch: number;
  private logAppendTime: boolean;
  private readonly deps: PartitionLogDeps;
  private nextOffset: number;
  private hw: number;
  private startOffset: number;
  /** Batches in offset order: uploaded ones first (evictable), then pending ones. */
  private entries: TailEntry[] = [];
  private waiters: { offset: number; resolve: () => void }[] = [];
  /** Offset after the last batch committed to the index (as far as this log knows). */
  private committedEnd = 0;
  private commitWaiters: { offset: number; resolve: (ok: boolean) => void }[] = [];
  private failure: Error | undefined;
  /** Set by suspend(). */
  private handedOver = false;
  /** Where a sequential reader of committed data reads next (-1: no committed read yet). */
  private nextCommittedRead = -1;
  /** Set by stopAppends(): appends reject with it until resumeAppends(). */
  private stopped: AppendsStoppedError | undefined;
  /** A read replica (openReplica): never takes appends; its high watermark is the index's committed end. */
  private replica = false;
  /** Appends that have offsets and are being written to the WAL (not yet handed to the uploader). */
  private walPending = 0;
  private walIdleWaiters: (() => void)[] = [];

  private constructor(config: PartitionLogConfig, deps: PartitionLogDeps, endOffset: number, highWatermark: number, logStartOffset: number) {
    this.topicId = config.topicId;
    this.partition = config.partition;
    this.key = partitionKey(config.topicId, config.partition);
    this.durability = config.durability;
    this.leaderEpoch = config.leaderEpoch;
    this.logAppendTime = config.logAppendTime ?? false;
    this.deps = deps;
    this.nextOffset = endOffset;
    this.hw = highWatermark;
    this.startOffset = logStartOffset;
  }

  /** Opens a partition after start-up, taking over the entries recovery found for it. */
  static async open(config: PartitionLogConfig, deps: PartitionLogDeps, recovered: readonly RecoveredEntry[]): Promise<PartitionLog> {
    const committedEnd = await deps.index.committedEndOffset(config);
    const logStart = await deps.index.logStartOffset(config);
    const last = recovered[recovered.length - 1];
    const end = Math.max(committedEnd, last === undefined ? 0 : last.lastOffset + 1);
    // Recovered entries are durable in the WAL: readable at once for local durability;
    // object durability waits for their re-upload to commit.
    const hw = config.durability === 'local' ? end : committedEnd;
    const log = new PartitionLog(config, deps, end, hw, logStart);
    log.committedEnd = committedEnd;
    for (const r of recovered) {
      const entry = { baseOffset: r.baseOffset, lastOffset: r.lastOffset, batch: r.batch };
      log.entries.push(entry);
      r.committed.then(
        () => log.onCommitted(entry),
        () => undefined,
      );
    }
    return log;
  }

  /**
   * A read-only view of a partition another broker leads (KIP-392 follower fetching): its
   * high watermark is the index's committed end — never the leader's uncommitted tail —
   * refreshed by syncCommittedEnd(). Reads go through the extents and the block cache like
   * any committed read; appends are refused. Not registered with the engine.
   */
  static async openReplica(tp: TopicPartition, deps: PartitionLogDeps): Promise<PartitionLog> {
    const committedEnd = await deps.index.committedEndOffset(tp);
    const logStart = await deps.index.logStartOffset(tp);
    const log = new PartitionLog({ topicId: tp.topicId, partition: tp.partition, leaderEpoch: -1, durability: 'object' }, deps, committedEnd, committedEnd, logStart);
    log.committedEnd = committedEnd;
    log.replica = true;
    log.stopped = new AppendsStoppedError(log.key, 'a read replica takes no appends');
    return log;
  }

  /** A read replica (openReplica). */
  get isReplica(): boolean {
    return this.replica;
  }

  /**
   * A read replica asks the index for the committed end now and moves its high watermark
   * there (waking long polls); returns the high watermark. Asked on every read round, so a
   * replica never answers with a stale end.
   */
  async syncCommittedEnd(): Promise<number> {
    if (!this.replica) throw new Error(`syncCommittedEnd: ${this.key} is not a read replica`);
    const end = await this.deps.index.committedEndOffset(this);
    if (end > this.committedEnd) {
      this.committedEnd = end;
      this.nextOffset = Math.max(this.nextOffset, end);
      this.advanceHw(end);
    }
    return this.hw;
  }

  get highWatermark(): number {
    return this.hw;
  }

  get logEndOffset(): number {
    return this.nextOffset;
  }

  /** Offset after the last batch committed to the index, as far as this log knows: what any broker can serve (KIP-392). */
  get committedEndOffset(): number {
    return this.committedEnd;
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  /** Handed over to a new log of the partition (suspend()); reopen it to go on. */
  get suspended(): boolean {
    return this.handedOver;
  }

  /**
   * Ends this log so that a new one can continue the partition (after the WAL's disk
   * filled up): appends are refused from now on, and the durable entries the index does
   * not hold yet are returned for the new log to take over, exactly as recovery hands
   * over entries found in the WAL at start-up. Entries that never became durable are
   * dropped: their offsets were never visible and are used again.
   */
  suspend(cause: Error): RecoveredEntry[] {
    this.handedOver = true;
    const handOver: RecoveredEntry[] = [];
    for (const e of this.entries) {
      if (e.committed !== undefined && e.lastOffset >= this.committedEnd) handOver.push({ leaderEpoch: this.leaderEpoch, baseOffset: e.baseOffset, lastOffset: e.lastOffset, batch: e.batch, committed: e.committed });
    }
    this.fail(cause);
    return handOver;
  }

  /** Marks the log unusable: later appends reject. Used when the WAL fails or leadership is lost. */
  fail(cause: unknown): void {
    if (this.failure === undefined) this.failure = new PartitionFailedError(this.key, cause);
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    // Nothing will be committed any more: whoever waits for a commit gets false now
    // instead of holding on (and its timer) until its own deadline.
    for (const w of this.commitWaiters) w.resolve(false);
    this.commitWaiters = [];
  }

  /** Whether appends are taken now (not failed, not stopped, not a replica). */
  get acceptingAppends(): boolean {
    return this.failure === undefined && this.stopped === undefined;
  }

  /**
   * Refuses appends from now on with AppendsStoppedError (appends still waiting for room
   * in the pending budget too); appends that already have offsets go on and become
   * durable. Graceful hand-over and self-fencing: see flushTail().
   */
  stopAppends(reason: string): void {
    this.stopped ??= new AppendsStoppedError(this.key, reason);
  }

  /** Takes appends again (a cancelled hand-over, a renewed lease). A read replica stays stopped. */
  resumeAppends(): void {
    if (!this.replica) this.stopped = undefined;
  }

  /**
   * Resolves true once every append that got an offset is durable and committed to the
   * index (hurrying the uploader): after stopAppends() this is the whole acknowledged
   * tail, so the partition can be handed to another broker. False when the log fails (a
   * commit was rejected, the WAL failed) or `signal` aborts first.
   */
  async flushTail(signal?: AbortSignal): Promise<boolean> {
    while (this.walPending > 0) {
      if (signal?.aborted || this.failure) return false;
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        this.walIdleWaiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    if (signal?.aborted || this.failure) return false;
    return this.committedThrough(this.nextOffset, signal);
  }

  private walAppendSettled(): void {
    this.walPending--;
    if (this.walPending > 0 || this.walIdleWaiters.length === 0) return;
    const waiters = this.walIdleWaiters;
    this.walIdleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Appends one validated batch (offsets are assigned here, in place). Resolves when the
   * batch is durable per the partition's durability mode.
   */
  append(batch: Buffer, info: AppendInfo): Promise<AppendResult> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.stopped) return Promise.reject(this.stopped);
    // Checked before anything is reserved or assigned: this append fails alone.
    if (batch.length > this.deps.maxBatchBytes) return Promise.reject(new BatchTooLargeError(batch.length, this.deps.maxBatchBytes));
    const walBytes = batch.length + WAL_ENTRY_HEADER_BYTES;
    // Reserve before assigning offsets: a full budget rejects cleanly, leaving no hole.
    // When there is room, offsets are assigned right here, synchronously, so appends get
    // offsets in exactly the order they were called (pipelined produce requests).
    if (this.deps.pending.tryReserve(walBytes)) return this.appendReserved(batch, info, walBytes);
    return this.deps.pending.reserve(walBytes, this.deps.appendWaitMs, this.key).then(() => {
      if (this.failure || this.stopped) {
        this.deps.pending.release(walBytes);
        throw this.failure ?? this.stopped;
      }
      return this.appendReserved(batch, info, walBytes);
    });
  }

  private async appendReserved(batch: Buffer, info: AppendInfo, walBytes: number): Promise<AppendResult> {
    const baseOffset = this.nextOffset;
    const lastOffset = baseOffset + info.lastOffsetDelta;
    this.nextOffset = lastOffset + 1;
    setBaseOffset(batch, 0, baseOffset);
    setPartitionLeaderEpoch(batch, 0, this.leaderEpoch);
    let logAppendTimeMs = -1;
    let maxTimestamp = info.maxTimestamp;
    if (this.logAppendTime) {
      logAppendTimeMs = this.deps.clock.nowMs();
      maxTimestamp = logAppendTimeMs;
      setLogAppendTime(batch, 0, logAppendTimeMs);
    }
    const entry: TailEntry = { baseOffset, lastOffset, batch };
    this.entries.push(entry);

    let seq: number;
    this.walPending++;
    try {
      seq = await this.deps.wal.append([encodeWalEntryHeader(this.topicId, this.partition, this.leaderEpoch, this.durability), batch]);
    } catch (e) {
      this.walAppendSettled();
      this.deps.pending.release(walBytes);
      const err = e instanceof Error ? e : new Error(String(e));
      // A full disk: the WAL refuses everything after its durable end; the engine hands
      // every partition over to a new log that continues after its durable entries, so
      // the offsets of the refused appends are used again and no hole is left.
      if (e instanceof WalError && e.code === 'no_space') {
        this.deps.onNoSpace(err);
        throw err;
      }
      // The WAL closing (shutdown) ends this log only. Anything else — a failed write or
      // fsync, or a limit the checks above should have kept us from — leaves an offset
      // assigned that is not durable, and later appends may already hold the offsets
      // after it: the engine fails every partition and the process must restart.
      if (!(e instanceof WalError && e.code === 'closed')) this.deps.onFatal(err);
      this.fail(err);
      throw this.failure;
    }
    const committed = this.deps.uploader.add({
      seq,
      topicId: this.topicId,
      partition: this.partition,
      leaderEpoch: this.leaderEpoch,
      baseOffset,
      lastOffset,
      maxTimestamp,
      batch,
      urgent: this.durability === 'object',
    });
    entry.committed = committed;
    this.walAppendSettled();
    const settled = committed.then(
      () => {
        this.deps.pending.release(walBytes);
        this.onCommitted(entry);
      },
      (e: unknown) => {
        this.deps.pending.release(walBytes);
        throw e;
      },
    );
    if (this.durability === 'local') {
      settled.catch((e: unknown) => this.fail(e));
      this.advanceHw(lastOffset + 1);
    } else {
      try {
        await settled;
      } catch (e) {
        this.fail(e);
        throw this.failure;
      }
    }
    return { baseOffset, lastOffset, logAppendTimeMs, logStartOffset: this.startOffset };
  }

  /**
   * Moves the log end up to `offset` (when it is below) by appending an empty batch that
   * spans the offsets in between — Kafka's log cleaner leaves such batches too, and
   * consumers skip to their end — so those offsets are never handed out again. Resolves
   * once the batch is durable like any append.
   */
  async skipTo(offset: number, nowMs: number): Promise<void> {
    const span = offset - this.nextOffset;
    if (span <= 0) return;
    const gap = buildRecordBatch({ records: [], lastOffsetDelta: span - 1, baseTimestamp: nowMs });
    await this.append(gap, { lastOffsetDelta: span - 1, maxTimestamp: nowMs });
  }

  /**
   * Applies changed topic settings to later appends. Safe in both directions: committed
   * data is durable whatever the mode, so commits always advance the high watermark, and
   * in local mode the WAL fsync of each later append does.
   */
  configure(settings: { durability: Durability; logAppendTime: boolean }): void {
    this.durability = settings.durability;
    this.logAppendTime = settings.logAppendTime;
  }

  private onCommitted(entry: TailEntry): void {
    this.advanceHw(entry.lastOffset + 1);
    if (entry.lastOffset + 1 > this.committedEnd) {
      this.committedEnd = entry.lastOffset + 1;
      if (this.commitWaiters.length > 0) {
        const still = this.commitWaiters.filter((w) => w.offset > this.committedEnd);
        for (const w of this.commitWaiters) if (w.offset <= this.committedEnd) w.resolve(true);
        this.commitWaiters = still;
      }
    }
    this.deps.tail.track(this, entry.baseOffset, entry.batch.length);
  }

  evictThrough(baseOffset: number): void {
    let n = 0;
    while (n < this.entries.length && this.entries[n]!.baseOffset <= baseOffset) n++;
    if (n > 0) this.entries.splice(0, n);
  }

  private advanceHw(offset: number): void {
    if (offset <= this.hw) return;
    this.hw = offset;
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.offset < offset) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Resolves once data at or after `offset` is readable (hw > offset), or the signal aborts. */
  waitForData(offset: number, signal: AbortSignal): Promise<void> {
    if (this.hw > offset || this.failure || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter = { offset, resolve };
      this.waiters.push(waiter);
      signal.addEventListener(
        'abort',
        () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve();
        },
        { once: true },
      );
    });
  }

  /**
   * Whole batches from the one containing `offset`, up to `maxBytes` — but always at
   * least one batch when any is readable (KIP-74), and never past the high watermark.
   */
  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    const hw = this.hw;
    const start = this.startOffset;
    if (offset < start || offset > hw) return { ok: false, error: 'offset_out_of_range', highWatermark: hw, logStartOffset: start };
    if (offset === hw) return { ok: true, batches: [], bytes: 0, highWatermark: hw, logStartOffset: start };
    const first = this.entries[0];
    const batches: Buffer[] = [];
    let bytes = 0;
    if (first !== undefined && offset >= first.baseOffset) {
      let i = this.findEntry(offset);
      for (; i < this.entries.length; i++) {
        const e = this.entries[i]!;
        if (e.baseOffset >= hw) break;
        if (batches.length > 0 && bytes + e.batch.length > maxBytes) break;
        batches.push(e.batch);
        bytes += e.batch.length;
      }
    } else {
      bytes = await this.readCommitted(offset, maxBytes, hw, batches);
      // Nothing at the offset in the index: retention may have moved the log start since
      // this log last looked. Out of range, so the consumer resets instead of polling
      // empty answers forever.
      const firstBatch = batches[0];
      if ((firstBatch === undefined || readInt64(firstBatch, 0) > offset) && offset < (await this.syncLogStart())) {
        return { ok: false, error: 'offset_out_of_range', highWatermark: hw, logStartOffset: this.startOffset };
      }
    }
    return { ok: true, batches, bytes, highWatermark: hw, logStartOffset: this.startOffset };
  }

  private findEntry(offset: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private async readCommitted(offset: number, maxBytes: number, hw: number, out: Buffer[]): Promise<number> {
    const extents = await this.deps.index.extentsFrom(this, offset, MAX_EXTENTS_PER_READ);
    // Every extent this read is expected to need is requested at once, so GETs of
    // consecutive objects overlap instead of following each other.
    const needed = extentsFor(extents, offset, maxBytes);
    const reads = needed.map((e) => this.readExtent(e));
    for (const r of reads) r.catch(() => undefined); // awaited below in order; one that is not needed must not go unhandled
    let bytes = 0;
    let next = offset;
    outer: for (let i = 0; i < extents.length; i++) {
      const cursor = new BatchChunkCursor(await (reads[i] ?? this.readExtent(extents[i]!)));
      // Batch headers only: the batches go out as they are, views of the cached blocks.
      for (let b = cursor.peek(); b !== undefined; b = cursor.peek()) {
        if (b.baseOffset >= hw) break outer;
        if (b.lastOffset < offset) {
          cursor.skip(b.size);
          continue;
        }
        if (out.length > 0 && bytes + b.size > maxBytes) break outer;
        out.push(cursor.take(b.size));
        bytes += b.size;
        next = b.lastOffset + 1;
      }
      if (bytes >= maxBytes) break;
    }
    if (this.nextCommittedRead < 0 || offset === this.nextCommittedRead) this.readAhead(next);
    this.nextCommittedRead = next;
    return bytes;
  }

  private readExtent(e: Extent): Promise<readonly Buffer[]> {
    const reader = this.deps.reader;
    if (reader.readChunks !== undefined) return reader.readChunks(e.objectKey, e.position, e.length, e.objectSize, this.key);
    return reader.read(e.objectKey, e.position, e.length, e.objectSize, this.key).then((data) => [data]);
  }

  /**
   * A sequential reader of committed data (a consumer catching up) will want the extents
   * after `offset` next: start loading up to readAheadBytes of them, so that its next
   * fetches find them in the block cache instead of waiting for GETs. Blocks already
   * cached or loading cost nothing; the block cache bounds the GETs in flight.
   */
  private readAhead(offset: number): void {
    const prefetch = this.deps.reader.prefetch;
    if (prefetch === undefined || this.deps.readAheadBytes <= 0 || offset >= this.committedEnd) return;
    this.deps.index.extentsFrom(this, offset, READ_AHEAD_EXTENTS).then(
      (extents) => {
        let bytes = 0;
        for (const e of extents) {
          if (bytes >= this.deps.readAheadBytes) break;
          prefetch.call(this.deps.reader, e.objectKey, e.position, e.length, e.objectSize);
          bytes += e.length;
        }
      },
      () => undefined, // read-ahead is best effort: the demand read reports index errors
    );
  }

  /**
   * Moves the log start offset forward (DeleteRecords, retention), never back and never
   * past the high watermark. Reads below it become out of range.
   */
  advanceLogStart(offset: number): void {
    this.startOffset = Math.max(this.startOffset, Math.min(offset, this.hw));
  }

  /**
   * Resolves true once everything below `offset` is committed to the index (hurrying the
   * uploader), false if `signal` aborts first or the log fails. DeleteRecords waits on it:
   * the index can only move a log start over data it holds.
   */
  committedThrough(offset: number, signal?: AbortSignal): Promise<boolean> {
    if (offset <= this.committedEnd) return Promise.resolve(true);
    if (signal?.aborted || this.failure) return Promise.resolve(false);
    this.deps.uploader.hurry();
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => {
        this.commitWaiters = this.commitWaiters.filter((w) => w !== waiter);
        resolve(false);
      };
      const waiter = {
        offset,
        resolve: (ok: boolean) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(ok);
        },
      };
      this.commitWaiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Takes the index's log start (retention moves it in the controller), never moving back. */
  async syncLogStart(): Promise<number> {
    this.advanceLogStart(await this.deps.index.logStartOffset(this));
    return this.startOffset;
  }

  /** Batches held in memory (recovered and recent), oldest first: producer state is rebuilt from them. */
  tailBatches(): readonly Buffer[] {
    return this.entries.map((e) => e.batch);
  }

  /** Every readable batch from the log start to the high watermark, committed ones first. */
  private async *scan(): AsyncGenerator<BatchView> {
    const hw = this.hw;
    let offset = this.startOffset;
    const tailStart = this.entries[0]?.baseOffset ?? hw;
    while (offset < Math.min(tailStart, hw)) {
      const extents = await this.deps.index.extentsFrom(this, offset, SCAN_PAGE_EXTENTS);
      if (extents.length === 0) break;
      for (const e of extents) {
        const data = await this.deps.reader.read(e.objectKey, e.position, e.length, e.objectSize, this.key);
        for (const b of batchesIn(data)) {
          if (b.baseOffset >= Math.min(tailStart, hw)) return yield* this.scanTail(hw);
          if (b.lastOffset >= offset) yield b;
        }
        offset = e.lastOffset + 1;
      }
    }
    yield* this.scanTail(hw);
  }

  private *scanTail(hw: number): Generator<BatchView> {
    for (const e of this.entries) {
      if (e.baseOffset >= hw) return;
      if (e.lastOffset < this.startOffset) continue;
      yield* batchesIn(e.batch);
    }
  }

  /** ListOffsets by timestamp: the first offset whose record timestamp is >= `timestamp`. */
  async offsetForTimestamp(timestamp: number): Promise<TimestampAndOffset | undefined> {
    const start = this.startOffset;
    for await (const b of this.scan()) {
      if (b.maxTimestamp < timestamp) continue;
      const found = firstRecordAtOrAfter(b, timestamp, start);
      if (found !== undefined) return found;
      // A batch that did not decode (corrupt, or a bomb over the limit) cost real CPU:
      // let other requests run before trying the next one.
      await new Promise((r) => setImmediate(r));
    }
    return undefined;
  }

  /** ListOffsets MAX_TIMESTAMP (-3): the first record carrying the largest timestamp. */
  async maxTimestamp(): Promise<TimestampAndOffset | undefined> {
    let best: BatchView | undefined;
    for await (const b of this.scan()) if (best === undefined || b.maxTimestamp > best.maxTimestamp) best = b;
    return best === undefined ? undefined : maxTimestampRecord(best, this.startOffset);
  }

  /**
   * OffsetForLeaderEpoch: the end offset of `epoch` — the first offset written under a
   * later epoch, or the log end offset when `epoch` is the latest one seen — with the
   * largest epoch <= `epoch` that has data (Kafka's rule). Undefined for a negative epoch.
   */
  async endOffsetForEpoch(epoch: number): Promise<{ epoch: number; endOffset: number } | undefined> {
    if (epoch < 0) return undefined;
    if (epoch >= this.leaderEpoch) return { epoch: this.leaderEpoch, endOffset: this.nextOffset };
    let found: number | undefined;
    for await (const b of this.scan()) {
      if (b.leaderEpoch <= epoch) found = b.leaderEpoch;
      // An epoch older than all remaining data ends where the next epoch's data begins
      // (Kafka's LeaderEpochFileCache): not "unknown", which clients read as truncation.
      else return found === undefined ? { epoch, endOffset: Math.max(b.baseOffset, this.startOffset) } : { epoch: found, endOffset: b.baseOffset };
    }
    return { epoch: found ?? epoch, endOffset: this.nextOffset };
  }
}

/**
 * The leading extents a read of `maxBytes` from `offset` is expected to touch: at least
 * one, then more while the bytes at or after `offset` (estimated by offset share for
 * the first extent, which may start before it) stay below maxBytes.
 */
function extentsFor(extents: readonly Extent[], offset: number, maxBytes: number): readonly Extent[] {
  let bytes = 0;
  let n = 0;
  while (n < extents.length && (n === 0 || bytes < maxBytes)) {
    const e = extents[n++]!;
    const share = e.baseOffset >= offset ? 1 : (e.lastOffset - offset + 1) / (e.lastOffset - e.baseOffset + 1);
    bytes += e.length * Math.max(0, share);
  }
  return extents.slice(0, n);
}
