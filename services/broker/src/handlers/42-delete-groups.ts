// DeleteGroups (API 42), versions 0–2. A group with members is NON_EMPTY_GROUP; an Empty
// group is forgotten by the coordinator and its committed offsets are deleted in the
// controller; a group known only by its offsets loses them; anything else is
// GROUP_ID_NOT_FOUND.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import { isLocalCoordinator } from '../groups/coordinator-locator.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import type { ApiHandler } from '../handler.ts';

export function deleteGroupsHandler(ctx: BrokerContext, coordinator: GroupCoordinator): ApiHandler<typeof ApiKey.DeleteGroups> {
  return defineHandler({
    apiKey: ApiKey.DeleteGroups,
    accept: [0, 2],
    async handle(req, rctx) {
      // Kafka: DELETE on each group.
      const deletable = (g: string): boolean => isAllowed(ctx.authorizer, rctx, AclOperation.DELETE, 'group', g);
      const local = req.groupsNames.filter((g) => deletable(g) && isLocalCoordinator(ctx, g));
      const deleted = new Map((await coordinator.deleteGroups(local)).map((r) => [r.groupId, r.errorCode]));
      const results = req.groupsNames.map((groupId) => ({ groupId, errorCode: !deletable(groupId) ? ErrorCode.GROUP_AUTHORIZATION_FAILED : (deleted.get(groupId) ?? ErrorCode.NOT_COORDINATOR) }));
      return { throttleTimeMs: 0, results };
    },
  });
}
