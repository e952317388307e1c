// One controller process's roles (issue 10 §4): it always serves gRPC on its port, and
// is either the active controller or a standby, as the election lease decides.
//
//   standby  — the ControllerLeaseKeeper tries to acquire the lease; every ControllerService
//              call is redirected to the active controller (active-slot.ts), whose address
//              the lease's holder id names (holder-id.ts); health says NOT_SERVING for the
//              controller service, SERVING for the process.
//   active   — on winning the lease with epoch E, `open(E)` opens the metadata store
//              fenced with E and loads the Controller; it is started (retention,
//              compaction, orphan sweep, cluster checks) and served.
//   stepping down — the keeper lost the lease: the Controller stops serving at once (its
//              store is fenced by the new holder's epoch anyway) and is closed; the
//              process is a standby again. The Controller's store failing (Redis down, or
//              fenced) steps down too, and the election starts over under a new holder
//              id, so the lease is released rather than held by a controller that serves
//              nothing. A close that does not finish within closeTimeoutMs cannot be a
//              clean step-down: onFatal, and the process exits non-zero for its
//              supervisor to restart it.
//
// Without an election (a file:// store: one controller by construction) the node is
// active from the start. stop() (SIGTERM): stop taking calls, let those in flight finish,
// close the Controller (its last snapshot under its own epoch), release the lease so a
// standby takes over at once instead of after the expiry, then close the server.
//
// Transitions run one at a time (a promise chain), so an acquire that arrives while the
// previous Controller is still closing waits for it.

import type { Clock } from '@stratus/runtime';
import type { Controller } from '../controller.ts';
import { ControllerGrpcServer } from '../grpc/server.ts';
import type { ControllerGrpcServerOptions } from '../grpc/server.ts';
import { ControllerLeaseKeeper } from '../lease/lease-keeper.ts';
import type { LeaseBackend } from '../lease/lease-keeper.ts';
import { ActiveSlot } from './active-slot.ts';
import type { CallOutcome } from './active-slot.ts';
import { holderId } from './holder-id.ts';
import { ObservedLease } from './observed-lease.ts';
import type { LeaseCounters } from './observed-lease.ts';

export type ControllerRole = 'standby' | 'activating' | 'active' | 'stopping' | 'stopped';

export type ControllerNodeEvent =
  | { readonly type: 'standby'; readonly reason: string }
  | { readonly type: 'acquired'; readonly epoch: number }
  | { readonly type: 'active'; readonly epoch: number; readonly openMs: number }
  | { readonly type: 'open-failed'; readonly epoch: number; readonly error: unknown }
  | { readonly type: 'lost'; readonly epoch: number; readonly reason: string }
  | { readonly type: 'store-failed'; readonly epoch: number | undefined; readonly error: unknown }
  | { readonly type: 'lease-error'; readonly error: unknown };

export interface ElectionOptions {
  /** The lease (RedisControllerLease over the metadata store's Redis). */
  readonly lease: LeaseBackend;
  /** Unique per process incarnation, e.g. name, pid and start time (no whitespace or '@'). */
  readonly incarnation: string;
  readonly leaseMs?: number;
  readonly renewIntervalMs?: number;
  readonly acquireRetryMs?: number;
}

export interface ControllerNodeOptions {
  readonly clock: Clock;
  /** The gRPC server (its api is the node's). */
  readonly grpc: Omit<ControllerGrpcServerOptions, 'api'>;
  /** host:port brokers reach this controller at, published with the lease. Default: the bound address. */
  readonly advertisedAddress?: string;
  /** Absent: a single controller, active at once (a file:// metadata store). */
  readonly election?: ElectionOptions;
  /**
   * Opens the metadata store (fenced with `epoch` when elected) and the Controller over it,
   * not started. `onStoreFailed` must be passed on as the Controller's onFatal.
   */
  readonly open: (epoch: number | undefined, onStoreFailed: (error: Error) => void) => Promise<Controller>;
  /** Longest wait for a Controller to close when stepping down; beyond it, onFatal. Default 10,000. */
  readonly closeTimeoutMs?: number;
  /** Longest wait for calls in flight on stop(). Default 5,000. */
  readonly drainTimeoutMs?: number;
  readonly onEvent?: (event: ControllerNodeEvent) => void;
  /** Each served call: name, duration, outcome (metrics). */
  readonly onCall?: (method: string, durationMs: number, outcome: CallOutcome) => void;
  /** The node cannot go on cleanly (a Controller that does not close): exit non-zero. */
  readonly onFatal: (reason: string, error?: unknown) => void;
}

export interface ControllerNodeStatus {
  readonly role: ControllerRole;
  /** The lease epoch while active (or activating); undefined otherwise. */
  readonly epoch: number | undefined;
  readonly advertisedAddress: string;
  /** The active controller's address as last seen (this one's when active). */
  readonly activeAddress: string | null;
  readonly lease: Readonly<LeaseCounters> | undefined;
  /** Times this node became active, and stepped down. */
  readonly activations: number;
  readonly stepDowns: number;
  readonly callsInFlight: number;
}

export class ControllerNode {
  readonly server: ControllerGrpcServer;
  readonly advertisedAddress: string;
  private readonly o: ControllerNodeOptions;
  private readonly slot: ActiveSlot;
  private readonly lease: ObservedLease | undefined;
  private keeper: ControllerLeaseKeeper | undefined;
  private keeperGeneration = 0;
  private role: ControllerRole = 'standby';
  /** The epoch the keeper says this node holds (set on acquire, cleared on loss). */
  private heldEpoch: number | undefined;
  private controller: { readonly controller: Controller; readonly epoch: number | undefined } | undefined;
  private chain: Promise<void> = Promise.resolve();
  private activations = 0;
  private stepDowns = 0;
  private stopping: Promise<void> | undefined;

  private constructor(o: ControllerNodeOptions, server: ControllerGrpcServer, slot: ActiveSlot, lease: ObservedLease | undefined, advertisedAddress: string) {
    this.o = o;
    this.server = server;
    this.slot = slot;
    this.lease = lease;
    this.advertisedAddress = advertisedAddress;
  }

  /** Starts serving (as a standby, or active at once without an election) and joins the election. */
  static async start(o: ControllerNodeOptions): Promise<ControllerNode> {
    const lease = o.election !== undefined ? new ObservedLease(o.election.lease, o.clock) : undefined;
    const ref: { node?: ControllerNode } = {};
    const slot = new ActiveSlot({
      activeAddress: () => (ref.node?.role === 'active' ? ref.node.advertisedAddress : (lease?.activeAddress() ?? null)),
      monotonicMs: () => o.clock.monotonicMs(),
      ...(o.onCall !== undefined ? { onCall: o.onCall } : {}),
    });
    const server = await ControllerGrpcServer.start({ ...o.grpc, api: slot.api });
    server.setServing(false);
    const node = new ControllerNode(o, server, slot, lease, o.advertisedAddress ?? server.address);
    ref.node = node;
    if (o.election === undefined) {
      node.acquired(undefined);
      await node.chain;
      if (node.role !== 'active') {
        await server.close();
        throw new Error('the controller could not open its metadata store (see the log)');
      }
    } else {
      holderId(o.election.incarnation, node.advertisedAddress); // fails now on a bad name or address
      node.startKeeper();
    }
    return node;
  }

  status(): ControllerNodeStatus {
    return {
      role: this.role,
      epoch: this.role === 'active' || this.role === 'activating' ? this.heldEpoch : undefined,
      advertisedAddress: this.advertisedAddress,
      activeAddress: this.role === 'active' ? this.advertisedAddress : (this.lease?.activeAddress() ?? null),
      lease: this.lease?.counters,
      activations: this.activations,
      stepDowns: this.stepDowns,
      callsInFlight: this.slot.callsInFlight,
    };
  }

  /** The Controller while active (for metrics); undefined otherwise. */
  get activeController(): Controller | undefined {
    return this.role === 'active' ? this.controller?.controller : undefined;
  }

  /** Monotonic time the lease was last answered by Redis (standby health); undefined without an election or before. */
  get leaseAnsweredMs(): number | undefined {
    return this.lease?.lastAnsweredMs;
  }

  private startKeeper(): void {
    const e = this.o.election!;
    const generation = ++this.keeperGeneration;
    const keeper = new ControllerLeaseKeeper({
      lease: this.lease!,
      holderId: holderId(generation === 1 ? e.incarnation : `${e.incarnation}.${generation}`, this.advertisedAddress),
      clock: this.o.clock,
      ...(e.leaseMs !== undefined ? { leaseMs: e.leaseMs } : {}),
      ...(e.renewIntervalMs !== undefined ? { renewIntervalMs: e.renewIntervalMs } : {}),
      ...(e.acquireRetryMs !== undefined ? { acquireRetryMs: e.acquireRetryMs } : {}),
      onAcquired: (epoch) => {
        if (this.keeper === keeper) this.acquired(epoch);
      },
      onLost: (epoch, reason) => {
        if (this.keeper === keeper) this.lost(epoch, reason);
      },
      onError: (error) => this.o.onEvent?.({ type: 'lease-error', error }),
    });
    this.keeper = keeper;
    keeper.start();
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err: unknown) => this.o.onFatal('a controller role change failed', err));
  }

  private acquired(epoch: number | undefined): void {
    this.heldEpoch = epoch;
    if (epoch !== undefined) this.o.onEvent?.({ type: 'acquired', epoch });
    this.enqueue(async () => {
      if (this.stopping !== undefined || this.heldEpoch !== epoch) return; // lost (or stopping) before its turn
      this.role = 'activating';
      const started = this.o.clock.monotonicMs();
      let controller: Controller;
      try {
        controller = await this.o.open(epoch, (error) => this.storeFailed(controller, error));
      } catch (error) {
        this.role = 'standby';
        this.o.onEvent?.({ type: 'open-failed', epoch: epoch ?? 0, error });
        if (epoch !== undefined) await this.restartElection();
        return;
      }
      if (this.stopping !== undefined || this.heldEpoch !== epoch) {
        await this.closeController(controller);
        return;
      }
      this.controller = { controller, epoch };
      controller.start();
      this.slot.set(controller);
      this.role = 'active';
      this.activations++;
      this.server.setServing(true);
      this.o.onEvent?.({ type: 'active', epoch: epoch ?? 0, openMs: Math.round(this.o.clock.monotonicMs() - started) });
    });
  }

  private lost(epoch: number, reason: string): void {
    if (this.heldEpoch === epoch) this.heldEpoch = undefined;
    this.o.onEvent?.({ type: 'lost', epoch, reason });
    // At once, not in turn: another controller may be active already.
    this.standDown();
    this.enqueue(() => this.closeCurrent());
  }

  /** The active Controller's store failed (Redis unreachable, or fenced): step down and start the election over. */
  private storeFailed(controller: Controller | undefined, error: Error): void {
    if (controller !== undefined && this.controller?.controller !== controller) return;
    this.o.onEvent?.({ type: 'store-failed', epoch: this.heldEpoch, error });
    if (this.o.election === undefined) {
      // One controller over a file:// store: nothing to hand over to; a restart reloads what is durable.
      this.o.onFatal('the metadata store failed', error);
      return;
    }
    this.standDown();
    this.enqueue(async () => {
      await this.closeCurrent();
      await this.restartElection();
    });
  }

  /** Stop serving the Controller (calls are redirected from now on). */
  private standDown(): void {
    if (this.role === 'active') this.stepDowns++;
    this.slot.set(undefined);
    this.server.setServing(false);
    if (this.role === 'active' || this.role === 'activating') this.role = 'standby';
  }

  private async closeCurrent(): Promise<void> {
    const c = this.controller;
    this.controller = undefined;
    if (c !== undefined) await this.closeController(c.controller);
    if (this.stopping === undefined) this.o.onEvent?.({ type: 'standby', reason: 'stepped down' });
  }

  private async closeController(controller: Controller): Promise<void> {
    const timeoutMs = this.o.closeTimeoutMs ?? 10_000;
    const stop = new AbortController();
    const closed = await Promise.race([
      controller.close().then(
        () => true,
        () => true, // a fenced or failed store refuses the last snapshot: closed all the same
      ),
      this.o.clock.sleep(timeoutMs, stop.signal).then(
        () => false,
        () => true,
      ),
    ]);
    stop.abort();
    if (!closed) this.o.onFatal(`the controller did not close within ${timeoutMs} ms after stepping down`);
  }

  /** Gives the lease up (if still held) and competes again under a new holder id. */
  private async restartElection(): Promise<void> {
    const old = this.keeper;
    this.keeper = undefined; // its onLost during stop() is this step-down's, already handled
    this.heldEpoch = undefined;
    await old?.stop();
    if (this.stopping === undefined) this.startKeeper();
  }

  /** Graceful stop: no new calls, in-flight ones finish, Controller closed, lease released, server closed. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.standDown();
      this.role = 'stopping';
      const stop = new AbortController();
      await Promise.race([this.slot.idle(), this.o.clock.sleep(this.o.drainTimeoutMs ?? 5000, stop.signal).catch(() => undefined)]);
      stop.abort();
      await this.chain;
      await this.closeCurrent();
      const keeper = this.keeper;
      this.keeper = undefined;
      await keeper?.stop();
      await this.server.close();
      this.role = 'stopped';
    })();
    return this.stopping;
  }
}
