// PEM files for the controller's gRPC TLS — the server's certificate, key and client CA,
// or a client's CA and certificate — followed as they change, as cert-manager rotates
// them on Kubernetes (it rewrites a mounted Secret's files through a symlink swap). The
// files are followed by @stratus/runtime's FollowedFiles (polled every reloadIntervalMs),
// read again on a change, and checked (the key must match the certificate, every PEM must
// parse) before they are handed on; a set that does not load (a half-written file, a key
// from another certificate) keeps the old one and is reported once, until the files change
// again — as a Kafka listener's ReloadingTlsContext (broker network/tls/tls-context.ts) does.
//
// It is a grpc-js CertificateProvider: the server's and the client's credentials take
// their certificates from it (server.ts, client.ts), so connections made after a change
// use the new files and open ones keep theirs.

import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { experimental } from '@grpc/grpc-js';
import { FollowedFiles } from '@stratus/runtime';

type CertificateProvider = experimental.CertificateProvider;
type CaCertificateUpdateListener = experimental.CaCertificateUpdateListener;
type IdentityCertificateUpdateListener = experimental.IdentityCertificateUpdateListener;

export const DEFAULT_GRPC_TLS_RELOAD_INTERVAL_MS = 30_000;

export interface PemFiles {
  /** PEM certificate chain (with keyFile: the identity this side presents). */
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  /** PEM CA bundle the other side's certificate is checked against. Absent: Node's default roots. */
  readonly caFile?: string | undefined;
}

export interface PemFileWatchOptions {
  /** How often the files' status is checked; 0 disables reloading. Default 30 s. */
  readonly reloadIntervalMs?: number | undefined;
  /** A new set loaded (for logs: the certificate now presented, when there is one). */
  readonly onReload?: ((subject: string | null) => void) | undefined;
  /** A change that did not load, once per change; the old set stays. */
  readonly onReloadFailed?: ((error: Error) => void) | undefined;
}

interface Loaded {
  readonly cert: Buffer | null;
  readonly key: Buffer | null;
  readonly ca: Buffer;
}

/** A CertificateProvider over PEM files that follows them (see the file's comment). */
export class PemFileCertificateProvider implements CertificateProvider {
  private readonly files: FollowedFiles<Loaded>;
  private readonly caListeners = new Set<CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<IdentityCertificateUpdateListener>();

  /** Loads the files now; throws when they do not load (the process should not start). */
  constructor(files: PemFiles, options: PemFileWatchOptions = {}) {
    if ((files.certFile === undefined) !== (files.keyFile === undefined)) throw new RangeError('tls: certFile and keyFile go together');
    const paths = [files.certFile, files.keyFile, files.caFile].filter((p): p is string => p !== undefined);
    this.files = new FollowedFiles(paths, () => load(files), {
      intervalMs: options.reloadIntervalMs ?? DEFAULT_GRPC_TLS_RELOAD_INTERVAL_MS,
      onReload: (loaded) => {
        for (const l of this.caListeners) l({ caCertificate: loaded.ca });
        const identity = this.identity();
        if (identity !== null) for (const l of this.identityListeners) l(identity);
        options.onReload?.(loaded.cert === null ? null : new X509Certificate(loaded.cert).subject.replaceAll('\n', ', '));
      },
      onReloadFailed: options.onReloadFailed,
    });
  }

  private get loaded(): Loaded {
    return this.files.value;
  }

  /** Whether this side presents a certificate. */
  get hasIdentity(): boolean {
    return this.loaded.cert !== null;
  }

  /** Looks at the files now (a timer does this every reloadIntervalMs). True when a new set was loaded. */
  check(): boolean {
    return this.files.check();
  }

  close(): void {
    this.files.close();
    this.caListeners.clear();
    this.identityListeners.clear();
  }

  // grpc-js registers its listeners when a server binds or a channel connects; like its
  // own FileWatcherCertificateProvider, the current set is given on the next tick (the
  // server's credentials add their watcher only after registering).
  addCaCertificateListener(listener: CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    const ca = { caCertificate: this.loaded.ca };
    process.nextTick(() => {
      if (this.caListeners.has(listener)) listener(ca);
    });
  }

  removeCaCertificateListener(listener: CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    const identity = this.identity();
    process.nextTick(() => {
      if (this.identityListeners.has(listener)) listener(identity);
    });
  }

  removeIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }

  private identity(): experimental.IdentityCertificateUpdate | null {
    const { cert, key } = this.loaded;
    return cert === null || key === null ? null : { certificate: cert, privateKey: key };
  }
}

function load(f: PemFiles): Loaded {
  const cert = f.certFile === undefined ? null : readFileSync(f.certFile);
  const key = f.keyFile === undefined ? null : readFileSync(f.keyFile);
  // Without a CA file, the other side is checked against Node's default CAs, as ChannelCredentials.createSsl(null) does
  // (getCACertificates('default'), Node 22.15+: the bundled roots plus NODE_EXTRA_CA_CERTS and the system's when enabled).
  const ca = f.caFile === undefined ? Buffer.from(defaultCaCertificates().join('\n')) : readFileSync(f.caFile);
  // createSecureContext checks that the key matches the certificate and that each PEM parses.
  createSecureContext({ ...(cert !== null && key !== null ? { cert, key } : {}), ca });
  if (cert !== null) new X509Certificate(cert);
  if (f.caFile !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`tls: ${f.caFile} holds no PEM certificate`);
  return { cert, key, ca };
}

function defaultCaCertificates(): readonly string[] {
  const get = (tls as { getCACertificates?: (type: 'default') => string[] }).getCACertificates;
  return get !== undefined ? get('default') : tls.rootCertificates;
}
