// What the broker does per request under client quotas (KafkaApis' use of its quota
// managers): the produce request's size against producer_byte_rate, a consumer fetch's
// answer size against consumer_byte_rate (a throttled fetch answers no data and is not
// counted), request time against request_percentage, throttle_time_ms in the answer, SASL
// exempt, nothing at all while no quota is stored.

import { describe, expect, it } from 'vitest';
import { ApiKey } from '@stratus/protocol';
import type { ClientQuotaEntry } from '@stratus/controller';
import { ClientQuotas } from '../../src/quotas/client-quotas.ts';
import type { QuotaCharge } from '../../src/quotas/client-quotas.ts';
import { ConnectionSession } from '../../src/auth/principal.ts';
import { NO_RESPONSE } from '../../src/handler.ts';

function world(entries: ClientQuotaEntry[]) {
  let now = 0;
  let current = entries;
  const quotas = new ClientQuotas(() => current, () => now, { samples: 11, windowMs: 1000, maxSensors: 100, idleExpiryMs: 3_600_000 });
  const session = new ConnectionSession();
  const charge = (apiKey: number, clientId: string, extra: Partial<QuotaCharge>) =>
    quotas.charge({ header: { apiKey, apiVersion: 9, correlationId: 1, clientId }, session, request: {}, answer: { throttleTimeMs: 0, responses: ['data'] }, requestBytes: 0, responseBytes: 0, threadMs: 0, ...extra });
  return { quotas, session, charge, advance: (ms: number) => (now += ms), set: (e: ClientQuotaEntry[]) => (current = e) };
}

const clientQuota = (clientId: string | null, values: Record<string, number>): ClientQuotaEntry => ({ entity: [{ entityType: 'client-id', entityName: clientId }], values });

describe('ClientQuotas', () => {
  it('is inactive without quotas and active once the metadata holds one', () => {
    const w = world([]);
    expect(w.quotas.active()).toBe(false);
    w.set([clientQuota('p', { producer_byte_rate: 1000 })]);
    expect(w.quotas.active()).toBe(true);
  });

  it('throttles a producer over producer_byte_rate by the size of its requests, other client ids untouched', () => {
    const w = world([clientQuota('p', { producer_byte_rate: 1000 })]);
    // 10 KB at once: 10 KB over a 10 s window is 1000 B/s, the bound: not yet over.
    expect(w.charge(ApiKey.Produce, 'p', { requestBytes: 10_000 }).throttleMs).toBe(0);
    const over = w.charge(ApiKey.Produce, 'p', { requestBytes: 5_000 });
    // 15 KB over 10 s = 1500 B/s: (1500 − 1000) / 1000 × 10 s.
    expect(over.throttleMs).toBe(5_000);
    expect(over.answer).toEqual({ throttleTimeMs: 5_000, responses: ['data'] });
    expect(w.charge(ApiKey.Produce, 'other', { requestBytes: 1_000_000 }).throttleMs).toBe(0);
    // acks=0: no answer to carry it, the connection is muted all the same.
    const silent = w.charge(ApiKey.Produce, 'p', { requestBytes: 1_000, request: { acks: 0 }, answer: NO_RESPONSE });
    expect(silent.answer).toBe(NO_RESPONSE);
    expect(silent.throttleMs).toBeGreaterThan(5_000);
  });

  it('throttles a consumer over consumer_byte_rate with an answer without data, and does not count what it did not send', () => {
    const w = world([clientQuota(null, { consumer_byte_rate: 1000 })]);
    expect(w.charge(ApiKey.Fetch, 'c', { responseBytes: 9_000, request: { replicaId: -1 } }).throttleMs).toBe(0);
    const over = w.charge(ApiKey.Fetch, 'c', { responseBytes: 3_000, request: { replicaId: -1 } });
    expect(over.throttleMs).toBe(2_000);
    expect(over.answer).toEqual({ throttleTimeMs: 2_000, errorCode: 0, sessionId: 0, responses: [] });
    // The 3000 bytes were taken back: 1000 bytes now fit (10 KB over 10 s).
    expect(w.charge(ApiKey.Fetch, 'c', { responseBytes: 1_000, request: { replicaId: -1 } }).throttleMs).toBe(0);
    // Followers' fetches are not client traffic.
    expect(w.charge(ApiKey.Fetch, 'c', { responseBytes: 1e9, request: { replicaId: 2 } }).throttleMs).toBe(0);
    // Kafka caps a fetch at what one quota window admits.
    expect(w.quotas.maxFetchBytes(w.session, 'c')).toBe(10_000);
    // An empty client id has no client-id level to match, as in Kafka (its tags are empty: no limit).
    expect(w.quotas.maxFetchBytes(w.session, null)).toBeUndefined();
  });

  it('counts request time as a percentage of a thread against request_percentage, SASL exempt', () => {
    const w = world([clientQuota('r', { request_percentage: 10 })]);
    // 1000 ms of broker time over a 10 s window is 10 %: the bound.
    expect(w.charge(ApiKey.Metadata, 'r', { threadMs: 1000 }).throttleMs).toBe(0);
    expect(w.charge(ApiKey.Metadata, 'r', { threadMs: 500 }).throttleMs).toBe(5_000);
    expect(w.charge(ApiKey.SaslAuthenticate, 'r', { threadMs: 100_000 }).throttleMs).toBe(0);
  });

  it('resolves by the principal name (User:ANONYMOUS is user ANONYMOUS) and reports per-entity stats', () => {
    const w = world([{ entity: [{ entityType: 'user', entityName: 'alice' }], values: { producer_byte_rate: 100 } }]);
    expect(w.charge(ApiKey.Produce, 'a', { requestBytes: 5_000 }).throttleMs).toBe(0);
    w.session.principal = { type: 'User', name: 'alice' };
    expect(w.charge(ApiKey.Produce, 'a', { requestBytes: 5_000 }).throttleMs).toBe(40_000);
    expect([...w.quotas.stats()]).toEqual([{ type: 'produce', user: 'alice', clientId: '', bound: 100, rate: 500, throttleMsTotal: 40_000, throttledResponses: 1 }]);
  });
});
