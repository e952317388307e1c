// The storage engine of one broker: opens the WAL (recovering what was durable), starts
// the uploader, and opens partition logs on demand. It is the only place that knows how
// the pieces are wired; the broker sees PartitionLogs.
//
// Start-up recovery: every WAL entry is replayed once. Entries the partition index has
// already committed (a crash between commit and WAL trim) are skipped; the rest are
// queued for upload again, under the leader epoch they were written with — if
// leadership moved meanwhile the index fences them, as it must. Partition logs opened
// later take over their recovered entries as their in-memory tail.

import type { ObjectStore } from '@stratus/objectstore';
import type { Clock, Random } from '@stratus/runtime';
import type { WriteAheadLog } from '@stratus/wal';
import { readInt64 } from '@stratus/protocol';
import { partitionKey, DEFAULT_PENDING_BYTES, maxBatchBytes } from '@stratus/partition-index';
import type { ExtentCommitter, ExtentSource, TopicPartition } from '@stratus/partition-index';
import { ByteBudget } from './log/byte-budget.ts';
import { PartitionLog } from './log/partition-log.ts';
import type { ExtentReader, PartitionLogConfig, PartitionLogDeps, RecoveredEntry } from './log/partition-log.ts';
import { TailCache } from './log/tail-cache.ts';
import { Uploader } from './log/uploader.ts';
import type { UploaderOptions } from './log/uploader.ts';
import { decodeWalEntry, WAL_ENTRY_HEADER_BYTES } from './log/wal-entry.ts';

export interface StorageEngineOptions {
  readonly wal: WriteAheadLog;
  readonly store: ObjectStore;
  /** The partition index: commits extents and answers where committed data lies. */
  readonly index: ExtentCommitter & ExtentSource;
  readonly reader: ExtentReader;
  readonly clock: Clock;
  readonly random: Random;
  readonly nodeId: number;
  readonly keyPrefix: string;
  /** Appended but not yet uploaded bytes, all partitions together (default 256 MiB). Also caps the largest batch (limits.ts). */
  readonly pendingBytes?: number;
  /** Uploaded batches kept in memory for tailing readers (default 128 MiB). */
  readonly tailBytes?: number;
  /** How long a produce waits for room in pendingBytes (default 5000 ms). */
  readonly appendWaitMs?: number;
  /** Committed bytes loaded ahead of each sequential reader of a partition (default 4 MiB; 0 turns read-ahead off). */
  readonly readAheadBytes?: number;
  readonly upload?: Pick<UploaderOptions, 'maxObjectBytes' | 'maxObjectExtents' | 'maxObjectProducerBatches' | 'maxDelayMs' | 'urgentDelayMs' | 'maxConcurrentUploads' | 'retryBaseDelayMs' | 'retryMaxDelayMs' | 'onUploaded'>;
  readonly onError?: (error: unknown, context: string) => void;
  /**
   * WAL records the WAL's recovery set aside (quarantine after damage; @stratus/wal
   * readQuarantine). Their offsets may have been served to consumers already, so every
   * partition they name continues after the highest of them: the offsets in between are
   * covered by an empty batch and never handed out again.
   */
  readonly setAside?: AsyncIterable<{ readonly payload: Buffer }>;
  /** Keeps acknowledged local-durability batches whose commit was rejected before the WAL is trimmed past them (rejectedBatchFiles). */
  readonly keepRejected?: UploaderOptions['keepRejected'];
  /** After the WAL's disk filled up, how long before writing is tried again (default 1 s). */
  readonly noSpaceRetryMs?: number;
  /**
   * A fatal storage failure (the WAL cannot write): every partition has failed and only a
   * restart recovers. Called once; the process should become unready and exit non-zero.
   */
  readonly onFatal?: (error: Error) => void;
}

/** How long the WAL rests after its disk filled up before it tries to write again. */
const DEFAULT_NO_SPACE_RETRY_MS = 1_000;

/** How long after an append gave up waiting for room the engine still reports it cannot take writes. */
const REFUSED_RECENTLY_MS = 5_000;

export interface RecoverySummary {
  readonly replayedEntries: number;
  /** Entries already committed before the crash (not uploaded again). */
  readonly skippedEntries: number;
  readonly requeuedEntries: number;
  readonly requeuedBytes: number;
}

export class StorageEngine {
  readonly uploader: Uploader;
  readonly pending: ByteBudget;
  readonly tail: TailCache;
  readonly recovery: RecoverySummary;
  /** Largest record batch a partition log accepts (limits.ts). */
  readonly maxBatchBytes: number;
  private readonly o: StorageEngineOptions;
  private readonly recovered = new Map<string, RecoveredEntry[]>();
  /** Per partition: the offset after the highest one in set-aside WAL records. */
  private readonly resumeAfterSetAside = new Map<string, number>();
  private readonly logs = new Map<string, PartitionLog>();
  private fatal: Error | undefined;
  /** Set while the WAL's disk is full (until the WAL is resumed). */
  private noSpace: Error | undefined;

  private constructor(o: StorageEngineOptions, uploader: Uploader, pending: ByteBudget, tail: TailCache, recovery: RecoverySummary) {
    this.o = o;
    this.uploader = uploader;
    this.pending = pending;
    this.tail = tail;
    this.recovery = recovery;
    this.maxBatchBytes = maxBatchBytes({ walMaxRecordBytes: o.wal.maxRecordBytes, pendingBytes: pending.capacityBytes });
  }

  static async open(o: StorageEngineOptions): Promise<StorageEngine> {
    const pending = new ByteBudget(o.pendingBytes ?? DEFAULT_PENDING_BYTES, o.clock);
    const tail = new TailCache(o.tailBytes ?? 128 * 1024 * 1024);
    const uploader = new Uploader({
      ...o.upload,
      store: o.store,
      committer: o.index,
      trim: (upTo) => o.wal.trim(upTo),
      clock: o.clock,
      random: o.random,
      nodeId: o.nodeId,
      keyPrefix: o.keyPrefix,
      ...(o.onError ? { onError: o.onError } : {}),
      ...(o.keepRejected ? { keepRejected: o.keepRejected } : {}),
    });
    const recovered = new Map<string, RecoveredEntry[]>();
    const committedEnds = new Map<string, number>();
    let replayed = 0;
    let skipped = 0;
    let requeuedBytes = 0;
    let firstRequeuedSeq: number | undefined;
    let lastSeq = -1;
    for await (const record of o.wal.replay()) {
      replayed++;
      lastSeq = record.seq;
      const entry = decodeWalEntry(record.data);
      const tp = { topicId: entry.topicId, partition: entry.partition };
      const key = partitionKey(entry.topicId, entry.partition);
      let committedEnd = committedEnds.get(key);
      if (committedEnd === undefined) committedEnds.set(key, (committedEnd = await o.index.committedEndOffset(tp)));
      const baseOffset = readInt64(entry.batch, 0);
      const lastOffset = baseOffset + entry.batch.readInt32BE(23);
      if (lastOffset < committedEnd) {
        skipped++;
        continue;
      }
      firstRequeuedSeq ??= record.seq;
      const bytes = entry.batch.length + WAL_ENTRY_HEADER_BYTES;
      requeuedBytes += bytes;
      // Recovered data is already on disk: account for it without waiting.
      await pending.reserve(Math.min(bytes, pending.capacityBytes), 0).catch(() => undefined);
      const committed = uploader.add({
        seq: record.seq,
        topicId: entry.topicId,
        partition: entry.partition,
        leaderEpoch: entry.leaderEpoch,
        baseOffset,
        lastOffset,
        maxTimestamp: readInt64(entry.batch, 35),
        batch: entry.batch,
        urgent: entry.durability === 'object',
      });
      committed.then(
        () => pending.release(bytes),
        () => pending.release(bytes),
      );
      let list = recovered.get(key);
      if (list === undefined) recovered.set(key, (list = []));
      list.push({ leaderEpoch: entry.leaderEpoch, baseOffset, lastOffset, batch: entry.batch, committed });
    }
    // Everything before the first entry that still needs uploading is committed already.
    await o.wal.trim(firstRequeuedSeq ?? lastSeq + 1);
    const summary: RecoverySummary = { replayedEntries: replayed, skippedEntries: skipped, requeuedEntries: replayed - skipped, requeuedBytes };
    const engine = new StorageEngine(o, uploader, pending, tail, summary);
    for (const [k, v] of recovered) engine.recovered.set(k, v);
    for await (const record of o.setAside ?? []) {
      const entry = decodeWalEntry(record.payload);
      const end = readInt64(entry.batch, 0) + entry.batch.readInt32BE(23) + 1;
      const key = partitionKey(entry.topicId, entry.partition);
      if (end > (engine.resumeAfterSetAside.get(key) ?? 0)) engine.resumeAfterSetAside.set(key, end);
    }
    uploader.start();
    return engine;
  }

  /**
   * Why appends cannot be taken now, or undefined when they can: the WAL failed (fatal),
   * or the budget of un-uploaded bytes is used up (the object store is behind or down;
   * appends wait, then fail with a retriable error).
   */
  writeProblem(): string | undefined {
    if (this.fatal) return `the write-ahead log failed: ${this.fatal.message}`;
    if (this.noSpace) return `the write-ahead log's disk is full: ${this.noSpace.message}`;
    // Appends wait for room now, or one gave up lately: the object store is behind.
    if (this.pending.waitingCount > 0 || this.pending.refusedWithin(REFUSED_RECENTLY_MS)) {
      return `${this.pending.usedBytes} of ${this.pending.capacityBytes} bytes (storage.pendingBytes) wait for upload and appends wait for room: the object store is behind or unreachable`;
    }
    return undefined;
  }

  private logDeps(): PartitionLogDeps {
    return {
      wal: this.o.wal,
      uploader: this.uploader,
      index: this.o.index,
      reader: this.o.reader,
      pending: this.pending,
      tail: this.tail,
      clock: this.o.clock,
      appendWaitMs: this.o.appendWaitMs ?? 5000,
      readAheadBytes: this.o.readAheadBytes ?? 4 * 1024 * 1024,
      maxBatchBytes: this.maxBatchBytes,
      onFatal: (e) => this.failAll(e),
      onNoSpace: (e) => this.suspendAll(e),
    };
  }

  /**
   * A read-only view of the committed data of a partition another broker leads (KIP-392
   * follower fetching; PartitionLog.openReplica). Not registered: the caller keeps it
   * (and its read-ahead state) as long as it likes and drops it when done.
   */
  openReplica(tp: TopicPartition): Promise<PartitionLog> {
    return PartitionLog.openReplica(tp, this.logDeps());
  }

  /** Opens (or returns the open) log of a partition this broker leads. */
  async openPartition(config: PartitionLogConfig): Promise<PartitionLog> {
    if (this.fatal) throw this.fatal;
    if (this.noSpace) throw this.noSpace;
    const key = partitionKey(config.topicId, config.partition);
    const open = this.logs.get(key);
    if (open !== undefined) return open;
    const log = await PartitionLog.open(config, this.logDeps(), this.takeRecovered(key, config));
    this.recovered.delete(key);
    this.logs.set(key, log);
    const resumeAt = this.resumeAfterSetAside.get(key);
    if (resumeAt !== undefined) {
      // Offsets set-aside records held may have been served: cover them before any other
      // append. Should that fail, the log fails (a restart reads the quarantine again).
      try {
        await log.skipTo(resumeAt, this.o.clock.nowMs());
      } catch (e) {
        log.fail(e);
        throw e;
      }
      this.resumeAfterSetAside.delete(key);
    }
    return log;
  }

  /**
   * The recovered entries a log opened under `config.leaderEpoch` takes over as its tail:
   * those written under that same epoch. Entries of an older epoch belong to an earlier
   * leadership of this broker that ended meanwhile (the partition moved away, maybe back):
   * the index fences their commits, and another leader may have written other records at
   * their offsets, so serving them from the tail would show records that are not in the
   * log. They stay queued for upload (a rejected local entry is kept by keepRejected).
   */
  private takeRecovered(key: string, config: PartitionLogConfig): RecoveredEntry[] {
    const all = this.recovered.get(key) ?? [];
    const current = all.filter((r) => r.leaderEpoch === config.leaderEpoch);
    if (current.length < all.length) {
      this.o.onError?.(
        new Error(`${all.length - current.length} recovered WAL entries of ${key} were written under an older leader epoch than ${config.leaderEpoch}: not served`),
        'opening a partition',
      );
    }
    return current;
  }

  /** Stops serving a partition (leadership moved): its log fails and is forgotten. */
  closePartition(topicId: string, partition: number, reason: string): void {
    const key = partitionKey(topicId, partition);
    this.logs.get(key)?.fail(new Error(reason));
    this.logs.delete(key);
  }

  /** Partition logs open now (for metrics: one per partition this broker leads and has used). */
  get openPartitions(): number {
    return this.logs.size;
  }

  partition(topicId: string, partition: number): PartitionLog | undefined {
    return this.logs.get(partitionKey(topicId, partition));
  }

  /**
   * The WAL's disk is full: every open partition hands over to a new log (suspend()) —
   * opened by the next request, continuing after its durable entries — and the WAL takes
   * appends again after `noSpaceRetryMs`; while the disk stays full, the next write pauses
   * it again. Clients get retriable errors meanwhile; nothing durable is lost and no
   * offset is skipped.
   */
  private suspendAll(error: Error): void {
    if (this.noSpace !== undefined || this.fatal !== undefined) return;
    this.noSpace = error;
    this.o.onError?.(error, 'the WAL disk is full; partitions reopen once it takes writes again');
    for (const [key, log] of this.logs) {
      const handOver = log.suspend(error);
      if (handOver.length > 0) this.recovered.set(key, handOver);
    }
    this.logs.clear();
    void this.o.clock.sleep(this.o.noSpaceRetryMs ?? DEFAULT_NO_SPACE_RETRY_MS).then(() => {
      if (this.fatal !== undefined) return;
      this.noSpace = undefined;
      this.o.wal.resume();
    });
  }

  /** A WAL failure: every partition stops taking writes; the process should restart and recover. */
  private failAll(error: Error): void {
    if (this.fatal) return;
    this.fatal = error;
    if (this.o.onFatal) this.o.onFatal(error);
    else this.o.onError?.(error, 'wal failed; partitions are unavailable until restart');
    for (const log of this.logs.values()) log.fail(error);
  }

  /**
   * Graceful: uploads and commits everything durable, then closes the WAL (a restart then
   * has nothing to replay). Without flush — or once `flushTimeoutMs` has passed with the
   * object store still unreachable — un-uploaded data stays in the WAL for recovery.
   */
  async close(options: { flush: boolean; flushTimeoutMs?: number }): Promise<void> {
    const flush = options.flush && this.fatal === undefined;
    await this.uploader.stop(flush && options.flushTimeoutMs !== undefined ? { flush, flushTimeoutMs: options.flushTimeoutMs } : { flush });
    await this.o.wal.close();
    // Open partitions take no more appends; their waiters (long polls, DeleteRecords
    // waiting for a commit) are answered now rather than at their own deadlines.
    const closed = new Error('the storage engine is closed');
    for (const log of this.logs.values()) log.fail(closed);
  }
}
