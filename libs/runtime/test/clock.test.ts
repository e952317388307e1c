import { describe, expect, it } from 'vitest';
import { ManualClock, SeededRandom } from '../src/index.ts';

describe('ManualClock', () => {
  it('wakes sleepers in deadline order as time advances', async () => {
    const clock = new ManualClock(1000);
    const woke: string[] = [];
    const a = clock.sleep(50).then(() => woke.push(`a@${clock.monotonicMs()}`));
    const b = clock.sleep(10).then(() => woke.push(`b@${clock.monotonicMs()}`));
    await clock.advance(20);
    await b;
    expect(woke).toEqual(['b@10']);
    expect(clock.nowMs()).toBe(1020);
    await clock.advance(100);
    await a;
    expect(woke).toEqual(['b@10', 'a@50']);
    expect(clock.monotonicMs()).toBe(120);
    expect(clock.pending).toBe(0);
  });

  it('rejects an aborted sleep and forgets it', async () => {
    const clock = new ManualClock();
    const ac = new AbortController();
    const p = clock.sleep(10, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
  });
});

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const seq = (seed: number): number[] => {
      const r = new SeededRandom(seed);
      return Array.from({ length: 5 }, () => r.int(1000));
    };
    expect(seq(7)).toEqual(seq(7));
    expect(seq(7)).not.toEqual(seq(8));
    const r = new SeededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const v = r.next();
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });
});
