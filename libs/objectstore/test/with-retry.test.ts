// withRetry: retries exactly the retriable failures, with backoff inside the configured
// bounds on an injected clock, and stops on abort or when attempts run out.

import { describe, expect, it } from 'vitest';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import type { Random } from '@stratus/runtime';
import { MemoryObjectStore, ObjectStoreError, ObjectStoreMetrics, backoffDelayMs, withMetrics, withRetry } from '../src/index.ts';
import type { ObjectStore, RetryEvent } from '../src/index.ts';
import { withFaults } from '../src/testing/index.ts';
import { settle } from './support/manual-time.ts';

const fixed = (value: number): Random => ({ next: () => value, int: (n) => Math.floor(value * n) });

describe('backoffDelayMs', () => {
  it('doubles the cap per attempt up to maxDelayMs and stays within [cap/2, cap]', () => {
    const caps = [100, 200, 400, 800, 1000, 1000];
    caps.forEach((cap, i) => {
      expect(backoffDelayMs(i + 1, 100, 1000, fixed(0))).toBe(cap / 2);
      expect(backoffDelayMs(i + 1, 100, 1000, fixed(0.999999))).toBeCloseTo(cap, 3);
    });
    const random = new SeededRandom(42);
    for (let attempt = 1; attempt <= 20; attempt++) {
      const cap = Math.min(1000, 100 * 2 ** (attempt - 1));
      const d = backoffDelayMs(attempt, 100, 1000, random);
      expect(d).toBeGreaterThanOrEqual(cap / 2);
      expect(d).toBeLessThanOrEqual(cap);
    }
  });
});

describe('withRetry', () => {
  it('gets every call through injected faults, with exactly one extra attempt per fault', async () => {
    const clock = new ManualClock();
    const faulty = withFaults(new MemoryObjectStore(), { random: new SeededRandom(7), failureRate: 0.3 });
    const attempts = new ObjectStoreMetrics();
    const retries: RetryEvent[] = [];
    const store = withRetry(withMetrics(faulty, attempts, { clock }), { clock, random: new SeededRandom(8), maxAttempts: 20, onRetry: (e) => retries.push(e) });

    for (let i = 0; i < 40; i++) {
      const key = `k/${i}`;
      await settle(clock, store.put(key, Buffer.from(key)));
      expect((await settle(clock, store.get(key))).toString()).toBe(key);
    }
    const faults = faulty.faultCounts();
    expect(faults.injected).toBeGreaterThan(10); // the test means something
    expect(faults.injected).toBe(faults.before);
    expect(attempts.count('put')).toBe(40 + faults.byOperation.put);
    expect(attempts.count('get')).toBe(40 + faults.byOperation.get);
    expect(attempts.count('put', 'ok')).toBe(40);
    expect(retries).toHaveLength(faults.injected);
    expect(retries.every((r) => r.error.retriable)).toBe(true);
  });

  it('does not retry non-retriable errors', async () => {
    const clock = new ManualClock();
    const attempts = new ObjectStoreMetrics();
    const inner = new MemoryObjectStore();
    const store = withRetry(withMetrics(inner, attempts), { clock });
    await expect(store.get('missing')).rejects.toMatchObject({ code: 'not_found' });
    await store.put('exists', Buffer.from('x'));
    await expect(store.put('exists', Buffer.from('y'), { ifNoneMatch: true })).rejects.toMatchObject({ code: 'precondition_failed' });
    await expect(store.get('exists', { start: 5, end: 6 })).rejects.toMatchObject({ code: 'invalid_range' });
    expect(attempts.count('get')).toBe(2);
    expect(attempts.count('put')).toBe(2);
    expect(clock.monotonicMs()).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('sleeps the backoff on the clock, within the bounds, and gives up after maxAttempts', async () => {
    const clock = new ManualClock();
    const faulty = withFaults(new MemoryObjectStore(), { random: new SeededRandom(1), failureRate: 1, codes: ['throttled'] });
    const retries: RetryEvent[] = [];
    const store = withRetry(faulty, { clock, random: new SeededRandom(2), maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1000, onRetry: (e) => retries.push(e) });

    const err = await settle(clock, store.head('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectStoreError);
    expect((err as ObjectStoreError).code).toBe('throttled');
    expect(faulty.faultCounts().calls).toBe(6);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5]);
    const caps = [100, 200, 400, 800, 1000];
    retries.forEach((r, i) => {
      expect(r.delayMs).toBeGreaterThanOrEqual(caps[i]! / 2);
      expect(r.delayMs).toBeLessThanOrEqual(caps[i]!);
    });
    // The clock moved by exactly the delays: no other sleeping, no real time.
    expect(clock.monotonicMs()).toBeCloseTo(retries.reduce((sum, r) => sum + r.delayMs, 0), 6);
  });

  it('stops at once when the caller aborts during a backoff', async () => {
    const clock = new ManualClock();
    const faulty = withFaults(new MemoryObjectStore(), { random: new SeededRandom(1), failureRate: 1 });
    const store = withRetry(faulty, { clock, random: new SeededRandom(2), maxAttempts: 10 });
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const call = store.get('x', undefined, { signal: controller.signal });
    call.catch(() => undefined);
    await new Promise<void>((r) => setImmediate(r));
    expect(clock.pending).toBe(1); // sleeping after the first failure
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(faulty.faultCounts().calls).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('flags a conditional put whose earlier attempt may have written', async () => {
    const clock = new ManualClock();
    // The first put reaches the store, but its answer is lost; the retry then finds the key taken.
    const faulty = withFaults(new MemoryObjectStore(), { random: new SeededRandom(3), lostResponseRate: 1, operations: ['put'] });
    const store = withRetry(
      {
        ...faulty,
        put: async (key, body, options) => {
          const result = faulty.put(key, body, options);
          faulty.setRates({ lostResponseRate: 0 });
          return result;
        },
      } satisfies ObjectStore,
      { clock, random: new SeededRandom(4) },
    );
    const err = (await settle(clock, store.put('lock', Buffer.from('mine'), { ifNoneMatch: true })).catch((e: unknown) => e)) as ObjectStoreError;
    expect(err.code).toBe('precondition_failed');
    expect(err.message).toMatch(/may be this very write/);
    expect((await faulty.get('lock')).toString()).toBe('mine');
  });

  it('validates its options', () => {
    expect(() => withRetry(new MemoryObjectStore(), { maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => withRetry(new MemoryObjectStore(), { baseDelayMs: 10, maxDelayMs: 5 })).toThrow(/baseDelayMs/);
  });
});
