// When the controller takes a snapshot, and what it says about failed ones. A snapshot is
// due once snapshotJournalBytes of journal have accumulated since the last one. One that
// fails (ENOSPC, EIO on fsync, ...) trims nothing: the journal still holds every batch,
// the controller keeps serving, and the failure is reported once. The journal is then
// still over the threshold, so without a back-off every later batch would start another
// full snapshot that most likely fails the same way; instead the next attempt waits
// retryDelayMs, doubling with each consecutive failure up to retryMaxDelayMs (by the
// injected clock, checked as batches arrive: no timer). Close still tries once.

import type { Clock } from '@stratus/runtime';

export interface SnapshotScheduleOptions {
  readonly clock: Clock;
  /** Journal bytes since the last snapshot that make the next one due. */
  readonly journalBytes: number;
  /** Back-off after the first failure of a run of failures. */
  readonly retryDelayMs: number;
  /** Longest back-off. */
  readonly retryMaxDelayMs: number;
}

export interface SnapshotStats {
  /** Snapshots written since the controller opened. */
  readonly snapshots: number;
  /** Snapshot attempts that failed since the controller opened. */
  readonly snapshotFailures: number;
  /** Why the latest attempt failed; null when it succeeded (or none was made). */
  readonly lastSnapshotError: string | null;
  /** While backing off after a failure: the clock time from which the next automatic attempt may start. */
  readonly snapshotRetryAtMs: number | null;
}

/** What onBackgroundError receives for a failed snapshot: the store's error is the cause. */
export class SnapshotFailedError extends Error {
  constructor(upToSeq: number, cause: unknown, next: string) {
    super(
      `snapshot of the controller state up to journal batch ${upToSeq} failed (${cause instanceof Error ? cause.message : String(cause)}); nothing was trimmed, the journal holds every change; ${next}`,
      { cause },
    );
    this.name = 'SnapshotFailedError';
  }
}

export class SnapshotSchedule {
  private readonly o: SnapshotScheduleOptions;
  private snapshots = 0;
  private failures = 0;
  private consecutiveFailures = 0;
  private lastError: string | null = null;
  private retryAtMs: number | null = null;

  constructor(o: SnapshotScheduleOptions) {
    this.o = o;
  }

  /** Whether an automatic snapshot should start now, with `journalBytes` of journal since the last one. */
  due(journalBytes: number): boolean {
    if (journalBytes < this.o.journalBytes) return false;
    return this.retryAtMs === null || this.o.clock.nowMs() >= this.retryAtMs;
  }

  succeeded(): void {
    this.snapshots++;
    this.consecutiveFailures = 0;
    this.lastError = null;
    this.retryAtMs = null;
  }

  /** Records a failed attempt and starts (or lengthens) the back-off; returns the back-off in ms. */
  failed(cause: unknown): number {
    this.failures++;
    this.consecutiveFailures++;
    // 2 ** 52 would overflow nothing, but the cap is reached long before: stop doubling there.
    const doublings = Math.min(this.consecutiveFailures - 1, 52);
    const delay = Math.min(this.o.retryMaxDelayMs, this.o.retryDelayMs * 2 ** doublings);
    this.retryAtMs = this.o.clock.nowMs() + delay;
    this.lastError = cause instanceof Error ? cause.message : String(cause);
    return delay;
  }

  stats(): SnapshotStats {
    return { snapshots: this.snapshots, snapshotFailures: this.failures, lastSnapshotError: this.lastError, snapshotRetryAtMs: this.retryAtMs };
  }
}
