// Prometheus metrics of a stratus process, read from the counters the components keep
// anyway (object-store requests, connections, storage budgets) at scrape time, so the
// hot paths pay nothing for being observable.

import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ObjectStoreMetrics } from '@stratus/objectstore';
import { OBJECT_STORE_OPERATIONS } from '@stratus/objectstore';
import type { StorageEngine } from '@stratus/storage';

export interface MetricSources {
  readonly objectStore: ObjectStoreMetrics;
  readonly storage: () => StorageEngine | undefined;
  readonly server: () => { connectionsOpen: number } | undefined;
}

export function createMetrics(sources: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'stratus_object_store_requests',
    help: 'Object-store requests since start, by operation and outcome (PUTs and GETs are what the store bills)',
    labelNames: ['operation', 'outcome'],
    registers: [registry],
    collect() {
      const snap = sources.objectStore.snapshot();
      this.reset();
      for (const op of OBJECT_STORE_OPERATIONS) {
        for (const [outcome, n] of Object.entries(snap.requests[op])) this.set({ operation: op, outcome }, n ?? 0);
      }
    },
  });
  new Gauge({
    name: 'stratus_object_store_bytes',
    help: 'Bytes written to and read from the object store since start',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      const snap = sources.objectStore.snapshot();
      this.set({ direction: 'written' }, snap.bytesWritten);
      this.set({ direction: 'read' }, snap.bytesRead);
    },
  });
  new Gauge({
    name: 'stratus_storage_pending_bytes',
    help: 'Bytes appended but not yet uploaded and committed',
    registers: [registry],
    collect() {
      this.set(sources.storage()?.pending.usedBytes ?? 0);
    },
  });
  new Gauge({
    name: 'stratus_kafka_connections',
    help: 'Open Kafka client connections',
    registers: [registry],
    collect() {
      this.set(sources.server()?.connectionsOpen ?? 0);
    },
  });
  return registry;
}
