// Kafka's quota precedence (ClientQuotaManager's DefaultQuotaCallback): the most specific
// of eight entity levels holding the key applies, and the level decides which clients share
// the sensor (its user and client-id tags). Levels are added from the least specific to the
// most, and each addition must take over.

import { describe, expect, it } from 'vitest';
import type { ClientQuotaEntry } from '@stratus/controller';
import { QuotaPrecedence } from '../../src/quotas/quota-precedence.ts';

type Level = [user: string | null | undefined, client: string | null | undefined];

function entry([user, client]: Level, value: number, key = 'producer_byte_rate'): ClientQuotaEntry {
  const entity = [...(client !== undefined ? [{ entityType: 'client-id', entityName: client }] : []), ...(user !== undefined ? [{ entityType: 'user', entityName: user }] : [])];
  return { entity, values: { [key]: value } };
}

// Least specific first; `tags` is the sensor each level puts (alice, app) in.
const LEVELS: { level: Level; name: string; tags: [string, string] }[] = [
  { level: [undefined, null], name: '/clients/<default>', tags: ['', 'app'] },
  { level: [undefined, 'app'], name: '/clients/app', tags: ['', 'app'] },
  { level: [null, undefined], name: '/users/<default>', tags: ['alice', ''] },
  { level: [null, null], name: '/users/<default>/clients/<default>', tags: ['alice', 'app'] },
  { level: [null, 'app'], name: '/users/<default>/clients/app', tags: ['alice', 'app'] },
  { level: ['alice', undefined], name: '/users/alice', tags: ['alice', ''] },
  { level: ['alice', null], name: '/users/alice/clients/<default>', tags: ['alice', 'app'] },
  { level: ['alice', 'app'], name: '/users/alice/clients/app', tags: ['alice', 'app'] },
];

describe('quota precedence', () => {
  it('is unlimited without a quota for the key', () => {
    expect(new QuotaPrecedence([], 'producer_byte_rate').resolve('alice', 'app')).toBeUndefined();
    expect(new QuotaPrecedence([entry(['alice', 'app'], 5, 'consumer_byte_rate')], 'producer_byte_rate').resolve('alice', 'app')).toBeUndefined();
  });

  it.each(LEVELS.map((l, i) => [l.name, i] as const))('%s takes over from every less specific level', (_name, i) => {
    const entries = LEVELS.slice(0, i + 1).map((l, j) => entry(l.level, 100 + j));
    const q = new QuotaPrecedence(entries, 'producer_byte_rate').resolve('alice', 'app');
    expect(q).toEqual({ bound: 100 + i, user: LEVELS[i]!.tags[0], clientId: LEVELS[i]!.tags[1] });
  });

  it('applies each level alone to the clients it names, and no other', () => {
    const byLevel = (l: Level) => new QuotaPrecedence([entry(l, 7)], 'producer_byte_rate');
    expect(byLevel(['alice', 'app']).resolve('alice', 'other')).toBeUndefined();
    expect(byLevel(['alice', 'app']).resolve('bob', 'app')).toBeUndefined();
    expect(byLevel(['alice', undefined]).resolve('alice', 'any')).toEqual({ bound: 7, user: 'alice', clientId: '' });
    expect(byLevel(['alice', undefined]).resolve('bob', 'any')).toBeUndefined();
    // Defaults give each user / client its own sensor with the default bound.
    expect(byLevel([null, undefined]).resolve('bob', 'x')).toEqual({ bound: 7, user: 'bob', clientId: '' });
    expect(byLevel([undefined, null]).resolve('bob', 'x')).toEqual({ bound: 7, user: '', clientId: 'x' });
    expect(byLevel([undefined, 'x']).resolve('ANONYMOUS', 'y')).toBeUndefined();
  });

  it('ignores ip entities (connection quotas are not request quotas)', () => {
    const ip: ClientQuotaEntry = { entity: [{ entityType: 'ip', entityName: '127.0.0.1' }], values: { producer_byte_rate: 1 } };
    expect(new QuotaPrecedence([ip], 'producer_byte_rate').empty).toBe(true);
  });
});
