// The rate and throttle arithmetic against Kafka's own numbers: ClientQuotaManagerTest's
// quota-violation case (quota 500 B/s, 11 × 1 s windows: ten 400-byte requests a second
// apart, then 2300 bytes half a second later measure 600 B/s over 10.5 s and are throttled
// 2100 ms), and the window rules of Rate/SampledStat the formula rests on.

import { describe, expect, it } from 'vitest';
import { SampledRate, recordAndThrottle } from '../../src/quotas/sampled-rate.ts';

const KAFKA = { samples: 11, windowMs: 1000 };

describe('SampledRate (Kafka Rate over a SampledStat)', () => {
  it("reproduces Kafka's quota-violation case: 2100 ms", () => {
    const rate = new SampledRate(KAFKA, 0);
    let t = 0;
    for (let i = 0; i < 10; i++) {
      expect(recordAndThrottle(rate, 500, 400, t)).toBe(0);
      t += 1000;
    }
    t -= 500; // the spike comes half a second after the tenth request
    expect(rate.windowSizeMs(t)).toBe(10_500);
    expect(recordAndThrottle(rate, 500, 2300, t)).toBe(2100);
    expect(rate.measure(t)).toBeCloseTo(600, 9);
  });

  it('measures a first burst over samples − 1 full windows, not the milliseconds it took', () => {
    const rate = new SampledRate(KAFKA, 5_000);
    rate.record(1000, 5_000);
    expect(rate.windowSizeMs(5_000)).toBe(10_000);
    expect(rate.measure(5_000)).toBe(100);
    // (100 − 50) / 50 × 10 s: the client must stay silent 10 s for 100 B/s to become 50.
    const again = new SampledRate(KAFKA, 0);
    expect(recordAndThrottle(again, 50, 1000, 0)).toBe(10_000);
  });

  it('forgets samples without events for samples × window (an idle client starts from zero)', () => {
    const rate = new SampledRate(KAFKA, 0);
    rate.record(10_000, 0);
    expect(rate.measure(10_999)).toBeGreaterThan(0);
    expect(rate.measure(11_000)).toBe(0);
  });

  it('keeps samples + 1 slots, reusing the oldest: a steady rate measures as itself', () => {
    const rate = new SampledRate(KAFKA, 0);
    for (let t = 0; t <= 60_000; t += 100) rate.record(100, t); // 1000 B/s for a minute
    const r = rate.measure(60_000);
    expect(r).toBeGreaterThan(990);
    expect(r).toBeLessThan(1010);
  });

  it('takes back a negative record (an unrecorded fetch)', () => {
    const rate = new SampledRate(KAFKA, 0);
    rate.record(500, 0);
    rate.record(300, 10);
    rate.record(-300, 10);
    expect(rate.measure(10)).toBeCloseTo(500 / 10.01, 9); // 10 ms into the first window + 10 full ones
  });
});
