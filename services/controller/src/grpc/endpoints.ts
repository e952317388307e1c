// Which controller a client talks to, out of the several a cluster runs (one active, the
// others standbys). Starts with the first configured address; a standby's redirect
// (redirect.ts) names the active one, which is followed at once, also when it is not in
// the list (a controller advertises the address brokers should use); an unreachable
// endpoint makes the client move on to the next one in the list. No timers and no I/O:
// the client decides when something failed, this only remembers where to go next.
//
// An endpoint whose call timed out (it accepts connections but answers nothing: a frozen
// process) is avoided for a while (the time is the client's): rotation skips it, and a
// redirect naming it is not followed — the client asks the standby again after a backoff
// instead. A frozen active controller's standby names it until its election lease lapses;
// following that redirect at once would hang every retry on it for a call timeout, and a
// broker's heartbeats would miss the standby's takeover (test/cluster/controller-zombie.test.ts).

/**
 * Addresses outside the configured list whose channels a client keeps open. Redirects name
 * the active controller's advertised address, which is new with every controller pod in
 * Kubernetes: without a bound a broker would hold a channel to every controller it ever
 * followed, for weeks.
 */
export const MAX_UNLISTED_CHANNELS = 4;

export interface EndpointStats {
  readonly current: string;
  /** Times the client moved to another endpoint: redirects followed, unreachable ones left. */
  readonly redirects: number;
  readonly rotations: number;
}

export class ControllerEndpoints {
  readonly configured: readonly string[];
  private currentAddress: string;
  /** Position in `configured` that rotation continues from (a redirect target may be outside the list). */
  private index = 0;
  private redirects = 0;
  private rotations = 0;
  /** Address → until when (the client's monotonic ms) it is avoided after a timed-out call. */
  private readonly avoidUntil = new Map<string, number>();

  constructor(addresses: string | readonly string[]) {
    // A string may list several, comma-separated, as STRATUS_CONTROLLER_ENDPOINTS does.
    const list = (typeof addresses === 'string' ? addresses.split(',') : [...addresses]).map((a) => a.trim()).filter((a) => a.length > 0);
    if (list.length === 0) throw new RangeError('GrpcControllerClient: at least one controller address (target) is needed');
    for (const a of list) if (!/^[^\s/]+:\d{1,5}$/.test(a) && !/^[a-z][a-z0-9+.-]*:/.test(a)) throw new RangeError(`GrpcControllerClient: controller address must be host:port, got ${JSON.stringify(a)}`);
    this.configured = [...new Set(list)];
    this.currentAddress = this.configured[0]!;
  }

  get current(): string {
    return this.currentAddress;
  }

  /** Several endpoints to choose from (a single one is never left). */
  get several(): boolean {
    return this.configured.length > 1;
  }

  /**
   * A standby at `from` named `to` as the active controller. Returns whether the client
   * should send again at once: false when `to` is where it just was (a loop), or unknown.
   */
  redirect(from: string, to: string | null, nowMs = Number.NEGATIVE_INFINITY): boolean {
    if (to === null || to === from) {
      this.failed(from, nowMs);
      return false;
    }
    // Another call moved on already: send again to wherever that went.
    if (this.currentAddress !== from) return true;
    // Named, but just timed out: stay with the standby, which answers at once, until it
    // takes over or the time is up (the caller backs off before asking it again).
    if (this.avoided(to, nowMs)) return false;
    this.currentAddress = to;
    const at = this.configured.indexOf(to);
    if (at >= 0) this.index = at;
    this.redirects++;
    return true;
  }

  /**
   * `address` could not be reached (or answered as a standby that knew no active one): try
   * the next configured one that is not avoided (the next one at all when every other is).
   */
  failed(address: string, nowMs = Number.NEGATIVE_INFINITY): void {
    if (this.currentAddress !== address || !this.several) return;
    const at = this.configured.indexOf(address);
    const from = at >= 0 ? at : this.index;
    let next = (from + 1) % this.configured.length;
    for (let step = 1; step < this.configured.length; step++) {
      const candidate = (from + step) % this.configured.length;
      if (this.configured[candidate] !== address && !this.avoided(this.configured[candidate]!, nowMs)) {
        next = candidate;
        break;
      }
    }
    this.index = next;
    this.currentAddress = this.configured[this.index]!;
    this.rotations++;
  }

  /**
   * Of the addresses a client holds channels to (oldest first), those to close: the oldest
   * outside the configured list beyond the newest MAX_UNLISTED_CHANNELS, never the current one.
   */
  channelsToClose(held: readonly string[]): string[] {
    const unlisted = held.filter((a) => !this.configured.includes(a));
    return unlisted.slice(0, Math.max(0, unlisted.length - MAX_UNLISTED_CHANNELS)).filter((a) => a !== this.currentAddress);
  }

  /** A call to `address` timed out: avoid it until `untilMs`, and move on. */
  timedOut(address: string, nowMs: number, untilMs: number): void {
    // Forget the avoidances that ran out, so addresses seen once do not pile up.
    for (const [a, until] of this.avoidUntil) if (until <= nowMs) this.avoidUntil.delete(a);
    this.avoidUntil.set(address, untilMs);
    this.failed(address, nowMs);
  }

  /** A call to `address` was answered: it is not avoided any longer. */
  answered(address: string): void {
    this.avoidUntil.delete(address);
  }

  private avoided(address: string, nowMs: number): boolean {
    const until = this.avoidUntil.get(address);
    if (until === undefined) return false;
    if (nowMs < until) return true;
    this.avoidUntil.delete(address);
    return false;
  }

  stats(): EndpointStats {
    return { current: this.currentAddress, redirects: this.redirects, rotations: this.rotations };
  }
}
