// A byte budget with waiting: reserve before taking on data, release when it is gone.
// The storage engine reserves un-uploaded bytes here *before* assigning offsets, so a
// full budget (object store down) rejects a produce cleanly instead of leaving a hole
// in the offsets. Waiters are served in arrival order so a large request is not starved.
// Within a group (one partition) a reservation never overtakes an earlier one that gave
// up: when a waiter times out, the later waiters of its group fail with it, so a
// partition's appends keep their order — an idempotent producer's batch 1 is never
// written when its batch 0 was refused (found by the chaos campaign).

import { CANCELLED } from '@stratus/runtime';
import type { Clock } from '@stratus/runtime';

export class BudgetExceededError extends Error {
  readonly retriable = true;
  constructor(message: string) {
    super(message);
    this.name = 'BudgetExceededError';
  }
}

interface Waiter {
  readonly bytes: number;
  /** Reservations of one group (one partition's appends) are granted in order or not at all. */
  readonly group: string | undefined;
  outcome: 'waiting' | 'granted' | 'refused';
  readonly settle: () => void;
}

export class ByteBudget {
  readonly capacityBytes: number;
  private used = 0;
  private waiters: Waiter[] = [];
  private readonly clock: Clock;
  /** When a reservation last timed out (monotonic ms), or -Infinity. */
  private lastRefusedAtMs = Number.NEGATIVE_INFINITY;

  constructor(capacityBytes: number, clock: Clock) {
    if (!(capacityBytes > 0)) throw new RangeError(`byte budget capacity must be positive, got ${capacityBytes}`);
    this.capacityBytes = capacityBytes;
    this.clock = clock;
  }

  get usedBytes(): number {
    return this.used;
  }

  /** Reservations waiting for room now. */
  get waitingCount(): number {
    return this.waiters.length;
  }

  /** Whether a reservation waited in vain within the last `withinMs`. */
  refusedWithin(withinMs: number): boolean {
    return this.clock.monotonicMs() - this.lastRefusedAtMs < withinMs;
  }

  /**
   * Takes `bytes` now if there is room and nobody is waiting (so it cannot overtake a
   * waiter); false otherwise. Lets callers keep their own ordering without an await.
   */
  tryReserve(bytes: number): boolean {
    if (this.waiters.length > 0 || this.used + bytes > this.capacityBytes) return false;
    this.used += bytes;
    return true;
  }

  /**
   * Takes `bytes`, waiting up to `waitMs` for room. A request larger than the capacity
   * fails at once. With a `group`, a timed-out reservation takes the later waiting ones of
   * the same group down with it (see the header).
   */
  async reserve(bytes: number, waitMs: number, group?: string): Promise<void> {
    if (bytes > this.capacityBytes) throw new BudgetExceededError(`${bytes} bytes exceed the whole budget of ${this.capacityBytes}`);
    if (this.waiters.length === 0 && this.used + bytes <= this.capacityBytes) {
      this.used += bytes;
      return;
    }
    let waiter!: Waiter;
    const settled = new Promise<void>((resolve) => {
      waiter = { bytes, group, outcome: 'waiting', settle: resolve };
    });
    this.waiters.push(waiter);
    const abort = new AbortController();
    const timedOut = this.clock.sleep(waitMs, abort.signal).catch(() => undefined);
    await Promise.race([settled, timedOut]);
    abort.abort(CANCELLED);
    if (waiter.outcome === 'granted') return;
    if (waiter.outcome === 'refused') {
      throw new BudgetExceededError(`an earlier append to the same partition found no room for its bytes; this one (${bytes} bytes) may not overtake it`);
    }
    this.lastRefusedAtMs = this.clock.monotonicMs();
    const at = this.waiters.indexOf(waiter);
    const followers = group === undefined ? [] : this.waiters.slice(at + 1).filter((w) => w.group === group);
    this.waiters = this.waiters.filter((w) => w !== waiter && !followers.includes(w));
    waiter.outcome = 'refused';
    for (const w of followers) {
      w.outcome = 'refused';
      w.settle();
    }
    this.grant(); // a smaller waiter behind this one may fit now
    throw new BudgetExceededError(`no room for ${bytes} bytes within ${waitMs} ms (${this.used} of ${this.capacityBytes} in use)`);
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    this.grant();
  }

  private grant(): void {
    while (this.waiters.length > 0 && this.used + this.waiters[0]!.bytes <= this.capacityBytes) {
      const w = this.waiters.shift()!;
      this.used += w.bytes;
      w.outcome = 'granted';
      w.settle();
    }
  }
}
