// withFaults: deterministic from its seed, honest counts, and "lost answer" faults whose
// write really happened.

import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@stratus/runtime';
import { MemoryObjectStore, ObjectStoreError } from '../src/index.ts';
import { withFaults } from '../src/testing/index.ts';

async function run(seed: number): Promise<string[]> {
  const store = withFaults(new MemoryObjectStore(), { random: new SeededRandom(seed), failureRate: 0.4 });
  const outcomes: string[] = [];
  for (let i = 0; i < 50; i++) {
    outcomes.push(await store.put(`k${i}`, Buffer.from('x')).then(() => 'ok', (e: ObjectStoreError) => e.code));
  }
  return outcomes;
}

describe('withFaults', () => {
  it('injects the same faults for the same seed', async () => {
    expect(await run(11)).toEqual(await run(11));
    expect(await run(11)).not.toEqual(await run(12));
  });

  it('counts what it injected; failures before the call write nothing', async () => {
    const inner = new MemoryObjectStore();
    const store = withFaults(inner, { random: new SeededRandom(3), failureRate: 0.5 });
    let failed = 0;
    for (let i = 0; i < 100; i++) {
      await store.put(`k${i}`, Buffer.from('x')).catch((e: unknown) => {
        expect(e).toBeInstanceOf(ObjectStoreError);
        expect((e as ObjectStoreError).retriable).toBe(true);
        failed++;
      });
    }
    const counts = store.faultCounts();
    expect(counts.calls).toBe(100);
    expect(counts.injected).toBe(failed);
    expect(counts.before).toBe(failed);
    expect(counts.after).toBe(0);
    expect(counts.byOperation.put).toBe(failed);
    expect(counts.byCode.throttled + counts.byCode.unavailable + counts.byCode.timeout).toBe(failed);
    expect(inner.size).toBe(100 - failed);
    expect(failed).toBeGreaterThan(30);
    expect(failed).toBeLessThan(70);
  });

  it('lost answers: the call fails but its write happened', async () => {
    const inner = new MemoryObjectStore();
    const store = withFaults(inner, { random: new SeededRandom(4), lostResponseRate: 1, codes: ['timeout'] });
    await expect(store.put('k', Buffer.from('v'))).rejects.toMatchObject({ code: 'timeout' });
    expect((await inner.get('k')).toString()).toBe('v');
    expect(store.faultCounts()).toMatchObject({ injected: 1, before: 0, after: 1, byCode: { timeout: 1 } });
  });

  it('limits faults to the chosen operations, and heals on setRates', async () => {
    const store = withFaults(new MemoryObjectStore(), { random: new SeededRandom(5), failureRate: 1, operations: ['get'] });
    await store.put('k', Buffer.from('v'));
    await expect(store.get('k')).rejects.toBeInstanceOf(ObjectStoreError);
    store.setRates({ failureRate: 0 });
    expect((await store.get('k')).toString()).toBe('v');
    expect(store.faultCounts().byOperation).toMatchObject({ put: 0, get: 1 });
  });
});
