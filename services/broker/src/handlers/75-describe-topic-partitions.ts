// DescribeTopicPartitions (key 75), version 0 (KIP-966): what the Java admin client's
// describeTopics uses when a broker offers it — topics sorted by name (all topics when
// none is named), their partitions from a cursor on, at most
// min(ResponsePartitionLimit, describeTopicPartitionsMaxPartitions) partitions per
// answer; when that cuts the list, NextCursor names the topic and partition to continue
// from. A topic asked for that does not exist gets UNKNOWN_TOPIC_OR_PARTITION (or
// INVALID_TOPIC_EXCEPTION for an invalid name); a cursor on a topic that was not asked for
// makes every topic INVALID_REQUEST, as Kafka refuses such a request. Authorized
// operations are always filled in (the request has no flag for them), from the
// authorizer or, without one, every topic operation. No eligible leader replicas exist
// here: object storage holds the one copy.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { DescribeTopicPartitionsResponseTopic, Input } from '@stratus/protocol';
import { topicNameProblem } from '@stratus/controller';
import type { TopicInfo } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { authorizedOperations, AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import { partitionView } from '../partition-view.ts';
import { listenerView } from '../cluster/cluster-view.ts';

/** Kafka's max.request.partition.size.limit: the most partitions one answer carries. */
export const DESCRIBE_TOPIC_PARTITIONS_MAX_PARTITIONS = 2000;

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

type TopicAnswer = Input<DescribeTopicPartitionsResponseTopic>;

export function describeTopicPartitionsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DescribeTopicPartitions,
    accept: [0, 0],
    handle: (req, rctx) => {
      const catalog = ctx.catalog();
      // Kafka: DESCRIBE on each topic — a listing leaves the others out, a named one is TOPIC_AUTHORIZATION_FAILED.
      const describable = (name: string): boolean => isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE, 'topic', name);
      const names = req.topics.length === 0 ? catalog.metadata.topics.map((t) => t.name).filter(describable) : [...new Set(req.topics.map((t) => t.name))];
      names.sort();
      const failed = (name: string, errorCode: number): TopicAnswer => ({ errorCode, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 });
      const cursor = req.cursor;
      if (cursor !== null && req.topics.length > 0 && !names.includes(cursor.topicName)) {
        return { throttleTimeMs: 0, topics: names.map((n) => failed(n, ErrorCode.INVALID_REQUEST)), nextCursor: null };
      }
      const limit = Math.max(1, Math.min(req.responsePartitionLimit, DESCRIBE_TOPIC_PARTITIONS_MAX_PARTITIONS));
      const topics: TopicAnswer[] = [];
      const view = listenerView(catalog.metadata, rctx.listenerName);
      let budget = limit;
      let nextCursor: { topicName: string; partitionIndex: number } | null = null;
      for (const name of names) {
        if (cursor !== null && name < cursor.topicName) continue;
        if (!describable(name)) {
          topics.push(failed(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
          continue;
        }
        const topic: TopicInfo | undefined = catalog.topic(name);
        if (topic === undefined) {
          topics.push(failed(name, topicNameProblem(name) === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION));
          continue;
        }
        if (budget === 0) {
          nextCursor = { topicName: name, partitionIndex: 0 };
          break;
        }
        const from = cursor !== null && name === cursor.topicName ? Math.max(0, cursor.partitionIndex) : 0;
        const partitions = [...topic.partitions].sort((a, b) => a.partition - b.partition).filter((p) => p.partition >= from);
        const taken = partitions.slice(0, budget);
        budget -= taken.length;
        topics.push({
          errorCode: ErrorCode.NONE,
          name,
          topicId: topic.topicId,
          isInternal: topic.internal,
          partitions: taken.map((p) => ({ ...partitionView(topic.topicId, p, view), eligibleLeaderReplicas: [], lastKnownElr: [] })),
          topicAuthorizedOperations: authorizedOperations(ctx.authorizer, rctx, 'topic', name, true),
        });
        if (taken.length < partitions.length) {
          nextCursor = { topicName: name, partitionIndex: partitions[taken.length]!.partition };
          break;
        }
      }
      return { throttleTimeMs: 0, topics, nextCursor };
    },
  });
}
