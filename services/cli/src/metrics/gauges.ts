// Gauges set at scrape time from numbers a component keeps anyway: the pattern most of
// the metrics follow, so that hot paths pay nothing for being observable.

import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** A gauge set at scrape time from `read` (nothing when there is no source or it gives undefined). */
export function readGauge(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      const value = read();
      if (value !== undefined) this.set(value);
    },
  });
}

/** A gauge with one label whose values are read, all together, at scrape time (none when `read` gives undefined: a controller that stepped down shows no stale state). */
export function labelledGauge(registry: Registry, name: string, help: string, label: string, read: () => Record<string, number> | undefined): void {
  new Gauge({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      const values = read();
      if (values === undefined) return this.reset();
      for (const [value, n] of Object.entries(values)) this.set({ [label]: value }, n);
    },
  });
}
