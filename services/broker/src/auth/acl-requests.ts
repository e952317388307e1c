// What CreateAcls, DescribeAcls and DeleteAcls share: Kafka's answer when no authorizer is
// configured, and a wire filter as the model's AclFilter.

import type { AclFilter } from '@stratus/controller';

/** Kafka's message with SECURITY_DISABLED. */
export const SECURITY_DISABLED_MESSAGE = 'No Authorizer is configured on the broker';

export interface WireAclFilter {
  readonly resourceTypeFilter: number;
  readonly resourceNameFilter: string | null;
  readonly patternTypeFilter: number;
  readonly principalFilter: string | null;
  readonly hostFilter: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

export function aclFilterOf(f: WireAclFilter): AclFilter {
  return {
    resourceType: f.resourceTypeFilter,
    resourceName: f.resourceNameFilter,
    patternType: f.patternTypeFilter,
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: f.operation,
    permission: f.permissionType,
  };
}
