// `stratus dev` with two Kafka listeners (kafka.listeners, KIP-103), as a real process:
// INTERNAL at 127.0.0.1:<p1> advertised as itself, EXTERNAL bound at 127.0.0.1:<p2> and
// advertised as localhost:<p3>, where a TCP forwarder stands for a published port (NAT,
// Docker's -p). kcat -L and FindCoordinator through each listener give that listener's
// address; kafkajs produces and consumes through each; the start-up log and banner name
// both; and listeners with --kafka-port is refused naming both keys.

import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, STRATUS_NODE_FLAGS } from '../support/stratus-process.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { findCoordinator } from '../cluster/lib/coordinator.ts';
import { compareRecords, consumeUntil, kafkaClient, produceLoop } from '../cluster/lib/kafka-clients.ts';

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, '..', '..', 'services', 'cli', 'src', 'main.ts');

let dataDir: string;
let child: ChildProcess;
let output = '';
let forwarder: TcpProxy;
const ports = { internal: 0, external: 0, httpPort: 0 };
let exited: Promise<number | null>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'stratus-dev-listeners-'));
  [ports.internal, ports.external, ports.httpPort] = [await freePort(), await freePort(), await freePort()];
  forwarder = await TcpProxy.start('127.0.0.1', ports.external);
  child = spawn(process.execPath, [...STRATUS_NODE_FLAGS, MAIN, 'dev', '--data-dir', dataDir, '--http-port', String(ports.httpPort)], {
    env: {
      ...process.env,
      STRATUS_LOG_LEVEL: 'info',
      STRATUS_LOG_PRETTY: 'false',
      STRATUS_KAFKA_LISTENERS: `INTERNAL://127.0.0.1:${ports.internal},EXTERNAL://127.0.0.1:${ports.external}`,
      STRATUS_KAFKA_ADVERTISED_LISTENERS: `EXTERNAL://localhost:${forwarder.port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`stratus dev exited:\n${output}`);
    const ready = await fetch(`http://127.0.0.1:${ports.httpPort}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`stratus dev not ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(async () => {
  if (child?.exitCode === null) {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
  await forwarder?.close();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

async function kcatBrokers(bootstrap: string): Promise<string[]> {
  const { stdout } = await run('kcat', ['-L', '-b', bootstrap, '-m', '10'], { timeout: 20_000 });
  return [...stdout.matchAll(/broker (\d+) at (\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
}

describe('stratus dev with two listeners', () => {
  it('logs and prints every listener with its advertised address', () => {
    const line = `Kafka listeners INTERNAL://127.0.0.1:${ports.internal} (advertised 127.0.0.1:${ports.internal}), EXTERNAL://127.0.0.1:${ports.external} (advertised localhost:${forwarder.port})`;
    expect(output).toContain(line);
    expect(output).toMatch(new RegExp(`Kafka bootstrap\\s+127\\.0\\.0\\.1:${ports.internal}  \\(listener INTERNAL\\)\\n\\s+localhost:${forwarder.port}  \\(listener EXTERNAL\\)`));
  });

  it('answers Metadata and FindCoordinator with the address of the listener asked', async () => {
    expect(await kcatBrokers(`127.0.0.1:${ports.internal}`)).toEqual([`1 127.0.0.1:${ports.internal}`]);
    expect(await kcatBrokers(`localhost:${forwarder.port}`)).toEqual([`1 localhost:${forwarder.port}`]);
    const inside = await findCoordinator(`127.0.0.1:${ports.internal}`, 'g');
    const outside = await findCoordinator(`127.0.0.1:${ports.external}`, 'g');
    expect([inside.errorCode, `${inside.host}:${inside.port}`]).toEqual([0, `127.0.0.1:${ports.internal}`]);
    expect([outside.errorCode, `${outside.host}:${outside.port}`]).toEqual([0, `localhost:${forwarder.port}`]);
  });

  it.each([
    ['INTERNAL', () => `127.0.0.1:${ports.internal}`],
    ['EXTERNAL', () => `localhost:${forwarder.port}`],
  ])('produces and consumes through %s', async (name, bootstrap) => {
    const topic = `through-${name.toLowerCase()}`;
    const acceptedBefore = forwarder.accepted;
    const { kafka, errors } = kafkaClient([bootstrap()], `dev-${topic}`);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const loop = produceLoop(producer, topic, { partitions: 1, batch: 10 });
    await new Promise((r) => setTimeout(r, 500));
    await loop.stop();
    await producer.disconnect();
    expect(loop.failures).toEqual([]);
    expect(loop.acked.length).toBeGreaterThan(0);
    const consumed = await consumeUntil(kafka, topic, new Set(loop.acked.map((r) => r.value)), { groupId: `${topic}-readers` });
    expect(compareRecords(loop.acked, consumed)).toEqual([]);
    expect(errors.filter((e) => !e.retriable)).toEqual([]);
    // Clients of EXTERNAL reach the broker only through the forwarder it advertises; those of INTERNAL never use it.
    if (name === 'EXTERNAL') expect(forwarder.accepted).toBeGreaterThan(acceptedBefore);
    else expect(forwarder.accepted).toBe(acceptedBefore);
  });

  it('counts open connections per listener in /metrics', async () => {
    const metric = async (listener: string): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${ports.httpPort}/metrics`)).text();
      const m = new RegExp(`^stratus_kafka_listener_connections\\{listener="${listener}"\\} (\\d+)$`, 'm').exec(text);
      if (m === null) throw new Error(`no stratus_kafka_listener_connections for ${listener}`);
      return Number(m[1]);
    };
    const [internal, external] = [await metric('INTERNAL'), await metric('EXTERNAL')];
    const socket = connect({ host: '127.0.0.1', port: ports.external });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    try {
      const deadline = Date.now() + 5_000;
      while ((await metric('EXTERNAL')) !== external + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect([await metric('INTERNAL'), await metric('EXTERNAL')]).toEqual([internal, external + 1]);
    } finally {
      socket.destroy();
    }
  });

  it('refuses kafka.listeners with --kafka-port, naming both', async () => {
    const refused = await run(process.execPath, [...STRATUS_NODE_FLAGS, MAIN, 'dev', '--data-dir', dataDir, '--kafka-port', '9999'], {
      env: { ...process.env, STRATUS_KAFKA_LISTENERS: 'INTERNAL://127.0.0.1:9998' },
    }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused?.code).toBe(2);
    expect(refused?.stderr).toContain('kafka.port (from the command line): cannot be set together with kafka.listeners (each listener has its own port): remove one of them (got "9999")');
  });
});
