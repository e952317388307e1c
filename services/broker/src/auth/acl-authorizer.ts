// The broker's ACL authorizer (authorization.enabled): Kafka's StandardAuthorizer over the
// ACLs the controller pushes with every metadata snapshot. The index is rebuilt when the
// snapshot's ACL list changes (a new array), never per request.

import { ResourceType } from '@stratus/controller';
import type { AclBinding, AclOpCode, ResourceTypeCode } from '@stratus/controller';
import type { RequestContext } from '../handler.ts';
import { AclIndex, authorize, authorizeAnyOfType } from './acl-matcher.ts';
import type { AuthorizerSettings, Requester } from './acl-matcher.ts';
import type { AclOperationCode, AclResourceType, Authorizer } from './authorized-operations.ts';
import { ANONYMOUS, principalString } from './principal.ts';

const RESOURCE_TYPE: Readonly<Record<AclResourceType, ResourceTypeCode>> = {
  topic: ResourceType.TOPIC,
  group: ResourceType.GROUP,
  cluster: ResourceType.CLUSTER,
};

export interface AclAuthorizerOptions {
  /** super.users: principals allowed everything (`User:admin`). */
  readonly superUsers: readonly string[];
  /** allow.everyone.if.no.acl.found (Kafka's default, and ours: false). */
  readonly allowEveryoneIfNoAclFound: boolean;
  /** The ACLs as of now (the latest metadata snapshot's). */
  readonly acls: () => readonly AclBinding[] | undefined;
  /** Every decision of `authorize`, allowed or not (counted; a denial with logIfDenied is logged). */
  readonly onDecision?: (decision: AuthorizationDecision) => void;
}

/** One audited decision: who asked for what, from where, through which API. */
export interface AuthorizationDecision {
  readonly allowed: boolean;
  /** Kafka's logIfDenied: false where a denial only filters a listing. */
  readonly logIfDenied: boolean;
  readonly principal: string;
  readonly host: string;
  readonly operation: AclOperationCode;
  readonly resourceType: AclResourceType;
  readonly resourceName: string;
  readonly apiKey: number;
}

export class AclAuthorizer implements Authorizer {
  private readonly settings: AuthorizerSettings;
  private readonly source: () => readonly AclBinding[] | undefined;
  private readonly onDecision: ((decision: AuthorizationDecision) => void) | undefined;
  private indexedFrom: readonly AclBinding[] | undefined;
  private index = new AclIndex([]);

  constructor(o: AclAuthorizerOptions) {
    this.settings = { superUsers: new Set(o.superUsers), allowIfNoAcl: o.allowEveryoneIfNoAclFound };
    this.source = o.acls;
    this.onDecision = o.onDecision;
  }

  authorize(request: RequestContext, operation: AclOperationCode, resourceType: AclResourceType, resourceName: string, logIfDenied: boolean): boolean {
    const who = requester(request);
    const allowed = authorize(this.current(), this.settings, who, operation as AclOpCode, RESOURCE_TYPE[resourceType], resourceName);
    this.onDecision?.({ allowed, logIfDenied, principal: who.principal, host: who.host, operation, resourceType, resourceName, apiKey: request.header.apiKey });
    return allowed;
  }

  allowedOperations(request: RequestContext, resourceType: AclResourceType, resourceName: string, operations: readonly AclOperationCode[]): readonly AclOperationCode[] {
    const index = this.current();
    const who = requester(request);
    return operations.filter((op) => authorize(index, this.settings, who, op as AclOpCode, RESOURCE_TYPE[resourceType], resourceName));
  }

  allowedOnAnyOfType(request: RequestContext, resourceType: AclResourceType, operation: AclOperationCode): boolean {
    return authorizeAnyOfType(this.current(), this.settings, requester(request), operation as AclOpCode, RESOURCE_TYPE[resourceType]);
  }

  private current(): AclIndex {
    const acls = this.source();
    if (acls !== this.indexedFrom) {
      this.index = new AclIndex(acls ?? []);
      this.indexedFrom = acls;
    }
    return this.index;
  }
}

/** The principal and the client's IP address (an ACL's host is compared with the address alone, as Kafka's getHostAddress gives it). */
export function requester(request: RequestContext): Requester {
  return { principal: principalString(request.session?.principal ?? ANONYMOUS), host: clientHost(request.remoteAddress) };
}

/** `10.0.0.1:53211` → `10.0.0.1`; `::ffff:10.0.0.1:53211` → `10.0.0.1` (Java shows IPv4-mapped addresses as IPv4); `::1:53211` → `::1`. */
export function clientHost(remoteAddress: string): string {
  const colon = remoteAddress.lastIndexOf(':');
  const host = colon < 0 ? remoteAddress : remoteAddress.slice(0, colon);
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice('::ffff:'.length) : host;
}
