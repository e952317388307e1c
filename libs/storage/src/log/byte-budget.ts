// A byte budget with waiting: reserve before taking on data, release when it is gone.
// The storage engine reserves un-uploaded bytes here *before* assigning offsets, so a
// full budget (object store down) rejects a produce cleanly instead of leaving a hole
// in the offsets. Waiters are served in arrival order so a large request is not starved.

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
  granted: boolean;
  readonly resolve: () => void;
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

  /** Takes `bytes`, waiting up to `waitMs` for room. A request larger than the capacity fails at once. */
  async reserve(bytes: number, waitMs: number): Promise<void> {
    if (bytes > this.capacityBytes) throw new BudgetExceededError(`${bytes} bytes exceed the whole budget of ${this.capacityBytes}`);
    if (this.waiters.length === 0 && this.used + bytes <= this.capacityBytes) {
      this.used += bytes;
      return;
    }
    let waiter!: Waiter;
    const granted = new Promise<void>((resolve) => {
      waiter = { bytes, granted: false, resolve };
    });
    this.waiters.push(waiter);
    const abort = new AbortController();
    const timedOut = this.clock.sleep(waitMs, abort.signal).then(
      () => true,
      () => false,
    );
    const outcome = await Promise.race([granted.then(() => false), timedOut]);
    abort.abort(CANCELLED);
    if (outcome && !waiter.granted) {
      this.lastRefusedAtMs = this.clock.monotonicMs();
      this.waiters = this.waiters.filter((w) => w !== waiter);
      this.grant(); // a smaller waiter behind this one may fit now
      throw new BudgetExceededError(`no room for ${bytes} bytes within ${waitMs} ms (${this.used} of ${this.capacityBytes} in use)`);
    }
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    this.grant();
  }

  private grant(): void {
    while (this.waiters.length > 0 && this.used + this.waiters[0]!.bytes <= this.capacityBytes) {
      const w = this.waiters.shift()!;
      this.used += w.bytes;
      w.granted = true;
      w.resolve();
    }
  }
}
