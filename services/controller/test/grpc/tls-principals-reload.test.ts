// The controller's gRPC TLS beyond plain mTLS: an allow-list of client principals
// (grpc.tls.allowedPrincipals, the certificate's subject CN), and certificates followed as
// their files change (cert-manager rotating them) on both the server and the client.
// Certificates are made by openssl for this test, in a temp dir.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChannelCredentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerGrpcServer, ControllerUnavailableError, GrpcControllerClient } from '../../src/index.ts';
import { ControllerServiceClient } from '../../src/grpc/generated/stratus/controller/v1/controller.ts';
import { PemFileCertificateProvider } from '../../src/grpc/tls-files.ts';
import { openHarness } from '../support/helpers.ts';

let dir: string;
const file = (name: string): string => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function newCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
}

/** A key and a certificate signed by `ca`, subject /CN=<cn>, with the given SAN and usage. */
function issue(name: string, ca: string, cn: string, san: string, usage: 'serverAuth' | 'clientAuth'): void {
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=stratus/CN=${cn}`);
  execFileSync('sh', ['-c', `printf 'subjectAltName=${san}\\nextendedKeyUsage=${usage}\\n' > ${name}.ext`], { cwd: dir });
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}

/** Puts a certificate and key in place at `to`.crt/.key, as a rotation rewrites a Secret's files. */
function install(from: string, to: string): void {
  copyFileSync(file(`${from}.crt`), file(`${to}.crt`));
  copyFileSync(file(`${from}.key`), file(`${to}.key`));
}

/** The status of one unary call made with a raw grpc-js client (no retries, no redirects). */
async function callStatus(address: string, credentials: ChannelCredentials): Promise<{ code: number; details: string }> {
  const client = new ControllerServiceClient(address, credentials);
  try {
    return await new Promise((resolve) => {
      client.describeCluster({}, (err: ServiceError | null) => resolve(err === null ? { code: status.OK, details: '' } : { code: err.code, details: err.details }));
    });
  } finally {
    client.close();
  }
}

/** TLS trusting `ca`, presenting `client`'s certificate when given. */
const sslWith = (ca: string, client?: string): ChannelCredentials =>
  ChannelCredentials.createSsl(readFileSync(file(`${ca}.crt`)), client === undefined ? null : readFileSync(file(`${client}.key`)), client === undefined ? null : readFileSync(file(`${client}.crt`)));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stratus-grpc-tls2-'));
  newCa('ca');
  newCa('ca2');
  issue('server', 'ca', 'controller', 'IP:127.0.0.1,DNS:localhost', 'serverAuth');
  issue('server2', 'ca2', 'controller', 'IP:127.0.0.1,DNS:localhost', 'serverAuth');
  issue('broker', 'ca', 'broker', 'DNS:broker', 'clientAuth');
  issue('admin', 'ca', 'stratus-admin', 'DNS:admin', 'clientAuth');
  issue('intruder', 'ca', 'kafka-client', 'DNS:app', 'clientAuth');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('grpc.tls.allowedPrincipals', () => {
  it('lets clients whose certificate CN is listed call, refuses other certificates of the same CA PERMISSION_DENIED', async () => {
    const h = await openHarness();
    const server = await ControllerGrpcServer.start({
      api: h.controller,
      port: 0,
      tls: { certFile: file('server.crt'), keyFile: file('server.key'), caFile: file('ca.crt'), allowedPrincipals: ['broker', 'stratus-admin'] },
    });
    try {
      expect(await callStatus(server.address, sslWith('ca', 'broker'))).toEqual({ code: status.OK, details: '' });
      expect((await callStatus(server.address, sslWith('ca', 'admin'))).code).toBe(status.OK);
      const denied = await callStatus(server.address, sslWith('ca', 'intruder'));
      expect(denied.code).toBe(status.PERMISSION_DENIED);
      expect(denied.details).toContain('CN=kafka-client');

      // The controller client: the listed one gets metadata; the other is refused, and says why.
      const ok = await GrpcControllerClient.connect({ target: server.address, tls: { caFile: file('ca.crt'), certFile: file('broker.crt'), keyFile: file('broker.key') } });
      expect(ok.metadata().clusterId).toBe(h.controller.metadata().clusterId);
      await ok.close();
      const errors: unknown[] = [];
      const refused = await GrpcControllerClient.connect({
        target: server.address,
        tls: { caFile: file('ca.crt'), certFile: file('intruder.crt'), keyFile: file('intruder.key') },
        connectTimeoutMs: 1500,
        onError: (e) => errors.push(e),
      }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ControllerUnavailableError);
      expect(errors.some((e) => (e as Partial<ServiceError>).code === status.PERMISSION_DENIED)).toBe(true);
    } finally {
      await server.close();
      await h.controller.close();
    }
  });

  it('with client certificates requested but not required, a client without one is UNAUTHENTICATED', async () => {
    const h = await openHarness();
    const server = await ControllerGrpcServer.start({
      api: h.controller,
      port: 0,
      tls: { certFile: file('server.crt'), keyFile: file('server.key'), caFile: file('ca.crt'), requireClientCert: false, allowedPrincipals: ['broker'] },
    });
    try {
      expect((await callStatus(server.address, sslWith('ca'))).code).toBe(status.UNAUTHENTICATED);
      expect((await callStatus(server.address, sslWith('ca', 'broker'))).code).toBe(status.OK);
    } finally {
      await server.close();
      await h.controller.close();
    }
  });

  it('needs a CA to check certificates against', async () => {
    const h = await openHarness();
    try {
      await expect(ControllerGrpcServer.start({ api: h.controller, port: 0, tls: { certFile: file('server.crt'), keyFile: file('server.key'), allowedPrincipals: ['broker'] } })).rejects.toThrow(/allowedPrincipals needs tls.caFile/);
    } finally {
      await h.controller.close();
    }
  });
});

describe('certificate reload', () => {
  it('the server presents a rotated certificate to new connections; a rotation that does not load keeps the old one', async () => {
    install('server', 'live-server');
    const h = await openHarness();
    const reloaded: (string | null)[] = [];
    const failures: Error[] = [];
    const server = await ControllerGrpcServer.start({
      api: h.controller,
      port: 0,
      tls: { certFile: file('live-server.crt'), keyFile: file('live-server.key'), reloadIntervalMs: 100, onReload: (s) => reloaded.push(s), onReloadFailed: (e) => failures.push(e) },
    });
    try {
      expect((await callStatus(server.address, sslWith('ca'))).code).toBe(status.OK);
      expect((await callStatus(server.address, sslWith('ca2'))).code).toBe(status.UNAVAILABLE);

      // A half-done rotation: the new certificate next to the old key. Refused, reported once, old one served.
      copyFileSync(file('server2.crt'), file('live-server.crt'));
      await expect.poll(() => failures.length, { timeout: 5000 }).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(failures.length).toBe(1);
      expect((await callStatus(server.address, sslWith('ca'))).code).toBe(status.OK);

      // The key arrives: the new certificate (of the new CA) is served.
      copyFileSync(file('server2.key'), file('live-server.key'));
      await expect.poll(() => reloaded.length, { timeout: 5000 }).toBe(1);
      expect(reloaded[0]).toContain('CN=controller');
      expect((await callStatus(server.address, sslWith('ca2'))).code).toBe(status.OK);
      expect((await callStatus(server.address, sslWith('ca'))).code).toBe(status.UNAVAILABLE);
    } finally {
      await server.close();
      await h.controller.close();
    }
  });

  it('the client presents a rotated certificate on its next connection', async () => {
    install('intruder', 'live-client');
    const h = await openHarness();
    const tls = { certFile: file('server.crt'), keyFile: file('server.key'), caFile: file('ca.crt') };
    let server = await ControllerGrpcServer.start({ api: h.controller, port: 0, tls });
    const port = server.port;
    const client = await GrpcControllerClient.connect({
      target: server.address,
      tls: { caFile: file('ca.crt'), certFile: file('live-client.crt'), keyFile: file('live-client.key'), reloadIntervalMs: 100 },
    });
    try {
      // Rotated to the broker's certificate; the controller restarts allowing only that one.
      install('broker', 'live-client');
      await new Promise((r) => setTimeout(r, 400));
      await server.close();
      server = await ControllerGrpcServer.start({ api: h.controller, port, tls: { ...tls, allowedPrincipals: ['broker'] } });
      const [r] = await client.createTopics([{ name: 'after-rotation', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false });
      expect(r!.errorCode).toBe(0);
    } finally {
      await client.close();
      await server.close();
      await h.controller.close();
    }
  });

  it('refuses to start on files that do not load', () => {
    expect(() => new PemFileCertificateProvider({ certFile: file('server.crt'), keyFile: file('broker.key') })).toThrow();
    expect(() => new PemFileCertificateProvider({ certFile: file('server.crt'), keyFile: file('server.key'), caFile: file('server.csr') })).toThrow(/no PEM certificate/);
  });
});
