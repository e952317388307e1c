// The cluster protocol's clocks, kept in memory only: broker lease expiries, when this
// controller last heard from each broker and when its connection closed (suspicion),
// when it saw each move start and each broker fenced, and when a cancelled move may
// be tried again. None of it is journaled — a lease is a promise of this process's
// clock, not a fact of the cluster. A controller that becomes active (open after a
// restart or failover) therefore starts every clock at its own start: each registered
// broker gets a full lease, each move a full timeout and each fenced broker a full
// unclean-failover grace before this controller acts on them. That only ever waits
// longer than the previous controller would have; it never acts sooner.
//
// Monotonic time (clock.monotonicMs): a wall-clock step must not fence every broker at
// once. Wall times are only reported (leaseExpiresAtMs answers, describeCluster).

import type { Clock } from '@stratus/runtime';
import type { ResolvedClusterOptions } from './cluster-options.ts';

export type Suspicion = 'disconnected' | 'silent';

export type TimerOptions = Pick<ResolvedClusterOptions, 'brokerLeaseMs' | 'suspectAfterDisconnectMs' | 'suspectAfterSilenceMs'>;

export class ClusterTimers {
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly suspectAfterDisconnectMs: number;
  private readonly suspectAfterSilenceMs: number;
  /** Monotonic time this controller became active: the start of every clock it did not see start. */
  private readonly activeSince: number;
  private readonly leases = new Map<number, number>();
  /** Open Watch streams of each broker (a reconnect may open the new one before the old one's end is seen). */
  private readonly watches = new Map<number, number>();
  /** When a broker's last open Watch stream ended. */
  private readonly disconnectedAt = new Map<number, number>();
  private readonly fencedSince = new Map<number, number>();
  private readonly movesSince = new Map<string, number>();
  private readonly retryAt = new Map<string, number>();
  private recheckAt: number | undefined;

  constructor(clock: Clock, o: TimerOptions) {
    this.clock = clock;
    this.leaseMs = o.brokerLeaseMs;
    this.suspectAfterDisconnectMs = o.suspectAfterDisconnectMs;
    this.suspectAfterSilenceMs = o.suspectAfterSilenceMs;
    this.activeSince = clock.monotonicMs();
  }

  now(): number {
    return this.clock.monotonicMs();
  }

  /** A registration or heartbeat: the lease runs a full term from now. Returns its expiry as wall time. */
  renew(nodeId: number): number {
    this.leases.set(nodeId, this.now() + this.leaseMs);
    this.fencedSince.delete(nodeId);
    return this.leaseExpiresAtMs(nodeId);
  }

  /** Monotonic expiry; a broker this controller never heard from has a lease from its start. */
  private expiry(nodeId: number): number {
    return this.leases.get(nodeId) ?? this.activeSince + this.leaseMs;
  }

  leaseLapsed(nodeId: number): boolean {
    return this.now() >= this.expiry(nodeId);
  }

  /** The lease expiry as wall time (the controller's clock, epoch ms), whole: it goes on the wire as an int64. */
  leaseExpiresAtMs(nodeId: number): number {
    // Monotonic time is fractional on the system clock (performance.now()); gRPC refused to serialize the sum.
    return Math.round(this.clock.nowMs() + (this.expiry(nodeId) - this.now()));
  }

  fenced(nodeId: number): void {
    this.leases.delete(nodeId);
    this.fencedSince.set(nodeId, this.now());
  }

  /** How long until the broker has been fenced for `graceMs` by this controller's clock (0: it has). */
  fencedRemainingMs(nodeId: number, graceMs: number): number {
    return Math.max(0, (this.fencedSince.get(nodeId) ?? this.activeSince) + graceMs - this.now());
  }

  forgetBroker(nodeId: number): void {
    this.leases.delete(nodeId);
    this.fencedSince.delete(nodeId);
    this.disconnectedAt.delete(nodeId);
  }

  /** A Watch stream of the broker opened on this controller. */
  watchOpened(nodeId: number): void {
    this.watches.set(nodeId, (this.watches.get(nodeId) ?? 0) + 1);
    this.disconnectedAt.delete(nodeId);
  }

  /** A Watch stream of the broker ended (the broker cancelled it, or its connection closed). */
  watchClosed(nodeId: number): void {
    const open = (this.watches.get(nodeId) ?? 1) - 1;
    if (open > 0) {
      this.watches.set(nodeId, open);
      return;
    }
    this.watches.delete(nodeId);
    this.disconnectedAt.set(nodeId, this.now());
  }

  /**
   * Why the broker seems gone although its lease still runs, or null: nothing heard from
   * it for suspectAfterSilenceMs ('silent'), or its connection closed
   * suspectAfterDisconnectMs ago and it has neither watched again nor heartbeated since
   * ('disconnected'). The lease's own rules are untouched: a suspect still holds it, and a
   * heartbeat ends the suspicion.
   */
  suspicion(nodeId: number): Suspicion | null {
    const now = this.now();
    const heard = this.expiry(nodeId) - this.leaseMs;
    const closed = this.disconnectedAt.get(nodeId);
    if (closed !== undefined && closed >= heard && now - closed >= this.suspectAfterDisconnectMs) return 'disconnected';
    return now - heard >= this.suspectAfterSilenceMs ? 'silent' : null;
  }

  moveStarted(key: string): void {
    this.movesSince.set(key, this.now());
  }

  moveEnded(key: string): void {
    this.movesSince.delete(key);
  }

  /** The move has been under way for at least `timeoutMs` by this controller's clock. */
  moveTimedOut(key: string, timeoutMs: number): boolean {
    return this.now() >= (this.movesSince.get(key) ?? this.activeSince) + timeoutMs;
  }

  /** Moves of the partition are not started again before `delayMs` from now. */
  retryLater(key: string, delayMs: number): void {
    this.retryAt.set(key, this.now() + delayMs);
  }

  /** How long until the partition may move again (0: now). */
  retryRemainingMs(key: string): number {
    const at = this.retryAt.get(key);
    if (at === undefined) return 0;
    if (this.now() < at) return at - this.now();
    this.retryAt.delete(key);
    return 0;
  }

  /** The next check must rebalance once `ms` have passed (a grace or retry delay ends then). */
  recheckIn(ms: number): void {
    const at = this.now() + ms;
    if (this.recheckAt === undefined || at < this.recheckAt) this.recheckAt = at;
  }

  /** Whether a recheck asked for is due (and forgets it). */
  recheckDue(): boolean {
    if (this.recheckAt === undefined || this.now() < this.recheckAt) return false;
    this.recheckAt = undefined;
    return true;
  }

  /** Drops connection clocks of node ids that are not registered brokers (a watcher may name any id). */
  retainBrokers(isBroker: (nodeId: number) => boolean): void {
    for (const nodeId of this.disconnectedAt.keys()) if (!isBroker(nodeId)) this.disconnectedAt.delete(nodeId);
  }

  /** Drops clocks of moves and retries that no longer exist (bounded memory). */
  retain(isMoving: (key: string) => boolean): void {
    for (const key of this.movesSince.keys()) if (!isMoving(key)) this.movesSince.delete(key);
    const now = this.now();
    for (const [key, at] of this.retryAt) if (at <= now) this.retryAt.delete(key);
  }
}
