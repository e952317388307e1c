// ClusterMetadata and TopicInfo as the broker sees them, built from the state. Brokers
// and topics are sorted (by node id, by name) so two snapshots of the same version are
// equal and responses are stable. Every registered broker is listed with its fenced and
// draining flags, every partition with its leader even when that leader is fenced (a
// `local` partition stays with it); brokers show Kafka clients only the live ones.

import { partitionKey } from '@stratus/partition-index';
import type { ClusterMetadata, PartitionInfo, RegisteredBroker, TopicInfo } from '../controller-api.ts';
import { isLive } from '../state/state.ts';
import type { ControllerState, TopicState } from '../state/state.ts';
import { isInternalTopic } from '../topics/topic-names.ts';
import { sortedBrokerIds } from './leadership.ts';

export function topicInfo(t: TopicState, s?: ControllerState): TopicInfo {
  return {
    name: t.name,
    topicId: t.topicId,
    partitions: t.partitions.map((p, partition): PartitionInfo => {
      const move = s?.moves.get(partitionKey(t.topicId, partition));
      return { partition, leader: p.leader, leaderEpoch: p.leaderEpoch, ...(move !== undefined ? { movingTo: move.to } : {}) };
    }),
    configs: { ...t.configs },
    internal: isInternalTopic(t.name),
  };
}

export function clusterMetadata(s: ControllerState, controllerId: number | undefined): ClusterMetadata {
  const brokerIds = sortedBrokerIds(s);
  const brokers = brokerIds.map((id): RegisteredBroker => {
    const status = s.brokerStatus.get(id);
    return { ...s.brokers.get(id)!, fenced: status !== undefined && status.fencedAtMs !== null, draining: status !== undefined && status.drain !== null };
  });
  return {
    clusterId: s.clusterId ?? '',
    // Kafka admin clients send controller requests to this broker: a live one if there is any.
    controllerId: controllerId ?? brokerIds.find((id) => isLive(s, id)) ?? brokerIds[0] ?? -1,
    brokers,
    topics: [...s.topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((t) => topicInfo(t, s)),
    version: s.metadataVersion,
    acls: [...s.acls.values()],
    quotas: [...s.quotas.values()],
    scramVersion: s.scramVersion,
  };
}
