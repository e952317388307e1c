// The HTTP port over https (http.tls), asked with curl as a prober or an operator would:
// the probes answer without a client certificate (a kubelet's HTTPS probe presents none),
// /metrics and the admin API need one from the CA when clientAuth is required, and a
// rotated certificate is served to new connections. Certificates made by openssl here.

import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp } from '../src/http.ts';
import type { HttpProbes } from '../src/http.ts';
import type { HttpTlsOptions } from '../src/http-tls.ts';

let dir: string;
const file = (name: string): string => join(dir, name);
const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

function newCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
}

function issue(name: string, ca: string, san: string, usage: string): void {
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  execFileSync('sh', ['-c', `printf 'subjectAltName=${san}\\nextendedKeyUsage=${usage}\\n' > ${name}.ext`], { cwd: dir });
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}

/** curl's HTTP status for a GET, 0 when the TLS handshake failed; the extra args choose CA and certificate. (Not spawnSync: the server runs in this process.) */
function curl(url: string, ...args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', ...args, url], { encoding: 'utf8' }, (_err, stdout) => resolve(Number(stdout.trim() || '0')));
  });
}

const probes: HttpProbes = {
  readiness: [{ name: 'ready', problem: () => undefined }],
  liveness: [{ name: 'alive', problem: () => undefined }],
  metrics: async () => ({ contentType: 'text/plain', body: 'stratus_object_store_requests{operation="put",outcome="ok"} 3\n' }),
  api: { prefix: '/api/v1', handle: (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}') },
};

async function serve(tls: HttpTlsOptions): Promise<{ server: Server; base: string }> {
  const { server, port } = await startHttp('127.0.0.1', 0, probes, tls);
  return { server, base: `https://localhost:${port}` };
}

const close = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stratus-http-tls-'));
  newCa('ca');
  newCa('other-ca');
  issue('server', 'ca', 'DNS:localhost,IP:127.0.0.1', 'serverAuth');
  issue('server2', 'other-ca', 'DNS:localhost,IP:127.0.0.1', 'serverAuth');
  issue('operator', 'ca', 'DNS:operator', 'clientAuth');
  issue('stranger', 'other-ca', 'DNS:stranger', 'clientAuth');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('http.tls', () => {
  it('serves https; with clientAuth required, probes answer without a certificate and the rest needs one from the CA', async () => {
    const { server, base } = await serve({ certFile: file('server.crt'), keyFile: file('server.key'), caFile: file('ca.crt'), clientAuth: 'required', reloadInterval: 0 });
    try {
      const ca = ['--cacert', file('ca.crt')];
      const operator = [...ca, '--cert', file('operator.crt'), '--key', file('operator.key')];
      expect(await curl(`${base}/livez`, ...ca)).toBe(200);
      expect(await curl(`${base}/readyz`, ...ca)).toBe(200);
      // As a kubelet probes (scheme: HTTPS): no verification, no client certificate.
      expect(await curl(`${base}/readyz`, '-k')).toBe(200);
      expect(await curl(`${base}/metrics`, ...ca)).toBe(401);
      expect(await curl(`${base}/api/v1/cluster`, ...ca)).toBe(401);
      expect(await curl(`${base}/metrics`, ...ca, '--cert', file('stranger.crt'), '--key', file('stranger.key'))).toBe(401);
      expect(await curl(`${base}/metrics`, ...operator)).toBe(200);
      expect(await curl(`${base}/api/v1/cluster`, ...operator)).toBe(200);
      // Plain http on the https port gets no answer from the handler.
      expect(await curl(base.replace('https', 'http') + '/livez')).not.toBe(200);
      // A client that checks the certificate against another CA refuses the server.
      expect(await curl(`${base}/livez`, '--cacert', file('other-ca.crt'))).toBe(0);
    } finally {
      await close(server);
    }
  });

  it('without client authentication everything answers over https', async () => {
    const { server, base } = await serve({ certFile: file('server.crt'), keyFile: file('server.key'), clientAuth: 'none', reloadInterval: 0 });
    try {
      expect(await curl(`${base}/metrics`, '--cacert', file('ca.crt'))).toBe(200);
    } finally {
      await close(server);
    }
  });

  it('serves a rotated certificate to new connections', async () => {
    copyFileSync(file('server.crt'), file('live.crt'));
    copyFileSync(file('server.key'), file('live.key'));
    const { server, base } = await serve({ certFile: file('live.crt'), keyFile: file('live.key'), clientAuth: 'none', reloadInterval: 100 });
    try {
      expect(await curl(`${base}/livez`, '--cacert', file('ca.crt'))).toBe(200);
      copyFileSync(file('server2.key'), file('live.key'));
      copyFileSync(file('server2.crt'), file('live.crt'));
      await expect.poll(() => curl(`${base}/livez`, '--cacert', file('other-ca.crt')), { timeout: 5000, interval: 100 }).toBe(200);
      expect(await curl(`${base}/livez`, '--cacert', file('ca.crt'))).toBe(0);
    } finally {
      await close(server);
    }
  });

  it("the image's HEALTHCHECK (deploy/healthcheck.mjs) asks /livez over https when http.tls is set", async () => {
    const { server, base } = await serve({ certFile: file('server.crt'), keyFile: file('server.key'), caFile: file('ca.crt'), clientAuth: 'required', reloadInterval: 0 });
    const port = new URL(base).port;
    const healthcheck = (env: Record<string, string>): Promise<number> =>
      new Promise((resolve) => {
        execFile(process.execPath, [join(import.meta.dirname, '..', '..', '..', 'deploy', 'healthcheck.mjs')], { env: { PATH: process.env['PATH'] ?? '', STRATUS_HTTP_PORT: port, ...env } }, (err) => resolve(err === null ? 0 : Number(err.code ?? -1)));
      });
    try {
      expect(await healthcheck({ STRATUS_HTTP_TLS_CERT_FILE: file('server.crt') })).toBe(0);
      // Without the setting it asks over plain http, which an https port does not answer.
      expect(await healthcheck({})).toBe(1);
    } finally {
      await close(server);
    }
  });

  it('stratus admin objects --metrics reads an https /metrics when NODE_EXTRA_CA_CERTS trusts its CA', async () => {
    const { server, base } = await serve({ certFile: file('server.crt'), keyFile: file('server.key'), clientAuth: 'none', reloadInterval: 0 });
    const main = join(import.meta.dirname, '..', 'src', 'main.ts');
    const admin = (env: Record<string, string>): Promise<{ put: number; errors: unknown[] }> =>
      new Promise((resolve, reject) => {
        execFile(process.execPath, [main, 'admin', 'objects', '--metrics', `${base}/metrics`, '--json'], { env: { PATH: process.env['PATH'] ?? '', ...env } }, (_err, stdout, stderr) => {
          try {
            resolve((JSON.parse(stdout) as { requests: { put: number; errors: unknown[] } }).requests);
          } catch {
            reject(new Error(`not JSON: ${stdout} ${stderr}`));
          }
        });
      });
    try {
      expect(await admin({ NODE_EXTRA_CA_CERTS: file('ca.crt') })).toEqual({ put: 3, get: 0, sources: [`${base}/metrics`], byOperation: { put: { ok: 3 } }, errors: [] });
      const untrusted = await admin({});
      expect(untrusted.put).toBe(0);
      expect(untrusted.errors).toHaveLength(1);
    } finally {
      await close(server);
    }
  });

  it('refuses clientAuth without a CA', async () => {
    await expect(startHttp('127.0.0.1', 0, probes, { certFile: file('server.crt'), keyFile: file('server.key'), clientAuth: 'required', reloadInterval: 0 })).rejects.toThrow(/needs caFile/);
  });
});
