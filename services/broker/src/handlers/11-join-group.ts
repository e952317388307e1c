// JoinGroup (API 11), versions 0–9. The request is parked in the group coordinator until
// the join phase completes (all members rejoined, the rebalance timeout or the initial
// delay passed). v4+ answers MEMBER_ID_REQUIRED to members without an id; v5+ static
// membership; v9 skipAssignment. v0 has no rebalance timeout: the session timeout is used.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import type { GroupCoordinator } from '../groups/coordinator.ts';
import { isLocalCoordinator } from '../groups/coordinator-locator.ts';
import { joinError } from '../groups/group.ts';
import type { JoinGroupResult } from '../groups/group.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import type { ApiHandler } from '../handler.ts';

/**
 * Kafka reports a member's host as Java prints an InetAddress: '/' and the IP, no port.
 * The connection's address is "ip:port"; IPv4-mapped IPv6 addresses lose their prefix.
 */
export function clientHost(remoteAddress: string): string {
  const ip = remoteAddress.replace(/:\d+$/, '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return `/${ip}`;
}

export function joinGroupHandler(ctx: BrokerContext, coordinator: GroupCoordinator): ApiHandler<typeof ApiKey.JoinGroup> {
  return defineHandler({
    apiKey: ApiKey.JoinGroup,
    accept: [0, 9],
    async handle(req, rctx) {
      const version = rctx.header.apiVersion;
      // Kafka: READ on the group.
      const result: JoinGroupResult = !isAllowed(ctx.authorizer, rctx, AclOperation.READ, 'group', req.groupId)
        ? joinError(ErrorCode.GROUP_AUTHORIZATION_FAILED, req.memberId)
        : !isLocalCoordinator(ctx, req.groupId)
        ? joinError(ErrorCode.NOT_COORDINATOR, req.memberId)
        : await coordinator.joinGroup({
            groupId: req.groupId,
            memberId: req.memberId,
            groupInstanceId: version >= 5 ? req.groupInstanceId : null,
            clientId: rctx.header.clientId ?? '',
            clientHost: clientHost(rctx.remoteAddress),
            sessionTimeoutMs: req.sessionTimeoutMs,
            rebalanceTimeoutMs: version === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
            protocolType: req.protocolType,
            protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
            requireKnownMemberId: version >= 4,
            supportsSkipAssignment: version >= 9,
            reason: req.reason,
          });
      return {
        throttleTimeMs: 0,
        errorCode: result.errorCode,
        generationId: result.generationId,
        protocolType: result.protocolType,
        // Nullable only from v7; before, "no protocol" is the empty string.
        protocolName: version >= 7 ? result.protocolName : (result.protocolName ?? ''),
        leader: result.leaderId,
        skipAssignment: result.skipAssignment,
        memberId: result.memberId,
        members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
      };
    },
  });
}
