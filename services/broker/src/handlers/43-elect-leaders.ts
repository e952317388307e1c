// ElectLeaders (API key 43), versions 0–2 (v2 flexible). Used by kafka-leader-election.sh
// and the Java AdminClient's electLeaders().
//
// Stratus keeps one copy of each partition on object storage and the controller moves
// leadership itself, so there is nothing to elect: a partition with a leader answers
// ELECTION_NOT_NEEDED, one without (leader -1, no live broker) PREFERRED_LEADER_NOT_AVAILABLE
// for a preferred election and ELIGIBLE_LEADERS_NOT_AVAILABLE for an unclean one, an unknown
// topic or partition UNKNOWN_TOPIC_OR_PARTITION. TopicPartitions null means every
// partition; as Kafka does when none needs an election, the answer is then an empty list
// with NONE. An unknown ElectionType (v1+) fails the whole request with INVALID_REQUEST,
// top level and per partition, as Kafka's ElectLeadersRequest.getErrorResponse does.
//
// Not implemented: forcing a leader change. TimeoutMs is ignored (nothing to wait for).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { ElectLeadersResponsePartitionResult, Input } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';

const ELECTION_PREFERRED = 0;
const ELECTION_UNCLEAN = 1;

type PartitionResult = Input<ElectLeadersResponsePartitionResult>;

export function electLeadersHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.ElectLeaders,
    accept: [0, 2],
    handle: (req, rctx) => {
      const requested = req.topicPartitions ?? [];
      // Kafka: ALTER on the cluster.
      if (!isAllowed(ctx.authorizer, rctx, AclOperation.ALTER, 'cluster', CLUSTER_RESOURCE_NAME)) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          replicaElectionResults: requested.map((t) => ({
            topic: t.topic,
            partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })),
          })),
        };
      }
      if (req.electionType !== ELECTION_PREFERRED && req.electionType !== ELECTION_UNCLEAN) {
        const errorMessage = `Unknown election type ${req.electionType}`;
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.INVALID_REQUEST,
          replicaElectionResults: requested.map((t) => ({
            topic: t.topic,
            partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage })),
          })),
        };
      }

      const catalog = ctx.catalog();
      const result = (topic: string, partitionId: number): PartitionResult => {
        const info = catalog.topic(topic);
        if (info === undefined) return { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${topic}` };
        const partition = info.partitions.find((p) => p.partition === partitionId);
        if (partition === undefined) {
          return { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such partition as ${topic}-${partitionId}` };
        }
        if (partition.leader >= 0) return { partitionId, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' };
        return req.electionType === ELECTION_PREFERRED
          ? { partitionId, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: 'The preferred leader was not available.' }
          : { partitionId, errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: 'Eligible topic partition leaders are not available.' };
      };

      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        replicaElectionResults: requested.map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((p) => result(t.topic, p)) })),
      };
    },
  });
}
