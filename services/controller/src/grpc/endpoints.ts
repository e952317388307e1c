// Which controller a client talks to, out of the several a cluster runs (one active, the
// others standbys). Starts with the first configured address; a standby's redirect
// (redirect.ts) names the active one, which is followed at once, also when it is not in
// the list (a controller advertises the address brokers should use); an unreachable
// endpoint makes the client move on to the next one in the list. No timers and no I/O:
// the client decides when something failed, this only remembers where to go next.

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

  constructor(addresses: string | readonly string[]) {
    const list = (typeof addresses === 'string' ? [addresses] : [...addresses]).map((a) => a.trim());
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
  redirect(from: string, to: string | null): boolean {
    if (to === null || to === from) {
      this.failed(from);
      return false;
    }
    // Another call moved on already: send again to wherever that went.
    if (this.currentAddress !== from) return true;
    this.currentAddress = to;
    const at = this.configured.indexOf(to);
    if (at >= 0) this.index = at;
    this.redirects++;
    return true;
  }

  /** `address` could not be reached (or answered as a standby that knew no active one): try the next configured one. */
  failed(address: string): void {
    if (this.currentAddress !== address || !this.several) return;
    const at = this.configured.indexOf(address);
    this.index = ((at >= 0 ? at : this.index) + 1) % this.configured.length;
    this.currentAddress = this.configured[this.index]!;
    this.rotations++;
  }

  stats(): EndpointStats {
    return { current: this.currentAddress, redirects: this.redirects, rotations: this.rotations };
  }
}
