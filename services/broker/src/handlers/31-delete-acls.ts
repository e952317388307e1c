// DeleteAcls (key 31), versions 0–3: removes every stored ACL each filter matches and
// answers them per filter. SECURITY_DISABLED without an authorizer; ALTER on the cluster
// is required (CLUSTER_AUTHORIZATION_FAILED for every filter).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { askController } from '../controller-failure.ts';
import { defineHandler } from '../handler.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { SECURITY_DISABLED_MESSAGE, aclFilterOf } from '../auth/acl-requests.ts';

export function deleteAclsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DeleteAcls,
    accept: [0, 3],
    handle: async (req, rctx) => {
      const all = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
      if (ctx.authorizer === undefined) return all(ErrorCode.SECURITY_DISABLED, SECURITY_DISABLED_MESSAGE);
      if (!isAllowed(ctx.authorizer, rctx, AclOperation.ALTER, 'cluster', CLUSTER_RESOURCE_NAME)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
      const filters = req.filters.map(aclFilterOf);
      const results = await askController('admin', () => ctx.controller.deleteAcls(filters), (failed) => filters.map(() => ({ ...failed, acls: [] })));
      return {
        throttleTimeMs: 0,
        filterResults: results.map((r) => ({
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          matchingAcls: r.acls.map((a) => ({
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            resourceType: a.resourceType,
            resourceName: a.resourceName,
            patternType: a.patternType,
            principal: a.principal,
            host: a.host,
            operation: a.operation,
            permissionType: a.permission,
          })),
        })),
      };
    },
  });
}
