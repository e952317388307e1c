// Fault injection for tests and simulations: wraps a store and fails a seeded share of
// calls with retriable errors, either before the call reaches the store (nothing
// happened) or after it succeeded (the answer was lost: the write did happen, which is
// what makes retries of conditional puts interesting). Optional latency. Deterministic
// from the injected Random (and Clock for latency). Not for production code.

import type { Clock, Random } from '@stratus/runtime';
import { ObjectStoreError } from '../object-store.ts';
import type { ObjectStore, ObjectStoreErrorCode } from '../object-store.ts';
import { OBJECT_STORE_OPERATIONS } from '../operations.ts';
import type { ObjectStoreOperation } from '../operations.ts';
import { intercept } from '../wrappers/intercept.ts';
import type { Call } from '../wrappers/intercept.ts';

export type InjectedFaultCode = Extract<ObjectStoreErrorCode, 'throttled' | 'unavailable' | 'timeout'>;

export interface FaultRates {
  /** Share of calls failed before they reach the store. */
  readonly failureRate?: number;
  /** Share of successful calls whose answer is replaced by an error. */
  readonly lostResponseRate?: number;
}

export interface FaultOptions extends FaultRates {
  readonly random: Random;
  /** Error codes to pick from, uniformly. Default all three retriable ones. */
  readonly codes?: readonly InjectedFaultCode[];
  /** Operations that may fail. Default all. */
  readonly operations?: readonly ObjectStoreOperation[];
  /** Latency added before each call, uniform in [minMs, maxMs], slept on `clock`. */
  readonly latency?: { readonly clock: Clock; readonly minMs: number; readonly maxMs: number };
}

export interface FaultCounts {
  /** Calls seen. */
  readonly calls: number;
  /** Faults injected in all (before + after). */
  readonly injected: number;
  /** Calls failed before reaching the store. */
  readonly before: number;
  /** Calls that reached the store and succeeded, but reported a failure. */
  readonly after: number;
  readonly byCode: Readonly<Record<InjectedFaultCode, number>>;
  readonly byOperation: Readonly<Record<ObjectStoreOperation, number>>;
}

export interface FaultyObjectStore extends ObjectStore {
  /** What was injected so far. */
  faultCounts(): FaultCounts;
  /** Changes the rates from now on, e.g. to end an outage. */
  setRates(rates: FaultRates): void;
}

const ALL_CODES: readonly InjectedFaultCode[] = ['throttled', 'unavailable', 'timeout'];

export function withFaults(store: ObjectStore, options: FaultOptions): FaultyObjectStore {
  const { random, latency } = options;
  const codes = options.codes ?? ALL_CODES;
  const operations = new Set(options.operations ?? OBJECT_STORE_OPERATIONS);
  let failureRate = options.failureRate ?? 0;
  let lostResponseRate = options.lostResponseRate ?? 0;
  let calls = 0;
  let before = 0;
  let after = 0;
  const byCode = Object.fromEntries(ALL_CODES.map((c) => [c, 0])) as Record<InjectedFaultCode, number>;
  const byOperation = Object.fromEntries(OBJECT_STORE_OPERATIONS.map((op) => [op, 0])) as Record<ObjectStoreOperation, number>;

  const fault = (call: Call<unknown>, phase: string): ObjectStoreError => {
    const code = codes[random.int(codes.length)] ?? 'unavailable';
    byCode[code]++;
    byOperation[call.operation]++;
    return new ObjectStoreError(code, call.operation, call.key, `injected fault (${phase})`);
  };

  const faulty = async <T>(call: Call<T>): Promise<T> => {
    calls++;
    if (latency !== undefined) await latency.clock.sleep(latency.minMs + random.next() * (latency.maxMs - latency.minMs), call.signal);
    const eligible = operations.has(call.operation);
    // Draw both decisions up front so the random sequence does not depend on outcomes.
    const failBefore = eligible && random.next() < failureRate;
    const loseAnswer = eligible && random.next() < lostResponseRate;
    if (failBefore) {
      before++;
      throw fault(call, 'before the call');
    }
    const result = await call.run();
    if (loseAnswer) {
      after++;
      throw fault(call, 'answer lost after the call succeeded');
    }
    return result;
  };

  return {
    ...intercept(store, faulty),
    faultCounts: () => ({ calls, injected: before + after, before, after, byCode: { ...byCode }, byOperation: { ...byOperation } }),
    setRates: (rates) => {
      failureRate = rates.failureRate ?? failureRate;
      lostResponseRate = rates.lostResponseRate ?? lostResponseRate;
    },
  };
}
