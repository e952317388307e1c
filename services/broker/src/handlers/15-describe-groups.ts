// DescribeGroups (API 15), versions 0–5. Held groups are described as Kafka does
// (member metadata only when Stable); a group known only by its committed offsets is
// "Empty" with no protocol type; any other group is "Dead" with no error
// (GROUP_ID_NOT_FOUND only exists from v6). No ACLs: authorized operations, when asked
// for, are all the group operations.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import { isLocalCoordinator } from '../groups/coordinator-locator.ts';
import { defineHandler } from '../handler.ts';
import type { ApiHandler } from '../handler.ts';

/** READ (3), DELETE (6) and DESCRIBE (8), Kafka's AclOperation codes, as a bit set. */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
/** "Not requested" in the schema. */
const OPERATIONS_NOT_REQUESTED = -2147483648;

export function describeGroupsHandler(ctx: BrokerContext, coordinator: GroupCoordinator): ApiHandler<typeof ApiKey.DescribeGroups> {
  return defineHandler({
    apiKey: ApiKey.DescribeGroups,
    accept: [0, 5],
    async handle(req) {
      const authorizedOperations = req.includeAuthorizedOperations ? GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED;
      const local = req.groups.filter((g) => isLocalCoordinator(ctx, g));
      const described = new Map((await coordinator.describeGroups(local)).map((d) => [d.groupId, d]));
      const groups = req.groups.map((groupId) => {
        const d = described.get(groupId);
        if (d === undefined) {
          return { errorCode: ErrorCode.NOT_COORDINATOR, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations };
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
          authorizedOperations,
        };
      });
      return { throttleTimeMs: 0, groups };
    },
  });
}
