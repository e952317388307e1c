// CreateAcls, DescribeAcls and DeleteAcls over the stored ACLs (acl-model.ts has the
// model). Creating an ACL that is stored already succeeds without a record; DeleteAcls
// removes what each filter matches at decision time and answers those bindings, as
// Kafka's AclControlManager does. The number stored is bounded by maxAcls.

import { ErrorCode } from '@stratus/protocol';
import { aclBindingKey, aclBindingProblem, aclFilterMatches, aclFilterProblem, aclToTuple } from '../acls/acl-model.ts';
import type { AclBinding, AclFilter } from '../acls/acl-model.ts';
import type { ItemResult } from '../controller-api.ts';
import type { ControllerState } from '../state/state.ts';
import { chunks } from './tx.ts';
import type { DecideContext, Tx } from './tx.ts';

const OK: ItemResult = { errorCode: ErrorCode.NONE, errorMessage: null };

export function decideCreateAcls(tx: Tx, ctx: DecideContext, acls: readonly AclBinding[]): ItemResult[] {
  const fresh = new Map<string, AclBinding>();
  const results = acls.map((acl): ItemResult => {
    const problem = aclBindingProblem(acl);
    if (problem !== undefined) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem };
    const key = aclBindingKey(acl);
    if (tx.state.acls.has(key) || fresh.has(key)) return OK;
    if (tx.state.acls.size + fresh.size >= ctx.options.maxAcls) {
      return { errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `the cluster holds its most ACLs (${ctx.options.maxAcls}, controller maxAcls)` };
    }
    fresh.set(key, acl);
    return OK;
  });
  for (const batch of chunks([...fresh.values()])) tx.emit({ type: 'AclsCreated', acls: batch.map(aclToTuple) });
  return results;
}

export function describeAcls(s: ControllerState, filter: AclFilter): ItemResult & { acls: AclBinding[] } {
  const problem = aclFilterProblem(filter);
  if (problem !== undefined) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, acls: [] };
  return { ...OK, acls: [...s.acls.values()].filter((acl) => aclFilterMatches(filter, acl)) };
}

export function decideDeleteAcls(tx: Tx, filters: readonly AclFilter[]): (ItemResult & { acls: AclBinding[] })[] {
  const removed = new Map<string, AclBinding>();
  const results = filters.map((filter) => {
    const problem = aclFilterProblem(filter);
    if (problem !== undefined) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, acls: [] };
    // Every filter answers what it matched, even when an earlier filter of the request matched it too (Kafka does the same).
    const matched = [...tx.state.acls.values()].filter((acl) => aclFilterMatches(filter, acl));
    for (const acl of matched) removed.set(aclBindingKey(acl), acl);
    return { ...OK, acls: matched };
  });
  for (const batch of chunks([...removed.values()])) tx.emit({ type: 'AclsDeleted', acls: batch.map(aclToTuple) });
  return results;
}
