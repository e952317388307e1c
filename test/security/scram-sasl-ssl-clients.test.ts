// The client matrix over SASL_SSL for a user that exists only in the controller: `stratus
// dev` with a SASL_SSL listener (TLS from a test CA made with openssl); Kafka's
// kafka-configs.sh, authenticated as the configured admin over that same listener
// (client properties with a PEM truststore), creates the user with a SCRAM-SHA-512
// credential; then each client produces and reads back as that user — kcat (Debian's
// librdkafka) and confluent-kafka-python (PyPI's) with SCRAM-SHA-512, the Java console
// producer and consumer with SCRAM-SHA-512 (client.properties: ssl.truststore.type=PEM),
// kafkajs with PLAIN over TLS (PLAIN checked against the stored SCRAM credential). The
// broker's log shows each as User:app. Peers: test/peers/compat-peers.sh (kcat, Python,
// Apache Kafka's tools), test/peers/kafka-bin.sh.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runTool } from '../compat/support/process.ts';
import { DevProcess, freePort } from '../support/stratus-process.ts';
import { makeCertificate, makeTestCa } from '../support/tls-certs.ts';
import type { TestCa } from '../support/tls-certs.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const PYPI_PYTHON = join(process.env['STRATUS_CACHE'] ?? join(homedir(), '.cache', 'stratus'), 'confluent-kafka-2.16.2', 'bin', 'python');
/** Fresh passwords per run: nothing secret is committed. */
const ADMIN_PASSWORD = randomBytes(12).toString('base64url');
const APP_PASSWORD = randomBytes(12).toString('base64url');

let ca: TestCa;
let dev: DevProcess;
let port = 0;
let bin: string;
let kafkaEnv: Record<string, string> = {};

function clientProperties(name: string, mechanism: string, user: string, password: string): string {
  const module = mechanism === 'PLAIN' ? 'org.apache.kafka.common.security.plain.PlainLoginModule' : 'org.apache.kafka.common.security.scram.ScramLoginModule';
  const file = join(ca.dir, `${name}.properties`);
  writeFileSync(
    file,
    [
      'security.protocol=SASL_SSL',
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${ca.certFile}`,
      `sasl.mechanism=${mechanism}`,
      `sasl.jaas.config=${module} required username="${user}" password="${password}";`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

beforeAll(async () => {
  const peers = run('bash', [join(ROOT, 'test', 'peers', 'compat-peers.sh')], { cwd: ROOT, maxBuffer: 1 << 24, timeout: 600_000 });
  const binning = run('bash', [join(ROOT, 'test', 'peers', 'kafka-bin.sh')], { cwd: ROOT, timeout: 300_000 });
  ca = await makeTestCa();
  const server = await makeCertificate(ca, { name: 'broker', altNames: 'DNS:localhost,IP:127.0.0.1' });
  port = await freePort();
  const config = join(ca.dir, 'stratus.yaml');
  writeFileSync(
    config,
    [
      'kafka:',
      `  listeners: SECURE://127.0.0.1:${port}`,
      '  listenerSecurityProtocolMap: SECURE:SASL_SSL',
      '  ssl:',
      `    certFile: ${server.certFile}`,
      `    keyFile: ${server.keyFile}`,
      'sasl:',
      '  mechanisms: [PLAIN, SCRAM-SHA-512]',
      '',
    ].join('\n'),
  );
  dev = await DevProcess.start({
    config,
    dataDir: join(ca.dir, 'data'),
    readyTimeoutMs: 60_000,
    env: { STRATUS_LOG_LEVEL: 'debug', STRATUS_LOG_PRETTY: 'false', STRATUS_SASL_ADMIN_USER: 'admin', STRATUS_SASL_ADMIN_PASSWORD: ADMIN_PASSWORD },
  });
  kafkaEnv = Object.fromEntries((await peers).stdout.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
  bin = (await binning).stdout.trim();
  // The user exists only once kafka-configs.sh has created it, over SASL_SSL as the admin.
  const admin = clientProperties('admin', 'SCRAM-SHA-512', 'admin', ADMIN_PASSWORD);
  const created = await runTool(join(bin, 'kafka-configs.sh'), ['--bootstrap-server', `127.0.0.1:${port}`, '--command-config', admin, '--alter', '--add-config', `SCRAM-SHA-512=[password=${APP_PASSWORD}]`, '--entity-type', 'users', '--entity-name', 'app']);
  expect(created.stdout.trim(), created.stderr).toBe('Completed updating config for user app.');
}, 600_000);

afterAll(async () => {
  await dev?.stop();
  await ca?.dispose();
  expect(dev?.output ?? '').not.toContain(ADMIN_PASSWORD);
  expect(dev?.output ?? '').not.toContain(APP_PASSWORD);
}, 30_000);

/** Mechanisms User:app authenticated with, from the broker's debug log (from `from`, a length of its output). */
function appLogins(from: number): string[] {
  return (dev.jsonLog(from) as { msg?: string; principal?: string; mechanism: string }[])
    .filter((l) => l.msg === 'SASL authenticated' && l.principal === 'User:app')
    .map((l) => l.mechanism);
}

describe('SASL_SSL clients as a user created by kafka-configs.sh (SCRAM credential in the controller)', () => {
  it('kcat (Debian librdkafka), SCRAM-SHA-512: produces and reads back', async () => {
    const from = dev.output.length;
    const kcat = ['-b', `127.0.0.1:${port}`, '-X', 'security.protocol=sasl_ssl', '-X', `ssl.ca.location=${ca.certFile}`, '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=app', '-X', `sasl.password=${APP_PASSWORD}`];
    const produced = await runTool('kcat', [...kcat, '-P', '-t', 'scram-kcat'], { input: 'a\nb\n' });
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await runTool('kcat', [...kcat, '-C', '-t', 'scram-kcat', '-o', 'beginning', '-e', '-q']);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.trim().split('\n')).toEqual(['a', 'b']);
    expect(appLogins(from)).toContain('SCRAM-SHA-512');
    const wrong = await runTool('kcat', [...kcat.slice(0, -2), '-X', 'sasl.password=not-the-password', '-L', '-m', '5']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Authentication failed/);
  }, 60_000);

  it('confluent-kafka-python (PyPI, librdkafka 2.16), SCRAM-SHA-512: produces and reads back', async () => {
    const from = dev.output.length;
    const script = `
import sys, time
from confluent_kafka import Producer, Consumer
conf = {'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_SSL', 'ssl.ca.location': sys.argv[2], 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'app', 'sasl.password': sys.argv[3]}
p = Producer(conf)
for i in range(3):
    p.produce('scram-python', value=f'p{i}'.encode())
assert p.flush(15) == 0
c = Consumer({**conf, 'group.id': 'scram-python', 'auto.offset.reset': 'earliest'})
c.subscribe(['scram-python'])
got, deadline = [], time.time() + 20
while len(got) < 3 and time.time() < deadline:
    m = c.poll(0.5)
    if m is not None and m.error() is None:
        got.append(m.value().decode())
c.close()
print(','.join(got))
`;
    const r = await runTool(PYPI_PYTHON, ['-c', script, `127.0.0.1:${port}`, ca.certFile, APP_PASSWORD]);
    expect(r.stdout.trim(), r.stderr).toBe('p0,p1,p2');
    expect(appLogins(from)).toContain('SCRAM-SHA-512');
  }, 90_000);

  it('Java console producer and consumer, SCRAM-SHA-512 with a PEM truststore: produce and read back', async () => {
    const from = dev.output.length;
    const props = clientProperties('app', 'SCRAM-SHA-512', 'app', APP_PASSWORD);
    const java = (cls: string, args: string[], input = '') => runTool('bash', [join(ROOT, 'test', 'peers', 'kafka-run.sh'), cls, ...args], { input, env: kafkaEnv });
    const produced = await java('org.apache.kafka.tools.ConsoleProducer', ['--bootstrap-server', `127.0.0.1:${port}`, '--topic', 'scram-java', '--command-config', props], 'j1\nj2\nj3\n');
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await java('org.apache.kafka.tools.consumer.ConsoleConsumer', ['--bootstrap-server', `127.0.0.1:${port}`, '--topic', 'scram-java', '--from-beginning', '--max-messages', '3', '--timeout-ms', '30000', '--command-config', props]);
    expect(consumed.stdout.trim().split('\n'), consumed.stderr).toEqual(['j1', 'j2', 'j3']);
    expect(appLogins(from)).toContain('SCRAM-SHA-512');
  }, 180_000);

  it('kafkajs, PLAIN over TLS (checked against the stored SCRAM credential): produces and reads back', async () => {
    const from = dev.output.length;
    const kafka = new Kafka({ clientId: 'scram-kafkajs', brokers: [`127.0.0.1:${port}`], ssl: { ca: [readFileSync(ca.certFile, 'utf8')] }, sasl: { mechanism: 'plain', username: 'app', password: APP_PASSWORD }, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'scram-kafkajs', messages: [{ value: 'over-tls' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'scram-kafkajs' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'scram-kafkajs', fromBeginning: true });
    const got = await new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) }));
    await consumer.disconnect();
    expect(got).toBe('over-tls');
    expect(appLogins(from)).toContain('PLAIN');
  }, 60_000);
});
