// The single writer of the log: group commit. Appends queue here (already numbered and
// checksummed); one loop takes everything that queued while the previous write +
// fdatasync ran — up to flushMaxBytes and the room left in the active segment — and
// makes it durable with ONE writev and ONE fdatasync, then resolves those appends in
// sequence order. Rolling to a new segment happens between batches. With syncWrites
// off the fdatasync is left out of that loop ("durable" then means: written to the OS,
// safe from a process crash only); a rolled segment is still synced, in the background,
// and the active one when the log closes.
//
// A write or fdatasync error fails the writer for good: the batch and everything queued
// reject, and nothing is retried. After a failed fsync Linux may have dropped the dirty
// pages and marked them clean, so a second fsync would "succeed" without the data
// (fsyncgate); only reopening the log, which re-reads what is really on disk, is safe.
// Before giving up the file the writer cuts it back to its durable size (see
// discardUnsynced).
//
// A full disk is the exception: ENOSPC (or a short write) on a writev, or on creating the
// next segment, dirtied no page an fsync could lose — the writev itself failed — so the
// file is cut back to its durable size and the writer pauses instead of failing: the
// batch and everything queued reject with 'no_space', later appends too, until resume().
//
// Not here: sequence numbers and the capacity budget (segmented-wal.ts).

import { CANCELLED } from '@stratus/runtime';
import type { Clock } from '@stratus/runtime';
import type { FileHandle, FileSystem } from './fs.ts';
import type { WalFlush } from './options.ts';
import { SEGMENT_HEADER_BYTES } from './segment-format.ts';
import { createSegmentFile } from './segments.ts';
import type { SegmentList } from './segments.ts';
import { WalError } from './wal.ts';

export interface PendingAppend {
  readonly seq: number;
  readonly frameHeader: Buffer;
  readonly chunks: readonly Buffer[];
  readonly frameBytes: number;
  /** Monotonic ms when queued; only read when flushMaxDelayMs > 0 or onFlush is set. */
  readonly queuedAtMs: number;
  readonly resolve: (seq: number) => void;
  readonly reject: (err: unknown) => void;
}

export interface WriterContext {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly clock: Clock;
  readonly segmentBytes: number;
  readonly flushMaxBytes: number;
  readonly flushMaxDelayMs: number;
  /** fdatasync before resolving appends (see WalOptions.syncWrites). */
  readonly syncWrites: boolean;
  readonly onFlush: ((flush: WalFlush) => void) | undefined;
  readonly segments: SegmentList;
  /** After each durable batch, before its appends resolve. */
  readonly onDurable: (batchBytes: number, nextDurableSeq: number) => void;
  /** Once, when the writer fails; every queued append is already rejected. */
  readonly onFailure: (error: WalError) => void;
  /** The disk is full: the writer paused; every append not yet durable is already rejected. */
  readonly onNoSpace: (error: WalError) => void;
}

/** A write that failed for lack of space; nothing in the page cache depends on it. */
class NoSpaceError extends Error {}

function isNoSpace(err: unknown): boolean {
  return err instanceof NoSpaceError || (err as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC';
}

/** Compact the queue array once this many taken entries sit at its front. */
const QUEUE_COMPACT_AT = 1024;

export class GroupCommitWriter {
  private readonly ctx: WriterContext;
  private file: FileHandle;
  private queue: PendingAppend[] = [];
  private head = 0;
  private queuedBytes = 0;
  private wake: (() => void) | undefined;
  private gatherAbort: AbortController | undefined;
  private closing = false;
  private failure: WalError | undefined;
  /** Set while paused after a full disk (see the header). */
  private paused: WalError | undefined;
  /** syncWrites off: fdatasyncs of rolled segments still running, and the first that failed. */
  private readonly backgroundSyncs = new Set<Promise<void>>();
  private backgroundFailure: unknown;
  private readonly done: Promise<void>;

  constructor(ctx: WriterContext, activeFile: FileHandle) {
    this.ctx = ctx;
    this.file = activeFile;
    this.done = this.run();
  }

  enqueue(entry: PendingAppend): void {
    if (this.failure !== undefined || this.closing || this.paused !== undefined) {
      entry.reject(this.failure ?? this.paused ?? new WalError('closed', 'WAL is closed'));
      return;
    }
    this.queue.push(entry);
    this.queuedBytes += entry.frameBytes;
    if (this.wake !== undefined) this.wake();
    else if (this.gatherAbort !== undefined && this.queuedBytes >= this.ctx.flushMaxBytes) this.gatherAbort.abort(CANCELLED);
  }

  /** Appends queued for a group commit and their bytes (a backlog grows while the disk cannot keep up). */
  get backlog(): { readonly appends: number; readonly bytes: number } {
    return { appends: this.queue.length - this.head, bytes: this.queuedBytes };
  }

  /** Takes appends again after a full disk paused the writer. */
  resume(): void {
    this.paused = undefined;
  }

  /** Writes out everything queued, then closes the active file. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    this.gatherAbort?.abort();
    await this.done;
  }

  private async run(): Promise<void> {
    let batch: PendingAppend[] = [];
    try {
      for (;;) {
        if (this.backgroundFailure !== undefined) throw this.backgroundFailure;
        if (this.head === this.queue.length) {
          if (this.closing) break;
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          continue;
        }
        if (this.ctx.flushMaxDelayMs > 0 && !this.closing) await this.gather();

        const first = this.queue[this.head]!;
        const active = this.ctx.segments.active();
        try {
          if (active.sizeBytes > SEGMENT_HEADER_BYTES && active.sizeBytes + first.frameBytes > this.ctx.segmentBytes) {
            await this.roll(first.seq);
          }
          batch = this.take();
          await this.writeDurably(batch);
        } catch (err) {
          if (!isNoSpace(err)) throw err;
          await this.pauseForSpace(err, batch);
          batch = [];
          continue;
        }
        for (const entry of batch) entry.resolve(entry.seq);
        batch = [];
        // Let the callers whose appends just resolved run (and append again) before the
        // next batch is cut, so closed-loop appenders share one fdatasync instead of
        // alternating between two half-full ones.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      // Unsynced writes: make a clean shutdown leave the whole log on disk.
      if (!this.ctx.syncWrites) {
        await this.file.datasync();
        await Promise.all(this.backgroundSyncs);
        if (this.backgroundFailure !== undefined) throw this.backgroundFailure;
      }
    } catch (err) {
      this.fail(err, batch);
      await this.discardUnsynced();
    }
    await Promise.all(this.backgroundSyncs);
    await this.file.close().catch(() => undefined);
  }

  /**
   * Best effort after a failure: cut the active segment back to its durable size. After
   * a failed fdatasync the page cache may still hold the batch (clean, never to reach
   * the disk); a reopen in the same boot would read it as valid, and a later crash would
   * then lose it and leave a gap before the records appended after the reopen. This is
   * not a retry: nothing is treated as durable because of it, and errors are ignored
   * (recovery copes either way).
   */
  private async discardUnsynced(): Promise<void> {
    try {
      await this.file.truncate(this.ctx.segments.active().sizeBytes);
      await this.file.datasync();
    } catch {
      // the device is failing; recovery will sort out what is on disk
    }
  }

  /** Queued appends for one flush: at least one, then up to flushMaxBytes and the segment's room. */
  private take(): PendingAppend[] {
    const room = this.ctx.segmentBytes - this.ctx.segments.active().sizeBytes;
    const limit = Math.min(this.ctx.flushMaxBytes, room);
    const batch: PendingAppend[] = [];
    let bytes = 0;
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      if (batch.length > 0 && bytes + entry.frameBytes > limit) break;
      batch.push(entry);
      bytes += entry.frameBytes;
      this.head++;
    }
    this.queuedBytes -= bytes;
    if (this.head >= QUEUE_COMPACT_AT && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private async writeDurably(batch: readonly PendingAppend[]): Promise<void> {
    const buffers: Buffer[] = [];
    let bytes = 0;
    for (const entry of batch) {
      buffers.push(entry.frameHeader);
      for (const chunk of entry.chunks) buffers.push(chunk);
      bytes += entry.frameBytes;
    }
    const active = this.ctx.segments.active();
    const clock = this.ctx.clock;
    const started = clock.monotonicMs();
    const written = await this.file.writev(buffers, active.sizeBytes);
    // The FileHandle contract: a short count means the device ran out of room (or failed part-way).
    if (written !== bytes) throw new NoSpaceError(`short write: ${written} of ${bytes} bytes at ${active.sizeBytes} in ${active.name}`);
    const wrote = clock.monotonicMs();
    if (this.ctx.syncWrites) await this.file.datasync();
    if (this.ctx.onFlush !== undefined) {
      const synced = clock.monotonicMs();
      this.ctx.onFlush({ appends: batch.length, bytes, writeMs: wrote - started, syncMs: this.ctx.syncWrites ? synced - wrote : 0, oldestAppendMs: synced - batch[0]!.queuedAtMs });
    }
    this.ctx.segments.grow(bytes);
    this.ctx.onDurable(bytes, batch[batch.length - 1]!.seq + 1);
  }

  /** Waits (up to flushMaxDelayMs after the oldest queued append) for flushMaxBytes to gather. */
  private async gather(): Promise<void> {
    const oldest = this.queue[this.head]!;
    while (this.queuedBytes < this.ctx.flushMaxBytes && !this.closing) {
      const remainingMs = oldest.queuedAtMs + this.ctx.flushMaxDelayMs - this.ctx.clock.monotonicMs();
      if (remainingMs <= 0) return;
      const abort = new AbortController();
      this.gatherAbort = abort;
      try {
        await this.ctx.clock.sleep(remainingMs, abort.signal);
      } catch {
        // aborted: enough bytes queued, or closing
      } finally {
        this.gatherAbort = undefined;
      }
    }
  }

  /**
   * Starts a new segment at `baseSeq`. With syncWrites the finished one is already
   * durable. Without, it is synced and closed in the background: an fdatasync of a whole
   * segment of unsynced writes takes tens of milliseconds (~50 ms for 64 MiB on the
   * benchmark VM), and every append waited for it when it ran here.
   */
  private async roll(baseSeq: number): Promise<void> {
    const { file, segment } = await createSegmentFile(this.ctx.fs, this.ctx.dir, baseSeq, this.ctx.clock.nowMs());
    const previous = this.file;
    this.file = file;
    this.ctx.segments.push(segment);
    if (this.ctx.syncWrites) {
      // Everything in it was fdatasync'ed before its appends resolved; a close error
      // cannot lose data any more.
      await previous.close().catch(() => undefined);
      return;
    }
    const done = previous.datasync().then(
      () => previous.close().catch(() => undefined),
      async (err: unknown) => {
        // As for any failed fsync: the log stops taking appends (see the header comment).
        this.backgroundFailure ??= err;
        this.wake?.();
        await previous.close().catch(() => undefined);
      },
    );
    this.backgroundSyncs.add(done);
    void done.then(() => this.backgroundSyncs.delete(done));
  }

  /**
   * The disk is full: cut the active file back to its durable end (discarding whatever
   * part of the batch reached it), reject the batch and everything queued, and pause.
   * A cut that fails is a real I/O failure.
   */
  private async pauseForSpace(err: unknown, batch: readonly PendingAppend[]): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    await this.file.truncate(this.ctx.segments.active().sizeBytes);
    await this.file.datasync();
    const paused = new WalError('no_space', `WAL disk full, appends refused until space returns: ${message}`, { cause: err });
    this.paused = paused;
    for (const entry of batch) entry.reject(paused);
    for (let i = this.head; i < this.queue.length; i++) this.queue[i]!.reject(paused);
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.ctx.onNoSpace(paused);
  }

  private fail(err: unknown, batch: readonly PendingAppend[]): void {
    const message = err instanceof Error ? err.message : String(err);
    const failure = new WalError('io', `WAL write failed, the log is closed for appends (reopen to recover): ${message}`, { cause: err });
    this.failure = failure;
    for (const entry of batch) entry.reject(failure);
    for (let i = this.head; i < this.queue.length; i++) this.queue[i]!.reject(failure);
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.ctx.onFailure(failure);
  }
}
