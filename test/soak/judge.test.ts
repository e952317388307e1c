import { describe, expect, it } from 'vitest';
import { judge } from './lib/judge.ts';
import type { Sample } from './lib/judge.ts';
import type { SeriesSpec } from './lib/series.ts';
import { quiesceChecks } from './lib/soak.ts';

const series = (key: string, rule: SeriesSpec['rule']): SeriesSpec => ({ key, label: key, unit: 'count', rule });
const run = (f: (t: number) => Record<string, number>, n = 30): Sample[] => Array.from({ length: n }, (_, i) => ({ t: i * 10, values: f(i * 10) }));

describe('the soak judge', () => {
  it('calls a series flat when the last third stays within the allowance of the middle third, after any warm-up', () => {
    // Grows fast during the warm-up (the first third), then a sawtooth around 100.
    const samples = run((t) => ({ v: t < 100 ? t : 100 + ((t / 10) % 3) - 1 }));
    const [v] = judge(samples, [series('v', { kind: 'flat', rel: 0.1, floor: 5 })]).series;
    expect(v).toMatchObject({ start: 0, verdict: 'flat' });
    expect(v!.middle).toBeCloseTo(100, 0);
    expect(Math.abs(v!.growth!)).toBeLessThan(1);
  });

  it('calls a series growing when the last third exceeds the middle third by more than max(rel × middle, floor)', () => {
    const samples = run((t) => ({ slow: 1000 + t / 10, fast: 1000 + t }));
    const j = judge(samples, [series('slow', { kind: 'flat', rel: 0.1, floor: 5 }), series('fast', { kind: 'flat', rel: 0.1, floor: 5 })]);
    // slow: +10 between the thirds' means, allowed max(0.1 × ~1015, 5) ≈ 101; fast: +100 against ≈ 115.
    expect(j.series[0]).toMatchObject({ verdict: 'flat' });
    expect(j.series[1]!.growth).toBeCloseTo(100, 5);
    const floorOnly = judge(samples, [series('fast', { kind: 'flat', rel: 0, floor: 50 })]);
    expect(floorOnly.series[0]).toMatchObject({ verdict: 'grows', allowed: 50 });
    expect(floorOnly.failed).toEqual(['fast']);
    expect(floorOnly.series[0]!.slopePerHour).toBeCloseTo(3600, 5); // 1 per second
  });

  it('judges bounded series by their highest value, shows info series, and says when there is too little to judge', () => {
    const samples = run((t) => ({ b: t, i: t }));
    const j = judge(samples, [series('b', { kind: 'bounded', max: 200 }), series('i', { kind: 'info' }), series('missing', { kind: 'flat', rel: 0, floor: 1 })]);
    expect(j.series.map((s) => s.verdict)).toEqual(['over bound', 'info', 'no data']);
    expect(j.failed).toEqual(['b']);
    expect(judge(run(() => ({ v: 1 }), 4), [series('v', { kind: 'flat', rel: 0, floor: 0 })]).series[0]!.verdict).toBe('no data');
  });

  it('checks a quiesced process against its baseline', () => {
    const baseline = { openFds: 30, connections: 0 };
    const good = { connections: 0, openFds: 31, pendingBytes: 0, walBytes: 1000, walSegments: 1, topics: 2, partitions: 4, openPartitions: 4, storageLogs: 4 };
    expect(quiesceChecks(baseline, good, { topics: 2, partitions: 4 }).every((c) => c.ok)).toBe(true);
    const leaky = { ...good, connections: 1, openFds: 40, partitions: 6, storageLogs: 6 };
    expect(quiesceChecks(baseline, leaky, { topics: 2, partitions: 4 }).filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'no connection left open',
      'file descriptors back to the baseline (±3)',
      'deleted topics left no topic or partition in the index',
      'deleted topics left no partition open in the broker or the storage engine',
    ]);
  });
});
