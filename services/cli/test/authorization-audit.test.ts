// The authorizer's audit (parts/authorization.ts, metrics/security-metrics.ts): every
// decision counted, a denial logged in Kafka's words once per principal, operation and
// resource per interval, and a denial that only filters a listing not logged at all.

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { AuthorizationDecision } from '@stratus/broker';
import { RepeatLimiter } from '../src/log-limiter.ts';
import type { Logger } from '../src/logger.ts';
import { securityMetrics } from '../src/metrics/security-metrics.ts';
import { decisionObserver } from '../src/parts/authorization.ts';

interface Line {
  readonly level: number;
  readonly msg: string;
  readonly principal?: string;
  readonly resource?: string;
  readonly api?: string;
}

function capture(): { log: Logger; lines: () => Line[] } {
  const chunks: string[] = [];
  const log: Logger = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, done) => (chunks.push(c.toString()), done()) }));
  return { log, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line) };
}

const denyWrite: AuthorizationDecision = { allowed: false, logIfDenied: true, principal: 'User:alice', host: '10.0.0.7', operation: 4, resourceType: 'topic', resourceName: 'orders', apiKey: 0 };

async function scrape(metrics: ReturnType<typeof securityMetrics>): Promise<string> {
  const registry = new Registry();
  for (const m of metrics.metrics) registry.registerMetric(m);
  return registry.metrics();
}

describe('authorization audit', () => {
  it("logs a denial as Kafka's authorizer logger words it, at info, once per interval per principal, operation and resource", () => {
    let now = 0;
    const { log, lines } = capture();
    const observe = decisionObserver(log, undefined, new RepeatLimiter(10_000, () => now));
    observe(denyWrite);
    observe(denyWrite);
    observe({ ...denyWrite, resourceName: 'payments' });
    now = 10_000;
    observe(denyWrite);
    const got = lines();
    expect(got.map((l) => l.msg)).toEqual([
      'Principal = User:alice is Denied operation = WRITE from host = 10.0.0.7 on resource = Topic:orders for request = Produce',
      'Principal = User:alice is Denied operation = WRITE from host = 10.0.0.7 on resource = Topic:payments for request = Produce',
      'Principal = User:alice is Denied operation = WRITE from host = 10.0.0.7 on resource = Topic:orders for request = Produce (1 more like it were not logged)',
    ]);
    expect(got.every((l) => l.level === 30)).toBe(true);
    expect(got[0]).toMatchObject({ principal: 'User:alice', resource: 'Topic:orders', api: 'Produce' });
  });

  it('does not log an allowed decision, nor a denial that only filters a listing; counts them all', async () => {
    const { log, lines } = capture();
    const metrics = securityMetrics(['SCRAM-SHA-512']);
    const observe = decisionObserver(log, metrics);
    observe({ ...denyWrite, allowed: true });
    observe({ ...denyWrite, logIfDenied: false, operation: 8, apiKey: 3 });
    observe({ ...denyWrite, operation: 8, resourceType: 'group', resourceName: 'billing', apiKey: 10 });
    expect(lines().map((l) => l.msg)).toEqual(['Principal = User:alice is Denied operation = DESCRIBE from host = 10.0.0.7 on resource = Group:billing for request = FindCoordinator']);
    const text = await scrape(metrics);
    expect(text).toContain('stratus_authorization_decisions_total{result="allowed"} 1');
    expect(text).toContain('stratus_authorization_decisions_total{result="denied"} 2');
  });

  it('counts authentications under the enabled mechanisms; a mechanism named by a client but not enabled is "other"', async () => {
    const metrics = securityMetrics(['SCRAM-SHA-512', 'PLAIN']);
    metrics.authentication('SCRAM-SHA-512', true, false);
    metrics.authentication('SCRAM-SHA-512', true, true);
    metrics.authentication('PLAIN', false, false);
    for (let i = 0; i < 5; i++) metrics.authentication(`made-up-${i}`, false, false);
    const text = await scrape(metrics);
    expect(text).toContain('stratus_sasl_authentications_total{mechanism="SCRAM-SHA-512",result="succeeded",reauthentication="false"} 1');
    expect(text).toContain('stratus_sasl_authentications_total{mechanism="SCRAM-SHA-512",result="succeeded",reauthentication="true"} 1');
    expect(text).toContain('stratus_sasl_authentications_total{mechanism="PLAIN",result="failed",reauthentication="false"} 1');
    expect(text).toContain('stratus_sasl_authentications_total{mechanism="other",result="failed",reauthentication="false"} 5');
    expect(text).not.toContain('made-up');
  });
});
