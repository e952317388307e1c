// The broker's authorizer from the authorization section (dev and broker): undefined when
// authorization is off, so nothing changes then. On, it decides over the ACLs of the
// controller's latest metadata (pushed with the watch; a change applies to the next request).
// Every decision is counted; a denial is logged at info as Kafka's authorizer logger does
// ("Principal = ... is Denied operation = ... from host = ... on resource = ..."), once per
// principal, operation and resource per interval (log-limiter.ts) — a client retrying a
// denied produce would otherwise write a line per attempt. Denials that only filter a
// listing (Metadata of all topics, ListGroups) are not logged, as in Kafka.

import { AclAuthorizer } from '@stratus/broker';
import type { AuthorizationDecision, BrokerOptions } from '@stratus/broker';
import type { ControllerApi } from '@stratus/controller';
import { apiSpecs } from '@stratus/protocol';
import type { StratusConfig } from '../config/schema.ts';
import { RepeatLimiter, rateLimitedLine } from '../log-limiter.ts';
import type { Logger } from '../logger.ts';
import type { SecurityMetrics } from '../metrics/security-metrics.ts';

/** Kafka's AclOperation names by code, for the denial log. */
const OPERATION_NAMES: Readonly<Record<number, string>> = {
  3: 'READ',
  4: 'WRITE',
  5: 'CREATE',
  6: 'DELETE',
  7: 'ALTER',
  8: 'DESCRIBE',
  9: 'CLUSTER_ACTION',
  10: 'DESCRIBE_CONFIGS',
  11: 'ALTER_CONFIGS',
  12: 'IDEMPOTENT_WRITE',
};
const RESOURCE_NAMES: Readonly<Record<AuthorizationDecision['resourceType'], string>> = { topic: 'Topic', group: 'Group', cluster: 'Cluster' };

export function authorizationSettings(
  config: Pick<StratusConfig, 'authorization'>,
  controller: Pick<ControllerApi, 'metadata'>,
  log: Logger,
  metrics?: Pick<SecurityMetrics, 'authorization'>,
): Pick<BrokerOptions, 'authorizer'> {
  const a = config.authorization;
  if (!a.enabled) return {};
  log.info({ superUsers: a.superUsers, allowEveryoneIfNoAclFound: a.allowEveryoneIfNoAclFound }, 'authorization on: every request is checked against the Kafka ACLs');
  return { authorizer: new AclAuthorizer({ superUsers: a.superUsers, allowEveryoneIfNoAclFound: a.allowEveryoneIfNoAclFound, acls: () => controller.metadata().acls, onDecision: decisionObserver(log, metrics) }) };
}

/** Counts each decision and logs the denials worth a line. */
export function decisionObserver(log: Logger, metrics?: Pick<SecurityMetrics, 'authorization'>, limiter: RepeatLimiter = new RepeatLimiter()): (d: AuthorizationDecision) => void {
  const info = rateLimitedLine(log, 'info', limiter);
  return (d) => {
    metrics?.authorization(d.allowed);
    if (d.allowed || !d.logIfDenied) return;
    const operation = OPERATION_NAMES[d.operation] ?? String(d.operation);
    const resource = `${RESOURCE_NAMES[d.resourceType]}:${d.resourceName}`;
    const api = apiSpecs.get(d.apiKey)?.name ?? `API ${d.apiKey}`;
    info(
      { principal: d.principal, operation, host: d.host, resource, api },
      `Principal = ${d.principal} is Denied operation = ${operation} from host = ${d.host} on resource = ${resource} for request = ${api}`,
      `${d.principal}|${operation}|${resource}`,
    );
  };
}
