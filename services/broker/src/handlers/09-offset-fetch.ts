// OffsetFetch (API 9), versions 1–8. v1–7 ask for one group, v8 for several (`groups`).
// A partition without a committed offset answers -1 with no error, as does a topic that
// does not exist; a null topic list (v2+) asks for every committed offset of the group.
// Group-level errors are per partition in v1, top-level from v2, per group in v8.
// require_stable (v7+) needs no waiting: there are no transactional offset commits.
// The controller unavailable: the group's error is COORDINATOR_NOT_AVAILABLE
// (controller-failure.ts), which consumers retry after finding the coordinator again.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { CommittedOffset } from '@stratus/controller';
import type { TopicPartition } from '@stratus/storage';
import type { BrokerContext } from '../broker-context.ts';
import { controllerFailureAnswer } from '../controller-failure.ts';
import { isLocalCoordinator } from '../groups/coordinator-locator.ts';
import { offsetsByTopicName, partitionKey, resolvePartition } from '../groups/offsets.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';

interface PartitionAnswer {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

interface GroupAnswer {
  errorCode: number;
  topics: { name: string; partitions: PartitionAnswer[] }[];
}

type RequestedTopics = readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[] | null;

function answer(partitionIndex: number, offset: CommittedOffset | undefined, errorCode: number = ErrorCode.NONE): PartitionAnswer {
  return {
    partitionIndex,
    committedOffset: offset?.offset ?? -1,
    committedLeaderEpoch: offset?.leaderEpoch ?? -1,
    metadata: offset?.metadata ?? '',
    errorCode,
  };
}

async function fetchGroup(ctx: BrokerContext, rctx: RequestContext, groupId: string, topics: RequestedTopics): Promise<GroupAnswer> {
  // Kafka: DESCRIBE on the group; then DESCRIBE on each topic (named: TOPIC_AUTHORIZATION_FAILED; all: left out).
  if (!isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE, 'group', groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  const describable = (topic: string): boolean => isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE, 'topic', topic);
  if (!isLocalCoordinator(ctx, groupId)) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
  const catalog = ctx.catalog();
  try {
    if (topics === null) {
      const all = offsetsByTopicName(catalog, await ctx.controller.fetchOffsets(groupId, null));
      return {
        errorCode: ErrorCode.NONE,
        topics: [...all].filter(([name]) => describable(name)).map(([name, list]) => ({ name, partitions: list.map((o) => answer(o.partition, o.offset)) })),
      };
    }
    const requested = topics;
    const denied = new Set(topics.filter((t) => !describable(t.name)).map((t) => t.name));
    if (denied.size > 0) topics = topics.filter((t) => !denied.has(t.name));
    const wanted: TopicPartition[] = [];
    const ids = topics.map((t) => t.partitionIndexes.map((p) => resolvePartition(catalog, t.name, p)));
    topics.forEach((t, ti) => t.partitionIndexes.forEach((p, pi) => {
      const topicId = ids[ti]![pi];
      if (topicId !== undefined) wanted.push({ topicId, partition: p });
    }));
    const offsets = wanted.length === 0 ? new Map<string, CommittedOffset>() : await ctx.controller.fetchOffsets(groupId, wanted);
    return {
      errorCode: ErrorCode.NONE,
      topics: [...topics.map((t, ti) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p, pi) => {
          const topicId = ids[ti]![pi];
          return answer(p, topicId === undefined ? undefined : offsets.get(partitionKey(topicId, p)));
        }),
      })), ...requested.filter((t) => denied.has(t.name)).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => answer(p, undefined, ErrorCode.TOPIC_AUTHORIZATION_FAILED)) }))],
    };
  } catch (e) {
    const failed = controllerFailureAnswer(e, 'group');
    if (failed === undefined) throw e;
    return { errorCode: failed.errorCode, topics: [] };
  }
}

export function offsetFetchHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.OffsetFetch> {
  return defineHandler({
    apiKey: ApiKey.OffsetFetch,
    accept: [1, 8],
    async handle(req, rctx) {
      const version = rctx.header.apiVersion;
      if (version >= 8) {
        const groups = await Promise.all(req.groups.map(async (g) => ({ groupId: g.groupId, ...(await fetchGroup(ctx, rctx, g.groupId, g.topics)) })));
        return { throttleTimeMs: 0, groups };
      }
      const result = await fetchGroup(ctx, rctx, req.groupId, req.topics);
      if (version < 2 && result.errorCode !== ErrorCode.NONE) {
        // v1 has no top-level error: every requested partition carries it.
        const topics = (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => answer(p, undefined, result.errorCode)) }));
        return { throttleTimeMs: 0, topics };
      }
      return { throttleTimeMs: 0, errorCode: result.errorCode, topics: result.topics };
    },
  });
}
