// `stratus dev --kafka-port 0`, as a real process: the listener binds a free port and the
// broker advertises that port, not 0 (it used to register at port 0, which the controller
// refuses, and never became ready). kcat's metadata names the bound port, and kafkajs —
// which connects to what it is told — produces and reads back through it.

import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, STRATUS_NODE_FLAGS } from '../support/stratus-process.ts';
import { compareRecords, consumeUntil, kafkaClient, produceLoop } from '../cluster/lib/kafka-clients.ts';

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, '..', '..', 'services', 'cli', 'src', 'main.ts');

let dataDir: string;
let child: ChildProcess;
let output = '';
let httpPort = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'stratus-dev-port-zero-'));
  httpPort = await freePort();
  child = spawn(process.execPath, [...STRATUS_NODE_FLAGS, MAIN, 'dev', '--data-dir', dataDir, '--kafka-port', '0', '--http-port', String(httpPort)], {
    env: { ...process.env, STRATUS_LOG_LEVEL: 'info', STRATUS_LOG_PRETTY: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`stratus dev exited:\n${output}`);
    if (await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error(`stratus dev --kafka-port 0 not ready in 30 s:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(async () => {
  if (child?.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

/** The bound Kafka port, from the start-up log line that lists the listeners. */
function boundPort(): number {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { listeners?: { bound: string; advertised: string }[] };
    const bound = e.listeners?.[0]?.bound;
    if (bound !== undefined) return Number(bound.slice(bound.lastIndexOf(':') + 1));
  }
  throw new Error(`no listeners line in:\n${output}`);
}

describe('stratus dev --kafka-port 0', () => {
  it('becomes ready, advertises the port it bound, and clients produce and consume through it', async () => {
    const port = boundPort();
    expect(port).toBeGreaterThan(0);
    const { stdout } = await run('kcat', ['-b', `127.0.0.1:${port}`, '-L', '-m', '10']);
    expect(stdout).toContain(`broker 1 at 127.0.0.1:${port}`);

    const { kafka } = kafkaClient([`127.0.0.1:${port}`], 'port-zero');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'port-zero', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const loop = produceLoop(producer, 'port-zero', { partitions: 1, batch: 10 });
    while (loop.acked.length < 30 && loop.failures.length === 0) await new Promise((r) => setTimeout(r, 50));
    await loop.stop();
    await producer.disconnect();
    expect(loop.failures).toEqual([]);
    const consumed = await consumeUntil(kafka, 'port-zero', new Set(loop.acked.map((r) => r.value)), { groupId: 'port-zero-readers' });
    expect(compareRecords(loop.acked, consumed)).toEqual([]);
  }, 60_000);
});
