// DescribeClientQuotas (key 48), versions 0–1: the stored client quotas a filter selects,
// answered from this broker's metadata as Kafka's brokers answer from their metadata image
// (ClientQuotasImage.describe; the rules in @stratus/controller's quota-model.ts). Kafka
// requires DESCRIBE_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED otherwise).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import { describeClientQuotas } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from '../handler.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';

export function describeClientQuotasHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DescribeClientQuotas,
    accept: [0, 1],
    handle: (req, rctx) => {
      const fail = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, errorCode, errorMessage, entries: null });
      if (!isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE_CONFIGS, 'cluster', CLUSTER_RESOURCE_NAME)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
      const r = describeClientQuotas(ctx.catalog().metadata.quotas ?? [], req.components, req.strict);
      if ('problem' in r) return fail(ErrorCode[r.problem.code], r.problem.message);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        entries: r.entries.map((e) => ({
          entity: e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })),
          values: Object.entries(e.values).map(([key, value]) => ({ key, value })),
        })),
      };
    },
  });
}
