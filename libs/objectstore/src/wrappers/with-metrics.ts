// Records every call into an ObjectStoreMetrics: operation, outcome, latency (on an
// injected Clock) and bytes. Placed inside withRetry it counts each attempt, i.e. the
// requests a backend bills; outside, each logical call. A multipart upload counts as one
// put. Not for logging or exporting.

import { systemClock } from '@stratus/runtime';
import type { Clock } from '@stratus/runtime';
import { ObjectStoreError } from '../object-store.ts';
import type { ObjectStore } from '../object-store.ts';
import { intercept } from './intercept.ts';
import type { Call } from './intercept.ts';
import type { ObjectStoreMetrics, ObjectStoreOutcome } from './metrics.ts';

export interface MetricsOptions {
  readonly clock?: Clock;
}

export function withMetrics(store: ObjectStore, metrics: ObjectStoreMetrics, options: MetricsOptions = {}): ObjectStore {
  const clock = options.clock ?? systemClock;
  const measured = async <T>(call: Call<T>): Promise<T> => {
    const started = clock.monotonicMs();
    try {
      const result = await call.run();
      // A head that finds nothing answers undefined; as a request it is a 404.
      const outcome: ObjectStoreOutcome = call.operation === 'head' && result === undefined ? 'not_found' : 'ok';
      metrics.record(call.operation, outcome, clock.monotonicMs() - started, {
        written: call.bytesOut,
        read: call.operation === 'get' ? (result as Buffer).length : 0,
      });
      return result;
    } catch (err) {
      metrics.record(call.operation, outcomeOf(err, call.signal), clock.monotonicMs() - started);
      throw err;
    }
  };
  return intercept(store, measured);
}

function outcomeOf(err: unknown, signal: AbortSignal | undefined): ObjectStoreOutcome {
  // A timeout wrapper outside aborts with an ObjectStoreError: count it by its code.
  if (err instanceof ObjectStoreError) return err.code;
  return signal?.aborted === true && err === signal.reason ? 'aborted' : 'error';
}
