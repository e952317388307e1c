// Drains durable WAL entries of all partitions into stream-set objects. One object per
// flush, whatever the number of partitions, so PUT cost tracks bytes, not partitions.
//
// Order of operations for each object, and why:
//   1. PUT the object (retried with backoff while the store is down; new data keeps
//      queueing, bounded by the engine's byte budget and the WAL's capacity).
//   2. Commit its extents to the partition index (retried; the committer is idempotent
//      per object key, so a lost answer is safe to retry), with the idempotent-producer
//      batches found in the object's batch headers, so producer state survives the WAL.
//   3. Resolve the entries' waiters (object-durability produces are acknowledged here).
//   4. Trim the WAL below the last entry of the object. Never before the commit: until
//      then the WAL is the only durable copy the cluster knows about.
// Entries are taken in WAL sequence order, so trimming below the last uploaded entry
// never drops data that is still waiting. An idle uploader makes no requests at all.
//
// An object is cut by bytes, by the partitions it holds (one extent each) and by the
// producer batches it carries, so its commit stays within the committer's limits. A
// commit the committer refuses for good (CommitRefusedError) is not retried as it is:
// the object's entries are split in two and uploaded again as smaller objects, down to a
// single entry, which then fails alone — its partition's log fails and its clients get
// errors — while everything else keeps uploading. The refused object is an orphan that
// nothing references (collected by the orphan sweep).

import type { ObjectStore } from '@stratus/objectstore';
import { ObjectStoreError } from '@stratus/objectstore';
import { CANCELLED, currentTracing } from '@stratus/runtime';
import type { Clock, Random, Tracing } from '@stratus/runtime';
import { CommitRefusedError, CommitTooLateError, partitionKey, producerBatchesOf, streamSetObjectKey } from '@stratus/partition-index';
import type { CommitRejection, Extent, ExtentCommitter, ObjectCommit } from '@stratus/partition-index';
import { PRODUCER_ID_OFFSET, readInt64 } from '@stratus/protocol';
import { buildStreamSet } from '@stratus/stream-set';

export interface UploadEntry {
  /** WAL sequence number of the entry. */
  readonly seq: number;
  readonly topicId: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly batch: Buffer;
  /** A producer waits for the commit (object durability): flush soon. */
  readonly urgent: boolean;
}

export class CommitRejectedError extends Error {
  readonly reason: CommitRejection;
  constructor(reason: CommitRejection, detail: string) {
    super(`commit rejected (${reason}): ${detail}`);
    this.name = 'CommitRejectedError';
    this.reason = reason;
  }
}

export class UploaderStoppedError extends Error {
  constructor() {
    super('uploader stopped before the entry was committed; it stays in the WAL');
    this.name = 'UploaderStoppedError';
  }
}

export interface UploaderOptions {
  readonly store: ObjectStore;
  readonly committer: ExtentCommitter;
  /** Releases WAL records below `upToSeq` (exclusive). */
  readonly trim: (upToSeq: number) => Promise<void>;
  readonly clock: Clock;
  readonly random: Random;
  readonly nodeId: number;
  /** Key prefix inside the store (after the spreading hash), e.g. a cluster name. */
  readonly keyPrefix: string;
  /** Flush when this many bytes wait (default 8 MiB). */
  readonly maxObjectBytes?: number;
  /** Most partitions (extents) in one object; must not exceed the committer's maxExtentsPerCommit (default 4,096). */
  readonly maxObjectExtents?: number;
  /** Most idempotent-producer batches in one object; within the committer's maxProducerBatchesPerCommit (default 4,096). */
  readonly maxObjectProducerBatches?: number;
  /** Flush when the oldest entry has waited this long (default 500 ms). */
  readonly maxDelayMs?: number;
  /** Same, when an object-durability producer waits (default 20 ms). */
  readonly urgentDelayMs?: number;
  /**
   * Objects between the start of their PUT and the end of their commit at once (default 1:
   * one after the other). With more, the next object's PUT starts while earlier ones are
   * still in flight, so data that is due (an object-durability producer waiting) does not
   * queue behind a PUT's latency; commits still happen one at a time in queue order, which
   * keeps each partition's extents contiguous and the WAL trimmed in order. The price is
   * smaller objects: measured with 30-80 ms PUTs and urgent data every 2 ms, 2 and 4 cut
   * p50/p99 by 10-25 % but made 1.8x and 3x the PUTs (docs/performance.md), hence off by default.
   */
  readonly maxConcurrentUploads?: number;
  readonly retryBaseDelayMs?: number;
  readonly retryMaxDelayMs?: number;
  /** Called after a commit with the committed entries and their extents. */
  readonly onCommitted?: (entries: readonly UploadEntry[], extents: readonly Extent[]) => void;
  /** Called once per object committed, with its size and timings (for metrics; must be cheap and must not throw). */
  readonly onUploaded?: (upload: UploadTimings) => void;
  /** Called for failures that are retried or worked around (for logs and metrics). */
  readonly onError?: (error: unknown, context: string) => void;
  /**
   * Keeps, durably and outside the WAL, local-durability entries whose commit was
   * rejected or refused: they were acknowledged (WAL fsync), no object will hold them, and
   * the WAL is about to be trimmed past them. Until it succeeds the WAL is not trimmed past
   * them (retried at every later upload). Absent: nothing is kept (tests).
   */
  readonly keepRejected?: (entries: readonly UploadEntry[], reason: string) => Promise<void>;
}

/**
 * Times one object's entries are written again under a fresh key after CommitTooLateError
 * (a commit held up past the controller's window) before being split like any refusal:
 * more in a row means the clocks disagree, not a slow commit.
 */
const MAX_LATE_REWRITES = 3;

/** Bytes a batch needs for its producer id to be read. */
const PRODUCER_ID_END = PRODUCER_ID_OFFSET + 8;

interface Queued {
  readonly entry: UploadEntry;
  readonly addedAtMs: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** One object uploaded and committed: what the uploader's metrics observe. */
export interface UploadTimings {
  readonly bytes: number;
  readonly entries: number;
  /** The PUT, retries included. */
  readonly putMs: number;
  /** From the PUT's start to the commit's end (waiting for earlier objects' commits included). */
  readonly uploadMs: number;
  /** From the oldest entry's arrival in the queue to the commit's end: how long data waited to be object-durable. */
  readonly oldestEntryMs: number;
}

export interface UploaderStats {
  objects: number;
  bytes: number;
  putAttempts: number;
  commitAttempts: number;
  rejectedEntries: number;
  /** Commits refused for good (each split its object, or failed its one entry). */
  refusedCommits: number;
}

export class Uploader {
  private readonly o: Required<Omit<UploaderOptions, 'onCommitted' | 'onUploaded' | 'onError' | 'keepRejected'>> & Pick<UploaderOptions, 'onCommitted' | 'onUploaded' | 'onError' | 'keepRejected'>;
  /** Rejected local entries not yet kept (keepRejected failed): the WAL is not trimmed past the first. */
  private unkept: { entries: UploadEntry[]; reason: string }[] = [];
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private urgentCount = 0;
  private lastSeq = -1;
  /** Entries up to this seq are flushed at the urgent delay (hurry()). */
  private hurriedThroughSeq = -1;
  /** Entries in objects being uploaded, and those objects. */
  private inFlight = 0;
  private inFlightObjects = 0;
  /** Settles when the last started object's upload (its commit included) ended: the next commit waits for it. */
  private commitChain: Promise<void> = Promise.resolve();
  private readonly uploads = new Set<Promise<void>>();
  private objectSeq = 0;
  private wake: AbortController | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private flushOnStop = false;
  private readonly stopSignal = new AbortController();
  /** Read once: undefined (tracing off) costs a comparison per object. */
  private readonly tracing: Tracing | undefined = currentTracing();
  readonly stats: UploaderStats = { objects: 0, bytes: 0, putAttempts: 0, commitAttempts: 0, rejectedEntries: 0, refusedCommits: 0 };

  constructor(options: UploaderOptions) {
    this.o = {
      maxObjectBytes: 8 * 1024 * 1024,
      maxObjectExtents: 4096,
      maxObjectProducerBatches: 4096,
      maxDelayMs: 500,
      urgentDelayMs: 20,
      maxConcurrentUploads: 1,
      retryBaseDelayMs: 50,
      retryMaxDelayMs: 5000,
      ...options,
    };
    if (!(this.o.maxObjectBytes > 0)) throw new RangeError('maxObjectBytes must be positive');
    if (!(this.o.maxObjectExtents >= 1) || !(this.o.maxObjectProducerBatches >= 1)) throw new RangeError('maxObjectExtents and maxObjectProducerBatches must be at least 1');
    if (!(this.o.maxDelayMs >= 0) || !(this.o.urgentDelayMs >= 0)) throw new RangeError('upload delays must not be negative');
    if (!Number.isSafeInteger(this.o.maxConcurrentUploads) || this.o.maxConcurrentUploads < 1) throw new RangeError(`maxConcurrentUploads must be a positive integer, got ${this.o.maxConcurrentUploads}`);
  }

  /** Bytes queued for upload (not counting the object being uploaded). */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** Entries not yet committed: queued plus those in the object being uploaded. */
  get pendingEntries(): number {
    return this.queue.length + this.inFlight;
  }

  /** Queues a durable entry; resolves once its extent is committed. Entries must come in WAL order. */
  add(entry: UploadEntry): Promise<void> {
    if (this.stopping) return Promise.reject(new UploaderStoppedError());
    if (entry.seq <= this.lastSeq) return Promise.reject(new Error(`entry seq ${entry.seq} is not after ${this.lastSeq}`));
    this.lastSeq = entry.seq;
    return new Promise<void>((resolve, reject) => {
      const wasEmpty = this.queue.length === 0;
      const wasUrgent = this.urgentCount > 0;
      const wasFull = this.queuedBytes >= this.o.maxObjectBytes;
      this.queue.push({ entry, addedAtMs: this.o.clock.monotonicMs(), resolve, reject });
      this.queuedBytes += entry.batch.length;
      if (entry.urgent) this.urgentCount++;
      // Wake the loop only when this entry changes its decision.
      if (wasEmpty || (entry.urgent && !wasUrgent) || (!wasFull && this.queuedBytes >= this.o.maxObjectBytes)) this.wake?.abort(CANCELLED);
    });
  }

  /**
   * Flushes what is queued now at the urgent delay, as if an object-durability producer
   * waited on it (DeleteRecords needs the data below its offset committed).
   */
  hurry(): void {
    if (this.hurriedThroughSeq >= this.lastSeq) return;
    this.hurriedThroughSeq = this.lastSeq;
    this.wake?.abort(CANCELLED);
  }

  start(): void {
    if (this.running === undefined) this.running = this.loop();
  }

  /**
   * Stops the loop. With `flush`, uploads everything queued first (graceful shutdown) —
   * for at most `flushTimeoutMs` (the object store may be down; default: no limit), after
   * which it stops as without flush. Without, queued entries reject with
   * UploaderStoppedError and stay in the WAL for the next start to upload.
   */
  async stop(options: { flush: boolean; flushTimeoutMs?: number }): Promise<void> {
    this.stopping = true;
    this.flushOnStop = options.flush;
    if (!options.flush) this.stopSignal.abort();
    this.wake?.abort(CANCELLED);
    const deadline = new AbortController();
    if (options.flush && options.flushTimeoutMs !== undefined && this.running !== undefined) {
      void this.o.clock.sleep(options.flushTimeoutMs, deadline.signal).then(
        () => {
          this.o.onError?.(new Error(`upload not finished within ${options.flushTimeoutMs} ms; the rest stays in the WAL`), 'stop');
          this.stopSignal.abort();
        },
        () => undefined,
      );
    }
    await this.running;
    deadline.abort(CANCELLED);
    for (const q of this.queue) q.reject(new UploaderStoppedError());
    this.queue = [];
    this.queuedBytes = 0;
    this.urgentCount = 0;
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        if (this.stopping && (!this.flushOnStop || this.queue.length === 0)) return;
        if (this.stopSignal.signal.aborted) return;
        if (this.queue.length === 0 || this.inFlightObjects >= this.o.maxConcurrentUploads) {
          // Woken by add(), by an upload ending, or by stop().
          await this.nap(undefined);
          continue;
        }
        const urgent = this.urgentCount > 0 || this.queue[0]!.entry.seq <= this.hurriedThroughSeq;
        const dueAt = this.queue[0]!.addedAtMs + (urgent ? this.o.urgentDelayMs : this.o.maxDelayMs);
        const now = this.o.clock.monotonicMs();
        if (!this.stopping && this.queuedBytes < this.o.maxObjectBytes && now < dueAt) {
          await this.nap(dueAt - now);
          continue;
        }
        this.startUpload();
      }
    } finally {
      await Promise.all(this.uploads);
    }
  }

  /**
   * Takes the next object's entries and uploads them in the background: the PUT at once,
   * the commit once every earlier object's upload has ended.
   */
  private startUpload(): void {
    const taken = this.takeObjectBatch();
    let bytes = 0;
    for (const q of taken) {
      bytes += q.entry.batch.length;
      if (q.entry.urgent) this.urgentCount--;
    }
    this.queuedBytes -= bytes;
    this.inFlight += taken.length;
    this.inFlightObjects++;
    const previous = this.commitChain;
    const upload =
      this.tracing === undefined
        ? this.upload(taken, 0, previous)
        : // A trace of its own per object (PUT, then commit), whatever produce request woke the uploader.
          this.tracing.inSpan('upload', { root: true, attributes: { 'stratus.upload.entries': taken.length, 'stratus.upload.bytes': bytes } }, () => this.upload(taken, 0, previous));
    const done: Promise<void> = upload
      .catch((e: unknown) => {
        // Only a stop without flush (or a bug) gets here: the entries stay in the WAL for recovery.
        for (const q of taken) q.reject(e instanceof Error ? e : new Error(String(e)));
        if (!this.stopSignal.signal.aborted) this.o.onError?.(e, 'upload');
      })
      .finally(() => {
        this.inFlight -= taken.length;
        this.inFlightObjects--;
        this.uploads.delete(done);
        this.wake?.abort(CANCELLED);
      });
    this.uploads.add(done);
    this.commitChain = done;
  }

  /** Sleeps until `ms` pass (forever when undefined) or add() wakes us. */
  private async nap(ms: number | undefined): Promise<void> {
    const wake = new AbortController();
    this.wake = wake;
    if (ms === undefined) {
      await new Promise<void>((resolve) => wake.signal.addEventListener('abort', () => resolve(), { once: true }));
    } else {
      await this.o.clock.sleep(ms, wake.signal).catch(() => undefined);
    }
    this.wake = undefined;
  }

  /** The next object's entries: queue order, within the byte, extent and producer-batch limits (at least one entry). */
  private takeObjectBatch(): Queued[] {
    const taken: Queued[] = [];
    const partitions = new Set<string>();
    let bytes = 0;
    let producerBatches = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!.entry;
      const key = partitionKey(next.topicId, next.partition);
      const newPartition = !partitions.has(key);
      // An upper bound: every batch with a producer id may be one of the batches committed.
      const carriesProducer = next.batch.length >= PRODUCER_ID_END && readInt64(next.batch, PRODUCER_ID_OFFSET) >= 0;
      if (
        taken.length > 0 &&
        (bytes + next.batch.length > this.o.maxObjectBytes ||
          (newPartition && partitions.size >= this.o.maxObjectExtents) ||
          (carriesProducer && producerBatches >= this.o.maxObjectProducerBatches))
      ) {
        break;
      }
      taken.push(this.queue.shift()!);
      partitions.add(key);
      bytes += next.batch.length;
      if (carriesProducer) producerBatches++;
    }
    return taken;
  }

  /** Builds and PUTs the object, waits for `after` (the earlier objects' commits), then commits it. */
  private async upload(taken: readonly Queued[], lateRewrites = 0, after?: Promise<void>): Promise<void> {
    const built = buildStreamSet(
      taken.map(({ entry: e }) => ({
        topicId: e.topicId,
        partition: e.partition,
        leaderEpoch: e.leaderEpoch,
        baseOffset: e.baseOffset,
        lastOffset: e.lastOffset,
        maxTimestamp: e.maxTimestamp,
        bytes: e.batch,
      })),
    );
    const putStartedMs = this.o.clock.monotonicMs();
    const key = await this.step('objectstore.put', { 'stratus.object.bytes': built.size, 'stratus.object.extents': built.extents.length }, () => this.put(built.body));
    const putMs = this.o.clock.monotonicMs() - putStartedMs;
    await after;
    if (this.stopSignal.signal.aborted) throw new UploaderStoppedError();
    const extents: Extent[] = built.extents.map((e) => ({ ...e, objectKey: key, objectSize: built.size }));
    const producers = producerBatchesOf(taken.map((q) => q.entry));
    const commit: ObjectCommit = producers.length > 0 ? { objectKey: key, objectSize: built.size, extents, producers } : { objectKey: key, objectSize: built.size, extents };
    let result;
    try {
      result = await this.step('index.commit', { 'stratus.object.key': key }, () =>
        this.retry('commit', () => {
          this.stats.commitAttempts++;
          return this.o.committer.commit(commit);
        }),
      );
    } catch (e) {
      if (!(e instanceof CommitRefusedError)) throw e;
      await this.refused(taken, e, lateRewrites);
      return;
    }
    this.stats.objects++;
    this.stats.bytes += built.size;
    if (this.o.onUploaded !== undefined) {
      const now = this.o.clock.monotonicMs();
      this.o.onUploaded({ bytes: built.size, entries: taken.length, putMs, uploadMs: now - putStartedMs, oldestEntryMs: now - taken[0]!.addedAtMs });
    }

    const rejected = new Map(result.rejected.map((r) => [partitionKey(r.topicId, r.partition), r]));
    const committed: UploadEntry[] = [];
    for (const q of taken) {
      const r = rejected.get(partitionKey(q.entry.topicId, q.entry.partition));
      if (r === undefined) {
        committed.push(q.entry);
        q.resolve();
      } else {
        this.stats.rejectedEntries++;
        q.reject(new CommitRejectedError(r.reason, r.detail));
      }
    }
    if (rejected.size > 0) this.o.onError?.(new Error(`commit of ${key} rejected ${rejected.size} partitions`), 'commit');
    this.o.onCommitted?.(
      committed,
      extents.filter((e) => !rejected.has(partitionKey(e.topicId, e.partition))),
    );
    // A partition that no longer exists (its topic was deleted) takes its data with it: only
    // data rejected for another reason (fenced, offsets, refused) is kept.
    const rejectedLocal = taken
      .filter((q) => !q.entry.urgent && (rejected.get(partitionKey(q.entry.topicId, q.entry.partition))?.reason ?? 'unknown_partition') !== 'unknown_partition')
      .map((q) => q.entry);
    if (rejectedLocal.length > 0) {
      const reasons = [...new Set(rejectedLocal.map((e) => rejected.get(partitionKey(e.topicId, e.partition))!.reason))].join(', ');
      await this.keep(rejectedLocal, `commit of ${key} rejected (${reasons})`);
    }
    await this.trimTo(taken[taken.length - 1]!.entry.seq + 1);
  }

  /**
   * Keeps acknowledged entries no object will hold (see UploaderOptions.keepRejected),
   * together with any earlier ones not kept yet; what still fails holds back the trim.
   */
  private async keep(entries: readonly UploadEntry[], reason: string): Promise<void> {
    if (this.o.keepRejected === undefined) return;
    if (entries.length > 0) this.unkept.push({ entries: [...entries], reason });
    const pending = this.unkept;
    this.unkept = [];
    for (const group of pending) {
      try {
        await this.o.keepRejected(group.entries, group.reason);
      } catch (e) {
        this.o.onError?.(e, 'keeping rejected entries (the WAL keeps them meanwhile)');
        this.unkept.push(group);
      }
    }
  }

  /** Trims the WAL below `upToSeq`, but never past a rejected entry that is not kept yet. */
  private async trimTo(upToSeq: number): Promise<void> {
    if (this.unkept.length > 0) await this.keep([], '');
    let limit = upToSeq;
    for (const group of this.unkept) for (const e of group.entries) limit = Math.min(limit, e.seq);
    try {
      await this.o.trim(limit);
    } catch (e) {
      // A failed trim only delays reclaiming WAL space; the next object trims further.
      this.o.onError?.(e, 'wal trim');
    }
  }

  /**
   * The committer refused the object's commit for good: upload its entries again in two
   * smaller objects (each within any limit the whole broke), down to one entry, which
   * then fails alone.
   */
  private async refused(taken: readonly Queued[], e: CommitRefusedError, lateRewrites: number): Promise<void> {
    this.stats.refusedCommits++;
    this.o.onError?.(e, `commit refused (${taken.length} entries)`);
    if (e instanceof CommitTooLateError && lateRewrites < MAX_LATE_REWRITES) {
      // Only the object's name is too old: write the same entries again (the old object
      // is an orphan the controller's sweep deletes).
      await this.upload(taken, lateRewrites + 1);
      return;
    }
    if (taken.length > 1) {
      const half = Math.ceil(taken.length / 2);
      await this.upload(taken.slice(0, half));
      await this.upload(taken.slice(half));
      return;
    }
    const q = taken[0]!;
    this.stats.rejectedEntries++;
    q.reject(new CommitRejectedError('refused', e.message));
    if (!q.entry.urgent) await this.keep([q.entry], `commit refused: ${e.message}`);
    await this.trimTo(q.entry.seq + 1);
  }

  /** `fn` as a child span of the upload's when tracing is on (the commit's controller call becomes its child in turn). */
  private step<T>(name: string, attributes: Record<string, string | number>, fn: () => Promise<T>): Promise<T> {
    return this.tracing === undefined ? fn() : this.tracing.inSpan(name, { attributes }, fn);
  }

  /** PUTs under a fresh key, create-only. Returns the key the object landed under. */
  private async put(body: readonly Buffer[]): Promise<string> {
    let key = streamSetObjectKey(this.o.keyPrefix, this.o.nodeId, this.o.clock.nowMs(), this.objectSeq++);
    let attempts = 0;
    return this.retry('put', async () => {
      attempts++;
      this.stats.putAttempts++;
      try {
        await this.o.store.put(key, body, { ifNoneMatch: true, signal: this.stopSignal.signal });
        return key;
      } catch (e) {
        if (e instanceof ObjectStoreError && e.code === 'precondition_failed') {
          // On a retry this means an earlier attempt landed and only its answer was lost.
          if (attempts > 1) return key;
          // On the first attempt the name is taken (a reused node id): pick another.
          key = streamSetObjectKey(this.o.keyPrefix, this.o.nodeId, this.o.clock.nowMs(), this.objectSeq++);
          throw new ObjectStoreError('unavailable', 'put', key, 'object key already taken, retrying under a new key');
        }
        throw e;
      }
    });
  }

  /** Retries `fn` with jittered exponential backoff until it succeeds or the uploader is stopped without flush. */
  private async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopSignal.signal.aborted) throw new UploaderStoppedError();
      try {
        return await fn();
      } catch (e) {
        if (this.stopSignal.signal.aborted) throw new UploaderStoppedError();
        if (e instanceof CommitRefusedError) throw e; // permanent: retrying cannot help
        this.o.onError?.(e, `${what} attempt ${attempt + 1}`);
        const cap = Math.min(this.o.retryMaxDelayMs, this.o.retryBaseDelayMs * 2 ** Math.min(attempt, 20));
        await this.o.clock.sleep(cap / 2 + this.o.random.next() * (cap / 2), this.stopSignal.signal).catch(() => undefined);
      }
    }
  }
}
