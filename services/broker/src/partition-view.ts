// How a partition's leadership is described to clients (Metadata, DescribeTopicPartitions):
// one copy lives in object storage, so the leader is the only replica and the whole ISR.

import { ErrorCode } from '@stratus/protocol';
import type { TopicInfo } from '@stratus/controller';

export interface PartitionView {
  readonly errorCode: number;
  readonly partitionIndex: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicaNodes: number[];
  readonly isrNodes: number[];
  readonly offlineReplicas: number[];
}

export function partitionView(p: TopicInfo['partitions'][number]): PartitionView {
  const led = p.leader >= 0;
  return {
    errorCode: led ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
    partitionIndex: p.partition,
    leaderId: p.leader,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: led ? [p.leader] : [],
    isrNodes: led ? [p.leader] : [],
    offlineReplicas: [],
  };
}
