// The request path's slot counters and histograms (metrics/hot-path.ts) print exactly what
// prom-client's own Counter and Histogram print for the same updates, so dashboards and
// PromQL cannot tell them apart.

import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { SlotCounter, SlotHistogram } from '../src/metrics/hot-path.ts';

const BOUNDS = [0.001, 0.01, 0.1, 1];

async function text(metric: Parameters<Registry['registerMetric']>[0]): Promise<string> {
  const r = new Registry();
  r.registerMetric(metric);
  return r.metrics();
}

describe('slot metrics', () => {
  it('a slot histogram prints as prom-client prints the same observations, bounds inclusive', async () => {
    const ours = new SlotHistogram('h_seconds', 'help', ['api'], BOUNDS);
    const theirs = new Histogram({ name: 'h_seconds', help: 'help', labelNames: ['api'], buckets: BOUNDS, registers: [] });
    const samples: [string, number][] = [['Produce', 0.0005], ['Produce', 0.001], ['Produce', 0.05], ['Fetch', 2], ['Fetch', 0.1], ['Produce', 7]];
    const slots = new Map([['Produce', ours.slot('Produce')], ['Fetch', ours.slot('Fetch')]]);
    for (const [api, v] of samples) {
      slots.get(api)!.observe(v);
      theirs.observe({ api }, v);
    }
    expect(await text(ours.metric)).toBe(await text(theirs));
  });

  it('a slot counter prints as prom-client prints the same increments', async () => {
    const ours = new SlotCounter('c_total', 'help', ['topic']);
    const theirs = new Counter({ name: 'c_total', help: 'help', labelNames: ['topic'], registers: [] });
    const a = ours.slot('a');
    const b = ours.slot('b');
    a.inc(5);
    b.inc();
    a.inc(2);
    theirs.inc({ topic: 'a' }, 5);
    theirs.inc({ topic: 'b' });
    theirs.inc({ topic: 'a' }, 2);
    expect(await text(ours.metric)).toBe(await text(theirs));
  });
});
