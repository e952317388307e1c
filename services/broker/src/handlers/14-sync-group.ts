// SyncGroup (API 14), versions 0–5. The leader sends every member's assignment; followers
// wait until it arrives (or a rebalance starts: REBALANCE_IN_PROGRESS). v3+ carries
// group.instance.id; v5 carries the protocol type and name, checked against the group's.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import { isLocalCoordinator } from '../groups/coordinator-locator.ts';
import { syncError } from '../groups/group.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import type { ApiHandler } from '../handler.ts';

export function syncGroupHandler(ctx: BrokerContext, coordinator: GroupCoordinator): ApiHandler<typeof ApiKey.SyncGroup> {
  return defineHandler({
    apiKey: ApiKey.SyncGroup,
    accept: [0, 5],
    async handle(req, rctx) {
      const version = rctx.header.apiVersion;
      // Kafka: READ on the group.
      const result = !isAllowed(ctx.authorizer, rctx, AclOperation.READ, 'group', req.groupId)
        ? syncError(ErrorCode.GROUP_AUTHORIZATION_FAILED)
        : !isLocalCoordinator(ctx, req.groupId)
        ? syncError(ErrorCode.NOT_COORDINATOR)
        : await coordinator.syncGroup({
            groupId: req.groupId,
            generationId: req.generationId,
            memberId: req.memberId,
            groupInstanceId: version >= 3 ? req.groupInstanceId : null,
            protocolType: version >= 5 ? req.protocolType : null,
            protocolName: version >= 5 ? req.protocolName : null,
            assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
          });
      return {
        throttleTimeMs: 0,
        errorCode: result.errorCode,
        protocolType: result.protocolType,
        protocolName: result.protocolName,
        assignment: result.assignment,
      };
    },
  });
}
