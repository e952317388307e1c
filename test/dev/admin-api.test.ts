// The admin REST API in `stratus dev`: on the same HTTP port as /livez, /readyz and
// /metrics (which keep answering as before), read-only without a token — a write answers
// 403 problem+json saying how to enable writes, and changes nothing Kafka clients see —
// and, started with STRATUS_ADMIN_API_TOKEN, a write with the token creates a topic Kafka
// clients then find; a request whose body never arrives ends at admin.requestTimeout (504). The full endpoint set runs against a cluster in
// test/cluster/admin-rest.test.ts.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StratusProcess } from '../support/stratus-process.ts';
import { kafkaClient } from '../cluster/lib/kafka-clients.ts';

const TOKEN = 'dev-admin-token-5d1e0b7c';
const TIMEOUT_MS = 1500;
let readOnly: StratusProcess;
let writable: StratusProcess;

const url = (p: StratusProcess, path: string): string => `http://127.0.0.1:${p.httpPort}${path}`;

async function topicsOf(p: StratusProcess): Promise<string[]> {
  const admin = kafkaClient([p.bootstrap], 'dev-admin-api').kafka.admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  // The read-only one must not inherit a token from the test's environment.
  delete process.env['STRATUS_ADMIN_API_TOKEN'];
  [readOnly, writable] = await Promise.all([StratusProcess.start(), StratusProcess.start({ env: { STRATUS_ADMIN_API_TOKEN: TOKEN, STRATUS_ADMIN_REQUEST_TIMEOUT: `${TIMEOUT_MS}ms` } })]);
}, 60_000);

afterAll(async () => {
  await Promise.all([readOnly?.stop(), writable?.stop()]);
}, 30_000);

describe('admin REST API in stratus dev', () => {
  it('shares the HTTP port with the probes and /metrics, which answer as before', async () => {
    const health = await fetch(url(readOnly, '/api/v1/health'));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', role: 'active', activeController: null, brokers: { registered: 1, live: 1 } });
    expect(await (await fetch(url(readOnly, '/livez'))).text()).toBe('ok\n');
    expect(await (await fetch(url(readOnly, '/readyz'))).text()).toBe('ready\n');
    const metrics = await fetch(url(readOnly, '/metrics'));
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE');
    expect((await fetch(url(readOnly, '/metrics'), { method: 'POST' })).status).toBe(405);
    expect((await fetch(url(readOnly, '/nothing'))).status).toBe(404);
    // Only the prefix itself and what is below it is the API's.
    expect((await fetch(url(readOnly, '/api/v10/health'))).status).toBe(404);
    expect((await fetch(url(readOnly, '/api/v10/health'))).headers.get('content-type')).toBe('text/plain');
  });

  it('is named in the banner, with whether it takes writes', () => {
    expect(readOnly.output).toContain(`Admin REST API    http://127.0.0.1:${readOnly.httpPort}/api/v1/health  (read-only: set STRATUS_ADMIN_API_TOKEN for writes)`);
    expect(writable.output).toContain(`Admin REST API    http://127.0.0.1:${writable.httpPort}/api/v1/health  (writes need the admin.apiToken bearer token)`);
  });

  it('is read-only without a token: a write answers 403 saying how to enable writes, and changes nothing', async () => {
    const res = await fetch(url(readOnly, '/api/v1/topics'), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ name: 'dev-ro' }) });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await res.json()) as { detail: string };
    expect(problem).toMatchObject({ type: 'urn:stratus:problem:read-only', status: 403, title: 'The admin API is read-only' });
    expect(problem.detail).toContain('admin.apiToken');
    expect(problem.detail).toContain('STRATUS_ADMIN_API_TOKEN');
    expect(await topicsOf(readOnly)).not.toContain('dev-ro');
    // Reads need no token.
    expect((await fetch(url(readOnly, '/api/v1/topics'))).status).toBe(200);
  });

  it('with a token, a write creates a topic Kafka clients then see', async () => {
    const res = await fetch(url(writable, '/api/v1/topics'), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ name: 'dev-rw', partitions: 2 }) });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { partitions: unknown[] }).partitions).toHaveLength(2);
    expect(await topicsOf(writable)).toContain('dev-rw');
    const wrong = await fetch(url(writable, '/api/v1/topics/dev-rw'), { method: 'DELETE', headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect(await topicsOf(writable)).toContain('dev-rw');
  });

  it('answers 504 problem+json at admin.requestTimeout to a request whose body never arrives', async () => {
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(writable.httpPort, '127.0.0.1', () => {
        socket.write(`POST /api/v1/topics HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":`);
      });
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.once('close', () => resolve(text));
      socket.once('error', reject);
      setTimeout(() => socket.destroy(), 10_000).unref();
    });
    const waited = Date.now() - started;
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 504 Gateway Timeout');
    expect(answer).toContain('content-type: application/problem+json');
    expect(answer).toContain('"type":"urn:stratus:problem:timeout"');
    expect(answer).toContain('admin.requestTimeout');
    expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(waited).toBeLessThan(TIMEOUT_MS + 5000);
  });
});
