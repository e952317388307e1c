// Public entry of @stratus/objectstore: the ObjectStore interface, the URL factory, the
// memory and file adapters, and the wrappers. The S3 and GCS adapters are reached through
// `openObjectStore` only, so their SDKs load when such a URL is opened, not on import.
//
// Composition, innermost first: withRetry(withTimeout(withMetrics(adapter, metrics), {...}), {...})
// gives a deadline per attempt and counts every attempt as the backend sees it.

export { ObjectStoreError, isNotFound } from './object-store.ts';
export type { ByteRange, ListOptions, ListPage, ObjectInfo, ObjectStore, ObjectStoreErrorCode, PutOptions, ReadOptions } from './object-store.ts';
export { OBJECT_STORE_OPERATIONS } from './operations.ts';
export type { ObjectStoreOperation } from './operations.ts';
export { CREATE_BUCKET_ATTEMPTS, openObjectStore, parseObjectStoreUrl } from './factory.ts';
export type { OpenObjectStoreOptions, ParsedObjectStoreUrl } from './factory.ts';
export { MemoryObjectStore } from './adapters/memory.ts';
export type { MemoryObjectStoreOptions } from './adapters/memory.ts';
export { FileObjectStore } from './adapters/file.ts';
export type { S3Credentials, S3StoreConfig } from './adapters/s3.ts';
export type { GcsStoreConfig } from './adapters/gcs.ts';
export { withRetry, backoffDelayMs } from './wrappers/with-retry.ts';
export type { RetryEvent, RetryOptions } from './wrappers/with-retry.ts';
export { withTimeout } from './wrappers/with-timeout.ts';
export type { TimeoutOptions } from './wrappers/with-timeout.ts';
export { withMetrics } from './wrappers/with-metrics.ts';
export type { MetricsOptions } from './wrappers/with-metrics.ts';
export { ObjectStoreMetrics, LATENCY_BUCKETS_MS } from './wrappers/metrics.ts';
export type { LatencyHistogram, ObjectStoreMetricsSnapshot, ObjectStoreOutcome } from './wrappers/metrics.ts';
