// The Broker's settings from a config's sections (dev and broker): its Kafka-side
// config, its listeners (bound and advertised, config/listeners.ts) and their limits. One
// mapping, so a key means the same in both.

import type { BrokerOptions } from '@stratus/broker';
import type { StratusConfig } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { listenerNetwork } from './listener-tls.ts';

type Sections = Pick<StratusConfig, 'node' | 'kafka' | 'topics' | 'fetch' | 'groups'> & {
  readonly limits: Pick<StratusConfig['limits'], 'maxGroups' | 'maxGroupSize' | 'maxProducersPerPartition'>;
};

export function brokerSettings(config: Sections, o: { readonly initialRebalanceDelayMs: number; readonly groupCleanupIntervalMs: number; readonly log?: Logger }): Pick<BrokerOptions, 'config' | 'network'> {
  const k = config.kafka;
  const first = k.listeners[0]!;
  return {
    config: {
      nodeId: config.node.id,
      advertisedHost: first.advertisedHost,
      advertisedPort: first.advertisedPort,
      endpoints: k.listeners.map((l) => ({ listener: l.name, host: l.advertisedHost, port: l.advertisedPort })),
      rack: k.rack,
      autoCreateTopics: config.topics.autoCreate,
      defaultPartitions: config.topics.defaultPartitions,
      fetchMaxBytes: config.fetch.maxBytes,
      fetchMaxWaitMs: config.fetch.maxWait,
      fetchReadTimeoutMs: config.fetch.readTimeout,
      groupMinSessionTimeoutMs: config.groups.minSessionTimeout,
      groupMaxSessionTimeoutMs: config.groups.maxSessionTimeout,
      groupInitialRebalanceDelayMs: config.groups.initialRebalanceDelay ?? o.initialRebalanceDelayMs,
      offsetsRetentionMs: config.groups.offsetsRetention,
      groupCleanupIntervalMs: o.groupCleanupIntervalMs,
      groupMaxGroups: config.limits.maxGroups,
      groupMaxSize: config.limits.maxGroupSize,
      maxProducersPerPartition: config.limits.maxProducersPerPartition,
      messageMaxBytes: config.topics.maxMessageBytes,
      maxDecompressedBatchBytes: config.topics.maxDecompressedBatchBytes,
    },
    network: {
      // Each listener's security protocol and TLS (listener-tls.ts).
      ...listenerNetwork(k, o.log),
      socketRequestMaxBytes: k.socketRequestMaxBytes,
      maxConnections: k.maxConnections,
      maxInFlightRequestsPerConnection: k.connectionMaxInflightRequests,
      maxInFlightBytesPerConnection: k.connectionMaxInflightBytes,
      maxInFlightBytesTotal: k.maxInflightBytes,
      connectionsMaxIdleMs: k.connectionsMaxIdle,
      requestReceiveTimeoutMs: k.requestReceiveTimeout,
      responseStallTimeoutMs: k.responseStallTimeout,
      maxConnectionsPerIp: k.maxConnectionsPerIp,
      maxConnectionsPerIpOverrides: k.maxConnectionsPerIpOverrides,
      smallRequestMaxBytes: k.smallRequestMaxBytes,
      ...(k.smallRequestReserveBytes === undefined ? {} : { smallRequestReserveBytes: k.smallRequestReserveBytes }),
      maxResponseBytesTotal: k.maxResponseBytes,
      smallResponseMaxBytes: k.smallResponseMaxBytes,
      ...(k.smallResponseReserveBytes === undefined ? {} : { smallResponseReserveBytes: k.smallResponseReserveBytes }),
    },
  };
}
