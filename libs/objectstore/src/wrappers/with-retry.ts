// Retries calls that failed with a retriable error (throttled, unavailable, timeout),
// with jittered exponential backoff on an injected Clock and Random, so tests can check
// every delay. The one place in Stratus that retries object-store calls: adapters turn
// their SDKs' retries off. Not for timeouts (withTimeout) or for deciding what is
// retriable (the adapters' error classification).

import { systemClock, systemRandom } from '@stratus/runtime';
import type { Clock, Random } from '@stratus/runtime';
import { ObjectStoreError } from '../object-store.ts';
import type { ObjectStore } from '../object-store.ts';
import type { ObjectStoreOperation } from '../operations.ts';
import { intercept } from './intercept.ts';
import type { Call } from './intercept.ts';

export interface RetryOptions {
  readonly clock?: Clock;
  readonly random?: Random;
  /** Attempts in all, the first included. Default 5. */
  readonly maxAttempts?: number;
  /** Cap of the first backoff; doubles per retry. Default 100 ms. */
  readonly baseDelayMs?: number;
  /** Cap of any backoff. Default 5000 ms. */
  readonly maxDelayMs?: number;
  /** Called before each backoff sleep (logging, tests). */
  readonly onRetry?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  readonly operation: ObjectStoreOperation;
  readonly key: string | undefined;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: ObjectStoreError;
}

/**
 * The sleep after failed attempt `attempt` (from 1): uniform in [cap/2, cap] with
 * cap = min(maxDelayMs, baseDelayMs * 2^(attempt-1)). Half the cap is always waited so a
 * throttled backend really gets relief; the random half spreads clients apart.
 */
export function backoffDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number, random: Random): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return cap / 2 + (random.next() * cap) / 2;
}

export function withRetry(store: ObjectStore, options: RetryOptions = {}): ObjectStore {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 5000;
  if (!(maxAttempts >= 1) || !(baseDelayMs >= 0) || !(maxDelayMs >= baseDelayMs)) {
    throw new ObjectStoreError('invalid_argument', 'withRetry', undefined, 'need maxAttempts >= 1 and 0 <= baseDelayMs <= maxDelayMs');
  }

  const retrying = async <T>(call: Call<T>): Promise<T> => {
    let ambiguous: ObjectStoreError | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call.run();
      } catch (err) {
        if (call.signal?.aborted === true) throw call.signal.reason;
        if (!(err instanceof ObjectStoreError)) throw err;
        if (err.code === 'precondition_failed' && ambiguous !== undefined) {
          // An earlier attempt failed without an answer and may have written: the
          // condition may have failed against our own write. Say so; only the caller can
          // check (e.g. by reading the object back).
          throw new ObjectStoreError('precondition_failed', call.operation, call.key, `after an earlier attempt failed ambiguously (${ambiguous.code}), so the object may be this very write`, { cause: err });
        }
        if (!err.retriable || attempt >= maxAttempts) throw err;
        if (call.conditional) ambiguous = err;
        const delayMs = backoffDelayMs(attempt, baseDelayMs, maxDelayMs, random);
        options.onRetry?.({ operation: call.operation, key: call.key, attempt, delayMs, error: err });
        await clock.sleep(delayMs, call.signal);
      }
    }
  };
  return intercept(store, retrying);
}
