// ListGroups (API 16), versions 0–5: the groups this broker coordinates, including those
// that exist only as committed offsets (listed "Empty" with no protocol type, as Kafka
// lists offset-only groups). v4+ filters by state, v5+ by type (all groups here are
// "classic"); both filters are case-insensitive like Kafka's.

import { ApiKey } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import { isLocalCoordinator } from '../groups/coordinator-locator.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import type { ApiHandler } from '../handler.ts';

const GROUP_TYPE = 'classic';

export function listGroupsHandler(ctx: BrokerContext, coordinator: GroupCoordinator): ApiHandler<typeof ApiKey.ListGroups> {
  return defineHandler({
    apiKey: ApiKey.ListGroups,
    accept: [0, 5],
    async handle(req, rctx) {
      // Kafka: every group for DESCRIBE on the cluster, else the groups the principal may DESCRIBE.
      // Both only filter the listing: neither is audited as a refusal (Kafka's logIfDenied = false).
      const all = isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE, 'cluster', CLUSTER_RESOURCE_NAME, false);
      const describable = (groupId: string): boolean => all || isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE, 'group', groupId, false);
      const listed = await coordinator.listGroups((groupId) => isLocalCoordinator(ctx, groupId));
      const states = new Set(req.statesFilter.map((s) => s.toLowerCase()));
      const types = new Set(req.typesFilter.map((t) => t.toLowerCase()));
      const groups = listed.groups
        .filter((g) => describable(g.groupId) && (states.size === 0 || states.has(g.state.toLowerCase())) && (types.size === 0 || types.has(GROUP_TYPE)))
        .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
        .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: GROUP_TYPE }));
      return { throttleTimeMs: 0, errorCode: listed.errorCode, groups };
    },
  });
}
