// DescribeGroups (API 15), versions 0–5. Held groups are described as Kafka does
// (member metadata only when Stable); a group known only by its committed offsets is
// "Empty" with no protocol type; any other group is "Dead" with no error
// (GROUP_ID_NOT_FOUND only exists from v6). Authorized operations, when asked for, are
// what the authorizer allows — all the group operations when none is configured.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import { isLocalCoordinator } from '../groups/coordinator-locator.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import type { ApiHandler } from '../handler.ts';
import { authorizedOperations, OPERATIONS_NOT_REQUESTED } from '../auth/authorized-operations.ts';


export function describeGroupsHandler(ctx: BrokerContext, coordinator: GroupCoordinator): ApiHandler<typeof ApiKey.DescribeGroups> {
  return defineHandler({
    apiKey: ApiKey.DescribeGroups,
    accept: [0, 5],
    async handle(req, rctx) {
      const operations = (groupId: string): number => authorizedOperations(ctx.authorizer, rctx, 'group', groupId, req.includeAuthorizedOperations);
      // Kafka: DESCRIBE on each group (GROUP_AUTHORIZATION_FAILED in its entry).
      const describable = (g: string): boolean => isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE, 'group', g);
      const local = req.groups.filter((g) => describable(g) && isLocalCoordinator(ctx, g));
      const described = new Map((await coordinator.describeGroups(local)).map((d) => [d.groupId, d]));
      const groups = req.groups.map((groupId) => {
        if (!describable(groupId)) {
          return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
        }
        const d = described.get(groupId);
        if (d === undefined) {
          return { errorCode: ErrorCode.NOT_COORDINATOR, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: operations(groupId) };
        }
        return {
          errorCode: d.errorCode,
          groupId,
          groupState: d.state,
          protocolType: d.protocolType,
          protocolData: d.protocolData,
          members: d.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
          authorizedOperations: operations(groupId),
        };
      });
      return { throttleTimeMs: 0, groups };
    },
  });
}
