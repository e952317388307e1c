// The Redis metadata store and the lease over TLS (rediss://) to a real redis-server
// with a TLS port, its certificate (for 127.0.0.1) signed by a CA openssl makes for this
// test: works with the CA given, fails clearly without it.

import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer, freePort } from '@stratus/controller/testing';
import { RedisControllerLease, openMetadataStore } from '../src/index.ts';
import { collect, rec } from './metadata-store.contract.ts';

let dir: string;
let redis: RedisServer;
let tlsPort: number;
let ca: Buffer;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-redis-tls-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=stratus-test-ca');
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=redis');
  execFileSync('sh', ['-c', "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > server.ext"], { cwd: dir });
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
  ca = await readFile(join(dir, 'ca.crt'));
  tlsPort = await freePort();
  // The plain port stays for the test's own redis-cli; clients of the store use the TLS port.
  redis = await RedisServer.start({
    extraArgs: ['--tls-port', String(tlsPort), '--tls-cert-file', join(dir, 'server.crt'), '--tls-key-file', join(dir, 'server.key'), '--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'no'],
  });
});

afterAll(async () => {
  await redis?.cleanup();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('Redis over TLS', () => {
  it('stores and loads through rediss:// with the CA, and the lease works the same way', async () => {
    const url = `rediss://127.0.0.1:${tlsPort}?prefix=tls:`;
    const a = await openMetadataStore(url, { epoch: 0, redis: { tls: { ca } } });
    await collect((await a.load()).batches);
    expect(await a.append([rec(0)])).toBe(0);
    await a.close();
    expect(await redis.cliRaw('LLEN', 'tls:journal')).toBe('1');
    const b = await openMetadataStore(url, { epoch: 0, redis: { tls: { ca } } });
    expect(await collect((await b.load()).batches)).toEqual([{ seq: 0, records: [rec(0)] }]);
    await b.close();
    const lease = await RedisControllerLease.open({ url: `rediss://127.0.0.1:${tlsPort}?prefix=tls-lease:`, tls: { ca } });
    expect(await lease.acquire('a', 10_000)).toEqual({ acquired: true, epoch: 1 });
    await lease.close();
  });

  it('refuses a server certificate it cannot verify, and plain TCP to the TLS port fails', async () => {
    await expect(openMetadataStore(`rediss://127.0.0.1:${tlsPort}?connectTimeoutMs=2000`, { epoch: 0 })).rejects.toThrow(/is unreachable: .*(self.signed|unable to verify|certificate)/i);
    await expect(openMetadataStore(`redis://127.0.0.1:${tlsPort}?connectTimeoutMs=500`, { epoch: 0 })).rejects.toThrow(/is unreachable/);
  });
});
