// The broker's lease with the controller (issue 10 §3): registers (each registration is a
// new broker epoch), renews by heartbeat every `heartbeatIntervalMs` on the injected clock,
// and fences itself when it cannot be sure it still holds the lease.
//
// Why the broker fences itself before the controller does: the controller moves nothing
// away from a broker before that broker's lease has expired by the controller's clock,
// counted from when the controller received the heartbeat — which is after the broker
// sent it. The broker counts from the send time of its last successful heartbeat and stops
// leading at `leaseMs - safetyMarginMs`, so it has stopped before the controller can act,
// as long as the two clocks' rates differ by less than the margin over one lease (1 s over
// 6 s by default; clock rates of real machines differ by parts per million).
//
// Self-fenced means: stop accepting produce on every led partition (the broker's listener
// does that), keep the WAL (its data still uploads and commits under its epochs), and go
// on heartbeating. A heartbeat that succeeds unfenced renews the lease from its send time;
// one answered `fenced: true` (the controller fenced this epoch) makes the keeper register
// again, with exponential backoff between failed attempts, until it succeeds or is closed.
// Controller errors never escape: they are events, and the keeper keeps trying at its
// bounded pace (one heartbeat per interval, registrations at most one per backoff step).

import type { BrokerInfo, BrokerRegistration, ControllerApi, HeartbeatResult } from '@stratus/controller';
import { CANCELLED } from '@stratus/runtime';
import type { Clock } from '@stratus/runtime';

export interface LeaseSettings {
  /** The controller's cluster.brokerLeaseMs (must not exceed it). Default 6000. */
  readonly leaseMs?: number;
  /** Between heartbeats (cluster.heartbeatIntervalMs). Default 1000. */
  readonly heartbeatIntervalMs?: number;
  /** The broker fences itself this long before its lease would lapse. Default 1000. */
  readonly safetyMarginMs?: number;
  /** A heartbeat or registration not answered within this counts as failed. Default 2000. */
  readonly requestTimeoutMs?: number;
  /** First wait after a failed registration, doubled per failure up to registerBackoffMaxMs. Default 100. */
  readonly registerBackoffBaseMs?: number;
  /** Default 5000. */
  readonly registerBackoffMaxMs?: number;
}

export type LeaseEvent =
  | { readonly type: 'registered'; readonly brokerEpoch: number; readonly leaseExpiresAtMs: number }
  | { readonly type: 'register-failed'; readonly attempt: number; readonly retryInMs: number; readonly error: unknown }
  | { readonly type: 'heartbeat-failed'; readonly consecutive: number; readonly error: unknown }
  /** `lapsed`: no renewal for leaseMs - safetyMarginMs; `controller`: a heartbeat answered fenced. */
  | { readonly type: 'fenced'; readonly reason: 'lapsed' | 'controller'; readonly sinceRenewalMs: number }
  | { readonly type: 'unfenced'; readonly brokerEpoch: number };

export interface LeaseKeeperOptions extends LeaseSettings {
  readonly controller: Pick<ControllerApi, 'registerBroker' | 'heartbeat'>;
  readonly broker: BrokerInfo;
  readonly clock: Clock;
  /** Told when the broker fences itself (true) or may lead again (false). */
  readonly onFencedChange?: (fenced: boolean) => void;
  /** Logs and metrics. */
  readonly onEvent?: (event: LeaseEvent) => void;
}

type Resolved = Required<LeaseSettings>;

export function resolveLeaseSettings(s: LeaseSettings): Resolved {
  const r: Resolved = {
    leaseMs: s.leaseMs ?? 6000,
    heartbeatIntervalMs: s.heartbeatIntervalMs ?? 1000,
    safetyMarginMs: s.safetyMarginMs ?? 1000,
    requestTimeoutMs: s.requestTimeoutMs ?? 2000,
    registerBackoffBaseMs: s.registerBackoffBaseMs ?? 100,
    registerBackoffMaxMs: s.registerBackoffMaxMs ?? 5000,
  };
  for (const [k, v] of Object.entries(r)) if (!Number.isFinite(v) || v < 0) throw new RangeError(`lease: ${k} must be a non-negative number, got ${v}`);
  if (r.heartbeatIntervalMs <= 0 || r.registerBackoffBaseMs <= 0) throw new RangeError('lease: heartbeatIntervalMs and registerBackoffBaseMs must be positive');
  if (r.safetyMarginMs >= r.leaseMs) throw new RangeError(`lease: safetyMarginMs (${r.safetyMarginMs}) must be below leaseMs (${r.leaseMs})`);
  if (r.heartbeatIntervalMs >= r.leaseMs - r.safetyMarginMs) {
    throw new RangeError(`lease: heartbeatIntervalMs (${r.heartbeatIntervalMs}) must be below leaseMs - safetyMarginMs (${r.leaseMs - r.safetyMarginMs}), or every lease lapses`);
  }
  return r;
}

export class LeaseKeeper {
  private readonly o: LeaseKeeperOptions;
  private readonly s: Resolved;
  private readonly stop = new AbortController();
  private registration: BrokerRegistration | undefined;
  /** Monotonic send time of the last successful renewal (registration or heartbeat). */
  private renewedAt = 0;
  private isFenced = true;
  /** Wakes the lapse timer when a renewal moves the deadline. */
  private lapseWake: AbortController | undefined;
  private running: Promise<void> | undefined;
  private firstRegistration: { resolve: () => void; promise: Promise<void> };

  constructor(o: LeaseKeeperOptions) {
    this.o = o;
    this.s = resolveLeaseSettings(o);
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.firstRegistration = { resolve, promise };
  }

  /** The current registration's broker epoch (undefined before the first registration). */
  get brokerEpoch(): number | undefined {
    return this.registration?.brokerEpoch;
  }

  /** Fenced: not registered yet, lease lapsed, or the controller said so. */
  get fenced(): boolean {
    return this.isFenced;
  }

  /** Starts registering and heartbeating; resolves after the first successful registration (or on close). */
  start(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.run();
      void this.lapseLoop();
    }
    return this.firstRegistration.promise;
  }

  /** Stops heartbeating (the lease then lapses at the controller). */
  async close(): Promise<void> {
    this.stop.abort(CANCELLED);
    this.lapseWake?.abort(CANCELLED);
    this.firstRegistration.resolve();
    await this.running;
  }

  private get closed(): boolean {
    return this.stop.signal.aborted;
  }

  private async run(): Promise<void> {
    let heartbeatFailures = 0;
    while (!this.closed) {
      if (this.registration === undefined) {
        await this.register();
        continue;
      }
      if (!(await this.sleep(this.s.heartbeatIntervalMs))) return;
      const sentAt = this.o.clock.monotonicMs();
      let result: HeartbeatResult;
      try {
        result = await this.call(this.o.controller.heartbeat(this.o.broker.nodeId, this.registration.brokerEpoch), 'heartbeat');
      } catch (error) {
        if (this.closed) return;
        this.emit({ type: 'heartbeat-failed', consecutive: ++heartbeatFailures, error });
        continue;
      }
      if (this.closed) return;
      heartbeatFailures = 0;
      if (result.fenced) {
        this.fence('controller');
        this.registration = undefined; // register again: a new broker epoch
        continue;
      }
      this.renewed(sentAt);
    }
  }

  /** Registers once, backing off after each failure until it succeeds or the keeper closes. */
  private async register(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      const sentAt = this.o.clock.monotonicMs();
      try {
        const r = await this.call(this.o.controller.registerBroker(this.o.broker), 'registration');
        if (this.closed) return;
        this.registration = r;
        this.emit({ type: 'registered', brokerEpoch: r.brokerEpoch, leaseExpiresAtMs: r.leaseExpiresAtMs });
        this.renewed(sentAt);
        this.firstRegistration.resolve();
        return;
      } catch (error) {
        if (this.closed) return;
        const retryInMs = Math.min(this.s.registerBackoffMaxMs, this.s.registerBackoffBaseMs * 2 ** Math.min(attempt - 1, 20));
        this.emit({ type: 'register-failed', attempt, retryInMs, error });
        if (!(await this.sleep(retryInMs))) return;
      }
    }
  }

  private renewed(sentAt: number): void {
    this.renewedAt = Math.max(this.renewedAt, sentAt);
    // A renewal that was sent already too late does not unfence: the lease it extends is
    // counted from its send time, and that time has (nearly) passed.
    if (this.isFenced && this.o.clock.monotonicMs() - this.renewedAt < this.s.leaseMs - this.s.safetyMarginMs) {
      this.isFenced = false;
      this.emit({ type: 'unfenced', brokerEpoch: this.registration!.brokerEpoch });
      this.o.onFencedChange?.(false);
    }
    this.lapseWake?.abort(CANCELLED);
  }

  private fence(reason: 'lapsed' | 'controller'): void {
    if (this.isFenced) return;
    this.isFenced = true;
    this.emit({ type: 'fenced', reason, sinceRenewalMs: this.o.clock.monotonicMs() - this.renewedAt });
    this.o.onFencedChange?.(true);
  }

  /**
   * Fences at renewedAt + leaseMs - safetyMarginMs, independently of any call in flight
   * (a heartbeat that hangs must not keep the broker leading).
   */
  private async lapseLoop(): Promise<void> {
    while (!this.closed) {
      const wake = new AbortController();
      this.lapseWake = wake;
      const dueIn = this.renewedAt + this.s.leaseMs - this.s.safetyMarginMs - this.o.clock.monotonicMs();
      if (!this.isFenced && dueIn <= 0) this.fence('lapsed');
      // Fenced: nothing to time until a renewal wakes us.
      const slept = await this.o.clock.sleep(this.isFenced ? 2 ** 31 - 1 : dueIn, AbortSignal.any([wake.signal, this.stop.signal])).then(
        () => true,
        () => false,
      );
      if (slept && !this.closed && !this.isFenced && this.o.clock.monotonicMs() - this.renewedAt >= this.s.leaseMs - this.s.safetyMarginMs) this.fence('lapsed');
    }
  }

  /**
   * The controller's answer, or an error once requestTimeoutMs passes or the keeper
   * closes: a call that hangs must neither hold the lease loop nor delay close(). Its late
   * answer is ignored (still handled, so never unhandled).
   */
  private async call<T>(p: Promise<T>, what: string): Promise<T> {
    const timer = new AbortController();
    const expired = this.o.clock.sleep(this.s.requestTimeoutMs, AbortSignal.any([timer.signal, this.stop.signal])).then(() => {
      throw new Error(`${what} not answered within ${this.s.requestTimeoutMs} ms (requestTimeoutMs)`);
    });
    try {
      return await Promise.race([p, expired]);
    } finally {
      timer.abort(CANCELLED);
      expired.catch(() => undefined);
    }
  }

  /** Sleeps `ms`; false when the keeper closed meanwhile. */
  private async sleep(ms: number): Promise<boolean> {
    try {
      await this.o.clock.sleep(ms, this.stop.signal);
      return true;
    } catch {
      return false;
    }
  }

  private emit(e: LeaseEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch {
      // A failing log or metric must not stop the lease.
    }
  }
}
