// `npm run cluster` itself: the launcher starts the cluster, prints the bootstrap string
// and where the logs are, and a SIGINT to it (what Ctrl-C sends) stops every process it
// started — brokers, controllers, Redis, the object store — and exits 0, leaving
// nothing running. A small cluster (1 controller, 2 brokers, a directory as object
// store) on free ports, so it runs beside a cluster someone started by hand.

import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STRATUS_NODE_FLAGS } from '../support/stratus-process.ts';

const RUN = join(import.meta.dirname, 'run.ts');
const data = mkdtempSync(join(tmpdir(), 'stratus-run-test-'));

afterAll(() => rmSync(data, { recursive: true, force: true }));

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run cluster', () => {
  it('prints the bootstrap string and stops everything on SIGINT', async () => {
    const child = spawn(process.execPath, [...STRATUS_NODE_FLAGS, RUN, '--brokers', '2', '--controllers', '1', '--file', '--free-ports', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 40_000;
    while (!/ready in/.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the cluster did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(out).toMatch(/Kafka bootstrap\s+127\.0\.0\.1:\d+,127\.0\.0\.1:\d+/);
    expect(out).toContain(`Logs              ${join(data, 'logs')}/<name>.log`);
    // Every process it started: the stratus ones by the pid in their logs (pino's JSON lines), Redis by its port.
    const logs = readdirSync(join(data, 'logs'));
    expect(logs.sort()).toEqual(['broker-1.log', 'broker-2.log', 'controller-1.log']);
    const pids = logs.map((f) => (JSON.parse(readFileSync(join(data, 'logs', f), 'utf8').split('\n')[0]!) as { pid: number }).pid);
    for (const pid of pids) expect(alive(pid)).toBe(true);
    const redisPort = Number(/Metadata\s+redis:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    expect(await listening(redisPort)).toBe(true);

    const stoppedAt = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    console.log(`stopped ${pids.length} stratus processes, Redis and the supervisor in ${Date.now() - stoppedAt} ms after SIGINT`);
    expect(out).toContain('stopped; data and logs kept in');
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(await listening(redisPort)).toBe(false);
    // The data directory was given: kept, with Redis' AOF and the brokers' WALs.
    expect(readdirSync(data).sort()).toEqual(expect.arrayContaining(['broker-1', 'broker-2', 'logs', 'objects', 'redis']));
  }, 60_000);
});
