// LeaveGroup (API 13), versions 0–5. v0–2 remove the one member named in the request and
// report its outcome as the top-level error; v3+ remove a batch of members, each by
// member id or, for static members, by group.instance.id alone (the admin client's
// "remove members"), with a result per member.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import type { GroupCoordinator, LeaveGroupResult } from '../groups/coordinator.ts';
import { isLocalCoordinator } from '../groups/coordinator-locator.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import type { ApiHandler } from '../handler.ts';

export function leaveGroupHandler(ctx: BrokerContext, coordinator: GroupCoordinator): ApiHandler<typeof ApiKey.LeaveGroup> {
  return defineHandler({
    apiKey: ApiKey.LeaveGroup,
    accept: [0, 5],
    handle(req, rctx) {
      const batched = rctx.header.apiVersion >= 3;
      const members = batched
        ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
        : [{ memberId: req.memberId, groupInstanceId: null }];
      // Kafka: READ on the group.
      const result: LeaveGroupResult = !isAllowed(ctx.authorizer, rctx, AclOperation.READ, 'group', req.groupId)
        ? { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] }
        : !isLocalCoordinator(ctx, req.groupId)
        ? { errorCode: ErrorCode.NOT_COORDINATOR, members: [] }
        : coordinator.leaveGroup(req.groupId, members);
      if (!batched) {
        const memberError = result.members[0]?.errorCode ?? ErrorCode.NONE;
        return { throttleTimeMs: 0, errorCode: result.errorCode !== ErrorCode.NONE ? result.errorCode : memberError };
      }
      return {
        throttleTimeMs: 0,
        errorCode: result.errorCode,
        members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: m.errorCode })),
      };
    },
  });
}
