// The label limits and prices the metrics are built with (the `metrics` config section,
// services/cli/src/config/schema.ts). Every label whose values come from clients or data
// (topics, groups, partitions, error codes) is bounded by one of these: beyond the limit
// values share one series (`_other`) or are left out and counted as dropped.

export interface MetricsLimits {
  /** Topics with a series of their own in the per-topic byte and record counters; the rest are counted under topic="_other". */
  readonly maxTopics: number;
  /** (API, error code) pairs with a series of their own; the rest are counted under code="_other". */
  readonly maxErrorSeries: number;
  /** Consumer groups whose lag is computed at a scrape (the first held by the coordinator). */
  readonly maxLagGroups: number;
  /** Partition lag series at a scrape, all groups together; the rest are left out (stratus_consumer_group_lag_dropped). */
  readonly maxLagPartitions: number;
}

/** Object-store list prices the cost gauges use, in dollars. */
export interface ObjectStorePrices {
  readonly putPer1000: number;
  readonly getPer1000: number;
  readonly storagePerGbMonth: number;
}

/** The label value the series beyond a limit share. */
export const OTHER = '_other';

export const DEFAULT_METRICS_LIMITS: MetricsLimits = { maxTopics: 200, maxErrorSeries: 200, maxLagGroups: 100, maxLagPartitions: 2000 };

/**
 * Amazon S3 Standard list prices (us-east-1, https://aws.amazon.com/s3/pricing/): PUT, COPY,
 * POST, LIST $0.005 per 1,000 requests; GET, SELECT and all other requests $0.0004 per
 * 1,000; storage $0.023 per GB-month (the first 50 TB).
 */
export const S3_STANDARD_PRICES: ObjectStorePrices = { putPer1000: 0.005, getPer1000: 0.0004, storagePerGbMonth: 0.023 };
