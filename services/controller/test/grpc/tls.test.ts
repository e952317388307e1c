// TLS and mTLS between GrpcControllerClient and ControllerGrpcServer, with a CA, a
// server certificate (for 127.0.0.1 and localhost) and a client certificate made by
// openssl for this test.

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '@stratus/runtime';
import { ControllerGrpcServer, ControllerUnavailableError, GrpcControllerClient } from '../../src/index.ts';
import { openHarness } from '../support/helpers.ts';

let dir: string;
const file = (name: string): string => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A key and a certificate signed by the test CA, with the given subject alternative names. */
function issue(name: string, san: string, usage: 'serverAuth' | 'clientAuth'): void {
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  const ext = `${name}.ext`;
  execFileSync('sh', ['-c', `printf 'subjectAltName=${san}\\nextendedKeyUsage=${usage}\\n' > ${ext}`], { cwd: dir });
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', ext);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-grpc-tls-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=stratus-test-ca');
  issue('server', 'IP:127.0.0.1,DNS:localhost', 'serverAuth');
  issue('client', 'DNS:broker-1', 'clientAuth');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('TLS', () => {
  it('serves over TLS, and with a CA given requires client certificates signed by it (mTLS)', async () => {
    const h = await openHarness();
    const server = await ControllerGrpcServer.start({
      api: h.controller,
      port: 0,
      tls: { certFile: file('server.crt'), keyFile: file('server.key'), caFile: file('ca.crt') },
    });
    try {
      const client = await GrpcControllerClient.connect({
        target: server.address,
        tls: { caFile: file('ca.crt'), certFile: file('client.crt'), keyFile: file('client.key') },
        random: new SeededRandom(1),
      });
      const [r] = await client.createTopics([{ name: 'secure', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false });
      expect(r!.errorCode).toBe(0);
      expect(client.metadata().topics.map((t) => t.name)).toEqual(['secure']);
      await client.close();

      // Without a client certificate, or in plaintext: no metadata, a clear unavailable error.
      const noCert = await GrpcControllerClient.connect({ target: server.address, tls: { caFile: file('ca.crt') }, connectTimeoutMs: 1000 }).catch((e: unknown) => e);
      expect(noCert).toBeInstanceOf(ControllerUnavailableError);
      const plain = await GrpcControllerClient.connect({ target: server.address, connectTimeoutMs: 1000 }).catch((e: unknown) => e);
      expect(plain).toBeInstanceOf(ControllerUnavailableError);
    } finally {
      await server.close();
      await h.controller.close();
    }
  });

  it('checks the server certificate against the client CA and the name asked for', async () => {
    const h = await openHarness();
    const server = await ControllerGrpcServer.start({ api: h.controller, port: 0, tls: { certFile: file('server.crt'), keyFile: file('server.key') } });
    try {
      const ok = await GrpcControllerClient.connect({ target: `localhost:${server.port}`, tls: { caFile: file('ca.crt') } });
      expect(ok.metadata().clusterId).toBe(h.controller.metadata().clusterId);
      await ok.close();
      const wrongName = await GrpcControllerClient.connect({
        target: server.address,
        tls: { caFile: file('ca.crt'), serverName: 'controller.elsewhere' },
        connectTimeoutMs: 1000,
      }).catch((e: unknown) => e);
      expect(wrongName).toBeInstanceOf(ControllerUnavailableError);
      // The server's own certificate is no CA: trusting it alone does not verify the chain.
      const untrusted = await GrpcControllerClient.connect({ target: server.address, tls: { caFile: file('client.crt') }, connectTimeoutMs: 1000 }).catch((e: unknown) => e);
      expect(untrusted).toBeInstanceOf(ControllerUnavailableError);
    } finally {
      await server.close();
      await h.controller.close();
    }
  });
});
