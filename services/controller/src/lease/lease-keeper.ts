// Keeps a controller in the election: a standby tries to acquire the lease, the holder
// renews it, and both report changes through callbacks. Time comes from the injected
// Clock; expiry itself is Redis' (PX), so the keeper only schedules.
//
// When the holder stops being the controller: a renewal answered "not yours" (expired,
// taken over) ends it at once; a renewal that fails (Redis unreachable, timeout) is
// retried on the renewal interval, and the holder steps down when `leaseMs` has passed
// since the start of its last successful acquire or renewal — measured from the send,
// so that (clock rates aside) the holder gives up no later than Redis expires the lease
// and a standby can win it. Writes stay safe even if a stepped-down holder lingers:
// the metadata store refuses them once the epoch moved (fencing).
//
// Failover time: a standby wins at most `leaseMs` + one retry after the holder died.
// The defaults (lease 3 s, renew every 1 s, standbys retry every 1 s, or sooner when
// the lease's remaining time is shorter) keep it within 4 s, under the 5 s target, and
// let a holder miss one renewal without losing the lease.

import type { Clock } from '@stratus/runtime';
import type { AcquireResult } from './redis-lease.ts';
import { MAX_LEASE_MS, MIN_LEASE_MS } from './redis-lease.ts';

/** What the keeper needs of a lease (RedisControllerLease; tests may wrap it to inject faults). */
export interface LeaseBackend {
  acquire(holderId: string, leaseMs: number): Promise<AcquireResult>;
  renew(holderId: string, epoch: number, leaseMs: number): Promise<boolean>;
  release(holderId: string, epoch: number): Promise<boolean>;
}

export interface ControllerLeaseKeeperOptions {
  readonly lease: LeaseBackend;
  /** Unique per process incarnation (see redis-lease.ts). */
  readonly holderId: string;
  readonly clock: Clock;
  /** Lease time. Default 3,000 ms. */
  readonly leaseMs?: number;
  /** Renewal period of the holder; at most half the lease time, so one failed renewal does not lose it. Default 1,000 ms. */
  readonly renewIntervalMs?: number;
  /** How often a standby tries to acquire (sooner when the lease expires sooner). Default 1,000 ms. */
  readonly acquireRetryMs?: number;
  /** This process became the controller with `epoch`. Synchronous: start async work without holding up renewals. */
  readonly onAcquired: (epoch: number) => void;
  /** This process is no longer the controller of `epoch` (lost, expired, or stop()). */
  readonly onLost: (epoch: number, reason: string) => void;
  /** A failed Redis call (the keeper retries on its own). */
  readonly onError?: (err: Error) => void;
}

export const CONTROLLER_LEASE_DEFAULTS = { leaseMs: 3000, renewIntervalMs: 1000, acquireRetryMs: 1000 } as const;

interface Held {
  readonly epoch: number;
  /** Monotonic time until which the lease is surely this process's. */
  validUntilMs: number;
}

export class ControllerLeaseKeeper {
  private readonly o: ControllerLeaseKeeperOptions;
  private readonly leaseMs: number;
  private readonly renewIntervalMs: number;
  private readonly acquireRetryMs: number;
  private readonly abort = new AbortController();
  private held: Held | undefined;
  private running: Promise<void> | undefined;

  constructor(options: ControllerLeaseKeeperOptions) {
    const int = (name: string, v: number | undefined, fallback: number, min: number, max: number): number => {
      const value = v ?? fallback;
      if (!Number.isSafeInteger(value) || value < min || value > max) throw new RangeError(`ControllerLeaseKeeper option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
      return value;
    };
    this.o = options;
    this.leaseMs = int('leaseMs', options.leaseMs, CONTROLLER_LEASE_DEFAULTS.leaseMs, MIN_LEASE_MS, MAX_LEASE_MS);
    this.renewIntervalMs = int('renewIntervalMs', options.renewIntervalMs, CONTROLLER_LEASE_DEFAULTS.renewIntervalMs, 1, Math.floor(this.leaseMs / 2));
    this.acquireRetryMs = int('acquireRetryMs', options.acquireRetryMs, CONTROLLER_LEASE_DEFAULTS.acquireRetryMs, 1, MAX_LEASE_MS);
  }

  /** Starts trying to acquire (and then renewing); idempotent. */
  start(): void {
    this.running ??= Promise.all([this.loop(), this.watchDeadline()]).then(() => undefined);
  }

  /** The epoch this process holds the lease with, while it surely does; undefined otherwise. */
  get epoch(): number | undefined {
    const h = this.held;
    return h !== undefined && this.o.clock.monotonicMs() < h.validUntilMs ? h.epoch : undefined;
  }

  /** Stops, reports the loss of a held lease, and releases it so a standby need not wait for the expiry. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('lease keeper stopped'));
    await this.running;
    const h = this.held;
    if (h === undefined) return;
    this.lose('the lease keeper stopped');
    await this.o.lease.release(this.o.holderId, h.epoch).catch((err: unknown) => this.o.onError?.(err as Error));
  }

  private async loop(): Promise<void> {
    const { clock, lease, holderId } = this.o;
    while (!this.abort.signal.aborted) {
      const sentAt = clock.monotonicMs();
      let pause: number;
      if (this.held === undefined) {
        let result: AcquireResult | undefined;
        try {
          result = await lease.acquire(holderId, this.leaseMs);
        } catch (err) {
          this.o.onError?.(err as Error);
        }
        if (this.abort.signal.aborted) {
          // Won while stopping: give it back rather than leave a standby waiting for the expiry.
          if (result?.acquired === true) await lease.release(holderId, result.epoch).catch((err: unknown) => this.o.onError?.(err as Error));
          break;
        }
        if (result?.acquired === true) {
          this.held = { epoch: result.epoch, validUntilMs: sentAt + this.leaseMs };
          this.notify(() => this.o.onAcquired(result.epoch));
          pause = this.renewIntervalMs;
        } else {
          // Wake when the current lease could have expired, if that is sooner than the retry.
          pause = result === undefined ? this.acquireRetryMs : Math.min(this.acquireRetryMs, Math.max(1, result.holder.remainingMs + 1));
        }
      } else {
        const held = this.held;
        let renewed: boolean | undefined;
        try {
          renewed = await lease.renew(holderId, held.epoch, this.leaseMs);
        } catch (err) {
          this.o.onError?.(err as Error);
        }
        if (this.abort.signal.aborted) break;
        if (this.held !== held) {
          pause = 0; // the deadline passed meanwhile: try to acquire again at once
        } else if (renewed === true) {
          held.validUntilMs = sentAt + this.leaseMs;
          pause = this.renewIntervalMs;
        } else if (renewed === false) {
          this.lose('the lease expired or another controller holds it');
          pause = 0;
        } else {
          pause = this.renewIntervalMs;
        }
      }
      await clock.sleep(pause, this.abort.signal).catch(() => undefined);
    }
  }

  /** Steps down when the lease time passes without a successful renewal, even while a call hangs. */
  private async watchDeadline(): Promise<void> {
    const { clock } = this.o;
    while (!this.abort.signal.aborted) {
      const h = this.held;
      const wait = h === undefined ? this.renewIntervalMs : h.validUntilMs - clock.monotonicMs();
      if (h !== undefined && wait <= 0) {
        this.lose(`no successful renewal within the lease time (${this.leaseMs} ms)`);
        continue;
      }
      await clock.sleep(wait, this.abort.signal).catch(() => undefined);
    }
  }

  private lose(reason: string): void {
    const h = this.held;
    if (h === undefined) return;
    this.held = undefined;
    this.notify(() => this.o.onLost(h.epoch, reason));
  }

  /** Runs a callback; one that throws is reported, and must not stop the renewals. */
  private notify(callback: () => void): void {
    try {
      callback();
    } catch (err) {
      this.o.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
