// ClusterMetadata and TopicInfo as the broker sees them, built from the state. Brokers
// and topics are sorted (by node id, by name) so two snapshots of the same version are
// equal and responses are stable.

import type { ClusterMetadata, TopicInfo } from '../controller-api.ts';
import type { ControllerState, TopicState } from '../state/state.ts';
import { isInternalTopic } from '../topics/topic-names.ts';
import { sortedBrokerIds } from './leadership.ts';

export function topicInfo(t: TopicState): TopicInfo {
  return {
    name: t.name,
    topicId: t.topicId,
    partitions: t.partitions.map((p, partition) => ({ partition, leader: p.leader, leaderEpoch: p.leaderEpoch })),
    configs: { ...t.configs },
    internal: isInternalTopic(t.name),
  };
}

export function clusterMetadata(s: ControllerState, controllerId: number | undefined): ClusterMetadata {
  const brokerIds = sortedBrokerIds(s);
  return {
    clusterId: s.clusterId ?? '',
    controllerId: controllerId ?? brokerIds[0] ?? -1,
    // Leases and draining arrive with the lease tracker (issue 10 §3): every broker is live until then.
    brokers: brokerIds.map((id) => ({ ...s.brokers.get(id)!, fenced: false, draining: false })),
    topics: [...s.topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(topicInfo),
    version: s.metadataVersion,
  };
}
