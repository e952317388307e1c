// Per-entity client quota metrics, read from the broker's quota sensors at scrape time
// (Kafka's byte-rate and throttle-time per user/client-id): the rate each entity is measured
// at against its bound, and the throttling it was given. Series are bounded: at most
// `maxEntities` entities are shown, the most throttled first, then the busiest against
// their bound; the number of live sensors per type is always shown, so a cut is visible.
// Sensors exist only for clients a quota applies to, and expire after an hour idle: an
// entity's numbers restart from zero then, so these are gauges, not counters.

import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { QuotaEntityStats } from '@stratus/broker';

export function registerQuotaMetrics(registry: Registry, stats: () => Iterable<QuotaEntityStats>, maxEntities: number): void {
  let scraped: { at: number; shown: QuotaEntityStats[]; counts: Map<string, number> } | undefined;
  // One pass over the sensors per scrape, shared by the gauges below.
  const read = (): NonNullable<typeof scraped> => {
    const at = Date.now();
    if (scraped !== undefined && at - scraped.at < 1000) return scraped;
    const all = [...stats()];
    const counts = new Map<string, number>([['produce', 0], ['fetch', 0], ['request', 0]]);
    for (const s of all) counts.set(s.type, (counts.get(s.type) ?? 0) + 1);
    const shown = all.length <= maxEntities ? all : all.sort((a, b) => b.throttleMsTotal - a.throttleMsTotal || b.rate / b.bound - a.rate / a.bound).slice(0, maxEntities);
    scraped = { at, shown, counts };
    return scraped;
  };
  const labels = ['type', 'user', 'client_id'];
  const perEntity = (name: string, help: string, value: (s: QuotaEntityStats) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: labels,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of read().shown) this.set({ type: s.type, user: s.user, client_id: s.clientId }, value(s));
      },
    });
  };
  perEntity('stratus_client_quota_rate', 'Rate a quota entity is measured at over the quota window: bytes/s (produce, fetch) or percent of a thread (request)', (s) => s.rate);
  perEntity('stratus_client_quota_bound', 'The quota that applies to the entity (producer_byte_rate, consumer_byte_rate, request_percentage)', (s) => s.bound);
  perEntity('stratus_client_quota_throttle_time_ms', 'Throttle time given to the entity since its sensor was created (ms; restarts when an idle sensor expires)', (s) => s.throttleMsTotal);
  perEntity('stratus_client_quota_throttled_responses', 'Responses throttled for the entity since its sensor was created', (s) => s.throttledResponses);
  new Gauge({
    name: 'stratus_client_quota_entities',
    help: 'Live quota sensors by type (entities beyond quotas.metricsEntities are not shown per entity)',
    labelNames: ['type'],
    registers: [registry],
    collect() {
      for (const [type, n] of read().counts) this.set({ type }, n);
    },
  });
}
