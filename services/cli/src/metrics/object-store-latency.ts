// Object-store request latency by operation and outcome, as a Prometheus histogram read
// at scrape time from the buckets ObjectStoreMetrics keeps anyway (withMetrics records
// every request): nothing more is done per request. prom-client's Histogram cannot be
// loaded with counts from elsewhere, so this is a small custom metric (prom-client's
// Registry takes any object with name, help, type and get()).

import { LATENCY_BUCKETS_MS, OBJECT_STORE_OPERATIONS } from '@stratus/objectstore';
import type { ObjectStoreMetrics } from '@stratus/objectstore';
import type { Metric, MetricValueWithName } from 'prom-client';

const NAME = 'stratus_object_store_request_seconds';

export function objectStoreLatencyMetric(metrics: ObjectStoreMetrics): Metric {
  const metric = {
    name: NAME,
    help: 'Object-store request latency by operation and outcome (ok, or the error: not_found, unavailable, timeout, ...), each attempt of a retried call counted',
    type: 'histogram',
    aggregator: 'sum',
    labelNames: ['operation', 'outcome'],
    get: async () => {
      const snap = metrics.snapshot();
      const values: MetricValueWithName<string>[] = [];
      for (const operation of OBJECT_STORE_OPERATIONS) {
        for (const [outcome, h] of Object.entries(snap.latencyByOutcome[operation])) {
          if (h === undefined) continue;
          let cumulative = 0;
          LATENCY_BUCKETS_MS.forEach((boundMs, i) => {
            cumulative += h.counts[i] ?? 0;
            values.push({ metricName: `${NAME}_bucket`, labels: { operation, outcome, le: boundMs / 1000 }, value: cumulative });
          });
          values.push({ metricName: `${NAME}_bucket`, labels: { operation, outcome, le: '+Inf' }, value: h.count });
          values.push({ metricName: `${NAME}_sum`, labels: { operation, outcome }, value: h.sumMs / 1000 });
          values.push({ metricName: `${NAME}_count`, labels: { operation, outcome }, value: h.count });
        }
      }
      return { name: NAME, help: metric.help, type: 'histogram', aggregator: 'sum', values };
    },
    reset: () => undefined,
  };
  return metric as unknown as Metric;
}
