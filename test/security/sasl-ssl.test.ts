// SASL chosen by the listener map alone (kafka.listenerSecurityProtocolMap, no
// sasl.listeners): a SASL_SSL listener (TLS from a test CA made with openssl, then SASL)
// and a SASL_PLAINTEXT one on a real `stratus dev`. kcat authenticates over TLS with PLAIN
// and SCRAM-SHA-256, produces and reads back; a TLS client without SASL is disconnected on
// the SASL_SSL listener; kafkajs does the same with ssl + sasl; the broker logs the
// principal each authenticated as.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runTool } from '../compat/support/process.ts';
import { DevProcess, freePort } from '../support/stratus-process.ts';
import { makeCertificate, makeTestCa } from '../support/tls-certs.ts';
import type { TestCa } from '../support/tls-certs.ts';

const run = promisify(execFile);
const PASSWORD = randomBytes(12).toString('base64url');

let ca: TestCa;
let dev: DevProcess;
const ports = { plain: 0, secure: 0, clear: 0 };

beforeAll(async () => {
  ca = await makeTestCa();
  const server = await makeCertificate(ca, { name: 'broker', altNames: 'DNS:localhost,IP:127.0.0.1' });
  [ports.plain, ports.secure, ports.clear] = [await freePort(), await freePort(), await freePort()];
  const config = join(ca.dir, 'stratus.yaml');
  writeFileSync(
    config,
    [
      'kafka:',
      `  listeners: PLAINTEXT://127.0.0.1:${ports.plain},SECURE://127.0.0.1:${ports.secure},CLEAR://127.0.0.1:${ports.clear}`,
      '  listenerSecurityProtocolMap: PLAINTEXT:PLAINTEXT,SECURE:SASL_SSL,CLEAR:SASL_PLAINTEXT',
      '  ssl:',
      `    certFile: ${server.certFile}`,
      `    keyFile: ${server.keyFile}`,
      'sasl:',
      '  mechanisms: [PLAIN, SCRAM-SHA-256, SCRAM-SHA-512]',
      '',
    ].join('\n'),
  );
  dev = await DevProcess.start({
    config,
    dataDir: join(ca.dir, 'data'),
    env: { STRATUS_LOG_LEVEL: 'debug', STRATUS_LOG_PRETTY: 'false', STRATUS_SASL_ADMIN_USER: 'alice', STRATUS_SASL_ADMIN_PASSWORD: PASSWORD },
  });
}, 60_000);

afterAll(async () => {
  await dev?.stop();
  await ca?.dispose();
  expect(dev?.output ?? '').not.toContain(PASSWORD);
}, 30_000);

const tls = () => ['-X', 'security.protocol=sasl_ssl', '-X', `ssl.ca.location=${ca.certFile}`];
const creds = (mechanism: string) => ['-X', `sasl.mechanisms=${mechanism}`, '-X', 'sasl.username=alice', '-X', `sasl.password=${PASSWORD}`];

const kcat = (args: string[], input = '') => runTool('kcat', args, { input, timeoutMs: 30_000 });

const authenticated = () => dev.jsonLog().filter((l) => l['msg'] === 'SASL authenticated') as { principal: string; mechanism: string }[];

describe('SASL by the listener map', () => {
  it('SASL_SSL: kcat produces with SCRAM-SHA-256 and reads back with PLAIN over TLS, as User:alice', async () => {
    const produced = await kcat(['-b', `127.0.0.1:${ports.secure}`, ...tls(), ...creds('SCRAM-SHA-256'), '-P', '-t', 'sasl-ssl'], 'a\nb\n');
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await kcat(['-b', `127.0.0.1:${ports.secure}`, ...tls(), ...creds('PLAIN'), '-C', '-t', 'sasl-ssl', '-o', 'beginning', '-e', '-q']);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.trim().split('\n')).toEqual(['a', 'b']);
    expect(authenticated()).toEqual(expect.arrayContaining([expect.objectContaining({ principal: 'User:alice', mechanism: 'SCRAM-SHA-256' }), expect.objectContaining({ principal: 'User:alice', mechanism: 'PLAIN' })]));
  });

  it('SASL_SSL without SASL: the TLS handshake succeeds, then the connection is closed', async () => {
    const r = await kcat(['-b', `127.0.0.1:${ports.secure}`, '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${ca.certFile}`, '-L', '-m', '3']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Disconnected/);
  });

  it('SASL_PLAINTEXT from the map alone requires SASL; PLAINTEXT does not', async () => {
    const refused = await kcat(['-b', `127.0.0.1:${ports.clear}`, '-L', '-m', '3']);
    expect(refused.code).not.toBe(0);
    const served = await kcat(['-b', `127.0.0.1:${ports.clear}`, '-X', 'security.protocol=sasl_plaintext', ...creds('SCRAM-SHA-512'), '-L', '-m', '5']);
    expect(served.code, served.stderr).toBe(0);
    const { stdout } = await run('kcat', ['-b', `127.0.0.1:${ports.plain}`, '-L', '-m', '5']);
    expect(stdout).toContain(`broker 1 at 127.0.0.1:${ports.plain}`);
  });

  it('kafkajs with ssl and sasl (scram-sha-512) produces and reads back', async () => {
    const kafka = new Kafka({ clientId: 'sasl-ssl', brokers: [`127.0.0.1:${ports.secure}`], ssl: { ca: [readFileSync(ca.certFile, 'utf8')] }, sasl: { mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD }, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'sasl-ssl-kafkajs', messages: [{ value: 'over-tls' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'sasl-ssl' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'sasl-ssl-kafkajs', fromBeginning: true });
    const got = await new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) }));
    await consumer.disconnect();
    expect(got).toBe('over-tls');
  }, 30_000);
});
