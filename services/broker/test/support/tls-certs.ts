// Test certificates made by openssl in a temporary directory (never committed keys): a CA,
// and server or client certificates it signs. Each file is PEM, as Stratus and the Kafka
// clients (kcat, Java with ssl.*.type=PEM, kafkajs) read them.
// (Copied to test/support/tls-certs.ts for the tests of whole processes, which cannot import
// a package's tests; keep the two identical.)

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const DAYS = 2;

export interface TestCa {
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  /** Removes the directory and everything made in it. */
  dispose(): Promise<void>;
}

export interface TestCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** The serial number openssl gave it, upper-case hex as node:crypto's X509Certificate.serialNumber writes it. */
  readonly serial: string;
}

let made = 0;

/** A self-signed CA in a new temporary directory (or `dir`). */
export async function makeTestCa(options: { readonly dir?: string; readonly name?: string } = {}): Promise<TestCa> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'stratus-tls-'));
  const name = options.name ?? 'ca';
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', String(DAYS), '-subj', `/CN=Stratus test ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return {
    dir,
    certFile,
    keyFile,
    certPem: readFileSync(certFile, 'utf8'),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CertificateRequest {
  /** File name stem in the CA's directory. */
  readonly name: string;
  /** openssl -subj form: `/O=Example/CN=alice`. Default `/CN=<name>`. */
  readonly subject?: string;
  /** Subject alternative names (server certificates: `DNS:localhost,IP:127.0.0.1`). */
  readonly altNames?: string;
}

/** A certificate signed by `ca`, with its key, in the CA's directory (files overwritten if they exist). */
export async function makeCertificate(ca: TestCa, req: CertificateRequest): Promise<TestCertificate> {
  const keyFile = join(ca.dir, `${req.name}-key.pem`);
  const certFile = join(ca.dir, `${req.name}.pem`);
  const csr = join(ca.dir, `${req.name}-${++made}.csr`);
  const ext = join(ca.dir, `${req.name}-${made}.ext`);
  writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n${req.altNames === undefined ? '' : `subjectAltName=${req.altNames}\n`}`);
  await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', req.subject ?? `/CN=${req.name}`]);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', `0x${randomSerial()}`, '-days', String(DAYS), '-out', certFile, '-extfile', ext]);
  rmSync(csr);
  rmSync(ext);
  const { stdout } = await run('openssl', ['x509', '-in', certFile, '-noout', '-serial']);
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8'), serial: stdout.trim().replace(/^serial=/, '').toUpperCase() };
}

/** A serial openssl and node agree on writing: 16 hex digits, the first 1-7 (positive, no leading zero). */
function randomSerial(): string {
  const hex = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${(1 + (parseInt(hex[0]!, 16) % 7)).toString(16)}${hex.slice(1)}`;
}
