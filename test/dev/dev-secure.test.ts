// `stratus dev --secure`, the one-command secure start, used the way its output says:
// the kcat flags it prints produce and consume over SASL_SSL with SCRAM-SHA-512, and so do
// Kafka's own console tools with the client.properties it writes; a plaintext client, a TLS
// client without SASL and a wrong password are refused. A restart reuses the CA (same
// ca.pem, so clients keep trusting it) and the generated password without showing it
// again; STRATUS_ADMIN_PASSWORD replaces it and is never printed. Peers: kcat (librdkafka),
// Apache Kafka's console tools (test/peers/kafka-bin.sh).

import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, STRATUS_NODE_FLAGS } from '../support/stratus-process.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'services', 'cli', 'src', 'main.ts');
const READY_MS = 30_000;

interface Started {
  readonly child: ChildProcess;
  output: string;
  /** stderr alone: the log. */
  log: string;
}

let dir: string;
let dataDir: string;
let kafkaPort: number;
let httpPort: number;
let bin: string;
let current: Started | undefined;

async function startDev(env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, [...STRATUS_NODE_FLAGS, MAIN, 'dev', '--secure', '--data-dir', dataDir, '--kafka-port', String(kafkaPort), '--http-port', String(httpPort)], {
    cwd: dir,
    env: { ...process.env, STRATUS_LOG_LEVEL: 'info', STRATUS_ADMIN_PASSWORD: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const s: Started = { child, output: '', log: '' };
  child.stdout!.on('data', (d: Buffer) => (s.output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    s.output += d.toString();
    s.log += d.toString();
  });
  current = s;
  const deadline = Date.now() + READY_MS;
  // Ready, and the banner (printed right after) is out.
  while (!(s.output.includes('stratus dev is ready') && (await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false)))) {
    if (child.exitCode !== null) throw new Error(`stratus dev --secure exited ${child.exitCode}:\n${s.output}`);
    if (Date.now() > deadline) throw new Error(`stratus dev --secure not ready in ${READY_MS} ms:\n${s.output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return s;
}

async function stopDev(s: Started): Promise<number | null> {
  if (s.child.exitCode !== null) return s.child.exitCode;
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  s.child.kill('SIGTERM');
  return exited;
}

/** What the banner printed: the kcat flags line, the client.properties path, the password line. */
function printed(output: string): { flags: string; properties: string; password: string; ca: string } {
  const flags = /kcat \(librdkafka\) flags:\n {4}(.+)\n/.exec(output)?.[1];
  const properties = /--command-config (\S+)\n/.exec(output)?.[1];
  const password = /\n {4}Password {10}(.+)\n/.exec(output)?.[1];
  const ca = /\n {4}CA certificate {4}(.+)\n/.exec(output)?.[1];
  if (flags === undefined || properties === undefined || password === undefined || ca === undefined) throw new Error(`no client settings in:\n${output}`);
  return { flags, properties, password, ca };
}

/** A kcat command line with the printed flags, run by a shell (they refer to the password file or variable). */
async function kcat(flags: string, args: string, options: { input?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', `kcat -b 127.0.0.1:${kafkaPort} ${flags} ${args}`], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  bin = (await run('bash', [join(ROOT, 'test/peers/kafka-bin.sh')], { cwd: ROOT, timeout: 300_000 })).stdout.trim();
  dir = mkdtempSync(join(tmpdir(), 'stratus-dev-secure-'));
  dataDir = join(dir, 'data');
  kafkaPort = await freePort();
  httpPort = await freePort();
}, 360_000);

afterAll(async () => {
  if (current !== undefined) await stopDev(current);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('stratus dev --secure', () => {
  let generated = '';
  let first: ReturnType<typeof printed>;
  let caPem = '';

  it('generates the admin password, shows it once, and prints settings that kcat uses to produce and consume over SASL_SSL', { timeout: 120_000 }, async () => {
    const s = await startDev();
    first = printed(s.output);
    const m = /^(\S+) {3}\(generated now, shown this once; saved in (\S+), 0600\)$/.exec(first.password);
    expect(m, first.password).not.toBeNull();
    generated = m![1]!;
    expect(generated.length).toBeGreaterThanOrEqual(16);
    expect(readFileSync(m![2]!, 'utf8').trim()).toBe(generated);
    // Shown on the screen once, never in the log.
    expect(s.output.split(generated).length - 1).toBe(1);
    expect(s.log).not.toContain(generated);
    expect(s.output).toContain('listener SASL_SSL (SASL_SSL)');
    expect(first.ca).toBe(`${join(dataDir, 'tls', 'ca.pem')}  (created now: clients trust this file)`);
    caPem = readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8');
    for (const secret of ['ca-key.pem', 'broker-key.pem', 'admin-password', 'client.properties']) expect((statSync(join(dataDir, 'tls', secret)).mode & 0o777).toString(8), secret).toBe('600');
    expect((statSync(join(dataDir, 'tls')).mode & 0o777).toString(8)).toBe('700');

    const produced = await kcat(first.flags, '-t secure-kcat -P', { input: 'one\ntwo\n' });
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await kcat(first.flags, '-t secure-kcat -C -e -q');
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.trim().split('\n')).toEqual(['one', 'two']);
  });

  it("Kafka's console tools produce and consume with the client.properties it wrote", { timeout: 180_000 }, async () => {
    const props = first.properties;
    expect(readFileSync(props, 'utf8')).toContain('ssl.truststore.type=PEM');
    const bootstrap = `127.0.0.1:${kafkaPort}`;
    const producer = spawn(join(bin, 'kafka-console-producer.sh'), ['--bootstrap-server', bootstrap, '--topic', 'secure-java', '--command-config', props], { stdio: ['pipe', 'pipe', 'pipe'] });
    let producerErr = '';
    producer.stderr.on('data', (d: Buffer) => (producerErr += d.toString()));
    producer.stdin.end('from java 1\nfrom java 2\n');
    const code = await new Promise<number | null>((resolve) => producer.once('exit', resolve));
    expect(code, producerErr).toBe(0);
    const { stdout } = await run(join(bin, 'kafka-console-consumer.sh'), ['--bootstrap-server', bootstrap, '--topic', 'secure-java', '--from-beginning', '--max-messages', '2', '--timeout-ms', '60000', '--command-config', props], { timeout: 120_000 });
    expect(stdout.trim().split('\n')).toEqual(['from java 1', 'from java 2']);
    // What Java wrote, kcat reads (one cluster, one set of credentials).
    const consumed = await kcat(first.flags, '-t secure-java -C -e -q');
    expect(consumed.stdout.trim().split('\n')).toEqual(['from java 1', 'from java 2']);
  });

  it('refuses a plaintext client, a TLS client without SASL, and a wrong password', { timeout: 60_000 }, async () => {
    const plaintext = await kcat('', '-L -m 5');
    expect(plaintext.code).not.toBe(0);
    expect(plaintext.stdout).not.toContain('secure-kcat');
    const ca = join(dataDir, 'tls', 'ca.pem');
    const tlsOnly = await kcat(`-X security.protocol=SSL -X ssl.ca.location=${ca}`, '-L -m 5');
    expect(tlsOnly.code).not.toBe(0);
    expect(tlsOnly.stdout).not.toContain('secure-kcat');
    const wrong = await kcat(`-X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-512 -X sasl.username=admin -X sasl.password=not-the-password -X ssl.ca.location=${ca}`, '-L -m 5');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Authentication failed/i);
  });

  it('a restart reuses ca.pem and the saved password, without showing the password again', { timeout: 120_000 }, async () => {
    expect(await stopDev(current!)).toBe(0);
    const s = await startDev();
    const again = printed(s.output);
    expect(readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8')).toBe(caPem);
    expect(again.ca).toBe(`${join(dataDir, 'tls', 'ca.pem')}  (reused)`);
    expect(again.password).toBe(`in ${join(dataDir, 'tls', 'admin-password')} (generated by an earlier start)`);
    expect(again.flags).toBe(first.flags);
    expect(s.output).not.toContain(generated);
    const consumed = await kcat(again.flags, '-t secure-kcat -C -e -q');
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.trim().split('\n')).toEqual(['one', 'two']);
  });

  it('STRATUS_ADMIN_PASSWORD is the password when set: referred to by name, never printed, the generated one no longer accepted', { timeout: 120_000 }, async () => {
    expect(await stopDev(current!)).toBe(0);
    const password = randomBytes(12).toString('base64url');
    const s = await startDev({ STRATUS_ADMIN_PASSWORD: password });
    const p = printed(s.output);
    expect(p.password).toBe('from STRATUS_ADMIN_PASSWORD');
    expect(p.flags).toContain('-X sasl.password="$STRATUS_ADMIN_PASSWORD"');
    expect(s.output).not.toContain(password);
    const ok = await kcat(p.flags, '-t secure-kcat -C -e -q', { env: { STRATUS_ADMIN_PASSWORD: password } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim().split('\n')).toEqual(['one', 'two']);
    const old = await kcat(first.flags, '-L -m 5');
    expect(old.code).not.toBe(0);
    // A password too short for the schema is refused before anything starts.
    const short = spawn(process.execPath, [...STRATUS_NODE_FLAGS, MAIN, 'dev', '--secure', '--data-dir', join(dir, 'other')], { env: { ...process.env, STRATUS_ADMIN_PASSWORD: 'short' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    short.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await new Promise((resolve) => short.once('exit', resolve))).toBe(2);
    expect(err.trim()).toBe('stratus dev --secure: STRATUS_ADMIN_PASSWORD: at least 8 characters');
    expect(await stopDev(s)).toBe(0);
  });
});
