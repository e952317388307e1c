// A listener's TLS context from PEM files — certificate chain, private key, and the CA that
// client certificates must chain to — reloaded when the files change, as cert-manager
// rotates them on Kubernetes (it rewrites the Secret's files in place, through a symlink
// swap). The files are followed by @stratus/runtime's FollowedFiles (polled every
// reloadIntervalMs); on a change they are read again and a new context built. Connections
// accepted afterwards use the new context; open ones keep theirs. A new set that does not
// load (a key that does not match its certificate, a half-written file) keeps the old
// context and is reported once, until the files change again.
//
// TLS 1.2 is the minimum and 1.3 the maximum: Node never offers SSLv3, and 1.0/1.1 are
// refused here, as the issue asks (Kafka's default ssl.enabled.protocols is TLSv1.2,TLSv1.3).

import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { FollowedFiles } from '@stratus/runtime';

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
  private readonly loaded: FollowedFiles<{ context: tls.SecureContext; served: ServedCertificate }>;

  /** Loads the files now; throws when they do not make a context (the process should not start). */
  constructor(options: TlsContextOptions) {
    const paths = [options.certFile, options.keyFile, options.caFile].filter((p): p is string => p !== undefined);
    this.loaded = new FollowedFiles(paths, () => loadContext(options), {
      intervalMs: options.reloadIntervalMs ?? DEFAULT_TLS_RELOAD_INTERVAL_MS,
      onReload: (l) => options.onReload?.(l.served),
      onReloadFailed: options.onReloadFailed,
    });
  }

  /** The context for a connection accepted now. */
  current(): tls.SecureContext {
    return this.loaded.value.context;
  }

  get served(): ServedCertificate {
    return this.loaded.value.served;
  }

  /** Looks at the files now (a timer does this every reloadIntervalMs). True when a new context was loaded. */
  check(): boolean {
    return this.loaded.check();
  }

  close(): void {
    this.loaded.close();
  }
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
