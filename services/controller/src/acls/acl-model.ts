// Kafka's ACL model: what one ACL (an AclBinding) is, the codes its fields travel as on
// the wire (CreateAcls, DescribeAcls, DeleteAcls), which bindings may be stored, and how
// a DescribeAcls/DeleteAcls filter selects stored bindings. Pure data and functions: the
// controller stores bindings with it, the broker's authorizer decides with it
// (services/broker/src/auth/acl-matcher.ts), and both agree because there is one copy.
//
// The codes and rules are Kafka's (org.apache.kafka.common.resource / .acl, and
// AclBindingFilter.matches, ResourcePatternFilter.matches): a client or tool that speaks
// them — kafka-acls.sh, AdminClient.createAcls — sees Kafka's behaviour.

/** Kafka's ResourceType codes. ANY only in filters; UNKNOWN never valid. */
export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export type ResourceTypeCode = (typeof ResourceType)[keyof typeof ResourceType];

/** Kafka's PatternType codes. ANY and MATCH only in filters. */
export const PatternType = {
  UNKNOWN: 0,
  ANY: 1,
  MATCH: 2,
  LITERAL: 3,
  PREFIXED: 4,
} as const;
export type PatternTypeCode = (typeof PatternType)[keyof typeof PatternType];

/** Kafka's AclOperation codes. ANY only in filters; ALL matches every operation. */
export const AclOp = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export type AclOpCode = (typeof AclOp)[keyof typeof AclOp];

/** Kafka's AclPermissionType codes. ANY only in filters. */
export const Permission = {
  UNKNOWN: 0,
  ANY: 1,
  DENY: 2,
  ALLOW: 3,
} as const;
export type PermissionCode = (typeof Permission)[keyof typeof Permission];

/** Kafka's wildcard: resource name '*' (literal pattern), host '*'. */
export const WILDCARD = '*';
/** Every principal (User:*). */
export const WILDCARD_PRINCIPAL = 'User:*';
/** The only name the cluster resource has. */
export const CLUSTER_NAME = 'kafka-cluster';

/** One ACL: who (principal, host) may or may not (permission) do what (operation) on which resources (pattern). */
export interface AclBinding {
  readonly resourceType: ResourceTypeCode;
  readonly resourceName: string;
  /** LITERAL or PREFIXED. */
  readonly patternType: PatternTypeCode;
  /** `User:alice`, or `User:*` for everyone. */
  readonly principal: string;
  /** An IP address, or '*' for every host. */
  readonly host: string;
  readonly operation: AclOpCode;
  /** ALLOW or DENY. */
  readonly permission: PermissionCode;
}

/** A DescribeAcls / DeleteAcls filter: null fields match anything; ANY codes match anything; MATCH as Kafka. */
export interface AclFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permission: number;
}

/** The filter that matches every binding. */
export const MATCH_ALL_FILTER: AclFilter = Object.freeze({
  resourceType: ResourceType.ANY,
  resourceName: null,
  patternType: PatternType.ANY,
  principal: null,
  host: null,
  operation: AclOp.ANY,
  permission: Permission.ANY,
});

const STORABLE_TYPES: ReadonlySet<number> = new Set([ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER, ResourceType.TRANSACTIONAL_ID, ResourceType.DELEGATION_TOKEN, ResourceType.USER]);
const STORABLE_OPS: ReadonlySet<number> = new Set(Object.values(AclOp).filter((op) => op !== AclOp.UNKNOWN && op !== AclOp.ANY));

/**
 * Why a binding cannot be stored (the message of Kafka's INVALID_REQUEST), or undefined
 * when it can. Kafka's checks: a concrete resource type, LITERAL or PREFIXED, a
 * concrete operation and permission, a non-empty name (kafka-cluster for the cluster),
 * a principal TYPE:NAME, a non-empty host.
 */
export function aclBindingProblem(b: AclBinding): string | undefined {
  if (!STORABLE_TYPES.has(b.resourceType)) return `invalid resource type ${b.resourceType}`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `invalid pattern type ${b.patternType}: an ACL is LITERAL or PREFIXED`;
  if (!STORABLE_OPS.has(b.operation)) return `invalid operation ${b.operation}`;
  if (b.permission !== Permission.ALLOW && b.permission !== Permission.DENY) return `invalid permission type ${b.permission}`;
  if (b.resourceName.length === 0) return 'resource name should not be empty';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) return `the only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  const colon = b.principal.indexOf(':');
  if (colon <= 0 || colon === b.principal.length - 1) return `could not parse principal from '${b.principal}': expected TYPE:NAME`;
  if (b.host.length === 0) return 'host should not be empty: an IP address or *';
  return undefined;
}

/**
 * Why a filter is not usable (INVALID_REQUEST), or undefined. Kafka refuses UNKNOWN in
 * any field of a filter (AclBindingFilter.findIndefiniteField).
 */
export function aclFilterProblem(f: AclFilter): string | undefined {
  if (f.resourceType === ResourceType.UNKNOWN || !(f.resourceType === ResourceType.ANY || STORABLE_TYPES.has(f.resourceType))) return `invalid resource type ${f.resourceType}`;
  if (!(f.patternType >= PatternType.ANY && f.patternType <= PatternType.PREFIXED)) return `invalid pattern type ${f.patternType}`;
  if (!(f.operation === AclOp.ANY || STORABLE_OPS.has(f.operation))) return `invalid operation ${f.operation}`;
  if (!(f.permission === Permission.ANY || f.permission === Permission.ALLOW || f.permission === Permission.DENY)) return `invalid permission type ${f.permission}`;
  return undefined;
}

/** Kafka's ResourcePatternFilter.matches plus AccessControlEntryFilter.matches. */
export function aclFilterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (!patternFilterMatches(f, b)) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== AclOp.ANY && f.operation !== b.operation) return false;
  if (f.permission !== Permission.ANY && f.permission !== b.permission) return false;
  return true;
}

function patternFilterMatches(f: AclFilter, b: AclBinding): boolean {
  switch (f.patternType) {
    case PatternType.ANY:
      return f.resourceName === null || f.resourceName === b.resourceName;
    case PatternType.MATCH:
      // Every stored pattern that would apply to a resource named resourceName.
      if (f.resourceName === null) return true;
      if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceName || b.resourceName === WILDCARD;
      return b.patternType === PatternType.PREFIXED && f.resourceName.startsWith(b.resourceName);
    default:
      return f.patternType === b.patternType && (f.resourceName === null || f.resourceName === b.resourceName);
  }
}

/** One string per binding, equal for equal bindings: duplicates are stored once. */
export function aclBindingKey(b: AclBinding): string {
  return JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permission]);
}

/** A binding as a positional tuple (records, snapshots) and back. */
export type AclTuple = [number, string, number, string, string, number, number];

export function aclToTuple(b: AclBinding): AclTuple {
  return [b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permission];
}

export function aclFromTuple(t: AclTuple): AclBinding {
  return {
    resourceType: t[0] as ResourceTypeCode,
    resourceName: t[1],
    patternType: t[2] as PatternTypeCode,
    principal: t[3],
    host: t[4],
    operation: t[5] as AclOpCode,
    permission: t[6] as PermissionCode,
  };
}

/** Default most ACLs a cluster stores (authorization.maxAcls): keeps every broker's copy and each check bounded. */
export const DEFAULT_MAX_ACLS = 10_000;
