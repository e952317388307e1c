// The authorized-operations bit sets that Metadata (topics, cluster), DescribeCluster,
// DescribeGroups and DescribeTopicPartitions return when a client asks for them. Kafka's
// rule: without an authorizer every operation the resource type supports is allowed;
// with one, the authorizer decides per operation. One place, so every API answers alike.

import type { RequestContext } from '../handler.ts';

/** Kafka's AclOperation codes. */
export const AclOperation = {
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
} as const;

export type AclOperationCode = (typeof AclOperation)[keyof typeof AclOperation];
export type AclResourceType = 'topic' | 'group' | 'cluster';

const A = AclOperation;
/** What each resource type supports, as Kafka's AclEntry.supportedOperations lists it. */
const SUPPORTED: Readonly<Record<AclResourceType, readonly AclOperationCode[]>> = {
  topic: [A.READ, A.WRITE, A.CREATE, A.DESCRIBE, A.DELETE, A.ALTER, A.DESCRIBE_CONFIGS, A.ALTER_CONFIGS],
  group: [A.READ, A.DESCRIBE, A.DELETE],
  cluster: [A.CREATE, A.CLUSTER_ACTION, A.DESCRIBE_CONFIGS, A.ALTER_CONFIGS, A.IDEMPOTENT_WRITE, A.ALTER, A.DESCRIBE],
};

/** The schema default of every authorized-operations field: the client did not ask. */
export const OPERATIONS_NOT_REQUESTED = -2147483648;

/** Decides which operations a request's principal may perform on one resource. */
export interface Authorizer {
  allowedOperations(request: RequestContext, resourceType: AclResourceType, resourceName: string, operations: readonly AclOperationCode[]): readonly AclOperationCode[];
  /**
   * Whether the principal may perform `operation` on at least one resource of the type
   * (Kafka's authorizeByResourceType: idempotent produce's "WRITE on any topic").
   * Absent: never (only the resource checks allow).
   */
  allowedOnAnyOfType?(request: RequestContext, resourceType: AclResourceType, operation: AclOperationCode): boolean;
  /**
   * One check that decides whether an item is served (Kafka's authorize with its
   * logIfDenied flag): audited where the others are not. Absent: allowedOperations decides.
   */
  authorize?(request: RequestContext, operation: AclOperationCode, resourceType: AclResourceType, resourceName: string, logIfDenied: boolean): boolean;
}

/**
 * The bit set for one resource: every supported operation without an authorizer, the
 * authorizer's answer with one, OPERATIONS_NOT_REQUESTED when the client did not ask.
 */
export function authorizedOperations(
  authorizer: Authorizer | undefined,
  request: RequestContext,
  resourceType: AclResourceType,
  resourceName: string,
  requested: boolean,
): number {
  if (!requested) return OPERATIONS_NOT_REQUESTED;
  const supported = SUPPORTED[resourceType];
  const allowed = authorizer === undefined ? supported : authorizer.allowedOperations(request, resourceType, resourceName, supported);
  let bits = 0;
  for (const op of allowed) if (supported.includes(op)) bits |= 1 << op;
  return bits;
}

/** The cluster resource's name in Kafka's ACL model. */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';
