// Heartbeat (API 12), versions 0–4. Keeps a member's session alive; answers
// REBALANCE_IN_PROGRESS while a rebalance is being prepared, which is how members learn
// that they must rejoin. v3+ carries group.instance.id (static members are fenced by it).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import { isLocalCoordinator } from '../groups/coordinator-locator.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import type { ApiHandler } from '../handler.ts';

export function heartbeatHandler(ctx: BrokerContext, coordinator: GroupCoordinator): ApiHandler<typeof ApiKey.Heartbeat> {
  return defineHandler({
    apiKey: ApiKey.Heartbeat,
    accept: [0, 4],
    handle(req, rctx) {
      // Kafka: READ on the group.
      const errorCode = !isAllowed(ctx.authorizer, rctx, AclOperation.READ, 'group', req.groupId)
        ? ErrorCode.GROUP_AUTHORIZATION_FAILED
        : !isLocalCoordinator(ctx, req.groupId)
        ? ErrorCode.NOT_COORDINATOR
        : coordinator.heartbeat({
            groupId: req.groupId,
            generationId: req.generationId,
            memberId: req.memberId,
            groupInstanceId: rctx.header.apiVersion >= 3 ? req.groupInstanceId : null,
          });
      return { throttleTimeMs: 0, errorCode };
    },
  });
}
