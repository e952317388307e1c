// Kafka's ACL model: which bindings may be stored, and which stored bindings a
// DescribeAcls/DeleteAcls filter selects (AclBindingFilter.matches, including MATCH).

import { describe, expect, it } from 'vitest';
import { AclOp, MATCH_ALL_FILTER, PatternType, Permission, ResourceType, aclBindingProblem, aclFilterMatches, aclFilterProblem, aclFromTuple, aclToTuple } from '../src/acls/acl-model.ts';
import type { AclBinding, AclFilter } from '../src/acls/acl-model.ts';

const base: AclBinding = {
  resourceType: ResourceType.TOPIC,
  resourceName: 'orders',
  patternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: AclOp.READ,
  permission: Permission.ALLOW,
};

describe('aclBindingProblem', () => {
  it('accepts concrete bindings', () => {
    expect(aclBindingProblem(base)).toBeUndefined();
    expect(aclBindingProblem({ ...base, patternType: PatternType.PREFIXED, permission: Permission.DENY, operation: AclOp.ALL, host: '10.1.2.3' })).toBeUndefined();
    expect(aclBindingProblem({ ...base, resourceType: ResourceType.CLUSTER, resourceName: 'kafka-cluster' })).toBeUndefined();
  });

  it('refuses what Kafka refuses', () => {
    const bad: Partial<AclBinding>[] = [
      { resourceType: ResourceType.ANY },
      { resourceType: ResourceType.UNKNOWN },
      { patternType: PatternType.MATCH },
      { patternType: PatternType.ANY },
      { operation: AclOp.ANY },
      { operation: AclOp.UNKNOWN },
      { permission: Permission.ANY },
      { resourceName: '' },
      { resourceType: ResourceType.CLUSTER, resourceName: 'other' },
      { principal: 'alice' },
      { principal: 'User:' },
      { principal: ':alice' },
      { host: '' },
    ];
    for (const change of bad) expect(aclBindingProblem({ ...base, ...change } as AclBinding), JSON.stringify(change)).toBeTypeOf('string');
  });
});

describe('aclFilterMatches', () => {
  const literal = base;
  const wildcard: AclBinding = { ...base, resourceName: '*' };
  const prefixed: AclBinding = { ...base, resourceName: 'ord', patternType: PatternType.PREFIXED };
  const group: AclBinding = { ...base, resourceType: ResourceType.GROUP, resourceName: 'orders' };
  const all = [literal, wildcard, prefixed, group];
  const select = (f: Partial<AclFilter>): AclBinding[] => all.filter((b) => aclFilterMatches({ ...MATCH_ALL_FILTER, ...f }, b));

  it('matches everything with the match-all filter', () => {
    expect(select({})).toEqual(all);
  });

  it('filters by resource type, exact name, exact pattern type', () => {
    expect(select({ resourceType: ResourceType.GROUP })).toEqual([group]);
    expect(select({ resourceName: 'orders' })).toEqual([literal, group]);
    expect(select({ patternType: PatternType.PREFIXED })).toEqual([prefixed]);
    expect(select({ patternType: PatternType.LITERAL, resourceName: '*' })).toEqual([wildcard]);
  });

  it('MATCH selects every pattern that applies to the name: literal, literal *, prefixes of it', () => {
    expect(select({ resourceType: ResourceType.TOPIC, patternType: PatternType.MATCH, resourceName: 'orders' })).toEqual([literal, wildcard, prefixed]);
    expect(select({ resourceType: ResourceType.TOPIC, patternType: PatternType.MATCH, resourceName: 'payments' })).toEqual([wildcard]);
    expect(select({ resourceType: ResourceType.TOPIC, patternType: PatternType.MATCH, resourceName: 'ordinal' })).toEqual([wildcard, prefixed]);
  });

  it('filters by principal, host, operation, permission', () => {
    expect(select({ principal: 'User:bob' })).toEqual([]);
    expect(select({ principal: 'User:alice', host: '*', operation: AclOp.READ, permission: Permission.ALLOW })).toEqual(all);
    expect(select({ operation: AclOp.WRITE })).toEqual([]);
    expect(select({ permission: Permission.DENY })).toEqual([]);
    expect(select({ host: '10.0.0.1' })).toEqual([]);
  });

  it('refuses filters with UNKNOWN fields', () => {
    expect(aclFilterProblem(MATCH_ALL_FILTER)).toBeUndefined();
    expect(aclFilterProblem({ ...MATCH_ALL_FILTER, resourceType: ResourceType.UNKNOWN })).toBeTypeOf('string');
    expect(aclFilterProblem({ ...MATCH_ALL_FILTER, patternType: PatternType.UNKNOWN })).toBeTypeOf('string');
    expect(aclFilterProblem({ ...MATCH_ALL_FILTER, operation: AclOp.UNKNOWN })).toBeTypeOf('string');
    expect(aclFilterProblem({ ...MATCH_ALL_FILTER, permission: Permission.UNKNOWN })).toBeTypeOf('string');
  });

  it('round-trips through tuples', () => {
    for (const b of all) expect(aclFromTuple(aclToTuple(b))).toEqual(b);
  });
});
