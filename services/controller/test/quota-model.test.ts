// Kafka's AlterClientQuotas and DescribeClientQuotas rules, case by case as Kafka's
// ClientQuotaControlManager and ClientQuotasImage decide them (messages included), on the
// decide function over an in-memory state.

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { describeClientQuotas, quotaEntityKey } from '../src/quotas/quota-model.ts';
import type { ClientQuotaEntry, QuotaAlteration, QuotaEntityPart } from '../src/quotas/quota-model.ts';
import { decideAlterClientQuotas } from '../src/quotas/quota-ops.ts';
import { Tx } from '../src/ops/tx.ts';
import { emptyState } from '../src/state/state.ts';

const set = (entity: QuotaEntityPart[], key: string, value: number): QuotaAlteration => ({ entity, ops: [{ key, value, remove: false }] });
const user = (name: string | null): QuotaEntityPart => ({ entityType: 'user', entityName: name });
const client = (name: string | null): QuotaEntityPart => ({ entityType: 'client-id', entityName: name });
const ip = (name: string | null): QuotaEntityPart => ({ entityType: 'ip', entityName: name });

function alterOne(a: QuotaAlteration): { errorCode: number; errorMessage: string | null } {
  const [r] = decideAlterClientQuotas(new Tx(emptyState()), [a], false);
  return { errorCode: r!.errorCode, errorMessage: r!.errorMessage };
}

describe('AlterClientQuotas rules', () => {
  it.each([
    ['an empty entity', { entity: [], ops: [] }, 'Invalid empty client quota entity'],
    ['a repeated entity type', set([user('a'), user('b')], 'producer_byte_rate', 1), 'Invalid client quota entity, duplicate entity entry user'],
    ['an unknown entity type', set([{ entityType: 'group', entityName: 'g' }], 'producer_byte_rate', 1), 'Unhandled client quota entity type: group'],
    ['an empty name', set([client('')], 'producer_byte_rate', 1), 'Empty client-id not supported'],
    ['ip with user', set([ip('1.2.3.4'), user('u')], 'connection_creation_rate', 1), 'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId'],
    ['an unknown key', set([user('u')], 'producer_byte_rates', 1), 'Invalid configuration key producer_byte_rates'],
    ['a key of ip entities on a user', set([user('u')], 'connection_creation_rate', 1), 'Invalid configuration key connection_creation_rate'],
    ['zero', set([client('c')], 'producer_byte_rate', 0), 'Quota producer_byte_rate must be greater than 0'],
    ['a negative value', set([client('c')], 'request_percentage', -1), 'Quota request_percentage must be greater than 0'],
    ['a fraction of a byte rate', set([client('c')], 'consumer_byte_rate', 10.5), 'consumer_byte_rate cannot be a fractional value.'],
    ['a connection rate beyond an INT', set([ip('10.0.0.1')], 'connection_creation_rate', 3e9), 'Proposed value for connection_creation_rate is too large for an INT.'],
    ['an address that is not one', set([ip('not-an-ip')], 'connection_creation_rate', 5), 'not-an-ip is not a valid IP or resolvable host.'],
  ])('refuses %s with INVALID_REQUEST', (_name, alteration, message) => {
    expect(alterOne(alteration as QuotaAlteration)).toEqual({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: message });
  });

  it('accepts fractional request percentages, ip defaults and user/client-id defaults', () => {
    for (const a of [set([client('c')], 'request_percentage', 0.5), set([ip(null)], 'connection_creation_rate', 10), set([user(null), client(null)], 'producer_byte_rate', 100)]) {
      expect(alterOne(a).errorCode).toBe(0);
    }
  });

  it('applies the valid entities of a request and not the invalid ones; a repeated entity or key is "ignoring duplicate entity"', () => {
    const tx = new Tx(emptyState());
    const results = decideAlterClientQuotas(
      tx,
      [
        set([client('a')], 'producer_byte_rate', 10),
        set([client('b')], 'producer_byte_rate', -1),
        set([client('a')], 'producer_byte_rate', 20),
        { entity: [user('u')], ops: [{ key: 'producer_byte_rate', value: 1, remove: false }, { key: 'producer_byte_rate', value: 2, remove: false }] },
      ],
      false,
    );
    expect(results.map((r) => [r.entity, r.errorCode, r.errorMessage])).toEqual([
      [[client('a')], ErrorCode.INVALID_REQUEST, 'Ignoring duplicate entity ClientQuotaEntity(entries={client-id=a})'],
      [[client('b')], ErrorCode.INVALID_REQUEST, 'Quota producer_byte_rate must be greater than 0'],
      [[user('u')], ErrorCode.INVALID_REQUEST, 'Ignoring duplicate entity ClientQuotaEntity(entries={user=u})'],
    ]);
    // Kafka keeps the first occurrence's change.
    expect([...tx.state.quotas.values()]).toEqual([{ entity: [client('a')], values: { producer_byte_rate: 10 } }]);
  });

  it('writes nothing for an unchanged value or the removal of an absent key, nor under validateOnly', () => {
    const tx = new Tx(emptyState());
    decideAlterClientQuotas(tx, [set([client('a')], 'producer_byte_rate', 10)], false);
    const before = tx.records.length;
    decideAlterClientQuotas(tx, [set([client('a')], 'producer_byte_rate', 10), { entity: [client('a')], ops: [{ key: 'consumer_byte_rate', value: 0, remove: true }] }], false);
    decideAlterClientQuotas(tx, [set([client('z')], 'producer_byte_rate', 5)], true);
    expect(tx.records.length).toBe(before);
    expect(tx.state.quotas.size).toBe(1);
  });

  it('stores at most the bound of entities (POLICY_VIOLATION beyond), changes to stored ones still apply', () => {
    const tx = new Tx(emptyState());
    const results = decideAlterClientQuotas(tx, [set([client('a')], 'producer_byte_rate', 1), set([client('b')], 'producer_byte_rate', 1), set([client('c')], 'producer_byte_rate', 1)], false, 2);
    expect(results.map((r) => r.errorCode)).toEqual([0, 0, ErrorCode.POLICY_VIOLATION]);
    expect(decideAlterClientQuotas(tx, [set([client('a')], 'producer_byte_rate', 2)], false, 2)[0]!.errorCode).toBe(0);
  });

  it('keys an entity the same whatever order its parts come in', () => {
    expect(quotaEntityKey([user('u'), client('c')])).toBe(quotaEntityKey([client('c'), user('u')]));
  });
});

describe('DescribeClientQuotas filters', () => {
  const entries: ClientQuotaEntry[] = [
    { entity: [user('alice')], values: { producer_byte_rate: 1 } },
    { entity: [user(null)], values: { producer_byte_rate: 2 } },
    { entity: [client('app'), user('alice')], values: { consumer_byte_rate: 3 } },
    { entity: [client(null), user(null)], values: { consumer_byte_rate: 4 } },
    { entity: [client('app')], values: { request_percentage: 5 } },
    { entity: [ip('10.0.0.1')], values: { connection_creation_rate: 6 } },
  ];
  const names = (r: ReturnType<typeof describeClientQuotas>): string[] => ('entries' in r ? r.entries.map((e) => e.entity.map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`).join('/')) : [`${r.problem.code}: ${r.problem.message}`]);

  it('matches exact names, defaults and any specified entity, strictly or not', () => {
    expect(names(describeClientQuotas(entries, [{ entityType: 'user', matchType: 0, match: 'alice' }], false))).toEqual(['user=alice', 'client-id=app/user=alice']);
    expect(names(describeClientQuotas(entries, [{ entityType: 'user', matchType: 0, match: 'alice' }], true))).toEqual(['user=alice']);
    expect(names(describeClientQuotas(entries, [{ entityType: 'user', matchType: 1, match: null }], true))).toEqual(['user=<default>']);
    expect(names(describeClientQuotas(entries, [{ entityType: 'client-id', matchType: 2, match: null }], false))).toEqual(['client-id=app/user=alice', 'client-id=<default>/user=<default>', 'client-id=app']);
    expect(names(describeClientQuotas(entries, [], false))).toHaveLength(6);
    expect(names(describeClientQuotas(entries, [], true))).toEqual([]);
  });

  it.each([
    [[{ entityType: '', matchType: 0, match: 'a' }], 'INVALID_REQUEST: Invalid empty entity type.'],
    [[{ entityType: 'user', matchType: 2, match: null }, { entityType: 'user', matchType: 1, match: null }], 'INVALID_REQUEST: Entity type user cannot appear more than once in the filter.'],
    [[{ entityType: 'group', matchType: 2, match: null }], 'UNSUPPORTED_VERSION: Unsupported entity type group'],
    [[{ entityType: 'user', matchType: 0, match: null }], 'INVALID_REQUEST: Request specified MATCH_TYPE_EXACT, but set match string to null.'],
    [[{ entityType: 'user', matchType: 1, match: 'x' }], 'INVALID_REQUEST: Request specified MATCH_TYPE_DEFAULT, but also specified a match string.'],
    [[{ entityType: 'user', matchType: 2, match: 'x' }], 'INVALID_REQUEST: Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.'],
    [[{ entityType: 'user', matchType: 7, match: null }], 'INVALID_REQUEST: Unknown match type 7'],
    [[{ entityType: 'ip', matchType: 2, match: null }, { entityType: 'user', matchType: 2, match: null }], 'INVALID_REQUEST: Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.'],
  ])('refuses filter %j', (components, answer) => {
    expect(names(describeClientQuotas(entries, components, false))).toEqual([answer]);
  });
});
