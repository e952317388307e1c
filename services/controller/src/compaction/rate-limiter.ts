// A byte-rate limit on the injected clock: background work (compaction) takes bytes
// before each read or write and sleeps when it runs ahead of `bytesPerSecond`, so it
// cannot take the object store's bandwidth from produce and fetch. Up to one second's
// worth may be taken at once (the burst); a single take larger than that waits for it.

import type { Clock } from '@stratus/runtime';

export class RateLimiter {
  private readonly clock: Clock;
  private readonly bytesPerSecond: number;
  /** Monotonic time until which the bytes taken so far are paid for. */
  private paidUntil: number;

  constructor(clock: Clock, bytesPerSecond: number) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`bytesPerSecond must be positive, got ${bytesPerSecond}`);
    this.clock = clock;
    this.bytesPerSecond = bytesPerSecond;
    this.paidUntil = clock.monotonicMs();
  }

  /** Resolves once `bytes` may be moved; rejects when `signal` aborts first. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = this.clock.monotonicMs();
    // Idle time earns at most one second of burst.
    this.paidUntil = Math.max(this.paidUntil, now - 1000) + (bytes / this.bytesPerSecond) * 1000;
    const wait = this.paidUntil - now - 1000;
    if (wait > 0) await this.clock.sleep(wait, signal);
  }
}
