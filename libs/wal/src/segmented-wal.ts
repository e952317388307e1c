// The segmented write-ahead log: openWal() recovers the directory, starts a fresh
// active segment and returns a WriteAheadLog (contract in wal.ts). This file owns the
// state around the writer: sequence numbers, the capacity budget with its FIFO of
// waiting appends, trim and replay. Writing and syncing is group-commit.ts; the byte
// layout is segment-format.ts; what recovery keeps is recovery.ts.
//
// Choices worth knowing:
// - Each open starts a new segment at nextSeq instead of appending to the last one: no
//   file written by an earlier process (whose page-cache state is unknown) is written
//   again. The cost is one small extra segment per restart.
// - Trim persists its bound in a checkpoint file (trim-checkpoint.ts), so after a
//   restart replay and stats start at the trim point even though the first retained
//   segment begins below it.
// - Capacity counts whole segments on disk plus every admitted, not yet durable append,
//   so the memory held by queued appends is bounded by the same budget.
// - Appends are admitted in call order: while one waits for room, later ones queue
//   behind it (even small ones), so a caller's appends keep their order.

import { join } from 'node:path';
import type { Clock } from '@stratus/runtime';
import type { FileHandle } from './fs.ts';
import { GroupCommitWriter } from './group-commit.ts';
import { resolveWalOptions } from './options.ts';
import type { ResolvedWalOptions, WalOptions } from './options.ts';
import { recoverLog } from './recovery.ts';
import { replaySegments } from './replay.ts';
import { FRAME_HEADER_BYTES, encodeFrameHeader } from './segment-format.ts';
import { SegmentList, createSegmentFile } from './segments.ts';
import { writeTrimCheckpoint } from './trim-checkpoint.ts';
import { WalError } from './wal.ts';
import type { RecoveryReport, WalRecord, WalStats, WriteAheadLog } from './wal.ts';

/**
 * Opens (creating when missing) the log in `options.dir`, recovering its durable prefix.
 * Rejects with WalError 'io' when the directory cannot be read or repaired, and with
 * RangeError/TypeError naming the option when an option is invalid.
 */
export async function openWal(options: WalOptions): Promise<{ wal: WriteAheadLog; recovery: RecoveryReport }> {
  const opts = resolveWalOptions(options);
  let recovered;
  let active;
  try {
    recovered = await recoverLog(opts.fs, opts.dir, { onDamage: opts.onDamage, tornWriteBytes: opts.flushMaxBytes, nowMs: opts.clock.nowMs() });
    active = await createSegmentFile(opts.fs, opts.dir, recovered.nextSeq, opts.clock.nowMs());
  } catch (err) {
    if (err instanceof WalError) throw err; // damage found: nothing was changed
    throw new WalError('io', `WAL recovery in ${opts.dir} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const segments = new SegmentList([...recovered.segments, active.segment]);
  const wal = new SegmentedWal(opts, segments, active.file, recovered.firstSeq, recovered.nextSeq);
  const recovery: RecoveryReport = {
    segments: segments.count,
    records: recovered.records,
    firstSeq: recovered.firstSeq,
    nextSeq: recovered.nextSeq,
    truncatedBytes: recovered.truncatedBytes,
    notes: recovered.notes,
    ...(recovered.quarantine ? { quarantine: recovered.quarantine } : {}),
  };
  return { wal, recovery };
}

interface Waiter {
  readonly chunks: readonly Buffer[];
  readonly payloadBytes: number;
  readonly frameBytes: number;
  readonly resolve: (seq: number) => void;
  readonly reject: (err: unknown) => void;
  readonly timer: AbortController;
}

class SegmentedWal implements WriteAheadLog {
  readonly maxRecordBytes: number;
  private readonly opts: ResolvedWalOptions;
  private readonly clock: Clock;
  private readonly segments: SegmentList;
  private readonly writer: GroupCommitWriter;
  private state: 'open' | 'closing' = 'open';
  private failure: WalError | undefined;
  /** Set while a full disk pauses the log (until resume()). */
  private paused: WalError | undefined;
  private firstSeq: number;
  private nextSeq: number;
  private durableNextSeq: number;
  /** Frame bytes of admitted appends not yet durable (queued or being written). */
  private pendingBytes = 0;
  private waiters: Waiter[] = [];
  private trimChain: Promise<void> = Promise.resolve();
  private closed: Promise<void> | undefined;

  constructor(opts: ResolvedWalOptions, segments: SegmentList, activeFile: FileHandle, firstSeq: number, nextSeq: number) {
    this.opts = opts;
    this.maxRecordBytes = opts.maxRecordBytes;
    this.clock = opts.clock;
    this.segments = segments;
    this.firstSeq = firstSeq;
    this.nextSeq = nextSeq;
    this.durableNextSeq = nextSeq;
    this.writer = new GroupCommitWriter(
      {
        fs: opts.fs,
        dir: opts.dir,
        clock: opts.clock,
        segmentBytes: opts.segmentBytes,
        flushMaxBytes: opts.flushMaxBytes,
        flushMaxDelayMs: opts.flushMaxDelayMs,
        syncWrites: opts.syncWrites,
        onFlush: opts.onFlush,
        segments,
        onDurable: (bytes, nextDurableSeq) => {
          this.pendingBytes -= bytes;
          this.durableNextSeq = nextDurableSeq;
        },
        onFailure: (error) => {
          this.failure = error;
          this.rejectWaiters(error);
        },
        onNoSpace: (error) => {
          // Every append after the durable end was rejected: the sequence continues from there.
          this.paused = error;
          this.nextSeq = this.durableNextSeq;
          this.pendingBytes = 0;
          this.rejectWaiters(error);
          opts.onNoSpace?.(error);
        },
      },
      activeFile,
    );
  }

  append(data: Buffer | readonly Buffer[]): Promise<number> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    const chunks: readonly Buffer[] = Buffer.isBuffer(data) ? [data] : data;
    let payloadBytes = 0;
    for (const chunk of chunks) payloadBytes += chunk.length;
    if (payloadBytes > this.opts.maxRecordBytes) {
      return Promise.reject(new RangeError(`WAL record of ${payloadBytes} bytes exceeds maxRecordBytes (${this.opts.maxRecordBytes})`));
    }
    const frameBytes = FRAME_HEADER_BYTES + payloadBytes;
    if (this.waiters.length === 0 && this.fits(frameBytes)) return this.admit(chunks, payloadBytes, frameBytes);
    if (this.opts.appendWaitMs === 0) return Promise.reject(this.fullError());
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { chunks, payloadBytes, frameBytes, resolve, reject, timer: new AbortController() };
      this.waiters.push(waiter);
      this.clock.sleep(this.opts.appendWaitMs, waiter.timer.signal).then(
        () => this.expire(waiter),
        () => undefined, // admitted or rejected before the deadline
      );
    });
  }

  replay(fromSeq = 0): AsyncIterable<WalRecord> {
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 0) throw new RangeError(`replay fromSeq must be a non-negative integer, got ${fromSeq}`);
    if (this.state !== 'open') throw new WalError('closed', 'WAL is closed');
    const startSeq = Math.max(fromSeq, this.firstSeq);
    const snapshot = this.segments.snapshot(this.durableNextSeq);
    return replaySegments(this.opts.fs, this.opts.dir, snapshot, startSeq, (segment) => this.segments.holds(segment));
  }

  trim(upTo: number): Promise<void> {
    if (!Number.isSafeInteger(upTo) || upTo < 0) return Promise.reject(new RangeError(`trim upTo must be a non-negative integer, got ${upTo}`));
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    if (upTo > this.nextSeq) return Promise.reject(new RangeError(`trim(${upTo}) is past the next sequence number ${this.nextSeq}`));
    const run = this.trimChain.then(() => this.trimNow(upTo));
    this.trimChain = run.catch(() => undefined);
    return run;
  }

  stats(): WalStats {
    return {
      firstSeq: this.firstSeq,
      nextSeq: this.nextSeq,
      untrimmedBytes: this.segments.untrimmedBytes,
      segments: this.segments.count,
      queuedAppends: this.writer.backlog.appends,
      queuedBytes: this.writer.backlog.bytes,
      waitingAppends: this.waiters.length,
    };
  }

  close(): Promise<void> {
    this.closed ??= this.closeNow();
    return this.closed;
  }

  private async closeNow(): Promise<void> {
    this.state = 'closing';
    this.rejectWaiters(new WalError('closed', 'WAL closed while the append waited for capacity'));
    await this.writer.close();
    await this.trimChain;
  }

  private refusal(): WalError | undefined {
    if (this.state !== 'open') return new WalError('closed', 'WAL is closed');
    if (this.failure !== undefined) return new WalError('io', this.failure.message, { cause: this.failure });
    return this.paused;
  }

  resume(): void {
    this.paused = undefined;
    this.writer.resume();
  }

  private fits(frameBytes: number): boolean {
    return this.segments.untrimmedBytes + this.pendingBytes + frameBytes <= this.opts.capacityBytes;
  }

  private admit(chunks: readonly Buffer[], payloadBytes: number, frameBytes: number): Promise<number> {
    const seq = this.nextSeq++;
    this.pendingBytes += frameBytes;
    const frameHeader = encodeFrameHeader(seq, payloadBytes, chunks);
    const queuedAtMs = this.opts.flushMaxDelayMs > 0 || this.opts.onFlush !== undefined ? this.clock.monotonicMs() : 0;
    return new Promise<number>((resolve, reject) => {
      this.writer.enqueue({ seq, frameHeader, chunks, frameBytes, queuedAtMs, resolve, reject });
    });
  }

  /** Admits waiting appends, oldest first, while they fit. */
  private pump(): void {
    while (this.waiters.length > 0 && this.state === 'open' && this.failure === undefined) {
      const waiter = this.waiters[0]!;
      if (!this.fits(waiter.frameBytes)) return;
      this.waiters.shift();
      waiter.timer.abort();
      this.admit(waiter.chunks, waiter.payloadBytes, waiter.frameBytes).then(waiter.resolve, waiter.reject);
    }
  }

  private expire(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    waiter.reject(this.fullError());
    // It may have been holding back smaller appends that fit.
    if (i === 0) this.pump();
  }

  private rejectWaiters(error: WalError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      waiter.timer.abort();
      waiter.reject(error);
    }
  }

  private fullError(): WalError {
    return new WalError(
      'full',
      `WAL is full: ${this.segments.untrimmedBytes} bytes not trimmed + ${this.pendingBytes} queued of capacityBytes ${this.opts.capacityBytes}; ` +
        `no trim within appendWaitMs (${this.opts.appendWaitMs})`,
    );
  }

  private async trimNow(upTo: number): Promise<void> {
    if (upTo <= this.firstSeq) return;
    this.firstSeq = upTo;
    const { fs, dir } = this.opts;
    try {
      // The checkpoint is durable before any segment goes: recovery relies on it to tell
      // a released range from lost records, whatever order the unlinks persist in.
      await writeTrimCheckpoint(fs, dir, upTo);
      await fs.syncDir(dir);
      const released = this.segments.releasable(upTo);
      for (const segment of released) {
        await fs.unlink(join(dir, segment.name));
        this.segments.dropFirst(segment);
      }
      if (released.length > 0) await fs.syncDir(dir);
    } catch (err) {
      throw new WalError('io', `WAL trim to ${upTo} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    } finally {
      this.pump();
    }
  }
}
