// The election lease as the controller process uses it: the lease (a LeaseBackend,
// RedisControllerLease in production) wrapped so that the answers the keeper gets anyway
// are remembered and counted — who holds the lease when an acquire fails (the active
// controller's address, for redirects), and acquire/renew/release outcomes for /metrics.
// No extra Redis calls: a standby already asks acquire() once per retry interval.

import type { Clock } from '@stratus/runtime';
import type { LeaseBackend } from '../lease/lease-keeper.ts';
import type { AcquireResult } from '../lease/redis-lease.ts';
import { advertisedAddressOf } from './holder-id.ts';

export interface LeaseCounters {
  acquired: number;
  /** Acquire attempts that found the lease held by another controller. */
  held: number;
  renewed: number;
  /** Renewals answered "not yours" (the lease was lost). */
  refused: number;
  released: number;
  /** Calls that failed (Redis unreachable, timed out). */
  errors: number;
}

export class ObservedLease implements LeaseBackend {
  readonly counters: LeaseCounters = { acquired: 0, held: 0, renewed: 0, refused: 0, released: 0, errors: 0 };
  private readonly inner: LeaseBackend;
  private readonly clock: Clock;
  private known: { address: string | null; untilMs: number } | undefined;
  /** Monotonic time of the last answered call (undefined: none yet). */
  lastAnsweredMs: number | undefined;

  constructor(inner: LeaseBackend, clock: Clock) {
    this.inner = inner;
    this.clock = clock;
  }

  /**
   * The advertised address of the controller holding the lease, as last seen by a failed
   * acquire — while that lease can still be valid (its remaining time then); null otherwise.
   */
  activeAddress(): string | null {
    const k = this.known;
    return k !== undefined && this.clock.monotonicMs() < k.untilMs ? k.address : null;
  }

  async acquire(holderId: string, leaseMs: number): Promise<AcquireResult> {
    const sentAt = this.clock.monotonicMs();
    const result = await this.count(this.inner.acquire(holderId, leaseMs));
    if (result.acquired) {
      this.counters.acquired++;
      this.known = undefined;
    } else {
      this.counters.held++;
      this.known = { address: advertisedAddressOf(result.holder.holderId), untilMs: sentAt + result.holder.remainingMs };
    }
    return result;
  }

  async renew(holderId: string, epoch: number, leaseMs: number): Promise<boolean> {
    const renewed = await this.count(this.inner.renew(holderId, epoch, leaseMs));
    if (renewed) this.counters.renewed++;
    else this.counters.refused++;
    return renewed;
  }

  async release(holderId: string, epoch: number): Promise<boolean> {
    const released = await this.count(this.inner.release(holderId, epoch));
    if (released) this.counters.released++;
    return released;
  }

  private async count<T>(call: Promise<T>): Promise<T> {
    try {
      const answer = await call;
      this.lastAnsweredMs = this.clock.monotonicMs();
      return answer;
    } catch (err) {
      this.counters.errors++;
      throw err;
    }
  }
}
