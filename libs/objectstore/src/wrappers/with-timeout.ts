// Gives each call a deadline on an injected Clock: when it passes, the call's signal is
// aborted with a `timeout` ObjectStoreError and the call rejects with it, even when the
// backend ignores the signal (a hung socket). Wrap it inside withRetry for a deadline per
// attempt, outside for one over all attempts. Not for retrying.

import { CANCELLED, systemClock } from '@stratus/runtime';
import type { Clock } from '@stratus/runtime';
import { ObjectStoreError } from '../object-store.ts';
import type { ObjectStore } from '../object-store.ts';
import type { ObjectStoreOperation } from '../operations.ts';
import { abortable } from '../internal/abort.ts';
import { intercept } from './intercept.ts';
import type { Call } from './intercept.ts';

export interface TimeoutOptions {
  readonly clock?: Clock;
  /** Deadline of every call, unless `perOperationMs` names its operation. */
  readonly timeoutMs: number;
  /** Longer deadlines for some operations, e.g. `{ put: 60_000 }` for large uploads. */
  readonly perOperationMs?: Partial<Record<ObjectStoreOperation, number>>;
}

export function withTimeout(store: ObjectStore, options: TimeoutOptions): ObjectStore {
  const clock = options.clock ?? systemClock;
  const deadline = async <T>(call: Call<T>): Promise<T> => {
    const ms = options.perOperationMs?.[call.operation] ?? options.timeoutMs;
    const timeout = new AbortController();
    const signal = call.signal !== undefined ? AbortSignal.any([call.signal, timeout.signal]) : timeout.signal;
    const timerStop = new AbortController();
    clock.sleep(ms, timerStop.signal).then(
      () => timeout.abort(new ObjectStoreError('timeout', call.operation, call.key, `no answer within ${ms} ms`)),
      () => undefined, // the call settled first and stopped the timer
    );
    try {
      // `abortable` settles as soon as `signal` aborts, whether or not the backend reacts.
      return await abortable(call.run(signal), signal);
    } finally {
      timerStop.abort(CANCELLED);
    }
  };
  return intercept(store, deadline);
}
