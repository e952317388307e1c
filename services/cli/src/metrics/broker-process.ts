// The metrics a process with a broker (dev, broker) builds before its parts start — the
// request observer the Broker is given and the uploader observer the storage engine is
// given — and the scrape-time sources read from the running broker: partitions led and
// consumer-group lag. Kept here so that dev.ts and broker.ts wire them the same way.

import type { Broker } from '@stratus/broker';
import type { ClusterMetadata, ControllerApi, TopicInfo } from '@stratus/controller';
import type { Metric } from 'prom-client';
import type { GroupLagSources } from './group-lag.ts';
import type { MetricsLimits, ObjectStorePrices } from './limits.ts';
import { requestMetrics } from './request-metrics.ts';
import type { RequestMetrics } from './request-metrics.ts';
import { uploadMetrics } from './upload-metrics.ts';
import { securityMetrics } from './security-metrics.ts';
import type { SecurityMetrics } from './security-metrics.ts';

export interface MetricsConfig extends MetricsLimits {
  readonly prices: ObjectStorePrices;
}

export interface BrokerProcessMetrics {
  readonly requests: RequestMetrics;
  readonly uploads: ReturnType<typeof uploadMetrics>;
  /** Authentications and authorization decisions (parts/sasl.ts, parts/authorization.ts). */
  readonly security: SecurityMetrics;
  /** Registered with the registry once it exists (createMetrics' `early`). */
  readonly early: readonly Metric[];
}

/** `saslMechanisms`: the mechanisms the broker enables (sasl.mechanisms), the values of the authentication counters' mechanism label. */
export function brokerProcessMetrics(config: MetricsConfig, saslMechanisms: readonly string[]): BrokerProcessMetrics {
  const requests = requestMetrics(config);
  const uploads = uploadMetrics();
  const security = securityMetrics(saslMechanisms);
  return { requests, uploads, security, early: [...requests.metrics, ...uploads.metrics, ...security.metrics] };
}

/** Partitions `nodeId` leads in `metadata` (one pass over the partitions, at scrape time). */
export function partitionsLed(metadata: ClusterMetadata, nodeId: number): number {
  let led = 0;
  for (const t of metadata.topics) for (const p of t.partitions) if (p.leader === nodeId) led++;
  return led;
}

/** Consumer lag of the groups `broker` coordinates: high watermarks of the partitions it leads, the controller's committed ends of the others. */
export function brokerLagSources(broker: Broker, controller: ControllerApi): GroupLagSources {
  // Topics by id, rebuilt when the metadata changed (not per lag series).
  let byId: { version: number; topics: Map<string, TopicInfo> } | undefined;
  const topics = (): Map<string, TopicInfo> => {
    const md = controller.metadata();
    if (byId?.version !== md.version) byId = { version: md.version, topics: new Map(md.topics.map((t) => [t.topicId, t])) };
    return byId.topics;
  };
  return {
    groupIds: () => broker.coordinator.groupIds(),
    fetchOffsets: (group) => controller.fetchOffsets(group, null),
    topicById: (topicId) => topics().get(topicId),
    ledHighWatermark: (tp) => broker.partitions.openNow(tp.topicId, tp.partition)?.log.highWatermark,
    committedEndOffset: (tp) => controller.committedEndOffset(tp),
  };
}
