// Prometheus metrics of a broker in a cluster (issue 10 §4), besides what metrics.ts has
// for dev too: its lease with the controller (fenced or not, the broker epoch), how it
// reaches the controllers (which endpoint, redirects followed, unreachable ones left, the
// metadata Watch's breaks and re-subscriptions and the version it holds), and the
// extentsFrom cache that saves a controller round trip per cold read.

import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { EndpointStats, ExtentCacheStats } from '@stratus/controller';

export interface BrokerClusterSources {
  /** undefined before the first registration. */
  readonly brokerEpoch: () => number | undefined;
  readonly fenced: () => boolean;
  readonly endpoints: () => EndpointStats;
  readonly watch: () => { failures: number; resubscribes: number; version: number };
  readonly extentCache: () => ExtentCacheStats;
}

export function brokerClusterMetrics(registry: Registry, s: BrokerClusterSources): void {
  const gauge = (name: string, help: string, read: () => number | Record<string, number>, label?: string): void => {
    new Gauge({
      name,
      help,
      labelNames: label !== undefined ? [label] : [],
      registers: [registry],
      collect() {
        const v = read();
        if (typeof v === 'number') this.set(v);
        else for (const [k, n] of Object.entries(v)) this.set({ [label!]: k }, n);
      },
    });
  };
  gauge('stratus_broker_fenced', 'Whether the broker has fenced itself (1: its lease with the controller was not renewed in time; it leads nothing meanwhile)', () => (s.fenced() ? 1 : 0));
  gauge('stratus_broker_epoch', "The broker's current registration epoch (0 before it registered)", () => s.brokerEpoch() ?? 0);
  gauge(
    'stratus_controller_client',
    'How the broker reaches the controllers since start: redirects followed to the active one, unreachable endpoints left for the next, metadata Watch breaks (consecutive, now) and re-subscriptions, and the metadata version held',
    () => {
      const e = s.endpoints();
      const w = s.watch();
      return { redirects: e.redirects, rotations: e.rotations, watch_failures: w.failures, watch_resubscribes: w.resubscribes, metadata_version: w.version };
    },
    'what',
  );
  gauge(
    'stratus_extent_cache',
    'The extentsFrom cache: lookups answered from it (hits) or asked of the controller (misses) since start, and the partitions and extents it holds',
    () => {
      const c = s.extentCache();
      return { hits: c.hits, misses: c.misses, partitions: c.partitions, extents: c.extents };
    },
    'what',
  );
}
