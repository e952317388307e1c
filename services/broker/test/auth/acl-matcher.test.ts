// The authorization decision against Kafka's rules (StandardAuthorizerData.findResult /
// findAclRule, Authorizer.authorizeByResourceType), case by case: patterns, principals,
// hosts, implied operations, deny wins, super users, the no-ACL default.

import { describe, expect, it } from 'vitest';
import { AclOp, PatternType, Permission, ResourceType } from '@stratus/controller';
import type { AclBinding, AclOpCode, PatternTypeCode, PermissionCode, ResourceTypeCode } from '@stratus/controller';
import { AclIndex, authorize, authorizeAnyOfType } from '../../src/auth/acl-matcher.ts';
import type { AuthorizerSettings, Requester } from '../../src/auth/acl-matcher.ts';

const alice: Requester = { principal: 'User:alice', host: '10.0.0.1' };
const bob: Requester = { principal: 'User:bob', host: '10.0.0.2' };
const strict: AuthorizerSettings = { superUsers: new Set(['User:admin']), allowIfNoAcl: false };
const lenient: AuthorizerSettings = { superUsers: new Set(), allowIfNoAcl: true };

function acl(
  op: AclOpCode,
  name: string,
  opts: { type?: ResourceTypeCode; pattern?: PatternTypeCode; principal?: string; host?: string; permission?: PermissionCode } = {},
): AclBinding {
  return {
    resourceType: opts.type ?? ResourceType.TOPIC,
    resourceName: name,
    patternType: opts.pattern ?? PatternType.LITERAL,
    principal: opts.principal ?? 'User:alice',
    host: opts.host ?? '*',
    operation: op,
    permission: opts.permission ?? Permission.ALLOW,
  };
}

function can(acls: AclBinding[], who: Requester, op: AclOpCode, name: string, settings = strict, type: ResourceTypeCode = ResourceType.TOPIC): boolean {
  return authorize(new AclIndex(acls), settings, who, op, type, name);
}

describe('authorize', () => {
  it('denies by default when the authorizer is strict, and allows with allow.everyone.if.no.acl.found only where no ACL applies', () => {
    expect(can([], alice, AclOp.READ, 'orders')).toBe(false);
    expect(can([], alice, AclOp.READ, 'orders', lenient)).toBe(true);
    // An ACL for someone else on the resource: the resource has ACLs, so the default no longer applies.
    expect(can([acl(AclOp.READ, 'orders', { principal: 'User:bob' })], alice, AclOp.READ, 'orders', lenient)).toBe(false);
    // An ACL on another resource does not count.
    expect(can([acl(AclOp.READ, 'payments', { principal: 'User:bob' })], alice, AclOp.READ, 'orders', lenient)).toBe(true);
    // Nor one on the same name of another resource type.
    expect(can([acl(AclOp.READ, 'orders', { principal: 'User:bob', type: ResourceType.GROUP })], alice, AclOp.READ, 'orders', lenient)).toBe(true);
  });

  it('lets super users do everything, even against a DENY', () => {
    const admin: Requester = { principal: 'User:admin', host: '1.2.3.4' };
    expect(can([acl(AclOp.ALL, '*', { principal: 'User:*', permission: Permission.DENY })], admin, AclOp.DELETE, 'orders')).toBe(true);
  });

  it('matches literal names exactly, literal * for every name, prefixed by prefix', () => {
    expect(can([acl(AclOp.READ, 'orders')], alice, AclOp.READ, 'orders')).toBe(true);
    expect(can([acl(AclOp.READ, 'orders')], alice, AclOp.READ, 'orders-eu')).toBe(false);
    expect(can([acl(AclOp.READ, 'order')], alice, AclOp.READ, 'orders')).toBe(false);
    expect(can([acl(AclOp.READ, '*')], alice, AclOp.READ, 'anything')).toBe(true);
    expect(can([acl(AclOp.READ, 'ord', { pattern: PatternType.PREFIXED })], alice, AclOp.READ, 'orders')).toBe(true);
    expect(can([acl(AclOp.READ, 'ord', { pattern: PatternType.PREFIXED })], alice, AclOp.READ, 'ord')).toBe(true);
    expect(can([acl(AclOp.READ, 'orders', { pattern: PatternType.PREFIXED })], alice, AclOp.READ, 'ord')).toBe(false);
    // A prefixed '*' is a literal prefix, not a wildcard.
    expect(can([acl(AclOp.READ, '*', { pattern: PatternType.PREFIXED })], alice, AclOp.READ, 'orders')).toBe(false);
  });

  it('matches the principal or User:*, and the host or *', () => {
    expect(can([acl(AclOp.READ, 'orders')], bob, AclOp.READ, 'orders')).toBe(false);
    expect(can([acl(AclOp.READ, 'orders', { principal: 'User:*' })], bob, AclOp.READ, 'orders')).toBe(true);
    expect(can([acl(AclOp.READ, 'orders', { host: '10.0.0.1' })], alice, AclOp.READ, 'orders')).toBe(true);
    expect(can([acl(AclOp.READ, 'orders', { host: '10.0.0.9' })], alice, AclOp.READ, 'orders')).toBe(false);
    // The principal type matters: Group:alice is not User:alice.
    expect(can([acl(AclOp.READ, 'orders', { principal: 'Group:alice' })], alice, AclOp.READ, 'orders')).toBe(false);
  });

  it('matches the operation or ALL', () => {
    expect(can([acl(AclOp.WRITE, 'orders')], alice, AclOp.READ, 'orders')).toBe(false);
    expect(can([acl(AclOp.ALL, 'orders')], alice, AclOp.READ, 'orders')).toBe(true);
    expect(can([acl(AclOp.ALL, 'orders')], alice, AclOp.ALTER_CONFIGS, 'orders')).toBe(true);
  });

  it('lets ALLOW of READ, WRITE, DELETE, ALTER imply DESCRIBE, and ALTER_CONFIGS imply DESCRIBE_CONFIGS, and nothing else', () => {
    for (const op of [AclOp.READ, AclOp.WRITE, AclOp.DELETE, AclOp.ALTER, AclOp.DESCRIBE]) expect(can([acl(op, 'orders')], alice, AclOp.DESCRIBE, 'orders')).toBe(true);
    for (const op of [AclOp.CREATE, AclOp.ALTER_CONFIGS, AclOp.DESCRIBE_CONFIGS, AclOp.IDEMPOTENT_WRITE, AclOp.CLUSTER_ACTION]) {
      expect(can([acl(op, 'orders')], alice, AclOp.DESCRIBE, 'orders')).toBe(false);
    }
    expect(can([acl(AclOp.ALTER_CONFIGS, 'orders')], alice, AclOp.DESCRIBE_CONFIGS, 'orders')).toBe(true);
    expect(can([acl(AclOp.ALTER, 'orders')], alice, AclOp.DESCRIBE_CONFIGS, 'orders')).toBe(false);
    // Not the other way round: DESCRIBE does not imply READ.
    expect(can([acl(AclOp.DESCRIBE, 'orders')], alice, AclOp.READ, 'orders')).toBe(false);
  });

  it('does not let DENY of READ deny DESCRIBE (implication is for ALLOW only), but DENY of ALL denies everything', () => {
    const acls = [acl(AclOp.ALL, 'orders'), acl(AclOp.READ, 'orders', { permission: Permission.DENY })];
    expect(can(acls, alice, AclOp.READ, 'orders')).toBe(false);
    expect(can(acls, alice, AclOp.DESCRIBE, 'orders')).toBe(true);
    expect(can([acl(AclOp.ALL, 'orders'), acl(AclOp.ALL, 'orders', { permission: Permission.DENY })], alice, AclOp.DESCRIBE, 'orders')).toBe(false);
  });

  it('lets DENY win over ALLOW whatever pattern each comes from', () => {
    const allowLiteral = acl(AclOp.READ, 'orders');
    expect(can([allowLiteral, acl(AclOp.READ, 'ord', { pattern: PatternType.PREFIXED, permission: Permission.DENY })], alice, AclOp.READ, 'orders')).toBe(false);
    expect(can([allowLiteral, acl(AclOp.READ, '*', { principal: 'User:*', permission: Permission.DENY })], alice, AclOp.READ, 'orders')).toBe(false);
    expect(can([allowLiteral, acl(AclOp.READ, 'orders', { host: '10.0.0.1', permission: Permission.DENY })], alice, AclOp.READ, 'orders')).toBe(false);
    // A DENY for another host or principal does not apply.
    expect(can([allowLiteral, acl(AclOp.READ, 'orders', { host: '10.0.0.9', permission: Permission.DENY })], alice, AclOp.READ, 'orders')).toBe(true);
    expect(can([allowLiteral, acl(AclOp.READ, 'orders', { principal: 'User:bob', permission: Permission.DENY })], alice, AclOp.READ, 'orders')).toBe(true);
  });

  it('checks the cluster, groups and transactional ids the same way', () => {
    const cluster = acl(AclOp.IDEMPOTENT_WRITE, 'kafka-cluster', { type: ResourceType.CLUSTER });
    expect(can([cluster], alice, AclOp.IDEMPOTENT_WRITE, 'kafka-cluster', strict, ResourceType.CLUSTER)).toBe(true);
    expect(can([cluster], alice, AclOp.IDEMPOTENT_WRITE, 'kafka-cluster', strict, ResourceType.TOPIC)).toBe(false);
    const group = acl(AclOp.READ, 'app-', { type: ResourceType.GROUP, pattern: PatternType.PREFIXED });
    expect(can([group], alice, AclOp.READ, 'app-1', strict, ResourceType.GROUP)).toBe(true);
    expect(can([group], alice, AclOp.DESCRIBE, 'app-1', strict, ResourceType.GROUP)).toBe(true);
    expect(can([group], alice, AclOp.DELETE, 'app-1', strict, ResourceType.GROUP)).toBe(false);
  });
});

describe('authorizeAnyOfType', () => {
  const any = (acls: AclBinding[], who: Requester = alice, settings = strict): boolean => authorizeAnyOfType(new AclIndex(acls), settings, who, AclOp.WRITE, ResourceType.TOPIC);

  it('allows when some topic allows the operation, denies when none does', () => {
    expect(any([])).toBe(false);
    expect(any([], alice, lenient)).toBe(true);
    expect(any([acl(AclOp.WRITE, 'orders')])).toBe(true);
    expect(any([acl(AclOp.READ, 'orders')])).toBe(false);
    expect(any([acl(AclOp.WRITE, 'orders', { principal: 'User:bob' })])).toBe(false);
    expect(any([acl(AclOp.ALL, 'x', { pattern: PatternType.PREFIXED })])).toBe(true);
    expect(any([acl(AclOp.WRITE, 'orders', { type: ResourceType.GROUP })])).toBe(false);
  });

  it('does not count an ALLOW a DENY dominates: literal *, the same literal name, a prefix of the name', () => {
    expect(any([acl(AclOp.WRITE, 'orders'), acl(AclOp.WRITE, '*', { permission: Permission.DENY })])).toBe(false);
    expect(any([acl(AclOp.WRITE, 'orders'), acl(AclOp.WRITE, 'orders', { permission: Permission.DENY })])).toBe(false);
    expect(any([acl(AclOp.WRITE, 'orders'), acl(AclOp.WRITE, 'or', { pattern: PatternType.PREFIXED, permission: Permission.DENY })])).toBe(false);
    expect(any([acl(AclOp.WRITE, 'ord', { pattern: PatternType.PREFIXED }), acl(AclOp.WRITE, 'ord', { pattern: PatternType.PREFIXED, permission: Permission.DENY })])).toBe(false);
    // A literal DENY does not dominate a prefixed ALLOW; a longer prefixed DENY does not dominate a shorter ALLOW.
    expect(any([acl(AclOp.WRITE, 'ord', { pattern: PatternType.PREFIXED }), acl(AclOp.WRITE, 'ord', { permission: Permission.DENY })])).toBe(true);
    expect(any([acl(AclOp.WRITE, 'ord', { pattern: PatternType.PREFIXED }), acl(AclOp.WRITE, 'orders', { pattern: PatternType.PREFIXED, permission: Permission.DENY })])).toBe(true);
    // Two allows, one dominated: the other still allows.
    expect(any([acl(AclOp.WRITE, 'orders'), acl(AclOp.WRITE, 'payments'), acl(AclOp.WRITE, 'orders', { permission: Permission.DENY })])).toBe(true);
  });

  it('lets super users through', () => {
    expect(any([acl(AclOp.WRITE, '*', { principal: 'User:*', permission: Permission.DENY })], { principal: 'User:admin', host: '1.1.1.1' })).toBe(true);
  });
});
