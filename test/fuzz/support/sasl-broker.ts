// The `stratus dev` the SASL fuzzer runs against: a SASL_PLAINTEXT listener (CLEAR) and a
// SASL_SSL one (SECURE, a certificate from a test CA openssl makes in a temp directory),
// PLAIN and SCRAM-SHA-256/512 enabled, two bootstrap users with random passwords (admin
// from the environment, bob from the config file), sessions that must re-authenticate
// (KIP-368), a short failure delay, and a failure limiter whose window is short enough to
// watch it lock an address out and let it in again. The fuzz budgets and timeouts are the
// broker fuzzer's (FUZZ_BROKER_ENV); the log is at debug, so that the secret check reads
// every line the broker can write.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { freePort, STRATUS_NODE_FLAGS } from '../../support/stratus-process.ts';
import { makeCertificate, makeTestCa } from '../../support/tls-certs.ts';
import type { TestCa } from '../../support/tls-certs.ts';
import { FUZZ_BROKER_ENV } from './context.ts';
import type { SaslTarget } from './sasl-cases.ts';
import type { SaslEndpoints } from './sasl-runner.ts';

const MAIN = join(import.meta.dirname, '..', '..', '..', 'services', 'cli', 'src', 'main.ts');
const READY_TIMEOUT_MS = 30_000;

/** The SASL settings of the broker under test, which the cases' expectations follow. */
export const SASL_FUZZ_SETTINGS = {
  mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const,
  /** connections.max.reauth.ms: long enough that kafkajs (10 s threshold) re-authenticates every 5 s. */
  maxReauthMs: 15_000,
  failedAuthenticationDelayMs: 20,
  /** Per client address and window; the fuzz spreads its failures over FUZZ_ADDRESSES addresses, far below it. */
  maxFailuresPerAddress: 100,
  failureWindowMs: 5_000,
  scramIterations: 4096,
} as const;

/** The first bytes node:tls sends: a real ClientHello, to send where TLS is not spoken. */
export async function captureClientHello(): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const got = new Promise<Buffer>((resolve) => server.once('connection', (s) => s.once('data', (d: Buffer) => (resolve(d), s.destroy()))));
  const client = tls.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, servername: 'localhost', rejectUnauthorized: false });
  client.on('error', () => undefined);
  const hello = await got;
  client.destroy();
  server.close();
  return hello;
}

export interface SaslUser {
  readonly name: string;
  readonly password: string;
}

export class SaslFuzzBroker {
  readonly host = '127.0.0.1';
  output = '';
  private readonly exited: Promise<void>;

  readonly child: ChildProcess;
  readonly ca: TestCa;
  readonly clearPort: number;
  readonly securePort: number;
  readonly httpPort: number;
  readonly users: { readonly admin: SaslUser; readonly bob: SaslUser };

  private constructor(child: ChildProcess, ca: TestCa, ports: { clear: number; secure: number; http: number }, users: { readonly admin: SaslUser; readonly bob: SaslUser }) {
    this.child = child;
    this.ca = ca;
    this.clearPort = ports.clear;
    this.securePort = ports.secure;
    this.httpPort = ports.http;
    this.users = users;
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(extraEnv: Readonly<Record<string, string>> = {}): Promise<SaslFuzzBroker> {
    const ca = await makeTestCa();
    const cert = await makeCertificate(ca, { name: 'broker', altNames: 'DNS:localhost,IP:127.0.0.1' });
    const [clearPort, securePort, httpPort] = [await freePort(), await freePort(), await freePort()];
    // Passwords of letters and digits only: a leak shows as the password itself, not escaped.
    const users = { admin: { name: 'admin', password: randomBytes(18).toString('hex') }, bob: { name: 'bob', password: randomBytes(18).toString('hex') } };
    const s = SASL_FUZZ_SETTINGS;
    const config = join(ca.dir, 'stratus.yaml');
    writeFileSync(
      config,
      [
        'kafka:',
        `  listeners: CLEAR://127.0.0.1:${clearPort},SECURE://127.0.0.1:${securePort}`,
        '  listenerSecurityProtocolMap: CLEAR:SASL_PLAINTEXT,SECURE:SASL_SSL',
        '  ssl:',
        `    certFile: ${cert.certFile}`,
        `    keyFile: ${cert.keyFile}`,
        'sasl:',
        `  mechanisms: [${s.mechanisms.join(', ')}]`,
        `  users: [{ name: ${users.bob.name}, password: ${users.bob.password} }]`,
        `  maxReauth: ${s.maxReauthMs}ms`,
        `  failedAuthenticationDelay: ${s.failedAuthenticationDelayMs}ms`,
        `  maxFailuresPerAddress: ${s.maxFailuresPerAddress}`,
        `  failureWindow: ${s.failureWindowMs}ms`,
        `  scramIterations: ${s.scramIterations}`,
        '',
      ].join('\n'),
    );
    mkdirSync(join(ca.dir, 'heap'));
    const child = spawn(process.execPath, [...STRATUS_NODE_FLAGS, MAIN, 'dev', '--config', config, '--data-dir', join(ca.dir, 'data'), '--http-port', String(httpPort)], {
      env: {
        ...process.env,
        // SIGUSR2 writes a heap snapshot there (heapStrings).
        NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${join(ca.dir, 'heap')}`,
        ...FUZZ_BROKER_ENV,
        STRATUS_LOG_LEVEL: 'debug',
        STRATUS_LOG_PRETTY: 'false',
        STRATUS_SASL_ADMIN_USER: users.admin.name,
        STRATUS_SASL_ADMIN_PASSWORD: users.admin.password,
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const broker = new SaslFuzzBroker(child, ca, { clear: clearPort, secure: securePort, http: httpPort }, users);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (!broker.alive) throw new Error(`stratus dev exited before it was ready:\n${broker.output.slice(-4000)}`);
      if (await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false)) return broker;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`stratus dev not ready in ${READY_TIMEOUT_MS} ms:\n${broker.output.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the cases need to know of this broker. */
  target(clientHello: Buffer): SaslTarget {
    return { mechanisms: SASL_FUZZ_SETTINGS.mechanisms, users: this.users, sessionLifetimeMs: SASL_FUZZ_SETTINGS.maxReauthMs, clientHello };
  }

  /** Where the cases connect, and the TLS client settings for the SASL_SSL listener. */
  get endpoints(): SaslEndpoints {
    return { host: this.host, clearPort: this.clearPort, securePort: this.securePort, tls: { ca: [this.ca.certPem], servername: 'localhost' } };
  }

  get passwords(): readonly string[] {
    return [this.users.admin.password, this.users.bob.password];
  }

  async rssBytes(): Promise<number> {
    const status = await readFile(`/proc/${this.child.pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : 0;
  }

  /**
   * The strings in the broker's heap: a heap snapshot (V8 collects garbage first, so only
   * what is still referenced) read back and removed. Seconds, and tens of MB on disk.
   */
  async heapStrings(): Promise<string[]> {
    const dir = join(this.ca.dir, 'heap');
    for (const f of readdirSync(dir)) rmSync(join(dir, f));
    this.child.kill('SIGUSR2');
    const deadline = Date.now() + 60_000;
    let size = -1;
    for (;;) {
      if (Date.now() > deadline) throw new Error('no heap snapshot within 60 s');
      await new Promise((r) => setTimeout(r, 500));
      const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'));
      if (file === undefined) continue;
      // Complete once its size stops changing (V8 writes it in one go, but in pieces).
      const text = readFileSync(join(dir, file), 'utf8');
      if (text.length !== size || !text.trimEnd().endsWith('}')) {
        size = text.length;
        continue;
      }
      rmSync(join(dir, file));
      return (JSON.parse(text) as { strings: string[] }).strings;
    }
  }

  /** SIGTERM, wait for the exit, remove the CA and the data. */
  async stop(): Promise<void> {
    if (this.alive) this.child.kill('SIGTERM');
    await this.exited;
    await this.ca.dispose();
  }
}
