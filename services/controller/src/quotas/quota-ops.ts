// AlterClientQuotas over the stored client quotas (quota-model.ts has the model), decided
// as Kafka's ClientQuotaControlManager.alterClientQuotas does: each entity is checked on
// its own (an invalid one changes nothing and answers INVALID_REQUEST, the others apply),
// a value equal to the stored one writes no record, a removal of an absent key is a no-op,
// and validateOnly answers the same without a record. One answer per distinct entity, in
// the order entities first appear: a repeated entity is answered "Ignoring duplicate
// entity" (its first occurrence still applies, as in Kafka). DescribeClientQuotas is
// answered by brokers from their metadata (quota-model.ts describeClientQuotas).

import { ErrorCode } from '@stratus/protocol';
import type { ItemResult } from '../controller-api.ts';
import { chunks } from '../ops/tx.ts';
import type { Tx } from '../ops/tx.ts';
import { DEFAULT_MAX_QUOTA_ENTITIES, quotaEntityKey, quotaEntityProblem, quotaValueProblem, sortedEntity } from './quota-model.ts';
import type { QuotaAlteration, QuotaChangeTuple, QuotaEntityPart } from './quota-model.ts';

export interface AlterClientQuotaResult extends ItemResult {
  readonly entity: readonly QuotaEntityPart[];
}

const OK = { errorCode: ErrorCode.NONE, errorMessage: null } as const;

export function decideAlterClientQuotas(tx: Tx, alterations: readonly QuotaAlteration[], validateOnly: boolean, maxEntities = DEFAULT_MAX_QUOTA_ENTITIES): AlterClientQuotaResult[] {
  const results = new Map<string, AlterClientQuotaResult>();
  const changes: QuotaChangeTuple[] = [];
  // Entities as they will be once this request applies: for the bound on stored entities.
  const after = new Map<string, number>();
  const invalid = (entity: readonly QuotaEntityPart[], errorMessage: string): AlterClientQuotaResult => ({ entity, errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
  for (const alteration of alterations) {
    const key = quotaEntityKey(alteration.entity);
    const ops = new Map<string, number | null>();
    let duplicateKey: string | undefined;
    for (const op of alteration.ops) {
      if (ops.has(op.key)) duplicateKey ??= op.key;
      else ops.set(op.key, op.remove ? null : op.value);
    }
    if (results.has(key) || duplicateKey !== undefined) {
      // Kafka marks the entity for a repeated key, then finds it marked and says it ignores a duplicate.
      results.set(key, invalid(alteration.entity, `Ignoring duplicate entity ${entityString(alteration.entity)}`));
      continue;
    }
    const entityProblem = quotaEntityProblem(alteration.entity);
    if (entityProblem !== undefined) {
      results.set(key, invalid(alteration.entity, entityProblem));
      continue;
    }
    const current = tx.state.quotas.get(key)?.values ?? {};
    const mine: QuotaChangeTuple[] = [];
    let problem: string | undefined;
    for (const [k, value] of ops) {
      if (value === null) {
        if (k in current) mine.push([tupleEntity(alteration.entity), k, null]);
        continue;
      }
      problem = quotaValueProblem(alteration.entity, k, value);
      if (problem !== undefined) break;
      if (current[k] !== value) mine.push([tupleEntity(alteration.entity), k, value]);
    }
    if (problem !== undefined) {
      results.set(key, invalid(alteration.entity, problem));
      continue;
    }
    const remaining = new Set(Object.keys(current));
    for (const [, k, v] of mine) {
      if (v === null) remaining.delete(k);
      else remaining.add(k);
    }
    const stored = tx.state.quotas.has(key);
    if (!stored && remaining.size > 0 && tx.state.quotas.size + [...after.values()].reduce((a, b) => a + b, 0) + 1 > maxEntities) {
      results.set(key, { entity: alteration.entity, errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `the cluster holds its most client quota entities (${maxEntities})` });
      continue;
    }
    if (!stored && remaining.size > 0) after.set(key, 1);
    changes.push(...mine);
    results.set(key, { entity: alteration.entity, ...OK });
  }
  if (!validateOnly) for (const batch of chunks(changes)) tx.emit({ type: 'ClientQuotasAltered', changes: batch });
  return [...results.values()];
}

function tupleEntity(entity: readonly QuotaEntityPart[]): [string, string | null][] {
  return sortedEntity(entity).map((p) => [p.entityType, p.entityName]);
}

/** Kafka's ClientQuotaEntity toString, for its duplicate-entity message. */
function entityString(entity: readonly QuotaEntityPart[]): string {
  return `ClientQuotaEntity(entries={${entity.map((p) => `${p.entityType}=${p.entityName ?? 'null'}`).join(', ')}})`;
}
