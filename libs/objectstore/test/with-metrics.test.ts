// withMetrics: exact counts per operation and outcome, bytes, and latency buckets.

import { describe, expect, it } from 'vitest';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { LATENCY_BUCKETS_MS, MemoryObjectStore, ObjectStoreMetrics, withMetrics, withRetry } from '../src/index.ts';
import { withFaults } from '../src/testing/index.ts';
import { settle } from './support/manual-time.ts';

describe('withMetrics', () => {
  it('counts every call by operation and outcome, exactly', async () => {
    const metrics = new ObjectStoreMetrics();
    const store = withMetrics(new MemoryObjectStore(), metrics);
    await store.put('a', Buffer.from('12345'));
    await store.put('b', [Buffer.from('12'), Buffer.from('345678')]);
    await store.put('a', Buffer.from('x'), { ifNoneMatch: true }).catch(() => undefined);
    await store.get('a');
    await store.get('b', { start: 2, end: 5 });
    await store.get('missing').catch(() => undefined);
    await store.get('a', { start: 10, end: 11 }).catch(() => undefined);
    await store.head('a');
    await store.head('missing');
    await store.list('');
    await store.delete('a');
    await store.deleteMany(['b', 'c']);
    await store.get('').catch(() => undefined);

    expect(metrics.snapshot().requests).toEqual({
      put: { ok: 2, precondition_failed: 1 },
      get: { ok: 2, not_found: 1, invalid_range: 1, invalid_argument: 1 },
      head: { ok: 1, not_found: 1 },
      list: { ok: 1 },
      delete: { ok: 1 },
      deleteMany: { ok: 1 },
    });
    expect(metrics.count('put')).toBe(3);
    expect(metrics.count('get', 'ok')).toBe(2);
    expect(metrics.snapshot().bytesWritten).toBe(5 + 8);
    expect(metrics.snapshot().bytesRead).toBe(5 + 3);
  });

  it('puts latencies on the injected clock into the right bucket', async () => {
    const clock = new ManualClock();
    const metrics = new ObjectStoreMetrics();
    const slow = withFaults(new MemoryObjectStore(), { random: new SeededRandom(1), latency: { clock, minMs: 30, maxMs: 30 } });
    const store = withMetrics(slow, metrics, { clock });
    await settle(clock, store.put('a', Buffer.from('x')));
    await settle(clock, store.get('a'));
    const { latency } = metrics.snapshot();
    const bucket = LATENCY_BUCKETS_MS.findIndex((b) => b >= 30);
    expect(latency.put.count).toBe(1);
    expect(latency.put.sumMs).toBe(30);
    expect(latency.put.counts[bucket]).toBe(1);
    expect(latency.get.counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(latency.list.count).toBe(0);
  });

  it('keeps the latencies of failed calls apart from served ones, by outcome', async () => {
    const clock = new ManualClock();
    const metrics = new ObjectStoreMetrics();
    const slow = withFaults(new MemoryObjectStore(), { random: new SeededRandom(1), latency: { clock, minMs: 30, maxMs: 30 } });
    const store = withMetrics(slow, metrics, { clock });
    await settle(clock, store.put('a', Buffer.from('x')));
    await settle(clock, store.get('a'));
    await settle(clock, store.get('missing').catch(() => undefined));
    const { latencyByOutcome } = metrics.snapshot();
    expect(Object.keys(latencyByOutcome.get).sort()).toEqual(['not_found', 'ok']);
    expect(latencyByOutcome.get.ok!.count).toBe(1);
    expect(latencyByOutcome.get.not_found!.count).toBe(1);
    expect(latencyByOutcome.get.not_found!.sumMs).toBe(30);
    expect(latencyByOutcome.put).toEqual({ ok: { counts: expect.any(Array), count: 1, sumMs: 30 } });
    expect(latencyByOutcome.list).toEqual({});
  });

  it('counts attempts inside withRetry and calls outside it', async () => {
    const clock = new ManualClock();
    const attempts = new ObjectStoreMetrics();
    const calls = new ObjectStoreMetrics();
    const faulty = withFaults(new MemoryObjectStore(), { random: new SeededRandom(5), failureRate: 0.5, codes: ['unavailable'] });
    const store = withMetrics(withRetry(withMetrics(faulty, attempts, { clock }), { clock, random: new SeededRandom(6), maxAttempts: 50 }), calls, { clock });
    for (let i = 0; i < 20; i++) await settle(clock, store.put(`k${i}`, Buffer.from('x')));
    const injected = faulty.faultCounts().injected;
    expect(calls.snapshot().requests.put).toEqual({ ok: 20 });
    expect(attempts.snapshot().requests.put).toEqual({ ok: 20, unavailable: injected });
    expect(calls.snapshot().bytesWritten).toBe(20);
  });
});
