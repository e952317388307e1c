// OffsetCommit (API 8), versions 0–9 (KAFKA-COMPAT asks for 2–9; 0 and 1 decode into the
// same shape and librdkafka 2.0 only enables its committer when 1–2 are advertised).
// Members commit for their current generation (the coordinator checks generation, member
// id and group.instance.id); generation -1 without a member id is a commit from outside
// group management, allowed when the group is Empty or unknown. Offsets are stored in the
// controller by topic id. The v2–4 retention time and v1 commit timestamp are ignored,
// as Kafka 2.1+ ignores them (KIP-211): the controller expires offsets by its own
// retention, counted from when the group became empty (see ops/offset-expiry.ts there).
// Its answers carry the code per partition (INVALID_COMMIT_OFFSET_SIZE when its limit
// of committed offsets is reached). The controller unavailable: COORDINATOR_NOT_AVAILABLE
// for the partitions sent (controller-failure.ts), which consumers retry after finding
// the coordinator again.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { OffsetCommitItem } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import { askController } from '../controller-failure.ts';
import { isLocalCoordinator } from '../groups/coordinator-locator.ts';
import { OFFSET_METADATA_MAX_CHARS, partitionKey, resolvePartition } from '../groups/offsets.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import type { ApiHandler } from '../handler.ts';

export function offsetCommitHandler(ctx: BrokerContext, coordinator: GroupCoordinator): ApiHandler<typeof ApiKey.OffsetCommit> {
  return defineHandler({
    apiKey: ApiKey.OffsetCommit,
    accept: [0, 9],
    async handle(req, rctx) {
      const version = rctx.header.apiVersion;
      const errors = req.topics.map((t) => t.partitions.map((): number => ErrorCode.NONE));
      const respond = () => ({
        throttleTimeMs: 0,
        topics: req.topics.map((t, ti) => ({
          name: t.name,
          partitions: t.partitions.map((p, pi) => ({ partitionIndex: p.partitionIndex, errorCode: errors[ti]![pi]! })),
        })),
      });
      // Cells already answered (a topic not authorized) keep their answer.
      const failAll = (code: number) => {
        for (const row of errors) for (let i = 0; i < row.length; i++) if (row[i] === ErrorCode.NONE) row[i] = code;
        return respond();
      };

      // Kafka: READ on the group (GROUP_AUTHORIZATION_FAILED everywhere), then READ on each topic.
      if (ctx.authorizer !== undefined) {
        if (!isAllowed(ctx.authorizer, rctx, AclOperation.READ, 'group', req.groupId)) return failAll(ErrorCode.GROUP_AUTHORIZATION_FAILED);
        req.topics.forEach((t, ti) => {
          if (!isAllowed(ctx.authorizer, rctx, AclOperation.READ, 'topic', t.name)) errors[ti]!.fill(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        });
      }
      if (req.groupId === '') return failAll(ErrorCode.INVALID_GROUP_ID);
      if (!isLocalCoordinator(ctx, req.groupId)) return failAll(ErrorCode.NOT_COORDINATOR);
      let groupError = coordinator.validateOffsetCommit({
        groupId: req.groupId,
        generationId: req.generationIdOrMemberEpoch,
        memberId: req.memberId,
        groupInstanceId: version >= 7 ? req.groupInstanceId : null,
      });
      // v9 (KIP-848 era) reports a group this coordinator does not know as such.
      if (version >= 9 && groupError === ErrorCode.ILLEGAL_GENERATION && !coordinator.hasGroup(req.groupId)) groupError = ErrorCode.GROUP_ID_NOT_FOUND;
      if (groupError !== ErrorCode.NONE) return failAll(groupError);

      const catalog = ctx.catalog();
      const items: OffsetCommitItem[] = [];
      const slots: { ti: number; pi: number; key: string }[] = [];
      req.topics.forEach((t, ti) => {
        t.partitions.forEach((p, pi) => {
          if (errors[ti]![pi] !== ErrorCode.NONE) return;
          const topicId = resolvePartition(catalog, t.name, p.partitionIndex);
          if (topicId === undefined) return void (errors[ti]![pi] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const metadata = p.committedMetadata ?? '';
          if (metadata.length > OFFSET_METADATA_MAX_CHARS) return void (errors[ti]![pi] = ErrorCode.OFFSET_METADATA_TOO_LARGE);
          items.push({ topicId, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata });
          slots.push({ ti, pi, key: partitionKey(topicId, p.partitionIndex) });
        });
      });
      if (items.length === 0) return respond();

      const results = await askController('group', () => ctx.controller.commitOffsets(req.groupId, items), (failed) =>
        items.map((i) => ({ topicId: i.topicId, partition: i.partition, ...failed })),
      );
      const byKey = new Map(results.map((r) => [partitionKey(r.topicId, r.partition), r.errorCode]));
      // A partition the controller did not answer for was not committed.
      for (const s of slots) errors[s.ti]![s.pi] = byKey.get(s.key) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      return respond();
    },
  });
}
