// How a ClientQuotasAltered record changes the stored quotas: a value sets its key, null
// removes it, and an entity left without values is removed (Kafka's ClientQuotaControlManager.replay).
// Entries are immutable leaves: a change makes a new entry, so a cloned state shares them safely.

import { quotaEntityKey } from './quota-model.ts';
import type { ClientQuotaEntry, QuotaChangeTuple } from './quota-model.ts';

export function applyQuotaChanges(quotas: Map<string, ClientQuotaEntry>, changes: readonly QuotaChangeTuple[]): void {
  for (const [tuple, key, value] of changes) {
    const entity = tuple.map(([entityType, entityName]) => ({ entityType, entityName }));
    const k = quotaEntityKey(entity);
    const values: Record<string, number> = { ...quotas.get(k)?.values };
    if (value === null) delete values[key];
    else values[key] = value;
    if (Object.keys(values).length === 0) quotas.delete(k);
    else quotas.set(k, { entity, values });
  }
}
