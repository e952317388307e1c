// The check every per-partition handler starts with: the topic and partition exist, this
// broker leads the partition, and the client's view of the leader epoch is current.
// One place, so every API answers the same situation with the same error code.

import { ErrorCode } from '@stratus/protocol';
import type { TopicInfo } from '@stratus/controller';
import type { BrokerContext, OpenPartition } from './broker-context.ts';
import { controllerFailureAnswer } from './controller-failure.ts';
import type { ControllerCallKind } from './controller-failure.ts';

export type LedPartition = { readonly ok: true; readonly open: OpenPartition } | { readonly ok: false; readonly errorCode: number };

/**
 * Resolves a partition this broker must lead. `currentLeaderEpoch` -1 skips the epoch
 * check (older request versions); a smaller epoch is FENCED_LEADER_EPOCH, a larger one
 * UNKNOWN_LEADER_EPOCH (the client knows of a leader change this broker has not seen).
 * A partition that cannot be opened because the controller is unavailable answers the
 * error of `kind` (controller-failure.ts: KAFKA_STORAGE_ERROR for reads).
 */
export async function ledPartition(
  ctx: BrokerContext,
  topic: TopicInfo | undefined,
  partition: number,
  currentLeaderEpoch = -1,
  kind: ControllerCallKind = 'read',
): Promise<LedPartition> {
  if (topic === undefined || !topic.partitions.some((p) => p.partition === partition)) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  let open = ctx.partitions.openNow(topic.topicId, partition);
  if (open === undefined) {
    try {
      open = await ctx.partitions.partition(topic.topicId, partition);
    } catch (e) {
      // The controller is unavailable, or its storage failed (the engine is down until
      // restart): this partition's error, not the request's.
      return { ok: false, errorCode: controllerFailureAnswer(e, kind)?.errorCode ?? ErrorCode.KAFKA_STORAGE_ERROR };
    }
  }
  if (open === undefined) return { ok: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch < open.leaderEpoch) return { ok: false, errorCode: ErrorCode.FENCED_LEADER_EPOCH };
  if (currentLeaderEpoch > open.leaderEpoch) return { ok: false, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH };
  return { ok: true, open };
}
