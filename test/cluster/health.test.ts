// /livez and /readyz of real processes (issue 12 §3; what each checks: docs/operations.md,
// Health), with one controller reaching Redis through a TcpProxy and one broker:
//  - ?verbose lists every check of each process, all passing;
//  - the controller stopped: the broker turns unready (its lease lapses: controller-lease,
//    and soon the metadata stream) and ready again once the controller is back, while its
//    /livez answers 200 all along (a restart would not bring the controller back);
//  - the controller cut off from Redis: it turns unready (metadata-store) and ready again
//    when Redis is reachable, /livez 200 all along on both processes — Kubernetes must not
//    restart every controller for a Redis outage;
//  - the broker's event loop stopped for longer than its bound (SIGSTOP): the /livez asked
//    meanwhile answers 503 event-loop, and the next one 200.

import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import type { StratusNode } from './lib/stratus-node.ts';
import { waitFor } from './lib/scenarios.ts';
import { EVENT_LOOP_STALL_MS } from '@stratus/cli';

let cluster: Cluster;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  cluster = await startCluster({ brokers: 1, controllers: 1, objectStore: 'file', redisProxyPerController: true });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

/** Samples /livez of each node every 200 ms until stopped: the statuses seen (0: no answer). */
function sampleLivez(nodes: readonly StratusNode[]): { stop(): Promise<number[][]> } {
  let running = true;
  const seen: number[][] = nodes.map(() => []);
  const loop = (async () => {
    while (running) {
      const statuses = await Promise.all(nodes.map(async (n) => (await n.http('/livez')).status));
      statuses.forEach((s, i) => seen[i]!.push(s));
      await sleep(200);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

async function readyzBody(node: StratusNode, status: number): Promise<string | undefined> {
  const r = await node.http('/readyz');
  return r.status === status ? r.body : undefined;
}

describe('health probes', () => {
  it('lists every check with ?verbose, all passing', async () => {
    const [controller, broker] = [cluster.controllers[0]!, cluster.brokers[0]!];
    expect(await broker.http('/readyz?verbose')).toEqual({
      status: 200,
      body: ['fatal', 'shutdown', 'registered', 'controller-lease', 'metadata', 'wal', 'event-loop'].map((c) => `[+]${c} ok\n`).join('') + 'readyz check passed\n',
    });
    expect(await controller.http('/readyz?verbose')).toEqual({
      status: 200,
      body: ['fatal', 'shutdown', 'metadata-store', 'role', 'event-loop'].map((c) => `[+]${c} ok\n`).join('') + 'readyz check passed\n',
    });
    for (const node of [controller, broker]) expect(await node.http('/livez?verbose')).toEqual({ status: 200, body: '[+]fatal ok\n[+]event-loop ok\nlivez check passed\n' });
  });

  it('a broker whose controller is stopped turns unready and ready again; /livez stays 200', async () => {
    const [controller, broker] = [cluster.controllers[0]!, cluster.brokers[0]!];
    const livez = sampleLivez([broker]);
    expect(await controller.stop()).toEqual({ code: 0, signal: null });
    const stoppedAt = Date.now();
    const body = await waitFor('the broker unready', 15_000, () => readyzBody(broker, 503));
    const unreadyMs = Date.now() - stoppedAt;
    expect(body).toMatch(/^not ready: controller-lease: fenced: no heartbeat reached the controller in time/m);
    const verbose = (await broker.http('/readyz?verbose')).body;
    expect(verbose).toContain('[-]controller-lease failed: fenced');
    expect(verbose).toContain('[+]wal ok'); // the WAL is fine: what is wrong is named, the rest passes
    expect(verbose).toContain('[+]fatal ok');
    // The metadata stream broken longer than the lease: leadership is no longer known.
    await waitFor('the metadata check failing', 15_000, async () => ((await broker.http('/readyz')).body.includes("not ready: metadata: the controller's metadata stream has been broken") ? true : undefined));

    controller.restart();
    await controller.waitReady(30_000);
    const restartedAt = Date.now();
    await broker.waitReady(30_000);
    const readyAgainMs = Date.now() - restartedAt;
    const [statuses] = await livez.stop();
    expect(statuses!.length).toBeGreaterThan(20);
    expect(new Set(statuses)).toEqual(new Set([200]));
    console.log(`controller stopped: broker unready after ${unreadyMs} ms; ready ${readyAgainMs} ms after the controller was ready again; /livez 200 in ${statuses!.length} samples`);
  }, 90_000);

  it('a controller cut off from Redis turns unready and ready again; /livez stays 200 on it and the broker', async () => {
    const [controller, broker] = [cluster.controllers[0]!, cluster.brokers[0]!];
    const livez = sampleLivez([controller, broker]);
    const proxy = cluster.redisProxies[0]!;
    proxy.takeDown();
    const cutAt = Date.now();
    const body = await waitFor('the controller unready', 15_000, () => readyzBody(controller, 503));
    const unreadyMs = Date.now() - cutAt;
    expect(body).toMatch(/^not ready: metadata-store: Redis has not answered the election lease for \d+ ms \(limit: election\.leaseTime, \d+ ms\)$/m);
    await sleep(3000); // a while longer without Redis: still live
    expect((await controller.http('/readyz')).status).toBe(503);

    proxy.bringUp();
    const upAt = Date.now();
    await controller.waitReady(30_000);
    const readyAgainMs = Date.now() - upAt;
    await broker.waitReady(30_000);
    const [controllerLivez, brokerLivez] = await livez.stop();
    expect(controllerLivez!.length).toBeGreaterThan(20);
    expect(new Set(controllerLivez)).toEqual(new Set([200]));
    expect(new Set(brokerLivez)).toEqual(new Set([200]));
    expect(await cluster.activeController()).toBe(controller);
    console.log(`Redis cut off: controller unready after ${unreadyMs} ms, ready ${readyAgainMs} ms after Redis was back; /livez 200 in ${controllerLivez!.length} samples`);
  }, 90_000);

  it('/livez fails after the event loop stalled longer than its bound, and passes again', async () => {
    const broker = cluster.brokers[0]!;
    broker.pause();
    // Asked while the process is stopped (on a connection of its own: a pooled keep-alive one
    // may be closed by the server's idle timeout as it resumes): answered after the stall.
    const during = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port: broker.spec.httpPort, path: '/livez', agent: false, timeout: 30_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    });
    await sleep(EVENT_LOOP_STALL_MS + 1500);
    broker.resume();
    const answer = await during;
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(new RegExp(`^not live: event-loop: the event loop stalled: a \\d+ ms timer ran \\d+ ms late \\(limit ${EVENT_LOOP_STALL_MS} ms\\)\n$`));
    await waitFor('/livez 200 again', 5_000, async () => ((await broker.http('/livez')).status === 200 ? true : undefined));
    await broker.waitReady(30_000); // its lease lapsed meanwhile: it registers again
  }, 60_000);
});
