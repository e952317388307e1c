// A listener's TLS context from PEM files — certificate chain, private key, and the CA that
// client certificates must chain to — reloaded when the files change, as cert-manager
// rotates them on Kubernetes (it rewrites the Secret's files in place, through a symlink
// swap). The files are polled (stat every reloadIntervalMs: inotify misses a symlink swap
// of a mounted Secret's directory, and a poll is bounded and simple); on a change they are
// read again and a new context built. Connections accepted afterwards use the new context;
// open ones keep theirs. A new set that does not load (a key that does not match its
// certificate, a half-written file) keeps the old context and is reported once, until the
// files change again.
//
// TLS 1.2 is the minimum and 1.3 the maximum: Node never offers SSLv3, and 1.0/1.1 are
// refused here, as the issue asks (Kafka's default ssl.enabled.protocols is TLSv1.2,TLSv1.3).

import { readFileSync, statSync } from 'node:fs';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';

export const TLS_MIN_VERSION = 'TLSv1.2';
export const DEFAULT_TLS_RELOAD_INTERVAL_MS = 30_000;
/** OpenSSL's session id context of every listener's contexts (at most 32 bytes). */
const SESSION_ID_CONTEXT = 'stratus-kafka-listener';

export interface TlsFiles {
  /** PEM: the server certificate, then its intermediates. */
  readonly certFile: string;
  /** PEM: the private key (unencrypted: a mounted Secret holds it as is). */
  readonly keyFile: string;
  /** PEM: the CA(s) client certificates are verified against. Absent: Node's default roots. */
  readonly caFile?: string | undefined;
}

export interface TlsContextOptions extends TlsFiles {
  /** How often the files' status is checked; 0 disables reloading. Default 30 s. */
  readonly reloadIntervalMs?: number;
  /** A loaded new context (for logs: what it now serves). */
  readonly onReload?: (served: ServedCertificate) => void;
  /** A change that did not load, once per change; the old context stays. */
  readonly onReloadFailed?: (error: Error) => void;
}

/** What a context serves, for logs and tests. */
export interface ServedCertificate {
  readonly subject: string;
  readonly serialNumber: string;
  readonly fingerprint256: string;
  readonly validTo: string;
}

/** A TLS server context that follows its files. */
export class ReloadingTlsContext {
  private context: tls.SecureContext;
  private servedCert: ServedCertificate;
  private stamp: string;
  private failedStamp: string | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly options: TlsContextOptions;

  /** Loads the files now; throws when they do not make a context (the process should not start). */
  constructor(options: TlsContextOptions) {
    this.options = options;
    this.stamp = filesStamp(options);
    ({ context: this.context, served: this.servedCert } = loadContext(options));
    const interval = options.reloadIntervalMs ?? DEFAULT_TLS_RELOAD_INTERVAL_MS;
    if (interval > 0) {
      this.timer = setInterval(() => this.check(), interval);
      this.timer.unref();
    }
  }

  /** The context for a connection accepted now. */
  current(): tls.SecureContext {
    return this.context;
  }

  get served(): ServedCertificate {
    return this.servedCert;
  }

  /** Looks at the files now (the timer does this every reloadIntervalMs). True when a new context was loaded. */
  check(): boolean {
    let stamp: string;
    try {
      stamp = filesStamp(this.options);
    } catch (e) {
      this.failed(`missing:${(e as Error).message}`, e as Error);
      return false;
    }
    if (stamp === this.stamp) return false;
    try {
      ({ context: this.context, served: this.servedCert } = loadContext(this.options));
    } catch (e) {
      this.failed(stamp, e as Error);
      return false;
    }
    this.stamp = stamp;
    this.failedStamp = undefined;
    this.options.onReload?.(this.servedCert);
    return true;
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private failed(stamp: string, error: Error): void {
    if (stamp === this.failedStamp) return;
    this.failedStamp = stamp;
    this.options.onReloadFailed?.(error);
  }
}

/** Size, mtime and inode of each file: any rewrite or symlink swap changes one of them. */
function filesStamp(f: TlsFiles): string {
  return [f.certFile, f.keyFile, f.caFile]
    .filter((p): p is string => p !== undefined)
    .map((p) => {
      const s = statSync(p);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    })
    .join('|');
}

function loadContext(f: TlsFiles): { context: tls.SecureContext; served: ServedCertificate } {
  const cert = readFileSync(f.certFile, 'utf8');
  const key = readFileSync(f.keyFile, 'utf8');
  const ca = f.caFile === undefined ? undefined : readFileSync(f.caFile, 'utf8');
  // createSecureContext checks that the key matches the certificate.
  const context = tls.createSecureContext({ cert, key, ...(ca === undefined ? {} : { ca }), minVersion: TLS_MIN_VERSION, maxVersion: 'TLSv1.3' });
  // Clients resume sessions (the Java client does for its second connection to a broker).
  // With client certificates requested, OpenSSL refuses to resume — an internal_error alert
  // — unless the context has a session id context; tls.Server sets one on its own
  // contexts, and so does this (the same call on the same native context).
  (context as unknown as { context?: { setSessionIdContext?: (id: string) => void } }).context?.setSessionIdContext?.(SESSION_ID_CONTEXT);
  const x509 = new X509Certificate(cert);
  return { context, served: { subject: x509.subject.replaceAll('\n', ', '), serialNumber: x509.serialNumber, fingerprint256: x509.fingerprint256, validTo: x509.validTo } };
}
