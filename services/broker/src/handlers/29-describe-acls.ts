// DescribeAcls (key 29), versions 0–3: the stored ACLs a filter matches (MATCH included),
// grouped by resource pattern as Kafka answers. SECURITY_DISABLED without an authorizer;
// DESCRIBE on the cluster is required (CLUSTER_AUTHORIZATION_FAILED).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { AclBinding } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { askController } from '../controller-failure.ts';
import { defineHandler } from '../handler.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { SECURITY_DISABLED_MESSAGE, aclFilterOf } from '../auth/acl-requests.ts';

export function describeAclsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DescribeAcls,
    accept: [0, 3],
    handle: async (req, rctx) => {
      const fail = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });
      if (ctx.authorizer === undefined) return fail(ErrorCode.SECURITY_DISABLED, SECURITY_DISABLED_MESSAGE);
      if (!isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE, 'cluster', CLUSTER_RESOURCE_NAME)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
      const r = await askController('admin', () => ctx.controller.describeAcls(aclFilterOf(req)), (failed) => ({ ...failed, acls: [] }));
      if (r.errorCode !== ErrorCode.NONE) return fail(r.errorCode, r.errorMessage);
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: byResource(r.acls) };
    },
  });
}

/** One entry per resource pattern, in the order patterns first appear. */
function byResource(acls: readonly AclBinding[]) {
  const resources = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: { principal: string; host: string; operation: number; permissionType: number }[] }>();
  for (const a of acls) {
    const key = JSON.stringify([a.resourceType, a.resourceName, a.patternType]);
    let r = resources.get(key);
    if (r === undefined) resources.set(key, (r = { resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, acls: [] }));
    r.acls.push({ principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permission });
  }
  return [...resources.values()];
}
