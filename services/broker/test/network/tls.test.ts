// SSL listeners of the KafkaServer with real TLS clients (node:tls, openssl-made
// certificates): the handshake, client authentication (none / requested / required) and the
// principal it gives the connection's session, the wrong client on each kind of port, the
// handshake timeout, TLS versions, and certificates reloaded from their files.

import { copyFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionInfo, DispatchResult } from '../../src/dispatcher.ts';
import { SslPrincipalMapper } from '../../src/auth/tls/principal-mapping.ts';
import { ReloadingTlsContext } from '../../src/network/index.ts';
import type { KafkaServerOptions, ListenerTls, SslClientAuth, TlsProblem } from '../../src/network/index.ts';
import { makeCertificate, makeTestCa } from '../support/tls-certs.ts';
import type { TestCa, TestCertificate } from '../support/tls-certs.ts';
import { idOf, quiet, request, respond, startServer, stopAllServers, until } from './support/harness.ts';

let ca: TestCa;
let otherCa: TestCa;
let server: TestCertificate;
let alice: TestCertificate;
let stranger: TestCertificate;

beforeAll(async () => {
  ca = await makeTestCa();
  otherCa = await makeTestCa({ name: 'other-ca' });
  server = await makeCertificate(ca, { name: 'server', altNames: 'DNS:localhost,IP:127.0.0.1' });
  alice = await makeCertificate(ca, { name: 'alice', subject: '/C=US/O=Example/OU=ServiceUsers/CN=Alice' });
  stranger = await makeCertificate(otherCa, { name: 'stranger', subject: '/CN=stranger' });
}, 30_000);
afterAll(async () => {
  await ca.dispose();
  await otherCa.dispose();
});

const contexts: ReloadingTlsContext[] = [];
afterEach(async () => {
  await stopAllServers();
  for (const c of contexts.splice(0)) c.close();
});

function listenerTls(clientAuth: SslClientAuth, rules = 'RULE:^CN=([^,]+),OU=ServiceUsers,.*$/$1/L,DEFAULT', files = { certFile: server.certFile, keyFile: server.keyFile, caFile: ca.certFile }): ListenerTls {
  const context = new ReloadingTlsContext({ ...files, reloadIntervalMs: 0 });
  contexts.push(context);
  return { context, clientAuth, principalMapper: new SslPrincipalMapper(rules) };
}

/** A server with an SSL listener and a PLAINTEXT one; every connection's session is recorded by its dispatch. */
async function start(t: ListenerTls, extra: Pick<KafkaServerOptions, 'tlsHandshakeTimeoutMs' | 'maxConnections'> = {}) {
  const sessions: ConnectionInfo[] = [];
  const problems: TlsProblem[] = [];
  const started = await startServer(
    async (frame, conn): Promise<DispatchResult> => {
      sessions.push(conn);
      return respond(idOf(frame));
    },
    {
      listeners: [
        { name: 'SSL', host: '127.0.0.1', port: 0, securityProtocol: 'SSL', tls: t },
        { name: 'PLAINTEXT', host: '127.0.0.1', port: 0 },
      ],
      onTlsProblem: (p) => problems.push(p),
      ...extra,
    },
  );
  return { ...started, ssl: started.ports.get('SSL')!, plain: started.ports.get('PLAINTEXT')!, sessions, problems };
}

interface TlsOutcome {
  /** The response's id to one request, or undefined when the connection failed. */
  readonly answered: number | undefined;
  readonly error: string | undefined;
  readonly serial: string | undefined;
  readonly protocol: string | null | undefined;
}

/** Connects with TLS, sends request 7, and reports what happened. */
function tlsRequest(port: number, o: { cert?: TestCertificate; ca?: string; minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion } = {}): Promise<TlsOutcome> {
  return new Promise((resolve) => {
    let serial: string | undefined;
    let protocol: string | null | undefined;
    let received = Buffer.alloc(0);
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: o.ca ?? ca.certPem,
      ...(o.cert === undefined ? {} : { cert: o.cert.certPem, key: o.cert.keyPem }),
      ...(o.minVersion === undefined ? {} : { minVersion: o.minVersion }),
      ...(o.maxVersion === undefined ? {} : { maxVersion: o.maxVersion }),
    });
    const finish = (error: string | undefined): void => {
      socket.destroy();
      resolve({ answered: received.length >= 8 ? received.readInt32BE(4) : undefined, error, serial, protocol });
    };
    socket.once('secureConnect', () => {
      serial = socket.getPeerX509Certificate()?.serialNumber;
      protocol = socket.getProtocol();
      socket.write(request(7));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 8) finish(undefined);
    });
    socket.once('error', (e: Error & { code?: string }) => finish(e.code ?? e.message));
    socket.once('close', () => finish('closed'));
  });
}

/** Request 9 over plain TCP; the answer's id. */
function plainRequest(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(request(9)));
    s.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= 8) {
        s.destroy();
        resolve(got.readInt32BE(4));
      }
    });
    s.on('error', reject);
  });
}

/** A plain TCP client that sends `bytes` and waits for the server to close; resolves with what it received. */
function plainExchange(port: number, bytes: Buffer | undefined): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      if (bytes !== undefined) s.write(bytes);
    });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

describe('SSL listener', () => {
  it('serves TLS clients beside a PLAINTEXT listener; without client authentication the principal is User:ANONYMOUS', async () => {
    const { ssl, plain, sessions, server: srv } = await start(listenerTls('none'));
    // The PLAINTEXT listener of the same server answers plain Kafka frames.
    const plainAnswer = await plainRequest(plain);
    expect(plainAnswer).toBe(9);
    expect(sessions[0]!.session!.securityProtocol).toBe('PLAINTEXT');
    sessions.length = 0;
    const outcome = await tlsRequest(ssl, { cert: alice });
    expect(outcome).toMatchObject({ answered: 7, error: undefined, serial: server.serial });
    expect(sessions[0]!.listenerName).toBe('SSL');
    expect(sessions[0]!.session!.securityProtocol).toBe('SSL');
    expect(sessions[0]!.session!.principal).toEqual({ type: 'User', name: 'ANONYMOUS' });
    expect(srv.stats().connectionsAccepted).toBeGreaterThanOrEqual(1);
  });

  it('required: the certificate subject through the mapping rules is the principal; without a certificate, or one from another CA, the connection fails', async () => {
    const { ssl, sessions, problems, server: srv } = await start(listenerTls('required'));
    expect(await tlsRequest(ssl, { cert: alice })).toMatchObject({ answered: 7, error: undefined });
    expect(sessions[0]!.session!.principal).toEqual({ type: 'User', name: 'alice' });
    expect(sessions[0]!.session!.securityProtocol).toBe('SSL');

    const none = await tlsRequest(ssl);
    expect(none.answered).toBeUndefined();
    const foreign = await tlsRequest(ssl, { cert: stranger });
    expect(foreign.answered).toBeUndefined();
    await until(() => srv.stats().tlsHandshakeFailures === 2, 'two handshake failures counted');
    expect(problems).toHaveLength(2);
    expect(sessions).toHaveLength(1);
    expect(srv.stats().connectionsOpen).toBe(0);
  });

  it('requested: without a certificate User:ANONYMOUS, with one its mapped name, one from another CA refused', async () => {
    const { ssl, sessions, server: srv } = await start(listenerTls('requested'));
    expect(await tlsRequest(ssl)).toMatchObject({ answered: 7 });
    expect(sessions[0]!.session!.principal).toEqual({ type: 'User', name: 'ANONYMOUS' });
    expect(await tlsRequest(ssl, { cert: alice })).toMatchObject({ answered: 7, error: undefined });
    expect(sessions[1]!.session!.principal).toEqual({ type: 'User', name: 'alice' });
    expect((await tlsRequest(ssl, { cert: stranger })).answered).toBeUndefined();
    await until(() => srv.stats().tlsHandshakeFailures === 1, 'the foreign certificate refused');
    expect(sessions).toHaveLength(2);
  });

  it('resumes a TLS session with client authentication on (Java\'s second connection to a broker does), keeping the principal', async () => {
    const { ssl, sessions } = await start(listenerTls('required'));
    const session = await new Promise<Buffer>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: ssl, servername: 'localhost', ca: ca.certPem, cert: alice.certPem, key: alice.keyPem, maxVersion: 'TLSv1.2' });
      s.once('session', (sess: Buffer) => {
        s.destroy();
        resolve(sess);
      });
      s.once('error', reject);
    });
    const resumed = await new Promise<boolean>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: ssl, servername: 'localhost', ca: ca.certPem, cert: alice.certPem, key: alice.keyPem, maxVersion: 'TLSv1.2', session });
      s.once('secureConnect', () => s.write(request(5)));
      s.once('data', () => {
        const reused = s.isSessionReused();
        s.destroy();
        resolve(reused);
      });
      s.once('error', reject);
    });
    expect(resumed).toBe(true);
    expect(sessions.at(-1)!.session!.principal).toEqual({ type: 'User', name: 'alice' });
  });

  it('DEFAULT rules: the principal is the subject in RFC 2253 form; a subject no rule applies to is refused', async () => {
    const first = await start(listenerTls('required', 'DEFAULT'));
    expect(await tlsRequest(first.ssl, { cert: alice })).toMatchObject({ answered: 7 });
    expect(first.sessions[0]!.session!.principal.name).toBe('CN=Alice,OU=ServiceUsers,O=Example,C=US');

    const strict = await start(listenerTls('required', 'RULE:^CN=([^,]+),OU=Admins,.*$/$1/'));
    expect((await tlsRequest(strict.ssl, { cert: alice })).answered).toBeUndefined();
    await until(() => strict.problems.length === 1, 'the unmapped subject reported');
    expect(strict.problems[0]!.reason).toMatch(/no ssl principal mapping rule applies to "CN=Alice,OU=ServiceUsers,O=Example,C=US"/);
  });

  it('a plaintext client on the TLS port is closed and reported once; so is a TLS client on the plaintext port', async () => {
    const { ssl, plain, problems, server: srv } = await start(listenerTls('none'));
    const back = await plainExchange(ssl, request(1));
    // A TLS alert or nothing, then the close — never a Kafka answer.
    expect(back.length === 0 || back.readUInt8(0) === 0x15).toBe(true);
    await until(() => problems.length === 1, 'the plaintext client reported');
    expect(problems[0]).toMatchObject({ listenerName: 'SSL' });
    expect(problems[0]!.reason).toMatch(/not a TLS client/);
    expect(srv.stats().tlsHandshakeFailures).toBe(1);

    const onPlain = await tlsRequest(plain);
    expect(onPlain.answered).toBeUndefined();
    await until(() => problems.length === 2, 'the TLS client reported');
    expect(problems[1]).toMatchObject({ listenerName: 'PLAINTEXT' });
    expect(problems[1]!.reason).toMatch(/TLS handshake on a plaintext listener/);
    expect(srv.stats().tlsOnPlaintext).toBe(1);
    await quiet(50);
    expect(problems).toHaveLength(2);
    expect(srv.stats().connectionsOpen).toBe(0);
  });

  it('a client that never finishes its handshake is closed after tlsHandshakeTimeoutMs and holds no slot meanwhile beyond it', async () => {
    const { ssl, problems, server: srv } = await start(listenerTls('none'), { tlsHandshakeTimeoutMs: 300 });
    const began = Date.now();
    // Half a ClientHello record header, then silence.
    const back = await plainExchange(ssl, Buffer.from([0x16, 0x03]));
    expect(Date.now() - began).toBeGreaterThanOrEqual(250);
    expect(back.length).toBe(0);
    await until(() => srv.stats().tlsHandshakeTimeouts === 1, 'the timeout counted');
    expect(problems[0]!.reason).toMatch(/not finished within 300 ms/);
    expect(srv.stats().tlsHandshakeFailures).toBe(0);
  });

  it('a connection in its handshake holds a slot of maxConnections until it finishes or times out', async () => {
    const { ssl, server: srv } = await start(listenerTls('none'), { tlsHandshakeTimeoutMs: 400, maxConnections: 1 });
    const silent = net.connect({ host: '127.0.0.1', port: ssl });
    silent.on('error', () => undefined);
    await new Promise((r) => silent.once('connect', r));
    await quiet(50);
    // The silent handshake holds the only slot: a second client is refused at accept.
    expect((await tlsRequest(ssl)).answered).toBeUndefined();
    expect(srv.stats().connectionsRefused).toBe(1);
    await until(() => srv.stats().tlsHandshakeTimeouts === 1, 'the silent handshake timed out');
    expect(await tlsRequest(ssl)).toMatchObject({ answered: 7 });
    silent.destroy();
  });

  it('refuses TLS 1.1 and below; negotiates 1.3 by default and accepts 1.2', async () => {
    const { ssl } = await start(listenerTls('none'));
    const old = await tlsRequest(ssl, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
    expect(old.answered).toBeUndefined();
    expect((await tlsRequest(ssl)).protocol).toBe('TLSv1.3');
    expect(await tlsRequest(ssl, { maxVersion: 'TLSv1.2' })).toMatchObject({ answered: 7, protocol: 'TLSv1.2' });
  });

  it('reloads the certificate when its files change: new connections see the new one; a broken new set keeps the old and is reported once', async () => {
    const dir = ca.dir;
    const certFile = `${dir}/rotating.pem`;
    const keyFile = `${dir}/rotating-key.pem`;
    const first = await makeCertificate(ca, { name: 'rotating', altNames: 'DNS:localhost' });
    const reloads: string[] = [];
    const failures: string[] = [];
    const context = new ReloadingTlsContext({ certFile, keyFile, caFile: ca.certFile, reloadIntervalMs: 50, onReload: (s) => reloads.push(s.serialNumber), onReloadFailed: (e) => failures.push(e.message) });
    contexts.push(context);
    const { ssl } = await start({ context, clientAuth: 'none', principalMapper: new SslPrincipalMapper() });
    expect((await tlsRequest(ssl)).serial).toBe(first.serial);

    // Both files replaced in one go (no poll between two synchronous writes), as a Secret's
    // symlink swap does.
    const second = await makeCertificate(ca, { name: 'rotating-next', altNames: 'DNS:localhost' });
    expect(second.serial).not.toBe(first.serial);
    writeFileSync(certFile, second.certPem);
    writeFileSync(keyFile, second.keyPem);
    await until(() => reloads.length === 1, 'the new certificate loaded', 5_000);
    expect(reloads[0]).toBe(second.serial);
    expect((await tlsRequest(ssl)).serial).toBe(second.serial);

    // A key that does not match the certificate: the old context stays, one report.
    const unrelated = await makeCertificate(ca, { name: 'unrelated' });
    copyFileSync(unrelated.keyFile, keyFile);
    await until(() => failures.length === 1, 'the broken set reported', 5_000);
    await quiet(300);
    expect(failures).toHaveLength(1);
    expect(failures[0]).not.toContain('PRIVATE KEY');
    expect((await tlsRequest(ssl)).serial).toBe(second.serial);

    // Fixed again: loaded.
    writeFileSync(keyFile, second.keyPem);
    await until(() => reloads.length === 2, 'the repaired set loaded', 5_000);
    expect((await tlsRequest(ssl)).serial).toBe(second.serial);
  });
});
