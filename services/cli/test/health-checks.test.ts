// The health machinery with real timers and a real HTTP port: the event-loop stall watch
// reports a loop blocked longer than its bound and forgets it once a tick is on time;
// /livez and /readyz answer 200 with the plain word, 503 with one line per failing check,
// and ?verbose lists every check; a check that throws fails instead of breaking the port.

import { afterEach, describe, expect, it } from 'vitest';
import { EventLoopStallWatch } from '../src/health/event-loop-stall.ts';
import { startHttp } from '../src/http.ts';
import type { HealthCheck } from '../src/health/checks.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

describe('EventLoopStallWatch', () => {
  it('passes while the loop keeps time, fails after a block longer than its bound, and passes again on the next tick', async () => {
    const watch = new EventLoopStallWatch(50, 300);
    cleanup.push(() => watch.close());
    await sleep(200);
    expect(watch.problem()).toBeUndefined();
    const until = performance.now() + 500;
    while (performance.now() < until); // the loop blocked for 500 ms
    // The probe may run before the timer: the overdue tick is seen as well.
    expect(watch.problem()).toMatch(/^the event loop stalled: a 50 ms timer ran \d+ ms late \(limit 300 ms\)$/);
    await sleep(0); // the late tick runs and records its drift
    expect(watch.problem()).toMatch(/stalled/);
    await sleep(120); // on-time ticks since
    expect(watch.problem()).toBeUndefined();
  });

  it('does not count a block shorter than its bound', async () => {
    const watch = new EventLoopStallWatch(50, 300);
    cleanup.push(() => watch.close());
    const until = performance.now() + 150;
    while (performance.now() < until);
    await sleep(0);
    expect(watch.problem()).toBeUndefined();
  });
});

describe('the probes on the HTTP port', () => {
  async function serve(readiness: HealthCheck[], liveness: HealthCheck[]): Promise<(path: string) => Promise<{ status: number; body: string }>> {
    const { server, port } = await startHttp('127.0.0.1', 0, { readiness, liveness, metrics: async () => ({ contentType: 'text/plain', body: '' }) });
    cleanup.push(() => server.close());
    return async (path) => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: r.status, body: await r.text() };
    };
  }

  it('answers the plain word, each failing check, or every check with ?verbose', async () => {
    const wal: { problem: string | undefined } = { problem: undefined };
    const get = await serve(
      [
        { name: 'registered', problem: () => undefined },
        { name: 'wal', problem: () => wal.problem },
        {
          name: 'metadata',
          problem: () => {
            throw new Error('client closed');
          },
        },
      ],
      [{ name: 'fatal', problem: () => undefined }],
    );
    expect(await get('/livez')).toEqual({ status: 200, body: 'ok\n' });
    expect(await get('/livez?verbose')).toEqual({ status: 200, body: '[+]fatal ok\nlivez check passed\n' });
    expect(await get('/readyz')).toEqual({ status: 503, body: 'not ready: metadata: the check itself failed: client closed\n' });
    wal.problem = "the write-ahead log's disk is full";
    expect(await get('/readyz')).toEqual({ status: 503, body: "not ready: wal: the write-ahead log's disk is full\nnot ready: metadata: the check itself failed: client closed\n" });
    expect(await get('/readyz?verbose')).toEqual({
      status: 503,
      body: "[+]registered ok\n[-]wal failed: the write-ahead log's disk is full\n[-]metadata failed: the check itself failed: client closed\nreadyz check failed\n",
    });
  });

  it('answers ready with every check passing', async () => {
    const get = await serve([{ name: 'wal', problem: () => undefined }], []);
    expect(await get('/readyz')).toEqual({ status: 200, body: 'ready\n' });
    expect(await get('/readyz?verbose=1')).toEqual({ status: 200, body: '[+]wal ok\nreadyz check passed\n' });
  });
});
