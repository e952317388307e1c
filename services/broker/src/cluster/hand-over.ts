// Graceful hand-over of the partitions this broker is asked to give up (issue 10 §3). The
// controller starts a move by showing `movingTo` on a partition this broker leads; from
// its metadata watch the broker then:
//   1. stops accepting produce for it (NOT_LEADER_OR_FOLLOWER: clients refresh metadata
//      and retry, and land on the new leader once the move is done);
//   2. lets the appends that already have offsets finish, uploads its tail and waits until
//      all of it is committed (PartitionLog.flushTail) — everything it acknowledged is in
//      the index, with the producers' batches, so the new leader continues the offsets
//      and the idempotent producers' sequences;
//   3. calls releasePartition(tp, leaderEpoch, brokerEpoch); the controller then makes
//      the new broker leader under leaderEpoch + 1, and the watch closes the log here.
// A move the controller cancels (movingTo gone, same leader and epoch) resumes appends. A
// flush that cannot finish (a commit fenced, the storage failed) or a release refused is
// given up and reported: the controller's move timeout then decides (object topics move
// anyway; local ones are cancelled), so nothing waits for this broker forever. Release
// calls that fail in transit, or are refused for a stale broker epoch (the broker is
// registering again), are retried a bounded number of times, with backoff. Opening a
// partition that is not open yet (it asks the controller for its bounds) is retried for as
// long as the move lasts when the controller is only unavailable for now — a controller
// failover takes seconds, and giving up would leave the partition refusing produce until
// the move timed out, then, for a local topic, the whole move to be made again
// (test/cluster: a broker's SIGTERM drain with the active controller killed meanwhile took
// ~23 s instead of ~3).

import { ControllerClientClosedError } from '@stratus/controller';
import type { ClusterMetadata, ControllerApi } from '@stratus/controller';
import { ErrorCode, errorName } from '@stratus/protocol';
import { CANCELLED } from '@stratus/runtime';
import type { Clock } from '@stratus/runtime';
import { partitionKey } from '@stratus/storage';
import type { OpenPartition } from '../broker-context.ts';
import { controllerFailure } from '../controller-failure.ts';

export interface HandOverSettings {
  /** releasePartition attempts that fail in transit before the hand-over is given up. Default 5. */
  readonly releaseAttempts?: number;
  /** Wait after the first failed release (or partition open), doubled per attempt. Default 100. */
  readonly releaseRetryMs?: number;
}

/** The longest wait between two attempts to open a partition while the controller is unavailable. */
const OPEN_RETRY_MAX_MS = 1000;

interface PartitionRef {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  readonly leaderEpoch: number;
}

export type HandOverEvent =
  | (PartitionRef & { readonly type: 'hand-over-started'; readonly to: number })
  /** durationMs: from seeing the move to the controller's acceptance; flushMs: of that, until the tail was committed. */
  | (PartitionRef & { readonly type: 'hand-over-released'; readonly to: number; readonly durationMs: number; readonly flushMs: number })
  | (PartitionRef & { readonly type: 'hand-over-cancelled' })
  | (PartitionRef & { readonly type: 'hand-over-failed'; readonly reason: string; readonly error?: unknown });

/** What the hand-over needs of the partition manager. */
export interface HandOverPartitions {
  partition(topicId: string, partition: number): Promise<OpenPartition | undefined>;
  beginHandOver(topicId: string, partition: number): void;
  endHandOver(topicId: string, partition: number): void;
}

export interface HandOverOptions extends HandOverSettings {
  readonly nodeId: number;
  readonly clock: Clock;
  readonly controller: Pick<ControllerApi, 'releasePartition'>;
  readonly partitions: HandOverPartitions;
  /** The broker's current registration epoch (undefined: not registered). */
  readonly brokerEpoch: () => number | undefined;
  readonly onEvent?: (event: HandOverEvent) => void;
}

interface Running {
  readonly ref: PartitionRef;
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

export class HandOverManager {
  private readonly o: HandOverOptions;
  private readonly attempts: number;
  private readonly retryMs: number;
  private readonly running = new Map<string, Running>();
  private closed = false;

  constructor(o: HandOverOptions) {
    this.o = o;
    this.attempts = o.releaseAttempts ?? 5;
    this.retryMs = o.releaseRetryMs ?? 100;
    if (!Number.isInteger(this.attempts) || this.attempts < 1) throw new RangeError(`handOver.releaseAttempts must be a positive integer, got ${this.attempts}`);
    if (!(this.retryMs >= 0)) throw new RangeError(`handOver.releaseRetryMs must not be negative, got ${this.retryMs}`);
  }

  /** Hand-overs under way (for metrics and tests). */
  get active(): number {
    return this.running.size;
  }

  /** Settles when every hand-over under way has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Starts hand-overs for moves that appeared, ends those whose move is gone. Call after the partition manager saw `md`. */
  onMetadata(md: ClusterMetadata): void {
    if (this.closed) return;
    const moving = new Set<string>();
    for (const t of md.topics) {
      for (const p of t.partitions) {
        if (p.leader !== this.o.nodeId || p.movingTo === undefined || p.movingTo === this.o.nodeId) continue;
        const key = partitionKey(t.topicId, p.partition);
        moving.add(key);
        const run = this.running.get(key);
        if (run !== undefined && run.ref.leaderEpoch === p.leaderEpoch) continue;
        if (run !== undefined) this.end(key, run);
        this.start(key, { topic: t.name, topicId: t.topicId, partition: p.partition, leaderEpoch: p.leaderEpoch }, p.movingTo);
      }
    }
    for (const [key, run] of this.running) {
      if (moving.has(key)) continue;
      // The move is over: cancelled (same leader and epoch: appends resume) or done (the
      // leadership moved; the partition manager closed the log already).
      const topic = md.topics.find((t) => t.topicId === run.ref.topicId);
      const info = topic?.partitions.find((p) => p.partition === run.ref.partition);
      this.end(key, run);
      if (info !== undefined && info.leader === this.o.nodeId && info.leaderEpoch === run.ref.leaderEpoch) this.emit({ ...run.ref, type: 'hand-over-cancelled' });
    }
  }

  /** Stops every hand-over under way (shutdown); partitions stay as they are. */
  close(): void {
    this.closed = true;
    for (const run of this.running.values()) run.stop.abort(CANCELLED);
    this.running.clear();
  }

  private end(key: string, run: Running): void {
    run.stop.abort(CANCELLED);
    this.running.delete(key);
    this.o.partitions.endHandOver(run.ref.topicId, run.ref.partition);
  }

  private start(key: string, ref: PartitionRef, to: number): void {
    const stop = new AbortController();
    const done = this.handOver(ref, to, stop.signal).catch((error: unknown) => {
      if (!stop.signal.aborted) this.emit({ ...ref, type: 'hand-over-failed', reason: 'unexpected error', error });
    });
    this.running.set(key, { ref, stop, done });
  }

  private async handOver(ref: PartitionRef, to: number, signal: AbortSignal): Promise<void> {
    const startedAt = this.o.clock.monotonicMs();
    this.emit({ ...ref, type: 'hand-over-started', to });
    // Stop appends before anything is awaited: no produce may slip in after the move was seen.
    this.o.partitions.beginHandOver(ref.topicId, ref.partition);
    let open: OpenPartition | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        // Opened if it was not: recovered WAL entries of the partition become its tail and are flushed too.
        open = await this.o.partitions.partition(ref.topicId, ref.partition);
        break;
      } catch (error) {
        if (signal.aborted) return;
        // The controller unavailable for now (a failover): try again until the move ends
        // (cancelled, completed or forced: the signal) — anything else is given up at once.
        const failure = controllerFailure(error);
        if (failure?.retriable !== true || failure.code === ControllerClientClosedError.CODE || this.closed) {
          this.emit({ ...ref, type: 'hand-over-failed', reason: 'the partition could not be opened', error });
          return;
        }
        try {
          await this.o.clock.sleep(Math.min(OPEN_RETRY_MAX_MS, this.retryMs * 2 ** Math.min(attempt - 1, 20)), signal);
        } catch {
          return;
        }
      }
    }
    if (signal.aborted) return;
    if (open === undefined || open.leaderEpoch !== ref.leaderEpoch) {
      this.emit({ ...ref, type: 'hand-over-failed', reason: `not led here under leader epoch ${ref.leaderEpoch}` });
      return;
    }
    const flushed = await open.log.flushTail(signal);
    if (signal.aborted) return;
    if (!flushed) {
      this.emit({ ...ref, type: 'hand-over-failed', reason: `its tail could not be committed: ${open.log.failed?.message ?? 'the log failed'}` });
      return;
    }
    const flushMs = this.o.clock.monotonicMs() - startedAt;
    for (let attempt = 1; ; attempt++) {
      const brokerEpoch = this.o.brokerEpoch();
      if (brokerEpoch === undefined) {
        this.emit({ ...ref, type: 'hand-over-failed', reason: 'this broker is not registered' });
        return;
      }
      let refusal: string;
      try {
        const r = await this.o.controller.releasePartition({ topicId: ref.topicId, partition: ref.partition }, ref.leaderEpoch, brokerEpoch);
        // Reported even when the watch has shown the new leader already (it may, before this answer arrives).
        if (r.errorCode === ErrorCode.NONE) {
          this.emit({ ...ref, type: 'hand-over-released', to, durationMs: this.o.clock.monotonicMs() - startedAt, flushMs });
          return;
        }
        if (signal.aborted) return;
        refusal = `${errorName(r.errorCode)}${r.errorMessage === null ? '' : `: ${r.errorMessage}`}`;
        // Refused. Worth another try only for a stale broker epoch: the lease keeper is
        // registering again (its heartbeat is answered fenced too), and the next attempt
        // uses the new epoch. FENCED_LEADER_EPOCH (the move was forced) and
        // NO_REASSIGNMENT_IN_PROGRESS (cancelled) are settled by the watch.
        if (r.errorCode !== ErrorCode.STALE_BROKER_EPOCH || attempt >= this.attempts) {
          this.emit({ ...ref, type: 'hand-over-failed', reason: `release refused (${refusal})` });
          return;
        }
      } catch (error) {
        if (signal.aborted) return;
        if (attempt >= this.attempts) {
          this.emit({ ...ref, type: 'hand-over-failed', reason: `release failed ${attempt} times`, error });
          return;
        }
      }
      try {
        await this.o.clock.sleep(this.retryMs * 2 ** (attempt - 1), signal);
      } catch {
        return;
      }
    }
  }

  private emit(e: HandOverEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch {
      // A failing log or metric must not stop a hand-over.
    }
  }
}
