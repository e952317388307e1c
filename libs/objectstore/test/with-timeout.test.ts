// withTimeout: a call with no answer by its deadline becomes a retriable `timeout`, even
// when the backend ignores the abort; the backend's signal is aborted with that error.

import { describe, expect, it } from 'vitest';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { MemoryObjectStore, ObjectStoreError, withRetry, withTimeout } from '../src/index.ts';
import type { ObjectStore, ReadOptions } from '../src/index.ts';
import { settle } from './support/manual-time.ts';

/** A store whose get never answers; it records the signal it was given. */
function hungStore(): ObjectStore & { signals: Array<AbortSignal | undefined> } {
  const inner = new MemoryObjectStore();
  const signals: Array<AbortSignal | undefined> = [];
  return Object.assign(Object.create(inner) as ObjectStore, {
    url: inner.url,
    signals,
    get: (_key: string, _range?: unknown, options?: ReadOptions) => {
      signals.push(options?.signal);
      return new Promise<Buffer>(() => undefined);
    },
  });
}

describe('withTimeout', () => {
  it('turns a hung call into a retriable timeout at the deadline, not before', async () => {
    const clock = new ManualClock();
    const hung = hungStore();
    const store = withTimeout(hung, { clock, timeoutMs: 1000 });
    let outcome: unknown = 'pending';
    const call = store.get('k/1').then(
      () => 'resolved',
      (e: unknown) => (outcome = e),
    );
    await clock.advance(999);
    expect(outcome).toBe('pending');
    await clock.advance(1);
    await call;
    expect(outcome).toBeInstanceOf(ObjectStoreError);
    const err = outcome as ObjectStoreError;
    expect(err.code).toBe('timeout');
    expect(err.retriable).toBe(true);
    expect(err.operation).toBe('get');
    expect(err.key).toBe('k/1');
    // The backend was told, with the same error as the reason.
    expect(hung.signals[0]?.aborted).toBe(true);
    expect(hung.signals[0]?.reason).toBe(err);
  });

  it('leaves fast calls alone and leaves no timer behind', async () => {
    const clock = new ManualClock();
    const store = withTimeout(new MemoryObjectStore(), { clock, timeoutMs: 50 });
    await store.put('a', Buffer.from('x'));
    expect((await store.get('a')).toString()).toBe('x');
    expect(await store.head('missing')).toBeUndefined();
    await new Promise<void>((r) => setImmediate(r));
    expect(clock.pending).toBe(0);
  });

  it('uses per-operation deadlines', async () => {
    const clock = new ManualClock();
    const store = withTimeout(hungStore(), { clock, timeoutMs: 100, perOperationMs: { get: 5000 } });
    const started = clock.monotonicMs();
    await expect(settle(clock, store.get('k'))).rejects.toMatchObject({ code: 'timeout' });
    expect(clock.monotonicMs() - started).toBe(5000);
  });

  it('passes the caller’s abort through as the caller’s reason', async () => {
    const clock = new ManualClock();
    const store = withTimeout(hungStore(), { clock, timeoutMs: 1000 });
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const call = store.get('k', undefined, { signal: controller.signal });
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
  });

  it('inside withRetry, gives each attempt its own deadline', async () => {
    const clock = new ManualClock();
    const inner = new MemoryObjectStore();
    await inner.put('k', Buffer.from('v'));
    let calls = 0;
    const flaky: ObjectStore = Object.assign(Object.create(inner) as ObjectStore, {
      url: inner.url,
      get: (key: string) => (++calls === 1 ? new Promise<Buffer>(() => undefined) : inner.get(key)),
    });
    const store = withRetry(withTimeout(flaky, { clock, timeoutMs: 200 }), { clock, random: new SeededRandom(1), baseDelayMs: 10 });
    expect((await settle(clock, store.get('k'))).toString()).toBe('v');
    expect(calls).toBe(2);
    expect(clock.monotonicMs()).toBeGreaterThanOrEqual(205);
    expect(clock.monotonicMs()).toBeLessThanOrEqual(210);
  });
});
