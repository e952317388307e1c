// stratus dev --secure's CA and broker certificate (dev/secure/certificates.ts): made once,
// reused while good, the broker certificate made again when its names change or it nears
// its end, both when the CA nears its end — each result checked by OpenSSL (the chain, the
// names, the key matching the certificate), and the keys 0600.

import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDevTls } from '../src/dev/secure/certificates.ts';

const DAY = 86_400_000;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function verified(caFile: string, certFile: string, at: Date): string {
  return execFileSync('openssl', ['verify', '-attime', String(Math.floor(at.getTime() / 1000)), '-purpose', 'sslserver', '-CAfile', caFile, certFile], { encoding: 'utf8' }).trim();
}

describe('stratus dev --secure certificates', () => {
  it('are made once, reused, and made again when the names change or an end nears', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stratus-dev-tls-'));
    dirs.push(dataDir);
    const t0 = new Date();
    const first = ensureDevTls(dataDir, ['localhost', '127.0.0.1', '::1']);
    expect([first.ca, first.broker]).toEqual(['created', 'created']);
    expect(verified(first.caFile, first.certFile, t0)).toBe(`${first.certFile}: OK`);
    const cert = new X509Certificate(readFileSync(first.certFile));
    expect(cert.subjectAltName).toBe('IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost');
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(first.keyFile)))).toBe(true);
    expect(new X509Certificate(readFileSync(first.caFile)).ca).toBe(true);
    expect(cert.ca).toBe(false);
    for (const f of [join(first.dir, 'ca-key.pem'), first.keyFile]) expect((statSync(f).mode & 0o777).toString(8)).toBe('600');

    const ca = readFileSync(first.caFile, 'utf8');
    const again = ensureDevTls(dataDir, ['127.0.0.1', 'localhost', '::1', 'localhost']);
    expect([again.ca, again.broker]).toEqual(['reused', 'reused']);
    expect(readFileSync(first.certFile, 'utf8')).toBe(readFileSync(again.certFile, 'utf8'));

    // An advertised host joins the names: a new broker certificate under the same CA.
    const named = ensureDevTls(dataDir, ['localhost', '127.0.0.1', '::1', 'kafka.example', '10.1.2.3']);
    expect([named.ca, named.broker]).toEqual(['reused', 'renewed']);
    expect(readFileSync(named.caFile, 'utf8')).toBe(ca);
    expect(new X509Certificate(readFileSync(named.certFile)).subjectAltName).toBe('IP Address:10.1.2.3, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:kafka.example, DNS:localhost');
    expect(verified(named.caFile, named.certFile, t0)).toBe(`${named.certFile}: OK`);

    // 380 days on, the broker certificate (397 days) has less than 30 left: made again.
    const later = new Date(t0.getTime() + 380 * DAY);
    const renewed = ensureDevTls(dataDir, named.names, later);
    expect([renewed.ca, renewed.broker]).toEqual(['reused', 'renewed']);
    expect(verified(renewed.caFile, renewed.certFile, later)).toBe(`${renewed.certFile}: OK`);

    // Near the CA's end (3650 days): a new CA, and a broker certificate it signed.
    const much = new Date(t0.getTime() + 3630 * DAY);
    const newCa = ensureDevTls(dataDir, named.names, much);
    expect([newCa.ca, newCa.broker]).toEqual(['renewed', 'renewed']);
    expect(readFileSync(newCa.caFile, 'utf8')).not.toBe(ca);
    expect(verified(newCa.caFile, newCa.certFile, much)).toBe(`${newCa.certFile}: OK`);
  });
});
