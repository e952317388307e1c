// `stratus dev` with SSL listeners beside a PLAINTEXT one, against real clients: kcat
// (librdkafka) with security.protocol=ssl, with and without a client certificate where one
// is required; Kafka's Java console producer and consumer over mTLS with PEM stores;
// kafkajs over TLS. The principal each certificate maps to shows in the broker's debug log;
// the wrong client on each kind of port is closed and counted; a rotated certificate is
// what the next connection sees. Certificates are made by openssl in a temp dir.

import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrapeMetrics, sumSeries, until } from '../support/metrics-text.ts';
import { freePort, STRATUS_NODE_FLAGS } from '../support/stratus-process.ts';
import { makeCertificate, makeTestCa } from '../support/tls-certs.ts';
import type { TestCa, TestCertificate } from '../support/tls-certs.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'services', 'cli', 'src', 'main.ts');
const RULES = 'RULE:^CN=([^,]+),OU=ServiceUsers,.*$/$1/L,DEFAULT';

let ca: TestCa;
let server: TestCertificate;
let alice: TestCertificate;
let dataDir: string;
let child: ChildProcess;
let output = '';
let httpPort = 0;
const ports = { plain: 0, ssl: 0, mtls: 0 };

beforeAll(async () => {
  ca = await makeTestCa();
  server = await makeCertificate(ca, { name: 'broker', altNames: 'DNS:localhost,IP:127.0.0.1' });
  alice = await makeCertificate(ca, { name: 'alice', subject: '/C=US/O=Example/OU=ServiceUsers/CN=Alice' });
  dataDir = mkdtempSync(join(tmpdir(), 'stratus-dev-tls-'));
  httpPort = await freePort();
  ports.plain = await freePort();
  ports.ssl = await freePort();
  ports.mtls = await freePort();
  const config = join(dataDir, 'stratus.yaml');
  // SSL: server authentication only; MTLS: the same certificate, client certificates required.
  writeFileSync(
    config,
    [
      'kafka:',
      `  listeners: PLAINTEXT://127.0.0.1:${ports.plain},SSL://127.0.0.1:${ports.ssl},MTLS://127.0.0.1:${ports.mtls}`,
      '  listenerSecurityProtocolMap: PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL',
      '  ssl:',
      `    certFile: ${server.certFile}`,
      `    keyFile: ${server.keyFile}`,
      `    caFile: ${ca.certFile}`,
      `    principalMappingRules: ${RULES}`,
      '    reloadInterval: 500ms',
      '  listenerSsl:',
      '    MTLS:',
      '      clientAuth: required',
      '',
    ].join('\n'),
  );
  child = spawn(process.execPath, [...STRATUS_NODE_FLAGS, MAIN, 'dev', '--config', config, '--data-dir', dataDir, '--http-port', String(httpPort)], {
    cwd: ROOT,
    env: { ...process.env, STRATUS_LOG_LEVEL: 'debug', STRATUS_LOG_PRETTY: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`stratus dev exited:\n${output.slice(-3000)}`);
    if (await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error(`stratus dev with TLS listeners not ready in 30 s:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 90_000);

afterAll(async () => {
  if (child?.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  await ca?.dispose();
}, 30_000);

const sslFlags = (cert?: TestCertificate): string[] => [
  '-X', 'security.protocol=ssl',
  '-X', `ssl.ca.location=${ca.certFile}`,
  ...(cert === undefined ? [] : ['-X', `ssl.certificate.location=${cert.certFile}`, '-X', `ssl.key.location=${cert.keyFile}`]),
];

async function kcat(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(input ?? '');
  });
}

/** Log lines (JSON) whose message matches. */
const logLines = (pattern: RegExp): string[] => output.split('\n').filter((l) => l.startsWith('{') && pattern.test(l));

async function closedBy(reason: string): Promise<number> {
  return sumSeries(await scrapeMetrics(`http://127.0.0.1:${httpPort}/metrics`), 'stratus_kafka_connections_closed', { reason });
}

describe('stratus dev with SSL listeners', () => {
  it('kcat over SSL: metadata names the SSL listener, a record produced over SSL is read back over PLAINTEXT', async () => {
    const meta = await kcat(['-b', `127.0.0.1:${ports.ssl}`, ...sslFlags(), '-L', '-m', '10']);
    expect(meta.stderr).not.toMatch(/SSL handshake failed/);
    expect(meta.code).toBe(0);
    expect(meta.stdout).toContain(`127.0.0.1:${ports.ssl}`);
    expect(meta.stdout).not.toContain(`127.0.0.1:${ports.plain}`);

    const produced = await kcat(['-b', `127.0.0.1:${ports.ssl}`, ...sslFlags(), '-P', '-t', 'tls-kcat', '-m', '10'], 'over-ssl\n');
    expect(produced.code, produced.stderr).toBe(0);
    const read = await kcat(['-b', `127.0.0.1:${ports.plain}`, '-C', '-t', 'tls-kcat', '-o', 'beginning', '-c', '1', '-e', '-m', '20']);
    expect(read.stdout.trim()).toBe('over-ssl');
  }, 60_000);

  it('kcat on the mTLS listener: refused without a client certificate, served with one, whose subject maps to User:alice', async () => {
    const before = await closedBy('tls_handshake_failed');
    const refused = await kcat(['-b', `127.0.0.1:${ports.mtls}`, ...sslFlags(), '-L', '-m', '5']);
    expect(refused.code).not.toBe(0);
    await until('the refused handshake counted', async () => (await closedBy('tls_handshake_failed')) > before);
    expect(logLines(/no client certificate \(ssl.client.auth is required\)/).length).toBeGreaterThan(0);

    const served = await kcat(['-b', `127.0.0.1:${ports.mtls}`, ...sslFlags(alice), '-L', '-m', '10']);
    expect(served.code, served.stderr).toBe(0);
    expect(served.stdout).toContain(`127.0.0.1:${ports.mtls}`);
    expect(logLines(new RegExp(`on listener MTLS: TLSv1\\.[23], principal User:alice`)).length).toBeGreaterThan(0);
    // The SSL listener asks for no certificate: its clients are User:ANONYMOUS.
    expect(logLines(/on listener SSL: TLSv1\.[23], principal User:ANONYMOUS/).length).toBeGreaterThan(0);
    expect(child.exitCode).toBeNull();
  }, 60_000);

  it('Kafka\'s Java console producer and consumer over mTLS with PEM key and trust stores', async () => {
    const bin = (await run('bash', [join(ROOT, 'test/peers/kafka-bin.sh')], { cwd: ROOT })).stdout.trim();
    const props = join(dataDir, 'client.properties');
    writeFileSync(
      props,
      [
        'security.protocol=SSL',
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${ca.certFile}`,
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${join(dataDir, 'alice-keystore.pem')}`,
        '',
      ].join('\n'),
    );
    // A PEM key store is the private key and its certificate chain in one file.
    writeFileSync(join(dataDir, 'alice-keystore.pem'), alice.keyPem + alice.certPem);
    const bootstrap = `127.0.0.1:${ports.mtls}`;
    const producer = spawn(join(bin, 'kafka-console-producer.sh'), ['--bootstrap-server', bootstrap, '--topic', 'tls-java', '--command-config', props], { stdio: ['pipe', 'pipe', 'pipe'] });
    let perr = '';
    producer.stderr.on('data', (d: Buffer) => (perr += d.toString()));
    producer.stdin.end('java-1\njava-2\n');
    const pcode = await new Promise<number | null>((resolve) => producer.on('close', resolve));
    expect(pcode, perr).toBe(0);
    const consumed = await run(join(bin, 'kafka-console-consumer.sh'), ['--bootstrap-server', bootstrap, '--topic', 'tls-java', '--from-beginning', '--max-messages', '2', '--timeout-ms', '30000', '--command-config', props], { timeout: 60_000 });
    expect(consumed.stdout.trim().split('\n'), consumed.stderr.slice(-3000)).toEqual(['java-1', 'java-2']);
  }, 120_000);

  it('kafkajs over TLS produces and reads back', async () => {
    const kafka = new Kafka({ clientId: 'tls-test', brokers: [`127.0.0.1:${ports.ssl}`], ssl: { ca: [ca.certPem], servername: 'localhost' }, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'tls-kafkajs', messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'tls-kafkajs' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'tls-kafkajs', fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${seen.join(',')} only`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.length === 2) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(seen).toEqual(['a', 'b']);
  }, 60_000);

  it('a plaintext client on the SSL port and a TLS client on the PLAINTEXT port are closed, counted and logged, the broker unharmed', async () => {
    const failedBefore = await closedBy('tls_handshake_failed');
    const plainBefore = await closedBy('tls_on_plaintext');
    const plainOnSsl = await kcat(['-b', `127.0.0.1:${ports.ssl}`, '-L', '-m', '3']);
    expect(plainOnSsl.code).not.toBe(0);
    const sslOnPlain = await kcat(['-b', `127.0.0.1:${ports.plain}`, ...sslFlags(), '-L', '-m', '3']);
    expect(sslOnPlain.code).not.toBe(0);
    await until('both counted', async () => (await closedBy('tls_handshake_failed')) > failedBefore && (await closedBy('tls_on_plaintext')) > plainBefore);
    expect(logLines(/on listener SSL closed: not a TLS client/).length).toBeGreaterThan(0);
    expect(logLines(/on listener PLAINTEXT closed: a TLS handshake on a plaintext listener/).length).toBeGreaterThan(0);
    const meta = await kcat(['-b', `127.0.0.1:${ports.plain}`, '-L', '-m', '10']);
    expect(meta.code).toBe(0);
  }, 60_000);

  it('a rotated certificate is what the next connection is served, without a restart', async () => {
    const servedSerial = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: ports.ssl, servername: 'localhost', ca: ca.certPem }, () => {
          const serial = s.getPeerX509Certificate()!.serialNumber;
          s.destroy();
          resolve(serial);
        });
        s.once('error', reject);
      });
    expect(await servedSerial()).toBe(server.serial);
    const next = await makeCertificate(ca, { name: 'broker-next', altNames: 'DNS:localhost,IP:127.0.0.1' });
    writeFileSync(server.certFile, next.certPem);
    writeFileSync(server.keyFile, next.keyPem);
    await until('the new certificate served', async () => (await servedSerial()) === next.serial, 10_000);
    expect(logLines(new RegExp(`TLS certificate reloaded from .*serial ${next.serial}`)).length).toBeGreaterThan(0);
  }, 30_000);
});
