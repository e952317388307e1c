// The broker's client quota settings from the quotas section (dev and broker): Kafka's
// quota.window.num and quota.window.size.seconds, and the bounds on sensors and on the
// per-entity metrics. The quotas themselves are not configuration: they are stored in the
// controller with AlterClientQuotas (kafka-configs.sh --entity-type users/clients) and reach
// every broker with the metadata; none stored, nothing is measured.

import type { Broker, BrokerOptions } from '@stratus/broker';
import type { Registry } from 'prom-client';
import type { StratusConfig } from '../config/schema.ts';
import { registerQuotaMetrics } from '../metrics/quota-metrics.ts';

/** Sensors idle this long are dropped (Kafka: one hour). */
const SENSOR_IDLE_EXPIRY_MS = 3_600_000;

export function quotaSettings(config: Pick<StratusConfig, 'quotas'>): Pick<BrokerOptions, 'quotas'> {
  const q = config.quotas;
  return { quotas: { samples: q.windowSamples, windowMs: q.windowSize, maxSensors: q.maxSensors, idleExpiryMs: SENSOR_IDLE_EXPIRY_MS } };
}

/** Per-entity quota metrics of the running broker, on the process's registry. */
export function quotaMetrics(registry: Registry, broker: () => Broker, config: Pick<StratusConfig, 'quotas'>): void {
  registerQuotaMetrics(registry, () => broker().quotas.stats(), config.quotas.metricsEntities);
}
