// OffsetDelete (API 47), version 0: deletes a group's committed offsets for some
// partitions. Refused for a live group that does not use the consumer protocol
// (NON_EMPTY_GROUP), and per partition for topics its members subscribe to
// (GROUP_SUBSCRIBED_TO_TOPIC). A group known only by its offsets is treated as Empty.
// The controller unavailable: COORDINATOR_NOT_AVAILABLE for the group (controller-failure.ts).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { TopicPartition } from '@stratus/storage';
import type { BrokerContext } from '../broker-context.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import { controllerFailureAnswer } from '../controller-failure.ts';
import { isLocalCoordinator } from '../groups/coordinator-locator.ts';
import { resolvePartition } from '../groups/offsets.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import type { ApiHandler } from '../handler.ts';

export function offsetDeleteHandler(ctx: BrokerContext, coordinator: GroupCoordinator): ApiHandler<typeof ApiKey.OffsetDelete> {
  return defineHandler({
    apiKey: ApiKey.OffsetDelete,
    accept: [0, 0],
    async handle(req, rctx) {
      const refuse = (errorCode: number) => ({ errorCode, throttleTimeMs: 0, topics: [] });
      // Kafka: DELETE on the group, then READ on each topic.
      if (!isAllowed(ctx.authorizer, rctx, AclOperation.DELETE, 'group', req.groupId)) return refuse(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      if (req.groupId === '') return refuse(ErrorCode.INVALID_GROUP_ID);
      if (!isLocalCoordinator(ctx, req.groupId)) return refuse(ErrorCode.NOT_COORDINATOR);
      const check = await coordinator.offsetDeleteCheck(req.groupId);
      if (check.errorCode !== ErrorCode.NONE) return refuse(check.errorCode);
      try {
        const catalog = ctx.catalog();
        const doomed: TopicPartition[] = [];
        const topics = req.topics.map((t) => {
          const subscribed = check.isSubscribed(t.name);
          const readable = isAllowed(ctx.authorizer, rctx, AclOperation.READ, 'topic', t.name);
          return {
            name: t.name,
            partitions: t.partitions.map((p) => {
              const topicId = resolvePartition(catalog, t.name, p.partitionIndex);
              let errorCode: number = ErrorCode.NONE;
              if (!readable) errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
              else if (topicId === undefined) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
              else if (subscribed) errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
              else doomed.push({ topicId, partition: p.partitionIndex });
              return { partitionIndex: p.partitionIndex, errorCode };
            }),
          };
        });
        if (doomed.length > 0) await ctx.controller.deleteOffsets(req.groupId, doomed);
        return { errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics };
      } catch (e) {
        const failed = controllerFailureAnswer(e, 'group');
        if (failed === undefined) throw e;
        return refuse(failed.errorCode);
      }
    },
  });
}
