// CreateAcls (key 30), versions 0–3: stores Kafka ACLs in the controller, which pushes
// them to every broker with the metadata. Kafka's rules: without an authorizer every
// creation answers SECURITY_DISABLED; the principal needs ALTER on the cluster
// (CLUSTER_AUTHORIZATION_FAILED for every creation); a binding Kafka would refuse
// (acl-model.ts) answers INVALID_REQUEST, the others are stored.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { AclBinding, AclOpCode, PatternTypeCode, PermissionCode, ResourceTypeCode } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { askController } from '../controller-failure.ts';
import { defineHandler } from '../handler.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { SECURITY_DISABLED_MESSAGE } from '../auth/acl-requests.ts';

export function createAclsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.CreateAcls,
    accept: [0, 3],
    handle: async (req, rctx) => {
      const all = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });
      if (ctx.authorizer === undefined) return all(ErrorCode.SECURITY_DISABLED, SECURITY_DISABLED_MESSAGE);
      if (!isAllowed(ctx.authorizer, rctx, AclOperation.ALTER, 'cluster', CLUSTER_RESOURCE_NAME)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
      const bindings = req.creations.map(
        (c): AclBinding => ({
          resourceType: c.resourceType as ResourceTypeCode,
          resourceName: c.resourceName,
          patternType: c.resourcePatternType as PatternTypeCode,
          principal: c.principal,
          host: c.host,
          operation: c.operation as AclOpCode,
          permission: c.permissionType as PermissionCode,
        }),
      );
      const results = await askController('admin', () => ctx.controller.createAcls(bindings), (failed) => bindings.map(() => failed));
      return { throttleTimeMs: 0, results: results.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage })) };
    },
  });
}
