// The ControllerApi a controller process serves over gRPC, whatever its role: while
// active, every call goes to the Controller it opened with its lease epoch; while
// standby, every call is refused with NotActiveControllerError naming the active
// controller (the server turns that into a redirect, grpc/redirect.ts). Swapping the
// Controller in and out here lets one gRPC server keep its port across role changes.
//
// Built as a Proxy over ControllerApi's methods so that an operation added to the API
// needs nothing here. `onCall` sees each call's name, duration and outcome (metrics).

import type { ClusterMetadata, ControllerApi, WatcherIdentity } from '../controller-api.ts';
import { NotActiveControllerError } from '../grpc/redirect.ts';

export type CallOutcome = 'ok' | 'error' | 'redirect';

export interface ActiveSlotOptions {
  /** Where the active controller is, for a standby's redirects (null: not known). */
  readonly activeAddress: () => string | null;
  /** Monotonic milliseconds, for call durations. */
  readonly monotonicMs: () => number;
  readonly onCall?: (method: string, durationMs: number, outcome: CallOutcome) => void;
}

export class ActiveSlot {
  /** The API to serve. */
  readonly api: ControllerApi;
  private active: ControllerApi | undefined;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(o: ActiveSlotOptions) {
    const target = (): ControllerApi => {
      if (this.active === undefined) throw new NotActiveControllerError(o.activeAddress());
      return this.active;
    };
    const onCall = o.onCall;
    const handler: ProxyHandler<ControllerApi> = {
      get: (_, name) => {
        // Not an operation: symbols, and 'then' (else the slot would pass for a promise wherever it is awaited or returned from an async function).
        if (typeof name !== 'string' || name === 'then') return undefined;
        if (name === 'metadata') return (): ClusterMetadata => target().metadata();
        if (name === 'watch') return (listener: (m: ClusterMetadata) => void, watcher?: WatcherIdentity) => target().watch(listener, watcher);
        // The process closes the Controller it opened, not the gRPC server's caller.
        if (name === 'close') return () => Promise.resolve();
        return (...args: unknown[]): Promise<unknown> => {
          const started = o.monotonicMs();
          let result: Promise<unknown>;
          try {
            const api = target() as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
            const method = api[name];
            if (typeof method !== 'function') throw new TypeError(`ControllerApi has no operation ${name}`);
            result = method.apply(api, args);
          } catch (err) {
            result = Promise.reject(err);
          }
          this.inFlight++;
          return result.then(
            (value) => {
              this.done();
              onCall?.(name, o.monotonicMs() - started, 'ok');
              return value;
            },
            (err: unknown) => {
              this.done();
              onCall?.(name, o.monotonicMs() - started, err instanceof NotActiveControllerError ? 'redirect' : 'error');
              throw err;
            },
          );
        };
      },
    };
    this.api = new Proxy({} as ControllerApi, handler);
  }

  get isActive(): boolean {
    return this.active !== undefined;
  }

  /** Calls started and not yet answered. */
  get callsInFlight(): number {
    return this.inFlight;
  }

  /** Resolves once no call is in flight (at once when none is). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private done(): void {
    this.inFlight--;
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Serve `controller` (active), or refuse with redirects (undefined: standby). */
  set(controller: ControllerApi | undefined): void {
    this.active = controller;
  }
}
