// A real `stratus dev` with http.tls set through its STRATUS_HTTP_TLS_* variables (as a
// Kubernetes pod would get them), asked with curl: the probes answer over https without a
// client certificate, /metrics and the admin REST API only with one from the CA
// (clientAuth required), and plain http gets no answer. Certificates made by openssl here.

import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, STRATUS_NODE_FLAGS } from '../support/stratus-process.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'services', 'cli', 'src', 'main.ts');

let dir: string;
let child: ChildProcess;
let output = '';
let base: string;
const file = (name: string): string => join(dir, name);

function issue(name: string, san: string, usage: string): void {
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  writeFileSync(file(`${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}

/** curl's status code for a GET (0: no HTTP answer). */
function curl(path: string, ...args: string[]): Promise<{ code: number; body: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-s', '-w', '\n%{http_code}', '--max-time', '5', ...args, `${base}${path}`], { encoding: 'utf8' }, (_err, stdout) => {
      const i = stdout.lastIndexOf('\n');
      resolve({ code: Number(stdout.slice(i + 1).trim() || '0'), body: stdout.slice(0, Math.max(i, 0)) });
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stratus-dev-https-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=test-ca'], { cwd: dir, stdio: 'pipe' });
  issue('server', 'IP:127.0.0.1,DNS:localhost', 'serverAuth');
  issue('operator', 'DNS:operator', 'clientAuth');
  const [kafkaPort, httpPort] = [await freePort(), await freePort()];
  base = `https://127.0.0.1:${httpPort}`;
  child = spawn(process.execPath, [...STRATUS_NODE_FLAGS, MAIN, 'dev', '--data-dir', file('data'), '--kafka-port', String(kafkaPort), '--http-port', String(httpPort)], {
    env: {
      ...process.env,
      STRATUS_LOG_LEVEL: 'info',
      STRATUS_HTTP_TLS_CERT_FILE: file('server.crt'),
      STRATUS_HTTP_TLS_KEY_FILE: file('server.key'),
      STRATUS_HTTP_TLS_CA_FILE: file('ca.crt'),
      STRATUS_HTTP_TLS_CLIENT_AUTH: 'required',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 30_000;
  // As a kubelet probes (scheme: HTTPS): the certificate not checked, none presented.
  while ((await curl('/readyz', '-k')).code !== 200) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`stratus dev did not become ready over https:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 60_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('stratus dev with http.tls', () => {
  it('answers the probes over https without a client certificate, the rest only with one', async () => {
    const ca = ['--cacert', file('ca.crt')];
    const operator = [...ca, '--cert', file('operator.crt'), '--key', file('operator.key')];
    expect((await curl('/livez', ...ca)).code).toBe(200);
    expect((await curl('/metrics', ...ca)).code).toBe(401);
    const metrics = await curl('/metrics', ...operator);
    expect(metrics.code).toBe(200);
    expect(metrics.body).toContain('stratus_');
    expect((await curl('/api/v1/health', ...ca)).code).toBe(401);
    expect((await curl('/api/v1/health', ...operator)).code).toBe(200);
    // Plain http on the port gets no HTTP answer.
    base = base.replace('https:', 'http:');
    try {
      expect((await curl('/livez')).code).not.toBe(200);
    } finally {
      base = base.replace('http:', 'https:');
    }
    expect(output).toContain(base);
  });
});
