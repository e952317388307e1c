// Client quotas between ControllerApi's form (quotas/quota-model.ts) and the gRPC messages.
// A default entity's absent name is its null; values travel as (key, value) pairs.

import type { ClientQuotaEntry, QuotaAlteration, QuotaEntityPart } from '../quotas/quota-model.ts';
import type * as pb from './generated/stratus/controller/v1/controller.ts';

export function toPbEntity(entity: readonly QuotaEntityPart[]): pb.QuotaEntityPart[] {
  return entity.map((p) => ({ entityType: p.entityType, ...(p.entityName !== null ? { entityName: p.entityName } : {}) }));
}

export function fromPbEntity(entity: readonly pb.QuotaEntityPart[]): QuotaEntityPart[] {
  return entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName ?? null }));
}

export function toPbQuotaEntry(e: ClientQuotaEntry): pb.ClientQuotaEntry {
  return { entity: toPbEntity(e.entity), values: Object.entries(e.values).map(([key, value]) => ({ key, value })) };
}

export function fromPbQuotaEntry(e: pb.ClientQuotaEntry): ClientQuotaEntry {
  return { entity: fromPbEntity(e.entity), values: Object.fromEntries(e.values.map((v) => [v.key, v.value])) };
}

export function toPbAlteration(a: QuotaAlteration): pb.ClientQuotaAlteration {
  return { entity: toPbEntity(a.entity), ops: a.ops.map((o) => ({ key: o.key, value: o.value, remove: o.remove })) };
}

export function fromPbAlteration(a: pb.ClientQuotaAlteration): QuotaAlteration {
  return { entity: fromPbEntity(a.entity), ops: a.ops.map((o) => ({ key: o.key, value: o.value, remove: o.remove })) };
}
