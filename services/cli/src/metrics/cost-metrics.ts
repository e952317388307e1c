// What the object store costs per GiB of client traffic, derived at scrape time from the
// counters the process keeps anyway (object-store requests and bytes, bytes produced and
// fetched): PUTs and object-store bytes written per GiB produced, GETs and bytes read per
// GiB fetched, and their price at metrics.prices (S3 Standard list prices by default,
// limits.ts). Since the process started; absent until some traffic was seen (no division
// by zero). A broker's own requests only: compaction runs in the controller, whose
// requests its own stratus_object_store_requests show.

import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { ObjectStoreMetrics } from '@stratus/objectstore';
import type { ObjectStorePrices } from './limits.ts';
import type { TrafficTotals } from './request-metrics.ts';

const GiB = 1024 ** 3;

/** The cost figures from the counters (exported for tests); undefined where there was no traffic to divide by. */
export function costPerGiB(
  requests: { readonly puts: number; readonly gets: number; readonly bytesWritten: number; readonly bytesRead: number },
  traffic: Pick<TrafficTotals, 'bytesIn' | 'bytesOut'>,
  prices: ObjectStorePrices,
): { produced?: { puts: number; bytes: number; dollars: number }; fetched?: { gets: number; bytes: number; dollars: number } } {
  const inGiB = traffic.bytesIn / GiB;
  const outGiB = traffic.bytesOut / GiB;
  return {
    ...(inGiB > 0 ? { produced: { puts: requests.puts / inGiB, bytes: requests.bytesWritten / inGiB, dollars: (requests.puts * prices.putPer1000) / 1000 / inGiB } } : {}),
    ...(outGiB > 0 ? { fetched: { gets: requests.gets / outGiB, bytes: requests.bytesRead / outGiB, dollars: (requests.gets * prices.getPer1000) / 1000 / outGiB } } : {}),
  };
}

export function costMetrics(registry: Registry, objectStore: ObjectStoreMetrics, traffic: TrafficTotals, prices: ObjectStorePrices): void {
  const figures = () => {
    const snap = objectStore.snapshot();
    const sum = (counts: Readonly<Record<string, number | undefined>>): number => Object.values(counts).reduce<number>((n, c) => n + (c ?? 0), 0);
    return costPerGiB({ puts: sum(snap.requests.put), gets: sum(snap.requests.get), bytesWritten: snap.bytesWritten, bytesRead: snap.bytesRead }, traffic, prices);
  };
  new Gauge({
    name: 'stratus_cost_object_store_requests_per_gib',
    help: 'Object-store requests per GiB of client traffic since start: PUTs (all outcomes) per GiB produced, GETs per GiB fetched',
    labelNames: ['operation'],
    registers: [registry],
    collect() {
      const f = figures();
      if (f.produced !== undefined) this.set({ operation: 'put' }, f.produced.puts);
      if (f.fetched !== undefined) this.set({ operation: 'get' }, f.fetched.gets);
    },
  });
  new Gauge({
    name: 'stratus_cost_object_store_bytes_per_gib',
    help: 'Object-store bytes per GiB of client traffic since start: written per GiB produced, read per GiB fetched (a GiB fetched from the tail cache reads nothing)',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      const f = figures();
      if (f.produced !== undefined) this.set({ direction: 'written' }, f.produced.bytes);
      if (f.fetched !== undefined) this.set({ direction: 'read' }, f.fetched.bytes);
    },
  });
  new Gauge({
    name: 'stratus_cost_dollars_per_gib',
    help: 'Object-store request cost in dollars per GiB of client traffic since start, at metrics.prices: PUTs per GiB produced, GETs per GiB fetched',
    labelNames: ['traffic'],
    registers: [registry],
    collect() {
      const f = figures();
      if (f.produced !== undefined) this.set({ traffic: 'produced' }, f.produced.dollars);
      if (f.fetched !== undefined) this.set({ traffic: 'fetched' }, f.fetched.dollars);
    },
  });
  new Gauge({
    name: 'stratus_cost_prices_dollars',
    help: 'The object-store prices the cost gauges use (metrics.prices): per 1,000 PUTs, per 1,000 GETs, per GB-month stored',
    labelNames: ['item'],
    registers: [registry],
    collect() {
      this.set({ item: 'put_per_1000' }, prices.putPer1000);
      this.set({ item: 'get_per_1000' }, prices.getPer1000);
      this.set({ item: 'storage_per_gb_month' }, prices.storagePerGbMonth);
    },
  });
}
