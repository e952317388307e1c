// The object store a stratus process opens from its config: the URL's backend, with
// metrics, a per-request timeout and retries around it — the same for dev, broker and
// controller, so the three count and retry object-store requests alike.

import { ObjectStoreMetrics, openObjectStore, withMetrics, withRetry, withTimeout } from '@stratus/objectstore';
import type { ObjectStore } from '@stratus/objectstore';
import type { Logger } from '../logger.ts';

export interface ObjectStoreSettings {
  readonly requestTimeout: number;
  readonly maxAttempts: number;
}

export async function openConfiguredObjectStore(url: string, settings: ObjectStoreSettings, log: Logger): Promise<{ store: ObjectStore; metrics: ObjectStoreMetrics }> {
  const metrics = new ObjectStoreMetrics();
  const raw = await openObjectStore(url, { cwd: process.cwd() });
  const store = withRetry(withTimeout(withMetrics(raw, metrics), { timeoutMs: settings.requestTimeout }), {
    maxAttempts: settings.maxAttempts,
    onRetry: (e) => log.debug({ retry: e }, 'object store: retrying'),
  });
  return { store, metrics };
}
