// The authorization decision over a set of ACLs, as Kafka's StandardAuthorizer makes it
// (StandardAuthorizerData.findAclRule / findResult, and Authorizer.authorizeByResourceType):
//
// - super users are allowed everything;
// - the ACLs that apply to a resource are its LITERAL ACLs with its exact name, the
//   LITERAL '*' ACLs of its type, and the PREFIXED ACLs whose name begins it;
// - of those, an ACL counts for a request when its principal is the request's or User:*,
//   its host is the client's address or '*', and its operation is the one asked or ALL —
//   except that an ALLOW of READ, WRITE, DELETE or ALTER also allows DESCRIBE, and an
//   ALLOW of ALTER_CONFIGS also allows DESCRIBE_CONFIGS (never for DENY);
// - any counting DENY denies (deny wins); else any counting ALLOW allows; else, when no
//   ACL at all applies to the resource (whoever it names), allow.everyone.if.no.acl.found
//   decides; else denied.
//
// Pure: the ACLs are given as an AclIndex built once per metadata change.

import { AclOp, PatternType, Permission, ResourceType, WILDCARD, WILDCARD_PRINCIPAL } from '@stratus/controller';
import type { AclBinding, AclOpCode, ResourceTypeCode } from '@stratus/controller';

export interface AuthorizerSettings {
  /** Principals allowed everything (`User:admin`). */
  readonly superUsers: ReadonlySet<string>;
  /** allow.everyone.if.no.acl.found: what a resource without any ACL gets. */
  readonly allowIfNoAcl: boolean;
}

/** Who asks, from where. */
export interface Requester {
  /** `User:alice`. */
  readonly principal: string;
  /** The client's IP address as text (what an ACL's host is compared with). */
  readonly host: string;
}

/** The stored ACLs arranged for lookups: per resource type, literal ACLs by name and prefixed ones. */
export class AclIndex {
  readonly size: number;
  private readonly literal = new Map<number, Map<string, AclBinding[]>>();
  private readonly prefixed = new Map<number, AclBinding[]>();
  private readonly byType = new Map<number, AclBinding[]>();

  constructor(acls: Iterable<AclBinding>) {
    let size = 0;
    for (const acl of acls) {
      size++;
      pushTo(this.byType, acl.resourceType, acl);
      if (acl.patternType === PatternType.PREFIXED) pushTo(this.prefixed, acl.resourceType, acl);
      else {
        let names = this.literal.get(acl.resourceType);
        if (names === undefined) this.literal.set(acl.resourceType, (names = new Map()));
        pushTo(names, acl.resourceName, acl);
      }
    }
    this.size = size;
  }

  /** Every ACL applying to the resource: literal by name, literal '*', prefixed beginning the name. */
  *applying(resourceType: number, name: string): Generator<AclBinding> {
    const names = this.literal.get(resourceType);
    if (names !== undefined) {
      yield* names.get(name) ?? [];
      if (name !== WILDCARD) yield* names.get(WILDCARD) ?? [];
    }
    for (const acl of this.prefixed.get(resourceType) ?? []) if (name.startsWith(acl.resourceName)) yield acl;
  }

  ofType(resourceType: number): readonly AclBinding[] {
    return this.byType.get(resourceType) ?? [];
  }
}

function pushTo<K, V>(m: Map<K, V[]>, key: K, value: V): void {
  const list = m.get(key);
  if (list === undefined) m.set(key, [value]);
  else list.push(value);
}

const IMPLIES_DESCRIBE: ReadonlySet<number> = new Set([AclOp.DESCRIBE, AclOp.READ, AclOp.WRITE, AclOp.DELETE, AclOp.ALTER]);
const IMPLIES_DESCRIBE_CONFIGS: ReadonlySet<number> = new Set([AclOp.DESCRIBE_CONFIGS, AclOp.ALTER_CONFIGS]);

function principalMatches(acl: AclBinding, who: Requester): boolean {
  return acl.principal === who.principal || acl.principal === WILDCARD_PRINCIPAL;
}

function hostMatches(acl: AclBinding, who: Requester): boolean {
  return acl.host === WILDCARD || acl.host === who.host;
}

/** Kafka's findResult: 'allow', 'deny', or undefined when the ACL does not count for this request. */
export function aclResult(acl: AclBinding, who: Requester, op: AclOpCode): 'allow' | 'deny' | undefined {
  if (!principalMatches(acl, who) || !hostMatches(acl, who)) return undefined;
  if (acl.operation !== AclOp.ALL) {
    if (acl.permission === Permission.ALLOW) {
      if (op === AclOp.DESCRIBE) {
        if (!IMPLIES_DESCRIBE.has(acl.operation)) return undefined;
      } else if (op === AclOp.DESCRIBE_CONFIGS) {
        if (!IMPLIES_DESCRIBE_CONFIGS.has(acl.operation)) return undefined;
      } else if (op !== acl.operation) return undefined;
    } else if (op !== acl.operation) return undefined;
  }
  return acl.permission === Permission.ALLOW ? 'allow' : 'deny';
}

/** May `who` perform `op` on the resource? */
export function authorize(index: AclIndex, settings: AuthorizerSettings, who: Requester, op: AclOpCode, resourceType: ResourceTypeCode, name: string): boolean {
  if (settings.superUsers.has(who.principal)) return true;
  let anyApplies = false;
  let allowed = false;
  for (const acl of index.applying(resourceType, name)) {
    anyApplies = true;
    const result = aclResult(acl, who, op);
    if (result === 'deny') return false;
    if (result === 'allow') allowed = true;
  }
  if (allowed) return true;
  return !anyApplies && settings.allowIfNoAcl;
}

/**
 * May `who` perform `op` on at least one resource of the type? Kafka's
 * Authorizer.authorizeByResourceType, used where a request needs the operation on "any
 * topic" (idempotent produce and InitProducerId without IDEMPOTENT_WRITE on the cluster):
 * allowed when a resource named "hardcode" would be (super users, no ACL at all and
 * allow.everyone.if.no.acl.found), or when some ALLOW for the exact operation (or ALL) is
 * not dominated by a DENY — a literal DENY of '*', a literal DENY of the same name, or a
 * prefixed DENY whose prefix begins the allowed name. Implied operations do not count here.
 */
export function authorizeAnyOfType(index: AclIndex, settings: AuthorizerSettings, who: Requester, op: AclOpCode, resourceType: ResourceTypeCode): boolean {
  if (authorize(index, settings, who, op, resourceType, 'hardcode')) return true;
  const denyLiteral = new Set<string>();
  const denyPrefixed = new Set<string>();
  const allows: AclBinding[] = [];
  for (const acl of index.ofType(resourceType)) {
    if (!hostMatches(acl, who) || !principalMatches(acl, who)) continue;
    if (acl.operation !== op && acl.operation !== AclOp.ALL) continue;
    if (acl.permission === Permission.DENY) {
      if (acl.patternType === PatternType.LITERAL && acl.resourceName === WILDCARD) return false;
      (acl.patternType === PatternType.PREFIXED ? denyPrefixed : denyLiteral).add(acl.resourceName);
    } else allows.push(acl);
  }
  for (const allow of allows) {
    if (allow.patternType === PatternType.LITERAL && allow.resourceName === WILDCARD) return true;
  }
  for (const allow of allows) {
    if (allow.patternType === PatternType.LITERAL && denyLiteral.has(allow.resourceName)) continue;
    let dominated = false;
    for (let i = 1; i <= allow.resourceName.length && !dominated; i++) dominated = denyPrefixed.has(allow.resourceName.slice(0, i));
    if (!dominated) return true;
  }
  return false;
}

export { ResourceType };
