// The one question handlers ask before serving an item: may this request's principal
// perform the operation on the resource? Without an authorizer (the default) always yes,
// so nothing changes unless authorization is configured.

import type { RequestContext } from '../handler.ts';
import { ErrorCode } from '@stratus/protocol';
import { RESOURCE_BROKER, RESOURCE_TOPIC } from '../admin/config-resources.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME } from './authorized-operations.ts';
import type { AclOperationCode, AclResourceType, Authorizer } from './authorized-operations.ts';

/**
 * `logIfDenied` false: a denial that only filters what is listed (Metadata of all topics,
 * ListGroups) — Kafka neither logs nor counts those as refusals; every other check is
 * audited (logged when denied, counted either way) when the authorizer audits.
 */
export function isAllowed(authorizer: Authorizer | undefined, request: RequestContext, operation: AclOperationCode, resourceType: AclResourceType, resourceName: string, logIfDenied = true): boolean {
  if (authorizer === undefined) return true;
  if (authorizer.authorize !== undefined) return authorizer.authorize(request, operation, resourceType, resourceName, logIfDenied);
  return authorizer.allowedOperations(request, resourceType, resourceName, [operation]).includes(operation);
}

/** May the principal perform the operation on some resource of the type (Kafka's authorizeByResourceType)? */
export function isAllowedOnAny(authorizer: Authorizer | undefined, request: RequestContext, operation: AclOperationCode, resourceType: AclResourceType): boolean {
  if (authorizer === undefined) return true;
  return authorizer.allowedOnAnyOfType?.(request, resourceType, operation) ?? false;
}

/** Kafka's rule for creating a topic (CreateTopics, auto-creation): CREATE on the cluster, or on the topic. */
export function mayCreateTopic(authorizer: Authorizer | undefined, request: RequestContext, topic: string): boolean {
  // The cluster-wide check is not the last word, so its denial is not logged (Kafka: logIfDenied = false).
  return isAllowed(authorizer, request, AclOperation.CREATE, 'cluster', CLUSTER_RESOURCE_NAME, false) || isAllowed(authorizer, request, AclOperation.CREATE, 'topic', topic);
}

/**
 * Kafka's check of a config resource: DESCRIBE_CONFIGS / ALTER_CONFIGS on the topic
 * (TOPIC_AUTHORIZATION_FAILED) or, for a broker resource, on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED). Null when allowed, and for other resource types (their
 * own answer follows).
 */
export function configResourceDenied(
  authorizer: Authorizer | undefined,
  request: RequestContext,
  operation: typeof AclOperation.DESCRIBE_CONFIGS | typeof AclOperation.ALTER_CONFIGS,
  resourceType: number,
  resourceName: string,
): { errorCode: number; errorMessage: string | null } | null {
  if (authorizer === undefined) return null;
  if (resourceType === RESOURCE_TOPIC && !isAllowed(authorizer, request, operation, 'topic', resourceName)) return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null };
  if (resourceType === RESOURCE_BROKER && !isAllowed(authorizer, request, operation, 'cluster', CLUSTER_RESOURCE_NAME)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null };
  return null;
}
