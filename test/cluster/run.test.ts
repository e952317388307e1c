// `npm run cluster` itself: the launcher starts the cluster, prints the bootstrap string
// and where the logs are, and a SIGINT to it (what Ctrl-C sends) stops every process it
// started — brokers, controllers, Redis, the object store — and exits 0, leaving
// nothing running: also when the SIGINT comes while the cluster is still starting, and
// when the supervisor dies without stopping anything (then the launcher kills what it
// left and exits 1). "Nothing running" is checked as the supervisor's process group,
// where every process of the cluster lives, being empty. A small cluster (1 controller,
// 2 brokers, a directory as object store) on free ports, so it runs beside a cluster
// someone started by hand.

import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

/** Whether any process is in process group `pgid`. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The launcher with a small cluster on free ports; its output, its exit, and the supervisor's pid (its group's id). */
function launch(dataDir: string): { child: ChildProcess; output: () => string; exited: Promise<number | null>; supervisor: () => number } {
  const child = spawn(process.execPath, [...STRATUS_NODE_FLAGS, RUN, '--brokers', '2', '--controllers', '1', '--file', '--free-ports', '--data', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const supervisor = (): number => Number(execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
  return { child, output: () => out, exited, supervisor };
}

async function until(what: string, condition: () => boolean, output: () => string, ms = 40_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('npm run cluster', () => {
  it('prints the bootstrap string and stops everything on SIGINT', async () => {
    const run = launch(data);
    await until('the cluster start', () => /ready in/.test(run.output()) || run.child.exitCode !== null, run.output);
    const supervisor = run.supervisor();
    let out = run.output();
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
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    out = run.output();
    console.log(`stopped ${pids.length} stratus processes, Redis and the supervisor in ${Date.now() - stoppedAt} ms after SIGINT`);
    expect(out).toContain(`data and logs kept in ${data}\nstopped; nothing left running\n`);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(await listening(redisPort)).toBe(false);
    expect(groupAlive(supervisor)).toBe(false);
    // The data directory was given: kept, with Redis' AOF and the brokers' WALs.
    expect(readdirSync(data).sort()).toEqual(expect.arrayContaining(['broker-1', 'broker-2', 'logs', 'objects', 'redis']));
  }, 60_000);

  it('stops what it had started when the SIGINT comes while the cluster is still starting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-run-test-start-'));
    try {
      const run = launch(dir);
      // The brokers are being started (their log files exist) but the cluster is not ready yet.
      await until('a broker start', () => existsSync(join(dir, 'logs', 'broker-1.log')), run.output);
      const supervisor = run.supervisor();
      expect(run.output()).not.toContain('ready in');
      run.child.kill('SIGINT');
      expect(await run.exited).toBe(0);
      expect(run.output()).not.toContain('ready in');
      expect(run.output()).toContain('stopped; nothing left running');
      expect(groupAlive(supervisor)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('kills what the supervisor left when it dies without stopping the cluster, and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-run-test-kill-'));
    try {
      const run = launch(dir);
      await until('the cluster start', () => /ready in/.test(run.output()), run.output);
      const supervisor = run.supervisor();
      process.kill(supervisor, 'SIGKILL'); // its brokers, controller and Redis run on in its group
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain('processes of the cluster outlived its supervisor: killed them');
      expect(groupAlive(supervisor)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
