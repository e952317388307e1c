// How a partition's leadership is described to clients (Metadata, DescribeTopicPartitions):
// one copy lives in object storage, so the leader is the only writer; the replicas shown
// are the leader and the brokers designated to serve its committed data to consumers in
// other racks (cluster/cluster-view.ts, KIP-392), all in sync by construction. A partition
// whose leader is not live (fenced: its lease lapsed, or -1) is LEADER_NOT_AVAILABLE with
// leader -1, as Kafka shows a partition whose leader is offline: clients wait and retry.
// Brokers are those of the client's listener (cluster-view.ts listenerView): a live leader
// without that listener is LISTENER_NOT_FOUND (Kafka's answer from Metadata v6 on;
// LEADER_NOT_AVAILABLE before), and read replicas without it are not shown.

import { ErrorCode } from '@stratus/protocol';
import type { RegisteredBroker, TopicInfo } from '@stratus/controller';
import { readReplicas } from './cluster/cluster-view.ts';
import type { ListenerView } from './cluster/cluster-view.ts';

export interface PartitionView {
  readonly errorCode: number;
  readonly partitionIndex: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicaNodes: number[];
  readonly isrNodes: number[];
  readonly offlineReplicas: number[];
}

/**
 * `view`: the client's listener's view (cluster-view listenerView). `listenerNotFound`:
 * the error for a live leader the client cannot reach on its listener.
 */
export function partitionView(
  topicId: string,
  p: TopicInfo['partitions'][number],
  view: ListenerView,
  listenerNotFound: number = ErrorCode.LISTENER_NOT_FOUND,
): PartitionView {
  const live: readonly RegisteredBroker[] = view.brokers;
  const led = p.leader >= 0 && live.some((b) => b.nodeId === p.leader);
  const replicas = led ? [p.leader, ...readReplicas(topicId, p.partition, p.leader, live).map((r) => r.nodeId)] : [];
  return {
    errorCode: led ? ErrorCode.NONE : view.without.has(p.leader) ? listenerNotFound : ErrorCode.LEADER_NOT_AVAILABLE,
    partitionIndex: p.partition,
    leaderId: led ? p.leader : -1,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: replicas,
    isrNodes: [...replicas],
    offlineReplicas: [],
  };
}
