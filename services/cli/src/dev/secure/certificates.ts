// The certificates of `stratus dev --secure`: a CA of its own and a broker certificate it
// signs, under <data-dir>/tls/. The CA is made once and kept (ca.pem, ca-key.pem), so a
// client that trusts ca.pem keeps trusting every later start; the broker certificate is
// made again when it nears its end, when the names it must carry change (the advertised
// host), or when it was not signed by this CA. Keys are node:crypto's (native RSA);
// node-forge only builds and signs the X.509 structures, which Node cannot. Keys are
// written 0600, in a directory only the user can enter.

import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';

export const TLS_DIR = 'tls';
export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
export const BROKER_CERT_FILE = 'broker.pem';
export const BROKER_KEY_FILE = 'broker-key.pem';

const RSA_BITS = 2048;
const DAY_MS = 86_400_000;
/** The CA outlives many broker certificates: clients import it once. */
const CA_VALID_DAYS = 3650;
const BROKER_VALID_DAYS = 397;
/** A certificate with less than this left is made again at start (the CA too: clients must then trust the new ca.pem). */
const RENEW_BEFORE_DAYS = 30;
const CA_SUBJECT = 'stratus dev CA';
const BROKER_SUBJECT = 'stratus dev broker';

export interface DevTls {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** What this start did with each: made anew (and why), or reused. */
  readonly ca: 'created' | 'reused' | 'renewed';
  readonly broker: 'created' | 'reused' | 'renewed';
  /** The names the broker certificate carries (DNS names and IP addresses). */
  readonly names: readonly string[];
}

/** The CA and a broker certificate for `names` (host names and IP addresses) under dataDir/tls, made or reused. */
export function ensureDevTls(dataDir: string, names: readonly string[], now: Date = new Date()): DevTls {
  const dir = join(dataDir, TLS_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const caFile = join(dir, CA_CERT_FILE);
  const caKeyFile = join(dir, CA_KEY_FILE);
  const certFile = join(dir, BROKER_CERT_FILE);
  const keyFile = join(dir, BROKER_KEY_FILE);
  const wanted = [...new Set(names)].sort();

  let ca: DevTls['ca'] = 'reused';
  const existingCa = existsSync(caFile) && existsSync(caKeyFile) ? new X509Certificate(readFileSync(caFile)) : undefined;
  if (existingCa === undefined || nearEnd(existingCa, now)) {
    ca = existingCa === undefined ? 'created' : 'renewed';
    const made = makeCertificate({ subject: CA_SUBJECT, days: CA_VALID_DAYS, now, ca: true });
    writeKeyThenCert(caKeyFile, made.keyPem, caFile, made.certPem);
  }
  const caCertPem = readFileSync(caFile, 'utf8');
  const caKeyPem = readFileSync(caKeyFile, 'utf8');
  const caCert = new X509Certificate(caCertPem);

  let broker: DevTls['broker'] = 'reused';
  const existing = existsSync(certFile) && existsSync(keyFile) ? new X509Certificate(readFileSync(certFile)) : undefined;
  if (existing === undefined || nearEnd(existing, now) || !existing.checkIssued(caCert) || !existing.verify(caCert.publicKey) || sameNames(existing) !== wanted.join(',')) {
    broker = existing === undefined ? 'created' : 'renewed';
    const made = makeCertificate({ subject: BROKER_SUBJECT, days: BROKER_VALID_DAYS, now, ca: false, names: wanted, issuer: { certPem: caCertPem, keyPem: caKeyPem } });
    writeKeyThenCert(keyFile, made.keyPem, certFile, made.certPem);
  }
  return { dir, caFile, certFile, keyFile, ca, broker, names: wanted };
}

function nearEnd(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS;
}

/** The certificate's subjectAltName entries as the sorted names they are for ("DNS:a, IP Address:1.2.3.4" → "1.2.3.4,a"). */
function sameNames(cert: X509Certificate): string {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
    .filter((n) => n !== '')
    .map((n) => (isIP(n) === 6 ? normalizeIpv6(n) : n))
    .sort()
    .join(',');
}

/** OpenSSL prints IPv6 SANs expanded (0:0:0:0:0:0:0:1); compare in the short form. */
function normalizeIpv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** The key first, so a certificate on disk always has its key (a crash in between remakes both). */
function writeKeyThenCert(keyFile: string, keyPem: string, certFile: string, certPem: string): void {
  writeAtomic(keyFile, keyPem, 0o600);
  writeAtomic(certFile, certPem, 0o644);
}

function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

interface MakeOptions {
  readonly subject: string;
  readonly days: number;
  readonly now: Date;
  readonly ca: boolean;
  readonly names?: readonly string[];
  /** Absent: self-signed. */
  readonly issuer?: { readonly certPem: string; readonly keyPem: string };
}

function makeCertificate(o: MakeOptions): { certPem: string; keyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: RSA_BITS, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // A positive serial of 16 random bytes (RFC 5280: at most 20 octets, positive).
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  // Valid from a minute ago: a client whose clock is a little behind accepts it at once.
  cert.validity.notBefore = new Date(o.now.getTime() - 60_000);
  cert.validity.notAfter = new Date(o.now.getTime() + o.days * DAY_MS);
  const subject = [{ name: 'commonName', value: o.subject }, { name: 'organizationName', value: 'Stratus' }];
  cert.setSubject(subject);
  const issuerCert = o.issuer === undefined ? undefined : forge.pki.certificateFromPem(o.issuer.certPem);
  cert.setIssuer(issuerCert?.subject.attributes ?? subject);
  const extensions: object[] = [{ name: 'subjectKeyIdentifier' }];
  if (o.ca) {
    extensions.push({ name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true });
  } else {
    extensions.push(
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: (o.names ?? []).map((n) => (isIP(n) === 0 ? { type: 2, value: n } : { type: 7, ip: n })) },
    );
  }
  if (issuerCert !== undefined) extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: issuerCert.generateSubjectKeyIdentifier().getBytes() });
  cert.setExtensions(extensions);
  const signingKey = forge.pki.privateKeyFromPem(o.issuer?.keyPem ?? privateKey);
  cert.sign(signingKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKey };
}
