import { describe, expect, it } from 'vitest';
import { planRetention } from '../src/retention.ts';
import type { Extent } from '../src/extent.ts';

const NOW = 1_700_000_100_000;
function e(baseOffset: number, lastOffset: number, length: number, ageMs: number): Extent {
  return { topicId: 'A', partition: 0, objectKey: `o${baseOffset}`, objectSize: 1000, baseOffset, lastOffset, position: 8, length, maxTimestamp: NOW - ageMs, leaderEpoch: 0 };
}
const extents = [e(0, 9, 100, 50_000), e(10, 19, 100, 40_000), e(20, 29, 100, 5_000), e(30, 39, 100, 1_000)];

describe('planRetention', () => {
  it('expires the oldest extents past retention.ms and moves the log start to the next one', () => {
    const plan = planRetention(extents, { retentionMs: 30_000, retentionBytes: -1 }, NOW);
    expect(plan.expired.map((x) => x.baseOffset)).toEqual([0, 10]);
    expect(plan.logStartOffset).toBe(20);
  });

  it('expires the oldest extents while the rest still reach retention.bytes', () => {
    expect(planRetention(extents, { retentionMs: -1, retentionBytes: 250 }, NOW).expired.map((x) => x.baseOffset)).toEqual([0]);
    expect(planRetention(extents, { retentionMs: -1, retentionBytes: 200 }, NOW).logStartOffset).toBe(20);
  });

  it('keeps everything with unlimited retention and stops at the first young extent', () => {
    expect(planRetention(extents, { retentionMs: -1, retentionBytes: -1 }, NOW)).toEqual({ expired: [], logStartOffset: undefined });
    const mixed = [e(0, 9, 100, 1_000), e(10, 19, 100, 90_000)];
    expect(planRetention(mixed, { retentionMs: 30_000, retentionBytes: -1 }, NOW).expired).toEqual([]);
  });

  it('moves the log start past the end when every extent expires, never backwards', () => {
    const plan = planRetention(extents, { retentionMs: 0, retentionBytes: -1 }, NOW);
    expect(plan.expired).toHaveLength(4);
    expect(plan.logStartOffset).toBe(40);
    expect(planRetention(extents, { retentionMs: 45_000, retentionBytes: -1 }, NOW, 15).logStartOffset).toBe(15);
  });

  it('never expires extents without timestamps by time, only by size', () => {
    const untimed = [{ ...e(0, 9, 100, 0), maxTimestamp: -1 }, e(10, 19, 100, 90_000)];
    expect(planRetention(untimed, { retentionMs: 30_000, retentionBytes: -1 }, NOW).expired).toEqual([]);
    // Size removes the untimed one; then the next is judged by time again (90 s > 30 s).
    expect(planRetention(untimed, { retentionMs: 30_000, retentionBytes: 100 }, NOW).expired.map((x) => x.baseOffset)).toEqual([0, 10]);
    expect(planRetention(untimed, { retentionMs: -1, retentionBytes: 100 }, NOW).expired.map((x) => x.baseOffset)).toEqual([0]);
  });

  it('judges an extent without a usable timestamp by its commit time, so it holds back nothing after it', () => {
    const noTimestamp = { ...e(0, 9, 100, 0), maxTimestamp: -1 };
    const future = { ...e(10, 19, 100, 0), maxTimestamp: NOW + 10 * 365 * 86_400_000 };
    const old = [noTimestamp, future, e(20, 29, 100, 90_000), e(30, 39, 100, 1_000)];
    const policy = { retentionMs: 30_000, retentionBytes: -1 };
    // Without commit times the first extent blocks everything (the old behaviour).
    expect(planRetention(old, policy, NOW).expired).toEqual([]);
    // The first three committed 60 s ago: the unusable two expire by that, and so does the old one behind them.
    const plan = planRetention(old, { ...policy, timestampAfterMaxMs: 3_600_000 }, NOW, 0, (x) => (x.baseOffset < 30 ? NOW - 60_000 : NOW));
    expect(plan.expired.map((x) => x.baseOffset)).toEqual([0, 10, 20]);
    expect(plan.logStartOffset).toBe(30);
    // A usable timestamp is still what counts: an old record committed recently expires by its timestamp.
    expect(planRetention([e(0, 9, 100, 90_000)], policy, NOW, 0, () => NOW).expired).toHaveLength(1);
    // Ahead of its commit by less than message.timestamp.after.max.ms: the timestamp still counts.
    const skewed = { ...e(0, 9, 100, 0), maxTimestamp: NOW - 60_000 + 30_000 };
    expect(planRetention([skewed], { ...policy, timestampAfterMaxMs: 3_600_000 }, NOW, 0, () => NOW - 60_000).expired).toEqual([]);
  });
});
