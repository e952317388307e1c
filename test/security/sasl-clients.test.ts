// SASL (PLAIN, SCRAM-SHA-512) on a real `stratus dev` with two listeners — PLAINTEXT, and
// SASL (sasl.listeners: Kafka's SASL_PLAINTEXT) — against the clients people use: kcat
// (Debian's librdkafka), confluent-kafka-python (PyPI's, current librdkafka), the Java
// console producer and consumer (client.properties with sasl.jaas.config) and kafkajs.
// Each produces and reads back; a wrong password fails cleanly with Kafka's message; a
// mechanism the broker has not enabled is refused with the enabled list; a request before
// authentication closes the connection; sessions expire after sasl.maxReauth (Kafka's
// connections.max.reauth.ms) and the clients that implement KIP-368 re-authenticate,
// which the broker's log shows. Peers: test/peers/compat-peers.sh (kcat, both Pythons,
// Apache Kafka's tools).

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import type { SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, encodeRequest } from '@stratus/protocol';
import { run as runTool } from '../compat/support/process.ts';
import { DevProcess, freePort } from '../support/stratus-process.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const USER = 'admin';
/** A fresh password per run: nothing secret is committed, and none can leak into a fixture. */
const PASSWORD = randomBytes(12).toString('base64url');
const MAX_REAUTH_MS = 4000;
const PYPI_PYTHON = join(process.env['STRATUS_CACHE'] ?? join(homedir(), '.cache', 'stratus'), 'confluent-kafka-2.16.2', 'bin', 'python');

let dir: string;
let dev: DevProcess;
let plainPort = 0;
let saslPort = 0;
let kafkaEnv: Record<string, string> = {};

beforeAll(async () => {
  // kcat, confluent-kafka-python (Debian's and PyPI's) and Apache Kafka's tools; idempotent.
  const peers = await run('bash', [join(ROOT, 'test', 'peers', 'compat-peers.sh')], { maxBuffer: 1 << 24 });
  kafkaEnv = Object.fromEntries(peers.stdout.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
  dir = mkdtempSync(join(tmpdir(), 'stratus-sasl-'));
  [plainPort, saslPort] = [await freePort(), await freePort()];
  dev = await DevProcess.start({
    dataDir: join(dir, 'data'),
    env: {
      STRATUS_LOG_LEVEL: 'debug', // successful authentications are debug lines: re-authentication is read from them
      STRATUS_LOG_PRETTY: 'false',
      STRATUS_KAFKA_LISTENERS: `PLAINTEXT://127.0.0.1:${plainPort},SASL://127.0.0.1:${saslPort}`,
      STRATUS_SASL_LISTENERS: 'SASL',
      STRATUS_SASL_MECHANISMS: 'PLAIN,SCRAM-SHA-512',
      STRATUS_SASL_ADMIN_USER: USER,
      STRATUS_SASL_ADMIN_PASSWORD: PASSWORD,
      STRATUS_SASL_MAX_REAUTH: `${MAX_REAUTH_MS}ms`,
      // Every client of this file connects from 127.0.0.1: the wrong-password cases must not lock the others out.
      STRATUS_SASL_MAX_FAILURES_PER_ADDRESS: '1000',
    },
  });
}, 180_000);

afterAll(async () => {
  await dev?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  // Whatever happened, the password never reached the broker's log.
  expect(dev?.output ?? '').not.toContain(PASSWORD);
}, 30_000);

interface LogLine {
  msg?: string;
  mechanism?: string;
  principal?: string;
  reauthentication?: boolean;
  reason?: string;
}

/** The broker's JSON log lines from `from` (a length of its output) on. */
const logSince = (from: number) => dev.jsonLog(from) as LogLine[];

const reauthentications = (from: number, mechanism: string) => logSince(from).filter((l) => l.msg === 'SASL authenticated' && l.reauthentication === true && l.mechanism === mechanism).length;

function kcatArgs(mechanism: string, password = PASSWORD): string[] {
  return ['-b', `127.0.0.1:${saslPort}`, '-X', 'security.protocol=sasl_plaintext', '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${USER}`, '-X', `sasl.password=${password}`];
}

const kcat = (args: string[], input?: string) => runTool('kcat', args, { input: input ?? '', timeoutMs: 30_000 });

describe('kcat (librdkafka) on the SASL listener', () => {
  it('SCRAM-SHA-512: produces and reads back; PLAIN: reads the same', async () => {
    const produced = await kcat([...kcatArgs('SCRAM-SHA-512'), '-P', '-t', 'sasl-kcat'], 'one\ntwo\nthree\n');
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await kcat([...kcatArgs('PLAIN'), '-C', '-t', 'sasl-kcat', '-o', 'beginning', '-e', '-q']);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.trim().split('\n')).toEqual(['one', 'two', 'three']);
  });

  it("a wrong password fails with Kafka's message for each mechanism", async () => {
    const plain = await kcat([...kcatArgs('PLAIN', 'not-the-password'), '-L', '-m', '3']);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toContain('SASL authentication error: Authentication failed: Invalid username or password');
    const scram = await kcat([...kcatArgs('SCRAM-SHA-512', 'not-the-password'), '-L', '-m', '3']);
    expect(scram.code).not.toBe(0);
    expect(scram.stderr).toContain('SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512');
  });

  it('a mechanism the broker has not enabled is refused with the enabled list', async () => {
    const r = await kcat([...kcatArgs('SCRAM-SHA-256'), '-L', '-m', '3']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Unsupported SASL mechanism: broker's supported mechanisms: PLAIN,SCRAM-SHA-512");
  });

  it('without SASL the SASL listener disconnects; the PLAINTEXT listener still serves anonymously', async () => {
    const refused = await kcat(['-b', `127.0.0.1:${saslPort}`, '-L', '-m', '3']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Disconnected/);
    const served = await kcat(['-b', `127.0.0.1:${plainPort}`, '-L', '-m', '5']);
    expect(served.code, served.stderr).toBe(0);
    expect(served.stdout).toContain(`broker 1 at 127.0.0.1:${plainPort}`);
  });
});

describe('the protocol, raw', () => {
  it('a Metadata request before authentication closes the connection without an answer', async () => {
    const socket = connect(saslPort, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(encodeRequest(ApiKey.Metadata, 1, 1, 'raw', { topics: null }));
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(Buffer.concat(received).length).toBe(0);
  });
});

describe('confluent-kafka-python (PyPI, librdkafka 2.16)', () => {
  it('SCRAM-SHA-512: produces, outlives the session by re-authenticating (KIP-368), reads back', async () => {
    const from = dev.output.length;
    const script = `
import sys, time
from confluent_kafka import Producer, Consumer
conf = {'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': sys.argv[2], 'sasl.password': sys.argv[3]}
p = Producer(conf)
for i in range(3):
    p.produce('sasl-python', value=f'm{i}'.encode())
    assert p.flush(10) == 0
    time.sleep(${(MAX_REAUTH_MS * 0.8) / 1000})
c = Consumer({**conf, 'group.id': 'sasl-python', 'auto.offset.reset': 'earliest'})
c.subscribe(['sasl-python'])
got, deadline = [], time.time() + 20
while len(got) < 3 and time.time() < deadline:
    m = c.poll(0.5)
    if m is not None and m.error() is None:
        got.append(m.value().decode())
c.close()
print(','.join(got))
`;
    const { stdout } = await run(PYPI_PYTHON, ['-c', script, `127.0.0.1:${saslPort}`, USER, PASSWORD], { timeout: 60_000 });
    expect(stdout.trim()).toBe('m0,m1,m2');
    expect(reauthentications(from, 'SCRAM-SHA-512')).toBeGreaterThan(0);
  }, 90_000);
});

describe('Java console producer and consumer (client.properties with sasl.jaas.config)', () => {
  it('SCRAM-SHA-512 and PLAIN: produce and read back; the consumer re-authenticates while it waits', async () => {
    const props = (mechanism: string, module: string) => {
      const file = join(dir, `${mechanism}.properties`);
      writeFileSync(file, [`security.protocol=SASL_PLAINTEXT`, `sasl.mechanism=${mechanism}`, `sasl.jaas.config=${module} required username="${USER}" password="${PASSWORD}";`, ''].join('\n'), { mode: 0o600 });
      return file;
    };
    const scram = props('SCRAM-SHA-512', 'org.apache.kafka.common.security.scram.ScramLoginModule');
    const plain = props('PLAIN', 'org.apache.kafka.common.security.plain.PlainLoginModule');
    // The test's own 120 s bounds them anyway.
    const java = (cls: string, args: string[], input?: string) => runTool('bash', [join(ROOT, 'test', 'peers', 'kafka-run.sh'), cls, ...args], { env: kafkaEnv, input: input ?? '', timeoutMs: 120_000 });
    const produced = await java('org.apache.kafka.tools.ConsoleProducer', ['--bootstrap-server', `127.0.0.1:${saslPort}`, '--topic', 'sasl-java', '--command-config', scram], 'j1\nj2\nj3\n');
    expect(produced.code, produced.stderr).toBe(0);
    const from = dev.output.length;
    // No --max-messages: it reads the three, then waits for more past two session lifetimes.
    const consumed = await java('org.apache.kafka.tools.consumer.ConsoleConsumer', ['--bootstrap-server', `127.0.0.1:${saslPort}`, '--topic', 'sasl-java', '--from-beginning', '--timeout-ms', String(MAX_REAUTH_MS * 2 + 1000), '--command-config', plain]);
    expect(consumed.stdout.trim().split('\n')).toEqual(['j1', 'j2', 'j3']);
    expect(reauthentications(from, 'PLAIN')).toBeGreaterThan(0);
    const wrong = join(dir, 'wrong.properties');
    writeFileSync(wrong, [`security.protocol=SASL_PLAINTEXT`, `sasl.mechanism=PLAIN`, `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${USER}" password="wrong-password";`, ''].join('\n'));
    const refused = await java('org.apache.kafka.tools.consumer.ConsoleConsumer', ['--bootstrap-server', `127.0.0.1:${saslPort}`, '--topic', 'sasl-java', '--from-beginning', '--timeout-ms', '5000', '--command-config', wrong]);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('Authentication failed: Invalid username or password');
  }, 120_000);
});

describe('kafkajs', () => {
  const client = (sasl: SASLOptions) => new Kafka({ clientId: 'sasl-kafkajs', brokers: [`127.0.0.1:${saslPort}`], sasl, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100 }, reauthenticationThreshold: 1000 });

  it('PLAIN and SCRAM-SHA-512: produces, re-authenticates past the session lifetime, reads back', async () => {
    const from = dev.output.length;
    const producer = client({ mechanism: 'scram-sha-512', username: USER, password: PASSWORD }).producer();
    await producer.connect();
    await producer.send({ topic: 'sasl-kafkajs', messages: [{ value: 'k1' }] });
    await new Promise((r) => setTimeout(r, MAX_REAUTH_MS));
    await producer.send({ topic: 'sasl-kafkajs', messages: [{ value: 'k2' }] });
    await producer.disconnect();
    expect(reauthentications(from, 'SCRAM-SHA-512')).toBeGreaterThan(0);
    const consumer = client({ mechanism: 'plain', username: USER, password: PASSWORD }).consumer({ groupId: 'sasl-kafkajs' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'sasl-kafkajs', fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message.value!.toString());
          if (got.length === 2) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(got).toEqual(['k1', 'k2']);
  }, 60_000);

  it('a wrong password is a SASL authentication error', async () => {
    const admin = client({ mechanism: 'scram-sha-512', username: USER, password: 'not-the-password' }).admin();
    await expect(admin.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/);
  });
});
