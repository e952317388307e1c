// AlterClientQuotas (key 49), versions 0–1: sets and removes client quotas in the
// controller, which pushes them to every broker with the metadata (each enforces them:
// quotas/client-quotas.ts). Kafka requires ALTER_CONFIGS on the cluster
// (CLUSTER_AUTHORIZATION_FAILED for every entry); the controller answers each distinct
// entity with Kafka's rules (@stratus/controller quota-ops.ts). validate_only decides
// without storing.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { QuotaAlteration } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { askController } from '../controller-failure.ts';
import { defineHandler } from '../handler.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';

export function alterClientQuotasHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.AlterClientQuotas,
    accept: [0, 1],
    handle: async (req, rctx) => {
      const alterations = req.entries.map(
        (e): QuotaAlteration => ({
          entity: e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })),
          ops: e.ops.map((o) => ({ key: o.key, value: o.value, remove: o.remove })),
        }),
      );
      if (!isAllowed(ctx.authorizer, rctx, AclOperation.ALTER_CONFIGS, 'cluster', CLUSTER_RESOURCE_NAME)) {
        return { throttleTimeMs: 0, entries: alterations.map((a) => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, entity: [...a.entity] })) };
      }
      const results = await askController(
        'admin',
        () => ctx.controller.alterClientQuotas(alterations, req.validateOnly),
        (failed) => alterations.map((a) => ({ ...failed, entity: a.entity })),
      );
      return {
        throttleTimeMs: 0,
        entries: results.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage, entity: r.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })) })),
      };
    },
  });
}
