// Counters and histograms for the request path: a labelled series is a slot made once (its
// label values fixed then) and updated with plain arithmetic — no label object, hash
// string or validation per update, which prom-client's own `labels(...)` children still do
// on every call. They are exported at scrape time as custom metrics, which prom-client's
// Registry takes (any object with name, help, type and get()), in the same text format.

import type { Metric } from 'prom-client';

interface Value {
  readonly metricName?: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

function exported(name: string, help: string, type: 'counter' | 'histogram', values: () => Value[]): Metric {
  return { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: values() }), reset: () => undefined } as unknown as Metric;
}

const labelsOf = (names: readonly string[], values: readonly string[]): Record<string, string> => Object.fromEntries(names.map((n, i) => [n, values[i]!]));

export class CounterSlot {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

/** A counter whose series are slots, one per label-value combination (the caller bounds how many it makes). */
export class SlotCounter {
  private readonly slots: { readonly labels: Record<string, string>; readonly slot: CounterSlot }[] = [];
  readonly metric: Metric;
  private readonly labelNames: readonly string[];

  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.labelNames = labelNames;
    this.metric = exported(name, help, 'counter', () => this.slots.map((s) => ({ labels: s.labels, value: s.slot.value })));
  }

  /** A new series with these label values (in labelNames order). */
  slot(...values: string[]): CounterSlot {
    const slot = new CounterSlot();
    this.slots.push({ labels: labelsOf(this.labelNames, values), slot });
    return slot;
  }
}

export class HistogramSlot {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  private readonly bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && v > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

/** A histogram (upper bounds inclusive, as Prometheus's `le`) whose series are slots. */
export class SlotHistogram {
  private readonly slots: { readonly labels: Record<string, string>; readonly slot: HistogramSlot }[] = [];
  readonly metric: Metric;
  private readonly labelNames: readonly string[];
  private readonly bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]) {
    this.labelNames = labelNames;
    this.bounds = bounds;
    this.metric = exported(name, help, 'histogram', () => {
      const out: Value[] = [];
      for (const { labels, slot } of this.slots) {
        let cumulative = 0;
        this.bounds.forEach((le, i) => {
          cumulative += slot.counts[i]!;
          out.push({ metricName: `${name}_bucket`, labels: { le, ...labels }, value: cumulative });
        });
        out.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...labels }, value: slot.count });
        out.push({ metricName: `${name}_sum`, labels, value: slot.sum });
        out.push({ metricName: `${name}_count`, labels, value: slot.count });
      }
      return out;
    });
  }

  slot(...values: string[]): HistogramSlot {
    const slot = new HistogramSlot(this.bounds);
    this.slots.push({ labels: labelsOf(this.labelNames, values), slot });
    return slot;
  }
}
