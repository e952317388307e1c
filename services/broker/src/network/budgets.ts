// In-flight request byte budgets. A request's bytes count from the moment its size prefix
// is accepted (before the body is buffered) until its response has been handed to the
// socket, so "in flight" covers the body being received, the dispatch, and the wait for
// earlier responses. The per-connection budget is plain arithmetic in the connection; the
// budget shared by all connections lives here, with a FIFO of waiting connections so a
// large request is not starved by a stream of small ones from other connections.

/**
 * The admission rule for every byte budget: a request fits if it stays within the
 * limit, or if nothing else is in flight. The second half lets a request larger than the
 * whole budget (but under socketRequestMaxBytes) run alone instead of deadlocking.
 */
export function fitsBudget(usedBytes: number, requestBytes: number, limitBytes: number): boolean {
  return usedBytes === 0 || usedBytes + requestBytes <= limitBytes;
}

export interface BudgetWaiter {
  readonly bytes: number;
  /** Called once the bytes have been acquired on the waiter's behalf. */
  readonly grant: () => void;
}

export class SharedByteBudget {
  readonly limitBytes: number;
  private used = 0;
  private readonly waiters: BudgetWaiter[] = [];

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  get usedBytes(): number {
    return this.used;
  }

  get waitingCount(): number {
    return this.waiters.length;
  }

  /** Acquires now if the bytes fit and nobody queued earlier; false means call wait(). */
  tryAcquire(bytes: number): boolean {
    if (this.waiters.length > 0 || !fitsBudget(this.used, bytes, this.limitBytes)) return false;
    this.used += bytes;
    return true;
  }

  /** Queues a waiter; its grant runs (synchronously, inside a release) once it fits. */
  wait(waiter: BudgetWaiter): void {
    this.waiters.push(waiter);
  }

  /** Removes a waiter that no longer wants the bytes (its connection closed). */
  cancel(waiter: BudgetWaiter): void {
    const at = this.waiters.indexOf(waiter);
    if (at < 0) return;
    this.waiters.splice(at, 1);
    // The head may have been the one that did not fit; those behind it may now.
    if (at === 0) this.grantWaiters();
  }

  release(bytes: number): void {
    this.used -= bytes;
    this.grantWaiters();
  }

  private grantWaiters(): void {
    for (let head = this.waiters[0]; head !== undefined && fitsBudget(this.used, head.bytes, this.limitBytes); head = this.waiters[0]) {
      this.waiters.shift();
      this.used += head.bytes;
      head.grant();
    }
  }
}
