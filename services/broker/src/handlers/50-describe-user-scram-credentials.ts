// DescribeUserScramCredentials (key 50), version 0: which SCRAM mechanisms (and with how
// many iterations) each user has a credential for — never a salt or a key. The controller
// answers with Kafka's ScramImage rules (@stratus/controller ops/scram.ts): no users
// (null or empty) lists every user holding one; an unknown user is RESOURCE_NOT_FOUND and
// one named twice DUPLICATE_RESOURCE, per user. Kafka requires DESCRIBE on the cluster; a
// principal without it gets CLUSTER_AUTHORIZATION_FAILED at the top and for each user
// named (DescribeUserScramCredentialsRequest.getErrorResponse).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { ItemResult, ScramDescribeResult } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { askController } from '../controller-failure.ts';
import { defineHandler } from '../handler.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';

/** Kafka's message of a ClusterAuthorizationException made from the error code. */
const CLUSTER_AUTHORIZATION_FAILED_MESSAGE = 'Cluster authorization failed.';

export function describeUserScramCredentialsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DescribeUserScramCredentials,
    accept: [0, 0],
    handle: async (req, rctx) => {
      const users = req.users === null ? null : req.users.map((u) => u.name);
      const all = (errorCode: number, errorMessage: string | null) => ({
        throttleTimeMs: 0,
        errorCode,
        errorMessage,
        results: (users ?? []).map((user) => ({ user, errorCode, errorMessage, credentialInfos: [] })),
      });
      if (!isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE, 'cluster', CLUSTER_RESOURCE_NAME)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED_MESSAGE);
      const results = await askController<ScramDescribeResult[] | ItemResult>('admin', () => ctx.controller.describeScramCredentials(users), (failed) => failed);
      if (!Array.isArray(results)) return all(results.errorCode, results.errorMessage);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        results: results.map((r) => ({ user: r.user, errorCode: r.errorCode, errorMessage: r.errorMessage, credentialInfos: r.credentials.map((c) => ({ mechanism: c.mechanism, iterations: c.iterations })) })),
      };
    },
  });
}
