// Failed authentications per source address: after `maxFailures` in one window, that
// address's further attempts fail at once without a credential check until the window
// ends — password guessing from one address is slowed to maxFailures per window. The
// table is bounded: past `maxAddresses` the least recently failed address is forgotten
// (an attacker with that many addresses gains a fresh window each, no more).

export interface FailureLimiterOptions {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly maxAddresses?: number;
}

export const DEFAULT_MAX_TRACKED_ADDRESSES = 10_000;

interface Entry {
  windowStartMs: number;
  failures: number;
}

export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly maxAddresses: number;

  private readonly o: FailureLimiterOptions;

  constructor(o: FailureLimiterOptions) {
    this.o = o;
    this.maxAddresses = o.maxAddresses ?? DEFAULT_MAX_TRACKED_ADDRESSES;
  }

  /** Whether `address` may try to authenticate now. */
  allows(address: string, nowMs: number): boolean {
    const e = this.entries.get(address);
    if (e === undefined || nowMs - e.windowStartMs >= this.o.windowMs) return true;
    return e.failures < this.o.maxFailures;
  }

  recordFailure(address: string, nowMs: number): void {
    let e = this.entries.get(address);
    if (e === undefined || nowMs - e.windowStartMs >= this.o.windowMs) e = { windowStartMs: nowMs, failures: 0 };
    e.failures++;
    this.entries.delete(address); // re-inserted last: the Map's order is least recently failed first
    this.entries.set(address, e);
    while (this.entries.size > this.maxAddresses) this.entries.delete(this.entries.keys().next().value!);
  }

  get trackedAddresses(): number {
    return this.entries.size;
  }
}

/** The address part of `host:port` (IPv6 hosts contain colons; the port is after the last). */
export function addressOf(remote: string): string {
  const colon = remote.lastIndexOf(':');
  return colon < 0 ? remote : remote.slice(0, colon);
}
