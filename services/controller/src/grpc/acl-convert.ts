// Kafka ACLs between ControllerApi's form (acl-model.ts) and the gRPC messages. The wire
// carries Kafka's codes unchanged; a filter's absent strings are its nulls.

import type { AclBinding, AclFilter, AclOpCode, PatternTypeCode, PermissionCode, ResourceTypeCode } from '../acls/acl-model.ts';
import type * as pb from './generated/stratus/controller/v1/controller.ts';

export function toPbAcl(b: AclBinding): pb.AclBinding {
  return { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permission: b.permission };
}

export function fromPbAcl(b: pb.AclBinding): AclBinding {
  return {
    resourceType: b.resourceType as ResourceTypeCode,
    resourceName: b.resourceName,
    patternType: b.patternType as PatternTypeCode,
    principal: b.principal,
    host: b.host,
    operation: b.operation as AclOpCode,
    permission: b.permission as PermissionCode,
  };
}

export function toPbAclFilter(f: AclFilter): pb.AclFilter {
  return {
    resourceType: f.resourceType,
    ...(f.resourceName !== null ? { resourceName: f.resourceName } : {}),
    patternType: f.patternType,
    ...(f.principal !== null ? { principal: f.principal } : {}),
    ...(f.host !== null ? { host: f.host } : {}),
    operation: f.operation,
    permission: f.permission,
  };
}

export function fromPbAclFilter(f: pb.AclFilter | undefined): AclFilter {
  return {
    resourceType: f?.resourceType ?? 0,
    resourceName: f?.resourceName ?? null,
    patternType: f?.patternType ?? 0,
    principal: f?.principal ?? null,
    host: f?.host ?? null,
    operation: f?.operation ?? 0,
    permission: f?.permission ?? 0,
  };
}
