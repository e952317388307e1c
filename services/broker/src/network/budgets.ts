// Byte budgets shared by all connections: the in-flight request bytes (from the size
// prefix until the response is written) and the response bytes (see response-ledger.ts).
// Both admit by the rules below; they are told here for requests.
//
// Why not one FIFO queue: a connection that announces a 100 MiB frame and then trickles
// its body holds (or waits at the head for) a large share of the budget for as long as it
// likes, and with FIFO every small request of every other connection queues behind it —
// eight such connections starve an ApiVersions. So admission is fair by size class:
//
// - Requests up to `smallMaxBytes` are small (ApiVersions, Metadata, Fetch requests,
//   heartbeats, commits, produce requests of normal clients). The last `smallReserveBytes`
//   of the budget are theirs alone: large requests never hold more than
//   limit − reserve, so however many large frames are announced, small requests still
//   get in. Small requests may also use the rest of the budget while no large request
//   waits.
// - Large requests are admitted in FIFO order among themselves. While one waits, small
//   requests are held to the reserve, so the budget they took beyond it drains and the
//   large request gets in once the large ones before it are done: small requests can
//   overtake a large one, but cannot starve it.
// - A large request that does not fit even in an empty large share (bigger than
//   limit − reserve) runs alone: when no other large request is in flight. That is
//   fitsBudget's rule, which keeps a request larger than the budget (but within
//   socket.request.max.bytes) from deadlocking.
//
// How long anything holds the budget is bounded elsewhere: a body must arrive within the
// request receive timeout (connection.ts), so a trickling client gives its reservation
// back after that; and each connection's share is capped by the per-connection budget.
// With a reserve of 0 the budget is plain FIFO (every request is large).

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

export interface FairBudgetOptions {
  /** Requests up to this many bytes are small (clamped to smallReserveBytes). */
  readonly smallMaxBytes: number;
  /** The part of the limit that only small requests may use; 0 makes the budget FIFO. */
  readonly smallReserveBytes: number;
}

export class FairByteBudget {
  readonly limitBytes: number;
  readonly smallMaxBytes: number;
  readonly smallReserveBytes: number;
  private used = 0;
  private smallUsed = 0;
  private readonly smallWaiters: BudgetWaiter[] = [];
  private readonly largeWaiters: BudgetWaiter[] = [];

  constructor(limitBytes: number, options: FairBudgetOptions = { smallMaxBytes: 0, smallReserveBytes: 0 }) {
    this.limitBytes = limitBytes;
    this.smallReserveBytes = Math.min(options.smallReserveBytes, limitBytes);
    // A small request must fit in the reserve, or the reserve could not guarantee it.
    this.smallMaxBytes = Math.min(options.smallMaxBytes, this.smallReserveBytes);
  }

  get usedBytes(): number {
    return this.used;
  }

  /** Bytes held by small requests (part of usedBytes). */
  get smallUsedBytes(): number {
    return this.smallUsed;
  }

  get waitingCount(): number {
    return this.smallWaiters.length + this.largeWaiters.length;
  }

  isSmall(bytes: number): boolean {
    return bytes <= this.smallMaxBytes;
  }

  /** Acquires now if the bytes fit and nobody of the same size class queued earlier; false means call wait(). */
  tryAcquire(bytes: number): boolean {
    const small = this.isSmall(bytes);
    if (small ? this.smallWaiters.length > 0 || !this.smallFits(bytes) : this.largeWaiters.length > 0 || !this.largeFits(bytes)) return false;
    this.take(bytes);
    return true;
  }

  /**
   * Takes bytes without asking (an answer that already exists cannot be refused). It
   * counts like any other holding, so later admissions wait for it to be released.
   */
  charge(bytes: number): void {
    this.take(bytes);
  }

  /** Queues a waiter; its grant runs (synchronously, inside a release) once it fits. */
  wait(waiter: BudgetWaiter): void {
    (this.isSmall(waiter.bytes) ? this.smallWaiters : this.largeWaiters).push(waiter);
  }

  /** Removes a waiter that no longer wants the bytes (its connection closed). */
  cancel(waiter: BudgetWaiter): void {
    const queue = this.isSmall(waiter.bytes) ? this.smallWaiters : this.largeWaiters;
    const at = queue.indexOf(waiter);
    if (at < 0) return;
    queue.splice(at, 1);
    // The head may have been the one that did not fit (or a large waiter holding small
    // requests to the reserve); those behind it may now.
    if (at === 0) this.grantWaiters();
  }

  /** Gives back bytes taken by tryAcquire, a grant or charge — the same amount, so the size class matches. */
  release(bytes: number): void {
    this.used -= bytes;
    if (this.isSmall(bytes)) this.smallUsed -= bytes;
    this.grantWaiters();
  }

  private take(bytes: number): void {
    this.used += bytes;
    if (this.isSmall(bytes)) this.smallUsed += bytes;
  }

  private smallFits(bytes: number): boolean {
    if (this.smallUsed + bytes <= this.smallReserveBytes) return true;
    return this.largeWaiters.length === 0 && fitsBudget(this.used, bytes, this.limitBytes);
  }

  private largeFits(bytes: number): boolean {
    const largeUsed = this.used - this.smallUsed;
    if (largeUsed + bytes <= this.limitBytes - this.smallReserveBytes && this.used + bytes <= this.limitBytes) return true;
    // Alone among large requests; small ones stay within their reserve beside it.
    return largeUsed === 0 && this.smallUsed <= this.smallReserveBytes;
  }

  private grantWaiters(): void {
    // Large first: while one waits, small requests are held to the reserve, so granting
    // it can only widen what small ones may take. Grants may re-enter (a granted
    // connection reads on and acquires again), so the heads are re-read every time.
    for (let head = this.largeWaiters[0]; head !== undefined && this.largeFits(head.bytes); head = this.largeWaiters[0]) {
      this.largeWaiters.shift();
      this.take(head.bytes);
      head.grant();
    }
    for (let head = this.smallWaiters[0]; head !== undefined && this.smallFits(head.bytes); head = this.smallWaiters[0]) {
      this.smallWaiters.shift();
      this.take(head.bytes);
      head.grant();
    }
  }
}
