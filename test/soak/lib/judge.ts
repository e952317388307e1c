// Judges the soak's samples: per series, the figures at the start, after the warm-up and
// at the end, and whether it stays flat (series.ts says how each one is judged).
//
// The run is cut in thirds by time: the first is the warm-up (caches fill, retention and
// offset expiry start to bite, compaction catches up), the middle third is the reference,
// the last third is compared with it. A series grows when
//     mean(last third) − mean(middle third) > max(rel × |mean(middle third)|, floor).
// The least-squares slope over both thirds is reported (per hour) but not judged: means
// of thirds are robust to the sawtooth of GC, uploads and deletions, a slope is not.

import type { Rule, SeriesSpec } from './series.ts';

export interface Sample {
  /** Seconds since the workload started. */
  readonly t: number;
  readonly values: Readonly<Record<string, number>>;
}

export type Verdict = 'flat' | 'grows' | 'within bound' | 'over bound' | 'info' | 'no data';

export interface SeriesFigures {
  readonly key: string;
  readonly label: string;
  readonly unit: SeriesSpec['unit'];
  readonly rule: Rule;
  /** The first sample's value. */
  readonly start: number | undefined;
  /** Means of the middle third ("after the warm-up") and of the last third. */
  readonly middle: number | undefined;
  readonly last: number | undefined;
  /** The last sample's value. */
  readonly end: number | undefined;
  /** Lowest and highest value after the warm-up. */
  readonly min: number | undefined;
  readonly max: number | undefined;
  /** Least-squares slope after the warm-up, per hour. */
  readonly slopePerHour: number | undefined;
  /** mean(last) − mean(middle), and what the rule allows of it. */
  readonly growth: number | undefined;
  readonly allowed: number | undefined;
  readonly verdict: Verdict;
}

export interface Judgement {
  readonly series: SeriesFigures[];
  /** Keys of the series that grew or went over their bound. */
  readonly failed: string[];
  /** Start of the middle and of the last third (seconds). */
  readonly thirds: readonly [number, number];
}

const mean = (xs: readonly number[]): number | undefined => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);

function slope(points: readonly { t: number; v: number }[]): number | undefined {
  if (points.length < 2) return undefined;
  const mt = mean(points.map((p) => p.t))!;
  const mv = mean(points.map((p) => p.v))!;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? undefined : num / den;
}

/** Judges `samples` (in time order, the workload running) against `specs`. */
export function judge(samples: readonly Sample[], specs: readonly SeriesSpec[]): Judgement {
  const t0 = samples[0]?.t ?? 0;
  const t1 = samples[samples.length - 1]?.t ?? 0;
  const third = (t1 - t0) / 3;
  const middleFrom = t0 + third;
  const lastFrom = t0 + 2 * third;
  const series = specs.map((spec): SeriesFigures => {
    const points = samples.filter((s) => Number.isFinite(s.values[spec.key])).map((s) => ({ t: s.t, v: s.values[spec.key]! }));
    const after = points.filter((p) => p.t >= middleFrom);
    const middle = after.filter((p) => p.t < lastFrom).map((p) => p.v);
    const last = after.filter((p) => p.t >= lastFrom).map((p) => p.v);
    const figures = {
      key: spec.key,
      label: spec.label,
      unit: spec.unit,
      rule: spec.rule,
      start: points[0]?.v,
      middle: mean(middle),
      last: mean(last),
      end: points[points.length - 1]?.v,
      min: after.length === 0 ? undefined : Math.min(...after.map((p) => p.v)),
      max: after.length === 0 ? undefined : Math.max(...after.map((p) => p.v)),
      slopePerHour: ((s) => (s === undefined ? undefined : s * 3600))(slope(after)),
    };
    const growth = figures.middle === undefined || figures.last === undefined ? undefined : figures.last - figures.middle;
    switch (spec.rule.kind) {
      case 'info':
        return { ...figures, growth, allowed: undefined, verdict: points.length === 0 ? 'no data' : 'info' };
      case 'bounded':
        if (points.length === 0) return { ...figures, growth, allowed: undefined, verdict: 'no data' };
        return { ...figures, growth, allowed: spec.rule.max, verdict: Math.max(...points.map((p) => p.v)) <= spec.rule.max ? 'within bound' : 'over bound' };
      case 'flat': {
        // Two samples in each third at least, or there is nothing to compare.
        if (middle.length < 2 || last.length < 2 || growth === undefined) return { ...figures, growth, allowed: undefined, verdict: 'no data' };
        const allowed = Math.max(spec.rule.rel * Math.abs(figures.middle!), spec.rule.floor);
        return { ...figures, growth, allowed, verdict: growth > allowed ? 'grows' : 'flat' };
      }
    }
  });
  return { series, failed: series.filter((s) => s.verdict === 'grows' || s.verdict === 'over bound').map((s) => s.key), thirds: [middleFrom, lastFrom] };
}
